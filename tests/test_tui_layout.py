"""The TUI at 80x24 and at any width: every count in the status line, each small pane
reachable under tabs (Providers with its usage, Failures with its rows), a footer that never
runs into the palette key, help that fits, and at 160 columns text that is not cut where
there is room. Plus what the user is told: the empty queue, one toast per key, the tries."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.engine.api import Notice
from scribe_tui.tui.screens.help import HelpScreen
from scribe_tui.tui.widgets.failures_table import FailuresTable
from scribe_tui.tui.widgets.key_footer import KeyFooter, key_width
from scribe_tui.tui.widgets.providers_table import ProvidersTable
from scribe_tui.tui.widgets.status_line import StatusLine
from tests.tui_fakes import FakeEngine, demo_scripted, make_settings, rendered, settled, wait_until
from tests.tui_pilot_support import RecordingApp, jobs_table, queue_env

SMALL = (80, 24)
LARGE = (160, 42)


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from queue_env(tmp_path)


def status_text(app: RecordingApp) -> str:
    return str(app.screen.query_one(StatusLine).render())


def visible(widget) -> bool:  # type: ignore[no-untyped-def]
    return widget.display and widget.region.area > 0 and widget.region in widget.screen.region


async def test_at_80x24_the_status_line_keeps_every_count(env) -> None:
    engine, settings, _ = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=SMALL) as pilot:
        await rendered(pilot)
        line = status_text(app)
        assert len(line) <= SMALL[0]
        counts = engine.store.job_counts()
        for status, short in (("completed", "done"), ("failed", "failed"), ("dead", "dead"),
                              ("cancelled", "cancelled"), ("queued", "queued")):
            assert f"{short} {counts[status]}" in line


async def test_at_80x24_the_small_panes_take_turns_and_show_their_content(env) -> None:
    engine, settings, ids = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=SMALL) as pilot:
        await rendered(pilot)
        assert app.screen.has_class("-compact")
        assert visible(app.screen.query_one("#throughput-pane"))
        assert not visible(app.screen.query_one("#providers-pane"))
        await pilot.press("t")  # Providers
        providers = app.screen.query_one(ProvidersTable)
        await wait_until(pilot, lambda: visible(providers), "the Providers pane")
        assert "limits" in providers.shown_columns
        assert str(providers.get_cell("demo", "limits")) == "600/minute 35%"
        assert not visible(app.screen.query_one("#throughput-pane"))
        await pilot.press("t", "t")  # Workers, Failures
        failures = app.screen.query_one(FailuresTable)
        await wait_until(pilot, lambda: visible(failures), "the Failures pane")
        assert failures.row_count == 2 and failures.size.height >= 4  # the rows show, not only the headings
        assert {failures.get_cell(row.key, "job").plain for row in failures.ordered_rows} >= {
            str(ids["failed"]), str(ids["dead"])}
        assert str(app.screen.query_one("#tab-failures").label) == "Failures 2"


async def test_at_80x24_the_footer_fits_and_keeps_help_and_quit(env) -> None:
    engine, settings, _ = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=SMALL) as pilot:
        await rendered(pilot)
        footer = app.screen.query_one(KeyFooter)
        await wait_until(pilot, lambda: len(footer.children) > 2, "the footer's keys")
        keys = list(footer.query("FooterKey"))
        assert sum(key_width(key) for key in keys) <= SMALL[0]
        shown = {key.description for key in keys}
        assert {"Help", "Quit", "palette", "Pane", "Pause"} <= shown
        assert all(key.region.right <= SMALL[0] for key in keys)
        palette = next(key for key in keys if key.has_class("-command-palette"))
        assert all(key.region.right <= palette.region.x for key in keys if key is not palette)


async def test_at_80x24_help_fits_the_screen_and_scrolls(env) -> None:
    engine, settings, _ = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=SMALL) as pilot:
        await rendered(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        assert body.region.x >= 0 and body.region.right <= SMALL[0] and body.region.bottom <= SMALL[1]
        assert body.max_scroll_y > 0  # the rest is a scroll away
        body.scroll_end(animate=False)
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y


async def test_at_160_columns_the_text_is_not_cut(env) -> None:
    engine, settings, ids = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=LARGE) as pilot:
        await rendered(pilot)
        assert not app.screen.has_class("-compact")
        jobs = jobs_table(app)
        assert set(jobs.shown_columns) == {column.key for column in jobs.COLUMNS}
        error = jobs.get_cell(str(ids["failed"]), "error").plain
        assert error == "chunk 1: ProviderError: 400 Bad Request: unsupported target language"
        assert jobs.columns["error"].width >= len(error)
        providers = app.screen.query_one(ProvidersTable)
        limits = providers.get_cell("openai", "limits").plain
        assert limits == "150000 tokens/minute 35% · 500/minute 8%"  # the limit that binds comes first
        assert providers.columns["limits"].width >= len(limits)
        for table in (jobs, providers, app.screen.query_one(FailuresTable)):  # the columns take all the room
            used = sum(column.get_render_width(table) for column in table.columns.values())
            assert used == table.size.width - 1, table  # (one cell is the scrollbar's)


async def test_an_empty_queue_says_which_key_adds_documents(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, keymap={"add-documents": "n"})
    engine = FakeEngine(settings, demo_scripted())
    app = RecordingApp(engine, settings)
    try:
        async with app.run_test(size=SMALL) as pilot:
            await rendered(pilot)
            hint = app.screen.query_one("#jobs-empty")
            assert visible(hint)
            assert str(hint.render()).startswith("No jobs yet: press n to add documents")
    finally:
        engine.close()


class EchoingEngine(FakeEngine):
    """Announces a pause the way the supervisor's runner does: an info notice."""

    def pause(self) -> None:
        super().pause()
        self.events.put(Notice(level="info", message="dispatch paused"))


async def test_one_key_one_toast(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine = EchoingEngine(settings, demo_scripted())
    app = RecordingApp(engine, settings)
    try:
        async with app.run_test(size=SMALL) as pilot:
            await rendered(pilot)
            await pilot.press("space")
            await settled(pilot)
            await rendered(pilot)  # the notice was read
            assert engine.events.empty()
            assert [note for note in app.notes if "paused" in note.lower()] == [
                "Dispatch paused: chunks in flight finish, no new ones start"]
            assert "PAUSED" in status_text(app)
    finally:
        engine.close()


async def test_completed_jobs_show_their_tries(env) -> None:
    engine, settings, ids = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=LARGE) as pilot:
        await rendered(pilot)
        completed = engine.store.job(ids["completed"])
        assert completed.attempts == 0 and completed.chunks_done == 4
        assert str(jobs_table(app).get_cell(str(ids["completed"]), "attempts")) == "4"


async def test_the_providers_pane_shows_the_adaptive_concurrency_cap(env) -> None:
    """``cap`` is the requests allowed in flight now of the configured maximum; lowered, it is a warning."""
    engine, settings, _ = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=LARGE) as pilot:
        await rendered(pilot)
        providers = app.screen.query_one(ProvidersTable)
        assert "cap" in providers.shown_columns
        full, lowered = providers.get_cell("demo", "cap"), providers.get_cell("openai", "cap")
        assert (full.plain, lowered.plain) == ("10/10", "1/10")
        warning = providers.get_component_rich_style("keyed-table--warning", partial=True)
        assert lowered.style == warning and full.style != warning
