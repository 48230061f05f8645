"""Reassembly: a document's translated chunks back into the bytes of a finished file.

Refuses (``DocumentError``) to build a document from an incomplete or inconsistent set of
chunks: a chunk index that appears twice, a translation for an unknown chunk, a missing
chunk or a chunk with no translation (each named by index), or chunks that do not cover
the document's segments in order.

A translated text that differs from its source is tidied before it goes in, so a reply can
never change the file's structure: surrounding whitespace is replaced by the source's own,
CRLF becomes the document's line ending, blank lines are collapsed unless the source text
had some (a blank line would end a cue or split a list item), and in Markdown a one-line
source stays on one line (headings, table rows). Unchanged texts go in exactly as they were.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from scribe_tui.documents.chunking import Chunk, split_translation
from scribe_tui.documents.decoding import encode_text
from scribe_tui.documents.formats import BY_NAME
from scribe_tui.documents.json_transcript import escape_json_string
from scribe_tui.documents.model import Document, ParseProblem
from scribe_tui.documents.placeholders import add_prefixes, restore
from scribe_tui.errors import DocumentError

_BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")


def render_document(document: Document, chunks: Sequence[Chunk], translations: Mapping[int, str], *,
                    language: str = "") -> bytes:
    """The translated file's bytes; DocumentError if the chunks are incomplete or inconsistent.
    ``language`` is the target language, for formats that record it (.po, .epub)."""
    ordered = _checked_chunks(document, chunks, translations)
    texts = _segment_translations(document, ordered, translations)
    return fill_template(document, texts, language=language)


def fill_template(document: Document, texts: Sequence[str], *, language: str = "") -> bytes:
    """The document with ``texts`` in place of its segments (one text per segment)."""
    rebuild = BY_NAME[document.format].rebuild
    if rebuild is not None:
        slots = [_slot(document, position, text) for position, text in enumerate(texts)]
        try:
            return rebuild(document.source, slots, language)
        except ParseProblem as problem:
            raise DocumentError(f"{document.name}: {problem}") from None
    out = [document.template[0]]
    for position, text in enumerate(texts):
        out.append(_slot(document, position, text))
        out.append(document.template[position + 1])
    return encode_text("".join(out), bom=document.bom, crlf=document.crlf)


def _slot(document: Document, position: int, text: str) -> str:
    source = document.segments[position]
    if text == source and document.format == "json":
        return document.raw_segments[position]
    spec = BY_NAME[document.format]
    if text != source:
        text = _tidy(document, source, text)
        text = spec.finish(text) if spec.finish else text
    if spec.spell:
        text = spec.spell(text)
    if document.format == "json":
        return escape_json_string(text)
    if document.protected:
        text = restore(text, document.protected[position])
    if document.prefixes:
        text = add_prefixes(text, document.prefixes[position])
    return text


def _tidy(document: Document, source: str, text: str) -> str:
    """Keep a translation from adding structure its source did not have."""
    if document.crlf and document.format != "json":
        text = text.replace("\r\n", "\n")  # CRLF is put back for the whole file on encoding
    if not _BLANK_LINES.search(source):
        text = _BLANK_LINES.sub("\n", text)  # a blank line would end a cue or a list item
    if document.format == "md" and "\n" not in source:
        text = text.replace("\n", " ")  # a heading or table row must stay on one line
    return text


def _checked_chunks(document: Document, chunks: Sequence[Chunk], translations: Mapping[int, str]) -> list[Chunk]:
    counts = Counter(chunk.index for chunk in chunks)
    if twice := sorted(index for index, count in counts.items() if count > 1):
        raise DocumentError(f"{document.name}: {_name(twice)} appear{_s(twice, 's', '')} more than once")
    if unknown := sorted(set(translations) - set(counts)):
        raise DocumentError(f"{document.name}: translation for unknown {_name(unknown)}")
    gaps = set(range(max(counts, default=-1) + 1)) - set(counts)
    if missing := sorted(gaps | (set(counts) - set(translations))):
        raise DocumentError(
            f"{document.name}: {_name(missing)} {_s(missing, 'is', 'are')} missing; not writing a partial document"
        )
    ordered = sorted(chunks, key=lambda chunk: chunk.index)
    _check_coverage(document, ordered)
    return ordered


def _check_coverage(document: Document, ordered: Sequence[Chunk]) -> None:
    segment, part = 0, 0
    for chunk in ordered:
        if (chunk.first_segment, chunk.part) != (segment, part):
            raise DocumentError(
                f"{document.name}: chunk {chunk.index} starts at segment {chunk.first_segment} "
                f"part {chunk.part}, expected segment {segment} part {part}; chunks do not match the document"
            )
        if chunk.part_count > 1 and part + 1 < chunk.part_count:
            part += 1
        else:
            segment, part = segment + chunk.segment_count, 0
    if segment != len(document.segments) or part:
        last = ordered[-1].index if ordered else None
        after = f" after chunk {last}" if last is not None else ""
        raise DocumentError(
            f"{document.name}: chunk(s) missing{after}: segments {segment} to "
            f"{len(document.segments) - 1} are not covered; not writing a partial document"
        )


def _segment_translations(
    document: Document, ordered: Sequence[Chunk], translations: Mapping[int, str]
) -> list[str]:
    texts: list[str] = []
    pieces: list[str] = []
    for chunk in ordered:
        try:
            parts = split_translation(chunk, translations[chunk.index])
        except ValueError as exc:
            raise DocumentError(f"{document.name}: {exc}") from None
        if chunk.part_count > 1:
            pieces.append(keep_edges(chunk.text, parts[0]) + chunk.joiner)
            if chunk.part + 1 == chunk.part_count:
                texts.append("".join(pieces))
                pieces = []
            continue
        first = chunk.first_segment
        texts.extend(keep_edges(document.segments[first + i], text) for i, text in enumerate(parts))
    return texts


def keep_edges(source: str, translated: str) -> str:
    """``translated`` with the leading and trailing whitespace of ``source``."""
    if translated == source or not source.strip():
        return source
    core = source.strip()
    start = source.index(core[0])
    return source[:start] + translated.strip() + source[start + len(core):]


def _name(indexes: Iterable[int]) -> str:
    indexes = list(indexes)
    label = "chunk" if len(indexes) == 1 else "chunks"
    return f"{label} {', '.join(str(index) for index in indexes)}"


def _s(indexes: Sequence[int], one: str, many: str) -> str:
    return one if len(indexes) == 1 else many
