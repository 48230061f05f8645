"""Two supervisors on one PostgreSQL store against their bound (prints figures; asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/cluster.py [--docs 200] [--runs 5] [--latency-ms 200]

The queue is filled first (`translate --async`), then 1 or 2 `scribe-tui --batch` processes —
separate data directories and machine names, one store URL — drain it through the simulator.
Each supervisor runs one worker process with ``max_concurrency`` chunks in flight, so the bound
is chunks × latency / (supervisors × concurrency). Work time runs from the first result to the
last, plus one latency (the first request), on the database's clock: process start-up, which
takes seconds on a loaded machine, is excluded. Median of ``--runs`` with
min and max, next to the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import open_store
from tests.engine_support import popen_cli, run_cli, write_config
from tests.pg_support import PostgresServer

CONCURRENCY = 4


def corpus(root: Path, docs: int) -> Path:
    root.mkdir(parents=True)
    for i in range(docs):
        (root / f"d{i:04}.txt").write_text(f"One short paragraph number {i} to translate.\n")
    return root


def one_run(server: PostgresServer, sim: SimulatorServer, docs: int, supervisors: int,
            latency_s: float) -> tuple[float, int, int]:
    url = server.new_database("cluster")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = corpus(root / "corpus", docs)
        configs = []
        for n in range(supervisors):
            home = root / f"host{n}"
            home.mkdir()
            configs.append(write_config(home, sim_url=sim.url, workers=1, max_concurrency=CONCURRENCY))
        env = {"SCRIBE_ENGINE__HEARTBEAT_TIMEOUT_S": "60"}
        queued = run_cli("translate", str(source), "--to", "de", "--async", "--config", str(configs[0]),
                         "--store", url, env=env)
        assert queued.returncode == 0, queued.stderr
        procs = [popen_cli("--batch", "--config", str(config), "--store", url,
                           env={**env, "SCRIBE_HOST_NAME": f"host{n}"}) for n, config in enumerate(configs)]
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
        with open_store(url, root) as store:
            row = store._one("SELECT MIN(t.completed_at) AS first, MAX(t.completed_at) AS last, "  # noqa: SLF001
                             "COUNT(*) AS chunks, COUNT(DISTINCT split_part(j.worker_id, '-', 2)) AS hosts "
                             "FROM tasks t JOIN jobs j ON j.id = t.job_id")
    assert row is not None
    return float(row["last"] - row["first"]) + latency_s, int(row["chunks"]), int(row["hosts"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    server = PostgresServer().start()
    sim = SimulatorServer(SimulatorConfig(latency_ms=args.latency_ms, jitter_ms=0)).start()
    try:
        print(f"{args.docs} one-chunk documents, {args.latency_ms} ms latency, {CONCURRENCY} in flight per "
              f"supervisor, {args.runs} runs; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        for supervisors in (1, 2):
            times, hosts_seen = [], []
            for _ in range(args.runs):
                work, chunks, hosts = one_run(server, sim, args.docs, supervisors, args.latency_ms / 1000)
                times.append(work)
                hosts_seen.append(hosts)
            bound = chunks * args.latency_ms / 1000 / (supervisors * CONCURRENCY)
            median = statistics.median(times)
            print(f"{supervisors} supervisor(s): work {median:6.2f} s (min {min(times):.2f}, max {max(times):.2f}) "
                  f"bound {bound:6.2f} s  ratio {median / bound:5.3f}×  {chunks / median:6.1f} chunks/s; "
                  f"hosts that leased work per run {hosts_seen}; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        sim.stop()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
