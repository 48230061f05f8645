"""Markdown (.md): the block structure comes from a real parser, only prose is translated.

markdown-it-py (CommonMark, plus GFM tables and footnotes from mdit-py-plugins) decides
what each line is; its inline parser is not used (it is quadratic on some inputs), so the
whole parse is linear in the size of the file. Segments:

* paragraphs, in any container: block quotes and GitHub alerts (``> [!NOTE]`` stays),
  list items (the marker and a task box ``[ ]`` stay), footnote definitions and their
  continuation paragraphs (``[^1]:`` stays); the prefixes of continuation lines (``> ``, the
  item's indentation) are left out of the text and put back in front of each line;
* heading texts (ATX and setext; the ``#`` marks and the underline stay);
* table cells, one segment each (pipes and the delimiter row stay);
* in HTML blocks, the text runs and ``alt``/``title`` values (html_text.py).

Never translated: fenced and indented code (also inside list items, block quotes and
alerts), YAML front matter (a first ``---`` line, a ``key:`` line, up to the next ``---`` or
``...``; a ``---`` rule followed by anything else is just a rule), link reference
definitions, thematic breaks, and the protected spans of each text (markdown_inline.py:
inline code, URLs and data URIs, markup, template syntax), which travel as placeholders.
A text with nothing but placeholders, digits and punctuation is not sent at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from scribe_tui.documents.decoding import split_lines
from scribe_tui.documents.html_text import html_text_runs
from scribe_tui.documents.markdown_inline import protected_spans
from scribe_tui.documents.model import TemplateBuilder
from scribe_tui.documents.placeholders import Span, has_words, merge_spans, protect

_FRONT_MATTER_KEY = re.compile(r"[^\s:#-][^:]*:(?:[ \t]|$)")
_FRONT_MATTER_END = ("---", "...")
_TASK_BOX = re.compile(r"\[[ xX]\][ \t]+")
_ALERT = re.compile(r"\[![A-Za-z]+\][ \t]*$")

Line = tuple[str, str]  # (content, ending)


@dataclass
class _Row:
    prefix: str  # container markers and indentation: never sent
    body: str
    ending: str


@dataclass
class _Region:
    """Lines ``start``–``end`` of the file, and the texts to translate in them (``spans`` are
    offsets into the rows' bodies joined with their endings, each with spans to protect whole)."""

    start: int
    end: int
    rows: list[_Row]
    spans: list[tuple[int, int, list[Span]]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "footnote_tail" would move footnote definitions to the end (and drop unused ones).
    return MarkdownIt("commonmark").enable("table").use(footnote_plugin).disable(["inline", "footnote_tail"])


def parse_markdown(text: str) -> TemplateBuilder:
    lines = split_lines(text)
    skipped = _front_matter_lines(lines)
    # markdown-it reads a lone CR as a line break: hide it so line numbers stay ours.
    source = "\n".join("" if number < skipped else content.replace("\r", " ")
                       for number, (content, _) in enumerate(lines))
    env: dict[str, Any] = {}
    tokens = _parser().parse(source, env)
    references = frozenset(env.get("references", {}))
    builder = TemplateBuilder()
    position = 0
    found = [region for region in _regions(tokens, lines) if region is not None]
    for region in sorted(found, key=lambda region: region.start):
        if region.start < position:
            continue  # overlaps one already written (never expected): keep it as it is
        _literal_lines(builder, lines[position:region.start])
        _emit(builder, region, references)
        position = region.end
    _literal_lines(builder, lines[position:])
    return builder


def _front_matter_lines(lines: Sequence[Line]) -> int:
    """How many lines of YAML front matter open the file (0 when there is none)."""
    if not lines or lines[0][0].rstrip() != "---":
        return 0
    first_key_seen = False
    for number in range(1, len(lines)):
        content = lines[number][0]
        if content.rstrip() in _FRONT_MATTER_END:
            return number + 1 if first_key_seen else 0
        if not first_key_seen and content.strip() and not content.lstrip().startswith("#"):
            if not _FRONT_MATTER_KEY.match(content):
                return 0  # a thematic break followed by prose, not YAML
            first_key_seen = True
    return 0


def _literal_lines(builder: TemplateBuilder, lines: Sequence[Line]) -> None:
    builder.literal("".join(content + ending for content, ending in lines))


# ---- regions from tokens -----------------------------------------------------------------------


def _regions(tokens: Sequence[Any], lines: Sequence[Line]) -> list[_Region | None]:
    regions: list[_Region | None] = list(_table_rows(tokens, lines))
    for index, token in enumerate(tokens):
        if token.type == "inline" and token.map:
            opener = tokens[index - 1]
            after_item = index >= 2 and tokens[index - 2].type == "list_item_open"
            regions.append(_inline_region(opener, token, lines, after_item))
        elif token.type == "html_block" and token.map:
            regions.append(_html_region(token, lines))
    return regions


def _inline_region(opener: Any, token: Any, lines: Sequence[Line], after_item: bool) -> _Region | None:
    start, end = token.map
    if opener.type == "heading_open" and opener.markup.startswith("#"):
        return _atx_heading(start, token.content, lines)
    if opener.type in ("th_open", "td_open"):
        return None  # whole rows are handled from their first cell (_table_row)
    region = _prose_region(start, end, token.content, lines)
    _skip_marks(region, after_item)
    return region


def _prose_region(start: int, end: int, content: str, lines: Sequence[Line]) -> _Region:
    """A paragraph (or setext heading text) over ``lines[start:end]`` whose text, without its
    containers' prefixes, is ``content``: one span over all of it."""
    rows = _rows(lines[start:end], content.split("\n"))
    region = _Region(start, end, rows)
    body = _body(rows)
    stripped = body.strip()
    if stripped:
        first = body.index(stripped[0])
        region.spans.append((first, first + len(stripped), []))
    return region


def _skip_marks(region: _Region, after_item: bool) -> None:
    """Keep a list item's task box and an alert's ``[!NOTE]`` line out of the text."""
    if not region.spans:
        return
    body = _body(region.rows)
    start, end, protected = region.spans[0]
    if after_item and (box := _TASK_BOX.match(body, start)):
        start = box.end()
    first_line_end = body.find("\n", start)
    if _ALERT.match(body[start:first_line_end if first_line_end >= 0 else end]):
        if first_line_end < 0:
            region.spans.clear()
            return
        start = first_line_end + 1 + len(body[first_line_end + 1:]) - len(body[first_line_end + 1:].lstrip())
    region.spans[0] = (start, end, protected)


def _atx_heading(number: int, content: str, lines: Sequence[Line]) -> _Region | None:
    line, ending = lines[number]
    if not content:
        return None
    start = line.find(content, line.find("#"))
    if start < 0:
        return None
    return _Region(number, number + 1, [_Row("", line, ending)], [(start, start + len(content), [])])


def _table_rows(tokens: Sequence[Any], lines: Sequence[Line]) -> list[_Region]:
    regions = []
    cells: list[str] = []
    row_line: int | None = None
    for token in tokens:
        if token.type == "tr_open" and token.map:
            row_line, cells = token.map[0], []
        elif token.type == "inline" and row_line is not None and token.map and token.map[0] == row_line:
            cells.append(token.content)
        elif token.type == "tr_close" and row_line is not None:
            regions.append(_table_row(row_line, cells, lines))
            row_line = None
    return [region for region in regions if region is not None]


def _table_row(number: int, cells: list[str], lines: Sequence[Line]) -> _Region | None:
    line, ending = lines[number]
    spans: list[tuple[int, int, list[Span]]] = []
    position = 0
    for cell in cells:
        if not cell:
            continue
        found = line.find(cell, position)
        spelled = cell
        if found < 0:  # an escaped pipe: markdown-it hands the cell back unescaped
            spelled = cell.replace("|", "\\|")
            found = line.find(spelled, position)
        if found < 0:
            return None  # cannot place the cells: keep the row as it is
        spans.append((found, found + len(spelled), []))
        position = found + len(spelled)
    return _Region(number, number + 1, [_Row("", line, ending)], spans)


def _html_region(token: Any, lines: Sequence[Line]) -> _Region:
    start, end = token.map
    rows = _rows(lines[start:end], token.content.rstrip("\n").split("\n"))
    region = _Region(start, end, rows)
    body = _body(rows)
    for run in html_text_runs(body):
        text = body[run.start:run.end]
        stripped = text.strip()
        if stripped:
            first = run.start + text.index(stripped[0])
            region.spans.append((first, first + len(stripped), run.protected))
    return region


def _rows(lines: Sequence[Line], content_lines: Sequence[str]) -> list[_Row]:
    """Each line cut into its container prefix and its body, knowing the body's text."""
    if len(content_lines) != len(lines):
        content_lines = [content.lstrip() for content, _ in lines]
    rows = []
    for (content, ending), known in zip(lines, content_lines, strict=True):
        core, stripped = known.strip(), content.rstrip()
        cut = len(stripped) - len(core) if core and stripped.endswith(core) else len(content) - len(content.lstrip())
        rows.append(_Row(content[:cut], content[cut:], ending))
    return rows


def _body(rows: Sequence[_Row]) -> str:
    return "".join(row.body + row.ending for row in rows)


# ---- writing a region --------------------------------------------------------------------------


def _emit(builder: TemplateBuilder, region: _Region, references: frozenset[str]) -> None:
    """The region's lines into ``builder``: prefixes and untranslated text as literals."""
    body = _body(region.rows)
    starts, offset = [], 0
    for row in region.rows:
        starts.append(offset)
        offset += len(row.body) + len(row.ending)
    cursor, row = 0, 0
    for start, end, extra in region.spans:
        text = body[start:end]
        spans = merge_spans([*protected_spans(text, references), *((a - start, b - start) for a, b in extra)])
        sent, hidden = protect(text, spans)
        if not has_words(sent):
            continue
        while row < len(starts) and starts[row] <= start:
            builder.literal(body[cursor:starts[row]] + region.rows[row].prefix)
            cursor, row = starts[row], row + 1
        builder.literal(body[cursor:start])
        inside = []
        while row < len(starts) and starts[row] < end:
            inside.append(region.rows[row].prefix)
            row += 1
        builder.segment(sent, protected=hidden, prefixes=tuple(inside))
        cursor = end
    while row < len(starts):
        builder.literal(body[cursor:starts[row]] + region.rows[row].prefix)
        cursor, row = starts[row], row + 1
    builder.literal(body[cursor:])
