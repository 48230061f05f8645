"""Limits that hold at the provider (issue 10): each case runs a whole batch through the
supervisor, worker processes and the official openai SDK against a server in its own process,
``--repeat`` times (5 by default), and prints every run and then the median with the min–max
range, next to the bound.

    python bench/provider_limits.py                   # every case
    python bench/provider_limits.py delay overload    # some: delay, delay-strict, overload, reset,
                                                      #       tokens, tokens-strict
    python bench/provider_limits.py --repeat 1 tokens

1. delay         150 one-chunk docs at "60/10s" on both sides, 100 ms latency; the simulator
                 counts each request after a random 0–1 s delay. Bound: the ideal schedule
                 (20.1 s) — and, since no client can make a request arrive before it is
                 sent, the ideal for a client that learns each arrival the instant it
                 happens ("informed", a Monte-Carlo median over the same delays).
   delay-strict  the same against tests/strict_server.py: HTTP/1.0, accept backlog 5, so
                 bursts wait for real SYN retransmissions.
2. overload      600 one-chunk docs, a server that answers 503 beyond 6 in flight, 100 ms
                 latency, max_concurrency 32. Bound: 600 / 6 × 0.1 s = 10 s. Shows whether
                 the breaker ever opened and how low the cap went.
   reset         2,000 zero-latency docs, a server that resets connections beyond 8 open,
                 max_concurrency 32. Bound: the same batch against the same server without
                 the reset, measured in the same round.
3. tokens        120 docs of ~60 tokens, "12000 tokens/10s" on both sides, replies 3× the
                 estimated tokens. Bound: the ideal schedule for the tokens really used.
   tokens-strict the same against the strict server, which counts tokens its own way.

"Work" runs from the first chunk dispatched to the last output written; "wall" from launch.
Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine import config_file, ideal_bound, run_batch, write_docs  # noqa: E402
from scribe_tui.limits.provider_state import read_provider_states  # noqa: E402
from scribe_tui.simulator import SimulatorConfig, start_simulator_process  # noqa: E402

# ---- servers in their own process ----------------------------------------------------------------


class StrictProcess:
    """tests/strict_server.py in a child process; ``stats()`` like the simulator's."""

    def __init__(self, **options: Any):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_strict_main, args=(options, child), daemon=True)
        self._proc.start()
        self.url = self._conn.recv()

    def stats(self) -> dict[str, Any]:
        self._conn.send("stats")
        return self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._proc.join(10)


def _strict_main(options: dict[str, Any], conn: Any) -> None:
    from tests.strict_server import StrictServer

    with StrictServer(**options) as server:
        conn.send(server.url)
        while conn.recv() == "stats":
            conn.send({"rate_limited": server.refused, "arrivals": list(server.arrivals),
                       "tokens": sum(tokens for _, tokens in server.admitted)})


# ---- one run ------------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    work_s: float
    ours_429: int
    server_429: int
    chunks: int
    tokens: int = 0
    breaker_opened: bool = False
    lowest_cap: int | None = None
    server_503: int = 0
    extra: dict[str, float] = field(default_factory=dict)


class StateWatch(threading.Thread):
    def __init__(self, data_dir: Path):
        super().__init__(daemon=True)
        self.data_dir, self.opened, self.lowest = data_dir, False, None
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.02):
            state = read_provider_states(self.data_dir).get("bench")
            if state is not None:
                self.opened |= state.circuit == "open"
                if state.cap:
                    self.lowest = state.cap if self.lowest is None else min(self.lowest, state.cap)


def measure(start_server: Callable[[], Any], *, docs: int, words: int, limits: list[str], concurrency: int,
        workers: int | str) -> Run:
    server = start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="scribe-bench-") as tmpdir:
            tmp = Path(tmpdir)
            corpus = write_docs(tmp / "corpus", docs) if words == 0 else _word_docs(tmp / "corpus", docs, words)
            watch = StateWatch(tmp / "data")
            watch.start()
            try:
                config = config_file(tmp, server.url, limits=limits, concurrency=concurrency, workers=workers,
                                     max_tokens=200, provider="bench")
                wall, work, totals = run_batch(config, corpus)
            finally:
                watch.halt.set()
            stats = server.stats()
    finally:
        server.stop()
    faults = stats.get("faults", {})
    return Run(wall, work, int(totals["rate_limited"]), int(stats.get("rate_limited", 0)), int(totals["chunks_done"]),
               tokens=int(totals["tokens_in"]) + int(totals["tokens_out"]), breaker_opened=watch.opened,
               lowest_cap=watch.lowest, server_503=int(faults.get("overloaded", 0)) + int(faults.get("reset", 0)))


