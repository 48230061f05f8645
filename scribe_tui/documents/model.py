"""What a parsed document is: translatable segments set into a fixed template.

Every format parser produces the same shape. The document's text is
``template[0] + segments[0] + template[1] + ... + segments[-1] + template[-1]``; all that
is not translated (markup, timestamps, JSON syntax, the whitespace between paragraphs) lives
in the template, so putting the source segments back reproduces the source bytes exactly.
A segment may also hide protected spans behind placeholders and leave its continuation
lines' prefixes outside (``placeholders.py``); those are put back when it is rendered.

Formats whose container a library must write (``REBUILT_FORMATS``: .po, .docx, .epub) keep
their source bytes in the document instead of a template; their module rebuilds the output
from them, finding the same segments in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMATS = ("txt", "md", "srt", "vtt", "json", "ass", "ssa", "html", "po", "docx", "epub")
# Formats rebuilt from their source by their own library (the template is all empty strings):
# an identity translation gives the same content as that library reads it, not the same bytes.
REBUILT_FORMATS = frozenset({"po", "docx", "epub"})


@dataclass(frozen=True)
class Document:
    """One source file, parsed. ``segments`` are the texts to translate, in order."""

    name: str
    format: str  # one of FORMATS
    content_hash: str  # sha256 hex of the source bytes
    segments: list[str]
    template: tuple[str, ...] = field(repr=False)  # len(segments) + 1 literal pieces
    bom: bool = False  # a UTF-8 BOM is written back
    crlf: bool = False  # template and segments hold "\n"; written back as "\r\n"
    encoding: str = "utf-8"  # what the source bytes were in; outputs are always UTF-8
    # json only: each segment as spelled in the source (escapes kept), used when unchanged
    raw_segments: tuple[str, ...] = field(default=(), repr=False)
    # per segment (or empty for none at all): texts behind its placeholders, and the prefixes
    # of its continuation lines (see placeholders.py)
    protected: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    prefixes: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    # rebuilt formats only (REBUILT_FORMATS): the source the output is rebuilt from (UTF-8 for .po)
    source: bytes = field(default=b"", repr=False)

    @property
    def converted(self) -> bool:
        """True when the source was not UTF-8: its output (and stored copy) is UTF-8."""
        return self.encoding != "utf-8"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown document format {self.format!r}")
        if len(self.template) != len(self.segments) + 1:
            raise ValueError("a template has one more piece than there are segments")
        for name in ("protected", "prefixes"):
            if getattr(self, name) and len(getattr(self, name)) != len(self.segments):
                raise ValueError(f"{name} has one entry per segment")


class ParseProblem(ValueError):
    """Why a document cannot be read, worded for a user (the reader adds the file name)."""


class TemplateBuilder:
    """Collects literal text and translatable segments in document order."""

    def __init__(self) -> None:
        self._pieces: list[list[str]] = [[]]
        self._segments: list[str] = []
        self._protected: list[tuple[str, ...]] = []
        self._prefixes: list[tuple[str, ...]] = []

    def literal(self, text: str) -> None:
        """Text kept as it is."""
        self._pieces[-1].append(text)

    def text(self, text: str) -> None:
        """Translatable text; its leading and trailing whitespace stays in the template."""
        core = text.strip()
        if not core:
            self.literal(text)
            return
        start = len(text) - len(text.lstrip())
        self.literal(text[:start])
        self.segment(core)
        self.literal(text[start + len(core):])

    def segment(self, text: str, *, protected: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> None:
        """A segment taken exactly as given (the caller decides about whitespace); what its
        placeholders stand for and its continuation lines' prefixes, if any."""
        self._segments.append(text)
        self._protected.append(protected)
        self._prefixes.append(prefixes)
        self._pieces.append([])

    def build(self) -> tuple[list[str], tuple[str, ...]]:
        """The segments and the template pieces around them."""
        return list(self._segments), tuple("".join(piece) for piece in self._pieces)

    def extras(self) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
        """(protected, prefixes) per segment, or empty tuples when no segment has any."""
        protected = tuple(self._protected) if any(self._protected) else ()
        prefixes = tuple(self._prefixes) if any(self._prefixes) else ()
        return protected, prefixes
