"""Keypress → repaint latency of the TUI with 10,000 jobs and a run in progress (prints
figures; asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/tui.py [--jobs 10000] [--runs 5] [--presses 20]

A real Supervisor with two worker processes translates on the demo provider (its simulator
on 127.0.0.1) a queue of ``--jobs`` jobs (one-paragraph documents into Hebrew and German,
enqueued through the same intake as ``scribe-tui PATH``), while the real app runs headless
under Textual's pilot at 140x42. A key is posted as the terminal driver posts it; the
latency is the time until the first screen update that shows its effect has been rendered
into terminal output (the pilot's headless driver skips that last step: the benchmark does
it, so it costs what it costs in a terminal). Cases:

- ``down``: the cursor moves one row in the Jobs table (a window of 200 rows).
- ``s``: the next sort order, read from the store and shown (the store sorts: only the
  200 rows shown are read).
- ``f``: failed and dead jobs only, and again every job (likewise).

Each run starts a fresh app on the same queue; the figures are the median of the runs'
medians, with the smallest and largest run median, and the machine's load while measuring.
Next to each: the CPU time the app's own thread spent between the key and the repaint (on a
machine loaded by other work the wall-clock figure mostly measures waiting for a core).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual._compositor import CompositorUpdate  # noqa: E402

from scribe_tui.config import Settings, load_settings  # noqa: E402
from scribe_tui.engine.supervisor import Supervisor  # noqa: E402
from scribe_tui.logs import configure_logging  # noqa: E402
from scribe_tui.store import FAILED_JOB_STATUSES  # noqa: E402
from scribe_tui.tui.app import ScribeApp  # noqa: E402
from scribe_tui.tui.job_query import WINDOW  # noqa: E402
from scribe_tui.tui.widgets.jobs_table import JobsTable  # noqa: E402

SIZE = (140, 42)
BOUND_MS = 100.0
PARAGRAPH = "Good morning everyone. Today we look at how rivers shape the valleys they run through."


def write_corpus(directory: Path, documents: int) -> None:
    directory.mkdir(parents=True)
    for number in range(documents):
        (directory / f"lecture-{number:05d}.txt").write_text(f"Lecture {number}. {PARAGRAPH}\n", encoding="utf-8")


def bench_settings(tmp: Path) -> Settings:
    return load_settings(
        None, data_dir=tmp / "data", output_dir=tmp / "out", workers=2, cache={"dir": str(tmp / "cache")},
        engine={"heartbeat_timeout_s": 60},
        providers={"demo": {"kind": "demo", "latency_ms": 300, "jitter_ms": 50, "limits": ["1200/minute"],
                            "max_concurrency": 8}})


class RepaintClock:
    """Wraps the app's display call: renders each update into terminal output, as a terminal
    would be written to, and notes when the first update showing a key's effect was done."""

    def __init__(self, app: ScribeApp) -> None:
        self.app = app
        self.waiting: Callable[[], bool] | None = None
        self.done_at: float | None = None
        self.cpu_done_at = 0.0
        original = app._display

        def display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            original(screen, renderable)
            if isinstance(renderable, CompositorUpdate) and not app._batch_count:
                renderable.render_segments(app.console)
                if self.waiting is not None and self.done_at is None and self.waiting():
                    self.done_at, self.cpu_done_at = time.perf_counter(), time.thread_time()

        app._display = display  # type: ignore[method-assign]

    async def press(self, key: str, shown: Callable[[], bool], timeout_s: float = 30.0) -> tuple[float, float]:
        """Milliseconds from posting ``key`` to the first repaint for which ``shown()`` holds, and
        the CPU milliseconds the app's thread (the event loop: input, layout, render) spent in
        between, which a loaded machine stretches less than the wall-clock figure."""
        self.waiting, self.done_at = shown, None
        start, cpu_start = time.perf_counter(), time.thread_time()
        self.app.simulate_key(key)
        while self.done_at is None:
            if time.perf_counter() - start > timeout_s:
                raise TimeoutError(f"no repaint showed {key!r} within {timeout_s} s")
            await asyncio.sleep(0.001)
        self.waiting = None
        return (self.done_at - start) * 1000, (self.cpu_done_at - cpu_start) * 1000


