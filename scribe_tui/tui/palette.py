"""The command palette's scribe-tui commands. They follow the current state: "Pause" or
"Resume" depending on the engine, and the job commands name the selected job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class PaletteCommand:
    name: str
    help: str
    run: Callable[[], Any]


def main_screen_commands(screen: Any, app: Any) -> Iterator[PaletteCommand]:
    """The commands for the main screen's state (``screen`` is a MainScreen)."""
    job_id = screen.selected_job_id
    if job_id is not None:
        yield PaletteCommand(f"Retry job {job_id}", "Requeue the selected failed, dead or cancelled job (r)",
                             screen.action_retry_selected)
        yield PaletteCommand(f"Cancel job {job_id}", "Cancel the selected job (c)", screen.action_cancel_selected)
        yield PaletteCommand(f"Raise priority of job {job_id}", "Priority +5 (p)", lambda: screen.action_priority(1))
        yield PaletteCommand(f"Lower priority of job {job_id}", "Priority -5 (P)", lambda: screen.action_priority(-1))
        yield PaletteCommand(f"Open job {job_id}", "Chunks, source and translation (enter)", screen.action_open_detail)
    yield PaletteCommand("Retry all failed and dead jobs", "Requeue every failed or dead job (R)", screen.action_retry_all)
    snapshot = app.latest.snapshot if app.latest else None
    if snapshot is not None and snapshot.paused:
        yield PaletteCommand("Resume dispatch", "Start sending chunks to workers again (space)", screen.action_toggle_pause)
    else:
        yield PaletteCommand("Pause dispatch", "Let chunks in flight finish; start no new ones (space)",
                             screen.action_toggle_pause)
    yield PaletteCommand("Add a worker", "Target workers +1 (+)", lambda: screen.action_scale(1))
    yield PaletteCommand("Remove a worker", "Target workers -1 (-)", lambda: screen.action_scale(-1))
    yield PaletteCommand("Add documents", "Enqueue files or directories (a)", screen.action_add_documents)
    yield PaletteCommand("Filter jobs", "status:failed lang:he words (/)", screen.action_open_filter)
    yield PaletteCommand("Cycle sort order", "id, priority, status, document, progress, attempts, elapsed (s)",
                         screen.action_cycle_sort)
    yield PaletteCommand("Show failed jobs only", "Toggle the status:failed,dead filter (f)", screen.action_failures_only)


class ScribeCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        app: Any = self.app
        commands = []
        screen_commands = getattr(self.screen, "palette_commands", None)  # the main screen has them
        if screen_commands is not None:
            commands.extend(screen_commands())
        commands.append(PaletteCommand("Help", "Keys and what each pane means (?)", app.action_help))
        commands.append(PaletteCommand("Quit", "Quit now; unfinished jobs stay queued and resume next time (q)",
                                       app.action_quit))
        return commands

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, text=command.name, help=command.help)
