"""The runner stepped one iteration at a time with a clock the test moves (as huey's tests
step its consumer): the real worker loop, gateway, store and writer on threads of this
process, a scripted provider. Each test says what one ``step(now)`` does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scribe_tui.engine import api
from scribe_tui.engine.intake import enqueue_paths
from scribe_tui.engine.runner import HOUSEKEEPING_S, STARTUP_GRACE_S, STORE_RETRY_S, StoreOutage
from scribe_tui.store import StoreError
from tests.runner_support import ScriptedProvider, SteppedRun, stepped_run, write_paragraphs

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
def run(tmp_path: Path, provider: ScriptedProvider) -> Iterator[SteppedRun]:
    stepped = stepped_run(tmp_path, provider)
    stepped.runner.start()
    try:
        yield stepped
    finally:
        provider.release()
        provider.unblock.set()
        stepped.runner.shutdown()


def enqueue(run: SteppedRun, tmp_path: Path, name: str = "a.txt", chunks: int = 6, language: str = "he") -> int:
    path = write_paragraphs(tmp_path / "corpus", name, chunks)
    _, job_ids = enqueue_paths(run.store, run.settings, [path], [language])
    return job_ids[0]


def test_a_step_leases_each_workers_share_and_backlog_and_only_the_cap_reaches_the_provider(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path) -> None:
    provider.hold_all = True
    enqueue(run, tmp_path, chunks=10)
    run.step()
    assert run.runner.pool.in_flight() == 6  # max_concurrency 3, and a backlog of 3 behind it
    assert run.task_counts() == {"leased": 6, "queued": 4}
    run.step_until(lambda: len(provider.calls) == 3)
    run.tick(HOUSEKEEPING_S)
    assert len(provider.calls) == 3  # the backlog waits in the worker, not at the provider
    assert run.task_counts() == {"leased": 6, "queued": 4}
    assert [e.chunk_index for e in run.of(api.ChunkStarted)] == [0, 1, 2]  # started = sent, in chunk order


def test_a_reply_starts_the_next_backlog_chunk_inside_the_worker(run: SteppedRun, provider: ScriptedProvider,
                                                                  tmp_path: Path) -> None:
    """No supervisor round trip between a reply and the next request: with the clock frozen
    and no step taken, the worker refills its own slots from its backlog."""
    provider.hold_all = True
    enqueue(run, tmp_path, chunks=6)
    run.step_until(lambda: len(provider.calls) == 3)
    provider.release()  # the three replies come back; nobody steps the runner
    deadline = time.monotonic() + 10
    while len(provider.calls) < 6 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(provider.calls) == 6
    run.step_until(lambda: run.task_counts() == {"done": 6})


def test_a_result_is_recorded_at_the_next_step_and_its_slot_refilled(run: SteppedRun, provider: ScriptedProvider,
                                                                     tmp_path: Path) -> None:
    job_id = enqueue(run, tmp_path)
    run.step_until(lambda: run.task_counts().get("done") == 6)
    run.step_until(lambda: any(isinstance(e, api.JobFinished) for e in run.events))
    finished = run.of(api.JobFinished)[0]
    assert finished.job_id == job_id and finished.status == "completed"
    assert Path(finished.output_path).read_text() == (tmp_path / "corpus" / "a.txt").read_text()  # echoed
    assert len(provider.calls) == 6  # each chunk sent once


def test_a_retry_waits_out_its_backoff_on_the_runners_clock(run: SteppedRun, provider: ScriptedProvider,
                                                            tmp_path: Path) -> None:
    provider.failures["mark0x"] = 1
    enqueue(run, tmp_path, chunks=1)
    run.step_until(lambda: run.of(api.RetryScheduled) != [])
    for _ in range(20):  # the clock stands still: the backoff never runs out
        run.step()
    assert provider.calls_with("mark0x") == 1
    assert run.task_counts() == {"queued": 1}
    run.tick(run.settings.retry.max_delay_s + 0.01)  # the longest backoff the policy gives
    run.step_until(lambda: run.task_counts() == {"done": 1})
    assert provider.calls_with("mark0x") == 2
    assert run.store.tasks_of_job(run.store.jobs()[0].id)[0].attempts == 1


def test_housekeeping_reads_commands_once_per_tick_of_the_runners_clock(run: SteppedRun, provider: ScriptedProvider,
                                                                        tmp_path: Path) -> None:
    run.step()  # housekeeping ran at start; the next one is a quarter second away
    run.store.set_control("paused", True)
    provider.hold_all = True
    enqueue(run, tmp_path, chunks=10)
    run.runner.wake()
    run.step()
    assert not run.runner.paused and run.task_counts().get("leased") == 6  # not read yet: dispatched
    run.step_until(lambda: len(provider.calls) == 3)
    run.tick(HOUSEKEEPING_S)
    assert run.runner.paused
    run.step_until(lambda: run.task_counts() == {"leased": 3, "queued": 7})  # the backlog came back
    provider.release()
    run.step_until(lambda: run.task_counts().get("done") == 3)
    for _ in range(5):
        run.step()
    assert run.task_counts() == {"done": 3, "queued": 7}  # paused: nothing more sent
    assert len(provider.calls) == 3
    run.store.set_control("paused", False)
    run.tick(HOUSEKEEPING_S)
    run.step_until(lambda: run.task_counts() == {"done": 10})


def test_an_idle_runner_looks_again_after_half_a_second_or_when_woken(run: SteppedRun, provider: ScriptedProvider,
                                                                      tmp_path: Path) -> None:
    run.step()  # nothing queued: the dispatcher idles for half a second of the runner's clock
    enqueue(run, tmp_path, chunks=1)
    run.step()
    assert run.task_counts() == {"queued": 1}
    run.runner.wake()  # what Supervisor.enqueue does
    run.step()
    assert run.task_counts() == {"leased": 1}
    run.step_until(lambda: run.task_counts() == {"done": 1})
    enqueue(run, tmp_path, name="b.txt", chunks=1)
    run.step()
    run.step()
    assert run.task_counts() == {"done": 1, "queued": 1}
    run.clock.advance(0.5)
    run.step()
    assert run.task_counts() == {"done": 1, "leased": 1}


def test_a_dead_worker_is_replaced_and_its_chunks_requeued_with_no_attempt_burnt(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path) -> None:
    provider.hold_all = True
    enqueue(run, tmp_path)
    run.step_until(lambda: len(provider.calls) == 3)
    first = run.runner.pool.workers["w1"]
    first.process.kill()
    first.process.join(timeout=5)
    run.tick(HOUSEKEEPING_S)
    exited = run.of(api.WorkerExited)
    assert [(e.worker_id, e.replaced) for e in exited] == [("w1", True)]
    assert set(run.runner.pool.workers) == {"w2"}
    assert run.runner.totals.worker_restarts == 1
    provider.release()
    run.step_until(lambda: run.task_counts() == {"done": 6})
    assert all(task.attempts == 0 for task in run.store.tasks_of_job(run.store.jobs()[0].id))


def test_a_worker_whose_loop_is_stuck_is_killed_after_the_heartbeat_timeout(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path) -> None:
    provider.block_loop = threading.Event()
    provider.block_loop.set()
    enqueue(run, tmp_path, chunks=1)
    run.step_until(lambda: provider.loop_blocked.is_set())
    run.tick(HOUSEKEEPING_S)  # take every heartbeat already sent
    run.tick(run.settings.engine.heartbeat_timeout_s - HOUSEKEEPING_S)
    assert "w1" in run.runner.pool.workers  # not over the timeout yet
    provider.block_loop.clear()
    threading.Timer(0.2, provider.unblock.set).start()  # let the stuck thread go once it is killed
    run.tick(HOUSEKEEPING_S + 0.01)
    assert set(run.runner.pool.workers) == {"w2"}
    run.step_until(lambda: run.task_counts() == {"done": 1})


def test_a_cancel_reaches_the_worker_when_two_ticks_in_a_row_see_it(run: SteppedRun, provider: ScriptedProvider,
                                                                     tmp_path: Path) -> None:
    provider.hold_all = True
    job_id = enqueue(run, tmp_path)
    run.step_until(lambda: len(provider.calls) == 3)
    run.tick(HOUSEKEEPING_S)
    run.store.cancel([job_id])
    run.step()
    assert run.runner.pool.in_flight() == 6  # not read until the next tick
    run.tick(HOUSEKEEPING_S)
    assert run.runner.pool.in_flight() == 6  # seen once: a retry may still follow
    run.tick(HOUSEKEEPING_S)
    assert run.runner.pool.in_flight() == 0
    run.step_until(lambda: run.task_counts() == {"cancelled": 6} and run.store.cancelled_in_flight() == [])
    assert run.store.job(job_id).status == "cancelled"


def test_drained_once_nothing_is_runnable_or_in_flight(run: SteppedRun, provider: ScriptedProvider,
                                                       tmp_path: Path) -> None:
    enqueue(run, tmp_path)
    run.step()
    run.tick(HOUSEKEEPING_S)
    assert not run.runner.drained.is_set()
    run.step_until(lambda: run.of(api.JobFinished) != [])
    run.tick(HOUSEKEEPING_S)
    assert run.runner.drained.is_set()
    assert [e.parked for e in run.of(api.Drained)] == [0]


def test_a_worker_still_starting_up_is_given_the_start_up_grace(tmp_path: Path, provider: ScriptedProvider) -> None:
    """Importing the SDK on a loaded machine can take longer than the heartbeat timeout: a
    worker that has not sent its first heartbeat yet is starting, not stuck."""
    provider.startup_gate = threading.Event()
    run = stepped_run(tmp_path, provider)
    run.runner.start()
    try:
        enqueue(run, tmp_path, chunks=1)
        run.step()
        run.tick(run.settings.engine.heartbeat_timeout_s + 1)
        assert set(run.runner.pool.workers) == {"w1"}  # still starting: not killed
        run.tick(STARTUP_GRACE_S)
        assert set(run.runner.pool.workers) == {"w2"}  # silent for the whole grace: replaced
        provider.startup_gate.set()
        run.step_until(lambda: run.task_counts() == {"done": 1})
        run.tick(HOUSEKEEPING_S)
        run.tick(run.settings.engine.heartbeat_timeout_s - HOUSEKEEPING_S)
        assert set(run.runner.pool.workers) == {"w2"}
    finally:
        provider.release()
        run.runner.shutdown()


def test_chunks_a_retiring_worker_drops_go_back_to_the_queue_with_no_attempt_burnt(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path) -> None:
    provider.hold_all = True
    enqueue(run, tmp_path)
    run.step_until(lambda: len(provider.calls) == 3)
    run.runner.pool.retire(run.runner.pool.workers["w1"], grace_s=0.0)  # what scaling down does
    run.step_until(lambda: run.runner.pool.in_flight() == 0)
    run.step()
    assert run.task_counts() == {"queued": 6}
    assert all(task.attempts == 0 for task in run.store.tasks_of_job(run.store.jobs()[0].id))


def test_a_retry_within_a_tick_of_the_cancel_leaves_the_running_chunks_alone(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path) -> None:
    provider.hold_all = True
    job_id = enqueue(run, tmp_path)
    run.step_until(lambda: len(provider.calls) == 3)
    run.tick(HOUSEKEEPING_S)
    run.store.cancel([job_id])
    run.tick(HOUSEKEEPING_S)  # the cancel is seen once
    assert run.store.retry([job_id]) == [job_id]
    run.tick(HOUSEKEEPING_S)
    run.tick(HOUSEKEEPING_S)
    assert run.runner.pool.in_flight() == 6  # never aborted
    provider.release()
    run.step_until(lambda: run.task_counts() == {"done": 6})
    assert len(provider.calls) == 6  # each chunk sent once


def test_results_are_kept_while_the_store_fails_and_recorded_once_it_works(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    enqueue(run, tmp_path, chunks=3)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise StoreError("jobs.db: disk I/O error")

    monkeypatch.setattr(run.store, "record_results", disk_full)
    run.step_until(lambda: len(run.runner.recorder.writes.results) == 3)
    run.tick(run.settings.engine.store_outage_s - 1)  # within the allowance: no stop
    assert [e.level for e in run.of(api.Notice)] == ["warning"]
    monkeypatch.undo()
    run.tick(STORE_RETRY_S)
    assert run.task_counts() == {"done": 3}
    assert run.runner.recorder.writes.results == []
    assert len(provider.calls) == 3


def test_a_store_down_past_the_allowance_stops_the_run_and_shutdown_still_ends(
        run: SteppedRun, provider: ScriptedProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    enqueue(run, tmp_path, chunks=3)

    def locked(*args: object, **kwargs: object) -> None:
        raise StoreError("jobs.db: database is locked")

    provider.hold_all = True
    run.step_until(lambda: len(provider.calls) == 3)
    for name in ("record_results", "release", "remove_worker", "set_control", "workers"):
        monkeypatch.setattr(run.store, name, locked)
    provider.release()
    run.step_until(lambda: len(run.runner.recorder.writes.results) == 3)
    with pytest.raises(StoreOutage, match="could not be written for"):
        run.tick(run.settings.engine.store_outage_s)
    run.runner.shutdown()  # every store write fails again: it must still end, and say so
    assert run.runner.drained.is_set()
