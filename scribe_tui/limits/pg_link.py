"""The link from one process's limits to a PostgreSQL database that several machines share
(``store_url = "postgresql://…"``): the sliding-window rows, the quota counters and the
provider state (429 pause, circuit, adaptive cap) live in tables next to the job store's.

One ``PgLink`` per process and URL (``link_for``, reference-counted; the last ``release``
closes its pool explicitly — a psycopg pool left to the garbage collector in a worker thread
fails with "cannot join current thread"). Every connection pins ``TimeZone=UTC`` and runs in
autocommit with a short statement timeout.

Clock. Rows are stamped and windows measured on the database's clock: the bucket functions
read ``clock_timestamp()`` themselves, and ``clock()`` is this machine's clock plus the
offset to the database's, measured at connect (half a round trip of error), so times this
process computes (a hold's re-stamp, a pause's end, a quota's period) agree with every other
host's however their clocks disagree.

Dialect. The provider state and quota modules write SQLite statements; ``execute`` rewrites
their few SQLite-isms (``:name`` and ``?`` parameters, scalar ``MAX``/``MIN``, ``INSERT OR
IGNORE``) for PostgreSQL, so both backends run the same statements.

Failure. A database that does not answer raises ``SharedStateUnavailable``; after one, the
link fails fast (no connection attempt) for ``DOWN_RETRY_S``, so a caller on an event loop is
never held by connect timeouts. ``hosts_alive`` remembers how many supervisors' machines had
live workers when the database last answered: the divisor of the per-host fallback limits.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from typing import Any

import structlog

from scribe_tui.store.locations import redact

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_S = 3
CHECKOUT_TIMEOUT_S = 1.0  # a pooled connection not had within this: the database counts as down
STATEMENT_TIMEOUT_MS = 5000
DOWN_RETRY_S = 5.0
POOL_MAX_SIZE = 4
HOST_ALIVE_S = 60.0  # a host whose workers beat within this is counted alive

SCHEMA = """
CREATE TABLE IF NOT EXISTS scribe_limit_rows (bucket TEXT NOT NULL, name TEXT NOT NULL, ts BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS scribe_limit_rows_ts ON scribe_limit_rows (bucket, ts);
CREATE INDEX IF NOT EXISTS scribe_limit_rows_name ON scribe_limit_rows (bucket, name);
CREATE TABLE IF NOT EXISTS quota_usage (
    key TEXT NOT NULL, period DOUBLE PRECISION NOT NULL, used BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (key, period));
CREATE TABLE IF NOT EXISTS provider_state (
    name TEXT PRIMARY KEY,
    paused_until DOUBLE PRECISION NOT NULL DEFAULT 0, pause_reason TEXT NOT NULL DEFAULT '',
    circuit TEXT NOT NULL DEFAULT 'closed', consecutive_failures INTEGER NOT NULL DEFAULT 0,
    open_until DOUBLE PRECISION NOT NULL DEFAULT 0, probe_owner TEXT,
    probe_started DOUBLE PRECISION NOT NULL DEFAULT 0, disabled_reason TEXT,
    requests BIGINT NOT NULL DEFAULT 0, rate_limited BIGINT NOT NULL DEFAULT 0, failures BIGINT NOT NULL DEFAULT 0,
    updated_at DOUBLE PRECISION NOT NULL DEFAULT 0, cap INTEGER NOT NULL DEFAULT 0,
    cap_changed_at DOUBLE PRECISION NOT NULL DEFAULT 0, cap_successes INTEGER NOT NULL DEFAULT 0,
    cap_ceiling INTEGER NOT NULL DEFAULT 0);
"""

# One call decides and (with ``take``) takes a permit, atomically for every process: the
# bucket's advisory lock, then the database's clock, the windows' counts and the insert. It
# returns 0 when ``w`` units fit (and were taken) or the milliseconds until they would.
# Each statement inside sees what other transactions committed before it ran.
FUNCTION = """
CREATE OR REPLACE FUNCTION scribe_limit_take(b TEXT, n TEXT, w INTEGER, spans BIGINT[], amounts INTEGER[],
                                             take BOOLEAN) RETURNS BIGINT AS $$
DECLARE
    now_ms BIGINT;
    wait BIGINT := 0;
    used BIGINT;
    oldest BIGINT;
BEGIN
    IF take THEN
        PERFORM pg_advisory_xact_lock(hashtext('scribe-limit:' || b));
    END IF;
    now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000);
    FOR i IN 1 .. array_length(spans, 1) LOOP
        SELECT count(*) INTO used FROM scribe_limit_rows WHERE bucket = b AND ts >= now_ms - spans[i];
        IF used + w > amounts[i] THEN
            SELECT ts INTO oldest FROM scribe_limit_rows WHERE bucket = b
                ORDER BY ts DESC LIMIT 1 OFFSET greatest(amounts[i] - w, 0);
            wait := greatest(wait, 1, COALESCE(oldest + spans[i] - now_ms + 1, 1));
        END IF;
    END LOOP;
    IF wait = 0 AND take THEN
        DELETE FROM scribe_limit_rows WHERE bucket = b
            AND ts < now_ms - (SELECT max(s) FROM unnest(spans) AS s) - 1000;
        INSERT INTO scribe_limit_rows (bucket, name, ts) SELECT b, n, now_ms FROM generate_series(1, w);
    END IF;
    RETURN wait;
