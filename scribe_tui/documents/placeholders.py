"""What a segment hides from the translator, and how it is put back.

Protected spans (inline code, URLs, data URIs, markup, template tags) never reach a
translator: each is replaced by a numbered placeholder ``⟦1⟧``, ``⟦2⟧``, … (numbered per
segment, in order) and restored byte for byte when the document is rendered. A protected
span never crosses a line break: a span over several lines is protected line by line, so
line counts stay comparable. A translation must carry every placeholder of its source
exactly once (``placeholder_counts`` is what validation compares).

Line prefixes are what container blocks put in front of each continuation line of a
segment (``> `` in a block quote, the indentation of a list item): the translator sees the
lines without them, and they are put back in front of each line of the translation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

PLACEHOLDER = re.compile(r"⟦(\d{1,6})⟧")
MAX_PLACEHOLDERS = 999_999  # six digits; spans beyond this many in one segment stay text
_LINE_BREAK = re.compile(r"\r?\n")

Span = tuple[int, int]


def placeholder(number: int) -> str:
    return f"⟦{number}⟧"


def placeholder_counts(text: str) -> Counter[str]:
    """How many times each placeholder appears in ``text``."""
    return Counter(match.group() for match in PLACEHOLDER.finditer(text))


def protect(text: str, spans: Sequence[Span]) -> tuple[str, tuple[str, ...]]:
    """``text`` with each span (sorted, not overlapping) replaced by a placeholder, and the
    texts they stand for (the n-th is ``⟦n⟧``). Spans are cut at line breaks first."""
    pieces: list[str] = []
    hidden: list[str] = []
    position = 0
    for start, end in _per_line(text, spans)[:MAX_PLACEHOLDERS]:
        pieces.append(text[position:start])
        hidden.append(text[start:end])
        pieces.append(placeholder(len(hidden)))
        position = end
    pieces.append(text[position:])
    return "".join(pieces), tuple(hidden)


def restore(text: str, hidden: Sequence[str]) -> str:
    """Put the protected texts back; a placeholder with no text of its own stays as it is."""
    if not hidden:
        return text

    def original(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return hidden[number - 1] if 1 <= number <= len(hidden) else match.group()

    return PLACEHOLDER.sub(original, text)


def add_prefixes(text: str, prefixes: Sequence[str]) -> str:
    """``text`` with ``prefixes[i]`` put in front of its line ``i + 1``; lines beyond the
    prefixes get the last one (a longer translation stays inside its block quote)."""
    if not prefixes:
        return text
    lines = text.split("\n")
    out = [lines[0]]
    for number, line in enumerate(lines[1:]):
        out.append(prefixes[min(number, len(prefixes) - 1)] + line)
    return "\n".join(out)


def has_words(text: str) -> bool:
    """True when ``text`` holds a letter outside its placeholders (something to translate)."""
    return any(char.isalpha() for char in PLACEHOLDER.sub("", text))


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined."""
    merged: list[Span] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _per_line(text: str, spans: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in spans:
        position = start
        for match in _LINE_BREAK.finditer(text, start, end):
            if match.start() > position:
                out.append((position, match.start()))
            position = match.end()
        if end > position:
            out.append((position, end))
    return out
