"""A page of jobs in any order, filtered, sorted and cut by SQLite (``store.job_listing``
writes the SQL), and how many jobs a filter matches."""

from __future__ import annotations

from scribe_tui.store.job_listing import JobPage, count_query, page_query
from scribe_tui.store.models import JobRow
from scribe_tui.store.sqlite.connection import SQLiteBase
from scribe_tui.store.sqlite.queries import job_row


class ListingOps(SQLiteBase):
    def job_page(self, page: JobPage) -> list[JobRow]:
        """The jobs ``page`` asks for, in its order: only those rows are read."""
        sql, params = page_query(page)
        return [job_row(row) for row in self._rows(sql, params)]

    def job_count(self, page: JobPage) -> int:
        """How many jobs match ``page``'s filter (its order and window do not matter)."""
        sql, params = count_query(page)
        return int(self._scalar(sql, params))
