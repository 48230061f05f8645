"""`scribe-tui translate`: --async only enqueues (a later run does the work), --from-list
migrates pending work from a CSV/JSON Lines list and reports bad rows with line numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import JobStore
from tests.engine_support import assert_translated, make_corpus, run_cli, write_config

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


@pytest.fixture
def sim():
    server = SimulatorServer(SimulatorConfig(latency_ms=5)).start()
    yield server
    server.stop()


def test_async_enqueues_and_a_later_batch_does_the_work(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=2)
    config = write_config(tmp_path, sim_url=sim.url)
    queued = run_cli("translate", str(corpus), "--to", "de", "--async", "--json", "--config", str(config))
    assert queued.returncode == 0, queued.stderr
    report = json.loads(queued.stdout)
    assert report["jobs_created"] == report["documents"] == len(list(corpus.iterdir()))
    assert sim.stats()["requests_total"] == 0  # nothing translated yet
    again = run_cli("translate", str(corpus), "--to", "de", "--async", "--json", "--config", str(config))
    assert json.loads(again.stdout)["jobs_created"] == 0  # idempotent
    run = run_cli("--batch", "--config", str(config), "--json")  # no PATH: run what is queued
    assert run.returncode == 0, run.stderr
    assert_translated(corpus, tmp_path / "out", "de")


def test_from_list_enqueues_good_rows_and_reports_bad_ones(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=2)
    rows = ["path,language,priority", f"{corpus / 'talk0.txt'},he,high", f"{corpus / 'talk1.txt'},de,normal",
            f"{corpus / 'missing.txt'},he,normal", f"{corpus / 'film.srt'},xx,normal"]
    listing = tmp_path / "pending.csv"
    listing.write_text("\n".join(rows) + "\n")
    config = write_config(tmp_path, sim_url=sim.url)
    proc = run_cli("translate", "--from-list", str(listing), "--async", "--json", "--config", str(config))
    assert proc.returncode == 1  # bad rows were reported
    assert f"{listing}:4" in proc.stderr and f"{listing}:5" in proc.stderr
    store = JobStore.open(tmp_path / "data")
    try:
        jobs = {(Path(j.path).name, j.target_language): j for j in store.jobs()}
    finally:
        store.close()
    assert set(jobs) == {("talk0.txt", "he"), ("talk1.txt", "de")}
    assert jobs[("talk0.txt", "he")].priority > jobs[("talk1.txt", "de")].priority
