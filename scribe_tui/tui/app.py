"""The Textual app: owns the engine handle, the background poller and the screens; every
pane, screen and command lives in its own module."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from scribe_tui.config import Settings
from scribe_tui.engine.api import Notice
from scribe_tui.tui.engine_calls import AddRequest, Call, EngineCalls
from scribe_tui.tui.failure_log import FailureEntry
from scribe_tui.tui.job_query import JobQuery
from scribe_tui.tui.messages import Polled
from scribe_tui.tui.palette import ScribeCommands
from scribe_tui.tui.poller import EngineWithStore, Poller, PollResult
from scribe_tui.tui.screens.add_documents import AddDocumentsScreen
from scribe_tui.tui.screens.help import HelpScreen
from scribe_tui.tui.screens.job_detail import JobDetailScreen
from scribe_tui.tui.screens.main import MainScreen
from scribe_tui.tui.summary import quit_message, state_line

POLL_RESTART_S = 2.0
WAIT_SLICE_S = 0.05  # the poller notices a cancelled worker within this
APP_ERRORS_KEPT = 20


class ScribeApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "scribe-tui"
    COMMANDS = App.COMMANDS | {ScribeCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
    ]

    def __init__(self, api: EngineWithStore, settings: Settings, *, clock: Callable[[], float] = time.time,
                 poll_interval_s: float = 0.5, initial_request: AddRequest | None = None):
        super().__init__()
        self.initial_request = initial_request
        self.api = api
        self.settings = settings
        self.clock = clock
        self.poll_interval_s = poll_interval_s
        self.poller = Poller(api)
        self.commands = EngineCalls(api, self)
        self.app_errors: tuple[FailureEntry, ...] = ()
        self.latest: PollResult | None = None
        self.rendered_seq = 0  # the number of the latest poll rendered
        self.calls_done_seq = 0  # the latest poll started when an engine call finished
        self.poll_restart_s = POLL_RESTART_S
        self.quit_message: str | None = None
        self._rendered = threading.Event()
        self._wake = threading.Event()

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        self.call_after_refresh(self.poll_engine)
        if getattr(self.api, "attached", False):
            self.notify("Another supervisor runs on this data directory: attached as a monitor; "
                        "commands reach it through the job store", timeout=6)
        if self.initial_request is not None:
            self.commands.enqueue(self.initial_request)

    # ---- the poller: render, then re-arm --------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="poll", description="polling the engine")
    def poll_engine(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            self._rendered.clear()
            self.post_message(Polled(self.poller.poll()))
            while not worker.is_cancelled and not self._rendered.wait(WAIT_SLICE_S):
                pass
            self._sleep_until_woken(worker)

    def _sleep_until_woken(self, worker: Worker) -> None:
        """Wait the poll interval, or less when a command or a query change wakes us."""
        deadline = time.monotonic() + self.poll_interval_s
        while not worker.is_cancelled:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._wake.wait(min(WAIT_SLICE_S, remaining)):
                break
        self._wake.clear()

    def on_polled(self, message: Polled) -> None:
        self.rendered_seq = max(self.rendered_seq, message.result.seq)
        try:
            self._render(message.result)
        except Exception as error:  # a rendering bug must not take the screen down with a traceback
            self.report_error("showing the engine's state", error)
        finally:
            self._rendered.set()

    def _render(self, result: PollResult) -> None:
        self.latest = result
        self.sub_title = state_line(result.snapshot)
        for notice in result.notices:
            self._notice(notice)
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.show(result)
        else:
            self.poller.invalidate()  # the main screen catches up when it is back on top
        if isinstance(screen, JobDetailScreen) and result.detail is not None:
            screen.show(result.detail)

    def refresh_now(self) -> None:
        self._wake.set()

    def set_query(self, query: JobQuery) -> None:
        self.poller.query = query
        self.poller.invalidate()
        self.refresh_now()

    # ---- engine calls and errors, handled in one place ------------------------------------
    def run_engine_call(self, description: str, call: Call) -> None:
        self.run_worker(partial(self._engine_call, call), thread=True, group="engine-call",
                        description=description, exit_on_error=False)

    def _engine_call(self, call: Call) -> str:
        try:
            return call()
        finally:
            self.poller.invalidate()
            self.calls_done_seq = max(self.calls_done_seq, self.poller.seq)
            self.refresh_now()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "engine-call":
            self.notify(str(worker.result), timeout=4)
        elif event.state == WorkerState.ERROR:
            self.report_error(worker.description or worker.name, worker.error)
            if worker.group == "poll":
                self.set_timer(self.poll_restart_s, self.poll_engine)

    def report_error(self, what: str, error: BaseException | None) -> None:
        """Tell the user (once for a repeated error) and list it first in the Failures pane."""
        text = f"{what}: {error}" if error is not None else what
        if self.app_errors and self.app_errors[0].message == text:
            return
        self.notify(text, title="Error", severity="error", timeout=8, markup=False)
        entry = FailureEntry(ts=self.clock(), job_id=0, chunk_index=None,
                             error_class=type(error).__name__ if error else "Error", message=text, attempts=0,
                             next_retry_at=None, dead=False, kind="error")
        self.app_errors = (entry, *self.app_errors)[:APP_ERRORS_KEPT]
        if isinstance(self.screen, MainScreen):
            self.screen.show_failures(self.latest.failures if self.latest else ())

    def _notice(self, notice: Notice) -> None:
        if notice.level == "error":
            self.report_error("engine", RuntimeError(notice.message))
            return
        severity = "warning" if notice.level == "warning" else "information"
        self.notify(notice.message, severity=severity, timeout=6, markup=False)

    # ---- screens --------------------------------------------------------------------------
    def open_detail(self, job_id: int) -> None:
        self.poller.detail_job_id = job_id
        self.push_screen(JobDetailScreen(job_id), callback=self._detail_closed)
        self.refresh_now()

    def _detail_closed(self, _: object = None) -> None:
        self.poller.detail_job_id = None

    def open_add_documents(self) -> None:
        self.push_screen(AddDocumentsScreen(self.settings), callback=self._add_requested)

    def _add_requested(self, request: AddRequest | None) -> None:
        if request is not None:
            self.commands.enqueue(request)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen([*MainScreen.BINDINGS, *self.BINDINGS]))

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
        message = self.quit_message = quit_message(self.latest.snapshot if self.latest else None)
        self._wake.set()
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
