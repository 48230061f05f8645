"""The command palette's scribe-tui commands: one per key binding active on the screen the
palette was opened from, so the palette, the help screen and the footer never disagree. A
screen may name its commands after its state ("Retry job 12", "Resume dispatch")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from scribe_tui.tui.keys import BoundKey, bound_keys


@runtime_checkable
class NamesCommands(Protocol):
    def command_titles(self) -> Mapping[str, str]:
        """Binding id → the command's name in the palette, for the screen's current state."""
        ...


@dataclass(frozen=True)
class PaletteCommand:
    name: str
    help: str
    run: Callable[[], Any]


def palette_command(bound: BoundKey, title: str | None, run_action: Callable[..., Any]) -> PaletteCommand:
    """``Retry job 12`` with help ``Retry the selected job … · key r``."""
    name = title or bound.text
    help_text = f"{bound.text} · key {bound.key}" if name != bound.text else f"key {bound.key}"
    return PaletteCommand(name, help_text, partial(run_action, bound.binding.action, bound.namespace))


def screen_commands(app: Any, screen: Any) -> Iterator[PaletteCommand]:
    """The commands of ``screen``'s enabled bindings (the app's own included)."""
    titles = screen.command_titles() if isinstance(screen, NamesCommands) else {}
    for bound in bound_keys(app, screen):
        if bound.enabled:
            yield palette_command(bound, titles.get(bound.id), app.run_action)


class BindingCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        return list(screen_commands(self.app, self.screen))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, text=command.name, help=command.help)
