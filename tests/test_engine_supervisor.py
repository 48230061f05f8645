"""The supervisor API with real worker processes and a real simulator over HTTP: worker
crashes, cancel, routing to fallbacks, a disabled provider, priorities, commands from
another process through the store."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from scribe_tui.config import load_settings
from scribe_tui.engine import api
from scribe_tui.engine.supervisor import Supervisor
from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from tests.engine_support import SIM_KEY_ENV, assert_translated, make_corpus, popen_cli, run_cli, write_config

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _sim_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SIM_KEY_ENV, "sk-test-simulator-key-0000")


def successes(server: SimulatorServer) -> int:
    return int(server.stats()["per_status"].get("200", 0))


def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def collect(supervisor: Supervisor, events: list[api.Event]) -> None:
    events.extend(supervisor.poll_events(timeout=0.01))


def test_a_sigkilled_worker_is_replaced_and_nothing_is_lost(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=150)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=10)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=2, max_concurrency=6))
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([corpus], ["he"])
            wait_for(lambda: successes(server) >= 6)
            victim = supervisor.store.workers()[0]
            os.kill(victim.pid, signal.SIGKILL)
            assert supervisor.wait_until_drained(timeout=60)
            events = supervisor.poll_events(timeout=0.01)
            chunks = sum(job.chunks_total for job in supervisor.store.jobs())
            assert supervisor.store.job_counts().get("completed") == len(list(corpus.iterdir()))
        exits = [e for e in events if isinstance(e, api.WorkerExited)]
        assert any(e.replaced and e.pid == victim.pid for e in exits)
        assert_translated(corpus, tmp_path / "out", "he")
        assert successes(server) <= chunks + 6  # only the dead worker's in-flight chunks were re-sent
    finally:
        server.stop()


def test_cancel_stops_in_flight_work_for_that_job(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=1500)).start()
    try:
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "long.txt").write_text("\n\n".join(f"Paragraph {i} is here, long enough to be its own chunk." * 3
                                                     for i in range(6)))
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=4))
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([corpus], ["he"])
            job = supervisor.store.jobs()[0]
            wait_for(lambda: supervisor.store.task_counts().get("leased", 0) > 0)
            assert supervisor.cancel([job.id]) == [job.id]
            assert supervisor.wait_until_drained(timeout=30)
            assert supervisor.store.job(job.id).status == "cancelled"
            counts = supervisor.store.task_counts()
        assert counts.get("done", 0) == 0 and counts.get("leased", 0) == 0
        assert not (tmp_path / "out" / "he" / "long.txt").exists()
    finally:
        server.stop()


def test_fallback_provider_takes_over_when_the_primary_is_down(tmp_path: Path) -> None:
    down = SimulatorServer(SimulatorConfig(http_503=1.0)).start()
    up = SimulatorServer(SimulatorConfig(latency_ms=10)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=3)
        extra = f"""
