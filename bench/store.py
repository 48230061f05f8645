"""Lease/record speed of the SQLite job store with ~100k tasks (prints figures; asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/store.py [--tasks 100000] [--batch 20]

Cases: leasing from a full queue; leasing when nearly every task is deferred into the
future (the lease query has to walk past them); the read calls a TUI polls.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from scribe_tui.store import ChunkSpec, JobStore, TaskDefer, TaskDone


def build(store: JobStore, tasks: int, per_doc: int = 100) -> None:
    for d in range(tasks // per_doc // 2):
        chunks = [ChunkSpec(i, f"chunk {i} of doc {d} " * 20, "", 100, {}) for i in range(per_doc)]
        doc = store.add_document(f"doc{d}.txt", b"x", f"h{d}", "txt", chunks)
        for lang, lp in (("he", 10), ("de", 5)):
            store.enqueue(doc, lang, "demo", "m", language_priority=lp, priority=d % 3 - 1, output_path="o")


def timed(label: str, fn, repeat: int) -> None:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    per = (time.perf_counter() - start) / repeat * 1000
    print(f"{label:<55} {per:8.2f} ms/call")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = JobStore(Path(tmp) / "jobs.db")
        start = time.perf_counter()
        build(store, args.tasks)
        print(f"built {store.task_counts()['queued']} tasks in {time.perf_counter() - start:.1f} s")

        def lease_and_finish() -> None:
            leased = store.lease("bench", args.batch, 60)
            store.record_results([TaskDone(t.task_id, "x", "demo", "m", 1, 1, 1) for t in leased], max_attempts=5)

        timed(f"lease {args.batch} + record {args.batch} Done (full queue)", lease_and_finish, 200)
        far = time.time() + 3600
        leased = store.lease("bench", 1_000_000, 60)
        keep = leased[-args.batch:]
        store.record_results([TaskDefer(t.task_id, far, "parked") for t in leased[:-args.batch]], max_attempts=5)
        store.release("bench")
        print(f"deferred {len(leased) - len(keep)} tasks; {store.runnable_count()} runnable at the end of the order")
        timed("lease when all but the last tasks are deferred", lambda: store.release("bench", [
            t.task_id for t in store.lease("bench", args.batch, 60)]), 50)
        timed("runnable_count + next_wakeup", lambda: (store.runnable_count(), store.next_wakeup()), 50)
        timed("job_counts + task_counts + counts_by_language",
              lambda: (store.job_counts(), store.task_counts(), store.counts_by_language()), 20)
        timed("jobs(limit=200)", lambda: store.jobs(limit=200), 20)
        store.close()


if __name__ == "__main__":
    main()
