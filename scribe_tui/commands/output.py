"""Text output shared by the operator commands: aligned tables that fit the terminal,
numbers, costs, shortened paths, and JSON on stdout (durations: ``scribe_tui.durations``)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    title: str
    align: str = "left"  # left | right
    flexible: bool = False  # shrunk (from the left for paths) when the table is too wide
    min_width: int = 8
    keep_end: bool = False  # when shrinking, keep the end of the value (paths)


def terminal_width(default: int = 120) -> int:
    return shutil.get_terminal_size((default, 24)).columns


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def shorten(text: str, width: int, *, keep_end: bool = False) -> str:
    text = " ".join(str(text).split()) if "\n" in str(text) else str(text)
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return ELLIPSIS
    return ELLIPSIS + text[-(width - 1):] if keep_end else text[: width - 1] + ELLIPSIS


def render_table(columns: Sequence[Column], rows: Sequence[Sequence[Any]], *, width: int | None = None, gap: int = 2) -> str:
    """Rows under a header, each column as wide as its widest cell; flexible columns
    shrink so that the table fits ``width`` (no limit when None)."""
    cells = [[_one_line(value) for value in row] for row in rows]
    widths = [max([len(col.title), *(len(row[i]) for row in cells)]) for i, col in enumerate(columns)]
    if width is not None:
        widths = _fit(columns, widths, width - gap * (len(columns) - 1))
    lines = [_render_row([col.title for col in columns], columns, widths, gap)]
    lines += [_render_row(row, columns, widths, gap) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _one_line(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    return " ".join(text.split()) if ("\n" in text or "\t" in text) else text


def _fit(columns: Sequence[Column], widths: list[int], available: int) -> list[int]:
    widths = list(widths)
    flexible = [i for i, col in enumerate(columns) if col.flexible]
    for i in reversed(flexible):  # shrink the last flexible column first
        excess = sum(widths) - available
        if excess <= 0:
            break
        widths[i] = max(columns[i].min_width, widths[i] - excess)
    return widths


def _render_row(row: Sequence[str], columns: Sequence[Column], widths: list[int], gap: int) -> str:
    parts = []
    for value, col, width in zip(row, columns, widths, strict=True):
        value = shorten(value, width, keep_end=col.keep_end)
        parts.append(value.rjust(width) if col.align == "right" else value.ljust(width))
    return (" " * gap).join(parts)


# ---- values -----------------------------------------------------------------------------------


def fmt_int(value: float | int | None) -> str:
    return "-" if value is None else f"{int(round(value)):,}"


def fmt_cost(value: float | None) -> str:
    if value is None:
        return "-"
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def fmt_rate(value: float | None, unit: str = "/min") -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}{unit}" if value < 100 else f"{value:,.0f}{unit}"


def pct(part: float, whole: float) -> str:
    return "-" if not whole else f"{100.0 * part / whole:.0f}%"


# ---- JSON -------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def to_json(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(value, default=_json_default, indent=indent, ensure_ascii=False, sort_keys=False)


def print_json(value: Any, *, indent: int | None = 2, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(to_json(value, indent=indent) + "\n")
    stream.flush()
