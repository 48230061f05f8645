"""Engine benchmarks: the real command line (`scribe-tui --batch`, launched as a user does)
against the simulator in its own process, each case run several times and reported as the
median with its min and max.

    python bench/engine.py                    # every case, 5 runs each
    python bench/engine.py seed10 seed60      # some of them: rate, seed10, seed60, overhead, headline
    python bench/engine.py seed60 --runs 3

Per run, from the simulator's log of arrivals (time.monotonic is one clock for every process):
  wall     launch of the process to its exit: what a user waits for
  first    launch to the first request reaching the server
  work     first request to the last output written (what the bound is about)
  gap      slot idle time: the k-th request after the first `concurrency` ones waited this long
           after the k-th reply freed its slot (median and max over the run)
  RSS      peak resident memory of the process tree (supervisor and workers; not the simulator)

Cases:
  rate      150 one-chunk documents, limits ["60/10s"] on both sides, 50 ms: bound 20.1 s, zero 429s
  seed10    a 10-chunk document, concurrency 10, 1 s latency: bound 1 s
  seed60    a 60-chunk document, concurrency 10, 1 s latency: bound 6 s
  overhead  2,000 one-chunk documents, zero latency, no limits: chunks/s for the whole run
  headline  728 documents at 500 requests/minute, 300 ms: bound 63.6 s

Nothing here asserts: it prints figures. Note the machine's load next to them.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scribe_tui.simulator import SimulatorConfig, start_simulator_process  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    docs: int
    paragraphs: int
    latency_ms: float
    limits: tuple[str, ...]
    concurrency: int
    workers: int | str
    bound_s: float | None


@dataclass
class Run:
    chunks: int
    wall_s: float
    first_s: float
    work_s: float
    gap_median_ms: float
    gap_max_ms: float
    rate_limited: int
    server_429: int
    peak_rss_mb: float
    exit_code: int


def ideal_bound(requests: int, *, latency_s: float, concurrency: int, windows: tuple[tuple[int, float], ...] = ()) -> float:
    """When the last of ``requests`` could finish under an ideal scheduler: at most
    ``concurrency`` in flight, each taking ``latency_s``, and for every (amount, span) window
    no more than ``amount`` starts in any ``span`` seconds."""
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


CASES: dict[str, Case] = {case.name: case for case in (
    Case("rate", 150, 1, 50, ("60/10s",), 20, "auto",
         ideal_bound(150, latency_s=0.05, concurrency=20, windows=((60, 10.0),))),
    Case("seed10", 1, 10, 1000, (), 10, 1, ideal_bound(10, latency_s=1.0, concurrency=10)),
    Case("seed60", 1, 60, 1000, (), 10, 1, ideal_bound(60, latency_s=1.0, concurrency=10)),
    Case("overhead", 2000, 1, 0, (), 16, 2, None),
    Case("headline", 728, 1, 300, ("500/minute",), 20, "auto",
         ideal_bound(728, latency_s=0.3, concurrency=20, windows=((500, 60.0),))),
)}


# ---- measuring -------------------------------------------------------------------------------


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
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, tree_rss_mb(self.pid))


def slot_gaps_ms(admissions: list[float], *, latency_s: float, concurrency: int) -> list[float]:
    """With every slot busy, request ``concurrency + k`` can start once reply ``k`` is back
    (at its arrival + latency): how long after that it actually arrived."""
    starts = sorted(admissions)
    frees = sorted(start + latency_s for start in starts)
    return [max(0.0, (starts[concurrency + k] - frees[k]) * 1000) for k in range(len(starts) - concurrency)]


# ---- one run ---------------------------------------------------------------------------------


def write_docs(root: Path, count: int, paragraphs: int = 1) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = "\n\n".join(f"Document {i}, paragraph {p}: the quarterly meeting went well and everyone agreed on "
                           "the plan for next year." for p in range(paragraphs))
        (root / f"doc{i:04d}.txt").write_text(text + "\n")
    return root


def config_file(tmp: Path, sim_url: str, *, limits: list[str] | tuple[str, ...], concurrency: int,
                workers: int | str, max_tokens: int = 50, provider: str = "sim", provider_extra: str = "") -> Path:
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
[log]
level = "warning"
[providers.{provider}]
kind = "openai"
base_url = "{sim_url}/v1"
model = "bench"
api_key_env = ""
limits = {json.dumps(list(limits))}
max_concurrency = {concurrency}
timeout_s = 30
{provider_extra}
""")
    return path


