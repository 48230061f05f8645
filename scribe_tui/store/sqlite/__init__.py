"""The SQLite backend of the job store (WAL, one file per data directory)."""

from scribe_tui.store.sqlite.schema import SCHEMA_VERSION
from scribe_tui.store.sqlite.store import DB_FILE_NAME, JobStore

__all__ = ["DB_FILE_NAME", "SCHEMA_VERSION", "JobStore"]
