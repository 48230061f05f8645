"""Reading a list of pending translations exported from another system (``translate
--from-list FILE``): CSV (``path,language[,priority]``, header optional) or JSON Lines
(``{"path": …, "language": …, "priority": …}``).

Good rows come back even when some rows are bad; each bad row is reported with its line
number and the reason. Relative paths are taken relative to the list file's directory.
A language cell may name several languages (``"he,de"`` or a JSON list): one row each.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scribe_tui.errors import UsageError
from scribe_tui.languages import LANGUAGES, normalise
from scribe_tui.store import PRIORITIES

PATH_KEYS = ("path", "file", "source")
LANGUAGE_KEYS = ("language", "lang", "target_language", "to")
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})

Problem = tuple[int, str]


@dataclass(frozen=True)
class ListRow:
    path: Path
    language: str
    priority: int


class RowError(ValueError):
    """One row cannot be used; the message says why."""


def read_job_list(path: Path) -> tuple[list[ListRow], list[Problem]]:
    """Parse ``path``; return (good rows in file order, [(line number, reason), …])."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--from-list: file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--from-list: cannot read {path}: {exc}") from None
    base = path.parent
    if _looks_like_json_lines(path, content):
        return _collect(_json_lines(content), base)
    return _collect(_csv_rows(content), base)


def _looks_like_json_lines(path: Path, content: str) -> bool:
    if path.suffix.lower() in JSONL_SUFFIXES:
        return True
    first = next((line.strip() for line in content.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    return first.startswith("{")


def _collect(records: list[tuple[int, dict[str, Any] | str]], base: Path) -> tuple[list[ListRow], list[Problem]]:
    rows: list[ListRow] = []
    problems: list[Problem] = []
    for line_no, record in records:
        if isinstance(record, str):
            problems.append((line_no, record))
            continue
        try:
            rows.extend(_rows_from_record(record, base))
        except RowError as exc:
            problems.append((line_no, str(exc)))
    return rows, problems


# ---- the two formats --------------------------------------------------------------------------


def _json_lines(content: str) -> list[tuple[int, dict[str, Any] | str]]:
    records: list[tuple[int, dict[str, Any] | str]] = []
    for line_no, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            records.append((line_no, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if not isinstance(value, dict):
            records.append((line_no, "expected a JSON object like {\"path\": ..., \"language\": ...}"))
            continue
        records.append((line_no, value))
    return records


def _csv_rows(content: str) -> list[tuple[int, dict[str, Any] | str]]:
    records: list[tuple[int, dict[str, Any] | str]] = []
    columns: list[str] | None = None
    reader = csv.reader(io.StringIO(content), delimiter=_delimiter(content), skipinitialspace=True)
    first_data_seen = False
    line_no = 1
    for cells in reader:
        start_line, line_no = line_no, reader.line_num + 1
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not first_data_seen:
            first_data_seen = True
            if _is_header(cells):
                columns = [cell.lower() for cell in cells]
                continue
        records.append((start_line, _csv_record(cells, columns)))
    return records


def _delimiter(content: str) -> str:
    """Tab or semicolon when the first row uses one and no comma; else comma."""
    first = next((line for line in content.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    for candidate in ("\t", ";"):
        if candidate in first and "," not in first:
            return candidate
    return ","


def _is_header(cells: list[str]) -> bool:
    lowered = {cell.lower() for cell in cells}
    return bool(lowered & set(PATH_KEYS)) and bool(lowered & set(LANGUAGE_KEYS))


def _csv_record(cells: list[str], columns: list[str] | None) -> dict[str, Any] | str:
    if columns is None:
        if len(cells) < 2 or len(cells) > 3:
            return f"expected 2 or 3 columns (path,language[,priority]), found {len(cells)}"
        return dict(zip(("path", "language", "priority"), cells, strict=False))
    if len(cells) > len(columns):
        return f"{len(cells)} columns but the header has {len(columns)}"
    return {column: cell for column, cell in zip(columns, cells, strict=False) if cell != ""}


# ---- one record -------------------------------------------------------------------------------


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(key).lower(): value for key, value in record.items()}
    for key in keys:
        if lowered.get(key) not in (None, ""):
            return lowered[key]
    return None


def _rows_from_record(record: dict[str, Any], base: Path) -> list[ListRow]:
    path = _path_of(_first(record, PATH_KEYS), base)
    languages = _languages_of(_first(record, LANGUAGE_KEYS))
    priority = parse_priority(_first(record, ("priority",)))
    return [ListRow(path=path, language=language, priority=priority) for language in languages]


def _path_of(value: Any, base: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise RowError("missing path")
    path = Path(value.strip()).expanduser()
    if not path.is_absolute():
        path = base / path
    if not path.exists():
        raise RowError(f"file not found: {path}")
    if not path.is_file():
        raise RowError(f"not a file: {path}")
    return path


def _languages_of(value: Any) -> list[str]:
    if value is None:
        raise RowError("missing language")
    items = value if isinstance(value, list) else str(value).split(",")
    languages: list[str] = []
    for item in items:
        code = normalise(str(item))
        if not code:
            continue
        if code not in LANGUAGES:
            raise RowError(f"unknown language code {str(item).strip()!r}")
        if code not in languages:
            languages.append(code)
    if not languages:
        raise RowError("missing language")
    return languages


def parse_priority(value: Any) -> int:
    """``high``/``normal``/``low`` or an integer; missing means normal (0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise RowError(f"priority must be high, normal, low or an integer, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    if text in PRIORITIES:
        return PRIORITIES[text]
    try:
        return int(text)
    except ValueError:
        raise RowError(f"priority must be high, normal, low or an integer, got {value!r}") from None
