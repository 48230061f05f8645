"""One limit kind's sliding-window bucket: opening it (the shared SQLite file under
``<data_dir>/limits/``, or the divided in-memory fallback with one warning), predicting a
wait from its rows, taking a permit under a request's ticket, and reading the usage every
limit shows in the UI (windows from the buckets, quotas from their counters)."""

from __future__ import annotations

import os
import re
import sqlite3
import time
import zlib
from pathlib import Path

import structlog
from pyrate_limiter import InMemoryBucket, Limiter, Rate, SQLiteBucket

from scribe_tui import paths
from scribe_tui.config import ProviderConfig
from scribe_tui.limits.admission import Need, Parked, WeightOverLimit
from scribe_tui.limits.bucket_rows import MemoryRows, MemoryWindow, Rows, SqliteRows, SqliteWindow, Window
from scribe_tui.limits.quotas import Quota, period_of, read_count, read_quota_used, read_shared_count
from scribe_tui.limits.rates import KindPlan, plan_kind

log = structlog.get_logger(__name__)

QUEUE_SLACK_S = 2.0  # extra time a waiter may spend queued behind this process's other waiters
_warned_fallback = False


class KindLimiter:
    """One pyrate Limiter for one (provider, kind) and the arithmetic to predict its waits."""

    def __init__(self, provider: str, plan: KindPlan, limiter: Limiter, window: Window, backend: str,
                 rows: Rows | None = None, db_path: Path | None = None):
        self.provider = provider
        self.plan = plan
        self.limiter = limiter
        self.window = window
        self.backend = backend  # "sqlite" | "memory"
        self._rows = rows
        self._db_path = db_path

    def rows(self) -> Rows:
        """The writer for this bucket's rows, opened on first use (by the bookkeeping thread)."""
        if self._rows is None:
            assert self._db_path is not None
            self._rows = SqliteRows(self._db_path, self.plan.table)
        return self._rows

    def weight(self, raw: int, reserved: int) -> int:
        """Units to take for a request estimated at ``raw`` and reserved at ``reserved``
        (never more than a whole window holds); WeightOverLimit when ``raw`` never fits."""
        smallest = min(amount for _, amount in self.plan.rates)
        need = self.plan.weight(raw)
        if need > smallest:
            span = min(self.plan.rates, key=lambda rate: rate[1])[0]
            unit, kind = self.plan.unit, self.plan.kind
            raise WeightOverLimit(f"request needs about {need * unit} {kind} but limit {self._limit_text(span)} "
                                  f"allows at most {smallest * unit} in a whole window", provider=self.provider)
        return min(max(need, self.plan.weight(reserved)), smallest)

    def need(self, weight: int) -> Need:
        """How long until ``weight`` fits in every window (0 if now)."""
        now = self.window.now_ms()
        wait, blocking = 0, ""
        for span, amount in self.plan.rates:
            if self.window.count_since(now - span) + weight <= amount:
                continue
            oldest = self.window.nth_newest(amount - weight)
            rate_wait = 0 if oldest is None else max(0, oldest + span - now + 1)
            if rate_wait > wait:
                wait, blocking = rate_wait, self._limit_text(span)
        return Need(wait / 1000, False, blocking)

    async def take(self, ticket: str, weight: int, deadline: float) -> Parked | None:
        """Take ``weight`` units under ``ticket``, waiting at most until ``deadline`` (monotonic)."""
        while True:
            need = self.need(weight)
            remaining = deadline - time.monotonic()
            if need.wait_s > 0 and need.wait_s > remaining:
                return Parked(time.time() + need.wait_s, "rate_limited",
                              f"{self.provider}: limit {need.blocking} needs a {need.wait_s:.0f} s wait")
            timeout = max(0.001, min(remaining, need.wait_s + QUEUE_SLACK_S))
            if await self.limiter.try_acquire_async(ticket, weight, timeout=timeout):
                return None

    def _limit_text(self, span: int) -> str:
        for limit in self.plan.limits:
            if max(limit.span_ms, 1) == span:
                return str(limit)
        return f"{self.plan.kind} per {span / 1000:g} s"

    def close(self) -> None:
        self.limiter.close()
        self.window.close()
        if self._rows is not None:
            self._rows.close()


# ---- opening buckets ----------------------------------------------------------------------------------


