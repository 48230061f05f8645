"""Claims per second on the job store from 1, 2 and 4 processes, PostgreSQL next to SQLite
(prints figures; asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/store_cluster.py [--tasks 2000] [--batch 1] [--runs 5]

A claim is what a supervisor does per chunk: lease it, then record its result (TaskDone with
the owner guard) — two transactions. Each process claims until the queue is empty; the
figure is all claims over the wall time from the first claim to the last. Every run starts
from a fresh queue; each configuration is run ``--runs`` times and reported as the median
with min and max, next to the machine's load average (other work on the machine moves them).
PostgreSQL runs on a private server this script starts on a unix socket (tests/pg_support.py).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scribe_tui.store import ChunkSpec, TaskDone, open_store


def build(url: str | None, data_dir: Path, tasks: int, per_doc: int = 100) -> None:
    with open_store(url, data_dir) as store:
        for d in range(tasks // per_doc):
            chunks = [ChunkSpec(i, f"chunk {i} of doc {d} " * 10, "", 50, {}) for i in range(per_doc)]
            doc = store.add_document(f"doc{d}.txt", b"x", f"h{d}", "txt", chunks)
            store.enqueue(doc, "de", "demo", "m", output_path="o")


def claimer(url: str | None, data_dir: str, owner: str, batch: int, start: Any, out: Any) -> None:
    claimed: list[int] = []
    with open_store(url, Path(data_dir)) as store:
        start.wait()
        began = time.perf_counter()
        while True:
            leased = store.lease(owner, batch, 60)
            if not leased:
                break
            store.record_results([TaskDone(t.task_id, "x", "demo", "m", attempt=t.attempts) for t in leased],
                                 max_attempts=5, owner=owner)
            claimed += [t.task_id for t in leased]
        out.put((owner, began, time.perf_counter(), claimed))


def one_run(url: str | None, data_dir: Path, processes: int, tasks: int, batch: int) -> float:
    build(url, data_dir, tasks)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=claimer, args=(url, str(data_dir), f"p{i}", batch, start, out))
             for i in range(processes)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # every process has opened its store
    start.set()
    reports = [out.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    claims = Counter(task for *_, claimed in reports for task in claimed)
    assert len(claims) == tasks and max(claims.values()) == 1, "a task was claimed twice or never"
    began, ended = min(r[1] for r in reports), max(r[2] for r in reports)
    return tasks / (ended - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    from tests.pg_support import PostgresServer, unavailable_reason

    reason = unavailable_reason()
    if reason:
        raise SystemExit(reason)
    server = PostgresServer().start()
    try:
        print(f"{args.tasks} tasks, lease batch {args.batch}, {args.runs} runs each; "
              f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        for backend in ("sqlite", "postgres"):
            for processes in (int(n) for n in args.processes.split(",")):
                rates = []
                for _ in range(args.runs):
                    with tempfile.TemporaryDirectory() as tmp:
                        url = server.new_database("bench") if backend == "postgres" else None
                        rates.append(one_run(url, Path(tmp), processes, args.tasks, args.batch))
                print(f"{backend:<8} {processes} process(es): median {statistics.median(rates):7.0f} claims/s "
                      f"(min {min(rates):.0f}, max {max(rates):.0f}); load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
