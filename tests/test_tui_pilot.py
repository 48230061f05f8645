"""Pilot tests of the keys that act on the queue, against a real JobStore (the engine's
process side is scripted by FakeEngine): every key is checked by what it did to the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.tui.widgets.failures_table import FailuresTable
from tests.tui_fakes import rendered, select_job, settled, wait_until
from tests.tui_pilot_support import SIZE, jobs_table, make_app, queue_env


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from queue_env(tmp_path)


async def test_starts_on_the_jobs_table_with_the_cursor_on_the_first_row(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        table = jobs_table(app)
        assert app.focused is table
        assert table.cursor_row == 0 and table.selected_job_id == min(j.id for j in engine.store.jobs())
        titles = {pane.border_title for pane in app.screen.query(".pane")}
        assert titles == {"Jobs", "Throughput", "Failures", "Workers", "Providers"}
        assert table.row_count == len(engine.store.jobs())
        assert "supervisor · running" in app.sub_title


async def test_r_requeues_the_selected_failed_job(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await select_job(pilot, ids["failed"])
        await pilot.press("r")
        await settled(pilot)
        assert engine.store.job(ids["failed"]).status == "queued"
        assert engine.store.job(ids["dead"]).status == "dead"  # only the selected one
        assert ("retry", [ids["failed"]]) in engine.calls


async def test_R_requeues_every_failed_and_dead_job(env) -> None:
    engine, settings, ids = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("R")
        await settled(pilot)
        assert engine.store.job(ids["failed"]).status == "queued"
        assert engine.store.job(ids["dead"]).status == "queued"
        assert engine.store.job(ids["cancelled"]).status == "cancelled"  # R leaves cancelled alone
        assert not app.screen.query_one(FailuresTable).row_count


async def test_c_cancels_the_selected_job(env) -> None:
    engine, settings, ids = env
    queued = next(j.id for j in engine.store.jobs(status="queued") if j.id != ids["retrying"])
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await select_job(pilot, queued)
        await pilot.press("c")
        await settled(pilot)
        assert engine.store.job(queued).status == "cancelled"
        assert all(t.status == "cancelled" for t in engine.store.tasks_of_job(queued))
        assert str(jobs_table(app).get_cell(str(queued), "status")) == "cancelled"


async def test_p_and_P_change_the_selected_jobs_priority_by_five(env) -> None:
    engine, settings, ids = env
    job_id = ids["processing"]
    before = engine.store.job(job_id).priority
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await select_job(pilot, job_id)
        await pilot.press("p")
        await settled(pilot)
        assert engine.store.job(job_id).priority == before + 5
        assert str(jobs_table(app).get_cell(str(job_id), "prio")) == str(engine.store.job(job_id).effective_priority)
        await pilot.press("P", "P")
        await settled(pilot)
        assert engine.store.job(job_id).priority == before - 5


async def test_space_toggles_pause_through_the_store(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("space")
        await settled(pilot)
        assert engine.store.get_control("paused") is True
        assert "PAUSED" in app.sub_title
        await pilot.press("space")
        await settled(pilot)
        assert engine.store.get_control("paused") is False
        assert "running" in app.sub_title


async def test_plus_and_minus_scale_the_workers(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("plus", "plus")
        await settled(pilot)
        assert engine.target_workers == 3
        await pilot.press("minus")
        await settled(pilot)
        assert engine.target_workers == 2
        assert "target 2" in str(app.screen.query_one("#workers-pane").border_subtitle)


async def test_q_quits_at_once_and_leaves_the_work_queued(env) -> None:
    engine, settings, _ = env
    before = {j.id: j.status for j in engine.store.jobs()}
    unfinished = sum(1 for status in before.values() if status in ("queued", "processing"))
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit, "the app to exit")
    assert app.return_code == 0
    assert app.quit_message == (f"{unfinished} jobs (1 of them started) stay queued and resume "
                                "the next time scribe-tui runs here")
    assert {j.id: j.status for j in engine.store.jobs()} == before


async def test_the_command_palette_follows_the_state_and_runs_commands(env) -> None:
    engine, settings, _ = env
    app = make_app(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"pause")
        await wait_until(pilot, lambda: "Pause dispatch" in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt),
                         "the Pause command first")
        await pilot.press("enter")
        await settled(pilot)
        assert engine.store.get_control("paused") is True
        from scribe_tui.tui.palette import screen_commands

        names = [c.name for c in screen_commands(app, app.screen)]
        assert "Resume dispatch" in names and "Pause dispatch" not in names
        assert f"Retry job {jobs_table(app).selected_job_id}" in names

