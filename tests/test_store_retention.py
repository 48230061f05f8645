"""Retention: ``purge_finished`` on a real SQLite store takes what finished jobs left behind
and never a byte of unfinished work; ``scribe-tui gc`` and the purge at supervisor start
drive it through the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import ChunkSpec, JobStore, MetricRow, TaskDone
from tests.engine_support import run_cli, write_config

DAY = 86_400.0
NOW = 2_000_000_000.0


@pytest.fixture
def store(tmp_path: Path):
    with JobStore(tmp_path / "jobs.db") as s:
        yield s


def add_job(store: JobStore, name: str, lang: str = "de", source: bytes = b"source text") -> int:
    doc = store.add_document(name, source, f"hash-{name}", "txt", [ChunkSpec(0, "text", "", 5, {})])
    return store.enqueue(doc, lang, "demo", "m", output_path=f"out/{lang}/{name}").job_id


def finish(store: JobStore, job_id: int, at: float) -> None:
    [task] = [t for t in store.lease("w", 100, 60, now=at) if t.job_id == job_id]
    store.record_results([TaskDone(task.task_id, "übersetzt", "demo", "m")], max_attempts=3, now=at)
    store.release("w")  # the other jobs' tasks go back to the queue
    store.complete_job(job_id, f"out/{job_id}", now=at)


def metric(job_id: int | None, ts: float) -> MetricRow:
    return MetricRow(ts=ts, provider="demo", model="m", outcome="ok", duration_ms=5.0, job_id=job_id)


def test_purge_takes_old_finished_jobs_and_keeps_everything_unfinished(store: JobStore) -> None:
    old = add_job(store, "old.txt", source=b"x" * 1000)
    recent = add_job(store, "recent.txt")
    cancelled = add_job(store, "gone.txt")
    shared_old = add_job(store, "shared.txt", "de")
    shared_live = add_job(store, "shared.txt", "he")  # same document, still queued
    live = add_job(store, "live.txt")
    finish(store, old, NOW - 40 * DAY)
    finish(store, shared_old, NOW - 40 * DAY)
    finish(store, recent, NOW - 2 * DAY)
    store.cancel([cancelled])
    with store._write() as db:  # it was cancelled long ago
        db.execute("UPDATE jobs SET completed_at = ?, created_at = ? WHERE id = ?", (NOW - 50 * DAY, NOW - 50 * DAY,
                                                                                      cancelled))
        db.execute("UPDATE documents SET created_at = ?", (NOW - 60 * DAY,))
    store.record_metrics([metric(old, NOW - 40 * DAY), metric(None, NOW - 40 * DAY), metric(live, NOW - 40 * DAY),
                          metric(recent, NOW - 2 * DAY), metric(None, NOW - DAY)])

    dry = store.purge_finished(NOW - 30 * DAY, dry_run=True)
    assert (dry.jobs, dry.documents, dry.translations, dry.metrics) == (3, 2, 2, 2)
    assert dry.source_bytes == 1000 + len(b"source text") and dry.dry_run
    assert len(store.jobs()) == 6  # a dry run changes nothing

    report = store.purge_finished(NOW - 30 * DAY)
    assert report.as_dict() == {**dry.as_dict(), "dry_run": False}
    remaining = {job.id for job in store.jobs()}
    assert remaining == {recent, shared_live, live}
    assert store.job(shared_live).status in ("queued", "processing") and store.tasks_of_job(shared_live)
    assert store.document_source(store.job(shared_live).document_id)[2] == b"source text"  # still needed
    assert store.translations(recent) == {0: "übersetzt"}
    kept = store._rows("SELECT job_id, ts FROM metrics ORDER BY ts")
    assert [(row["job_id"], row["ts"]) for row in kept] == [(live, NOW - 40 * DAY), (recent, NOW - 2 * DAY),
                                                            (None, NOW - DAY)]
    assert store.purge_finished(NOW - 30 * DAY).jobs == 0  # nothing left to take


@pytest.mark.timeout(180)
def test_gc_from_the_cli_on_a_real_store_spares_queued_work(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=5)).start()
    try:
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "done.txt").write_text("Translated in the first run.\n")
        (tmp_path / "later.txt").write_text("Only enqueued, never run.\n")
        config = write_config(tmp_path, sim_url=server.url, workers=1, heartbeat_timeout_s=60)
        assert run_cli("--batch", str(corpus), "--to", "he", "--config", str(config)).returncode == 0
        queued = run_cli("translate", "--async", str(tmp_path / "later.txt"), "--to", "he", "--config", str(config))
        assert queued.returncode == 0, queued.stderr

        assert run_cli("gc", "--help").returncode == 0
        kept = run_cli("gc", "--config", str(config), "--json")  # default: 30 days; nothing that old
        assert json.loads(kept.stdout)["jobs"] == 0
        dry = run_cli("gc", "--older-than", "0", "--dry-run", "--config", str(config))
        assert dry.returncode == 0 and dry.stdout.startswith("would purge 1 job(s)")
        purged = run_cli("gc", "--older-than", "0", "--config", str(config), "--json")
        assert purged.returncode == 0, purged.stderr
        report = json.loads(purged.stdout)
        assert (report["jobs"], report["documents"], report["translations"]) == (1, 1, 1)
        assert report["metrics"] >= 1 and report["older_than_days"] == 0
        with JobStore.open(tmp_path / "data") as store:
            [job] = store.jobs()
            assert job.path.endswith("later.txt") and job.status == "queued"
        assert (tmp_path / "out" / "he" / "done.txt").exists()  # outputs are never deleted
        rest = run_cli("--batch", "--config", str(config), "--json")  # the queued work still runs
        assert rest.returncode == 0 and json.loads(rest.stdout)["completed"] == 1
        assert run_cli("gc", "--older-than", "-1", "--config", str(config)).returncode == 2
    finally:
        server.stop()


@pytest.mark.timeout(180)
def test_a_run_purges_jobs_past_the_retention_setting_when_it_starts(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("Finished long ago.\n")
    config = write_config(tmp_path, workers=1, heartbeat_timeout_s=60, extra="[retention]\ndays = 30\n")
    assert run_cli("--batch", str(tmp_path / "old.txt"), "--to", "he", "--config", str(config)).returncode == 0
    with JobStore.open(tmp_path / "data") as store:
        with store._write() as db:
            db.execute("UPDATE jobs SET completed_at = ?", (time.time() - 31 * DAY,))
    assert run_cli("--batch", "--config", str(config), "--json").returncode == 0
    with JobStore.open(tmp_path / "data") as store:
        assert store.jobs() == []
