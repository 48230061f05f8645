"""What a translation must keep before it is accepted: the shape each format needs.

``check_reply(source, reply, format)`` raises ValueError saying what is wrong; it compares a
reply with the exact text that was sent (a whole chunk, or a piece of one), so it works for
any cut of a chunk. For every format:

* a reply to non-blank text is not empty, and is valid text (no NUL, no unpaired surrogate,
  which could not be written as UTF-8 or inside a JSON string);
* where the text holds several blocks separated by blank lines (one per segment), the
  reply has the same number of blocks;
* each block keeps its placeholders (``⟦1⟧``): every one, exactly once.

Where lines are structure — Markdown (list items, block quote prefixes) and subtitles (a
cue's display lines, a SubStation line's ``\\N`` breaks) — each block also keeps its number
of lines (a one-line Markdown text, such as a heading or a table cell, is put back on one line
whatever the reply), and:

* Markdown: the reply adds no code fence line (it would swallow the rest of the file);
* subtitles: the reply adds no line holding ``-->`` (it would start a new cue).
"""

from __future__ import annotations

import re

from scribe_tui.documents.placeholders import placeholder_counts

_BLOCK_SEPARATOR = re.compile(r"\n(?:[^\S\n]*\n)+")
_FENCE = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})", re.MULTILINE)
_LINE_FORMATS = frozenset({"md", "srt", "vtt", "ass", "ssa"})


def check_reply(source: str, reply: str, document_format: str = "") -> None:
    """Raise ValueError when ``reply`` cannot stand for ``source`` (see the module docstring)."""
    if source.strip() and not reply.strip():
        raise ValueError("the translation is empty")
    _check_text(reply)
    sources, replies = _blocks(source), _blocks(reply)
    if len(sources) > 1 and len(sources) != len(replies):
        raise ValueError(f"expected {len(sources)} blocks separated by blank lines, got {len(replies)}")
    if len(sources) == 1:
        replies = [reply.strip()]
    for number, (wanted, got) in enumerate(zip(sources, replies, strict=True), start=1):
        where = f" in block {number}" if len(sources) > 1 else ""
        _check_block(wanted, got, document_format, where)


def _check_block(source: str, reply: str, document_format: str, where: str) -> None:
    if placeholder_counts(source) != placeholder_counts(reply):
        missing = sorted(set(placeholder_counts(source)) - set(placeholder_counts(reply)))
        detail = f"lost {', '.join(missing)}" if missing else "a placeholder is repeated or unknown"
        raise ValueError(f"placeholders changed{where}: {detail}")
    if document_format not in _LINE_FORMATS:
        return
    if document_format == "md" and _FENCE.search(reply) and not _FENCE.search(source):
        raise ValueError(f"the reply adds a code fence line{where}")
    if document_format in ("srt", "vtt") and "-->" in reply and "-->" not in source:
        raise ValueError(f"the reply adds a timing line ('-->'){where}")
    wanted, got = _line_count(source), _line_count(reply)
    if wanted != got and (wanted > 1 or document_format != "md"):  # one Markdown line is joined back anyway
        raise ValueError(f"expected {wanted} line(s){where}, got {got}")


def _check_text(reply: str) -> None:
    if "\x00" in reply:
        raise ValueError("the reply holds a NUL character")
    try:
        reply.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the reply holds an unpaired surrogate, which is not text") from None


def _blocks(text: str) -> list[str]:
    parts = [part for part in _BLOCK_SEPARATOR.split(text.strip("\n")) if part.strip()]
    return parts or [text]


def _line_count(text: str) -> int:
    return sum(1 for line in text.strip().split("\n") if line.strip())
