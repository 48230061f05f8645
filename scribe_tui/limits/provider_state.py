"""Per-provider state shared by every process through SQLite (``<data_dir>/limits/state.db``):
the shared pause after a 429, the circuit breaker's fields, the adaptive concurrency cap
(adaptive.py), why a provider was disabled, and request counters for the UI.

Every write is one statement (WAL, 5 s busy timeout), so several processes never fight over a
read-modify-write transaction. Reads on the hot path are cached per process for
``cache_ttl_s`` (75 ms by default); a process's own writes refresh its cache at once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from scribe_tui import paths

log = structlog.get_logger(__name__)

STATE_FILE = "state.db"
DEFAULT_CACHE_TTL_S = 0.075
COUNTER_FLUSH_S = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS provider_state (
    name TEXT PRIMARY KEY,
    paused_until REAL NOT NULL DEFAULT 0,
    pause_reason TEXT NOT NULL DEFAULT '',
    circuit TEXT NOT NULL DEFAULT 'closed',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    open_until REAL NOT NULL DEFAULT 0,
    probe_owner TEXT,
    probe_started REAL NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    requests INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL DEFAULT 0,
    cap INTEGER NOT NULL DEFAULT 0,
    cap_changed_at REAL NOT NULL DEFAULT 0,
    cap_successes INTEGER NOT NULL DEFAULT 0,
    cap_ceiling INTEGER NOT NULL DEFAULT 0
)
"""
# Columns added since the first release, with their definitions, for older state files.
_ADDED = {"cap": "INTEGER NOT NULL DEFAULT 0", "cap_changed_at": "REAL NOT NULL DEFAULT 0",
          "cap_successes": "INTEGER NOT NULL DEFAULT 0", "cap_ceiling": "INTEGER NOT NULL DEFAULT 0"}

_COLUMNS = ("name", "paused_until", "pause_reason", "circuit", "consecutive_failures", "open_until",
            "probe_owner", "probe_started", "disabled_reason", "requests", "rate_limited", "failures", "updated_at",
            "cap", "cap_changed_at", "cap_successes", "cap_ceiling")


@dataclass(frozen=True)
class ProviderStateView:
    """One provider's shared state as last read. ``circuit`` is closed | open | half_open."""

    name: str
    paused_until: float = 0.0
    pause_reason: str = ""
    circuit: str = "closed"
    consecutive_failures: int = 0
    open_until: float = 0.0
    probe_owner: str | None = None
    probe_started: float = 0.0
    disabled_reason: str | None = None
    requests: int = 0
    rate_limited: int = 0
    failures: int = 0
    updated_at: float = 0.0
    cap: int = 0  # the adaptive concurrency cap; 0 means max_concurrency (adaptive.py)
    cap_changed_at: float = 0.0
    cap_successes: int = 0
    cap_ceiling: int = 0  # the cap that last overloaded the provider (0: none known)

    def paused(self, now: float) -> bool:
        return self.paused_until > now

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple) -> ProviderStateView:
        return cls(*tuple(row))


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / "limits" / STATE_FILE


def _connect(path: Path) -> sqlite3.Connection:
    paths.ensure_private_dir(path.parent)
    paths.touch_private(path)
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(_SCHEMA)
    _add_missing_columns(conn)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.chmod(sidecar, 0o600)
    return conn


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(provider_state)")}
    for column, definition in _ADDED.items():
        if column not in have:
            try:
                conn.execute(f"ALTER TABLE provider_state ADD COLUMN {column} {definition}")
            except sqlite3.OperationalError:  # another process added it meanwhile
                pass