[providers.primary]
kind = "openai"
base_url = "{down.url}/v1"
model = "sim-model"
api_key_env = "{SIM_KEY_ENV}"
timeout_s = 2
fallback_providers = ["sim"]
"""
        settings = load_settings(write_config(tmp_path, sim_url=up.url, extra=extra, default_provider="primary",
                                              max_attempts=20))
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([corpus], ["de"])
            assert supervisor.wait_until_drained(timeout=60)
            counts = {k: v for k, v in supervisor.store.job_counts().items() if v}
            assert counts == {"completed": len(list(corpus.iterdir()))}
            providers = {p.name: p for p in supervisor.snapshot().providers}
        assert providers["primary"].circuit in ("open", "half_open")
        assert_translated(corpus, tmp_path / "out", "de")
        # The breaker stopped the hammering: the first burst (max_concurrency, 10), the cap
        # halving to one (5, 2, 1), then failure_threshold (4) at the floor — about 22.
        assert down.stats()["requests_total"] <= 60  # its first burst, the cap's way down, the floor's failures; then none
    finally:
        down.stop()
        up.stop()


def test_a_rejected_key_disables_the_provider_and_fails_clearly(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(api_key="the-right-key")).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=2)
        config = write_config(tmp_path, sim_url=server.url)
        proc = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json", timeout=60)
        assert proc.returncode == 1
        assert "provider 'sim' rejected the key" in proc.stdout  # the --json summary's failures
        assert server.stats()["requests_total"] <= 10  # stopped at once, did not loop
    finally:
        server.stop()


def test_higher_priority_language_runs_first(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=30)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=3)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=1))
        supervisor = Supervisor(settings)
        supervisor.enqueue([corpus], ["en"])  # en: priority 0, enqueued first
        supervisor.enqueue([corpus], ["he"])  # he: priority 10
        with supervisor:
            assert supervisor.wait_until_drained(timeout=60)
            store = supervisor.store
            done = [(job.target_language, task.completed_at) for job in store.jobs()
                    for task in store.tasks_of_job(job.id)]
        # chunk by chunk (outputs are written on several threads, so job completion times may cross)
        he_last = max(at for language, at in done if language == "he")
        en_first = min(at for language, at in done if language == "en")
        assert he_last <= en_first
    finally:
        server.stop()


def test_jobs_cancel_from_another_process_reaches_a_running_batch(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=1000)).start()  # the run outlasts two CLI starts
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=8)
        config = write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=1)
        batch = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
        wait_for(lambda: successes(server) >= 1)
        listed = run_cli("jobs", "list", "--status", "queued", "--json", "--config", str(config))
        queued = [job["id"] for job in json.loads(listed.stdout)]
        assert queued, listed.stdout + listed.stderr
        cancel = run_cli("jobs", "cancel", str(queued[-1]), "--config", str(config))
        assert cancel.returncode == 0, cancel.stderr
        stdout, stderr = batch.communicate(timeout=90)
        summary = json.loads(stdout)
        assert summary["cancelled"] == 1 and summary["failed"] == 0
        assert batch.returncode == 0, stderr
    finally:
        server.stop()


def test_pause_from_the_store_stops_dispatch(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=100)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=8)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=2))
        supervisor = Supervisor(settings)
        supervisor.enqueue([corpus], ["he"])
        with supervisor:
            wait_for(lambda: successes(server) >= 2)
            supervisor.pause()
            wait_for(lambda: supervisor.snapshot().paused and supervisor.store.task_counts()["leased"] == 0)
            paused_at = server.stats()["requests_total"]
            time.sleep(1.0)
            assert server.stats()["requests_total"] == paused_at  # nothing sent while paused
            assert supervisor.store.task_counts()["queued"] > 0
            supervisor.resume()
            assert supervisor.wait_until_drained(timeout=60)
        assert_translated(corpus, tmp_path / "out", "he")
    finally:
        server.stop()


def test_a_new_run_does_not_inherit_a_pause(tmp_path: Path) -> None:
    """A pause (or a worker count) given in an earlier session must not leave a later
    --batch waiting forever."""
    server = SimulatorServer(SimulatorConfig(latency_ms=5)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=2)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1))
        earlier = Supervisor(settings)
        earlier.pause()
        earlier.scale_to(3)
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([corpus], ["he"])
            assert supervisor.wait_until_drained(timeout=60)
            assert supervisor.runner.target_workers == 1
        assert_translated(corpus, tmp_path / "out", "he")
    finally:
        server.stop()


def test_cancel_then_retry_within_one_tick_never_sends_a_running_chunk_twice(tmp_path: Path) -> None:
    """A person cancels a job and changes their mind at once: the chunks still in flight are
    the job's again, not aborted and re-sent (paid twice)."""
    from tests.runner_support import write_paragraphs

    server = SimulatorServer(SimulatorConfig(latency_ms=2000)).start()
    try:
        write_paragraphs(tmp_path / "corpus", "long.txt", 4)  # free slots left over: a requeued chunk would go out
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=8))
        with Supervisor(settings) as supervisor:
            supervisor.enqueue([tmp_path / "corpus"], ["he"])
            job = supervisor.store.jobs()[0]
            wait_for(lambda: server.stats()["in_flight"] == 4)
            assert supervisor.cancel([job.id]) == [job.id]
            assert supervisor.retry([job.id]) == 1
            assert supervisor.wait_until_drained(timeout=60)
            assert supervisor.store.job(job.id).status == "completed"
        assert server.stats()["requests_total"] == 4
        assert_translated(tmp_path / "corpus", tmp_path / "out", "he")
    finally:
        server.stop()


def test_a_quick_stop_gives_back_chunks_waiting_on_a_limit_at_once(tmp_path: Path) -> None:
    """The TUI's `q`: with 5 requests of 1.5 s in flight and the rest waiting on a 5/10s
    limit, stopping takes about what the requests in flight still need — not the grace
    period — and the waiting chunks go back to the queue with no attempt burnt."""
    from scribe_tui.store import JobStore
    from tests.runner_support import write_paragraphs

    server = SimulatorServer(SimulatorConfig(latency_ms=1500)).start()
    supervisor = None
    try:
        write_paragraphs(tmp_path / "corpus", "long.txt", 12)
        settings = load_settings(write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=10,
                                              limits=("5/10s",), grace_s=10))
        supervisor = Supervisor(settings)
        supervisor.start()
        supervisor.enqueue([tmp_path / "corpus"], ["he"])
        wait_for(lambda: server.stats()["in_flight"] == 5)
        # all 12 held: 10 in the worker's slots (5 sent, 5 waiting on the limit), 2 in its backlog
        wait_for(lambda: supervisor.runner is not None and supervisor.runner.pool.in_flight() == 12)
        started = time.monotonic()
        supervisor.stop(release_waiting=True)
        took = time.monotonic() - started
        requests = server.stats()["requests_total"]
    finally:
        if supervisor is not None:
            supervisor.stop()
        server.stop()
    assert took < 1.5 + 1.0 + 1.5, f"stopping took {took:.1f} s"  # the requests in flight, 1 s, load slack
    store = JobStore.open(tmp_path / "data")
    try:
        tasks = store.tasks_of_job(store.jobs()[0].id)
    finally:
        store.close()
    assert sorted(t.status for t in tasks) == ["done"] * 5 + ["queued"] * 7  # sent ones recorded, none leased
    assert all(t.attempts == 0 for t in tasks)
    assert requests == 5
