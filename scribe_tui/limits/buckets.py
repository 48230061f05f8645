"""Rate-limit buckets shared by every process: pyrate-limiter SQLite buckets under
``<data_dir>/limits/`` (one file and one Limiter per provider and limit kind), with the file
lock on so several processes never admit more than the limit.

Acquiring. Before touching a bucket, each kind's wait is computed from the bucket's own rows
(the same sliding-window arithmetic pyrate-limiter uses). If any kind is a spent quota (a
window of a day or more), or needs a longer wait than ``park_after_s``, nothing is taken and
a ``Parked`` result says when the window frees up. Otherwise the kinds are taken one by one,
the one with the longest wait first: pyrate-limiter has no way to give a permit back, so a
permit taken early would sit idle while a scarcer kind is waited for. If another process
wins the race for a later kind, what was already taken stays taken: the layer errs towards
sending less, never more. Waits run inside ``try_acquire_async`` (``asyncio.sleep`` until the
oldest row leaves the window), never as a poll loop.

Fallback. If the SQLite bucket cannot be used (unwritable directory, SQLite error), each
process uses an in-memory bucket with every limit divided by ``worker_count`` and logs one
warning. Usage in that mode is invisible to other processes.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from operator import attrgetter
from typing import Literal, Protocol

import structlog
from pyrate_limiter import InMemoryBucket, Limiter, Rate, SQLiteBucket

from scribe_tui import paths
from scribe_tui.config import ProviderConfig
from scribe_tui.limits.rates import KINDS, KindPlan, is_quota_span, plan_kind, widened_span_ms
from scribe_tui.providers.base import ContentTooLong, Estimate

log = structlog.get_logger(__name__)

_timestamp = attrgetter("timestamp")
QUEUE_SLACK_S = 2.0  # extra time a waiter may spend queued behind this process's other waiters
_warned_fallback = False


class WeightOverLimit(ContentTooLong):
    """One request needs more than a limit allows in a whole window: it can never be
    admitted as it is, so it is split like an over-long chunk."""


@dataclass(frozen=True)
class Parked:
    """Nothing was taken: come back at ``until`` (epoch seconds)."""

    until: float
    reason: Literal["rate_limited", "quota_parked"]
    message: str


# ---- reading a bucket's window ------------------------------------------------------------------


class _Window(Protocol):
    def now_ms(self) -> int: ...

    def count_since(self, start_ms: int) -> int: ...

    def nth_newest(self, offset: int) -> int | None: ...

    def close(self) -> None: ...


class _SqliteWindow:
    """Reads a bucket table on its own connection (WAL readers never block the writers)."""

    def __init__(self, db_path: Path, table: str):
        self._conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._count = f"SELECT COUNT(*) FROM '{table}' WHERE item_timestamp >= ?"
        self._nth = f"SELECT item_timestamp FROM '{table}' ORDER BY item_timestamp DESC LIMIT 1 OFFSET ?"

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000  # SQLiteBucket stamps rows with the wall clock

    def count_since(self, start_ms: int) -> int:
        return int(self._conn.execute(self._count, (start_ms,)).fetchone()[0])

    def nth_newest(self, offset: int) -> int | None:
        row = self._conn.execute(self._nth, (offset,)).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        self._conn.close()


class _MemoryWindow:
    def __init__(self, bucket: InMemoryBucket):
        self._bucket = bucket

    def now_ms(self) -> int:
        return int(self._bucket.now())  # the bucket's monotonic clock

    def count_since(self, start_ms: int) -> int:
        with self._bucket._lock:  # the Leaker thread trims the list under this lock
            items = self._bucket.items
            return len(items) - bisect_left(items, start_ms, key=_timestamp)

    def nth_newest(self, offset: int) -> int | None:
        with self._bucket._lock:
            items = self._bucket.items
            return items[-1 - offset].timestamp if 0 <= offset < len(items) else None

    def close(self) -> None:
        pass


# ---- one kind --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Need:
    wait_ms: int
    quota_wait_ms: int  # the part of the wait caused by spent quotas (0 if none)
    blocking: str  # the limit that forces the wait, for messages


class KindLimiter:
    """One pyrate Limiter for one (provider, kind) and the arithmetic to predict its waits."""

    def __init__(self, provider: str, plan: KindPlan, limiter: Limiter, window: _Window, backend: str):
        self.provider = provider
        self.plan = plan
        self.limiter = limiter
        self.window = window
        self.backend = backend  # "sqlite" | "memory"

    def need(self, weight: int) -> _Need:
        """How long until ``weight`` fits in every window (0 if now); raises WeightOverLimit."""
        now = self.window.now_ms()
        wait, quota_wait, blocking = 0, 0, ""
        for span, amount in self.plan.rates:
            if weight > amount:
                raise WeightOverLimit(self._too_big(weight, span, amount), provider=self.provider)
            if self.window.count_since(now - span) + weight <= amount:
                continue
            oldest = self.window.nth_newest(amount - weight)
            rate_wait = 0 if oldest is None else max(0, oldest + span - now + 1)
            if rate_wait > wait:
                wait, blocking = rate_wait, self._limit_text(span)
            if is_quota_span(span):
                quota_wait = max(quota_wait, rate_wait)
        return _Need(wait_ms=wait, quota_wait_ms=quota_wait, blocking=blocking)

    async def take(self, weight: int, deadline: float) -> Parked | None:
        """Take ``weight`` units, waiting at most until ``deadline`` (monotonic)."""
        while True:
            need = self.need(weight)
            parked = self.park_if_needed(need, deadline)
            if parked is not None:
                return parked
            remaining = deadline - time.monotonic()
            timeout = max(0.001, min(remaining, need.wait_ms / 1000 + QUEUE_SLACK_S))
            if await self.limiter.try_acquire_async(self.provider, weight, timeout=timeout):
                return None

    def park_if_needed(self, need: _Need, deadline: float) -> Parked | None:
        until = time.time() + need.wait_ms / 1000
        if need.quota_wait_ms > 0:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(until))
            return Parked(until, "quota_parked", f"{self.provider}: quota {need.blocking} is spent; room again at {when}")
        if need.wait_ms > 0 and time.monotonic() + need.wait_ms / 1000 > deadline:
            seconds = need.wait_ms / 1000
            return Parked(until, "rate_limited", f"{self.provider}: limit {need.blocking} needs a {seconds:.0f} s wait")
        return None

    def _limit_text(self, span: int) -> str:
        for limit in self.plan.limits:
            if widened_span_ms(limit.span_ms) == span:
                return str(limit)
        return f"{self.plan.kind} per {span / 1000:g} s"

    def _too_big(self, weight: int, span: int, amount: int) -> str:
        unit, kind = self.plan.unit, self.plan.kind
        return (f"request needs about {weight * unit} {kind} but limit {self._limit_text(span)} allows "
                f"at most {amount * unit} in a whole window")

    def close(self) -> None:
        self.limiter.close()
        self.window.close()


# ---- one provider -------------------------------------------------------------------------------------


class ProviderLimiter:
    """All of one provider's limits: requests, tokens and characters."""

    def __init__(self, provider: str, config: ProviderConfig, data_dir: Path, *, park_after_s: float,
                 worker_count: int = 1):
        self.provider = provider
        self.park_after_s = park_after_s
        self.kinds: list[KindLimiter] = []
        for kind in KINDS:
            plan = plan_kind(kind, list(config.limits))
            if plan is not None:
                self.kinds.append(_open_kind(provider, plan, config, data_dir, worker_count))

    @property
    def backend(self) -> str:
        return "memory" if any(k.backend == "memory" for k in self.kinds) else "sqlite"

    async def acquire(self, estimate: Estimate) -> Parked | None:
        """Take every kind's permit for one request, or take nothing and say when to come back.
        Raises WeightOverLimit when the request can never fit."""
        deadline = time.monotonic() + self.park_after_s
        wanted = [(kind, kind.plan.weight(_amount(kind.plan.kind, estimate))) for kind in self.kinds]
        wanted = [(kind, weight) for kind, weight in wanted if weight > 0]
        needs = [kind.need(weight) for kind, weight in wanted]
        parks = [kind.park_if_needed(need, deadline) for (kind, _), need in zip(wanted, needs, strict=True)]
        if any(parks):
            return _latest(parks)
        order = sorted(range(len(wanted)), key=lambda i: -needs[i].wait_ms)
        for index in order:
            kind, weight = wanted[index]
            parked = await kind.take(weight, deadline)
            if parked is not None:
                return parked
        return None

    def close(self) -> None:
        for kind in self.kinds:
            kind.close()
        self.kinds = []


