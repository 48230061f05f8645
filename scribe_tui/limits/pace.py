"""How fast a provider's limits and latency let work go: the one arithmetic behind
``--dry-run``, the ETA of ``--batch`` progress, ``status``, the TUI and the web page.

The windows are the limiter's own (``rates.plan_kind``: the same normalised rates and units the
buckets enforce). A sliding window of ``amount`` per ``span`` lets the first ``amount`` go at once
(the burst) and never more than ``amount`` in any ``span``, so ``total`` units need at least
``(ceil(total / amount) - 1) × span`` before the last one can start: a true lower bound, whatever
the scheduler. The other bound is latency × concurrency: ``requests`` replies of ``latency`` each,
at most ``concurrency`` at a time. The *expected* time schedules every request under both (the
earliest start each window and slot allows, each request holding its place in the windows until
its reply, as the limiter's holds do); the slower of the two bounds is the one that
binds, and it is named ("limited by 30/minute").
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scribe_tui.config import ProviderConfig
from scribe_tui.limits.rates import KINDS, plan_kind

SIMULATED_REQUESTS = 2_000  # beyond this the schedule is extrapolated at its steady rate


@dataclass(frozen=True)
class Window:
    """One sliding window as the limiter enforces it."""

    text: str  # the limit as configured ("30/minute")
    kind: str  # requests | tokens | characters
    amount: int  # units per span
    span_s: float
    unit: int  # tokens or characters per unit (1 for requests)

    def units(self, total: int) -> int:
        return total if self.kind == "requests" else math.ceil(max(total, 0) / self.unit)

    def lower_bound_s(self, total: int) -> float:
        """The earliest the last of ``total`` (requests, tokens or characters) can start."""
        units = self.units(total)
        return max(0, math.ceil(units / self.amount) - 1) * self.span_s if units else 0.0

    def steady_s(self, total: int) -> float:
        """Time at the window's long-run rate, once the burst is spent."""
        return self.units(total) * self.span_s / self.amount


@dataclass(frozen=True)
class Work:
    """What is left to send: requests, and the tokens and characters they carry."""

    requests: int
    tokens: int = 0
    characters: int = 0

    def total(self, kind: str) -> int:
        return {"requests": self.requests, "tokens": self.tokens, "characters": self.characters}[kind]


@dataclass(frozen=True)
class Pace:
    seconds: float
    binding: str  # "30/minute", "latency (0.50 s × 10 at a time)", or "" when nothing binds

    def reason(self) -> str:
        return f"limited by {self.binding}" if self.binding else ""


def windows(config: ProviderConfig) -> list[Window]:
    """The provider's sliding windows (calendar quotas are not windows: see quotas.py)."""
    out = []
    for kind in KINDS:
        plan = plan_kind(kind, list(config.limits), quota_from_s=config.quota_from_s)
        if plan is None:
            continue
        for (span_ms, amount), text in zip(plan.rates, plan.window_texts(), strict=True):
            out.append(Window(text=text, kind=kind, amount=amount, span_s=span_ms / 1000, unit=plan.unit))
    return out


def latency_bound(requests: int, latency_s: float | None, concurrency: int) -> Pace:
    if not latency_s or requests <= 0:
        return Pace(0.0, "")
    rounds = math.ceil(requests / max(1, concurrency))
    return Pace(rounds * latency_s, f"latency ({latency_s:.2f} s × {concurrency} at a time)")


def lower_bound(config: ProviderConfig, work: Work, *, min_latency_s: float | None = None) -> Pace:
    """A time no run can beat: the tightest window (burst included) plus one reply, or the
    latency × concurrency bound, whichever is longer."""
    best = latency_bound(work.requests, min_latency_s, config.max_concurrency)
    for window in windows(config):
        seconds = window.lower_bound_s(work.total(window.kind)) + (min_latency_s or 0.0)
        if seconds > best.seconds:
            best = Pace(seconds, window.text)
    return best


