"""Connecting to the PostgreSQL job store, and the transaction discipline every query uses.

One psycopg pool per store object (threads share it), opened and closed explicitly: a pool
left to the garbage collector in a worker thread fails with "cannot join current thread".
Every connection pins ``TimeZone=UTC`` (two sessions in different zones disagree on what a
timestamp means) and runs in autocommit; writes run in an explicit transaction that is
retried when PostgreSQL aborts it as a deadlock or serialization victim (several
supervisors take row locks in different orders; the loser simply runs again).

Errors come out as one line: ``StoreUnavailable`` when the server cannot be reached (the
same call may work later), ``StoreError`` for everything else. Times are the database's
clock (``clock()``) unless a caller passes its own ``now`` (tests do).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from scribe_tui.store.locations import redact
from scribe_tui.store.models import StoreError, StoreUnavailable

T = TypeVar("T")

CONNECT_TIMEOUT_S = 10
CHECKOUT_TIMEOUT_S = 5.0
POOL_MAX_SIZE = 8
TX_ATTEMPTS = 8
_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
_CLOCK = "SELECT extract(epoch FROM clock_timestamp())::float8 AS now"


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def connection_kwargs() -> dict[str, Any]:
    return {"autocommit": True, "row_factory": dict_row, "options": "-c TimeZone=UTC", "prepare_threshold": 0,
            "connect_timeout": CONNECT_TIMEOUT_S, "application_name": "scribe-tui"}


def connect(url: str, location: str) -> psycopg.Connection[dict[str, Any]]:
    """One connection outside the pool (schema checks, migration), errors as one line."""
    try:
        return psycopg.connect(url, **connection_kwargs())
    except psycopg.OperationalError as error:
        raise StoreUnavailable(f"{location}: cannot connect to the job store: {one_line(error)}") from None
    except psycopg.Error as error:
        raise StoreError(f"{location}: cannot open the job store: {one_line(error)}") from None


def clock(cur: psycopg.Cursor[dict[str, Any]], now: float | None = None) -> float:
    """``now`` if given, else the database server's clock in epoch seconds."""
    if now is not None:
        return now
    row = cur.execute(_CLOCK).fetchone()
    assert row is not None
    return float(row["now"])


class PostgresBase:
    """The pool and the read/write helpers the store's parts share."""

    url: str
    location: str
    _pool: ConnectionPool

    def _init_pool(self, url: str) -> None:
        self.url = url
        self.location = redact(url)
        self._closed = threading.Event()
        self._pool = ConnectionPool(url, min_size=1, max_size=POOL_MAX_SIZE, kwargs=connection_kwargs(),
                                    open=False, timeout=CHECKOUT_TIMEOUT_S, name="scribe-store")
        self._pool.open(wait=False)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A pooled connection; the pool's and psycopg's errors become StoreUnavailable/StoreError."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise StoreUnavailable(f"{self.location}: the job store's database did not answer within "
                                   f"{CHECKOUT_TIMEOUT_S:.0f} s") from None
        except _RETRYABLE:
            raise
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"{self.location}: {one_line(error)}") from None
        except psycopg.Error as error:
            raise StoreError(f"{self.location}: {one_line(error)}") from None

    def _transact(self, work: Callable[[psycopg.Cursor[dict[str, Any]]], T], *, single: bool = False) -> T:
        """Run ``work(cursor)`` in one transaction; again (with a short random pause) when the
        database aborts it as a deadlock or serialization victim. ``single``: work is one
        statement, atomic by itself, so it runs without BEGIN and COMMIT (two round trips less)."""
        for attempt in range(TX_ATTEMPTS):
            try:
                with self._connection() as conn:
                    if single:
                        with conn.cursor() as cur:
                            return work(cur)
                    with conn.transaction(), conn.cursor() as cur:
                        return work(cur)
            except _RETRYABLE as error:
                if attempt == TX_ATTEMPTS - 1:
                    raise StoreError(f"{self.location}: gave up after {TX_ATTEMPTS} tries: {one_line(error)}") from None
                time.sleep(random.uniform(0.001, 0.02) * (attempt + 1))
        raise AssertionError("unreachable")

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self._one(sql, params)
        return next(iter(row.values())) if row else None

    def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """A single write statement in its own transaction; rows changed."""
        return self._transact(lambda cur: cur.execute(sql, params).rowcount, single=True)

    def clock(self) -> float:
        """The database server's clock, epoch seconds."""
        with self._connection() as conn, conn.cursor() as cur:
            return clock(cur)

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._pool.close()
