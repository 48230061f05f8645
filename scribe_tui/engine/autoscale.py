"""How many worker processes ``--workers auto`` wants: enough for the queue's demand and for
what the providers' limits and concurrency caps let through — never more, because extra
workers do not help a rate-limited provider or one whose concurrency cap is already met."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

# One asyncio worker comfortably drives this many requests per second and this many chunks
# in flight (bench/engine.py's overhead case); beyond them, another process helps.
REQUESTS_PER_WORKER_S = 150.0
CHUNKS_IN_FLIGHT_PER_WORKER = 32


@dataclass(frozen=True)
class ProviderDemand:
    max_concurrency: int
    requests_per_s_limit: float | None  # the tightest request rate, None when unlimited


def autoscale_target(*, current: int, max_workers: int, runnable: int, in_flight: int,
                     providers: list[ProviderDemand], rate_limited_now: bool) -> int:
    """The worker count to move toward."""
    ceiling = max(1, min(max_workers, os.cpu_count() or 1))
    demand = runnable + in_flight
    if demand == 0:
        return 1
    by_queue = math.ceil(demand / CHUNKS_IN_FLIGHT_PER_WORKER)
    by_concurrency = math.ceil(sum(p.max_concurrency for p in providers) / CHUNKS_IN_FLIGHT_PER_WORKER) if providers else 1
    rates = [p.requests_per_s_limit for p in providers]
    by_rate = ceiling if not rates or None in rates else math.ceil(sum(rates) / REQUESTS_PER_WORKER_S)  # type: ignore[arg-type]
    target = max(1, min(ceiling, by_queue, by_concurrency, by_rate))
    if rate_limited_now:
        target = min(target, current)
    return max(1, target)


def step_toward(current: int, target: int) -> int:
    """Grow straight to the target (demand is there now); shrink one worker at a time."""
    if target > current:
        return target
    if target < current:
        return current - 1
    return current
