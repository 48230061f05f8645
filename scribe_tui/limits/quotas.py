"""Quotas: limits counted per calendar period, the way providers reset them, shared by every
process through one SQLite file (``<data_dir>/limits/quotas.db``).

Periods. A monthly limit (``"N characters/month"``, or a span of 30 days) runs from one
billing day to the next: the ``quota_reset_day`` of each month (1 by default; a day the month
does not have means its last day), at 00:00 UTC. Any other quota (``"N/day"``: a span of a day
or more, or as short as a provider's ``quota_from_s`` says) runs in fixed periods of its span
counted from the Unix epoch, which for a day is midnight UTC to midnight UTC. So a configured
monthly cap caps a billing month's spend, not a sliding 30 days.

Counting. One row per (provider, kind, limit, period) holds the units used, exactly (no coarse
units). Taking is one conditional UPSERT, so processes never admit more than the amount
together; adjusting by a reply's reported usage and marking a quota spent (the provider said
so: DeepL's 456, Microsoft's 403001) are one statement each. If the file cannot be used, the
counters live in memory for this process only.
"""

from __future__ import annotations

import calendar
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import structlog

from scribe_tui import paths
from scribe_tui.limit_spec import RateLimit

log = structlog.get_logger(__name__)

QUOTAS_FILE = "quotas.db"
MONTH_S = 30 * 86_400.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS quota_usage (
    key TEXT NOT NULL,
    period REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, period)
)
"""


# ---- periods ----------------------------------------------------------------------------------------


def period_of(limit: RateLimit, now: float, reset_day: int = 1) -> tuple[float, float]:
    """(start, end) in epoch seconds of the quota period holding ``now``."""
    if limit.span_s == MONTH_S:
        return _billing_month(now, reset_day)
    start = (now // limit.span_s) * limit.span_s
    return start, start + limit.span_s


def _billing_month(now: float, reset_day: int) -> tuple[float, float]:
    moment = datetime.fromtimestamp(now, timezone.utc)
    year, month = moment.year, moment.month
    start = _reset_moment(year, month, reset_day)
    if start > now:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        start = _reset_moment(year, month, reset_day)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return start, _reset_moment(next_year, next_month, reset_day)


def _reset_moment(year: int, month: int, reset_day: int) -> float:
    day = min(max(reset_day, 1), calendar.monthrange(year, month)[1])
    return datetime(year, month, day, tzinfo=timezone.utc).timestamp()


def when_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


# ---- the shared counters ------------------------------------------------------------------------------


def quotas_path(data_dir: Path) -> Path:
    return Path(data_dir) / "limits" / QUOTAS_FILE


class QuotaCounters:
    """This process's handle on the shared quota counters (one connection, used from one
    thread at a time)."""

    def __init__(self, data_dir: Path, *, timeout_s: float = 5.0, store_url: str | None = None):
        self.path = quotas_path(data_dir)
        self._lock = threading.Lock()
        self._link: Any = None
        try:
            if store_url:  # the table every machine shares (pg_link.py)
                from scribe_tui.limits.pg_link import link_for

                self._conn = self._link = link_for(store_url)
                self.shared = True
                return
            paths.ensure_private_dir(self.path.parent)
            paths.touch_private(self.path)
            self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)
            self.shared = True
        except (OSError, sqlite3.Error) as exc:
            log.warning("shared quota counters unavailable; counting in this process only",
                        path=str(self.path), error=f"{type(exc).__name__}: {exc}")
            self._conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._conn.execute(_SCHEMA)
            self.shared = False

    def used(self, key: str, period: float) -> int:
        with self._lock:
            row = self._conn.execute("SELECT used FROM quota_usage WHERE key = ? AND period = ?", (key, period)).fetchone()
        return int(row[0]) if row else 0

    def take(self, key: str, period: float, amount: int, limit: int) -> bool:
        """Add ``amount`` when the period's total stays within ``limit``; False (nothing
        taken) otherwise."""
        if amount > limit:
            return False
        with self._lock:
            row = self._conn.execute(
                "INSERT INTO quota_usage (key, period, used) VALUES (:key, :period, :amount) "
                "ON CONFLICT (key, period) DO UPDATE SET used = quota_usage.used + :amount WHERE quota_usage.used + :amount <= :limit "
                "RETURNING used", {"key": key, "period": period, "amount": amount, "limit": limit}).fetchone()
        return row is not None

    def adjust(self, key: str, period: float, delta: int) -> None:
        """Correct a period's total by ``delta`` (an estimate replaced by the reported usage)."""
        if delta == 0:
            return
        with self._lock:
            self._conn.execute(
                "INSERT INTO quota_usage (key, period, used) VALUES (:key, :period, MAX(:delta, 0)) "
                "ON CONFLICT (key, period) DO UPDATE SET used = MAX(quota_usage.used + :delta, 0)",
                {"key": key, "period": period, "delta": delta})

    def fill(self, key: str, period: float, limit: int) -> None:
        """Mark the period spent: the provider says so, whatever our count."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO quota_usage (key, period, used) VALUES (:key, :period, :limit) "
                "ON CONFLICT (key, period) DO UPDATE SET used = MAX(quota_usage.used, :limit)",
                {"key": key, "period": period, "limit": limit})

    def close(self) -> None:
        with self._lock:
            if self._link is not None:
                from scribe_tui.limits.pg_link import release

                release(self._link)
            else:
                self._conn.close()


def read_quota_used(data_dir: Path, key: str, period: float, store_url: str | None = None) -> int:
    """The units used in a period, read-only and without creating anything (for the UI)."""
    if store_url:
        return read_shared_count(store_url, "SELECT used FROM quota_usage WHERE key = ? AND period = ?", (key, period))
    return read_count(quotas_path(data_dir), "SELECT used FROM quota_usage WHERE key = ? AND period = ?", (key, period))


def read_count(path: Path, sql: str, params: tuple[object, ...]) -> int:
    """One number from a shared file opened read-only (never created); 0 when there is none."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return 0
    try:
        row = conn.execute(sql, params).fetchone()
    except sqlite3.Error:
        return 0
    finally:
        conn.close()
    return _scalar(row)


def read_shared_count(store_url: str, sql: str, params: tuple[object, ...]) -> int:
    """One number from the shared limits database; 0 when it does not answer."""
    from scribe_tui.limits.pg_link import link_for, release

    try:
        link = link_for(store_url)
    except sqlite3.Error:
        return 0
    try:
        row = link.execute(sql, params).fetchone()
    except sqlite3.Error:
        return 0
    finally:
        release(link)
    return _scalar(row)


# ---- one configured quota ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    """One quota limit of one provider, with the key its counter is stored under."""

    provider: str
    limit: RateLimit
    reset_day: int = 1

    @property
    def key(self) -> str:
        return f"{self.provider}|{self.limit.kind}|{self.limit.span_s:g}"  # not the amount: raising it keeps the count

    def period(self, now: float) -> tuple[float, float]:
        return period_of(self.limit, now, self.reset_day)


def _scalar(row: object) -> int:
    """The first column of a one-number query's row; 0 for no row or NULL."""
    return int(row[0]) if row and row[0] is not None else 0  # type: ignore[index]
