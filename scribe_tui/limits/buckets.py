"""Rate limits shared by every process: pyrate-limiter SQLite buckets under
``<data_dir>/limits/`` for the sliding windows (one file and one Limiter per provider and
limit kind, with the file lock on so several processes never admit more than the limit), and
calendar quotas (quotas.py) for days and months.

Acquiring. Before touching a bucket, each kind's wait is computed from the bucket's own rows
(the same sliding-window arithmetic pyrate-limiter uses), and each quota's from its counter.
If any quota is spent, or any kind needs a longer wait than ``park_after_s``, nothing is
taken and a ``Parked`` result says when to come back. Otherwise the kinds are taken one by
one, the one with the longest wait first (pyrate-limiter has no way to give a permit back, so
a permit taken early would sit idle while a scarcer kind is waited for), then the quotas. If
another process wins the race for a later kind, what was already taken stays taken: the
layer errs towards sending less, never more. Waits run inside ``try_acquire_async``
(``asyncio.sleep`` until the oldest row leaves the window), never as a poll loop.

Every request's rows carry its own ticket name, returned in its ``Admission``: holds.py keeps
them in the window until the reply arrives, and ``settle`` then re-stamps them to the reply
and resizes them to the reported usage. Token reservations are calibrated by the replies
seen so far (``TokenCalibration``).

Fallback. If a SQLite bucket cannot be used (unwritable directory, SQLite error), each
process uses an in-memory bucket with every limit divided by ``worker_count`` and logs one
warning. Usage in that mode is invisible to other processes.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog

from scribe_tui.config import ProviderConfig
from scribe_tui.limits.admission import Admission, Need, Parked, WeightOverLimit
from scribe_tui.limits.bucket_files import KindLimiter, bucket_path, limit_usage, open_kind, reset_fallback_warning
from scribe_tui.limits.calibration import TokenCalibration
from scribe_tui.limits.quotas import Quota, QuotaCounters, when_text
from scribe_tui.limits.rates import KINDS, plan_kind
from scribe_tui.limit_spec import LimitKind
from scribe_tui.providers.base import Estimate, LimitReport

log = structlog.get_logger(__name__)

_tickets = itertools.count(1)
PROVIDER_VIEW = "provider-view"  # the name on rows that stand for usage the provider reported

__all__ = ["Admission", "Parked", "ProviderLimiter", "WeightOverLimit", "bucket_path", "limit_usage",
           "reset_fallback_warning"]


def amount_of(kind: str, estimate: Estimate) -> int:
    if kind == "tokens":
        return estimate.tokens
    if kind == "characters":
        return estimate.characters
    return 1


class QuotaGate:
    """One calendar quota of one provider, checked and taken through the shared counters.

    A request in flight when a period ends may be counted by the provider in either period
    (holds.py): one admitted within ``horizon_s`` of its period's end is taken from both, and
    ``settle`` gives back the one its reply rules out."""

    def __init__(self, quota: Quota, counters: QuotaCounters, horizon_s: float):
        self.quota = quota
        self.counters = counters
        self.horizon_s = horizon_s

    @property
    def kind(self) -> LimitKind:
        return self.quota.limit.kind

    def periods(self, now: float) -> list[tuple[float, float]]:
        """The periods a request sent at ``now`` may be counted in (one or two)."""
        first = self.quota.period(now)
        return [first] if now + self.horizon_s < first[1] else [first, self.quota.period(first[1])]

    def need(self, raw: int, amount: int, now: float) -> Need:
        """The wait for ``amount`` (the reservation); WeightOverLimit when even ``raw`` (the
        plain estimate) can never fit in a period."""
        limit = self.quota.limit
        if raw > limit.amount:
            raise WeightOverLimit(f"request needs about {raw} {limit.kind} but quota {limit} allows at most "
                                  f"{limit.amount} in a whole period", provider=self.quota.provider)
        for start, end in self.periods(now):
            if self.counters.used(self.quota.key, start) + amount > limit.amount:
                return Need(max(end - now, 0.001), True, str(limit), until=end)
        return Need(0.0, False, "")

    def take(self, amount: int, now: float) -> tuple[list[float], float]:
        """(the period starts taken, 0) — or ([], the end of a spent period) with nothing
        taken."""
        taken: list[float] = []
        for start, end in self.periods(now):
            if not self.counters.take(self.quota.key, start, amount, self.quota.limit.amount):
                for done in taken:
                    self.counters.adjust(self.quota.key, done, -amount)
                return [], end
            taken.append(start)
        return taken, 0.0


class ProviderLimiter:
    """All of one provider's limits: requests, tokens and characters, windows and quotas."""

    def __init__(self, provider: str, config: ProviderConfig, data_dir: Path, *, park_after_s: float,
                 worker_count: int = 1):
        self.provider = provider
        self.data_dir = Path(data_dir)
        self.park_after_s = park_after_s
        self.calibration = TokenCalibration()
        self.kinds: list[KindLimiter] = []
        self.gates: list[QuotaGate] = []
        self._counters: QuotaCounters | None = None
        self._book_counters: QuotaCounters | None = None  # the bookkeeping thread's connection
        divisor = max(worker_count, 1)
        for kind in KINDS:
            plan = plan_kind(kind, list(config.limits), quota_from_s=config.quota_from_s)
            if plan is None:
                continue
            if plan.rates:
                self.kinds.append(open_kind(provider, plan, config, self.data_dir, worker_count))
            if plan.quotas:
                self._counters = self._counters or QuotaCounters(self.data_dir)
                if not self._counters.shared:
                    plan = plan_kind(kind, list(config.limits), divisor=divisor, quota_from_s=config.quota_from_s)
                    assert plan is not None
                horizon = 2 * config.timeout_s + config.connect_timeout_s  # the longest a call can last
                self.gates += [QuotaGate(Quota(provider, limit, config.quota_reset_day), self._counters, horizon)
                               for limit in plan.quotas]

    @property
    def backend(self) -> str:
        return "memory" if any(k.backend == "memory" for k in self.kinds) else "sqlite"

    @property
    def shortest_span_s(self) -> float | None:
        spans = [span for kind in self.kinds for span, _ in kind.plan.rates]
        return min(spans) / 1000 if spans else None

    # ---- acquiring (on the event loop) -------------------------------------------------------------
    async def acquire(self, estimate: Estimate) -> Admission | Parked:
        """Take every kind's permit and quota for one request, or take nothing and say when to
        come back. Raises WeightOverLimit when the request can never fit."""
        now = time.time()
        deadline = time.monotonic() + self.park_after_s
        reserved = self.calibration.reserve(estimate)
        wanted = [(kind, kind.weight(amount_of(kind.plan.kind, estimate), amount_of(kind.plan.kind, reserved)))
                  for kind in self.kinds]
        wanted = [(kind, weight) for kind, weight in wanted if weight > 0]
        gates = [(gate, min(amount_of(gate.kind, reserved), gate.quota.limit.amount), amount_of(gate.kind, estimate))
                 for gate in self.gates]
        gates = [(gate, amount, raw) for gate, amount, raw in gates if amount > 0]
        needs = [kind.need(weight) for kind, weight in wanted] + [gate.need(raw, amount, now) for gate, amount, raw in gates]
        parked = _park(self.provider, needs, deadline)
        if parked is not None:
            return parked
        ticket = f"{self.provider}:{os.getpid()}:{next(_tickets)}"
        for index in sorted(range(len(wanted)), key=lambda i: -needs[i].wait_s):
            kind, weight = wanted[index]
            parked = await kind.take(ticket, weight, deadline)
            if parked is not None:
                return parked
        taken: list[tuple[Quota, float, int]] = []
        for gate, amount, _ in gates:
            starts, end = gate.take(amount, time.time())
            if not starts:
                return Parked(end, "quota_parked", f"{self.provider}: quota {gate.quota.limit} is spent; "
                                                   f"room again at {when_text(end)}")
            taken += [(gate.quota, start, amount) for start in starts]
        return Admission(ticket, now, reserved, tuple((kind.plan.kind, weight) for kind, weight in wanted), tuple(taken))

    # ---- after the call (on the bookkeeping thread) -----------------------------------------------
    def restamp(self, tickets: Sequence[str], at: float) -> None:
        """Keep in-flight requests' rows in the window: they may still be counted at ``at``."""
        for kind in self.kinds:
            kind.rows().restamp(tickets, at)

    def settle(self, admission: Admission, at: float, actual: Mapping[str, int]) -> None:
        """The request was counted by the provider no later than ``at``: its rows now date
        from then, resized to ``actual`` (the reply's reported usage of each kind it reported)."""
        units = dict(admission.units)
        for kind in self.kinds:
            taken = units.get(kind.plan.kind)
            if taken is None:
                continue
            rows = kind.rows()
            rows.restamp([admission.ticket], at)
            if kind.plan.kind in actual and kind.plan.kind != "requests":
                rows.resize(admission.ticket, kind.plan.weight(actual[kind.plan.kind]) - taken, at)
        if admission.quotas:
            counters = self._counters_for_books()
            for quota, start, amount in admission.quotas:
                if quota.period(at)[0] != start:  # counted in the other period it was held in
                    counters.adjust(quota.key, start, -amount)
                elif quota.limit.kind in actual:
                    counters.adjust(quota.key, start, actual[quota.limit.kind] - amount)

    def adopt(self, report: LimitReport, at: float) -> int:
        """The provider said at ``at`` how much is left (``x-ratelimit-remaining-*``): where
        that is less than our windows leave, add rows (for every process) so they leave no
        more until the provider's window is whole again (``x-ratelimit-reset-*``; a whole
        span when not said). Returns the rows added."""
        added = 0
        for kind in self.kinds:
            remaining = report.remaining.get(kind.plan.kind)
            if remaining is None:
                continue
            left = remaining // kind.plan.unit
            reset = report.reset_s.get(kind.plan.kind)
            for span, amount in kind.plan.rates:
                stamp = at - span / 1000 + min(reset, span / 1000) if reset is not None else at
                added += kind.rows().top_up(PROVIDER_VIEW, span, amount - left, at, stamp)
        return added

    def quota_to_fill(self, kind: LimitKind | None, now: float) -> tuple[Quota, float, float] | None:
        """The provider says a quota is spent: of the configured quotas of ``kind`` (any kind
        when None or none of it), the one that resets soonest, as (quota, period start, end)."""
        gates = [gate for gate in self.gates if gate.kind == kind] or self.gates
        if not gates:
            return None
        quota = min((gate.quota for gate in gates), key=lambda q: q.period(now)[1])
        start, end = quota.period(now)
        return quota, start, end

    def fill_quota(self, quota: Quota, start: float) -> None:
        """Mark a quota's period spent for every process (bookkeeping thread)."""
        self._counters_for_books().fill(quota.key, start, quota.limit.amount)

    def _counters_for_books(self) -> QuotaCounters:
        """The counters for the bookkeeping thread: a connection of its own on the shared
        file (the in-memory fallback is one connection's database, so that one is shared)."""
        assert self._counters is not None  # only called when there are quotas
        if self._book_counters is None:
            self._book_counters = QuotaCounters(self.data_dir) if self._counters.shared else self._counters
        return self._book_counters

    def close(self) -> None:
        for kind in self.kinds:
            kind.close()
        self.kinds = []
        if self._book_counters is not None and self._book_counters is not self._counters:
            self._book_counters.close()
        if self._counters is not None:
            self._counters.close()


def _park(provider: str, needs: Sequence[Need], deadline: float) -> Parked | None:
    """Parked when any need is a spent quota (the latest reset wins) or a wait past the
    deadline; None when every wait can be sat out."""
    now = time.time()
    quota = [need for need in needs if need.quota]
    if quota:
        worst = max(quota, key=lambda need: need.until)
        return Parked(worst.until, "quota_parked",
                      f"{provider}: quota {worst.blocking} is spent; room again at {when_text(worst.until)}")
    late = [need for need in needs if need.wait_s > 0 and time.monotonic() + need.wait_s > deadline]
    if late:
        worst = max(late, key=lambda need: need.wait_s)
        return Parked(now + worst.wait_s, "rate_limited",
                      f"{provider}: limit {worst.blocking} needs a {worst.wait_s:.0f} s wait")
    return None
