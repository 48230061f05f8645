"""JSON transcripts (.json): the ``text`` of each segment is translated, nothing else.

Accepted shapes: a list of segment objects, or an object whose ``"segments"`` key holds
that list; every segment must have a string ``text`` field. All other fields, the key
order, the indentation and even the spelling of escapes stay exactly as in the source,
because output is not re-serialised: each translated string is spliced into the source
text at the position of the original ``text`` string (JSON-escaped, ``ensure_ascii=False``).
An unchanged text keeps its original spelling, so an identity translation is byte-identical.
Texts that are empty or only whitespace are not sent for translation.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from scribe_tui.documents.model import ParseProblem, TemplateBuilder

_STRUCTURAL = re.compile(r'["{}\[\]:,]')
_SHAPE = 'expected a list of segments with a "text" field, or an object with a "segments" list'

_JSON_KINDS = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}

Span = tuple[int, int, str]  # (index of the opening quote, index after the closing quote, value)


def parse_json_transcript(text: str) -> tuple[TemplateBuilder, list[str]]:
    """The template with one segment per non-blank ``text``, and each one's source spelling."""
    items, prefix = _segment_list(_load(text))
    spans = _text_spans(text, prefix)
    builder = TemplateBuilder()
    raw_segments: list[str] = []
    position = 0
    for index in range(len(items)):
        if index not in spans or spans[index][2] != items[index]:
            raise ParseProblem(f"segments[{index}]: could not locate the text in the source")
        start, end, value = spans[index]
        builder.literal(text[position : start + 1])
        raw = text[start + 1 : end - 1]
        if value.strip():
            builder.segment(value)
            raw_segments.append(raw)
        else:
            builder.literal(raw)
        position = end - 1
    builder.literal(text[position:])
    return builder, raw_segments


def escape_json_string(value: str) -> str:
    """``value`` as it appears between the quotes of a JSON string (non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseProblem(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ParseProblem("invalid JSON: nested too deeply") from None


def _segment_list(data: Any) -> tuple[list[str], tuple[str, ...]]:
    """The text of every segment and the key path to the list."""
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict):
        data, prefix = data.get("segments"), ("segments",)
        if not isinstance(data, list):
            raise ParseProblem(f'no "segments" list in the JSON object; {_SHAPE}')
    elif not isinstance(data, list):
        raise ParseProblem(f"the JSON holds a single {_JSON_KINDS.get(type(data), 'value')}; {_SHAPE}")
    texts = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ParseProblem(f'segments[{index}] has no "text" string; {_SHAPE}')
        texts.append(_checked_text(index, item["text"]))
    return texts, prefix


def _checked_text(index: int, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseProblem(f"segments[{index}].text holds an unpaired \\u surrogate escape") from None
    return value


def _text_spans(text: str, prefix: tuple[str, ...]) -> dict[int, Span]:
    """Where each ``<prefix>[i].text`` string value is; the last one wins, as in json.loads."""
    depth_wanted = len(prefix) + 2
    spans: dict[int, Span] = {}
    stack: list[list[Any]] = []  # [kind, key or index, expecting a key]
    position = 0
    while match := _STRUCTURAL.search(text, position):
        char, at = match.group(), match.start()
        position = at + 1
        if char == '"':
            value, position = scanstring(text, at + 1, True)
            frame = stack[-1] if stack else None
            if frame is not None and frame[0] == "object" and frame[2]:
                frame[1], frame[2] = value, False
            elif len(stack) == depth_wanted and _is_text_path(stack, prefix):
                spans[stack[-2][1]] = (at, position, value)
        elif char in "{[":
            stack.append(["object", None, True] if char == "{" else ["array", 0, False])
        elif char in "}]":
            stack.pop()
        elif char == "," and stack:
            frame = stack[-1]
            if frame[0] == "object":
                frame[2] = True
            else:
                frame[1] += 1
    return spans


def _is_text_path(stack: list[list[Any]], prefix: tuple[str, ...]) -> bool:
    keys = [frame[1] for frame in stack]
    kinds = [frame[0] for frame in stack]
    expected_kinds = ["object"] * len(prefix) + ["array", "object"]
    return kinds == expected_kinds and tuple(keys[: len(prefix)]) == prefix and keys[-1] == "text"
