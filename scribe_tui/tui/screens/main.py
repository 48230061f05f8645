"""The main screen: the Jobs, Throughput, Failures, Workers and Providers panes, the filter
line, and the keys that act on the queue (retry, cancel, priority, pause, scale, add)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from scribe_tui.store import FAILED_JOB_STATUSES
from scribe_tui.tui.engine_calls import EngineCalls
from scribe_tui.tui.failure_log import FailureEntry
from scribe_tui.tui.job_query import FilterError, JobQuery, parse_filter
from scribe_tui.tui.palette import PaletteCommand, main_screen_commands
from scribe_tui.tui.poller import JobsWindow, PollResult
from scribe_tui.tui.widgets.failures_table import FailuresTable
from scribe_tui.tui.widgets.filter_bar import FilterBar
from scribe_tui.tui.widgets.jobs_table import JobsTable
from scribe_tui.tui.widgets.providers_table import ProvidersTable
from scribe_tui.tui.widgets.throughput import ThroughputPanel
from scribe_tui.tui.widgets.workers_table import WorkersTable, workers_subtitle

PRIORITY_STEP = 5


class MainScreenHost(Protocol):
    """What the main screen uses of the app that shows it (``ScribeApp``)."""

    commands: EngineCalls
    app_errors: tuple[FailureEntry, ...]
    clock: Callable[[], float]

    def set_query(self, query: JobQuery) -> None: ...
    def open_detail(self, job_id: int) -> None: ...
    def open_add_documents(self) -> None: ...
    def refresh_now(self) -> None: ...


def pane(widget_id: str, title: str) -> Vertical:
    container = Vertical(id=widget_id, classes="pane")
    container.border_title = title
    return container


class MainScreen(Screen):
    AUTO_FOCUS = "#jobs-table"
    BINDINGS = [
        Binding("r", "retry_selected", "Retry", id="retry"),
        Binding("R", "retry_all", "Retry all", id="retry-all"),
        Binding("c", "cancel_selected", "Cancel", id="cancel"),
        Binding("p", "priority(1)", "Prio+", id="priority-up"),
        Binding("P", "priority(-1)", "Prio-", id="priority-down"),
        Binding("space", "toggle_pause", "Pause", id="pause"),
        Binding("plus", "scale(1)", "Worker", id="workers-up", key_display="+"),
        Binding("minus", "scale(-1)", "Worker", id="workers-down", key_display="-"),
        Binding("enter", "open_detail", "Detail", id="job-detail"),
        Binding("a", "add_documents", "Add", id="add-documents"),
        Binding("slash", "open_filter", "Filter", id="filter", key_display="/"),
        Binding("s", "cycle_sort", "Sort", id="sort"),
        Binding("f", "failures_only", "Failed", id="failures-only"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = JobQuery()
        self.last_result: PollResult | None = None
        self._window: JobsWindow | None = None

    @property
    def scribe(self) -> MainScreenHost:
        return cast(MainScreenHost, self.app)

    def palette_commands(self) -> list[PaletteCommand]:
        """The command palette's commands for this screen's state (``tui.palette`` asks)."""
        return list(main_screen_commands(self, self.app))

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield FilterBar(id="filter-bar")
        with pane("jobs-pane", "Jobs"):
            yield JobsTable(id="jobs-table")
        with Horizontal(id="middle-row"):
            with pane("throughput-pane", "Throughput"):
                yield ThroughputPanel(id="throughput")
            with pane("providers-pane", "Providers"):
                yield ProvidersTable(id="providers-table")
        with Horizontal(id="bottom-row"):
            with pane("workers-pane", "Workers"):
                yield WorkersTable(id="workers-table")
            with pane("failures-pane", "Failures"):
                yield FailuresTable(id="failures-table")
        yield Footer(compact=True)

    # ---- rendering ------------------------------------------------------------------------
    def show(self, result: PollResult) -> None:
        """Render one poll (called by the app on the UI thread)."""
        self.last_result = result
        now = self.scribe.clock()
        snapshot = result.snapshot
        if result.jobs is not None and result.query == self.query_state:
            self._window = result.jobs
        if self._window is not None:  # unchanged rows still get a fresh elapsed time
            self.query_one(JobsTable).show(self._window.rows, now)
        self._update_jobs_subtitle(result.total)
        self.query_one(ThroughputPanel).show(snapshot)
        self.query_one(ProvidersTable).show(snapshot.providers)
        self.query_one(WorkersTable).show(snapshot.workers)
        self.show_failures(result.failures)
        self.query_one("#workers-pane").border_subtitle = workers_subtitle(snapshot.workers, snapshot.target_workers)
        self.query_one("#failures-pane").border_subtitle = f"{len(result.failures)} recent"

    def show_failures(self, failures: tuple[FailureEntry, ...]) -> None:
        """The app's own errors first, then the engine's failures."""
        self.query_one(FailuresTable).show(self.scribe.app_errors + failures, self.scribe.clock())

    def _update_jobs_subtitle(self, total: int) -> None:
        shown = self.query_one(JobsTable).row_count
        window = self._window
        matched = f"{window.matched:,}{'+' if window.more else ''}" if window else "?"
        parts = [f"{shown:,} shown of {matched} matching · {total:,} jobs", f"sort: {self.query_state.order.name}"]
        if self.query_state.filter.active:
            parts.append(f"filter: {self.query_state.filter.describe()}")
        self.query_one("#jobs-pane").border_subtitle = " · ".join(parts)

    def set_query(self, query: JobQuery) -> None:
        self.query_state = query
        self._window = None
        self.scribe.set_query(query)
        self._update_jobs_subtitle(self.last_result.total if self.last_result else 0)

    # ---- selection ------------------------------------------------------------------------
    @property
    def selected_job_id(self) -> int | None:
        focused = self.focused
        if isinstance(focused, FailuresTable):
            return focused.selected_job_id
        return self.query_one(JobsTable).selected_job_id

    def _require_job(self) -> int | None:
        job_id = self.selected_job_id
        if job_id is None:
            self.notify("No job selected", severity="warning")
        return job_id

    # ---- actions --------------------------------------------------------------------------
    def action_retry_selected(self) -> None:
        if (job_id := self._require_job()) is not None:
            self.scribe.commands.retry(job_id)

    def action_retry_all(self) -> None:
        self.scribe.commands.retry_all()

    def action_cancel_selected(self) -> None:
        if (job_id := self._require_job()) is not None:
            self.scribe.commands.cancel(job_id)

    def action_priority(self, direction: int) -> None:
        if (job_id := self._require_job()) is not None:
            self.scribe.commands.change_priority(job_id, direction * PRIORITY_STEP)

    def action_toggle_pause(self) -> None:
        snapshot = self.last_result.snapshot if self.last_result else None
        self.scribe.commands.set_paused(not (snapshot and snapshot.paused))

    def action_scale(self, delta: int) -> None:
        self.scribe.commands.scale(delta)

    def action_open_detail(self) -> None:
        if (job_id := self._require_job()) is not None:
            self.scribe.open_detail(job_id)

    def action_add_documents(self) -> None:
        self.scribe.open_add_documents()

    def action_open_filter(self) -> None:
        self.query_one(FilterBar).open(self.query_state.filter.describe())

    def action_cycle_sort(self) -> None:
        self.set_query(self.query_state.next_sort())
        self.notify(f"Sorted by {self.query_state.order.name}", timeout=2)

    def action_failures_only(self) -> None:
        current = self.query_state.filter
        statuses = () if current.statuses == FAILED_JOB_STATUSES else FAILED_JOB_STATUSES
        self.set_query(self.query_state.with_filter(replace(current, statuses=statuses)))

    # ---- events ---------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#jobs-table, #failures-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    @on(Input.Submitted, "#filter-bar")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            job_filter = parse_filter(event.value)
        except FilterError as error:
            self.notify(str(error), title="Filter", severity="error")
            return
        self.set_query(self.query_state.with_filter(job_filter))
        self.query_one(FilterBar).action_close()

    @on(FilterBar.Closed)
    def _filter_closed(self) -> None:
        self.query_one(JobsTable).focus()

    def on_screen_resume(self) -> None:
        """Polls are not rendered while another screen is on top: catch up at once."""
        self.scribe.refresh_now()