async def measure(app: ScribeApp, presses: int, rng: random.Random) -> dict[str, list[float]]:
    """One app: ``presses`` cursor moves, a full cycle of sort orders, the failed-only filter twice."""
    clock = RepaintClock(app)
    table = app.screen.query_one(JobsTable)
    table.focus()
    results: dict[str, list[float]] = {case: [] for case in ("down", "s", "f", "down cpu", "s cpu", "f cpu")}

    async def press(case: str, shown: Callable[[], bool]) -> None:
        wall, cpu = await clock.press(case, shown)
        results[case].append(wall)
        results[f"{case} cpu"].append(cpu)

    for _ in range(presses):
        row = table.cursor_row
        await press("down", lambda row=row: table.cursor_row == row + 1)
        await asyncio.sleep(rng.uniform(0.02, 0.25))  # land at any point of the read/render cycle
    for _ in range(7):
        target = app.screen.query_state.next_sort()
        await press("s", lambda target=target: _shows(app, target))
        await asyncio.sleep(rng.uniform(0.05, 0.3))
    for _ in range(2):
        current = app.screen.query_state.filter
        statuses = () if current.statuses == FAILED_JOB_STATUSES else FAILED_JOB_STATUSES
        target = app.screen.query_state.with_filter(replace(current, statuses=statuses))
        await press("f", lambda target=target: _shows(app, target))
        await asyncio.sleep(rng.uniform(0.05, 0.3))
    return results


def _shows(app: ScribeApp, query) -> bool:  # type: ignore[no-untyped-def]
    """The Jobs table shows rows of ``query``'s order and filter (the window may have moved on
    since: the cursor stays on its job, which can be near the end of the new order's window)."""
    state = app.state
    return state is not None and replace(state.query, offset=0) == query \
        and replace(app.screen.query_state, offset=0) == query


async def one_run(supervisor: Supervisor, settings: Settings, presses: int, seed: int) -> dict[str, float]:
    app = ScribeApp(supervisor, settings, poll_interval_s=0.5)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 120
        while not (app.state and len(app.state.jobs.rows) == WINDOW and app.state.snapshot.counts.get("completed")):
            if time.monotonic() > deadline:
                raise TimeoutError("the app never showed a run in progress")
            await pilot.pause(0.2)
        results = await measure(app, presses, random.Random(seed))
    return {case: statistics.median(values) for case, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  jobs: {args.jobs:,}")
    with tempfile.TemporaryDirectory(prefix="scribe-bench-tui-") as name:
        tmp = Path(name)
        settings = bench_settings(tmp)
        write_corpus(tmp / "docs", args.jobs // 2)
        configure_logging(settings.resolved_data_dir(), verbose=0)
        with Supervisor(settings) as supervisor:
            started = time.perf_counter()
            report = supervisor.enqueue([tmp / "docs"], ["he", "de"])
            print(f"enqueued {report.jobs_created:,} jobs in {time.perf_counter() - started:.1f} s")
            runs: list[dict[str, float]] = []
            loads: list[float] = []
            for run in range(args.runs):
                loads.append(os.getloadavg()[0])
                runs.append(asyncio.run(one_run(supervisor, settings, args.presses, seed=run)))
                counts = supervisor.store.job_counts()
                print(f"run {run + 1}: " + "  ".join(f"{case} {ms:.1f} ms" for case, ms in runs[-1].items())
                      + f"   (completed {counts['completed']:,}, load {loads[-1]:.1f})", flush=True)
    print(f"\nkeypress → repaint, median of {args.runs} runs (min–max of the run medians), "
          f"load {min(loads):.1f}–{max(loads):.1f}:")
    for case, label in (("down", "cursor down (200 rows shown)"), ("s", "next sort order, read and shown"),
                        ("f", "failed-only filter, read and shown")):
        values, cpu = sorted(run[case] for run in runs), sorted(run[f"{case} cpu"] for run in runs)
        print(f"  {label:<38} {statistics.median(values):7.1f} ms  ({values[0]:.1f}–{values[-1]:.1f})"
              f"   app thread CPU {statistics.median(cpu):6.1f} ms ({cpu[0]:.1f}–{cpu[-1]:.1f})"
              + (f"   bound {BOUND_MS:.0f} ms" if case == "down" else ""))


if __name__ == "__main__":
    main()