def _word_docs(root: Path, count: int, words: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = " ".join(f"word{(i + j) % 97}" for j in range(words))
        (root / f"doc{i:04d}.txt").write_text(f"Document {i}: {text}.\n")
    return root


def sim(**options: Any) -> Callable[[], Any]:
    return lambda: start_simulator_process(SimulatorConfig(**options))


def strict(**options: Any) -> Callable[[], Any]:
    return lambda: StrictProcess(**options)


# ---- bounds -----------------------------------------------------------------------------------------


def informed_bound(requests: int, *, amount: int, span: float, latency: float, max_delay: float,
                   concurrency: int, draws: int = 201, seed: int = 1) -> float:
    """The median finish of a client that knows the moment each of its requests arrived and
    sends the next one as soon as the server's window (counting arrivals) has room for it
    whatever its own delay: request k goes once request k-amount's arrival is a span old."""
    rng = random.Random(seed)
    finishes = []
    for _ in range(draws):
        arrivals: list[float] = []
        slots = [0.0] * concurrency
        end = 0.0
        for k in range(requests):
            slots.sort()
            send = slots[0]
            if k >= amount:
                send = max(send, sorted(arrivals)[k - amount] + span)
            arrival = send + rng.uniform(0.0, max_delay)
            arrivals.append(arrival)
            slots[0] = arrival + latency
            end = max(end, arrival + latency)
        finishes.append(end)
    return statistics.median(finishes)


# ---- cases ------------------------------------------------------------------------------------------


def delay(server: Callable[[], Any], max_delay_s: float | None) -> Run:
    run = measure(server, docs=150, words=0, limits=["60/10s"], concurrency=20, workers=4)
    run.extra["bound"] = ideal_bound(150, latency_s=0.1, concurrency=20, windows=((60, 10.0),))
    if max_delay_s is not None:  # the strict server's delays are the kernel's: no distribution to draw from
        run.extra["informed"] = informed_bound(150, amount=60, span=10.0, latency=0.1, max_delay=max_delay_s,
                                               concurrency=20)
    return run


def overload() -> Run:
    run = measure(sim(latency_ms=100, max_in_flight=6), docs=600, words=0, limits=[], concurrency=32, workers=2)
    run.extra["bound"] = 600 / 6 * 0.1
    return run


def reset() -> Run:
    baseline = measure(sim(), docs=2000, words=0, limits=[], concurrency=32, workers=2)
    run = measure(sim(max_connections=8), docs=2000, words=0, limits=[], concurrency=32, workers=2)
    run.extra["bound"] = baseline.work_s
    return run


def tokens(server: Callable[[], Any]) -> Run:
    run = measure(server, docs=120, words=40, limits=["12000 tokens/10s"], concurrency=16, workers=2)
    per_request = max(1, run.tokens // max(run.chunks, 1))
    run.extra["bound"] = ideal_bound(run.chunks, latency_s=0.05, concurrency=16,
                                     windows=((12000 // per_request, 10.0),))
    return run


CASES: dict[str, Callable[[], Run]] = {
    "delay": lambda: delay(sim(latency_ms=100, arrival_delay_ms=1000, limits=("60/10s",)), 1.0),
    "delay-strict": lambda: delay(strict(requests=60, window_s=10.0, latency_s=0.1), None),
    "overload": overload,
    "reset": reset,
    "tokens": lambda: tokens(sim(latency_ms=50, reply_token_factor=3.0, limits=("12000 tokens/10s",))),
    "tokens-strict": lambda: tokens(strict(tokens=12000, window_s=10.0, latency_s=0.05, completion_factor=3.0)),
}


def describe(run: Run) -> str:
    bound = run.extra.get("bound")
    ratio = f"{run.work_s / bound:5.3f}×" if bound else "  -   "
    informed = run.extra.get("informed")
    parts = [f"wall {run.wall_s:6.2f} s", f"work {run.work_s:6.2f} s", f"bound {bound:6.2f} s" if bound else "",
             f"ratio {ratio}", f"429s {run.ours_429}/{run.server_429}"]
    if informed:
        parts.append(f"informed {informed:6.2f} s ({run.work_s / informed:5.3f}×)")
    if run.lowest_cap is not None or run.server_503:
        parts.append(f"503/resets {run.server_503} lowest cap {run.lowest_cap} breaker {'OPENED' if run.breaker_opened else 'never opened'}")
    return "  ".join(part for part in parts if part)


def summary(runs: list[Run]) -> str:
    def spread(values: list[float], fmt: str) -> str:
        return f"{format(statistics.median(values), fmt)} [{format(min(values), fmt)}–{format(max(values), fmt)}]"

    ratios = [run.work_s / run.extra["bound"] for run in runs]
    line = (f"median of {len(runs)}: work {spread([r.work_s for r in runs], '.2f')} s, wall "
            f"{spread([r.wall_s for r in runs], '.2f')} s, ratio {spread(ratios, '.3f')}×, 429s ours "
            f"{spread([float(r.ours_429) for r in runs], '.0f')} server {spread([float(r.server_429) for r in runs], '.0f')}")
    if runs[0].extra.get("informed"):
        line += f", vs informed {spread([r.work_s / r.extra['informed'] for r in runs], '.3f')}×"
    if any(r.lowest_cap is not None for r in runs):
        line += f", breaker opened in {sum(r.breaker_opened for r in runs)} of {len(runs)}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of: {', '.join(CASES)} (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  load: {os.getloadavg()[0]:.2f}", flush=True)
    for name in args.cases or list(CASES):
        runs = []
        for index in range(args.repeat):
            runs.append(CASES[name]())
            print(f"{name:<14} run {index + 1}: {describe(runs[-1])}", flush=True)
        print(f"{name:<14} {summary(runs)}  (load {os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    main()
