"""The limits through the real path — `scribe-tui --batch` with several worker processes, the
official openai SDK over HTTP to the simulator — each checked against the simulator's own log
of what arrived: a 429 pausing every worker process, a quota parked on a short window and
resumed after its reset, an outage that opens the breaker, an overloaded server that lowers
the concurrency cap without ever opening it, and replies three times longer in tokens than
estimated under a tokens limit."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from scribe_tui.limits.provider_state import read_provider_states
from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from tests.engine_support import assert_translated, make_corpus, popen_cli, run_cli, wait_for, write_config

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]


def short_documents(root: Path, count: int, words: int = 4) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / f"doc{i:02}.txt").write_text(" ".join(["word"] * words) + f" number {i}.\n")
    return root


def batch_against(tmp_path: Path, sim: SimulatorConfig, documents: int, words: int = 4,
                  **config: object) -> tuple[dict, dict]:
    """Run ``--batch`` over short documents against a simulator; (summary, the simulator's
    stats). Fails with the run's stderr when it does not exit 0."""
    server = SimulatorServer(sim).start()
    try:
        cfg = write_config(tmp_path, sim_url=server.url, **config)  # type: ignore[arg-type]
        proc = run_cli("--batch", str(short_documents(tmp_path / "corpus", documents, words)), "--to", "he",
                       "--config", str(cfg), "--json", timeout=180)
        stats = server.stats()
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), stats




def wall_offset() -> float:
    """Add to the simulator's monotonic times to get wall-clock times (it runs on a thread of
    this process: one monotonic clock)."""
    return time.time() - time.monotonic()


def translated_at(data_dir: Path) -> list[tuple[float, str]]:
    """(wall time, worker id) of every chunk a worker process translated, from the logs."""
    out = []
    for line in (data_dir / "logs" / "scribe-tui.log").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("event") == "chunk translated" and not entry.get("cached"):
            stamp = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")).timestamp()
            out.append((stamp, entry["worker_id"]))
    return out


def task_attempts(data_dir: Path) -> list[int]:
    conn = sqlite3.connect(data_dir / "jobs.db")
    try:
        return [int(row[0]) for row in conn.execute("SELECT attempts FROM tasks")]
    finally:
        conn.close()


class StateSampler(threading.Thread):
    """Samples a provider's shared state while a run goes on."""

    def __init__(self, data_dir: Path, provider: str = "sim"):
        super().__init__(daemon=True)
        self.data_dir, self.provider = data_dir, provider
        self.circuits: set[str] = set()
        self.caps: list[int] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.02):
            state = read_provider_states(self.data_dir).get(self.provider)
            if state is not None:
                self.circuits.add(state.circuit)
                self.caps.append(state.cap)


def test_a_429_pauses_every_worker_process_and_costs_no_attempt(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=100)).start()
    try:
        config = write_config(tmp_path, sim_url=server.url, workers=4, max_concurrency=8)
        proc = popen_cli("--batch", str(short_documents(tmp_path / "corpus", 60)), "--to", "he",
                         "--config", str(config), "--json")
        wait_for(lambda: server.stats()["admitted"] >= 12, 120, "the run to be under way")
        server.control(limits=["1/4s"])  # the server turns strict: the next request but one is refused
        wait_for(lambda: server.stats()["rate_limited"] >= 1, 30, "a 429")
        time.sleep(4.5)  # the pause (Retry-After: 4) ends; the server's window has room again
        server.control(limits=[])
        stdout, stderr = proc.communicate(timeout=180)
        stats = server.stats()
    finally:
        server.stop()
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["rate_limited"] >= 1 and summary["retries"] == 0 and summary["failed"] == 0
    assert task_attempts(tmp_path / "data") == [0] * 60  # a 429 is the limiter's miss, never the chunk's
    first_429 = min(stats["refusals"])
    during_pause = [t for t in stats["arrivals"] if first_429 + 0.5 < t < first_429 + 3.5]
    assert during_pause == []  # no worker process sent anything until the Retry-After was over
    offset = wall_offset()
    before = {worker for at, worker in translated_at(tmp_path / "data") if at < first_429 + offset}
    after = {worker for at, worker in translated_at(tmp_path / "data") if at > first_429 + offset + 3.5}
    assert len(before) >= 2 and len(after) >= 2  # several processes were at work on both sides of it


