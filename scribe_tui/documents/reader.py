"""Reading a document: bytes in, a parsed ``Document`` or a ``DocumentError`` out.

The format follows the file name's extension (case-insensitive). Every problem with the
input becomes a ``DocumentError`` naming the file and the reason; nothing else escapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from scribe_tui.documents.assemble import fill_template
from scribe_tui.documents.decoding import decode_bytes
from scribe_tui.documents.json_transcript import parse_json_transcript
from scribe_tui.documents.markdown import parse_markdown
from scribe_tui.documents.model import Document, ParseProblem, TemplateBuilder
from scribe_tui.documents.plaintext import parse_plaintext
from scribe_tui.documents.subtitles import parse_srt, parse_vtt
from scribe_tui.errors import DocumentError

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".txt", ".md", ".srt", ".vtt", ".json")

_TEXT_PARSERS: dict[str, Callable[[str], TemplateBuilder]] = {
    "txt": parse_plaintext,
    "md": parse_markdown,
    "srt": parse_srt,
    "vtt": parse_vtt,
}


def format_of(name: str) -> str | None:
    """The document format for a file name, or None when the extension is not supported."""
    suffix = Path(name).suffix.lower()
    return suffix[1:] if suffix in SUPPORTED_EXTENSIONS else None


def load_document(path: Path, *, encoding: str | None = None) -> Document:
    """Read and parse ``path``; DocumentError when it cannot be read or is not valid input."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_document(Path(path).name, data, encoding=encoding)


def parse_document(name: str, data: bytes, *, encoding: str | None = None) -> Document:
    """Parse ``data`` as the format named by ``name``'s extension; ``encoding`` is used for
    bytes that are neither UTF-8 nor BOM-marked, instead of detecting one."""
    document_format = format_of(name)
    if document_format is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise DocumentError(f"{name}: unsupported file type (supported: {supported})")
    try:
        return _parse(name, document_format, data, encoding)
    except ParseProblem as problem:
        raise DocumentError(f"{name}: {problem}") from None


def utf8_source(document: Document, data: bytes) -> bytes:
    """The source as UTF-8: ``data`` itself unless it was converted from another encoding."""
    if not document.converted:
        return data
    return fill_template(document, document.segments)


def _parse(name: str, document_format: str, data: bytes, encoding: str | None) -> Document:
    decoded = decode_bytes(data, encoding)
    raw_segments: list[str] = []
    if document_format == "json":
        builder, raw_segments = parse_json_transcript(decoded.text)
    else:
        builder = _TEXT_PARSERS[document_format](decoded.text)
    segments, template = builder.build()
    protected, prefixes = builder.extras()
    if not segments:
        raise ParseProblem("no translatable text")
    return Document(
        name=name,
        format=document_format,
        content_hash=hashlib.sha256(data).hexdigest(),
        segments=segments,
        template=template,
        bom=decoded.bom,
        crlf=decoded.crlf,
        encoding=decoded.encoding,
        raw_segments=tuple(raw_segments),
        protected=protected,
        prefixes=prefixes,
    )
