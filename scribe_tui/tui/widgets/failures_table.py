"""The Failures table: failed and dead-lettered jobs and chunks waiting for a retry, with
error class and message, attempts and the next retry time."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from scribe_tui.tui import formatting
from scribe_tui.tui.failure_log import FailureEntry
from scribe_tui.tui.widgets.jobs_table import OPEN_JOB
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable, Row

KIND_TONES = {"retrying": "warning", "failed": "error", "dead": "dead", "error": "app-error"}


def failure_cells(entry: FailureEntry, now: float, kind: Text) -> tuple:
    return (
        formatting.clock_time(entry.ts),
        str(entry.job_id) if entry.job_id else "-",
        "-" if entry.chunk_index is None else str(entry.chunk_index),
        kind,
        formatting.one_line(entry.error_class),
        formatting.one_line(entry.message),
        str(entry.attempts) if entry.attempts else "-",
        formatting.relative(entry.next_retry_at, now) if entry.next_retry_at else "-",
    )


def entry_key(entry: FailureEntry) -> str:
    if entry.kind == "error":
        return f"error:{entry.ts}:{entry.message}"
    return f"{entry.job_id}:{entry.chunk_index}:{entry.kind}"


class FailuresTable(KeyedTable):
    BINDINGS = [OPEN_JOB]
    COLUMNS = (
        Column("when", "when", 8),
        Column("job", "job", 5),
        Column("chunk", "chunk", 5, drop=2),
        Column("state", "kind", 8),
        Column("error", "error_class", 10, grow=1),
        Column("message", "message", 16, grow=4),
        Column("tries", "attempts", 5, drop=1),
        Column("next try", "next_retry", 8),
    )

    def show(self, entries: Sequence[FailureEntry], now: float) -> bool:
        rows: list[Row] = []
        seen: set[str] = set()
        for entry in entries:
            key = entry_key(entry)
            if key not in seen:
                seen.add(key)
                rows.append((key, failure_cells(entry, now, self.toned(entry.kind, KIND_TONES.get(entry.kind)))))
        return self.sync(rows)

    @property
    def selected_job_id(self) -> int | None:
        key = self.selected_key
        if key is None or key.startswith("error:"):
            return None
        return int(key.split(":", 1)[0])
