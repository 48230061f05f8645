"""Request packing against the simulator (in its own process): 150 one-chunk documents under
``limits = ["60/10s"]`` on both sides, without packing and with ``pack_max_chunks = 10``.

    python bench/packing.py [--runs 5]

Prints, per setting, the median (min–max) over the runs of the work time (first chunk
dispatched to last output written), the requests the server answered, and the tokens in and
out the run counted. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import config_file, run_batch, write_docs  # noqa: E402

from scribe_tui.simulator import SimulatorConfig, start_simulator_process  # noqa: E402

DOCS, LIMITS, LATENCY_MS, CONCURRENCY = 150, ["60/10s"], 50, 20


def one_run(pack: int) -> dict[str, float]:
    sim = start_simulator_process(SimulatorConfig(latency_ms=LATENCY_MS, limits=tuple(LIMITS)))
    try:
        with tempfile.TemporaryDirectory(prefix="scribe-bench-") as tmpdir:
            tmp = Path(tmpdir)
            corpus = write_docs(tmp / "corpus", DOCS)
            config = config_file(tmp, sim.url, limits=LIMITS, concurrency=CONCURRENCY, workers="auto",
                                 provider_extra=f"pack_max_chunks = {pack}")
            _, work, totals = run_batch(config, corpus)
        served = sim.stats()
    finally:
        sim.stop()
    return {"work_s": work, "requests": float(served.get("requests_total", totals["requests"])),
            "tokens_in": totals["tokens_in"], "tokens_out": totals["tokens_out"], "chunks": totals["chunks_done"],
            "server_429": float(served.get("rate_limited", 0))}


def summary(runs: list[dict[str, float]], key: str) -> str:
    values = [run[key] for run in runs]
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'setting':<22} {'work s':>22} {'requests':>22} {'tokens in':>26} {'tokens out':>26} {'chunks':>7} {'srv429':>6}")
    for label, pack in (("no packing", 1), ("pack_max_chunks = 10", 10)):
        runs = [one_run(pack) for _ in range(args.runs)]
        print(f"{label:<22} {summary(runs, 'work_s'):>22} {summary(runs, 'requests'):>22} "
              f"{summary(runs, 'tokens_in'):>26} {summary(runs, 'tokens_out'):>26} "
              f"{int(min(r['chunks'] for r in runs)):>7} {int(max(r['server_429'] for r in runs)):>6}", flush=True)


if __name__ == "__main__":
    main()
