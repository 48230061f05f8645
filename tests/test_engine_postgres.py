"""The whole product on a PostgreSQL store, through real processes: `--batch --store URL`
translates through the simulator with every chunk paid for once, the operator commands
read the same queue with `--store` or `SCRIBE_STORE_URL`, and a bad or unreachable store
URL is one line and the right exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import open_store
from tests.engine_support import SLOW_START, assert_translated, make_corpus, run_cli, write_config

pytestmark = [pytest.mark.timeout(180), pytest.mark.usefixtures("postgres_server")]


@pytest.fixture
def sim():
    server = SimulatorServer(SimulatorConfig(latency_ms=20)).start()
    yield server
    server.stop()


def test_batch_on_a_postgres_store_translates_everything_once(tmp_path: Path, sim: SimulatorServer,
                                                              postgres_url: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=4)
    files = len(list(corpus.iterdir()))
    config = write_config(tmp_path, sim_url=sim.url)
    proc = run_cli("--batch", str(corpus), "--to", "he,de", "--config", str(config), "--store", postgres_url, "--json",
                   env=SLOW_START)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["completed"] == 2 * files and summary["failed"] == 0
    for language in ("he", "de"):
        assert assert_translated(corpus, tmp_path / "out", language) == files
    with open_store(postgres_url, tmp_path) as store:
        chunks = sum(job.chunks_total for job in store.jobs())
        assert store.task_counts()["done"] == chunks == summary["chunks"]
        assert store.workers() == []  # a supervisor that stops cleanly removes its workers
    assert int(sim.stats()["per_status"]["200"]) == chunks == summary["requests"]
    assert not (tmp_path / "data" / "jobs.db").exists()  # the queue lives in PostgreSQL only

    listed = run_cli("jobs", "list", "--config", str(config), "--json", env={"SCRIBE_STORE_URL": postgres_url})
    assert listed.returncode == 0, listed.stderr
    assert sorted(job["status"] for job in json.loads(listed.stdout)) == ["completed"] * 2 * files


def test_translate_async_then_status_with_store_flag(tmp_path: Path, postgres_url: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=2)
    files = len(list(corpus.iterdir()))
    config = write_config(tmp_path)
    queued = run_cli("translate", str(corpus), "--to", "de", "--async", "--config", str(config),
                     "--store", postgres_url, "--json")
    assert queued.returncode == 0, queued.stderr
    status = run_cli("status", "--config", str(config), "--store", postgres_url, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["jobs"]["queued"] == files


def test_a_store_url_that_is_not_postgres_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    proc = run_cli("jobs", "list", "--config", str(config), "--store", "mysql://db/scribe")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["scribe-tui: error: --store: must be a postgresql://… URL "
                                                "(leave it unset for the SQLite file in the data dir)"]


def test_an_unreachable_store_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    proc = run_cli("--batch", str(make_corpus(tmp_path / "corpus", documents=1)), "--to", "de", "--config",
                   str(config), "--store", f"postgresql://scribe:pw@/scribe?host={tmp_path}")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot connect to the job store" in lines[0] and ":pw@" not in lines[0], lines
