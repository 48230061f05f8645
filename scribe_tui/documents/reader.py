"""Reading a document: bytes in, a parsed ``Document`` or a ``DocumentError`` out.

The format follows the file name's extension (case-insensitive). Every problem with the
input becomes a ``DocumentError`` naming the file and the reason; nothing else escapes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path

from scribe_tui.documents.assemble import fill_template
from scribe_tui.documents.decoding import DecodedText, decode_bytes
from scribe_tui.documents.formats import BY_EXTENSION, BY_NAME, SUPPORTED_EXTENSIONS
from scribe_tui.documents.gettext import clear_translations
from scribe_tui.documents.json_transcript import parse_json_transcript
from scribe_tui.documents.model import REBUILT_FORMATS, Document, ParseProblem, TemplateBuilder
from scribe_tui.errors import DocumentError

__all__ = ["SUPPORTED_EXTENSIONS", "format_of", "load_document", "parse_document", "utf8_source"]


def format_of(name: str) -> str | None:
    """The document format for a file name, or None when the extension is not supported."""
    spec = BY_EXTENSION.get(Path(name).suffix.lower())
    return spec.name if spec else None


def load_document(path: Path, *, encoding: str | None = None, retranslate: bool = False) -> Document:
    """Read and parse ``path``; DocumentError when it cannot be read or is not valid input."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_document(Path(path).name, data, encoding=encoding, retranslate=retranslate)


def parse_document(name: str, data: bytes, *, encoding: str | None = None, retranslate: bool = False) -> Document:
    """Parse ``data`` as the format named by ``name``'s extension; ``encoding`` is used for
    bytes that are neither UTF-8 nor BOM-marked, instead of detecting one. ``retranslate``:
    a .po catalogue's existing translations are sent again (the kept source has them emptied)."""
    document_format = format_of(name)
    if document_format is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise DocumentError(f"{name}: unsupported file type (supported: {supported})")
    try:
        return _parse(name, document_format, data, encoding, retranslate)
    except ParseProblem as problem:
        raise DocumentError(f"{name}: {problem}") from None


def utf8_source(document: Document, data: bytes) -> bytes:
    """The source as UTF-8: ``data`` itself unless it was converted from another encoding
    (a rebuilt format's source is what its document keeps)."""
    if document.format in REBUILT_FORMATS:
        return document.source
    if not document.converted:
        return data
    return fill_template(document, document.segments)


def _parse(name: str, document_format: str, data: bytes, encoding: str | None, retranslate: bool) -> Document:
    spec = BY_NAME[document_format]
    raw_segments: list[str] = []
    decoded = DecodedText(text="", bom=False, crlf=False)
    if spec.parse_bytes is not None:
        builder = _parse_container(spec.parse_bytes, data)
    else:
        decoded = decode_bytes(data, encoding)
        if retranslate and document_format == "po":
            decoded = dataclasses.replace(decoded, text=clear_translations(decoded.text))
        if document_format == "json":
            builder, raw_segments = parse_json_transcript(decoded.text)
        else:
            assert spec.parse_text is not None
            builder = spec.parse_text(decoded.text)
    segments, template = builder.build()
    protected, prefixes = builder.extras()
    if not segments:
        raise ParseProblem("no translatable text")
    kept = b""
    if document_format in REBUILT_FORMATS:
        kept = data if spec.parse_bytes is not None else decoded.text.encode("utf-8")
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
        source=kept,
    )


def _parse_container(parse: Callable[[bytes], TemplateBuilder], data: bytes) -> TemplateBuilder:
    """A zip container's parse; a file that is not a zip archive is refused saying so."""
    import zipfile

    try:
        return parse(data)
    except zipfile.BadZipFile as exc:
        raise ParseProblem(f"damaged or not a zip container ({exc})") from None
