"""Pilot tests of what the TUI shows and how it is steered: filter, sort, job detail, add
documents, help, engine events, and errors that must not take the screen down."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from scribe_tui.engine.api import Notice, RetryScheduled
from scribe_tui.store import StoreError
from scribe_tui.tui.screens.add_documents import AddDocumentsScreen
from scribe_tui.tui.screens.help import HelpScreen
from scribe_tui.tui.screens.job_detail import JobDetailScreen
from scribe_tui.tui.screens.main import MainScreen
from scribe_tui.tui.widgets.chunks_table import ChunksTable
from scribe_tui.tui.widgets.failures_table import FailuresTable
from scribe_tui.tui.widgets.filter_bar import FilterBar
from tests.tui_fakes import (
    NOW,
    FakeEngine,
    demo_scripted,
    fixed_clock,
    make_settings,
    populate,
    rendered,
    select_job,
    settled,
    wait_until,
    write_documents,
)
from tests.tui_pilot_support import SIZE, RecordingApp, jobs_table, make_app, queue_env, shown_ids


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from queue_env(tmp_path)


async def test_filter_narrows_the_rows_and_escape_keeps_it(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("slash")
        bar = app.screen.query_one(FilterBar)
        assert app.focused is bar
        bar.insert_text_at_cursor("status:failed,dead lecture-")
        await pilot.press("0", "enter")
        await wait_until(pilot, lambda: sorted(shown_ids(app)) == sorted([ids["failed"], ids["dead"]]),
                         "the failed and dead jobs only")
        assert app.focused is jobs_table(app)
        assert "filter: status:failed,dead lecture-0" in str(app.screen.query_one("#jobs-pane").border_subtitle)
        await pilot.press("slash")
        assert bar.value == "status:failed,dead lecture-0"  # it opens on the current filter
        bar.clear()
        bar.insert_text_at_cursor("lang:d")
        await pilot.press("e", "enter")
        expected = sorted(j.id for j in engine.store.jobs(language="de"))
        await wait_until(pilot, lambda: sorted(shown_ids(app)) == expected, "the German jobs")


async def test_a_filter_with_an_unknown_status_is_refused(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        all_rows = shown_ids(app)
        await pilot.press("slash")
        app.screen.query_one(FilterBar).value = "status:exploded"
        await pilot.press("enter")
        await rendered(pilot)
        assert shown_ids(app) == all_rows
        assert any("unknown status" in note for note in app.notes)


async def test_s_cycles_the_sort_order(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("s")  # priority, highest first
        await wait_until(pilot, lambda: "sort: priority" in str(app.screen.query_one("#jobs-pane").border_subtitle),
                         "the priority sort")
        await rendered(pilot)
        priorities = [int(str(jobs_table(app).get_cell(str(i), "prio"))) for i in shown_ids(app)]
        assert priorities == sorted(priorities, reverse=True) and priorities[0] > priorities[-1]


async def test_f_shows_failed_and_dead_jobs_only_and_again_all(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        total = len(shown_ids(app))
        await pilot.press("f")
        await wait_until(pilot, lambda: sorted(shown_ids(app)) == sorted([ids["failed"], ids["dead"]]),
                         "failed jobs only")
        await pilot.press("f")
        await wait_until(pilot, lambda: len(shown_ids(app)) == total, "every job again")


async def test_enter_opens_the_job_detail_with_its_chunks(env) -> None:
    engine, settings, ids = env
    job_id = ids["processing"]
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await select_job(pilot, job_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.shown is not None,
                         "the detail screen")
        screen = app.screen
        tasks = engine.store.tasks_of_job(job_id)
        await wait_until(pilot, lambda: screen.query_one(ChunksTable).row_count == len(tasks), "the chunks")
        statuses = [str(screen.query_one(ChunksTable).get_cell(str(t.idx), "status")) for t in tasks]
        assert statuses == [t.status for t in tasks]
        assert str(screen.query_one("#source-text").render()).startswith(tasks[0].text[:30])
        assert "[he] chunk 0" in str(screen.query_one("#translation-text").render())
        assert screen.query_one("#translation-pane").has_class("rtl")  # Hebrew reads right to left
        await pilot.press("down")
        await wait_until(pilot, lambda: tasks[1].text[:30] in str(screen.query_one("#source-text").render()),
                         "the second chunk's source")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        assert app.detail_job_id is None


async def test_the_detail_of_a_left_to_right_language_is_not_right_aligned(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await select_job(pilot, ids["failed"])  # German
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.shown is not None,
                         "the detail screen")
        assert not app.screen.query_one("#translation-pane").has_class("rtl")
        errors = [str(app.screen.query_one(ChunksTable).get_cell(str(t.idx), "error"))
                  for t in engine.store.tasks_of_job(ids["failed"])]
        assert any("ProviderError: 400 Bad Request" in e for e in errors)


async def test_a_adds_documents_through_the_engine(env, tmp_path: Path) -> None:
    engine, settings, _ = env
    new_dir = tmp_path / "new"
    (path,) = write_documents(new_dir, 1)
    before = len(engine.store.jobs())
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddDocumentsScreen), "the add screen")
        path_input = app.screen.query_one("#add-path")
        path_input.value = str(new_dir) + "/"
        path_input.cursor_position = len(path_input.value)
        await pilot.press(*"lec")  # typed: the suggester completes the file name
        await wait_until(pilot, lambda: app.screen.query_one("#add-path")._suggestion == str(path),
                         "the path completion")
        await pilot.press("right")  # accept the completion
        assert path_input.value == str(path)
        languages = app.screen.query_one("#add-languages")
        languages.value = "de,fr"
        await pilot.press("tab", "enter")  # focus the languages field, submit
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
        await settled(pilot)
    added = [j for j in engine.store.jobs() if j.path == str(path)]
    assert len(engine.store.jobs()) == before + 2
    assert sorted(j.target_language for j in added) == ["de", "fr"]
    assert all(j.status == "queued" and j.chunks_total > 0 for j in added)
    assert any("1 document(s): 2 job(s) queued" in note for note in app.notes)


async def test_the_add_screen_refuses_a_missing_path_and_an_unknown_language(env, tmp_path: Path) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddDocumentsScreen), "the add screen")
        app.screen.query_one("#add-path").value = str(tmp_path / "missing.txt")
        await pilot.press("enter")
        assert "no such file or directory" in str(app.screen.query_one("#add-error").render())
        app.screen.query_one("#add-path").value = str(tmp_path / "docs")
        app.screen.query_one("#add-languages").value = "he,xx"
        await pilot.press("enter")
        assert "unknown language code 'xx'" in str(app.screen.query_one("#add-error").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")
    assert not [c for c in engine.calls if c[0] == "enqueue" and c[1][0][0].name == "docs"]


async def test_question_mark_opens_help_with_every_key(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        help_text = app.screen.query_one("Markdown")
        await wait_until(pilot, lambda: help_text.source, "the help text")  # the Markdown widget fills in on mount
        markdown = help_text.source
        for text in ("Retry the selected job", "Retry every failed and dead job", "Pause or resume",
                     "unfinished jobs stay queued", "**Failures**", "**Providers**"):
            assert text in markdown
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the main screen")


async def test_events_feed_the_failures_pane_and_notices_notify(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        engine.events.put(RetryScheduled(job_id=ids["retrying"], task_id=1, chunk_index=0, delay_s=25,
                                         error_class="Timeout", message="read timed out", attempts=1, ts=NOW))
        engine.events.put(Notice(level="warning", message="provider openai: circuit open for 30s", ts=NOW))
        failures = app.screen.query_one(FailuresTable)
        key = f"{ids['retrying']}:0:retrying"
        await wait_until(pilot, lambda: key in failures.rows, "the retrying chunk")
        cell = lambda column: str(failures.get_cell(key, column))  # noqa: E731
        assert (cell("kind"), cell("error_class"), cell("next_retry")) == ("retrying", "Timeout", "in 25s")
        assert any("circuit open" in note for note in app.notes)


class BrokenEngine(FakeEngine):
    def retry(self, job_ids: list[int] | None = None) -> int:
        raise StoreError("the job store is locked by another process")


async def test_a_failing_command_is_a_notification_and_a_failures_row_not_a_crash(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine = BrokenEngine(settings, demo_scripted())
    populate(engine, tmp_path / "docs")
    app = make_app(engine, settings)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await rendered(pilot)
            await pilot.press("R")
            await settled(pilot)
            assert app.is_running
            assert any("locked by another process" in note for note in app.notes)
            failures = app.screen.query_one(FailuresTable)
            assert any(str(failures.get_cell(row.key, "kind")) == "error" for row in failures.ordered_rows)
    finally:
        engine.close()


class FlakySnapshotEngine(FakeEngine):
    fail_next = 1

    def snapshot(self):  # type: ignore[no-untyped-def]
        if self.fail_next:
            self.fail_next -= 1
            raise StoreError("database disk image is malformed")
        return super().snapshot()


async def test_a_poll_error_is_reported_and_polling_starts_again(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine = FlakySnapshotEngine(settings, demo_scripted())
    populate(engine, tmp_path / "docs")
    app = make_app(engine, settings)
    app.read_restart_s = 0.1
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.errors, "the poll error")
            assert "malformed" in app.errors[0].message
            await rendered(pilot)  # reading came back
            assert jobs_table(app).row_count == len(engine.store.jobs())
    finally:
        engine.close()


async def test_unchanged_rows_are_not_rewritten(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        table = jobs_table(app)
        updates: list[tuple[str, str]] = []
        original = DataTable.update_cell

        def counting(self, row_key, column_key, value, *, update_width=False):  # type: ignore[no-untyped-def]
            updates.append((str(getattr(row_key, "value", row_key)), str(getattr(column_key, "value", column_key))))
            return original(self, row_key, column_key, value, update_width=update_width)

        table.update_cell = counting.__get__(table)  # type: ignore[method-assign]
        app.refresh_jobs()
        await rendered(pilot)
        assert updates == []
        engine.store.change_priority(ids["processing"], 7)
        app.refresh_jobs()
        await rendered(pilot)
        assert updates == [(str(ids["processing"]), "prio")]


async def walk_to(pilot, job_id: int, key: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``key`` until the cursor is on ``job_id`` (a key at the window's end waits for the next rows)."""
    async def arrived() -> bool:
        if jobs_table(pilot.app).selected_job_id == job_id:
            return True
        await pilot.press(key)
        return False

    for _ in range(200):
        if await arrived():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the cursor never reached job {job_id}")


