"""Listing jobs a page at a time, in any order a person sorts a job table by: the filter
(statuses, languages, words in the document's path), the order, and the page. Written as SQL
that SQLite and PostgreSQL both run, so that the database sorts and only the page comes back;
the orders that stay put while a run goes on (id, priority, status, document, started) walk
an index (schema v3) and stop after the page; the two that move with every chunk (progress,
tries), and any order over a status or language filter, sort only the matching rows, in the
database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scribe_tui.store.models import JobStatus

STATUS_RANK = (JobStatus.PROCESSING, JobStatus.QUEUED, JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED,
               JobStatus.COMPLETED)
"""The status order: what is running first, what is done last."""

STATUS_RANK_SQL = "CASE status " + " ".join(
    f"WHEN '{status}' THEN {rank}" for rank, status in enumerate(STATUS_RANK)) + f" ELSE {len(STATUS_RANK)} END"
"""The status order as SQL on the jobs table's own columns (an index is built on this expression)."""

JOB_ORDERS: dict[str, str] = {
    "id": "j.id",
    "priority": "(j.priority + j.language_priority) DESC, j.id",
    "status": STATUS_RANK_SQL.replace("CASE status", "CASE j.status") + ", j.id",
    "document": "lower(d.path), d.id, j.target_language",
    "progress": "(CASE WHEN j.chunks_total > 0 THEN j.chunks_done * 1.0 / j.chunks_total ELSE 0 END) DESC, j.id",
    "tries": "(j.chunks_done + j.attempts) DESC, j.id",
    "started": "j.started_at IS NULL, j.started_at, j.id",
}
"""Order name → ORDER BY clause over ``jobs j JOIN documents d``; ties go by job id."""

JOB_SELECT = """
SELECT j.*, d.path AS path, d.format AS format, d.error AS document_error
FROM jobs j JOIN documents d ON d.id = j.document_id
"""


@dataclass(frozen=True)
class JobPage:
    """Which jobs, in which order, how many from where."""

    statuses: tuple[str, ...] = ()  # none: every status
    languages: tuple[str, ...] = ()  # none: every language
    text: str = ""  # words the document's path contains (case-insensitive)
    order: str = "id"  # one of JOB_ORDERS
    limit: int = 500
    offset: int = 0

    def __post_init__(self) -> None:
        if self.order not in JOB_ORDERS:
            raise ValueError(f"unknown job order {self.order!r} (one of {', '.join(JOB_ORDERS)})")


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_filter(page: JobPage, mark: str = "?", like: str = "LIKE") -> tuple[str, list[Any]]:
    """``WHERE …`` (or nothing) and its parameters; ``mark`` is the driver's placeholder and
    ``like`` its case-insensitive LIKE (SQLite's LIKE is, for ASCII; PostgreSQL needs ILIKE)."""
    clauses: list[str] = []
    params: list[Any] = []
    if page.statuses:
        clauses.append(f"j.status IN ({', '.join([mark] * len(page.statuses))})")
        params.extend(str(status) for status in page.statuses)
    if page.languages:
        clauses.append(f"j.target_language IN ({', '.join([mark] * len(page.languages))})")
        params.extend(page.languages)
    if page.text:
        clauses.append(f"d.path {like} {mark} ESCAPE '\\'")
        params.append(like_pattern(page.text))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def page_query(page: JobPage, mark: str = "?", like: str = "LIKE") -> tuple[str, list[Any]]:
    """The page's SELECT and its parameters."""
    where, params = page_filter(page, mark, like)
    sql = f"{JOB_SELECT}{where} ORDER BY {JOB_ORDERS[page.order]} LIMIT {mark} OFFSET {mark}"
    return sql, [*params, page.limit, page.offset]


def count_query(page: JobPage, mark: str = "?", like: str = "LIKE") -> tuple[str, list[Any]]:
    """How many jobs the page's filter matches, whatever the order and the page."""
    where, params = page_filter(page, mark, like)
    join = " JOIN documents d ON d.id = j.document_id" if page.text else ""
    return f"SELECT COUNT(*) FROM jobs j{join}{where}", params
