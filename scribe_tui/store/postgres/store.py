"""``PostgresJobStore``: the job store on a PostgreSQL database that supervisors on several
machines share (``store_url = "postgresql://…"``)."""

from __future__ import annotations

from types import TracebackType

import psycopg

from scribe_tui.store.models import StoreError, StoreUnavailable
from scribe_tui.store.postgres.commands import CommandOps
from scribe_tui.store.locations import redact
from scribe_tui.store.postgres.connection import connect, one_line
from scribe_tui.store.postgres.documents import DocumentOps
from scribe_tui.store.postgres.listing import ListingOps
from scribe_tui.store.postgres.queries import QueryOps
from scribe_tui.store.postgres.queue import QueueOps
from scribe_tui.store.postgres.results import ResultOps
from scribe_tui.store.postgres.retention import RetentionOps
from scribe_tui.store.postgres.schema import SCHEMA_VERSION, migrate
from scribe_tui.store.postgres.telemetry import TelemetryOps


class PostgresJobStore(DocumentOps, QueueOps, ResultOps, CommandOps, QueryOps, ListingOps, TelemetryOps,
                       RetentionOps):
    """Documents, jobs, tasks, metrics, workers and control keys in one PostgreSQL database.

    Thread-safe (a connection pool): one per process is enough. Opening checks the server
    answers and brings the schema up to date before the pool starts.
    """

    schema_version = SCHEMA_VERSION

    def __init__(self, url: str) -> None:
        location = redact(url)
        with connect(url, location) as conn:
            try:
                self.migrated_from = migrate(conn, location)
            except psycopg.OperationalError as error:
                raise StoreUnavailable(f"{location}: cannot prepare the job store: {one_line(error)}") from None
            except psycopg.Error as error:
                raise StoreError(f"{location}: cannot prepare the job store: {one_line(error)}") from None
        self._init_pool(url)

    def __enter__(self) -> PostgresJobStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresJobStore({self.location!r})"
