"""What the TUI pilot tests share: a queue in every state behind a FakeEngine (for the
``env`` fixture), an app that records its notifications, and readers of the Jobs table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scribe_tui.config import Settings
from scribe_tui.tui.app import ScribeApp
from scribe_tui.tui.widgets.jobs_table import JobsTable
from tests.tui_fakes import FakeEngine, demo_scripted, fixed_clock, make_settings, populate

SIZE = (140, 42)


def queue_env(tmp_path: Path) -> Iterator[tuple[FakeEngine, Settings, dict[str, int]]]:
    """The body of each test module's ``env`` fixture: engine, settings and the named job ids."""
    settings = make_settings(tmp_path)
    engine = FakeEngine(settings, demo_scripted())
    ids = populate(engine, tmp_path / "docs")
    yield engine, settings, ids
    engine.close()


class RecordingApp(ScribeApp):
    """The app, keeping every notification's text for the test to read."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs) -> None:  # type: ignore[no-untyped-def, override]
        self.notes.append(message)
        super().notify(message, **kwargs)


def make_app(engine: FakeEngine, settings) -> RecordingApp:  # type: ignore[no-untyped-def]
    return RecordingApp(engine, settings, clock=fixed_clock, poll_interval_s=0.5)


def jobs_table(app: ScribeApp) -> JobsTable:
    return app.screen.query_one(JobsTable)


def shown_ids(app: ScribeApp) -> list[int]:
    return [int(row.key.value) for row in jobs_table(app).ordered_rows]
