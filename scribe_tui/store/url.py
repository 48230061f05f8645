"""Which job store a run uses: the store URL (``store_url``, ``SCRIBE_STORE_URL``,
``--store``) names a PostgreSQL database shared by several machines; without one it is the
SQLite file in the data directory, as always. The backends load only when opened, so the
SQLite default never imports psycopg and PostgreSQL never needs the data directory's file."""

from __future__ import annotations

from pathlib import Path

from scribe_tui.store.api import JobStoreAPI
from scribe_tui.store.locations import redact
from scribe_tui.store.models import StoreError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith(POSTGRES_SCHEMES)


def open_store(url: str | None, data_dir: Path) -> JobStoreAPI:
    """The job store a URL names: PostgreSQL for ``postgresql://…``, else ``data_dir/jobs.db``."""
    if is_postgres(url):
        try:
            from scribe_tui.store.postgres import PostgresJobStore
        except ImportError as error:
            raise StoreError(f"store_url is a PostgreSQL URL but its driver is missing ({error.name}): "
                             "pip install 'scribe-tui[postgres]'") from None
        return PostgresJobStore(str(url))
    from scribe_tui.store.sqlite import JobStore

    return JobStore.open(data_dir)


def describe(url: str | None, data_dir: Path) -> str:
    """Where the store is, for messages (never a password)."""
    return redact(str(url)) if is_postgres(url) else str(Path(data_dir) / "jobs.db")
