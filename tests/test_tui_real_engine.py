"""The TUI over the real engine: a real Supervisor with worker processes and the demo
provider (its simulator on 127.0.0.1), a Monitor attached to it, and ``run_tui`` end to
end. Keys are checked by what they did to the job store and the output files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from scribe_tui.config import Settings, load_settings
from scribe_tui.engine import attach
from scribe_tui.engine.monitor import Monitor
from scribe_tui.engine.supervisor import Supervisor
from scribe_tui.tui import launch
from scribe_tui.tui.app import ScribeApp
from scribe_tui.tui.engine_calls import AddRequest
from scribe_tui.tui.widgets.failures_table import FailuresTable
from scribe_tui.tui.widgets.jobs_table import JobsTable
from scribe_tui.tui.widgets.workers_table import WorkersTable
from tests.tui_fakes import rendered, select_job, settled, wait_until, write_documents
from tests.tui_pilot_support import RecordingApp

SIZE = (140, 42)
FAST = {
    "retry": {"base_delay_s": 0.05, "max_delay_s": 0.2, "park_after_s": 30},
    "breaker": {"failure_threshold": 50, "cooldown_s": 0.5},
    # A generous heartbeat timeout: on a loaded machine a worker process takes seconds to start
    # (7 s measured at load 19), and nothing here tests the heartbeat.
    "engine": {"heartbeat_s": 0.2, "heartbeat_timeout_s": 60, "lease_s": 30, "shutdown_grace_s": 1},
}


def real_settings(tmp_path: Path, *, latency_ms: int = 10, fail_rate: float = 0.0, max_attempts: int = 5,
                  limits: tuple[str, ...] = ("6000/minute",), grace_s: float = 1) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", workers=1,
                         max_attempts=max_attempts, cache={"dir": str(tmp_path / "cache")},
                         chunking={"max_tokens": 50, "context_tokens": 10},
                         providers={"demo": {"kind": "demo", "latency_ms": latency_ms, "jitter_ms": 0,
                                             "fail_rate": fail_rate, "limits": list(limits)}},
                         **{**FAST, "engine": {**FAST["engine"], "shutdown_grace_s": grace_s}})


@pytest.fixture
def supervisor(request: pytest.FixtureRequest, tmp_path: Path):
    options = getattr(request, "param", {})
    settings = real_settings(tmp_path, **options)
    sup = Supervisor(settings)
    sup.start()
    yield sup
    sup.stop(grace_s=1)


def app_for(api, settings: Settings) -> RecordingApp:  # type: ignore[no-untyped-def]
    return RecordingApp(api, settings, poll_interval_s=0.3)


async def test_keys_reach_a_running_supervisor(supervisor: Supervisor, tmp_path: Path) -> None:
    store = supervisor.store
    supervisor.pause()
    report = supervisor.enqueue(write_documents(tmp_path / "docs", 3), ["he"])
    assert report.jobs_created == 3
    first, second, third = sorted(j.id for j in store.jobs())
    app = app_for(supervisor, supervisor.settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query_one(JobsTable).row_count == 3, "three jobs")
        await wait_until(pilot, lambda: "PAUSED" in app.sub_title, "the paused state")
        await select_job(pilot, second)
        await pilot.press("c")
        await select_job(pilot, third)
        await pilot.press("p")
        await settled(pilot)
        assert store.job(second).status == "cancelled"
        assert store.job(third).priority == 5
        await pilot.press("space")  # resume: the supervisor runs the rest
        await wait_until(pilot, lambda: store.job(first).status == store.job(third).status == "completed",
                         "jobs 1 and 3 to complete", timeout=30)
        assert store.job(second).status == "cancelled"
        await select_job(pilot, second)
        await pilot.press("r")
        await wait_until(pilot, lambda: store.job(second).status == "completed", "the retried job", timeout=30)
        await rendered(pilot)
        assert str(app.screen.query_one(JobsTable).get_cell(str(second), "status")) == "completed"
        assert app.screen.query_one(WorkersTable).row_count >= 1
        await pilot.press("q")
    assert app.quit_message == "Nothing stays queued: every job has finished"
    assert [note for note in app.notes if "resumed" in note.lower()] == ["Dispatch resumed"]  # one key, one toast
    for job in store.jobs():
        assert job.output_path and Path(job.output_path).exists()


@pytest.mark.parametrize("supervisor", [{"fail_rate": 1.0, "max_attempts": 1}], indirect=True)
async def test_dead_letters_show_in_failures_and_R_requeues_them(supervisor: Supervisor, tmp_path: Path) -> None:
    store = supervisor.store
    supervisor.enqueue(write_documents(tmp_path / "docs", 2, paragraphs=1), ["de"])
    app = app_for(supervisor, supervisor.settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: store.job_counts()["dead"] == 2, "both jobs dead-lettered", timeout=60)
        failures = app.screen.query_one(FailuresTable)
        await wait_until(pilot, lambda: sum(str(failures.get_cell(r.key, "kind")) == "dead"
                                            for r in failures.ordered_rows) == 2, "two dead rows")
        await pilot.press("space")  # pause first, so the requeued jobs stay queued
        await settled(pilot)
        await pilot.press("R")
        await settled(pilot)
        assert store.job_counts()["queued"] == 2 and store.job_counts()["dead"] == 0
        await pilot.press("q")
    assert app.quit_message == "2 jobs stay queued and resume the next time scribe-tui runs here"


async def test_a_monitor_attached_to_a_running_supervisor_commands_it(supervisor: Supervisor, tmp_path: Path) -> None:
    api = attach.open_engine(supervisor.settings, read_cache=True, max_cost_usd=None)
    assert isinstance(api, Monitor)  # the supervisor holds the data directory
    docs = tmp_path / "docs"
    write_documents(docs, 1)
    try:
        app = ScribeApp(api, supervisor.settings, poll_interval_s=0.3,
                        initial_request=AddRequest(paths=(docs,), languages=("he",), priority=0, provider=None))
        async with app.run_test(size=SIZE) as pilot:
            await rendered(pilot)
            assert app.sub_title.startswith("monitor · ")
            # the paths given to the monitor go through the store; the running supervisor does them
            await wait_until(pilot, lambda: supervisor.store.job_counts()["completed"] == 1, "the job done",
                             timeout=30)
            await pilot.press("space")
            await settled(pilot)
            assert supervisor.store.get_control("paused") is True
            await wait_until(pilot, lambda: supervisor.snapshot().paused, "the supervisor to obey")
            await pilot.press("q")
        assert app.quit_message is not None
        assert app.quit_message.startswith("Monitor closed; the supervisor on this data directory carries on")
    finally:
        api.close()


def test_run_tui_enqueues_the_paths_and_quitting_leaves_work_that_resumes(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    docs = write_documents(tmp_path / "docs", 2)
    config = tmp_path / "config.toml"
    config.write_text(
        '[providers.demo]\nkind = "demo"\nlatency_ms = 5000\njitter_ms = 0\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\n[chunking]\nmax_tokens = 50\ncontext_tokens = 10\n'
        '[engine]\nshutdown_grace_s = 0.5\nheartbeat_s = 0.2\n')
    seen: dict[str, object] = {}

    async def quit_once_enqueued(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        def four_rows() -> bool:
            tables = app.screen.query(JobsTable)
            return bool(tables) and tables.first().row_count == 4

        await wait_until(pilot, four_rows, "the enqueued jobs", timeout=20)
        await pilot.press("q")
        seen["message"] = app.quit_message

    original_run = ScribeApp.run
    monkeypatch.setattr(ScribeApp, "run", lambda self: original_run(self, headless=True, size=SIZE,
                                                                    auto_pilot=quit_once_enqueued))
    args = argparse.Namespace(paths=[tmp_path / "docs"], to="he,de", priority="high", provider=None, workers="1",
                              no_cache=False, config=config, data_dir=tmp_path / "data", output_dir=tmp_path / "out",
                              max_cost=None, verbose=0, json=False)
    assert launch.run_tui(args) == 0
    message = str(seen["message"])
    assert message.startswith("4 jobs") and message.endswith("stay queued and resume the next time scribe-tui runs here")
    settings = real_settings(tmp_path)
    with Supervisor(settings) as again:  # the next run picks the work up
        jobs = again.store.jobs()
        assert len(jobs) == 4 and all(j.priority == 20 for j in jobs)
        assert again.wait_until_drained(timeout=60)
        assert again.store.job_counts()["completed"] == 4
    assert all((tmp_path / "out" / lang / doc.name).exists() for lang in ("he", "de") for doc in docs)


def long_document(root: Path, paragraphs: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "long.txt").write_text("\n\n".join(
        f"Paragraph {i} is long enough to be a chunk of its own: it talks about the weather, the budget and "
        f"the plan for next year, at length." for i in range(paragraphs)) + "\n")
    return root


def chunks_started(supervisor: Supervisor) -> list[object]:
    """ChunkStarted events as they happen (a worker took the chunk; its request goes out)."""
    from scribe_tui.engine.api import ChunkStarted

    started: list[object] = []
    supervisor.add_listener(lambda event: started.append(event) if isinstance(event, ChunkStarted) else None)
    return started


def task_states(store) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return sorted((t.status, t.attempts) for job in store.jobs() for t in store.tasks_of_job(job.id))


@pytest.mark.parametrize("supervisor", [{"latency_ms": 1500, "limits": ("5/10s",), "grace_s": 10}], indirect=True)
async def test_q_returns_once_the_requests_sent_are_back_and_gives_back_the_waiting_chunks(
        supervisor: Supervisor, tmp_path: Path) -> None:
    """Issue 9: q took 5.8 s with chunks waiting on a 5/10s limit and 1.5 s latency. Now it
    takes what the 5 requests in flight still need (plus at most a second); the 5 chunks
    waiting on the limit go back to the queue at once, no attempt burnt."""
    import time

    store = supervisor.store
    started = chunks_started(supervisor)
    supervisor.enqueue([long_document(tmp_path / "docs", 10)], ["he"])  # max_concurrency 10
    app = app_for(supervisor, supervisor.settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(started) == 10, "every chunk started in a worker", timeout=60)
        await pilot.pause(0.3)  # five are sent, five wait on the limit
        pressed = time.monotonic()
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit, "the app to exit", timeout=30)
    took = time.monotonic() - pressed
    assert took < 1.5 + 1.0 + 1.5, f"q took {took:.1f} s"  # the requests in flight, a second, load slack
    assert task_states(store) == [("done", 0)] * 5 + [("queued", 0)] * 5


@pytest.mark.parametrize("supervisor", [{"latency_ms": 30000, "grace_s": 60}], indirect=True)
async def test_a_second_q_quits_at_once_and_the_chunks_in_flight_go_back_to_the_queue(
        supervisor: Supervisor, tmp_path: Path) -> None:
    import time

    store = supervisor.store
    started = chunks_started(supervisor)
    supervisor.enqueue([long_document(tmp_path / "docs", 4)], ["he"])
    app = app_for(supervisor, supervisor.settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(started) == 4, "four requests in flight", timeout=30)
        await pilot.pause(0.3)
        await pilot.press("q")
        await pilot.pause(0.2)
        assert not app._exit  # waiting for the requests already sent
        pressed = time.monotonic()
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit, "the app to exit", timeout=30)
    took = time.monotonic() - pressed
    assert took < 2.0, f"the second q took {took:.1f} s"  # not the 30 s the requests need
    supervisor.stop()
    assert task_states(store) == [("queued", 0)] * 4  # nothing lost, nothing burnt: sent again next run
