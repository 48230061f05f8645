"""How the TUI reads the engine: one read at a time on a worker thread, the next one armed
only after the last was rendered, none while a screen without live data (help) is on top;
and the main screen takes what it needs as arguments (it runs in a bare Textual app)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from textual.app import App

from scribe_tui.tui.engine_calls import EngineCalls
from scribe_tui.tui.reader import StateReader
from scribe_tui.tui.screens.help import HelpScreen
from scribe_tui.tui.screens.main import MainScreen
from scribe_tui.tui.state import ReadRequest
from tests.tui_fakes import FakeEngine, demo_scripted, fixed_clock, make_settings, populate, rendered, wait_until
from tests.tui_pilot_support import SIZE, RecordingApp, jobs_table, shown_ids


class SlowEngine(FakeEngine):
    """Each snapshot takes a while and counts how many run at once."""

    delay_s = 0.15

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.snapshots = 0
        self.running = 0
        self.most_at_once = 0
        self.threads: set[int] = set()
        self._count_lock = threading.Lock()

    def snapshot(self):  # type: ignore[no-untyped-def]
        with self._count_lock:
            self.snapshots += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.get_ident())
        try:
            time.sleep(self.delay_s)
            return super().snapshot()
        finally:
            with self._count_lock:
                self.running -= 1


@pytest.fixture
def slow(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path)
    engine = SlowEngine(settings, demo_scripted())
    populate(engine, tmp_path / "docs")
    yield engine, settings
    engine.close()


async def test_reads_never_overlap_and_run_off_the_ui_thread(slow) -> None:
    engine, settings = slow
    app = RecordingApp(engine, settings, clock=fixed_clock, poll_interval_s=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: engine.snapshots >= 3, "three reads")
        for _ in range(20):  # commands and query changes ask for reads while one runs
            app.refresh_now()
            app.refresh_jobs()
            await pilot.pause(0.01)
        await rendered(pilot)
        assert engine.most_at_once == 1
        assert threading.main_thread().ident not in engine.threads


async def test_no_reads_while_help_is_open_and_one_at_once_when_it_closes(slow) -> None:
    engine, settings = slow
    engine.delay_s = 0.0
    app = RecordingApp(engine, settings, clock=fixed_clock, poll_interval_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        await pilot.pause(0.2)  # a read that had started when help opened finishes
        before = engine.snapshots
        await pilot.pause(0.5)  # ten intervals
        assert engine.snapshots == before
        seq = app.read_seq
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.state is not None and app.state.seq > seq, "a read after help closed")


class ScreenHost(App[None]):
    """A bare Textual app: whatever MainScreen needs, it was given."""

    def __init__(self, screen: MainScreen) -> None:
        super().__init__()
        self.main = screen

    def on_mount(self) -> None:
        self.push_screen(self.main)


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def run_engine_call(self, description: str, call) -> None:  # type: ignore[no-untyped-def]
        self.calls.append((description, call))


async def test_the_main_screen_runs_on_what_it_is_given(slow) -> None:
    engine, _ = slow
    engine.delay_s = 0.0
    recorder = CallRecorder()
    screen = MainScreen(EngineCalls(engine, recorder), clock=fixed_clock)
    state = StateReader(engine).read(1, ReadRequest(screen.query_state)).state
    host = ScreenHost(screen)
    async with host.run_test(size=SIZE) as pilot:
        screen.state = state
        await pilot.pause()
        assert shown_ids(host) == [row.id for row in state.jobs.rows]
        await pilot.press("down", "c")
        assert [description for description, _ in recorder.calls] == [f"cancel job {state.jobs.rows[1].id}"]
        assert jobs_table(host).selected_job_id == state.jobs.rows[1].id
