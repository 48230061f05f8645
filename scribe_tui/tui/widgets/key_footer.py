"""Textual's footer, showing only the keys its width has room for: the screen's keys in their
order, then the app's own (help and quit, always shown), then the palette key. A narrow
terminal leaves keys out (help lists them all) instead of running one into the palette key;
two keys for one action (``p``/``P``, ``+``/``-``) are shown both or neither."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # noqa: PLC2701 - the footer's own key widget, to measure it

ALWAYS_SHOWN = frozenset({"help", "quit"})
"""Binding ids the footer keeps at any width."""


def key_width(key: FooterKey) -> int:
    """Cells a key takes in a compact footer: key, space, label, and a space after it (and the
    palette key's left border)."""
    return len(key.key_display) + 1 + len(key.description) + 1 + key.has_class("-command-palette")


def fitting(keys: list[FooterKey], kept: set[int], width: int) -> list[FooterKey]:
    """The keys to show in ``width`` cells: those at the indexes in ``kept`` first, then as many
    of the others as fit, in order, a pair for one action together; the kept ones go last."""
    room = width - sum(key_width(keys[i]) for i in kept)
    units: dict[str, list[FooterKey]] = {}  # action name (without its arguments) -> its keys
    for index, key in enumerate(keys):
        if index not in kept:
            units.setdefault(key.action.split("(", 1)[0], []).append(key)
    shown: list[FooterKey] = []
    for unit in units.values():
        room -= sum(key_width(key) for key in unit)
        if room < 0:
            break
        shown.extend(unit)
    return shown + [keys[i] for i in sorted(kept)]


class KeyFooter(Footer):
    def __init__(self, *, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self._laid_out_for = 0  # the width the keys were chosen for

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        if self.size.width <= 0 or not all(isinstance(widget, FooterKey) for widget in widgets):
            yield from widgets
            return
        keys: list[FooterKey] = widgets  # type: ignore[assignment]
        kept = set(self._always_shown(keys))
        yield from fitting(keys, kept, self.size.width)

    def _always_shown(self, keys: list[FooterKey]) -> Iterable[int]:
        ids = {key: active.binding.id for key, active in self.screen.active_bindings.items()}
        for index, key in enumerate(keys):
            if key.has_class("-command-palette") or ids.get(key.key) in ALWAYS_SHOWN:
                yield index

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self._laid_out_for = event.size.width
            self.call_after_refresh(self.recompose)

