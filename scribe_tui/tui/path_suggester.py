"""Completion for the Add documents path field: suggests the first file or directory
that the typed path is the beginning of (directories end with ``/``)."""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester


def complete_path(typed: str) -> str | None:
    """``"~/docs/lec"`` → ``"~/docs/lectures/"`` if that directory exists; None if nothing fits."""
    if not typed:
        return None
    expanded = os.path.expanduser(typed)
    if not typed.endswith("/") and os.path.isdir(expanded):
        return typed + "/"
    parent, stem = os.path.split(expanded)
    try:
        names = sorted(os.listdir(parent or "."))
    except OSError:
        return None
    show_hidden = stem.startswith(".")
    for name in names:
        if name.startswith(stem) and name != stem and (show_hidden or not name.startswith(".")):
            suffix = "/" if os.path.isdir(os.path.join(parent or ".", name)) else ""
            return typed + name[len(stem):] + suffix
    return None


class PathSuggester(Suggester):
    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)