def bucket_path(data_dir: Path, provider: str, kind: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", provider)[:40]
    if slug != provider:
        slug = f"{slug}-{zlib.crc32(provider.encode()):08x}"
    return Path(data_dir) / "limits" / f"{slug}.{kind}.db"


def _pyrate_rates(plan: KindPlan) -> list[Rate]:
    return [Rate(amount, span) for span, amount in plan.rates]


def open_kind(provider: str, plan: KindPlan, config: ProviderConfig, data_dir: Path, worker_count: int, *,
              unreachable: BaseException | None = None) -> KindLimiter:
    """The kind's shared SQLite bucket, or (``unreachable``: the shared database did not
    answer; or the file cannot be used) the divided in-memory fallback."""
    db_path = bucket_path(data_dir, provider, plan.kind)
    if unreachable is not None:
        _warn_fallback(db_path, unreachable, worker_count)
    else:
        try:
            return _open_sqlite(provider, plan, db_path)
        except (OSError, sqlite3.Error, RuntimeError, TimeoutError) as exc:
            _warn_fallback(db_path, exc, worker_count)
    divided = plan_kind(plan.kind, list(config.limits), divisor=max(worker_count, 1), quota_from_s=config.quota_from_s)
    assert divided is not None
    bucket = InMemoryBucket(_pyrate_rates(divided))
    return KindLimiter(provider, divided, Limiter(bucket), MemoryWindow(bucket), "memory", rows=MemoryRows(bucket))


def _open_sqlite(provider: str, plan: KindPlan, db_path: Path) -> KindLimiter:
    paths.ensure_private_dir(db_path.parent)
    paths.touch_private(db_path)
    paths.touch_private(db_path.with_name(db_path.name + ".lock"))
    bucket = SQLiteBucket.init_from_file(_pyrate_rates(plan), table=plan.table, db_path=str(db_path), use_file_lock=True)
    try:
        bucket.lock.poll_interval = 0.002  # a contended file lock is held for well under a millisecond
        with bucket.lock:  # a request's rows are found again by their ticket name
            bucket.conn.execute(f"CREATE INDEX IF NOT EXISTS 'idx_{plan.table}_name' ON '{plan.table}' (name)")
            bucket.conn.commit()
        for suffix in ("-wal", "-shm"):
            sidecar = db_path.with_name(db_path.name + suffix)
            if sidecar.exists():
                os.chmod(sidecar, 0o600)
        window = SqliteWindow(db_path, plan.table)
    except BaseException:
        bucket.close()
        raise
    return KindLimiter(provider, plan, Limiter(bucket), window, "sqlite", db_path=db_path)


def _warn_fallback(db_path: Path, exc: BaseException, worker_count: int) -> None:
    global _warned_fallback
    if _warned_fallback:
        return
    _warned_fallback = True
    log.warning(
        "shared rate-limit buckets unavailable; using per-process in-memory limits",
        path=str(db_path.parent), error=f"{type(exc).__name__}: {exc}", divided_by=max(worker_count, 1),
    )


def reset_fallback_warning() -> None:
    """Forget that the fallback warning was given (tests)."""
    global _warned_fallback
    _warned_fallback = False


# ---- usage, for the UI -------------------------------------------------------------------------------


def limit_usage(data_dir: Path, provider_name: str, config: ProviderConfig,
                store_url: str | None = None) -> list[tuple[str, int, int]]:
    """(limit text, used in its current window or period, amount) for every configured limit,
    read from the shared files by any process (0 when nothing was recorded yet). Windows'
    tokens and characters are reported in whole units of the bucket (see rates.py)."""
    now = time.time()
    usage: list[tuple[str, int, int]] = []
    for limit in config.limits:
        if limit.span_s >= config.quota_from_s:
            quota = Quota(provider_name, limit, config.quota_reset_day)
            used = read_quota_used(data_dir, quota.key, period_of(limit, now, config.quota_reset_day)[0], store_url)
            usage.append((str(limit), used, limit.amount))
            continue
        plan = plan_kind(limit.kind, list(config.limits), quota_from_s=config.quota_from_s)
        assert plan is not None
        if store_url:
            rows = read_shared_count(store_url, "SELECT COUNT(*) FROM scribe_limit_rows WHERE bucket = ? AND ts >= "
                                     "floor(extract(epoch FROM clock_timestamp()) * 1000) - ?",
                                     (f"{provider_name}|{limit.kind}", max(limit.span_ms, 1)))
        else:
            rows = _count_rows(bucket_path(data_dir, provider_name, limit.kind), plan.table,
                               int(now * 1000) - max(limit.span_ms, 1))
        usage.append((str(limit), rows * plan.unit, limit.amount))
    return usage


def _count_rows(db_path: Path, table: str, since_ms: int) -> int:
    return read_count(db_path, f"SELECT COUNT(*) FROM '{table}' WHERE item_timestamp >= ?", (since_ms,))


def window_rows(data_dir: Path, provider_name: str, config: ProviderConfig, *,
                now: float | None = None) -> dict[str, list[float]]:
    """For each sliding window (by its limit text): the times of the units it holds now, in
    seconds relative to ``now`` (≤ 0, oldest first; a re-stamped request in flight may sit a
    little ahead). Read-only, from any process: what the ETA and "next slot in" are built on."""
    now = time.time() if now is None else now
    now_ms = int(now * 1000)
    held: dict[str, list[float]] = {}
    for kind in ("requests", "tokens", "characters"):
        plan = plan_kind(kind, list(config.limits), quota_from_s=config.quota_from_s)  # type: ignore[arg-type]
        if plan is None:
            continue
        path = bucket_path(data_dir, provider_name, kind)
        for (span_ms, amount), text in zip(plan.rates, plan.window_texts(), strict=True):
            stamps = _read_stamps(path, plan.table, now_ms - span_ms, amount)
            held[text] = [(stamp - now_ms) / 1000 for stamp in stamps]
    return held


def _read_stamps(path: Path, table: str, since_ms: int, limit: int) -> list[int]:
    """The newest ``limit`` row timestamps at or after ``since_ms``, oldest first."""
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return []
    try:
        rows = conn.execute(f"SELECT item_timestamp FROM '{table}' WHERE item_timestamp >= ? "
                            "ORDER BY item_timestamp DESC LIMIT ?", (since_ms, limit)).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return sorted(int(row[0]) for row in rows)
