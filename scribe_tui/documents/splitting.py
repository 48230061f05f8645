"""Cutting one over-long text into pieces that each fit a token budget.

Cuts go at the most natural boundary that works: between sentences (or at line breaks),
else between words, else between characters (a last resort for text without spaces, e.g.
a long URL or a run of CJK without sentence punctuation). A cut point is a run of
whitespace, which is kept as the piece's ``gap``, so ``"".join(piece + gap)`` is always the
original text. Whitespace at the very start or end of the text stays inside the first or
last piece. A placeholder (``⟦12⟧``) is never cut in two.

Work is done on offsets into the text and each level's units are generated one at a time,
so cutting is linear in the length of the text and holds little more than the pieces (a
10 MB line without whitespace used to cost 1.6 GB: one tuple per character).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator

from scribe_tui.documents.tokens import char_quarters, quarter_tokens

Piece = tuple[str, str]  # (text, whitespace that followed it in the source)
Span = tuple[int, int, int]  # (start, end of the text = start of the gap, end of the gap)

_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…؟۔।][\"'”’»)\]]*$")
_CJK_SENTENCE_END = re.compile(r"[。！？][」』”’）)]*(?=\S)")
_PLACEHOLDER = re.compile(r"⟦\d{1,6}⟧")
_PLACEHOLDER_MAX = len("⟦999999⟧")


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
    last_level = level == len(_LEVELS) - 1
    for unit_start, unit_end, gap_end in _LEVELS[level](text, start, stop, max_quarters):
        weight = quarter_tokens(text[unit_start:unit_end])
        if weight > max_quarters and not last_level:
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


def _sentences(text: str, start: int, stop: int, _max_quarters: int) -> Iterator[Span]:
    breaks = ((match.start(), match.end()) for match in _WHITESPACE.finditer(text, start, stop)
              if "\n" in match.group() or _SENTENCE_END.search(text, max(start, match.start() - 4), match.start()))
    cjk_ends = ((match.end(), match.end()) for match in _CJK_SENTENCE_END.finditer(text, start, stop))
    return _cut(start, stop, heapq.merge(breaks, cjk_ends))


def _words(text: str, start: int, stop: int, _max_quarters: int) -> Iterator[Span]:
    return _cut(start, stop, ((match.start(), match.end()) for match in _WHITESPACE.finditer(text, start, stop)))


def _characters(text: str, start: int, stop: int, max_quarters: int) -> Iterator[Span]:
    """Runs of characters each as heavy as a piece may be (at least one character)."""
    position = start
    while position < stop:
        end = _outside_placeholder(text, position, _fill(text, position, stop, max_quarters))
        yield position, end, end
        position = end


def _fill(text: str, start: int, stop: int, max_quarters: int) -> int:
    """The end of the longest run from ``start`` weighing at most ``max_quarters``. A character
    weighs one to four quarters, so a quarter of the room left always fits: take that much at
    a time (counted in C), then single characters for the last few quarters."""
    end = min(stop, start + max(1, max_quarters))
    if text[start:end].isascii():
        return end
    end, used = start, 0
    while end < stop and (step := (max_quarters - used) // 4):
        following = min(stop, end + step)
        used += quarter_tokens(text[end:following])
        end = following
    while end < stop and used + char_quarters(text[end]) <= max_quarters:
        used += char_quarters(text[end])
        end += 1
    return max(end, start + 1)


def _outside_placeholder(text: str, start: int, end: int) -> int:
    """``end`` moved before (or, when it starts the run, past) a placeholder it would cut."""
    opening = text.rfind("⟦", max(start, end - _PLACEHOLDER_MAX + 1), end)
    if opening < 0:
        return end
    match = _PLACEHOLDER.match(text, opening)
    if not match or match.end() <= end:
        return end
    return opening if opening > start else match.end()


def _cut(start: int, stop: int, cuts: Iterator[tuple[int, int]]) -> Iterator[Span]:
    """Units between the given gaps, ignoring gaps at the very start or end of the range."""
    position = start
    for gap_start, gap_end in cuts:
        if gap_start <= position or gap_end >= stop:
            continue
        yield position, gap_start, gap_end
        position = gap_end
    yield position, stop, stop


_LEVELS: tuple[Callable[[str, int, int, int], Iterator[Span]], ...] = (_sentences, _words, _characters)
