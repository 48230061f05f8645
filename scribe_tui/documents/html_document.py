"""HTML files (.html, .htm) and the XHTML documents of an EPUB: text nodes and ``alt``/``title``
values are the segments; everything else is kept byte for byte.

Where the text is is decided by ``html_text.py`` (the scanner shared with HTML blocks inside
Markdown): tags, other attributes, comments, the doctype and the content of ``script``,
``style``, ``code``, ``pre`` (and the other code or non-text elements) are never sent.
Inside a run of prose, phrasing tags (``<b>``, ``<a href="…">``), inline code and template
syntax (``{{ … }}``, ``{% … %}``) travel as placeholders and come back byte for byte; tags at
the very start or end of a run stay outside it (a TOC entry's link sends only its words).

A reply is escaped before it goes back (``escape_markup_text``): a bare ``&`` or ``<`` in a
translation would otherwise break the markup (XHTML would not parse at all), and a ``"`` would
end an attribute value.
"""

from __future__ import annotations

import re

from scribe_tui.documents.html_text import html_text_runs
from scribe_tui.documents.markdown_inline import HTML_TAG
from scribe_tui.documents.model import TemplateBuilder
from scribe_tui.documents.placeholders import PLACEHOLDER, Span, has_words, merge_spans, protect

_TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_BARE_AMPERSAND = re.compile(r"&(?!#\d{1,7};|#[xX][0-9A-Fa-f]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def parse_html(text: str) -> TemplateBuilder:
    """The text runs of an HTML (or XHTML, or any XML with text nodes) document as segments."""
    builder = TemplateBuilder()
    cursor = 0
    for run in html_text_runs(text):
        start, end = _inside_edge_tags(text, run.start, run.end)
        if start == end:
            continue
        spans = merge_spans([*_markup_spans(text, start, end), *((a - start, b - start) for a, b in run.protected)])
        sent, hidden = protect(text[start:end], spans)
        if not has_words(sent):
            continue
        builder.literal(text[cursor:start])
        builder.segment(sent, protected=hidden)
        cursor = end
    builder.literal(text[cursor:])
    return builder


def escape_markup_text(text: str) -> str:
    """A translation made safe to stand where text was: ``&``, ``<``, ``>`` and ``"`` escaped
    (entities the translator kept stay as they are; placeholders are not touched)."""
    text = _BARE_AMPERSAND.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _inside_edge_tags(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``–``end`` without surrounding whitespace and the tags that open or close the run
    (``<a href="…">Chapter 1</a>`` sends ``Chapter 1``: the link stays around the translation)."""
    while True:
        piece = text[start:end]
        core = piece.strip()
        if not core:
            return start, start
        start += piece.index(core[0])
        end = start + len(core)
        opening = HTML_TAG.match(text, start, end)
        if opening:
            start = opening.end()
            continue
        closing = _closing_tag_at_end(text, start, end)
        if closing is None:
            return start, end
        end = closing


def _closing_tag_at_end(text: str, start: int, end: int) -> int | None:
    """Where a tag that ends ``text[start:end]`` begins, if one does."""
    if not text.endswith(">", start, end):
        return None
    opening = text.rfind("<", start, end)
    if opening >= 0 and HTML_TAG.fullmatch(text, opening, end):
        return opening
    return None


def _markup_spans(text: str, start: int, end: int) -> list[Span]:
    """Tags, template syntax and stray placeholder look-alikes inside ``text[start:end]``,
    relative to ``start``."""
    piece = text[start:end]
    spans = [match.span() for match in HTML_TAG.finditer(piece)]
    spans += [match.span() for match in _TEMPLATE_SYNTAX.finditer(piece)]
    spans += [match.span() for match in PLACEHOLDER.finditer(piece)]
    return spans
