"""EPUB books (.epub): the book's title and the text of its XHTML documents and its NCX table of
contents are the segments; every other byte of the container stays as it was.

ebooklib reads the book first: a book it cannot read is refused with its reason, and its
manifest says which files are XHTML documents (chapters and the EPUB 3 navigation document)
and which is the NCX. Their text is found as in an HTML file (``html_document.py``): text
nodes and ``alt``/``title`` values; markup, ``script``/``style``/``code``/``pre`` and image
references never change. The package document keeps everything but its ``dc:title`` (or
titles), which are translated, and its ``dc:language``, which becomes the target language, as
do the ``lang`` and ``xml:lang`` attributes of each XHTML document's ``<html>`` tag.

The output is the same zip, member for member in the same order with the same compression
(``mimetype`` first and stored, as readers require), with only those files rewritten.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from scribe_tui.documents.decoding import decode_bytes
from scribe_tui.documents.html_document import parse_html
from scribe_tui.documents.model import ParseProblem, TemplateBuilder

_TEXT_MEDIA_TYPES = frozenset({"application/xhtml+xml", "application/x-dtbncx+xml"})
_TITLE = re.compile(r"(<dc:title\b[^>]*>)(.*?)(</dc:title>)", re.DOTALL)
_LANGUAGE = re.compile(r"(<dc:language\b[^>]*>)(.*?)(</dc:language>)", re.DOTALL)
_HTML_TAG = re.compile(r"<html\b[^>]*>")
_LANG_ATTRIBUTE = re.compile(r"""(\s(?:xml:)?lang\s*=\s*)(["'])[^"']*\2""")


@dataclass(frozen=True)
class _Member:
    """One file of the book whose text is translated: its template and segments."""

    name: str
    template: tuple[str, ...]
    builder: TemplateBuilder


def parse_epub(data: bytes) -> TemplateBuilder:
    """Segments of a book; ParseProblem when ebooklib cannot read it."""
    builder = TemplateBuilder()
    for member in _members(data):
        segments, _ = member.builder.build()
        protected, _ = member.builder.extras()
        for position, segment in enumerate(segments):
            builder.segment(segment, protected=protected[position] if protected else ())
    return builder


def rebuild_epub(source: bytes, texts: Sequence[str], language: str) -> bytes:
    """The book in ``source`` with ``texts`` (one per segment, in order) in place."""
    replaced: dict[str, bytes] = {}
    cursor = 0
    for member in _members(source):
        count = len(member.template) - 1
        pieces = texts[cursor:cursor + count]
        cursor += count
        out = [member.template[0]]
        for position, text in enumerate(pieces):
            out += [text, member.template[position + 1]]
        text = "".join(out)
        if language and member.name.endswith(".opf"):
            text = _LANGUAGE.sub(lambda match: match.group(1) + language + match.group(3), text)
        elif language:
            text = _HTML_TAG.sub(lambda match: _LANG_ATTRIBUTE.sub(rf"\g<1>\g<2>{language}\g<2>", match.group()),
                                 text, count=1)
        replaced[member.name] = text.encode("utf-8")
    return _rezip(source, replaced)


def _members(data: bytes) -> Iterator[_Member]:
    """The package document (for its titles), then each text file in manifest order."""
    book, opf_name = _read(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        opf = _text(archive, opf_name)
        yield _Member(opf_name, *_titles(opf))
        opf_dir = posixpath.dirname(opf_name)
        for item in book.get_items():
            if item.media_type in _TEXT_MEDIA_TYPES:
                name = posixpath.normpath(posixpath.join(opf_dir, item.file_name))
                builder = parse_html(_text(archive, name))
                yield _Member(name, builder.build()[1], builder)


def _read(data: bytes) -> tuple[Any, str]:
    """ebooklib's reading of the book, and where its package document is."""
    from ebooklib import epub

    try:
        reader = epub.EpubReader(io.BytesIO(data), {"ignore_ncx": False})
        book = reader.load()
        reader.process()
    except zipfile.BadZipFile:
        raise
    except Exception as exc:  # ebooklib raises many kinds for a damaged book
        raise ParseProblem(f"not an EPUB ebooklib can read ({type(exc).__name__}: {exc})") from None
    return book, reader.opf_file


def _text(archive: zipfile.ZipFile, name: str) -> str:
    try:
        data = archive.read(name)
    except KeyError:
        raise ParseProblem(f"the manifest names {name}, which the book does not hold") from None
    return decode_bytes(data).text if data.strip() else ""


def _titles(opf: str) -> tuple[tuple[str, ...], TemplateBuilder]:
    builder = TemplateBuilder()
    cursor = 0
    for match in _TITLE.finditer(opf):
        builder.literal(opf[cursor:match.start(2)])
        builder.text(match.group(2))
        cursor = match.end(2)
    builder.literal(opf[cursor:])
    return builder.build()[1], builder


def _rezip(source: bytes, replaced: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w") as copy:
        for info in original.infolist():
            copy.writestr(info, replaced.get(info.filename, original.read(info)))
    return out.getvalue()
