"""Engine benchmarks against the simulator (in its own process), printed next to their bounds.

    python bench/engine.py                 # all four cases
    python bench/engine.py rate seed       # some of them: rate, seed, overhead, headline

1. rate      150 one-chunk documents, limits ["60/10s"] on both sides: bound 20 s, zero 429s.
2. seed      a 10-chunk and a 60-chunk document, concurrency 10, 1 s latency: bounds 1 s, 6 s.
3. overhead  2,000 one-chunk documents, zero latency, no limits: chunks/s and peak RSS of the tree.
4. headline  728 documents into Hebrew at 500 requests/minute: bound 60 s.

"Work" time runs from the first chunk dispatched to the last output written (process start-up
excluded); "wall" includes starting the workers. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scribe_tui.config import load_settings  # noqa: E402
from scribe_tui.engine import api  # noqa: E402
from scribe_tui.engine.supervisor import Supervisor  # noqa: E402
from scribe_tui.logs import configure_logging  # noqa: E402
from scribe_tui.simulator import SimulatorConfig, start_simulator_process  # noqa: E402


@dataclass
class Result:
    name: str
    chunks: int
    wall_s: float
    work_s: float
    bound_s: float | None
    rate_limited: int
    server_429: int
    peak_rss_mb: float

    def line(self) -> str:
        ratio = f"{self.work_s / self.bound_s:5.3f}×" if self.bound_s else "   -  "
        bound = f"{self.bound_s:7.2f}" if self.bound_s else "      -"
        return (f"{self.name:<24} {self.chunks:>6} {self.wall_s:8.2f} {self.work_s:8.2f} {bound} {ratio} "
                f"{self.chunks / self.work_s:9.1f} {self.rate_limited:>5} {self.server_429:>5} {self.peak_rss_mb:8.1f}")


HEADER = (f"{'case':<24} {'chunks':>6} {'wall s':>8} {'work s':>8} {'bound s':>7} {'ratio':>6} "
          f"{'chunks/s':>9} {'429s':>5} {'srv429':>5} {'RSS MB':>8}")


def tree_rss_mb(root_pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / 1e6


class RssSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.peak = max(self.peak, tree_rss_mb(os.getpid()))


def write_docs(root: Path, count: int, paragraphs: int = 1) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = "\n\n".join(f"Document {i}, paragraph {p}: the quarterly meeting went well and everyone agreed on the plan for next year." for p in range(paragraphs))
        (root / f"doc{i:04d}.txt").write_text(text + "\n")
    return root


def config_file(tmp: Path, sim_url: str, *, limits: list[str], concurrency: int, workers: int | str,
                max_tokens: int = 50, provider: str = "sim") -> Path:
    path = tmp / "config.toml"
    path.write_text(f"""
default_provider = "{provider}"
workers = {json.dumps(workers)}
data_dir = "{tmp / 'data'}"
output_dir = "{tmp / 'out'}"
[chunking]
max_tokens = {max_tokens}
context_tokens = 10
[cache]
dir = "{tmp / 'cache'}"
[providers.{provider}]
kind = "openai"
base_url = "{sim_url}/v1"
model = "bench"
api_key_env = ""
limits = {json.dumps(limits)}
max_concurrency = {concurrency}
timeout_s = 30
""")
    return path


def run_batch(config: Path, corpus: Path) -> tuple[float, float, dict[str, float]]:
    """Translate ``corpus`` into Hebrew with a supervisor built from ``config``: (wall s from
    launch, work s from the first chunk dispatched to the last output written, totals)."""
    settings = load_settings(config)
    configure_logging(settings.resolved_data_dir(), level="warning")  # keep stdout for the figures
    supervisor = Supervisor(settings, read_cache=False)
    supervisor.enqueue([corpus], ["he"])
    first: list[float] = []
    last: list[float] = []

    def on_event(event: api.Event) -> None:
        if isinstance(event, api.ChunkStarted) and not first:
            first.append(time.perf_counter())
        elif isinstance(event, api.JobFinished):
            last[:] = [time.perf_counter()]

    supervisor.add_listener(on_event)
    started = time.perf_counter()
    with supervisor:
        supervisor.wait_until_drained()
        totals = supervisor.totals()
    wall = time.perf_counter() - started
    return wall, (last[0] - first[0]) if first and last else wall, totals


def run_case(name: str, *, docs: int, paragraphs: int, latency_ms: float, limits: list[str],
             concurrency: int, workers: int | str, bound_s: float | None) -> Result:
    sim = start_simulator_process(SimulatorConfig(latency_ms=latency_ms, limits=tuple(limits)))
    sampler = RssSampler()
    sampler.start()
    try:
        with tempfile.TemporaryDirectory(prefix="scribe-bench-") as tmpdir:
            tmp = Path(tmpdir)
            corpus = write_docs(tmp / "corpus", docs, paragraphs)
            config = config_file(tmp, sim.url, limits=limits, concurrency=concurrency, workers=workers)
            wall, work, totals = run_batch(config, corpus)
        stats = sim.stats()
    finally:
        sampler.stop.set()
        sim.stop()
    return Result(name, int(totals["chunks_done"]), wall, work, bound_s, int(totals["rate_limited"]),
                  int(stats.get("rate_limited", 0)), sampler.peak)


def ideal_bound(requests: int, *, latency_s: float, concurrency: int, windows: tuple[tuple[int, float], ...] = ()) -> float:
    """When the last of ``requests`` could finish under an ideal scheduler: at most
    ``concurrency`` in flight, each taking ``latency_s``, and for every (amount, span) window
    no more than ``amount`` starts in any ``span`` seconds. Both limits at once, so a
    rate-limited case also pays for the requests that queue behind a reopening window."""
    slots = [0.0] * concurrency
    starts: list[float] = []
    end = 0.0
    for k in range(requests):
        start = heapq.heappop(slots)
        for amount, span in windows:
            if k >= amount:
                start = max(start, starts[k - amount] + span)
        starts.append(start)
        heapq.heappush(slots, start + latency_s)
        end = max(end, start + latency_s)
    return end


CASES = {
    "rate": lambda: [run_case("rate 150 @ 60/10s", docs=150, paragraphs=1, latency_ms=50, limits=["60/10s"],
                              concurrency=20, workers="auto",
                              bound_s=ideal_bound(150, latency_s=0.05, concurrency=20, windows=((60, 10.0),)))],
    "seed": lambda: [
        run_case("seed 10 chunks, c=10", docs=1, paragraphs=10, latency_ms=1000, limits=[], concurrency=10,
                 workers=1, bound_s=ideal_bound(10, latency_s=1.0, concurrency=10)),
        run_case("seed 60 chunks, c=10", docs=1, paragraphs=60, latency_ms=1000, limits=[], concurrency=10,
                 workers=1, bound_s=ideal_bound(60, latency_s=1.0, concurrency=10)),
    ],
    "overhead": lambda: [run_case("overhead 2000 docs", docs=2000, paragraphs=1, latency_ms=0, limits=[],
                                  concurrency=16, workers=2, bound_s=None)],
    "headline": lambda: [run_case("headline 728 @ 500/min", docs=728, paragraphs=1, latency_ms=300,
                                  limits=["500/minute"], concurrency=20, workers="auto",
                                  bound_s=ideal_bound(728, latency_s=0.3, concurrency=20, windows=((500, 60.0),)))],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of: {', '.join(CASES)} (default: all)")
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    print(HEADER)
    for case in args.cases or list(CASES):
        for result in CASES[case]():
            print(result.line(), flush=True)


if __name__ == "__main__":
    main()
