"""Plain text (.txt): paragraphs separated by blank lines are the segments.

A blank line is one holding only whitespace. Each paragraph's own line breaks stay inside
its segment; the blank lines and the whitespace around each paragraph stay in the template.
"""

from __future__ import annotations

from scribe_tui.documents.decoding import split_lines
from scribe_tui.documents.model import TemplateBuilder


def parse_plaintext(text: str) -> TemplateBuilder:
    builder = TemplateBuilder()
    paragraph: list[str] = []
    for content, ending in split_lines(text):
        if content.strip():
            paragraph.append(content + ending)
            continue
        flush_paragraph(builder, paragraph)
        builder.literal(content + ending)
    flush_paragraph(builder, paragraph)
    return builder


def flush_paragraph(builder: TemplateBuilder, paragraph: list[str]) -> None:
    """Hand the collected lines to ``builder`` as one segment and empty the list."""
    if paragraph:
        builder.text("".join(paragraph))
        paragraph.clear()