class ProviderStateStore:
    """This process's handle on the shared provider state. If the file cannot be used, the
    state lives in memory for this process only (one warning is logged)."""

    def __init__(self, data_dir: Path, *, cache_ttl_s: float = DEFAULT_CACHE_TTL_S):
        self.path = state_path(data_dir)
        try:
            self._conn = _connect(self.path)
            self.shared = True
        except (OSError, sqlite3.Error) as exc:
            log.warning("shared provider state unavailable; keeping it in this process only",
                        path=str(self.path), error=f"{type(exc).__name__}: {exc}")
            self._conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._conn.execute(_SCHEMA)
            self.shared = False
        self._lock = threading.Lock()
        self._ttl = cache_ttl_s
        self._cached: dict[str, tuple[float, ProviderStateView]] = {}
        self._pending: dict[str, list[int]] = {}  # name -> [requests, rate_limited, failures]
        self._last_flush = time.monotonic()

    # ---- reads -----------------------------------------------------------------------------
    def get(self, name: str, *, fresh: bool = False) -> ProviderStateView:
        now = time.monotonic()
        hit = self._cached.get(name)
        if hit is not None and not fresh and now - hit[0] < self._ttl:
            return hit[1]
        with self._lock:
            row = self._conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM provider_state WHERE name = ?", (name,)).fetchone()
        view = ProviderStateView.from_row(row) if row else ProviderStateView(name=name)
        self._cached[name] = (now, view)
        return view

    # ---- writes (one statement each) -------------------------------------------------------
    def execute(self, sql: str, params: dict[str, object]) -> ProviderStateView | None:
        """Run one UPDATE … RETURNING on the provider's row (created first if missing);
        refresh the cache from what it returned. None when no row matched the WHERE."""
        name = str(params["name"])
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO provider_state (name) VALUES (?)", (name,))
            row = self._conn.execute(f"{sql} RETURNING {', '.join(_COLUMNS)}", params).fetchone()
        if row is None:
            self._cached.pop(name, None)
            return None
        view = ProviderStateView.from_row(row)
        self._cached[name] = (time.monotonic(), view)
        return view

    def pause(self, name: str, until: float, reason: str) -> ProviderStateView:
        """Pause the provider for every process until ``until`` (never shortens a pause)."""
        view = self.execute(
            "UPDATE provider_state SET paused_until = MAX(paused_until, :until), pause_reason = :reason, "
            "updated_at = :now WHERE name = :name",
            {"name": name, "until": until, "reason": reason, "now": time.time()},
        )
        assert view is not None
        return view

    def disable(self, name: str, reason: str) -> ProviderStateView:
        view = self.execute(
            "UPDATE provider_state SET disabled_reason = :reason, updated_at = :now WHERE name = :name",
            {"name": name, "reason": reason, "now": time.time()},
        )
        assert view is not None
        return view

    def clear_disabled(self, name: str | None = None) -> None:
        """Re-enable one provider (or all) and start its concurrency cap afresh: the
        supervisor calls this when a run starts, so a key fixed between runs is tried again
        and an outage of an earlier run does not slow this one."""
        fresh = "disabled_reason = NULL, cap = 0, cap_changed_at = 0, cap_successes = 0, cap_ceiling = 0"
        with self._lock:
            if name is None:
                self._conn.execute(f"UPDATE provider_state SET {fresh}")
            else:
                self._conn.execute(f"UPDATE provider_state SET {fresh} WHERE name = ?", (name,))
        self._cached.clear()

    # ---- counters (batched: at most one write per provider every COUNTER_FLUSH_S) ----------
    def count(self, name: str, *, requests: int = 0, rate_limited: int = 0, failures: int = 0) -> None:
        pending = self._pending.setdefault(name, [0, 0, 0])
        pending[0] += requests
        pending[1] += rate_limited
        pending[2] += failures
        if rate_limited or time.monotonic() - self._last_flush >= COUNTER_FLUSH_S:
            self.flush_counters()

    def flush_counters(self) -> None:
        self._last_flush = time.monotonic()
        pending, self._pending = self._pending, {}
        for name, (requests, rate_limited, failures) in pending.items():
            if requests or rate_limited or failures:
                self.execute(
                    "UPDATE provider_state SET requests = requests + :r, rate_limited = rate_limited + :rl, "
                    "failures = failures + :f, updated_at = :now WHERE name = :name",
                    {"name": name, "r": requests, "rl": rate_limited, "f": failures, "now": time.time()},
                )

    def close(self) -> None:
        try:
            self.flush_counters()
        finally:
            with self._lock:
                self._conn.close()


def read_provider_states(data_dir: Path) -> dict[str, ProviderStateView]:
    """Every provider's shared state, for the UI and the monitor; {} before any run.
    Opens the file read-only and never creates it."""
    path = state_path(data_dir)
    if not path.exists():
        return {}
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM provider_state").fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {row[0]: ProviderStateView.from_row(row) for row in rows}
