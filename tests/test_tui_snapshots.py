"""SVG snapshots of the TUI over a fixed queue and a fixed clock (no live time anywhere on
screen): at 140x42, at 80x24 (the smallest terminal it is made for), and in a light theme.
Review a changed screenshot in snapshot_report.html, then accept it with
``pytest tests/test_tui_snapshots.py --snapshot-update``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.engine.api import RetryScheduled
from scribe_tui.tui.app import ScribeApp
from scribe_tui.tui.screens.job_detail import JobDetailScreen
from tests.tui_fakes import NOW, FakeEngine, demo_scripted, fixed_clock, make_settings, populate, rendered, wait_until

SIZE = (140, 42)
SMALL = (80, 24)
LIGHT_THEME = "textual-light"


@pytest.fixture
def app_and_ids(tmp_path: Path):
    settings = make_settings(tmp_path)
    engine = FakeEngine(settings, demo_scripted())
    ids = populate(engine, tmp_path / "docs")
    engine.events.put(RetryScheduled(job_id=ids["retrying"], task_id=0, chunk_index=0, delay_s=25,
                                     error_class="Timeout", message="read timed out after 60s", attempts=1,
                                     ts=NOW - 5))
    app = ScribeApp(engine, settings, clock=fixed_clock, poll_interval_s=0.5)
    yield app, ids
    engine.close()


async def _first_render(pilot) -> None:  # type: ignore[no-untyped-def]
    await rendered(pilot)


def test_main_screen_mid_run(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids
    assert snap_compare(app, terminal_size=SIZE, run_before=_first_render)


def test_job_detail_of_a_hebrew_job(snap_compare, app_and_ids) -> None:
    app, ids = app_and_ids

    async def open_detail(pilot) -> None:  # type: ignore[no-untyped-def]
        await rendered(pilot)
        app.open_detail(ids["processing"])
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.shown is not None,
                         "the detail screen")

    assert snap_compare(app, terminal_size=SIZE, run_before=open_detail)


def test_failed_jobs_only(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids

    async def failures_only(pilot) -> None:  # type: ignore[no-untyped-def]
        await rendered(pilot)
        await pilot.press("f")
        await rendered(pilot)
        await pilot.press("down")  # the cursor on the second failed job

    assert snap_compare(app, terminal_size=SIZE, run_before=failures_only)


def test_help(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"], run_before=_first_render)


def test_add_documents(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids

    async def open_form(pilot) -> None:  # type: ignore[no-untyped-def]
        await rendered(pilot)
        await pilot.press("a")
        for field in app.screen.query("Input"):
            field.cursor_blink = False  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=SIZE, run_before=open_form)


def test_main_screen_at_80x24(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids
    assert snap_compare(app, terminal_size=SMALL, run_before=_first_render)


def test_help_at_80x24(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids
    assert snap_compare(app, terminal_size=SMALL, press=["question_mark"], run_before=_first_render)


def test_main_screen_in_a_light_theme(snap_compare, app_and_ids) -> None:
    app, _ = app_and_ids

    async def light(pilot) -> None:  # type: ignore[no-untyped-def]
        app.theme = LIGHT_THEME
        await rendered(pilot)
        await rendered(pilot)  # the tables' status colours follow the theme on the next read

    assert snap_compare(app, terminal_size=SIZE, run_before=light)


def test_job_detail_in_a_light_theme(snap_compare, app_and_ids) -> None:
    app, ids = app_and_ids

    async def open_detail(pilot) -> None:  # type: ignore[no-untyped-def]
        app.theme = LIGHT_THEME
        await rendered(pilot)
        app.open_detail(ids["failed"])
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.shown is not None,
                         "the detail screen")

    assert snap_compare(app, terminal_size=SIZE, run_before=open_detail)
