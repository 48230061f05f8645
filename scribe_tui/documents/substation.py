"""Advanced SubStation Alpha (.ass) and SubStation Alpha (.ssa): the text of each Dialogue line
is a segment; everything else is kept byte for byte.

pysubs2 reads the file first: a file it cannot read is refused with its reason, and the
Dialogue lines found here must be the ones it found (same count, same text), so the
structure is the library's, not a guess. The script info, styles, fonts, comments, timing,
layer, style, actor, margins and effect fields stay in the template; the text field is the
last of the ``Format:`` line's fields, so commas inside it are text.

Override blocks (and ``\\N``) before the first word and after the last stay where they are;
inside the text, override blocks (``{\\i1}``, ``{\\pos(10,20)}``) and the ``\\n``/``\\h`` escapes
travel as placeholders; a hard line break ``\\N`` is sent as a real line break (a reply keeps
the number of lines, like a subtitle cue's) and written back as ``\\N``. A line in drawing mode
(``{\\p1}``) holds vector commands, not words, and is not sent at all.
"""

from __future__ import annotations

import re

from scribe_tui.documents.decoding import split_lines
from scribe_tui.documents.model import ParseProblem, TemplateBuilder
from scribe_tui.documents.placeholders import has_words, protect

HARD_BREAK = "\\N"
_SECTION = re.compile(r"^\s*\[(.+)\]\s*$")
_FIELD_LINE = re.compile(r"^(\s*)(Format|Dialogue)(\s*:\s*)(.*)$", re.IGNORECASE)
_PROTECTED = re.compile(r"\{[^{}]*\}|\\[nh]")
_DRAWING = re.compile(r"\{[^{}]*\\p[1-9]")
_LEADING = re.compile(r"(?:\s|\{[^{}]*\}|\\N)*")


def parse_ass(text: str) -> TemplateBuilder:
    """Segments and template of a SubStation file; ParseProblem when it is damaged."""
    expected = _library_dialogues(text)
    builder = TemplateBuilder()
    section, text_field, found = "", None, []
    for number, (content, ending) in enumerate(split_lines(text), start=1):
        heading = _SECTION.match(content)
        if heading:
            section, text_field = heading.group(1).strip().lower(), None
        line = _FIELD_LINE.match(content) if section == "events" else None
        if line is None:
            builder.literal(content + ending)
            continue
        kind, body = line.group(2).lower(), line.group(4)
        if kind == "format":
            text_field = len(body.split(","))
            builder.literal(content + ending)
            continue
        if text_field is None:
            raise ParseProblem(f"line {number}: a Dialogue line before the [Events] Format line")
        fields = body.split(",", text_field - 1)
        if len(fields) < text_field:
            raise ParseProblem(f"line {number}: a Dialogue line with {len(fields)} of {text_field} fields")
        builder.literal(content[: len(content) - len(fields[-1])])
        _dialogue_text(builder, fields[-1])
        builder.literal(ending)
        found.append(fields[-1])
    _check_against_library(found, expected)
    return builder


def hard_breaks(text: str) -> str:
    """A translation's line breaks as SubStation hard breaks."""
    return text.replace("\r\n", "\n").replace("\n", HARD_BREAK)


def _dialogue_text(builder: TemplateBuilder, text: str) -> None:
    start, end = _edges(text)
    lines = text[start:end].replace(HARD_BREAK, "\n")
    sent, hidden = protect(lines, [match.span() for match in _PROTECTED.finditer(lines)])
    if _DRAWING.search(text) or not has_words(sent):
        builder.literal(text)  # vector drawing commands, or nothing to translate
        return
    builder.literal(text[:start])
    builder.segment(sent, protected=hidden)
    builder.literal(text[end:])


def _edges(text: str) -> tuple[int, int]:
    """Where the words of a Dialogue text start and end: override blocks, ``\\N`` and whitespace
    before and after them stay in place (``{\\an8}`` keeps its place at the start of the line)."""
    start = _LEADING.match(text).end()  # type: ignore[union-attr]  # matches the empty string
    end = len(text)
    while end > start:
        if text[end - 1].isspace():
            end -= 1
        elif text.endswith(HARD_BREAK, start, end):
            end -= len(HARD_BREAK)
        elif text.endswith("}", start, end) and (opening := text.rfind("{", start, end)) >= 0 \
                and "}" not in text[opening:end - 1]:
            end = opening
        else:
            break
    return start, end


def _library_dialogues(text: str) -> list[str]:
    """The text of every Dialogue event as pysubs2 reads it; ParseProblem with its reason."""
    import pysubs2

    try:
        subtitles = pysubs2.SSAFile.from_string(text, format_="ass")
    except Exception as exc:  # pysubs2 raises several kinds for damaged input
        raise ParseProblem(f"not a valid SubStation file ({type(exc).__name__}: {_clip(str(exc))})") from None
    return [event.text for event in subtitles.events if event.type == "Dialogue"]


def _check_against_library(found: list[str], expected: list[str]) -> None:
    if len(found) != len(expected):
        raise ParseProblem(f"{len(found)} Dialogue lines found, but pysubs2 reads {len(expected)}")
    for number, (mine, theirs) in enumerate(zip(found, expected, strict=True), start=1):
        if mine.strip() != theirs.strip():
            raise ParseProblem(f"Dialogue {number}: its text field does not match what pysubs2 reads")


def _clip(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
