"""The Workers table: each worker process's pid, state, chunks in flight, heartbeat age
and restarts."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from scribe_tui.engine.api import WorkerInfo
from scribe_tui.tui import formatting
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable, Row

STATE_TONES = {"busy": "ok", "starting": "warning", "stopping": "warning", "dead": "error"}
STALE_HEARTBEAT_S = 5.0


def worker_cells(worker: WorkerInfo, state: Text, heartbeat: Text) -> tuple:
    return (worker.worker_id, str(worker.pid), state, str(worker.in_flight), heartbeat, str(worker.restarts))


class WorkersTable(KeyedTable):
    COLUMNS = (
        Column("id", "worker", 5),
        Column("pid", "pid", 7),
        Column("state", "state", 8),
        Column("flight", "in_flight", 6),
        Column("beat", "heartbeat", 5),
        Column("rst", "restarts", 3),
    )

    def show(self, workers: Sequence[WorkerInfo]) -> bool:
        rows: list[Row] = [(w.worker_id, self._cells(w)) for w in workers]
        return self.sync(rows)

    def _cells(self, worker: WorkerInfo) -> tuple:
        stale = worker.heartbeat_age_s > STALE_HEARTBEAT_S
        return worker_cells(worker, self.toned(worker.state, STATE_TONES.get(worker.state)),
                            self.toned(f"{worker.heartbeat_age_s:.1f}s", "error" if stale else None))


def workers_subtitle(workers: Sequence[WorkerInfo], target: int) -> str:
    alive = sum(1 for w in workers if w.state != "dead")
    return f"{alive} running · target {target} · {formatting.count(sum(w.in_flight for w in workers))} in flight"
