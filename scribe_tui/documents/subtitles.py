"""Subtitles (.srt, .vtt): each cue's text is a segment; everything else is kept byte for byte.

Cue numbers, identifiers, timing lines (with their settings), the WEBVTT header and NOTE,
STYLE and REGION blocks stay in the template. A cue's text lines form one segment, their
line breaks inside it. Text that follows a blank line inside a cue (common in the wild,
though not allowed by either format) is kept as a segment of its own.

A cue ends at any line containing ``-->``, blank line or not (the WebVTT parsing rules;
youtube-dl writes cues back to back that way): that line is the next cue's timing line, and
in .srt a bare number just before it is the next cue's number.

Broken input is refused naming the line: a timing line that does not parse, a cue number
with no timing line, a block that is not a cue, a .vtt file without the WEBVTT line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scribe_tui.documents.decoding import split_lines
from scribe_tui.documents.model import ParseProblem, TemplateBuilder

_SRT_TIME = r"\d{1,3}:[0-5]\d:[0-5]\d[,.]\d{3}"
_VTT_TIME = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d[.,]\d{3}"
_SRT_TIMING = re.compile(rf"^[ \t]*{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t].*)?$")
_VTT_TIMING = re.compile(rf"^[ \t]*{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t].*)?$")
_CUE_NUMBER = re.compile(r"^[ \t]*\d+[ \t]*$")
_VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_VTT_LITERAL_BLOCK = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$")

Line = tuple[int, str, str]  # (1-based line number, content, ending)


def parse_srt(text: str) -> TemplateBuilder:
    builder = TemplateBuilder()
    cues = 0
    for block in _blocks(split_lines(text), builder):
        number, first, _ = block[0]
        if _CUE_NUMBER.match(first):
            _require_timing(block, 1, _SRT_TIMING, f"cue {first.strip()}")
            cues += _cues(builder, block, 1, _SRT_TIMING, numbered=True, first_cue=cues + 1)
        elif _SRT_TIMING.match(first):
            cues += _cues(builder, block, 0, _SRT_TIMING, numbered=True, first_cue=cues + 1)
        elif "-->" in first:
            raise ParseProblem(f"line {number} (cue {cues + 1}): bad timestamp {first.strip()!r}")
        elif cues:
            _cue(builder, block, text_from=0)
        else:
            raise ParseProblem(f"line {number}: expected a cue number, found {_clip(first)!r}")
    return builder


def parse_vtt(text: str) -> TemplateBuilder:
    builder = TemplateBuilder()
    lines = split_lines(text)
    if not lines or not _VTT_HEADER.match(lines[0][0]):
        raise ParseProblem("missing the WEBVTT line at the top")
    cues = 0
    for index, block in enumerate(_blocks(lines, builder)):
        number, first, _ = block[0]
        if index == 0 or _VTT_LITERAL_BLOCK.match(first):
            _literal(builder, block)  # the header block, comments, styles, regions
            continue
        timing = next((i for i, (_, content, _) in enumerate(block[:2]) if "-->" in content), None)
        if timing is not None:
            _require_timing(block, timing, _VTT_TIMING, f"cue {cues + 1}")
            cues += _cues(builder, block, timing, _VTT_TIMING, numbered=False, first_cue=cues + 1)
        elif cues:
            _cue(builder, block, text_from=0)
        else:
            raise ParseProblem(f"line {number}: expected a cue timing line, found {_clip(first)!r}")
    return builder


def _cues(builder: TemplateBuilder, block: list[Line], timing: int, pattern: re.Pattern[str], *,
          numbered: bool, first_cue: int) -> int:
    """The cues of a block whose first timing line is ``block[timing]``; how many there were.
    Every later line holding "-->" starts another cue (with the bare number before it, in .srt)."""
    bounds = [(0, timing)]  # (first line, timing line) of each cue
    for position in range(timing + 1, len(block)):
        if "-->" in block[position][1]:
            number = position - 1
            has_number = numbered and number > bounds[-1][1] and _CUE_NUMBER.match(block[number][1])
            bounds.append((number if has_number else position, position))
    for cue, (start, at) in enumerate(bounds):
        end = bounds[cue + 1][0] if cue + 1 < len(bounds) else len(block)
        run = block[start:end]
        _require_timing(run, at - start, pattern, f"cue {first_cue + cue}")
        _cue(builder, run, text_from=at - start + 1)
    return len(bounds)


def _blocks(lines: list[tuple[str, str]], builder: TemplateBuilder) -> Iterator[list[Line]]:
    """Yield runs of non-blank lines; blank lines go straight to the template."""
    block: list[Line] = []
    for number, (content, ending) in enumerate(lines, start=1):
        if content.strip():
            block.append((number, content, ending))
            continue
        if block:
            yield block
            block = []
        builder.literal(content + ending)
    if block:
        yield block


def _require_timing(block: list[Line], position: int, pattern: re.Pattern[str], cue: str) -> None:
    if position >= len(block):
        number, _, _ = block[-1]
        raise ParseProblem(f"line {number} ({cue}): no timestamp line follows")
    number, content, _ = block[position]
    if "-->" not in content:
        raise ParseProblem(f"line {number} ({cue}): expected a timestamp line, found {_clip(content)!r}")
    if not pattern.match(content):
        raise ParseProblem(f"line {number} ({cue}): bad timestamp {content.strip()!r}")


def _cue(builder: TemplateBuilder, block: list[Line], *, text_from: int) -> None:
    _literal(builder, block[:text_from])
    builder.text("".join(content + ending for _, content, ending in block[text_from:]))


def _literal(builder: TemplateBuilder, block: list[Line]) -> None:
    builder.literal("".join(content + ending for _, content, ending in block))


def _clip(text: str, width: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 1] + "…"