def test_a_quota_parked_on_a_short_window_resumes_after_its_reset(tmp_path: Path) -> None:
    """"3/10s" made quota-like (quota_from_s = 10, a test setting): fixed periods, like a day's
    from midnight UTC. The run parks what does not fit, waits for the reset, and completes."""
    summary, stats = batch_against(tmp_path, SimulatorConfig(latency_ms=20), 7, limits=("3/10s",), workers=2,
                                   provider_keys="quota_from_s = 10")
    assert summary["completed"] == 7 and summary["parked"] == 0 and summary["rate_limited"] == 0
    offset = wall_offset()
    periods: dict[int, int] = {}
    for arrival in stats["arrivals"]:
        periods[int((arrival + offset) // 10)] = periods.get(int((arrival + offset) // 10), 0) + 1
    detail = sorted(round((arrival + offset) % 100, 3) for arrival in stats["arrivals"])
    assert max(periods.values()) <= 3 and len(periods) >= 3, (periods, detail)  # parked, resumed after each reset


def test_an_outage_opens_the_breaker_and_the_run_completes_untouched(tmp_path: Path) -> None:
    config = SimulatorConfig(latency_ms=10, limits=("20/second",), http_500=0.03, http_503=0.03, drop=0.02,
                             malformed=0.02, seed=7)
    server = SimulatorServer(config).start()
    sampler = StateSampler(tmp_path / "data")
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=8)
        cfg = write_config(tmp_path, sim_url=server.url, max_concurrency=8, max_attempts=30)
        proc = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(cfg), "--json")
        sampler.start()
        wait_for(lambda: server.stats()["admitted"] >= 10, 120, "the run to be under way")
        server.control(http_503=1.0, http_500=0.0, drop=0.0, malformed=0.0)  # an outage…
        outage_from = server.stats()["now"]
        wait_for(lambda: "open" in sampler.circuits, 60, "the breaker to open")
        outage_to = server.stats()["now"]
        server.control(http_503=0.03, http_500=0.03)  # …and recovery
        stdout, stderr = proc.communicate(timeout=180)
        stats = server.stats()
    finally:
        sampler.halt.set()
        server.stop()
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["failed"] == 0 and summary["retries"] > 0
    assert_translated(corpus, tmp_path / "out", "he")
    during = [t for t in stats["arrivals"] if outage_from <= t <= outage_to]
    assert during and stats["faults"].get("http_503", 0) >= len(during) // 2  # the outage overlapped the run
    assert max(stats["admissions"]) > outage_to  # and it went on after it


def test_an_overloaded_server_lowers_the_cap_and_never_opens_the_breaker(tmp_path: Path) -> None:
    """A self-hosted-style server answers 503 beyond 3 requests in flight; we start at 16."""
    server = SimulatorServer(SimulatorConfig(latency_ms=50, max_in_flight=3)).start()
    sampler = StateSampler(tmp_path / "data")
    try:
        config = write_config(tmp_path, sim_url=server.url, workers=2, max_concurrency=16, max_attempts=10)
        proc = popen_cli("--batch", str(short_documents(tmp_path / "corpus", 80)), "--to", "he",
                         "--config", str(config), "--json")
        sampler.start()
        stdout, stderr = proc.communicate(timeout=180)
        stats = server.stats()
    finally:
        sampler.halt.set()
        server.stop()
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["completed"] == 80 and summary["failed"] == 0
    assert sampler.circuits <= {"closed"}  # never open: the cap answered the burst
    assert any(0 < cap <= 4 for cap in sampler.caps)  # it came down to what the server takes
    overloaded = stats["faults"].get("overloaded", 0)
    assert 0 < overloaded < 80  # some probing above the server's capacity, not a storm


@pytest.mark.parametrize("workers", [2])
def test_replies_three_times_longer_than_estimated_stay_under_a_tokens_limit(tmp_path: Path, workers: int) -> None:
    sim = SimulatorConfig(latency_ms=30, reply_token_factor=3.0, limits=("6000 tokens/10s",))
    summary, stats = batch_against(tmp_path, sim, 60, words=40, limits=("6000 tokens/10s",), workers=workers,
                                   max_concurrency=16)
    assert summary["completed"] == 60 and summary["rate_limited"] == 0 and stats["rate_limited"] == 0
    assert summary["tokens_out"] > 2.5 * 60 * 40 // 4  # the replies really were long
