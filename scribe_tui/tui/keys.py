"""The keys, from one source: the ``Binding`` declarations (``id``, a short ``description`` for
the footer, a ``tooltip`` sentence for help and the palette). The help screen and the command
palette list the bindings active where they were opened, with the keys the ``[keymap]``
config section gave them; ``keymap_errors`` checks that section against the known ids."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen


@dataclass(frozen=True)
class BoundKey:
    """An active binding as a person reads it: the key shown, what it does, and where it acts."""

    key: str
    text: str
    binding: Binding
    namespace: DOMNode
    enabled: bool

    @property
    def id(self) -> str:
        return self.binding.id or ""


def bound_keys(app: App[object], screen: Screen[object]) -> Iterator[BoundKey]:
    """The active bindings of ``screen`` that carry an id (ours; Textual's own have none),
    one per id, in the order keys are looked up: the focused widget, the screen, the app."""
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.id or binding.system or binding.id in seen:
            continue
        seen.add(binding.id)
        yield BoundKey(key=app.get_key_display(binding), text=binding.tooltip or binding.description,
                       binding=binding, namespace=active.node, enabled=active.enabled)


def binding_ids(nodes: Iterable[type[DOMNode]]) -> set[str]:
    """Every binding id declared by ``nodes`` (and their base classes)."""
    ids: set[str] = set()
    for node in nodes:
        for cls in node.__mro__:
            for binding in Binding.make_bindings(getattr(cls, "BINDINGS", None) or ()):
                if binding.id:
                    ids.add(binding.id)
    return ids


def keymap_errors(keymap: Mapping[str, str], known: set[str]) -> list[str]:
    """What is wrong with a ``[keymap]`` section: unknown binding ids and empty keys."""
    errors = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            errors.append(f"keymap.{binding_id}: no such key binding (one of {', '.join(sorted(known))})")
        elif not keys.strip():
            errors.append(f"keymap.{binding_id}: give a key, e.g. {binding_id} = \"ctrl+r\"")
    return errors


def key_for(app: App[object], screen: Screen[object], binding_id: str, default: str) -> str:
    """The key that runs ``binding_id`` on ``screen`` now (remapped or not), or ``default``."""
    return next((bound.key for bound in bound_keys(app, screen) if bound.id == binding_id), default)
