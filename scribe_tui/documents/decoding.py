"""Bytes to text and back: NUL/binary detection, strict UTF-8, the BOM and CRLF line endings.

Parsers work on text whose line endings are "\\n". When every line feed in a file is part
of a CRLF pair, the CRs are removed before parsing and put back by ``encode_text``; this is
an exact inverse, so CRLF files round-trip byte for byte. Files with mixed endings are
parsed as they are (a CR then stays part of the line it ends).
"""

from __future__ import annotations

from dataclasses import dataclass

from scribe_tui.documents.model import ParseProblem

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class DecodedText:
    text: str  # without BOM, "\n" line endings when ``crlf``
    bom: bool
    crlf: bool


def decode_bytes(data: bytes) -> DecodedText:
    """Decode ``data`` as strict UTF-8, or raise ParseProblem saying why not."""
    if data.startswith(_UTF16_BOMS):
        raise ParseProblem("UTF-16 text is not supported; save the file as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseProblem(f"binary file (NUL byte at offset {nul})")
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(UTF8_BOM) if bom else 0)
        raise ParseProblem(f"not UTF-8 (byte 0x{body[exc.start]:02x} at offset {offset})") from None
    if not text.strip():
        raise ParseProblem("empty file")
    crlf = is_crlf(text)
    if crlf:
        text = text.replace("\r\n", "\n")
    return DecodedText(text=text, bom=bom, crlf=crlf)


def is_crlf(text: str) -> bool:
    """True when the text has line feeds and every one of them follows a CR."""
    line_feeds = text.count("\n")
    return line_feeds > 0 and text.count("\r\n") == line_feeds


def encode_text(text: str, *, bom: bool, crlf: bool) -> bytes:
    """The inverse of ``decode_bytes`` for text built from its output."""
    if crlf:
        text = text.replace("\n", "\r\n")
    return (UTF8_BOM if bom else b"") + text.encode("utf-8")


def split_lines(text: str) -> list[tuple[str, str]]:
    """Split into (content, ending) pairs; ending is "\\n", "\\r\\n", "\\r" or "" (last line).

    ``"".join(c + e for c, e in split_lines(t)) == t`` for every ``t``.
    """
    pieces = text.split("\n")
    last = len(pieces) - 1
    lines = [_cut_ending(piece, "\n" if i < last else "") for i, piece in enumerate(pieces)]
    if lines[-1] == ("", ""):
        lines.pop()
    return lines


def _cut_ending(piece: str, newline: str) -> tuple[str, str]:
    if piece.endswith("\r"):
        return piece[:-1], "\r" + newline
    return piece, newline