def _amount(kind: str, estimate: Estimate) -> int:
    if kind == "tokens":
        return estimate.tokens
    if kind == "characters":
        return estimate.characters
    return 1


def _latest(parks: Sequence[Parked | None]) -> Parked:
    found = [park for park in parks if park is not None]
    quota = [park for park in found if park.reason == "quota_parked"]
    return max(quota or found, key=lambda park: park.until)


# ---- opening buckets ----------------------------------------------------------------------------------


def bucket_path(data_dir: Path, provider: str, kind: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", provider)[:40]
    if slug != provider:
        slug = f"{slug}-{zlib.crc32(provider.encode()):08x}"
    return Path(data_dir) / "limits" / f"{slug}.{kind}.db"


def _pyrate_rates(plan: KindPlan) -> list[Rate]:
    return [Rate(amount, span) for span, amount in plan.rates]


def _open_kind(provider: str, plan: KindPlan, config: ProviderConfig, data_dir: Path, worker_count: int) -> KindLimiter:
    db_path = bucket_path(data_dir, provider, plan.kind)
    try:
        return _open_sqlite(provider, plan, db_path)
    except (OSError, sqlite3.Error, RuntimeError, TimeoutError) as exc:
        _warn_fallback(db_path, exc, worker_count)
    divided = plan_kind(plan.kind, list(config.limits), divisor=max(worker_count, 1))
    assert divided is not None
    bucket = InMemoryBucket(_pyrate_rates(divided))
    return KindLimiter(provider, divided, Limiter(bucket), _MemoryWindow(bucket), "memory")


def _open_sqlite(provider: str, plan: KindPlan, db_path: Path) -> KindLimiter:
    paths.ensure_private_dir(db_path.parent)
    paths.touch_private(db_path)
    paths.touch_private(db_path.with_name(db_path.name + ".lock"))
    bucket = SQLiteBucket.init_from_file(_pyrate_rates(plan), table=plan.table, db_path=str(db_path), use_file_lock=True)
    try:
        bucket.lock.poll_interval = 0.002  # a contended file lock is held for well under a millisecond
        for suffix in ("-wal", "-shm"):
            sidecar = db_path.with_name(db_path.name + suffix)
            if sidecar.exists():
                os.chmod(sidecar, 0o600)
        window = _SqliteWindow(db_path, plan.table)
    except BaseException:
        bucket.close()
        raise
    return KindLimiter(provider, plan, Limiter(bucket), window, "sqlite")


def _warn_fallback(db_path: Path, exc: BaseException, worker_count: int) -> None:
    global _warned_fallback
    if _warned_fallback:
        return
    _warned_fallback = True
    log.warning(
        "shared rate-limit buckets unavailable; using per-process in-memory limits",
        path=str(db_path.parent), error=f"{type(exc).__name__}: {exc}", divided_by=max(worker_count, 1),
    )


# ---- usage, for the UI -------------------------------------------------------------------------------


def limit_usage(data_dir: Path, provider_name: str, config: ProviderConfig) -> list[tuple[str, int, int]]:
    """(limit text, used in its current window, amount) for every configured limit, read from
    the shared buckets by any process (0 when nothing was recorded yet). Tokens and
    characters are reported in whole units of the bucket (see rates.py)."""
    now = time.time_ns() // 1_000_000
    usage: list[tuple[str, int, int]] = []
    for limit in config.limits:
        plan = plan_kind(limit.kind, list(config.limits))
        assert plan is not None
        rows = _count_rows(bucket_path(data_dir, provider_name, limit.kind), plan.table, now - limit.span_ms)
        usage.append((str(limit), rows * plan.unit, limit.amount))
    return usage


def _count_rows(db_path: Path, table: str, since_ms: int) -> int:
    if not db_path.exists():
        return 0
    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM '{table}' WHERE item_timestamp >= ?", (since_ms,)).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def reset_fallback_warning() -> None:
    """Forget that the fallback warning was given (tests)."""
    global _warned_fallback
    _warned_fallback = False


