"""Keys have one source of truth — the bindings: the help screen and the command palette are
built from the bindings active where they open, and a ``[keymap]`` config section moves a key
everywhere at once (the key itself, help, palette, footer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scribe_tui.tui.app import KEYMAP_IDS, ScribeApp, check_keymap
from scribe_tui.tui.palette import screen_commands
from scribe_tui.tui.screens.help import HelpScreen
from scribe_tui.tui.screens.main import MainScreen
from tests.tui_fakes import FakeEngine, demo_scripted, make_settings, populate, rendered, select_job, settled, wait_until
from tests.conftest import ROOT
from tests.tui_pilot_support import SIZE, RecordingApp, jobs_table, queue_env


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from queue_env(tmp_path)


def test_every_binding_has_an_id_a_short_label_and_a_sentence() -> None:
    bindings = [*MainScreen.BINDINGS, *ScribeApp.BINDINGS]
    assert all(b.id and b.description and b.tooltip for b in bindings)
    labels = [b.description for b in bindings]
    assert len(set(labels)) == len(labels), "two keys with one label (+ and - were both 'Worker')"
    assert {b.id for b in bindings} <= KEYMAP_IDS


def test_the_example_config_names_every_keymap_id() -> None:
    text = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text()
    section = text[text.index("[keymap]"):text.index("[providers.demo]")]
    missing = {binding_id for binding_id in KEYMAP_IDS if binding_id not in section}
    assert not missing


async def test_help_lists_the_active_bindings_with_their_sentences(env) -> None:
    engine, settings, _ = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        ids = [bound.id for bound in app.screen.keys]
        assert ids[0] == "job-detail"  # the focused Jobs table's own binding comes first
        assert {"retry", "retry-all", "pause", "workers-up", "workers-down", "quit", "help"} <= set(ids)
        assert "next-pane" not in ids  # the small panes all show at this size: no key to switch them
        help_text = app.screen.query_one("Markdown")
        await wait_until(pilot, lambda: help_text.source, "the help text")  # the Markdown widget fills in on mount
        markdown = help_text.source
        for binding in [*MainScreen.BINDINGS, *ScribeApp.BINDINGS]:
            assert binding.id == "next-pane" or binding.tooltip in markdown


async def test_a_keymap_moves_a_key_for_the_key_help_and_palette(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, keymap={"retry": "x", "help": "f1"})
    engine = FakeEngine(settings, demo_scripted())
    ids = populate(engine, tmp_path / "docs")
    app = RecordingApp(engine, settings)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await rendered(pilot)
            await select_job(pilot, ids["failed"])
            await pilot.press("r")  # no longer retry
            await settled(pilot)
            assert engine.store.job(ids["failed"]).status == "failed"
            await pilot.press("x")
            await settled(pilot)
            assert engine.store.job(ids["failed"]).status == "queued"
            retry = next(c for c in screen_commands(app, app.screen) if c.name.startswith("Retry job"))
            assert retry.help.endswith("key x")
            await pilot.press("question_mark")  # moved to f1
            await pilot.pause(0.2)
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("f1")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help on f1")
            keys = {bound.id: bound.key for bound in app.screen.keys}
            assert keys["retry"] == "x" and keys["help"] == "f1"
    finally:
        engine.close()


async def test_the_palette_runs_a_binding_and_names_it_after_the_state(env) -> None:
    engine, settings, _ = env
    app = RecordingApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await rendered(pilot)
        commands = {c.name: c for c in screen_commands(app, app.screen)}
        job_id = jobs_table(app).selected_job_id
        assert {"Pause dispatch", f"Retry job {job_id}", f"Cancel job {job_id}"} <= set(commands)
        assert any(name.startswith("Quit now") for name in commands)
        assert commands["Pause dispatch"].help == "Pause or resume dispatch (chunks in flight finish) · key space"
        assert all("(" + key + ")" not in c.help for c in commands.values() for key in ("r", "q", "space"))
        await commands["Pause dispatch"].run()
        await settled(pilot)
        assert engine.store.get_control("paused") is True
        assert "Resume dispatch" in {c.name for c in screen_commands(app, app.screen)}


def test_a_keymap_naming_an_unknown_binding_is_a_config_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, keymap={"retry": "x", "explode": "e"})
    (problem,) = check_keymap(settings)
    assert problem.startswith("keymap.explode: no such key binding") and "retry-all" in problem
    assert check_keymap(make_settings(tmp_path, keymap={"pause": " "})) == [
        'keymap.pause: give a key, e.g. pause = "ctrl+r"']


def test_the_tui_refuses_a_bad_keymap_in_one_line_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[keymap]\nexplode = "e"\n')
    proc = subprocess.run([sys.executable, "-m", "scribe_tui", "--config", str(config), "--data-dir", str(tmp_path / "d")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "keymap.explode: no such key binding" in lines[0], proc.stderr
