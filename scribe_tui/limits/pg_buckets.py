"""One limit kind's sliding window on the shared PostgreSQL database (pg_link.py): the same
rows, ticket names and arithmetic as the SQLite buckets (bucket_files.py, bucket_rows.py),
in one table ``scribe_limit_rows`` keyed by bucket, and on the database's clock.

Why a table of our own and not pyrate-limiter's PostgresBucket: that one takes ``LOCK TABLE
… IN EXCLUSIVE MODE NOWAIT`` on every put (so four processes see "busy" on most calls),
counts by scanning the whole table under the lock, stamps rows with the caller's clock and
keeps weights in a SMALLINT. Here a permit is one call of ``scribe_limit_take``: an advisory
lock per bucket, indexed counts, the database's clock (see bench/limits.py for the numbers).

Every call blocks, so ``take`` and ``need`` run in a thread (``asyncio.to_thread``), never on
the event loop. If the database stops answering mid-run, the kind falls back to an in-memory
bucket with its limits divided by the workers of every machine last seen alive (one loud
warning), and tries the database again every ``RETRY_SHARED_S``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import structlog
from pyrate_limiter import InMemoryBucket, Limiter, Rate

from scribe_tui.limits.admission import Need, Parked
from scribe_tui.limits.bucket_files import KindLimiter
from scribe_tui.limits.bucket_rows import MemoryRows, MemoryWindow, wall_ms
from scribe_tui.limits.pg_link import PgLink, SharedStateUnavailable, release
from scribe_tui.limits.rates import KindPlan

log = structlog.get_logger(__name__)

RETRY_SHARED_S = 10.0
_warned = False


def bucket_key(provider: str, kind: str) -> str:
    return f"{provider}|{kind}"  # bucket_files.limit_usage reads the same key


def reset_warning() -> None:
    """Forget that the fallback warning was given (tests)."""
    global _warned
    _warned = False


class PgRows:
    """Writes on one bucket's rows (the bookkeeping thread); times are this machine's,
    moved to the database's clock by the link's offset."""

    def __init__(self, link: PgLink, bucket: str):
        self._link = link
        self._bucket = bucket

    def _ms(self, at: float) -> int:
        return wall_ms(at + self._link.offset_s)

    def restamp(self, tickets: Iterable[str], at: float) -> None:
        names = list(tickets)
        if names:
            self._link.run("UPDATE scribe_limit_rows SET ts = %s WHERE bucket = %s AND name = ANY(%s)",
                           (self._ms(at), self._bucket, names))

    def resize(self, ticket: str, delta: int, at: float) -> None:
        if delta > 0:
            self.add(ticket, delta, at)
        elif delta < 0:
            self._link.run("DELETE FROM scribe_limit_rows WHERE ctid IN (SELECT ctid FROM scribe_limit_rows "
                           "WHERE bucket = %s AND name = %s LIMIT %s)", (self._bucket, ticket, -delta))

    def add(self, name: str, count: int, at: float) -> None:
        if count > 0:
            self._link.run("INSERT INTO scribe_limit_rows (bucket, name, ts) "
                           "SELECT %s, %s, %s FROM generate_series(1, %s)", (self._bucket, name, self._ms(at), count))

    def top_up(self, name: str, span_ms: int, wanted: int, at: float, stamp: float) -> int:
        row = self._link.run(
            """WITH locked AS (SELECT pg_advisory_xact_lock(hashtext('scribe-limit:' || %(b)s))),
                    have AS (SELECT COUNT(*) AS n FROM scribe_limit_rows, locked
                             WHERE bucket = %(b)s AND ts >= %(since)s),
                    added AS (INSERT INTO scribe_limit_rows (bucket, name, ts)
                              SELECT %(b)s, %(name)s, %(stamp)s FROM have, generate_series(1, %(wanted)s - have.n)
                              RETURNING 1)
               SELECT COUNT(*) FROM added""",
            {"b": self._bucket, "since": self._ms(at) - span_ms, "name": name, "stamp": self._ms(stamp),
             "wanted": wanted}).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        pass


class PgKindLimiter(KindLimiter):
    """A KindLimiter whose permits come from the shared database (see the module docstring)."""

    def __init__(self, provider: str, plan: KindPlan, link: PgLink, fallback: KindLimiter):
        self._link = link
        self._key = bucket_key(provider, plan.kind)
        self._spans = [span for span, _ in plan.rates]
        self._amounts = [amount for _, amount in plan.rates]
        self._fallback = fallback
        self._shared_again_at = 0.0  # monotonic: while later than now, the fallback decides
        super().__init__(provider, plan, None, None, "postgres", rows=PgRows(link, self._key))  # type: ignore[arg-type]

    # ---- the database's answer ------------------------------------------------------------------
    def _wait_ms(self, ticket: str, weight: int, take: bool) -> int:
        row = self._link.run("SELECT scribe_limit_take(%s::text, %s::text, %s::int, %s::bigint[], %s::int[], %s::boolean)",
                             (self._key, ticket, weight, self._spans, self._amounts, take)).fetchone()
        assert row is not None
        return int(row[0])

    def _shared(self) -> bool:
        return time.monotonic() >= self._shared_again_at

    def _fall_back(self, exc: BaseException) -> None:
        global _warned
        self._shared_again_at = time.monotonic() + RETRY_SHARED_S
        if not _warned:
            _warned = True
            log.warning("SHARED RATE LIMITS UNREACHABLE: limiting this host alone, every limit divided by the "
                        "workers of the machines last seen alive, until the database answers again",
                        provider=self.provider, hosts_alive=self._link.hosts_alive, error=str(exc))

    def need(self, weight: int) -> Need:
        """How long until ``weight`` fits in every window (0 if now); blocks: call it in a thread."""
        if self._shared():
            try:
                return Need(self._wait_ms("", weight, False) / 1000, False, self._blocking())
            except SharedStateUnavailable as exc:
                self._fall_back(exc)
        return self._fallback.need(weight)

    async def take(self, ticket: str, weight: int, deadline: float) -> Parked | None:
        """Take ``weight`` units under ``ticket``, waiting at most until ``deadline`` (monotonic)."""
        while self._shared():
            try:
                wait_ms = await asyncio.to_thread(self._wait_ms, ticket, weight, True)
            except SharedStateUnavailable as exc:
                self._fall_back(exc)
                break
            if wait_ms == 0:
                return None
            remaining = deadline - time.monotonic()
            if wait_ms / 1000 > remaining:
                return Parked(self._link.clock() + wait_ms / 1000, "rate_limited",
                              f"{self.provider}: limit {self._blocking()} needs a {wait_ms / 1000:.0f} s wait")
            await asyncio.sleep(wait_ms / 1000)
        return await self._fallback.take(ticket, weight, deadline)

    def _blocking(self) -> str:
        return self._limit_text(max(self._spans))

    def close(self) -> None:
        self._fallback.close()
        release(self._link)


def open_pg_kind(provider: str, plan: KindPlan, divided: KindPlan, link: PgLink) -> PgKindLimiter:
    """The shared kind, with its per-host fallback (``divided``) ready in memory."""
    bucket = InMemoryBucket([Rate(amount, span) for span, amount in divided.rates])
    fallback = KindLimiter(provider, divided, Limiter(bucket), MemoryWindow(bucket), "memory", rows=MemoryRows(bucket))
    return PgKindLimiter(provider, plan, link, fallback)

