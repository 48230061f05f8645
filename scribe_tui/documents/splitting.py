"""Cutting one over-long text into pieces that each fit a token budget.

Cuts go at the most natural boundary that works: between sentences (or at line breaks),
else between words, else between characters (a last resort for text without spaces, e.g.
a long URL or a run of CJK without sentence punctuation). A cut point is a run of
whitespace, which is kept as the piece's ``gap``, so ``"".join(piece + gap)`` is always the
original text. Whitespace at the very start or end of the text stays inside the first or
last piece. Work is done on offsets into the text, so cutting is linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scribe_tui.documents.tokens import quarter_tokens

Piece = tuple[str, str]  # (text, whitespace that followed it in the source)
Span = tuple[int, int, int]  # (start, end of the text = start of the gap, end of the gap)

_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…؟۔।][\"'”’»)\]]*$")
_CJK_SENTENCE_END = re.compile(r"[。！？][」』”’）)]*(?=\S)")


def split_to_fit(text: str, max_quarters: int) -> list[Piece]:
    """Pieces of ``text`` each weighing at most ``max_quarters`` (see ``quarter_tokens``)."""
    if not text:
        return []
    spans = _fit(text, 0, len(text), max_quarters, 0)
    return [(text[start:end], text[end:gap_end]) for start, end, gap_end in spans]


def _fit(text: str, start: int, stop: int, max_quarters: int, level: int) -> list[Span]:
    """Greedily pack the units of ``text[start:stop]`` at ``level`` into spans that fit."""
    spans: list[Span] = []
    current: Span | None = None
    current_weight = 0
    for unit_start, unit_end, gap_end in _LEVELS[level](text, start, stop):
        weight = quarter_tokens(text[unit_start:unit_end])
        if weight > max_quarters:
            if current:
                spans.append(current)
                current = None
            finer = _fit(text, unit_start, unit_end, max_quarters, level + 1)
            finer[-1] = (finer[-1][0], finer[-1][1], gap_end)
            spans.extend(finer)
            continue
        if current:
            joined = current_weight + quarter_tokens(text[current[1] : current[2]]) + weight
            if joined <= max_quarters:
                current, current_weight = (current[0], unit_end, gap_end), joined
                continue
            spans.append(current)
        current, current_weight = (unit_start, unit_end, gap_end), weight
    if current:
        spans.append(current)
    return spans


def _sentences(text: str, start: int, stop: int) -> list[Span]:
    cuts = [
        (match.start(), match.end())
        for match in _WHITESPACE.finditer(text, start, stop)
        if "\n" in match.group() or _SENTENCE_END.search(text, max(start, match.start() - 4), match.start())
    ]
    cuts += [(match.end(), match.end()) for match in _CJK_SENTENCE_END.finditer(text, start, stop)]
    return _cut(start, stop, sorted(cuts))


def _words(text: str, start: int, stop: int) -> list[Span]:
    return _cut(start, stop, [(match.start(), match.end()) for match in _WHITESPACE.finditer(text, start, stop)])


def _characters(text: str, start: int, stop: int) -> list[Span]:
    return [(position, position + 1, position + 1) for position in range(start, stop)]


def _cut(start: int, stop: int, cuts: list[tuple[int, int]]) -> list[Span]:
    """Units between the given gaps, ignoring gaps at the very start or end of the range."""
    spans: list[Span] = []
    position = start
    for gap_start, gap_end in cuts:
        if gap_start <= position or gap_end >= stop:
            continue
        spans.append((position, gap_start, gap_end))
        position = gap_end
    spans.append((position, stop, stop))
    return spans


_LEVELS: tuple[Callable[[str, int, int], list[Span]], ...] = (_sentences, _words, _characters)
