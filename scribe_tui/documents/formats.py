"""The format registry: which extensions are read, by which parser, and how each format's
translated texts go back into a file.

A ``FormatSpec`` names a format's parser — of decoded text (``parse_text``, after the
encoding, BOM and CRLF handling of ``decoding.py``) or of the raw bytes (``parse_bytes``, for
zip containers) — and, for the formats a library writes (``model.REBUILT_FORMATS``), its
``rebuild(source, texts, language)``. ``finish`` turns a translation into what may stand in
the file (escaped for markup); it is applied to changed texts only, before their
placeholders are put back. ``spell`` writes every text (changed or not) as the format spells
it (a SubStation line break as ``\\N``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import re
from dataclasses import dataclass

from scribe_tui.documents.ebook import parse_epub, rebuild_epub
from scribe_tui.documents.gettext import parse_po, rebuild_po
from scribe_tui.documents.html_document import escape_markup_text, parse_html
from scribe_tui.documents.markdown import parse_markdown
from scribe_tui.documents.model import TemplateBuilder
from scribe_tui.documents.plaintext import parse_plaintext
from scribe_tui.documents.substation import hard_breaks, parse_ass
from scribe_tui.documents.subtitles import parse_srt, parse_vtt
from scribe_tui.documents.word import parse_docx, rebuild_docx


_LINE_BREAK = re.compile(r"[^\S\n]*\n\s*")


@dataclass(frozen=True)
class FormatSpec:
    name: str
    extensions: tuple[str, ...]
    parse_text: Callable[[str], TemplateBuilder] | None = None
    parse_bytes: Callable[[bytes], TemplateBuilder] | None = None
    rebuild: Callable[[bytes, Sequence[str], str], bytes] | None = None
    finish: Callable[[str], str] | None = None
    spell: Callable[[str], str] | None = None


def _one_line(text: str) -> str:
    """A reply's line breaks as spaces (a Word paragraph's text is one line); its edges stay."""
    return _LINE_BREAK.sub(" ", text)


SPECS: tuple[FormatSpec, ...] = (
    FormatSpec("txt", (".txt",), parse_text=parse_plaintext),
    FormatSpec("md", (".md",), parse_text=parse_markdown),
    FormatSpec("srt", (".srt",), parse_text=parse_srt),
    FormatSpec("vtt", (".vtt",), parse_text=parse_vtt),
    FormatSpec("json", (".json",)),  # parsed by json_transcript.py, which also keeps raw spellings
    FormatSpec("ass", (".ass",), parse_text=parse_ass, spell=hard_breaks),
    FormatSpec("ssa", (".ssa",), parse_text=parse_ass, spell=hard_breaks),
    FormatSpec("html", (".html", ".htm"), parse_text=parse_html, finish=escape_markup_text),
    FormatSpec("po", (".po",), parse_text=parse_po, rebuild=rebuild_po),
    FormatSpec("docx", (".docx",), parse_bytes=parse_docx, rebuild=rebuild_docx, finish=_one_line),
    FormatSpec("epub", (".epub",), parse_bytes=parse_epub, rebuild=rebuild_epub, finish=escape_markup_text),
)
BY_NAME: dict[str, FormatSpec] = {spec.name: spec for spec in SPECS}
BY_EXTENSION: dict[str, FormatSpec] = {extension: spec for spec in SPECS for extension in spec.extensions}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(BY_EXTENSION)
