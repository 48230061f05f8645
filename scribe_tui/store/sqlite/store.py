"""``JobStore``: the SQLite job store, one file shared safely by every process of a data dir."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from scribe_tui.store.sqlite.commands import CommandOps
from scribe_tui.store.sqlite.documents import DocumentOps
from scribe_tui.store.sqlite.listing import ListingOps
from scribe_tui.store.sqlite.queries import QueryOps
from scribe_tui.store.sqlite.queue import QueueOps
from scribe_tui.store.sqlite.results import ResultOps
from scribe_tui.store.sqlite.retention import RetentionOps
from scribe_tui.store.sqlite.schema import migrate
from scribe_tui.store.sqlite.telemetry import TelemetryOps

DB_FILE_NAME = "jobs.db"


class JobStore(DocumentOps, QueueOps, ResultOps, CommandOps, QueryOps, ListingOps, TelemetryOps, RetentionOps):
    """Documents, jobs, tasks, metrics, workers and control keys in one SQLite file (WAL, 0600).

    Open one per process (or per thread group: calls are serialised by a lock); several
    processes may use the same file at once.
    """

    def __init__(self, path: Path) -> None:
        self._init_connection(Path(path))
        try:
            self.migrated_from = migrate(self._db, str(self.path))
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, data_dir: Path) -> JobStore:
        """The store of a data directory: ``data_dir / "jobs.db"``."""
        return cls(Path(data_dir) / DB_FILE_NAME)

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JobStore({str(self.path)!r})"
