"""Several supervisors on one PostgreSQL store, each with its own data directory and its own
machine name (``SCRIBE_HOST_NAME``), through real processes and the simulator: the work is
shared and every chunk is translated once; a supervisor killed mid-run leaves its chunks to
the other once their leases expire; a database restart mid-run loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import open_store
from tests.engine_support import SLOW_START, assert_translated, make_corpus, popen_cli, write_config
from tests.pg_support import PostgresServer

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("postgres_server")]



@pytest.fixture
def sim():
    server = SimulatorServer(SimulatorConfig(latency_ms=150)).start()
    yield server
    server.stop()


def start(tmp_path: Path, name: str, corpus: Path, sim: SimulatorServer, url: str, *, limits: tuple[str, ...] = (),
          **env: str) -> subprocess.Popen:
    home = tmp_path / name
    home.mkdir()
    config = write_config(home, sim_url=sim.url, max_concurrency=3, workers=1, max_tokens=50, limits=limits)
    (home / "config.toml").write_text(config.read_text().replace(f'output_dir = "{home / "out"}"',
                                                                 f'output_dir = "{tmp_path / "out"}"'))
    return popen_cli("--batch", str(corpus), "--to", "he,de", "--config", str(config), "--store", url, "--json",
                     env={**SLOW_START, "SCRIBE_HOST_NAME": name, **env})


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, dict, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, (json.loads(out) if out.strip() else {}), err


def wait_for(predicate, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def assert_all_translated(url: str, tmp_path: Path, corpus: Path) -> int:
    """Every job completed and every output right; the number of chunks."""
    with open_store(url, tmp_path) as store:
        jobs = store.jobs()
    assert {job.status for job in jobs} == {"completed"}
    files = len(list(corpus.iterdir()))
    for language in ("he", "de"):
        assert assert_translated(corpus, tmp_path / "out", language) == files
    return sum(job.chunks_total for job in jobs)


def test_two_supervisors_share_the_queue_and_translate_each_chunk_once(tmp_path: Path, sim: SimulatorServer,
                                                                       postgres_url: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=6)
    first = start(tmp_path, "host-a", corpus, sim, postgres_url)
    second = start(tmp_path, "host-b", corpus, sim, postgres_url)
    results = [finish(first), finish(second)]
    for code, summary, err in results:
        assert code == 0, err
    chunks = assert_all_translated(postgres_url, tmp_path, corpus)
    assert int(sim.stats()["per_status"]["200"]) == chunks  # every chunk paid for exactly once
    assert sum(summary["requests"] for _, summary, _ in results) == chunks
    assert all(summary["requests"] > 0 for _, summary, _ in results), [s["requests"] for _, s, _ in results]


def test_two_supervisors_share_one_rate_limit_through_the_database(tmp_path: Path, postgres_url: str) -> None:
    """The simulator enforces the limit the way a provider does (at arrival); both machines
    are configured with exactly that limit and no margin: not one 429, every chunk once."""
    limit = "6/2s"
    sim = SimulatorServer(SimulatorConfig(latency_ms=100, limits=(limit,))).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=6)
        first = start(tmp_path, "host-a", corpus, sim, postgres_url, limits=(limit,))
        second = start(tmp_path, "host-b", corpus, sim, postgres_url, limits=(limit,))
        results = [finish(first), finish(second)]
        stats = sim.stats()
    finally:
        sim.stop()
    for code, _, err in results:
        assert code == 0, err
    chunks = assert_all_translated(postgres_url, tmp_path, corpus)
    assert int(stats["per_status"].get("429", 0)) == 0, stats["per_status"]
    assert int(stats["per_status"]["200"]) == chunks  # every chunk paid for exactly once
    assert all(summary["requests"] > 0 for _, summary, _ in results), [s["requests"] for _, s, _ in results]
    with open_store(postgres_url, tmp_path) as store:  # the limits lived in the database, not the data dirs
        assert store._scalar("SELECT COUNT(*) FROM scribe_limit_rows WHERE bucket = 'sim|requests'") > 0  # noqa: SLF001
    assert not (tmp_path / "host-a" / "data" / "limits" / "sim.requests.db").exists()


def test_a_supervisor_killed_mid_run_leaves_its_chunks_to_the_other(tmp_path: Path, sim: SimulatorServer,
                                                                    postgres_url: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=6)
    short_leases = {"SCRIBE_ENGINE__LEASE_S": "6"}
    survivor = start(tmp_path, "host-a", corpus, sim, postgres_url, **short_leases)
    victim = start(tmp_path, "host-b", corpus, sim, postgres_url, **short_leases)
    wait_for(lambda: "host-b" in _owner_hosts(postgres_url, tmp_path))
    os.killpg(victim.pid, signal.SIGKILL)  # the supervisor and its workers: as if its machine died
    victim.wait(timeout=30)
    code, summary, err = finish(survivor)
    assert code == 0, err
    chunks = assert_all_translated(postgres_url, tmp_path, corpus)
    assert int(sim.stats()["per_status"]["200"]) >= chunks


def test_a_database_restart_mid_run_loses_nothing(postgres_server: PostgresServer, tmp_path: Path,
                                                  sim: SimulatorServer, postgres_url: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=6)
    proc = start(tmp_path, "host-a", corpus, sim, postgres_url)
    wait_for(lambda: _done(postgres_url, tmp_path) > 3)
    postgres_server.pg_ctl_stop("fast")  # down for longer than a connection checkout waits
    time.sleep(8)
    postgres_server.pg_ctl_start()
    code, summary, err = finish(proc)
    assert code == 0, (err, summary)
    chunks = assert_all_translated(postgres_url, tmp_path, corpus)
    assert int(sim.stats()["per_status"]["200"]) == chunks  # no reply was lost and paid for again
    assert "Traceback" not in err


def _owner_hosts(url: str, tmp_path: Path) -> set[str]:
    """The machine names in the owners of current leases (owner = sup-HOST-pid-time)."""
    with open_store(url, tmp_path) as store:
        rows = store._rows("SELECT DISTINCT lease_owner FROM tasks WHERE status = 'leased'")  # noqa: SLF001
    return {row["lease_owner"].rsplit("-", 2)[0].removeprefix("sup-") for row in rows}


def _done(url: str, tmp_path: Path) -> int:
    with open_store(url, tmp_path) as store:
        return store.task_counts()["done"]


def test_a_database_gone_for_longer_than_the_leases_stops_the_run_cleanly(
        postgres_server: PostgresServer, tmp_path: Path, sim: SimulatorServer, postgres_url: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=6)
    proc = start(tmp_path, "host-a", corpus, sim, postgres_url, SCRIBE_ENGINE__LEASE_S="4")
    wait_for(lambda: _done(postgres_url, tmp_path) > 3)
    postgres_server.pg_ctl_stop("fast")
    try:
        code, _, err = finish(proc, timeout=120)
    finally:
        postgres_server.pg_ctl_start()
    assert code == 1, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("scribe-tui: error: the job store was unreachable for") and "cached" in last, last
    assert _done(postgres_url, tmp_path) > 3  # what was recorded stays; the rest is still queued
