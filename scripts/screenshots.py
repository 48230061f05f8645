"""Regenerate the TUI screenshots in ``screens/`` from a real run: a Supervisor with worker
processes and the demo provider (its simulator on 127.0.0.1, with some failures so the
Failures pane has something to show) translating a generated set of lecture transcripts
into Hebrew, German and English. Everything lives in a temporary directory.

    .venv/bin/python scripts/screenshots.py [--seconds 40] [--out screens]

Writes main.svg (the main screen mid-run at 140x42), main-80x24.svg (the same moment in an
80x24 terminal), job-detail.svg (a Hebrew job's chunks with source and translation) and
failures.svg (failed and dead-lettered jobs only).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scribe_tui.config import Settings, load_settings
from scribe_tui.engine.supervisor import Supervisor
from scribe_tui.logs import configure_logging
from scribe_tui.tui.app import ScribeApp
from scribe_tui.tui.screens.job_detail import JobDetailScreen
from scribe_tui.tui.widgets.failures_table import FailuresTable

SIZE = (140, 42)
SMALL = (80, 24)
SHOTS = ("main.svg", "main-80x24.svg", "job-detail.svg", "failures.svg")
TOPICS = ["rivers and erosion", "the printing press", "tidal energy", "medieval trade routes", "cell division",
          "volcanic islands", "early computers", "bird migration", "the water cycle", "ancient calendars"]
SENTENCES = [
    "Good morning everyone, and welcome back to the course.",
    "Last week we looked at the basic ideas; today we go one step further.",
    "Please keep your questions until the end of each part.",
    "The first thing to notice is how slowly these changes happen.",
    "Over hundreds of years, small differences add up to something large.",
    "Let us look at an example that most of you will know.",
    "This is why the measurements from the field matter so much.",
    "We will come back to this point in the exercises on Thursday.",
]


def write_corpus(directory: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for number in range(1, count + 1):
        topic = TOPICS[(number - 1) % len(TOPICS)]
        parts = []
        for part in range(1, 5):
            body = " ".join(rng.choice(SENTENCES) for _ in range(4))
            parts.append(f"Lecture {number}, part {part}: {topic}. {body}")
        (directory / f"lecture-{number:02d}-{topic.replace(' ', '-')}.txt").write_text("\n\n".join(parts) + "\n")


def demo_settings(tmp: Path) -> Settings:
    return load_settings(
        None, data_dir=tmp / "data", output_dir=tmp / "out", workers=2, max_attempts=2,
        cache={"dir": str(tmp / "cache")}, chunking={"max_tokens": 60, "context_tokens": 15},
        retry={"base_delay_s": 2.0, "max_delay_s": 8.0, "park_after_s": 60},
        engine={"heartbeat_timeout_s": 60},  # a loaded machine starts workers slowly: do not restart them
        breaker={"failure_threshold": 20, "cooldown_s": 2.0},
        providers={"demo": {"kind": "demo", "latency_ms": 900, "jitter_ms": 300, "fail_rate": 0.15,
                            "limits": ["600/minute"], "max_concurrency": 4}})


async def wait_for(pilot, predicate, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        await pilot.pause(0.1)


def pick_hebrew_job(supervisor: Supervisor) -> int:
    jobs = supervisor.store.jobs(language="he")
    started = [j for j in jobs if 0 < j.chunks_done < j.chunks_total] or [j for j in jobs if j.chunks_done] or jobs
    return started[0].id


def run(seconds: float, out_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="scribe-screens-") as name:
        tmp = Path(name)
        write_corpus(tmp / "lectures", 18)
        settings = demo_settings(tmp)
        configure_logging(settings.resolved_data_dir(), verbose=0)
        supervisor = Supervisor(settings)
        supervisor.start()
        try:
            supervisor.enqueue([tmp / "lectures"], ["he", "de", "en"])
            app = ScribeApp(supervisor, settings, poll_interval_s=0.5)

            async def shoot(pilot) -> None:  # type: ignore[no-untyped-def]
                await pilot.pause(seconds)
                app.save_screenshot("main.svg", path=str(out_dir))
                await pilot.resize_terminal(*SMALL)
                await pilot.pause(1.0)
                app.save_screenshot("main-80x24.svg", path=str(out_dir))
                await pilot.resize_terminal(*SIZE)
                await pilot.pause(1.0)
                app.open_detail(pick_hebrew_job(supervisor))
                await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.shown, 10)
                await pilot.press("down")
                await pilot.pause(0.5)
                app.save_screenshot("job-detail.svg", path=str(out_dir))
                await pilot.press("escape", "f")
                await pilot.pause(1.5)
                app.screen.query_one(FailuresTable).focus()
                await pilot.pause(0.5)
                app.save_screenshot("failures.svg", path=str(out_dir))
                await pilot.press("q")

            app.run(headless=True, size=SIZE, auto_pilot=shoot)
        finally:
            supervisor.stop(grace_s=1)
    for name in SHOTS:
        print(out_dir / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=40.0, help="how long the run goes before the first shot")
    parser.add_argument("--out", type=Path, default=ROOT / "screens", help="where the SVG files go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    run(args.seconds, args.out.resolve())


if __name__ == "__main__":
    main()
