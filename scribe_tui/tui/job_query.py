"""What the Jobs pane asks the store for: the filter typed after ``/``, the sort column
``s`` cycles through, and the window of rows it shows. Pure functions, no Textual."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scribe_tui.languages import LANGUAGES, normalise
from scribe_tui.store import JobRow, JobStatus

STATUSES = tuple(status.value for status in JobStatus)
STATUS_ALIASES = {"running": "processing", "done": "completed", "ok": "completed", "error": "failed",
                  "dead-letter": "dead", "deadletter": "dead", "pending": "queued", "canceled": "cancelled"}

WINDOW = 500
"""Rows the Jobs table shows at most; the border subtitle says how many matched."""

STATUS_RANK = {"processing": 0, "queued": 1, "failed": 2, "dead": 3, "cancelled": 4, "completed": 5}


def _progress(row: JobRow) -> float:
    return row.chunks_done / row.chunks_total if row.chunks_total else 0.0


@dataclass(frozen=True)
class SortOrder:
    name: str
    key: Callable[[JobRow], Any]
    descending: bool = False


SORT_ORDERS: tuple[SortOrder, ...] = (
    SortOrder("id", lambda r: r.id),
    SortOrder("priority", lambda r: (r.effective_priority, -r.id), descending=True),
    SortOrder("status", lambda r: (STATUS_RANK.get(r.status, 9), r.id)),
    SortOrder("document", lambda r: (r.path.lower(), r.target_language)),
    SortOrder("progress", lambda r: (_progress(r), r.id), descending=True),
    SortOrder("attempts", lambda r: (r.attempts, r.id), descending=True),
    SortOrder("started", lambda r: (r.started_at is None, r.started_at or 0.0, r.id)),
)


class FilterError(ValueError):
    """The filter text names a status or language that does not exist."""


@dataclass(frozen=True)
class JobFilter:
    """``status:failed,dead lang:he lecture`` → statuses, languages and the text the
    document's path must contain (as ``jobs list`` and the store match it)."""

    statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.statuses or self.languages or self.text)

    def describe(self) -> str:
        parts = []
        if self.statuses:
            parts.append("status:" + ",".join(self.statuses))
        if self.languages:
            parts.append("lang:" + ",".join(self.languages))
        if self.text:
            parts.append(self.text)
        return " ".join(parts)


def _statuses(value: str) -> tuple[str, ...]:
    out = []
    for raw in value.split(","):
        name = STATUS_ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if not name:
            continue
        if name not in STATUSES:
            raise FilterError(f"unknown status {raw!r} (one of {', '.join(STATUSES)})")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _languages(value: str) -> tuple[str, ...]:
    out = []
    for raw in value.split(","):
        code = normalise(raw)
        if not code:
            continue
        if code not in LANGUAGES:
            raise FilterError(f"unknown language {raw!r}")
        out.append(code)
    return tuple(dict.fromkeys(out))


def parse_filter(query: str) -> JobFilter:
    """Parse the filter line; raises FilterError for an unknown status or language."""
    statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    words = []
    for token in query.split():
        key, sep, value = token.partition(":")
        if sep and key.lower() in ("status", "s", "is"):
            statuses += _statuses(value)
        elif sep and key.lower() in ("lang", "language", "l", "to"):
            languages += _languages(value)
        else:
            words.append(token)
    return JobFilter(tuple(dict.fromkeys(statuses)), tuple(dict.fromkeys(languages)), " ".join(words))


@dataclass(frozen=True)
class JobQuery:
    """The filter, the sort order and the window size: everything the state reader needs."""

    filter: JobFilter = JobFilter()
    sort_index: int = 0
    window: int = WINDOW

    @property
    def order(self) -> SortOrder:
        return SORT_ORDERS[self.sort_index % len(SORT_ORDERS)]

    def next_sort(self) -> JobQuery:
        return replace(self, sort_index=(self.sort_index + 1) % len(SORT_ORDERS))

    def with_filter(self, job_filter: JobFilter) -> JobQuery:
        return replace(self, filter=job_filter)


def order_and_window(rows: Sequence[JobRow], query: JobQuery) -> tuple[JobRow, ...]:
    """Sort ``rows`` by the query's order and keep the first ``window``."""
    order = query.order
    ordered = sorted(rows, key=order.key, reverse=order.descending)
    return tuple(ordered[: query.window])
