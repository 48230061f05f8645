"""Regenerate the dashboard's screenshots in ``screens/`` from a real run: the lectures of
``scripts/screenshots.py`` on the demo provider with some failures, served by ``scribe-tui
serve``'s app on a loopback port and photographed by headless Chromium (/usr/bin/chromium,
through playwright; no browser download).

    .venv/bin/python scripts/web_screenshots.py [--seconds 40] [--out screens]

Writes web.png (the page on a laptop-sized window, mid-run), web-detail.png (a Hebrew job's
chunks, source beside translation) and web-phone.png (the page on a phone-sized screen).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import pick_hebrew_job, write_corpus  # noqa: E402  the TUI's corpus, reused

from scribe_tui.config import Settings, load_settings  # noqa: E402
from scribe_tui.engine.supervisor import Supervisor  # noqa: E402
from scribe_tui.logs import configure_logging  # noqa: E402
from tests.web_support import OPERATOR, TOKENS, web_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def demo_settings(tmp: Path) -> Settings:
    """The demo provider with some failures, held to 120 requests a minute: the chart's bars
    meet its limit line within the run."""
    return load_settings(
        None, data_dir=tmp / "data", output_dir=tmp / "out", workers=1, max_attempts=2,
        cache={"dir": str(tmp / "cache")}, chunking={"max_tokens": 60, "context_tokens": 15},
        retry={"base_delay_s": 2.0, "max_delay_s": 8.0, "park_after_s": 60},
        breaker={"failure_threshold": 20, "cooldown_s": 2.0},
        providers={"demo": {"kind": "demo", "latency_ms": 600, "jitter_ms": 100, "fail_rate": 0.15,
                            "limits": ["120/minute"], "max_concurrency": 4}})


def shoot(url: str, job_id: int, out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 960})
            page.goto(f"{url}/?token={OPERATOR}")
            page.wait_for_selector("#jobs-table tbody tr[data-job-id]")
            page.wait_for_timeout(2500)
            page.screenshot(path=str(out_dir / "web.png"))
            page.locator(f"#jobs-table tbody tr[data-job-id='{job_id}']").click()
            page.wait_for_selector("#detail .chunk")
            page.wait_for_timeout(500)
            page.screenshot(path=str(out_dir / "web-detail.png"))
            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
            phone.goto(f"{url}/?token={OPERATOR}")
            phone.wait_for_selector("#jobs-table tbody tr[data-job-id]")
            phone.wait_for_timeout(2500)
            phone.screenshot(path=str(out_dir / "web-phone.png"))
        finally:
            browser.close()


def run(seconds: float, out_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="scribe-web-screens-") as name:
        tmp = Path(name)
        write_corpus(tmp / "lectures", 18)
        settings = demo_settings(tmp)
        configure_logging(settings.resolved_data_dir(), verbose=0)
        supervisor = Supervisor(settings)
        supervisor.start()
        try:
            supervisor.enqueue([tmp / "lectures"], ["he", "de", "en"])
            with web_server(settings, supervisor, TOKENS, interval_s=1.0) as server:
                time.sleep(seconds)
                shoot(server.url, pick_hebrew_job(supervisor), out_dir)
        finally:
            supervisor.stop(grace_s=1)
    for name in ("web.png", "web-detail.png", "web-phone.png"):
        print(out_dir / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=40.0, help="how long the run goes before the first shot")
    parser.add_argument("--out", type=Path, default=ROOT / "screens", help="where the PNG files go")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    run(args.seconds, args.out.resolve())


if __name__ == "__main__":
    main()
