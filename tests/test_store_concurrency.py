"""Several real processes on one job store at once (the SQLite file and a PostgreSQL
database alike): four workers leasing and recording results, a monitor reading and
cancelling meanwhile, and simultaneous opens of an old file."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scribe_tui.store import (SCHEMA_VERSION, ChunkSpec, JobStatus, JobStore, MetricRow, TaskDone, TaskRetry,
                              TaskStatus, open_store)
from scribe_tui.store.sqlite.schema import MIGRATIONS

WORKERS = 4
DOCS, CHUNKS = 50, 20  # x 2 languages = 2,000 tasks
MAX_ATTEMPTS = 10
CANCELS = 5


def fails_first_time(task_id: int, attempts: int) -> bool:
    return task_id % 7 == 0 and attempts == 0


def worker_main(url: str | None, data_dir: str, owner: str, reports: Any) -> None:
    """Lease, 'translate', record and complete until no work is left (like the engine)."""
    report: dict[str, Any] = {"owner": owner, "leased": [], "retried": [], "done_sent": 0, "ready": [],
                              "error": None}
    try:
        with open_store(url, Path(data_dir)) as store:
            store.heartbeat(owner, pid=os.getpid(), state="starting", in_flight=0, restarts=0)
            while True:
                leased = store.lease(owner, 8, 300)
                if not leased:
                    counts = store.task_counts()
                    if counts["queued"] == 0 and counts["leased"] == 0:
                        break
                    time.sleep(0.005)  # others hold leases that may come back as retries
                    continue
                report["leased"] += [t.task_id for t in leased]
                results: list[TaskDone | TaskRetry] = []
                for t in leased:
                    if fails_first_time(t.task_id, t.attempts):
                        results.append(TaskRetry(t.task_id, "Flaky", "first try fails", 0.0))
                        report["retried"].append(t.task_id)
                    else:
                        results.append(TaskDone(t.task_id, f"{owner}:{t.task_id}", t.provider, t.model,
                                                tokens_in=1, tokens_out=2, characters=3, cost_usd=0.001))
                ready = store.record_results(results, max_attempts=MAX_ATTEMPTS, owner=owner)
                for job_id in ready:
                    store.complete_job(job_id, f"out/{job_id}")
                report["ready"] += ready
                dones = [r for r in results if isinstance(r, TaskDone)]
                report["done_sent"] += len(dones)
                store.record_metrics([MetricRow(time.time(), "demo", "m", "ok", 1.0, task_id=r.task_id,
                                                tokens_in=1, tokens_out=2, worker_id=owner) for r in dones])
                store.heartbeat(owner, pid=os.getpid(), state="busy", in_flight=len(leased), restarts=0,
                                done_count=report["done_sent"])
    except Exception:
        report["error"] = traceback.format_exc()
    reports.put(report)


def monitor_main(url: str | None, data_dir: str, cancel_ids: list[int], stop: Any, reports: Any) -> None:
    """What a TUI and `scribe-tui jobs cancel` in another terminal do while the workers run."""
    report: dict[str, Any] = {"owner": "monitor", "reads": 0, "cancelled": [], "error": None}
    try:
        with open_store(url, Path(data_dir)) as store:
            pending = list(cancel_ids)
            while True:  # at least one round, even if the workers finish before we start
                store.job_counts(), store.task_counts(), store.counts_by_language(), store.workers()
                store.runnable_count(), store.next_wakeup(), store.metrics_summary(0)
                store.throughput(time.time() - 60)
                for job in store.jobs(status="processing", limit=3):
                    store.tasks_of_job(job.id)
                    store.translations(job.id)
                report["reads"] += 1
                if pending:
                    report["cancelled"] += store.cancel([pending.pop()])
                    store.set_control("last_cancel", report["cancelled"][-1])
                if stop.is_set():
                    break
                time.sleep(0.002)
            report["cancelled"] += store.cancel(pending)  # if the workers were quicker than us
    except Exception:
        report["error"] = traceback.format_exc()
    reports.put(report)


def _build(url: str | None, data_dir: Path) -> tuple[list[int], list[int]]:
    he_jobs, de_jobs = [], []
    with open_store(url, data_dir) as store:
        for d in range(DOCS):
            doc = store.add_document(f"talks/{d:03}.txt", b"source", f"h{d}", "txt",
                                     [ChunkSpec(i, f"doc {d} chunk {i}", "", 3, {}) for i in range(CHUNKS)])
            he_jobs.append(store.enqueue(doc, "he", "demo", "m", language_priority=10, output_path="o").job_id)
            de_jobs.append(store.enqueue(doc, "de", "demo", "m", language_priority=0, output_path="o").job_id)
        assert store.task_counts()["queued"] == DOCS * CHUNKS * 2
    return he_jobs, de_jobs


def _collect(reports: Any, wanted: set[str]) -> dict[str, dict[str, Any]]:
    got: dict[str, dict[str, Any]] = {}
    while not wanted <= set(got):
        report = reports.get(timeout=120)
        got[report["owner"]] = report
    return got


@pytest.mark.timeout(180)
def test_four_worker_processes_and_a_monitor_share_one_store(store_url: str | None, tmp_path: Path) -> None:
    he_jobs, de_jobs = _build(store_url, tmp_path)
    ctx = mp.get_context("spawn")
    reports, stop = ctx.Queue(), ctx.Event()
    owners = [f"w{i}" for i in range(WORKERS)]
    workers = [ctx.Process(target=worker_main, args=(store_url, str(tmp_path), owner, reports)) for owner in owners]
    monitor = ctx.Process(target=monitor_main, args=(store_url, str(tmp_path), de_jobs[-CANCELS:], stop, reports))
    for process in [monitor, *workers]:
        process.start()
    got = _collect(reports, set(owners))
    stop.set()
    got |= _collect(reports, {"monitor"})
    for process in [monitor, *workers]:
        process.join(timeout=30)
        assert process.exitcode == 0
    errors = {owner: r["error"] for owner, r in got.items() if r["error"]}
    assert errors == {}, "\n".join(errors.values())
    assert got["monitor"]["reads"] > 0 and sorted(got["monitor"]["cancelled"]) == sorted(de_jobs[-CANCELS:])
    _check_final_state(store_url, tmp_path, got, owners)


def _check_final_state(url: str | None, data_dir: Path, got: dict[str, dict[str, Any]], owners: list[str]) -> None:
    leases = Counter(t for o in owners for t in got[o]["leased"])
    retries = Counter(t for o in owners for t in got[o]["retried"])
    leased_by = {o: set(got[o]["leased"]) for o in owners}
    ready = Counter(j for o in owners for j in got[o]["ready"])
    assert max(ready.values()) == 1  # no job was handed out for assembly twice
    with open_store(url, data_dir) as store:
        jobs = store.jobs()
        assert {j.status for j in jobs} <= {JobStatus.COMPLETED, JobStatus.CANCELLED}
        total_tasks = 0
        for job in jobs:
            tasks = store.tasks_of_job(job.id)
            total_tasks += len(tasks)
            done = [t for t in tasks if t.status == TaskStatus.DONE]
            assert (job.chunks_done, job.tokens_in, job.tokens_out, job.characters) == \
                (len(done), len(done), 2 * len(done), 3 * len(done))
            assert job.cost_usd == pytest.approx(0.001 * len(done))
            assert job.attempts == sum(t.attempts for t in tasks)
            for t in done:
                owner, task_id = t.translation.split(":")
                assert int(task_id) == t.id and t.id in leased_by[owner]
            if job.status == JobStatus.COMPLETED:
                assert ready[job.id] == 1 and len(done) == CHUNKS
                for t in tasks:  # leased exactly once per attempt: never twice at the same time
                    assert leases[t.id] == 1 + retries[t.id] and t.attempts == retries[t.id]
                    assert t.attempts == (1 if t.id % 7 == 0 else 0)
            else:
                assert {t.status for t in tasks} <= {TaskStatus.DONE, TaskStatus.CANCELLED}
                assert all(leases[t.id] <= 1 + retries[t.id] for t in tasks)
        assert total_tasks == DOCS * CHUNKS * 2
        assert store.cancelled_in_flight() == []
        assert store.metrics_summary(0)["demo"]["ok"] == sum(got[o]["done_sent"] for o in owners)
        assert sorted(w.worker_id for w in store.workers()) == owners


def open_store_main(db_path: str, barrier: Any, reports: Any) -> None:
    report: dict[str, Any] = {"owner": f"opener-{os.getpid()}", "from": None, "error": None}
    try:
        barrier.wait(timeout=60)
        with JobStore(Path(db_path)) as store:
            report["from"] = store.migrated_from
            store.set_control(report["owner"], True)
    except Exception:
        report["error"] = traceback.format_exc()
    reports.put(report)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("start_version", [0, 1])
def test_processes_opening_a_file_together_migrate_it_once(tmp_path: Path, start_version: int) -> None:
    path = tmp_path / "jobs.db"
    if start_version == 1:  # an old file, still in rollback-journal mode as sqlite3 leaves it
        conn = sqlite3.connect(path, isolation_level=None)
        for statement in MIGRATIONS[0].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.close()
    ctx = mp.get_context("spawn")
    reports, barrier = ctx.Queue(), ctx.Barrier(4)
    processes = [ctx.Process(target=open_store_main, args=(str(path), barrier, reports)) for _ in range(4)]
    for process in processes:
        process.start()
    got = [reports.get(timeout=90) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert [r["error"] for r in got] == [None] * 4, [r["error"] for r in got if r["error"]]
    assert sorted(r["from"] for r in got) == [start_version] + [SCHEMA_VERSION] * 3
