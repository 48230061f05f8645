"""Markdown (.md): block structure kept, only prose is translated.

Segments are paragraphs, heading texts and list-item texts. Kept as they are (template):
fenced code blocks (``` and ~~~, up to a closing fence of the same kind and at least the
same length, or to the end of the file), indented code blocks (not inside a list), YAML
front matter, heading markers (``## `` and closing ``#``s), list markers (``- ``, ``1. ``,
``- [ ] ``), thematic breaks, setext underlines, link reference definitions, one-line HTML
comments and blank lines. Front matter is recognised when the file starts with ``---``
followed by a ``key:`` line, and runs to the next ``---`` or ``...`` line. Inline markup
(emphasis, links, inline code) and block quotes stay inside their paragraph: translators
keep Markdown.
"""

from __future__ import annotations

import re

from scribe_tui.documents.decoding import split_lines
from scribe_tui.documents.model import TemplateBuilder
from scribe_tui.documents.plaintext import flush_paragraph

_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}(?=[^`]*$)|~{3,})")
_HEADING = re.compile(r"^( {0,3}#{1,6})(?=[ \t]|$)(.*)$")
_HEADING_CLOSE = re.compile(r"^(.*?)((?:[ \t]+#+)?[ \t]*)$")
_LIST_ITEM = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?)(?=\S)(.*)$")
_STRUCTURE_LINE = re.compile(
    r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|=+[ \t]*|-+[ \t]*)$"  # breaks, underlines
    r"|^ {0,3}\[[^\]]+\]:[ \t]*\S+.*$"  # link reference definitions
    r"|^[ \t]*<!--.*-->[ \t]*$"  # one-line HTML comments
)
_INDENTED = re.compile(r"^(?: {4}|[ \t]{0,3}\t)")
_FRONT_MATTER_END = ("---", "...")
_YAML_KEY = re.compile(r"^[\w-]+[ \t]*:")


class _MarkdownParser:
    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self.lines = lines
        self.builder = TemplateBuilder()
        self.paragraph: list[str] = []
        self.fence: str | None = None  # the opening fence while inside a code block
        self.last_block = "other"  # "list" while list items may continue, "code", "other"

    def parse(self) -> TemplateBuilder:
        start = self._front_matter()
        for content, ending in self.lines[start:]:
            self._line(content, ending)
        self._flush()
        return self.builder

    def _front_matter(self) -> int:
        if len(self.lines) < 2 or self.lines[0][0] != "---" or not _YAML_KEY.match(self.lines[1][0]):
            return 0
        for number, (content, _) in enumerate(self.lines[1:], start=1):
            if content.rstrip() in _FRONT_MATTER_END:
                for line in self.lines[: number + 1]:
                    self.builder.literal("".join(line))
                return number + 1
        return 0

    def _line(self, content: str, ending: str) -> None:
        raw = content + ending
        if self.fence is not None:
            self.builder.literal(raw)
            if _closes_fence(self.fence, content):
                self.fence = None
            return
        if not content.strip():
            self._flush()
            self.builder.literal(raw)
            return
        if self._structure(content, raw):
            return
        self._prose(content, raw)

    def _structure(self, content: str, raw: str) -> bool:
        """Handle a line that starts or is a block of its own; False for prose."""
        if fence := _FENCE_OPEN.match(content):
            self._literal_block(raw, "other")
            self.fence = fence.group(1)
        elif heading := _HEADING.match(content):
            self._flush()
            self.last_block = "other"
            body = _HEADING_CLOSE.match(heading.group(2))
            assert body is not None  # the pattern matches every string
            self.builder.literal(heading.group(1))
            self.builder.text(body.group(1))
            self.builder.literal(body.group(2) + raw[len(content):])
        elif _STRUCTURE_LINE.match(content):
            self._literal_block(raw, self.last_block)
        elif item := _LIST_ITEM.match(content):
            self._flush()
            self.last_block = "list"
            self.builder.literal(item.group(1))
            self.paragraph.append(raw[len(item.group(1)):])
        elif not self.paragraph and self.last_block != "list" and _INDENTED.match(content):
            self._literal_block(raw, "code")
        else:
            return False
        return True

    def _prose(self, content: str, raw: str) -> None:
        if not self.paragraph and not _INDENTED.match(content):
            self.last_block = "other"
        self.paragraph.append(raw)

    def _literal_block(self, raw: str, block: str) -> None:
        self._flush()
        self.builder.literal(raw)
        self.last_block = block

    def _flush(self) -> None:
        flush_paragraph(self.builder, self.paragraph)


def _closes_fence(fence: str, content: str) -> bool:
    stripped = content.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def parse_markdown(text: str) -> TemplateBuilder:
    return _MarkdownParser(split_lines(text)).parse()