def run_batch(config: Path, corpus: Path) -> tuple[float, float, dict[str, float]]:
    """Translate ``corpus`` into Hebrew with a supervisor built from ``config``, in this
    process (bench/provider_limits.py): (wall s, work s from the first chunk dispatched to
    the last output written, totals)."""
    from scribe_tui.config import load_settings
    from scribe_tui.engine import api
    from scribe_tui.engine.supervisor import Supervisor
    from scribe_tui.logs import configure_logging

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


def run_once(case: Case) -> Run:
    sim = start_simulator_process(SimulatorConfig(latency_ms=case.latency_ms, limits=case.limits,
                                                  admissions_kept=100_000))
    try:
        with tempfile.TemporaryDirectory(prefix="scribe-bench-") as tmpdir:
            tmp = Path(tmpdir)
            corpus = write_docs(tmp / "corpus", case.docs, case.paragraphs)
            config = config_file(tmp, sim.url, limits=case.limits, concurrency=case.concurrency,
                                 workers=case.workers)
            command = [sys.executable, "-m", "scribe_tui", "--batch", str(corpus), "--to", "he", "--config",
                       str(config), "--json", "--no-cache"]
            launched = time.monotonic()
            proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            sampler = RssSampler(proc.pid)
            sampler.start()
            stdout, _ = proc.communicate(timeout=900)
            exited = time.monotonic()
            sampler.stop.set()
            summary = json.loads(stdout) if stdout.strip() else {}
            stats = sim.stats()
            last_output = max((p.stat().st_mtime for p in (tmp / "out").rglob("*") if p.is_file()), default=0.0)
            last_output_mono = last_output - (time.time() - time.monotonic())
    finally:
        sim.stop()
    admissions = sorted(stats.get("admissions", []))
    first = admissions[0] if admissions else exited
    gaps = slot_gaps_ms(admissions, latency_s=case.latency_ms / 1000, concurrency=case.concurrency) or [0.0]
    return Run(chunks=int(summary.get("chunks", 0)), wall_s=exited - launched, first_s=first - launched,
               work_s=max(0.0, last_output_mono - first), gap_median_ms=statistics.median(gaps),
               gap_max_ms=max(gaps), rate_limited=int(summary.get("rate_limited", 0)),
               server_429=int(stats.get("rate_limited", 0)), peak_rss_mb=sampler.peak, exit_code=proc.returncode)


# ---- reporting -------------------------------------------------------------------------------


def spread(values: list[float], fmt: Callable[[float], str]) -> str:
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}–{fmt(max(values))}]"


def report(case: Case, runs: list[Run]) -> str:
    def col(get: Callable[[Run], float], fmt: Callable[[float], str]) -> str:
        return spread([get(r) for r in runs], fmt)

    s, x, ms, mb, n = (lambda v: f"{v:.2f}"), (lambda v: f"{v:.3f}×"), (lambda v: f"{v:.0f}"), \
        (lambda v: f"{v:.0f}"), (lambda v: f"{v:.0f}")
    lines = [f"{case.name}: {len(runs)} runs, chunks {runs[0].chunks}, exit codes {sorted({r.exit_code for r in runs})}",
             f"  wall s (launch→exit)        {col(lambda r: r.wall_s, s)}",
             f"  launch→first request s      {col(lambda r: r.first_s, s)}",
             f"  work s (first req→last out) {col(lambda r: r.work_s, s)}"]
    if case.bound_s:
        lines.append(f"  work / bound ({case.bound_s:.2f} s)      {col(lambda r: r.work_s / case.bound_s, x)}")
        lines.append(f"  wall / bound                {col(lambda r: r.wall_s / case.bound_s, x)}")
    else:
        lines.append(f"  chunks/s, whole run         {col(lambda r: r.chunks / r.wall_s, n)}")
        lines.append(f"  chunks/s, work              {col(lambda r: r.chunks / max(r.work_s, 1e-9), n)}")
    lines.append(f"  slot gap ms median / max    {col(lambda r: r.gap_median_ms, ms)} / {col(lambda r: r.gap_max_ms, ms)}")
    lines.append(f"  429s ours / server          {col(lambda r: r.rate_limited, n)} / {col(lambda r: r.server_429, n)}")
    lines.append(f"  peak RSS MB, process tree   {col(lambda r: r.peak_rss_mb, mb)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of: {', '.join(CASES)} (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  load: {os.getloadavg()[0]:.1f}", flush=True)
    for name in args.cases or list(CASES):
        case = CASES[name]
        runs = []
        for _ in range(args.runs):
            runs.append(run_once(case))
        print(report(case, runs), f"\n  load after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
