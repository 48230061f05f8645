"""Scaling a real run up and down through the real Supervisor API (what `+`/`-` and
--workers auto do): worker processes over HTTP to a simulator, a real job store. No chunk
may be stuck on a lease, lost, or sent twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scribe_tui.config import load_settings
from scribe_tui.engine.supervisor import Supervisor
from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from tests.engine_support import SIM_KEY_ENV, assert_translated, make_corpus, write_config
from tests.runner_support import write_paragraphs

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _sim_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SIM_KEY_ENV, "sk-test-simulator-key-0000")


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:g} s")
        time.sleep(0.05)


def live_workers(supervisor: Supervisor) -> int:
    runner = supervisor.runner
    return len(runner.pool.active()) if runner else 0


def test_a_retired_worker_gives_back_the_chunks_it_drops_and_the_job_completes(tmp_path: Path) -> None:
    """Scaling down retires a worker; chunks still in flight after its grace period are
    cancelled and must go back to the queue (not stay leased and renewed for ever)."""
    server = SimulatorServer(SimulatorConfig(latency_ms=2500)).start()
    try:
        write_paragraphs(tmp_path / "corpus", "long.txt", 16)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=2, max_concurrency=8,
                                              grace_s=0.3))
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([tmp_path / "corpus"], ["he"])
            wait_for(lambda: server.stats()["in_flight"] == 8, what="8 requests in flight")
            runner = supervisor.runner
            assert runner is not None and all(h.in_flight for h in runner.pool.active())  # both workers busy
            assert supervisor.scale_to(1) == 1
            assert supervisor.wait_until_drained(timeout=90)
            counts = {k: v for k, v in supervisor.store.task_counts().items() if v}
            jobs = supervisor.store.jobs()
        assert counts == {"done": 16}
        assert [job.status for job in jobs] == ["completed"]
        assert_translated(tmp_path / "corpus", tmp_path / "out", "he")
    finally:
        server.stop()


def test_scaling_up_and_down_during_a_run_loses_and_repeats_nothing(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=600)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=20)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=6,
                                              grace_s=10))
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([corpus], ["he"])
            wait_for(lambda: server.stats()["per_status"].get("200", 0) >= 3, what="the first replies")
            assert supervisor.scale(+2) == 3  # the '+' key, twice
            wait_for(lambda: live_workers(supervisor) == 3, what="three workers")
            wait_for(lambda: len(supervisor.store.workers()) == 3, what="three workers in the store")
            assert supervisor.snapshot().target_workers == 3
            assert supervisor.scale(-2) == 1  # the '-' key, twice
            wait_for(lambda: live_workers(supervisor) == 1, what="back to one worker")
            done_before_drain = supervisor.store.task_counts()["done"]
            assert supervisor.wait_until_drained(timeout=120)
            counts = {k: v for k, v in supervisor.store.task_counts().items() if v}
            chunks = sum(job.chunks_total for job in supervisor.store.jobs())
            workers_seen = {e.worker_id for e in supervisor.poll_events(timeout=0.01)
                            if type(e).__name__ == "WorkerStarted"}
        assert done_before_drain < chunks  # the scaling happened during the run, not after it
        assert counts == {"done": chunks}
        assert server.stats()["requests_total"] == chunks  # every chunk sent exactly once
        assert len(workers_seen) == 3
        assert_translated(corpus, tmp_path / "out", "he")
    finally:
        server.stop()