async def test_the_window_moves_along_with_the_cursor(env) -> None:
    """Only a window of the matching jobs is read and shown; it follows the cursor."""
    engine, settings, ids = env
    every = sorted(job.id for job in engine.store.jobs())
    app = RecordingApp(engine, settings, clock=fixed_clock, poll_interval_s=0.5, jobs_window=5)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        assert shown_ids(app) == every[:5]
        assert "5 shown of 12 matching" in str(app.screen.query_one("#jobs-pane").border_subtitle)
        await pilot.press("down", "down", "down", "down")  # on the last row of the window: it moves on
        await wait_until(pilot, lambda: shown_ids(app) == every[2:7], "the next rows")
        assert jobs_table(app).selected_job_id == every[4]  # the cursor stayed on its job
        assert "rows 3–7 of 12 matching" in str(app.screen.query_one("#jobs-pane").border_subtitle)
        await walk_to(pilot, every[-1], "down")  # through every window to the last job
        await walk_to(pilot, every[0], "up")
        assert shown_ids(app) == every[:5]
        await pilot.press("s")  # a new order starts at the top
        await wait_until(pilot, lambda: app.state is not None and app.state.query.order == "priority", "the sort")
        assert app.state.query.offset == 0


async def test_rows_that_did_not_change_are_not_compared_again(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        table = jobs_table(app)
        compared: list[str] = []
        original = table.get_row

        def counting(row_key):  # type: ignore[no-untyped-def]
            compared.append(str(getattr(row_key, "value", row_key)))
            return original(row_key)

        table.get_row = counting  # type: ignore[method-assign]
        app.refresh_jobs()
        await rendered(pilot)
        # only the running job's cells read the clock; every other row is the same tuple as before
        assert compared and set(compared) == {str(ids["processing"])}
