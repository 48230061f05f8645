"""The translatable text of an HTML block inside Markdown: text nodes and ``alt``/``title``
attribute values; tags, other attributes, comments, URLs and template syntax stay as they are.

Text is cut into runs at block-level tags (``<p>``, ``<div>``, ``<td>``, …), so a run is what
a reader sees as one piece of prose; phrasing tags inside a run (``<b>``, ``<a href>``,
``<span>``) stay in it and are protected like inline HTML in a paragraph, so the translator
sees the whole sentence. Elements whose content is code or not text at all (``script``,
``style``, ``pre``, ``textarea``, ``code``, ``kbd``, ``samp``, ``var``) are never translated: inside
a run they are protected whole, elsewhere they end it. A tag with an ``alt`` or ``title``
attribute ends the run, and the attribute's value becomes a text of its own.

One pass over the block with remembered searches: linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scribe_tui.documents.markdown_inline import HTML_TAG
from scribe_tui.documents.placeholders import Span

PHRASING = frozenset("""a abbr b bdi bdo big br cite data del dfn em font i ins mark nobr q s small span strike strong
    sub sup time tt u wbr""".split())
UNTRANSLATED = frozenset("script style pre textarea code kbd samp var template svg math".split())
_PHRASING_UNTRANSLATED = frozenset("code kbd samp var".split())
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_TEXT_ATTRIBUTE = re.compile(r"""\s(?:alt|title)\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')""", re.IGNORECASE)
_TAG_SCAN_LIMIT = 4096


@dataclass
class TextRun:
    """A piece of prose: ``start``–``end`` of the block, with spans inside it to protect whole."""

    start: int
    end: int
    protected: list[Span] = field(default_factory=list)


def html_text_runs(html: str) -> list[TextRun]:
    """The translatable runs of ``html``, in order (whitespace-only runs left out)."""
    return _HtmlScanner(html).scan()


class _HtmlScanner:
    def __init__(self, html: str):
        self.html = html
        self.lower = html.lower()
        self.runs: list[TextRun] = []
        self.run: TextRun | None = None
        self._misses: set[str] = set()

    def scan(self) -> list[TextRun]:
        position = 0
        while position < len(self.html):
            lt = self.html.find("<", position)
            if lt < 0:
                self._text(position, len(self.html))
                break
            self._text(position, lt)
            position = self._markup(lt)
        self._end_run()
        return [run for run in self.runs if self.html[run.start:run.end].strip()]

    def _text(self, start: int, end: int) -> None:
        if start >= end:
            return
        if self.run is None:
            self.run = TextRun(start, end)
        self.run.end = end

    def _end_run(self) -> None:
        if self.run is not None:
            self.runs.append(self.run)
            self.run = None

    def _markup(self, at: int) -> int:
        """Handle the markup starting at ``at`` (or a lone "<", which is text); where to go on."""
        for opening, closing in (("<!--", "-->"), ("<?", "?>"), ("<!", ">")):
            if self.html.startswith(opening, at):
                end = self._find(closing, at + len(opening))
                self._end_run()
                return len(self.html) if end < 0 else end + len(closing)
        match = HTML_TAG.match(self.html, at, min(len(self.html), at + _TAG_SCAN_LIMIT))
        if match is None:
            self._text(at, at + 1)
            return at + 1
        return self._tag(match.group(), at, match.end())

    def _tag(self, tag: str, at: int, end: int) -> int:
        name_match = _TAG_NAME.match(tag)
        assert name_match is not None  # HTML_TAG only matches named tags
        name, closing = name_match.group(1).lower(), tag.startswith("</")
        if not closing and name in UNTRANSLATED:
            return self._untranslated(name, at, end)
        attributes = [] if closing else _text_attributes(tag, at)
        if name in PHRASING and not attributes:
            if self.run is not None:
                self.run.end = end  # the tag stays inside the run, protected as inline HTML
            return end
        self._end_run()
        self.runs.extend(TextRun(start, stop) for start, stop in attributes)
        return end

    def _untranslated(self, name: str, at: int, end: int) -> int:
        """An element whose content is never translated: protected inside a run, else skipped."""
        close = self._find(f"</{name}", end, lowered=True)
        stop = len(self.html) if close < 0 else self.html.find(">", close) + 1 or len(self.html)
        if name in _PHRASING_UNTRANSLATED and self.run is not None:
            self.run.protected.append((at, stop))
            self.run.end = stop
        else:
            self._end_run()
        return stop

    def _find(self, mark: str, start: int, *, lowered: bool = False) -> int:
        """``find`` that remembers a miss: a mark missing after one position is missing after any later one."""
        if mark in self._misses:
            return -1
        found = (self.lower if lowered else self.html).find(mark, start)
        if found < 0:
            self._misses.add(mark)
        return found


def _text_attributes(tag: str, offset: int) -> list[Span]:
    """Where the values of a tag's ``alt`` and ``title`` attributes are (in the whole block)."""
    spans = []
    for match in _TEXT_ATTRIBUTE.finditer(tag):
        group = 1 if match.group(1) is not None else 2
        if match.group(group).strip():
            spans.append((offset + match.start(group), offset + match.end(group)))
    return spans
