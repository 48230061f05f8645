"""Splitting a chunk that is too long for the provider into two halves that join back exactly.

``split_text`` cuts at the boundary nearest the middle, preferring a blank line, then a line
break, then the end of a sentence, then any whitespace. The separator is the whole run of
whitespace at the cut, so ``left + separator + right == text`` and joining the two
translations with that separator keeps the document's layout byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_SPLIT_CHARS = 80  # texts shorter than this are not split further

# Each pattern's "sep" group is the separator; text before it stays with the left half.
_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?P<sep>[ \t\f\v]*\r?\n[ \t\f\v]*\r?\n\s*)"),  # a blank line and the whitespace around it
    re.compile(r"(?P<sep>[ \t\f\v]*\r?\n\s*)"),  # a line break
    re.compile(r"[.!?…][\"'”’»)\]]*(?P<sep>\s+)|[。！？][」』”’）]*(?P<cjk>\s*)"),  # the end of a sentence
    re.compile(r"(?P<sep>\s+)"),  # any whitespace
)


@dataclass(frozen=True)
class Split:
    left: str
    separator: str
    right: str

    def join(self, left: str, right: str) -> str:
        return left + self.separator + right


def split_text(text: str, min_chars: int = MIN_SPLIT_CHARS, *, within_lines: bool = True) -> Split | None:
    """Two halves and the separator between them, or None when ``text`` is too short or has
    no boundary that leaves text on both sides. ``within_lines=False`` cuts only at blank
    lines and line breaks (a reply that lost a line is not helped by cutting a line in two)."""
    if len(text) < min_chars:
        return None
    middle = len(text) / 2
    for pattern in _BOUNDARIES if within_lines else _BOUNDARIES[:2]:
        best: tuple[float, int, int] | None = None
        for match in pattern.finditer(text):
            group = "sep" if match.group("sep") is not None else "cjk"
            start, end = match.span(group)
            if not text[:start].strip() or not text[end:].strip():
                continue
            distance = abs((start + end) / 2 - middle)
            if best is None or distance < best[0]:
                best = (distance, start, end)
        if best is not None:
            _, start, end = best
            return Split(text[:start], text[start:end], text[end:])
    return None
