"""The main screen: the Jobs, Throughput, Failures, Workers and Providers panes, the filter
line, and the keys that act on the queue (retry, cancel, priority, pause, scale, add).

In a terminal narrower than WIDE_FROM or shorter than TALL_FROM the screen is compact: the
four small panes take turns under tabs (``t`` shows the next) below the Jobs table.

It is given what it needs: the engine calls its keys make and the clock. The app binds its
``state`` and ``errors`` reactives to the screen's; the screen tells the app what it wants
(another query, a job's detail, the add form) with messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual import events
from textual.containers import Container, Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static, Tab, Tabs

from scribe_tui.store import FAILED_JOB_STATUSES
from scribe_tui.tui.engine_calls import EngineCalls
from scribe_tui.tui.failure_log import FailureEntry
from scribe_tui.tui.job_query import WINDOW, FilterError, JobQuery, parse_filter
from scribe_tui.tui.keys import key_for
from scribe_tui.tui.state import EngineState, JobsWindow
from scribe_tui.tui.widgets.failures_table import FailuresTable
from scribe_tui.tui.widgets.filter_bar import FilterBar
from scribe_tui.tui.widgets.jobs_table import OPEN_JOB, JobsTable
from scribe_tui.tui.widgets.key_footer import KeyFooter
from scribe_tui.tui.widgets.providers_table import ProvidersTable
from scribe_tui.tui.widgets.status_line import StatusLine
from scribe_tui.tui.widgets.throughput import ThroughputPanel
from scribe_tui.tui.widgets.workers_table import WorkersTable, workers_subtitle

PRIORITY_STEP = 5
WIDE_FROM = 110  # columns: all five panes side by side from here
TALL_FROM = 34  # rows
SMALL_PANES = (("throughput", "Throughput"), ("providers", "Providers"), ("workers", "Workers"),
               ("failures", "Failures"))


def pane(widget_id: str, title: str) -> Vertical:
    container = Vertical(id=widget_id, classes="pane")
    container.border_title = title
    return container


class MainScreen(Screen[None]):
    SHOWS_ENGINE_STATE = True
    AUTO_FOCUS = "#jobs-table"
    BINDINGS = [  # in the order a narrow footer keeps them
        Binding("t", "next_pane", "Pane", id="next-pane",
                tooltip="Show the next small pane: Throughput, Providers, Workers, Failures (compact layout)"),
        Binding("space", "toggle_pause", "Pause", id="pause",
                tooltip="Pause or resume dispatch (chunks in flight finish)"),
        Binding("r", "retry_selected", "Retry", id="retry",
                tooltip="Retry the selected job (failed, dead or cancelled)"),
        Binding("c", "cancel_selected", "Cancel", id="cancel", tooltip="Cancel the selected job"),
        Binding("a", "add_documents", "Add", id="add-documents", tooltip="Add documents to translate"),
        Binding("slash", "open_filter", "Filter", id="filter", key_display="/",
                tooltip="Filter the Jobs table: status:failed,dead lang:he words"),
        Binding("f", "failures_only", "Failed", id="failures-only",
                tooltip="Show only failed and dead jobs (again: every job)"),
        Binding("s", "cycle_sort", "Sort", id="sort", tooltip="Cycle the Jobs table's sort order"),
        Binding("R", "retry_all", "Retry all", id="retry-all", tooltip="Retry every failed and dead job"),
        Binding("p", "priority(1)", "Prio+", id="priority-up",
                tooltip=f"Raise the selected job's priority by {PRIORITY_STEP}"),
        Binding("P", "priority(-1)", "Prio-", id="priority-down",
                tooltip=f"Lower the selected job's priority by {PRIORITY_STEP}"),
        Binding("plus", "scale(1)", "Worker+", id="workers-up", key_display="+",
                tooltip="One more worker process (the target)"),
        Binding("minus", "scale(-1)", "Worker-", id="workers-down", key_display="-",
                tooltip="One worker process fewer (the target)"),
        Binding("enter", "open_detail", OPEN_JOB.description, id=OPEN_JOB.id, tooltip=OPEN_JOB.tooltip),
    ]

    state: var[EngineState | None] = var(None, always_update=True, init=False)
    """The latest read of the engine (bound to the app's)."""
    errors: var[tuple[FailureEntry, ...]] = var((), init=False)
    """The app's own errors, newest first (bound to the app's)."""

    class QueryChanged(Message):
        """The Jobs table wants other rows: a new filter or sort order."""

        def __init__(self, query: JobQuery) -> None:
            super().__init__()
            self.query = query

    class DetailRequested(Message):
        def __init__(self, job_id: int) -> None:
            super().__init__()
            self.job_id = job_id

    class AddRequested(Message):
        """Open the Add documents form."""

    def __init__(self, engine_calls: EngineCalls, *, clock: Callable[[], float], window: int = WINDOW) -> None:
        super().__init__()
        self.engine_calls = engine_calls
        self.clock = clock
        self.query_state = JobQuery(window=window)
        self._window: JobsWindow | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status-line")
        yield FilterBar(id="filter-bar")
        with pane("jobs-pane", "Jobs"):
            yield JobsTable(id="jobs-table")
            yield Static(id="jobs-empty", markup=False)
        yield Tabs(*(Tab(title, id=f"tab-{name}") for name, title in SMALL_PANES), id="pane-tabs")
        with Container(id="small-panes"):
            with pane("throughput-pane", "Throughput"):
                yield ThroughputPanel(id="throughput")
            with pane("providers-pane", "Providers"):
                yield ProvidersTable(id="providers-table")
            with pane("workers-pane", "Workers"):
                yield WorkersTable(id="workers-table")
            with pane("failures-pane", "Failures"):
                yield FailuresTable(id="failures-table")
        yield KeyFooter()

    # ---- layout ---------------------------------------------------------------------------
    @property
    def compact(self) -> bool:
        return self.has_class("-compact")

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < WIDE_FROM or event.size.height < TALL_FROM
        if compact != self.compact:
            self.set_class(compact, "-compact")
            self.refresh_bindings()  # the next-pane key exists in the compact layout only

    @on(Tabs.TabActivated, "#pane-tabs")
    def _pane_chosen(self, event: Tabs.TabActivated) -> None:
        shown = f"{event.tab.id.removeprefix('tab-')}-pane" if event.tab and event.tab.id else ""
        for name, _ in SMALL_PANES:
            self.query_one(f"#{name}-pane").set_class(f"{name}-pane" == shown, "-shown")

    def action_next_pane(self) -> None:
        self.query_one("#pane-tabs", Tabs).action_next_tab()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.compact if action == "next_pane" else True

    # ---- rendering ------------------------------------------------------------------------
    def watch_state(self, state: EngineState | None) -> None:
        if state is None or not self.is_mounted:
            return
        now = self.clock()
        snapshot = state.snapshot
        if state.query == self.query_state:
            self._window = state.jobs
        if self._window is not None:  # unchanged rows still get a fresh elapsed time
            self.query_one(JobsTable).show(self._window.rows, now)
        self._update_jobs_subtitle(state.total)
        self._show_empty_hint(state.total)
        self.query_one(StatusLine).show(snapshot)
        self.query_one(ThroughputPanel).show(snapshot)
        self.query_one(ProvidersTable).show(snapshot.providers)
        self.query_one(WorkersTable).show(snapshot.workers)
        self._show_failures()
        self.query_one("#workers-pane").border_subtitle = workers_subtitle(snapshot.workers, snapshot.target_workers)
        self.query_one("#failures-pane").border_subtitle = f"{len(state.failures)} recent"
        failures = len(state.failures) + len(self.errors)
        self.query_one("#tab-failures", Tab).label = f"Failures {failures}" if failures else "Failures"

    def watch_errors(self) -> None:
        if self.is_mounted:
            self._show_failures()

    def _show_failures(self) -> None:
        """The app's own errors first, then the engine's failures."""
        failures = self.state.failures if self.state else ()
        self.query_one(FailuresTable).show(self.errors + failures, self.clock())

    def _show_empty_hint(self, total: int) -> None:
        """No rows: say why, and what to press."""
        empty = self._window is not None and not self._window.rows
        self.query_one("#jobs-pane").set_class(empty, "-empty")
        if not empty:
            return
        if total == 0:
            hint = (f"No jobs yet: press {key_for(self.app, self, 'add-documents', 'a')} to add documents "
                    "(or start scribe-tui with PATH --to LANGS)")
        else:
            hint = (f"No job matches {self.query_state.filter.describe()}: "
                    f"{key_for(self.app, self, 'filter', '/')} changes the filter")
        self.query_one("#jobs-empty", Static).update(hint)

    def _update_jobs_subtitle(self, total: int) -> None:
        shown = self.query_one(JobsTable).row_count
        window = self._window
        matched = f"{window.matched:,}" if window else "?"
        first = window.offset + 1 if window and shown else 0
        rows = f"{shown:,} shown" if first <= 1 else f"rows {first:,}–{first + shown - 1:,}"
        parts = [f"{rows} of {matched} matching · {total:,} jobs", f"sort: {self.query_state.order}"]
        if self.query_state.filter.active:
            parts.append(f"filter: {self.query_state.filter.describe()}")
        self.query_one("#jobs-pane").border_subtitle = " · ".join(parts)

    def set_query(self, query: JobQuery, *, keep_rows: bool = False) -> None:
        """Ask for other rows; the rows shown stay until they come (their count too when the
        window only moves)."""
        self.query_state = query
        if not keep_rows:
            self._window = None
        self.post_message(self.QueryChanged(query))
        self._update_jobs_subtitle(self.state.total if self.state else 0)

    # ---- keys -----------------------------------------------------------------------------
    def command_titles(self) -> Mapping[str, str]:
        """The palette's names for this screen's commands in its current state."""
        paused = bool(self.state and self.state.snapshot.paused)
        titles = {"pause": "Resume dispatch" if paused else "Pause dispatch"}
        job_id = self.selected_job_id
        if job_id is not None:
            titles |= {"retry": f"Retry job {job_id}", "cancel": f"Cancel job {job_id}",
                       "priority-up": f"Raise priority of job {job_id}",
                       "priority-down": f"Lower priority of job {job_id}", "job-detail": f"Open job {job_id}"}
        return titles

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
            self.engine_calls.retry(job_id)

    def action_retry_all(self) -> None:
        self.engine_calls.retry_all()

    def action_cancel_selected(self) -> None:
        if (job_id := self._require_job()) is not None:
            self.engine_calls.cancel(job_id)

    def action_priority(self, direction: int) -> None:
        if (job_id := self._require_job()) is not None:
            self.engine_calls.change_priority(job_id, direction * PRIORITY_STEP)

    def action_toggle_pause(self) -> None:
        self.engine_calls.set_paused(not (self.state and self.state.snapshot.paused))

    def action_scale(self, delta: int) -> None:
        self.engine_calls.scale(delta)

    def action_open_detail(self) -> None:
        if (job_id := self._require_job()) is not None:
            self.post_message(self.DetailRequested(job_id))

    def action_add_documents(self) -> None:
        self.post_message(self.AddRequested())

    def action_open_filter(self) -> None:
        self.query_one(FilterBar).open(self.query_state.filter.describe())

    def action_cycle_sort(self) -> None:
        self.set_query(self.query_state.next_sort())
        self.notify(f"Sorted by {self.query_state.order}", timeout=2)

    def action_failures_only(self) -> None:
        current = self.query_state.filter
        statuses = () if current.statuses == FAILED_JOB_STATUSES else FAILED_JOB_STATUSES
        self.set_query(self.query_state.with_filter(replace(current, statuses=statuses)))

    # ---- events ---------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#jobs-table")
    def _cursor_moved(self) -> None:
        """Near either end of the window, move the window along (the cursor stays on its job).
        The cursor is read now, not from the event: rows taken off the top while the window
        moved also sent events, with rows the cursor has left since."""
        window = self._window
        if window is None or self.state is None or self.state.query != self.query_state:
            return  # the rows of the current query are still on their way
        cursor = self.query_one(JobsTable).cursor_row
        scrolled = self.query_state.scrolled(cursor, len(window.rows), window.matched)
        if scrolled is not None:
            self.set_query(scrolled, keep_rows=True)

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
