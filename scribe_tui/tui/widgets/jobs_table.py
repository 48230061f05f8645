"""The Jobs table: one row per (document, language) job, keyed by job id."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from rich.text import Text
from textual.binding import Binding

from scribe_tui.quality import count_label
from scribe_tui.store import FAILED_JOB_STATUSES, UNFINISHED_JOB_STATUSES, JobRow
from scribe_tui.tui import formatting
from scribe_tui.tui.failure_log import split_job_error
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable, Row

STATUS_STYLES = {
    "queued": "",
    "processing": "bold $accent",
    "completed": "$success",
    "failed": "bold $error",
    "dead": "bold $error reverse",
    "cancelled": "$warning",
}
ERROR_WIDTH = 42
DOCUMENT_WIDTH = 24


def status_cell(status: str, styles: dict[str, str]) -> Text:
    return Text(status, style=styles.get(status, ""))


def error_summary(row: JobRow, now: float) -> str:
    """What is wrong or what the job waits for, on one line."""
    if row.status in FAILED_JOB_STATUSES:
        chunk, error_class, message = split_job_error(row.error_message or row.document_error)
        where = f"chunk {chunk}: " if chunk is not None else ""
        return formatting.one_line(f"{where}{error_class}: {message}", ERROR_WIDTH)
    if row.wait_reason and row.status in UNFINISHED_JOB_STATUSES:
        return f"waiting: {row.wait_reason} ({formatting.relative(row.wait_until, now)})"
    return ""


def qa_cell(count: int | None, styles: dict[str, str]) -> Text:
    """``-`` not checked yet, ``ok``, or the number of quality findings (in the warning colour)."""
    return Text(count_label(count), style=styles.get("cancelled", "") if count else "")


def job_cells(row: JobRow, now: float, styles: dict[str, str]) -> tuple:
    return (
        str(row.id),
        formatting.one_line(PurePath(row.path).name, DOCUMENT_WIDTH),
        row.target_language,
        status_cell(row.status, styles),
        f"{row.chunks_done}/{row.chunks_total}",
        str(row.effective_priority),
        str(row.attempts),
        qa_cell(row.qa_count, styles),
        row.provider,
        formatting.elapsed(row.started_at, row.completed_at, now),
        error_summary(row, now),
    )


class JobsTable(KeyedTable):
    BINDINGS = [Binding("enter", "select_cursor", "Detail", id="job-detail")]
    COLUMNS = (
        Column("id", "id", 5),
        Column("document", "document", DOCUMENT_WIDTH),
        Column("lang", "lang", 5),
        Column("status", "status", 10),
        Column("chunks", "chunks", 7),
        Column("prio", "prio", 4),
        Column("tries", "attempts", 5),
        Column("qa", "qa", 4),
        Column("provider", "provider", 8),
        Column("elapsed", "elapsed", 7),
        Column("error / waiting for", "error", ERROR_WIDTH),
    )

    def show(self, jobs: Sequence[JobRow], now: float) -> bool:
        styles = self._resolved_styles()
        rows: list[Row] = [(str(job.id), job_cells(job, now, styles)) for job in jobs]
        return self.sync(rows)

    @property
    def selected_job_id(self) -> int | None:
        key = self.selected_key
        return int(key) if key is not None else None

    def _resolved_styles(self) -> dict[str, str]:
        """Status styles with theme variables replaced by the current theme's colours."""
        variables = self.app.theme_variables
        resolved = {}
        for status, style in STATUS_STYLES.items():
            words = [variables.get(word[1:], word) if word.startswith("$") else word for word in style.split()]
            resolved[status] = " ".join(words)
        return resolved
