"""Chunks: what is sent to a translator, and how a reply maps back to segments.

A chunk is either a run of whole segments joined by ``SEGMENT_SEPARATOR`` (a blank line;
translators keep blank lines between paragraphs), or one piece of a segment too long for
the budget (``part``/``part_count``, with ``joiner`` the whitespace that followed the piece
in the source). Chunks are packed greedily up to ``max_tokens`` estimated tokens; every
chunk's ``token_estimate`` is at most ``max_tokens`` (over-long segments are cut between
sentences, else words, else characters).

A segment that would make the blank-line separator ambiguous (it holds a blank line, starts
or ends with a line break, or is only whitespace) always travels in a chunk of its own, and
a single-segment chunk's reply is taken whole, so every segment round-trips.

Each chunk carries ``context``: the tail of the previous chunk's text, about
``context_tokens`` tokens (never more), starting at a word boundary (when the tail holds no
whitespace at all, e.g. CJK, it is cut between characters). The first chunk's context is "".
No chunk needs another's translation, so all can run in parallel.

All fields are plain ints and strings: ``Chunk(**stored_fields)`` rebuilds a stored chunk.
``make_chunks`` leaves ``format`` empty; whoever stores the chunks records it (intake).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from scribe_tui.documents.splitting import split_to_fit
from scribe_tui.documents.tokens import char_quarters, estimate_tokens, quarter_tokens

SEGMENT_SEPARATOR = "\n\n"

_SEPARATOR_WEIGHT = quarter_tokens(SEGMENT_SEPARATOR)
# One or more blank lines: how a translated chunk is cut back into segments.
_SEPARATOR_PATTERN = re.compile(r"\n(?:[^\S\n]*\n)+")
_AMBIGUOUS = re.compile(r"\n[^\S\n]*\n|\A[^\S\n]*\n|\n[^\S\n]*\Z")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str  # exactly what is sent for translation
    context: str  # tail of the previous chunk's text ("" for the first chunk)
    token_estimate: int
    first_segment: int  # index of the first segment this chunk covers
    segment_count: int = 1  # whole segments covered (1 for a piece)
    part: int = 0  # which piece of ``first_segment`` this is, when it was split
    part_count: int = 1  # how many pieces ``first_segment`` was split into (1: not split)
    joiner: str = ""  # whitespace between this piece and the next one in the source
    format: str = ""  # the document's format, for checking replies ("" when not known)


@dataclass(frozen=True)
class _Plan:
    text: str
    first_segment: int
    segment_count: int = 1
    part: int = 0
    part_count: int = 1
    joiner: str = ""


def make_chunks(segments: Sequence[str], max_tokens: int, context_tokens: int) -> list[Chunk]:
    """Pack ``segments`` into chunks of at most ``max_tokens`` estimated tokens."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
    if context_tokens < 0:
        raise ValueError(f"context_tokens must not be negative, not {context_tokens}")
    chunks: list[Chunk] = []
    previous = ""
    for index, plan in enumerate(_plan(segments, max_tokens * 4)):
        chunks.append(
            Chunk(
                index=index,
                text=plan.text,
                context=tail_context(previous, context_tokens) if index else "",
                token_estimate=estimate_tokens(plan.text),
                first_segment=plan.first_segment,
                segment_count=plan.segment_count,
                part=plan.part,
                part_count=plan.part_count,
                joiner=plan.joiner,
            )
        )
        previous = plan.text
    return chunks


def split_translation(chunk: Chunk, translated: str) -> list[str]:
    """The translation of each segment (or of the piece) in ``chunk``.

    Raises ValueError when the reply is empty (for a non-blank chunk) or does not have one
    blank-line-separated block per segment; the caller should treat that as a malformed reply.
    """
    if chunk.text.strip() and not translated.strip():
        raise ValueError(f"chunk {chunk.index}: the translation is empty")
    if chunk.segment_count == 1:
        return [translated]
    parts = _SEPARATOR_PATTERN.split(translated)
    while parts and not parts[0].strip():
        parts.pop(0)
    while parts and not parts[-1].strip():
        parts.pop()
    if len(parts) != chunk.segment_count:
        raise ValueError(
            f"chunk {chunk.index}: expected {chunk.segment_count} blocks separated by blank lines, "
            f"got {len(parts)}"
        )
    return parts


def tail_context(text: str, context_tokens: int) -> str:
    """The end of ``text`` worth at most ``context_tokens`` tokens, starting at a word."""
    budget, used, start = context_tokens * 4, 0, len(text)
    while start > 0:
        weight = char_quarters(text[start - 1])
        if used + weight > budget:
            break
        used += weight
        start -= 1
    if 0 < start < len(text) and not text[start - 1].isspace() and not text[start].isspace():
        gap = _WHITESPACE.search(text, start)
        start = gap.end() if gap else start  # no word boundary in the tail: cut mid-word
    while start < len(text) and text[start].isspace():
        start += 1
    return text[start:]


def is_packable(segment: str) -> bool:
    """True when ``segment`` can share a chunk: the separator stays unambiguous around it."""
    return bool(segment.strip()) and not _AMBIGUOUS.search(segment)


def _plan(segments: Sequence[str], max_quarters: int) -> Iterator[_Plan]:
    group: list[str] = []
    group_first, group_weight = 0, 0
    for position, segment in enumerate(segments):
        weight = quarter_tokens(segment)
        fits_group = group and group_weight + _SEPARATOR_WEIGHT + weight <= max_quarters
        if weight <= max_quarters and is_packable(segment) and fits_group:
            group.append(segment)
            group_weight += _SEPARATOR_WEIGHT + weight
            continue
        if group:
            yield _Plan(SEGMENT_SEPARATOR.join(group), group_first, len(group))
            group = []
        if weight > max_quarters:
            yield from _pieces(segment, position, max_quarters)
        elif is_packable(segment):
            group, group_first, group_weight = [segment], position, weight
        else:
            yield _Plan(segment, position)
    if group:
        yield _Plan(SEGMENT_SEPARATOR.join(group), group_first, len(group))


def _pieces(segment: str, position: int, max_quarters: int) -> Iterator[_Plan]:
    pieces = split_to_fit(segment, max_quarters)
    for part, (text, gap) in enumerate(pieces):
        yield _Plan(text, position, 1, part, len(pieces), gap)
