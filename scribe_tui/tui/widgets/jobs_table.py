"""The Jobs table: one row per (document, language) job, keyed by job id. A job that did not
change since the last read keeps its cells (the same tuple, which the table skips without
comparing), unless a cell reads the clock (a running job's elapsed time, a wait's countdown)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from rich.text import Text
from textual.binding import Binding

from scribe_tui.store import FAILED_JOB_STATUSES, UNFINISHED_JOB_STATUSES, JobRow
from scribe_tui.tui import formatting
from scribe_tui.tui.failure_log import split_job_error
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable

STATUS_TONES = {"processing": "running", "completed": "ok", "failed": "error", "dead": "dead", "cancelled": "warning"}
OPEN_JOB = Binding("enter", "select_cursor", "Detail", id="job-detail", show=False,
                   tooltip="Open the selected job: chunks, source and translation")
"""Enter on a job's row opens it (the Jobs and the Failures tables, and the main screen); the
footer leaves it out, as it leaves out the arrow keys: its room goes to keys one must learn."""


def error_summary(row: JobRow, now: float) -> str:
    """What is wrong or what the job waits for, on one line."""
    if row.status in FAILED_JOB_STATUSES:
        chunk, error_class, message = split_job_error(row.error_message or row.document_error)
        where = f"chunk {chunk}: " if chunk is not None else ""
        return formatting.one_line(f"{where}{error_class}: {message}")
    if row.wait_reason and row.status in UNFINISHED_JOB_STATUSES:
        return f"waiting: {row.wait_reason} ({formatting.relative(row.wait_until, now)})"
    return ""


def reads_the_clock(row: JobRow) -> bool:
    """Whether the job's cells change with time alone: elapsed while running, a wait's countdown."""
    running = bool(row.started_at) and not row.completed_at
    return running or bool(row.wait_reason and row.status in UNFINISHED_JOB_STATUSES)


def job_cells(row: JobRow, now: float, status: Text) -> tuple:
    return (
        str(row.id),
        formatting.one_line(PurePath(row.path).name),
        row.target_language,
        status,
        f"{row.chunks_done}/{row.chunks_total}",
        str(row.effective_priority),
        str(formatting.job_tries(row.chunks_done, row.attempts)),
        row.provider,
        formatting.elapsed(row.started_at, row.completed_at, now),
        error_summary(row, now),
    )


class JobsTable(KeyedTable):
    BINDINGS = [OPEN_JOB]
    COLUMNS = (
        Column("id", "id", 5),
        Column("document", "document", 14, grow=2),
        Column("lang", "lang", 4),
        Column("status", "status", 10),
        Column("chunks", "chunks", 7),
        Column("prio", "prio", 4, drop=3),
        Column("tries", "attempts", 5, drop=4),
        Column("provider", "provider", 8, drop=1),
        Column("elapsed", "elapsed", 7, drop=2),
        Column("error / waiting", "error", 18, grow=3),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: dict[int, tuple[JobRow, tuple]] = {}  # job id -> the row and the cells last shown

    def show(self, jobs: Sequence[JobRow], now: float) -> bool:
        cells = {job.id: self._cells_of(job, now) for job in jobs}
        self._cells = {job.id: (job, cells[job.id]) for job in jobs}
        return self.sync([(str(job.id), cells[job.id]) for job in jobs])

    def _cells_of(self, job: JobRow, now: float) -> tuple:
        last = self._cells.get(job.id)
        if last is not None and last[0] == job and not reads_the_clock(job):
            return last[1]
        return job_cells(job, now, self.toned(job.status, STATUS_TONES.get(job.status)))

    def styles_changed(self) -> None:
        self._cells.clear()

    @property
    def selected_job_id(self) -> int | None:
        key = self.selected_key
        return int(key) if key is not None else None
