"""Bytes to text and back: encodings, NUL/binary detection, the BOM and CRLF line endings.

Reading: a byte-order mark decides (UTF-8, UTF-16 or UTF-32, either byte order); else the
bytes are UTF-8 if they decode as UTF-8; else they are in the encoding named by
``--encoding`` when one was given, or in the legacy encoding charset-normalizer detects
(Windows-1252, Latin-1, Shift-JIS, …). ``DecodedText.encoding`` says which; anything other
than UTF-8 is *converted*: outputs are always written as UTF-8 (with a UTF-8 BOM when the
source had a BOM). Text holding a NUL character is refused as binary.

Parsers work on text whose line endings are "\\n". When every line feed in a file is part
of a CRLF pair, the CRs are removed before parsing and put back by ``encode_text``; this is
an exact inverse, so CRLF files round-trip byte for byte. Files with mixed endings are
parsed as they are (a CR then stays part of the line it ends).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from scribe_tui.documents.model import ParseProblem

UTF8 = "utf-8"
UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (UTF8_BOM, UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


_PREFERRED = "cp1252"
_CHAOS_MARGIN = 0.1
_COHERENCE_MARGIN = 0.01


@dataclass(frozen=True)
class DecodedText:
    text: str  # without BOM, "\n" line endings when ``crlf``
    bom: bool
    crlf: bool
    encoding: str = UTF8  # what the bytes were in (Python codec name); not "utf-8": converted


def decode_bytes(data: bytes, encoding: str | None = None) -> DecodedText:
    """Decode ``data`` (see the module docstring), or raise ParseProblem saying why not."""
    text, bom, used = _decode(data, encoding)
    if "\x00" in text:
        raise ParseProblem(f"binary file (NUL character at offset {text.index(chr(0))})")
    if not text.strip():
        raise ParseProblem("empty file")
    crlf = is_crlf(text)
    if crlf:
        text = text.replace("\r\n", "\n")
    return DecodedText(text=text, bom=bom, crlf=crlf, encoding=used)


def _decode(data: bytes, encoding: str | None) -> tuple[str, bool, str]:
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return _strict(data[len(mark):], codec, len(mark)), True, codec
    if b"\x00" in data:
        raise ParseProblem(f"binary file (NUL byte at offset {data.index(0)})")
    try:
        return data.decode(UTF8), False, UTF8
    except UnicodeDecodeError as exc:
        not_utf8 = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    if encoding:
        return _strict(data, encoding, 0), False, codecs.lookup(encoding).name
    return _detected(data, not_utf8)


def _strict(body: bytes, codec: str, offset: int) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        name = codec.upper().replace("-LE", "").replace("-BE", "")
        raise ParseProblem(f"not valid {name} (byte 0x{body[exc.start]:02x} at offset {exc.start + offset})") from None


def _detected(data: bytes, not_utf8: str) -> tuple[str, bool, str]:
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise ParseProblem(f"{not_utf8}, and no other text encoding fits; name it with --encoding")
    best = matches[0]
    # Subtitles are short and full of digits, so the Windows code pages often score within
    # noise of each other (a French Windows-1252 file scores best as Baltic Windows-1257).
    # Among those close to the best, Windows-1252 is by far the most common in the wild.
    close = [match for match in matches if match.chaos <= best.chaos + _CHAOS_MARGIN
             and match.coherence >= best.coherence - _COHERENCE_MARGIN]
    best = next((match for match in close if _PREFERRED in match.could_be_from_charset), best)
    return str(best), False, codecs.lookup(best.encoding).name


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
