"""A page of jobs in any order, filtered, sorted and cut by PostgreSQL (``store.job_listing``
writes the SQL, the same as SQLite's), and how many jobs a filter matches."""

from __future__ import annotations

from scribe_tui.store.job_listing import JobPage, count_query, page_query
from scribe_tui.store.models import JobRow
from scribe_tui.store.postgres.connection import PostgresBase
from scribe_tui.store.rows import job_row

_MARK = "%s"
_LIKE = "ILIKE"  # SQLite's LIKE ignores ASCII case; PostgreSQL's does not


class ListingOps(PostgresBase):
    def job_page(self, page: JobPage) -> list[JobRow]:
        """The jobs ``page`` asks for, in its order: only those rows are read."""
        sql, params = page_query(page, _MARK, _LIKE)
        return [job_row(row) for row in self._rows(sql, params)]

    def job_count(self, page: JobPage) -> int:
        """How many jobs match ``page``'s filter (its order and window do not matter)."""
        sql, params = count_query(page, _MARK, _LIKE)
        return int(self._scalar(sql, params))
