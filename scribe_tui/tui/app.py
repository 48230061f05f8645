"""The Textual app: owns the engine handle, reads the engine's state into a reactive the
screens are bound to, runs the commands the screens ask for, and handles every worker error
in one place. Each pane, screen and command lives in its own module.

Reading never overlaps and never blocks the UI: one thread worker reads; when its state has
been rendered, a timer is armed for the next read (sooner when a command finished or the
query changed). No read runs while a screen that shows no live state is on top (help, the
add form, the command palette)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from scribe_tui.config import Settings
from scribe_tui.engine.api import Notice
from scribe_tui.tui.engine_calls import AddRequest, Call, EngineCalls
from scribe_tui.tui.failure_log import FailureEntry
from scribe_tui.tui.job_query import WINDOW, JobQuery
from scribe_tui.tui.keys import binding_ids, bound_keys, keymap_errors
from scribe_tui.tui.palette import BindingCommands
from scribe_tui.tui.reader import StateReader
from scribe_tui.tui.screens.add_documents import AddDocumentsScreen
from scribe_tui.tui.screens.help import HelpScreen
from scribe_tui.tui.screens.job_detail import JobDetailScreen
from scribe_tui.tui.screens.main import MainScreen
from scribe_tui.tui.state import EngineState, EngineWithStore, Reading, ReadRequest
from scribe_tui.tui.summary import quit_message, state_line
from scribe_tui.tui.widgets.chunks_table import ChunksTable
from scribe_tui.tui.widgets.failures_table import FailuresTable
from scribe_tui.tui.widgets.filter_bar import FilterBar
from scribe_tui.tui.widgets.jobs_table import JobsTable

READ_RESTART_S = 2.0
SOON_S = 0.001  # "at once" for a timer (Textual's timers need an interval above zero)
APP_ERRORS_KEPT = 20
READ_GROUP = "read"
CALL_GROUP = "engine-call"


class ScribeApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "scribe-tui"
    COMMANDS = App.COMMANDS | {BindingCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit now; unfinished jobs stay queued and resume next time"),
        Binding("question_mark", "help", "Help", id="help", key_display="?",
                tooltip="Every key, and what each pane shows"),
    ]

    state: var[EngineState | None] = var(None, always_update=True, init=False)
    """The latest read of the engine and the store; the screens that show it are bound to it."""
    errors: var[tuple[FailureEntry, ...]] = var(())
    """The app's own errors (a failed command, a failed read), newest first."""

    def __init__(self, api: EngineWithStore, settings: Settings, *, clock: Callable[[], float] = time.time,
                 poll_interval_s: float = 0.5, initial_request: AddRequest | None = None, jobs_window: int = WINDOW):
        super().__init__()
        self.jobs_window = jobs_window
        self.initial_request = initial_request
        self.api = api
        self.settings = settings
        self.clock = clock
        self.poll_interval_s = poll_interval_s
        self.read_restart_s = READ_RESTART_S
        self.reader = StateReader(api)
        self.engine_calls = EngineCalls(api, self)
        self.jobs_query = JobQuery(window=jobs_window)
        self.detail_job_id: int | None = None
        self.read_seq = 0  # the number of the latest read started
        self.calls_done_seq = 0  # the latest read started when an engine call finished
        self.quit_message: str | None = None
        self._reading = False
        self._read_again = False  # something changed while a read ran: read again at once
        self._fresh = True  # the next read re-reads the Jobs window whatever the counts say
        self._jobs_only = False  # the next read is of the Jobs window only (the query changed)
        self._timer: Timer | None = None

    def get_default_screen(self) -> Screen:
        screen = MainScreen(self.engine_calls, clock=self.clock, window=self.jobs_window)
        return screen.data_bind(ScribeApp.state, ScribeApp.errors)

    def on_mount(self) -> None:
        self.set_keymap(dict(self.settings.keymap))
        self._arm(0)
        if getattr(self.api, "attached", False):
            self.notify("Another supervisor runs on this data directory: attached as a monitor; "
                        "commands reach it through the job store", timeout=6)
        if self.initial_request is not None:
            self.engine_calls.enqueue(self.initial_request)

    # ---- reading: render, then re-arm ------------------------------------------------------
    def _arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(delay, SOON_S), self._start_read, name="next read")

    def _start_read(self) -> None:
        self._timer = None
        if not self.screen_stack:  # shutting down
            return
        if self._reading:
            self._read_again = True
            return
        if not getattr(self.screen, "SHOWS_ENGINE_STATE", False):
            self._arm(self.poll_interval_s)  # nobody looks: check again later
            return
        self._reading = True
        self.read_seq += 1
        request = ReadRequest(self.jobs_query, self.detail_job_id, fresh=self._fresh, jobs_only=self._jobs_only)
        self._fresh = self._jobs_only = False
        self.read_engine(self.read_seq, request)

    @work(thread=True, exclusive=True, exit_on_error=False, group=READ_GROUP, description="reading the engine's state")
    def read_engine(self, seq: int, request: ReadRequest) -> Reading:
        return self.reader.read(seq, request)

    def _read_done(self, reading: Reading) -> None:
        try:
            self.state = reading.state
        except Exception as error:  # a rendering bug must not take the screen down with a traceback
            self.report_error("showing the engine's state", error)
        for notice in reading.notices:
            self._notice(notice)
        self._arm(0 if self._read_again else self.poll_interval_s)
        self._read_again = False

    def watch_state(self, state: EngineState | None) -> None:
        if state is not None:
            self.sub_title = state_line(state.snapshot)

    def refresh_now(self) -> None:
        """Read again as soon as possible (after the read in progress, if one is)."""
        if self._reading:
            self._read_again = True
        else:
            self._arm(0)

    def refresh_jobs(self, *, jobs_only: bool = False) -> None:
        """Read the Jobs window again at once (only it, when nothing but the query changed)."""
        self._jobs_only = jobs_only and (self._jobs_only or not self._fresh)
        self._fresh = True
        self.refresh_now()

    # ---- engine calls and every worker's outcome, handled in one place --------------------
    def run_engine_call(self, description: str, call: Call) -> None:
        self.run_worker(call, thread=True, group=CALL_GROUP, description=description, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == READ_GROUP and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                          WorkerState.CANCELLED):
            self._reading = False
        if worker.group == CALL_GROUP and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.calls_done_seq = self.read_seq
            self.refresh_jobs()
        if event.state == WorkerState.SUCCESS:
            if worker.group == READ_GROUP:
                self._read_done(worker.result)
            elif worker.group == CALL_GROUP:
                self.notify(str(worker.result), timeout=4)
        elif event.state == WorkerState.ERROR:
            self.report_error(worker.description or worker.name, worker.error)
            if worker.group == READ_GROUP:
                self._fresh = True
                self._arm(self.read_restart_s)

    def report_error(self, what: str, error: BaseException | None) -> None:
        """Tell the user (once for a repeated error) and list it first in the Failures pane."""
        text = f"{what}: {error}" if error is not None else what
        if self.errors and self.errors[0].message == text:
            return
        self.notify(text, title="Error", severity="error", timeout=8, markup=False)
        entry = FailureEntry(ts=self.clock(), job_id=0, chunk_index=None,
                             error_class=type(error).__name__ if error else "Error", message=text, attempts=0,
                             next_retry_at=None, dead=False, kind="error")
        self.errors = (entry, *self.errors)[:APP_ERRORS_KEPT]

    def _notice(self, notice: Notice) -> None:
        """Errors and warnings are toasts; an info notice announces a state the screen already
        shows (dispatch paused: the status line says PAUSED), and a command says what it did in
        a toast of its own, so one key press is one toast."""
        if notice.level == "error":
            self.report_error("engine", RuntimeError(notice.message))
        elif notice.level == "warning":
            self.notify(notice.message, severity="warning", timeout=6, markup=False)

    # ---- what the screens ask for ---------------------------------------------------------
    @on(MainScreen.QueryChanged)
    def _query_changed(self, message: MainScreen.QueryChanged) -> None:
        self.jobs_query = message.query
        self.refresh_jobs(jobs_only=True)

    @on(MainScreen.DetailRequested)
    def _detail_requested(self, message: MainScreen.DetailRequested) -> None:
        self.open_detail(message.job_id)

    @on(MainScreen.AddRequested)
    def _add_requested(self) -> None:
        self.push_screen(AddDocumentsScreen(self.settings), callback=self._add_submitted)

    def open_detail(self, job_id: int) -> None:
        self.detail_job_id = job_id
        screen = JobDetailScreen(job_id).data_bind(ScribeApp.state)
        self.push_screen(screen, callback=self._detail_closed)
        self.refresh_now()

    def _detail_closed(self, _: object = None) -> None:
        self.detail_job_id = None

    def _add_submitted(self, request: AddRequest | None) -> None:
        if request is not None:
            self.engine_calls.enqueue(request)

    def action_help(self) -> None:
        """Help for the keys active here (the app's keys do not reach a modal screen, help included)."""
        self.push_screen(HelpScreen(bound_keys(self, self.screen)), callback=lambda _: self.refresh_now())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, but its Quit: ours (from the ``q`` binding) says what stays queued."""
        return (command for command in super().get_system_commands(screen) if command.title != "Quit")

    async def action_quit(self) -> None:
        """Quit; unfinished jobs stay queued in the store and resume next time. The engine stops
        at once but for requests already sent, whose results are kept; a second q does not wait
        for those either (they are sent again next time)."""
        if self.quit_message is not None:  # the second q
            abort = getattr(self.api, "abort", None)
            if callable(abort):
                abort()
            self.exit(0, message=self.quit_message)
            return
        message = self.quit_message = quit_message(self.state.snapshot if self.state else None)
        if not callable(getattr(self.api, "stop", None)):  # a monitor: the run it watches goes on
            self.notify(message)
            self.exit(0, message=message)
            return
        self.notify(f"{message} — finishing the requests already sent (q again: quit now)")
        self._stop_engine_then_exit(message)

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False, description="stopping the engine")
    def _stop_engine_then_exit(self, message: str) -> None:
        self.api.stop(release_waiting=True)  # type: ignore[attr-defined]
        try:
            self.call_from_thread(self.exit, 0, message=message)
        except RuntimeError:  # a second q already ended the app
            pass


KEYMAP_IDS = binding_ids([ScribeApp, MainScreen, JobDetailScreen, HelpScreen, AddDocumentsScreen, JobsTable,
                          FailuresTable, ChunksTable, FilterBar])
"""Every binding id a ``[keymap]`` section may name."""


def check_keymap(settings: Settings) -> list[str]:
    """What is wrong with the ``[keymap]`` section (nothing: an empty list)."""
    return keymap_errors(settings.keymap, KEYMAP_IDS)
