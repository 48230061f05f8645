"""Limiter acquisitions per second on ONE shared bucket from 1, 2 and 4 processes: the SQLite
bucket file (one machine), our PostgreSQL table (``scribe_limit_rows`` + one call of
``scribe_limit_take`` per permit) and, for the choice between them, pyrate-limiter's own
PostgresBucket (blocking acquire; prints figures, asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/limits_cluster.py [--seconds 2] [--runs 5]

The limit is far above what is reached, so nothing ever waits: this measures the cost of a
permit and how it scales with processes contending for one bucket. Each configuration runs
``--runs`` times: median with min and max, next to the machine's load average. PostgreSQL
runs on a private server this script starts on a unix socket (tests/pg_support.py).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from scribe_tui.config import ProviderConfig
from scribe_tui.limits.buckets import Admission, ProviderLimiter
from scribe_tui.providers.base import Estimate
from tests.pg_support import PostgresServer

NEVER_BLOCKS = "100000000/minute"
ONE = Estimate(tokens_in=1, tokens_out=1, characters=1)


def _ours(url: str | None, data_dir: str, seconds: float, barrier: Any, results: Any) -> None:
    async def main() -> int:
        limiter = ProviderLimiter("bench", ProviderConfig(kind="openai", limits=[NEVER_BLOCKS]), Path(data_dir),
                                  park_after_s=60, store_url=url)
        barrier.wait()
        count, stop_at = 0, time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            count += isinstance(await limiter.acquire(ONE), Admission)
        limiter.close()
        return count

    results.put(asyncio.run(main()))


def _pyrate_postgres(url: str, _data_dir: str, seconds: float, barrier: Any, results: Any) -> None:
    from psycopg_pool import ConnectionPool
    from pyrate_limiter import Duration, Limiter, PostgresBucket, Rate

    pool = ConnectionPool(url, min_size=1, max_size=2, kwargs={"options": "-c TimeZone=UTC"}, open=True)
    limiter = Limiter(PostgresBucket(pool, "bench", [Rate(100_000_000, Duration.MINUTE)]))
    barrier.wait()
    count, stop_at = 0, time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        count += bool(limiter.try_acquire("bench", 1, blocking=True, timeout=5))  # blocking: a busy table lock is tried again
    limiter.close()
    pool.close()
    results.put(count)


def one_run(target: Any, url: str | None, processes: int, seconds: float) -> float:
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as data_dir:
        barrier, results = ctx.Barrier(processes), ctx.Queue()
        procs = [ctx.Process(target=target, args=(url, data_dir, seconds, barrier, results)) for _ in range(processes)]
        for proc in procs:
            proc.start()
        total = sum(results.get(timeout=300) for _ in procs)
        for proc in procs:
            proc.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = PostgresServer().start()
    try:
        print(f"acquisitions/s on one bucket, {args.seconds:g} s per run, {args.runs} runs; "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        backends = [("SQLite file", _ours, lambda: None), ("PostgreSQL, ours", _ours, lambda: server.new_database("l")),
                    ("PostgreSQL, pyrate PostgresBucket", _pyrate_postgres, lambda: server.new_database("p"))]
        for label, target, database in backends:
            for processes in (1, 2, 4):
                rates = [one_run(target, database(), processes, args.seconds) for _ in range(args.runs)]
                print(f"{label:36s} {processes} process(es): {statistics.median(rates):8.0f}/s "
                      f"(min {min(rates):.0f}, max {max(rates):.0f}); load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
