"""The PostgreSQL backend of the job store: one database shared by supervisors on several
machines (needs the ``postgres`` extra: psycopg and psycopg-pool)."""

from scribe_tui.store.postgres.schema import SCHEMA_VERSION
from scribe_tui.store.postgres.store import PostgresJobStore

__all__ = ["SCHEMA_VERSION", "PostgresJobStore"]
