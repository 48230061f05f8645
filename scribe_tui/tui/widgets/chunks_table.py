"""The job detail's chunks table: each chunk's status, attempts, provider, tokens and last error."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from scribe_tui.store import TaskRow
from scribe_tui.tui import formatting
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable, Row

TASK_TONES = {"leased": "running", "done": "ok", "failed": "error", "dead": "dead", "cancelled": "warning"}


def task_cells(task: TaskRow, status: Text) -> tuple:
    error = f"{task.error_class}: {task.last_error}" if task.error_class and task.last_error else (task.last_error or "")
    provider = task.provider_used or "-"
    if task.cached:
        provider += " (cache)"
    return (
        str(task.idx),
        status,
        str(task.attempts + (task.status == "done")),
        provider,
        f"{formatting.count(task.tokens_in)}/{formatting.count(task.tokens_out)}",
        formatting.one_line(error),
    )


class ChunksTable(KeyedTable):
    COLUMNS = (
        Column("chunk", "chunk", 5),
        Column("status", "status", 9),
        Column("tries", "attempts", 5),
        Column("provider", "provider", 12, grow=1),
        Column("tokens in/out", "tokens", 13, drop=1),
        Column("last error", "error", 20, grow=4),
    )

    def show(self, tasks: Sequence[TaskRow]) -> bool:
        rows: list[Row] = [(str(task.idx), task_cells(task, self.toned(task.status, TASK_TONES.get(task.status))))
                           for task in tasks]
        return self.sync(rows)

    @property
    def selected_index(self) -> int | None:
        key = self.selected_key
        return int(key) if key is not None else None