def expected(config: ProviderConfig, work: Work, *, latency_s: float | None,
             concurrency: int | None = None, held: Mapping[str, Sequence[float]] | None = None) -> Pace:
    """The time an ideal scheduler takes: each request starts as soon as a concurrency slot
    and every window allow it; named after whichever bound is the longer. ``held``: the units
    each window already holds (their times relative to now, ``bucket_files.window_rows``), so a
    full window gives no burst."""
    concurrency = max(1, concurrency or config.max_concurrency)
    active = windows(config)
    if work.requests <= 0:
        return Pace(0.0, "")
    simulated = min(work.requests, SIMULATED_REQUESTS)
    weights = [(w, w.units(work.total(w.kind)) / work.requests) for w in active]
    end = _schedule(simulated, weights, latency_s or 0.0, concurrency, held or {})
    if simulated < work.requests:  # extrapolate at the slowest steady rate
        per_request = max([(latency_s or 0.0) / concurrency] + [w.steady_s(work.total(w.kind)) / work.requests
                                                                for w in active])
        end += (work.requests - simulated) * per_request
    return Pace(end, binding_of(config, work, latency_s, concurrency, held))


def binding_of(config: ProviderConfig, work: Work, latency_s: float | None, concurrency: int,
               held: Mapping[str, Sequence[float]] | None = None) -> str:
    """Which bound is the longer: a window (burst included — none left when ``held`` fills
    it — then its steady rate to break a tie), or latency × concurrency."""
    by_latency = latency_bound(work.requests, latency_s, concurrency)
    best_key, best = (by_latency.seconds, 0.0), by_latency.binding
    for window in windows(config):
        total = work.total(window.kind)
        key = (max(window.lower_bound_s(total), _held_bound_s(window, work, held)), window.steady_s(total))
        if key > best_key:
            best_key, best = key, window.text
    return best


def _held_bound_s(window: Window, work: Work, held: Mapping[str, Sequence[float]] | None) -> float:
    """The earliest the last request can start under this window alone, given the units it
    already holds (a full window makes even the first wait for a slot)."""
    if not held or not held.get(window.text) or work.requests <= 0:
        return 0.0
    simulated = min(work.requests, SIMULATED_REQUESTS)
    weight = window.units(work.total(window.kind)) / work.requests
    return _schedule(simulated, [(window, weight)], 0.0, simulated, held)


def _schedule(requests: int, weights: Sequence[tuple[Window, float]], latency_s: float, concurrency: int,
              held: Mapping[str, Sequence[float]]) -> float:
    slots = [0.0] * concurrency
    history: list[list[tuple[float, float]]] = [  # per window: (start, cumulative units), held ones first
        [(min(at, 0.0), float(n)) for n, at in enumerate(sorted(held.get(window.text, ())), start=1)]
        for window, _ in weights]
    end = 0.0
    for _ in range(requests):
        start = heapq.heappop(slots)
        for (window, weight), starts in zip(weights, history, strict=True):
            start = max(start, _window_start(window, weight, starts))
        for (window, weight), starts in zip(weights, history, strict=True):  # held until the reply (holds.py)
            starts.append((start + latency_s, (starts[-1][1] if starts else 0.0) + weight))
        heapq.heappush(slots, start + latency_s)
        end = max(end, start + latency_s)
    return end


def _window_start(window: Window, weight: float, starts: list[tuple[float, float]]) -> float:
    """The earliest start that keeps units in any span within the amount."""
    if not starts:
        return 0.0
    total = starts[-1][1] + weight
    allowed_before = total - window.amount  # units that must have left the window
    if allowed_before <= 0:
        return 0.0
    index = _first_reaching(starts, allowed_before)
    return starts[index][0] + window.span_s if index < len(starts) else math.inf


def _first_reaching(starts: list[tuple[float, float]], cumulative: float) -> int:
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid][1] < cumulative - 1e-9:
            lo = mid + 1
        else:
            hi = mid
    return lo