END
$$ LANGUAGE plpgsql VOLATILE;
"""
_SCHEMA_LOCK_KEY = 0x5C21BE_0002


class SharedStateUnavailable(sqlite3.OperationalError):
    """The shared limits database did not answer. A subclass of ``sqlite3.OperationalError``
    on purpose: every place that treats an unusable shared SQLite file (defer without
    sending, log and keep the paid reply) treats an unreachable database the same way."""


class Rows:
    """What one statement returned, fetched before its connection went back to the pool."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def to_postgres(sql: str) -> str:
    """A SQLite statement of the limits modules, in PostgreSQL's dialect."""
    sql = _NAMED.sub(r"%(\1)s", sql).replace("?", "%s")
    sql = re.sub(r"\bMAX\(", "GREATEST(", sql)
    sql = re.sub(r"\bMIN\(", "LEAST(", sql)
    if sql.lstrip().upper().startswith("INSERT OR IGNORE"):
        sql = re.sub(r"INSERT OR IGNORE", "INSERT", sql, count=1, flags=re.I) + " ON CONFLICT DO NOTHING"
    return sql


class PgLink:
    """One process's pool on the shared limits database (see the module docstring)."""

    def __init__(self, url: str):
        self.url = url
        self.location = redact(url)
        self.offset_s = 0.0
        self.hosts_alive = 1
        self._users = 0
        self._down_until = 0.0
        self._pool: Any = None
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        kwargs = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S, "prepare_threshold": None,
                  "options": f"-c TimeZone=UTC -c statement_timeout={STATEMENT_TIMEOUT_MS}",
                  "application_name": "scribe-tui-limits"}
        try:
            with psycopg.connect(self.url, **kwargs) as conn:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
                    conn.execute(SCHEMA)
                    conn.execute(FUNCTION)
                self._measure(conn)
        except psycopg.Error as exc:
            raise SharedStateUnavailable(f"{self.location}: {_one_line(exc)}") from None
        self._pool = ConnectionPool(self.url, min_size=1, max_size=POOL_MAX_SIZE, kwargs=kwargs, open=False,
                                    timeout=CHECKOUT_TIMEOUT_S, name="scribe-limits")
        self._pool.open(wait=False)

    def _measure(self, conn: Any) -> None:
        """The offset from this machine's clock to the database's, and the hosts alive."""
        before = time.time()
        row = conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
        after = time.time()
        self.offset_s = float(row[0]) - (before + after) / 2
        try:
            hosts = conn.execute("SELECT COUNT(DISTINCT host) FROM workers WHERE heartbeat_at > %s",
                                 (after + self.offset_s - HOST_ALIVE_S,)).fetchone()
            self.hosts_alive = max(1, int(hosts[0]))
        except Exception:  # no job store in this database (the limits' own tests): keep the last count
            pass

    def clock(self) -> float:
        """The database's clock, from this machine's (epoch seconds)."""
        return time.time() + self.offset_s

    def execute(self, sql: str, params: Any = ()) -> Rows:
        """One SQLite-dialect statement of the limits modules, run on the shared database."""
        return self.run(to_postgres(sql), params)

    def run(self, sql: str, params: Any = ()) -> Rows:
        """One PostgreSQL statement; SharedStateUnavailable when the database does not answer."""
        import psycopg
        from psycopg_pool import PoolTimeout

        if time.monotonic() < self._down_until:
            raise SharedStateUnavailable(f"{self.location}: the shared limits database is not answering")
        try:
            with self._pool.connection() as conn:
                cur = conn.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
                return Rows(rows, cur.rowcount)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            self._down_until = time.monotonic() + DOWN_RETRY_S
            raise SharedStateUnavailable(f"{self.location}: {_one_line(exc)}") from None
        except psycopg.Error as exc:
            raise SharedStateUnavailable(f"{self.location}: {_one_line(exc)}") from None

    def refresh(self) -> None:
        """Measure the clock offset and the hosts alive again (the bookkeeping thread, now and then)."""
        try:
            with self._pool.connection() as conn:
                self._measure(conn)
        except Exception as exc:  # kept: the last known values
            log.debug("limits link refresh failed", error=_one_line(exc))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close(timeout=1.0)  # its reconnecting workers need not finish a connect timeout
            self._pool = None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


_links: dict[str, PgLink] = {}
_links_lock = threading.Lock()


def link_for(url: str) -> PgLink:
    """This process's link for ``url``, opened on first use; pair with ``release``.
    SharedStateUnavailable when the database cannot be reached."""
    with _links_lock:
        link = _links.get(url)
        if link is None:
            link = _links[url] = PgLink(url)
        link._users += 1
        return link


def release(link: PgLink) -> None:
    """One user fewer; the last one closes the pool."""
    with _links_lock:
        link._users -= 1
        if link._users <= 0:
            _links.pop(link.url, None)
            link.close()
