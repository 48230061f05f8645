"""How many worker processes ``--workers auto`` wants: enough for the queue's demand and
for what the providers' limits and concurrency caps let through — never more, because
extra workers do not help a rate-limited provider."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

# One asyncio worker comfortably drives this many requests per second (measured by
# bench/engine.py's overhead case); beyond it, another process helps.
REQUESTS_PER_WORKER_S = 250.0
CHUNKS_IN_FLIGHT_PER_WORKER = 32


@dataclass(frozen=True)
class ProviderDemand:
    max_concurrency: int
    requests_per_s_limit: float | None  # the tightest request rate, None when unlimited
    latency_s: float  # observed median, or a default before any call


def provider_throughput(demand: ProviderDemand) -> float:
    """Requests per second a provider can take: its concurrency over latency, capped by its rate."""
    by_concurrency = demand.max_concurrency / max(demand.latency_s, 0.001)
    if demand.requests_per_s_limit is None:
        return by_concurrency
    return min(by_concurrency, demand.requests_per_s_limit)


def autoscale_target(*, current: int, max_workers: int, runnable: int, in_flight: int,
                     providers: list[ProviderDemand], rate_limited_now: bool) -> int:
    """The worker count to move toward (one step at a time is the caller's business)."""
    ceiling = max(1, min(max_workers, os.cpu_count() or 1))
    if runnable + in_flight == 0:
        return 1
    throughput = sum(provider_throughput(p) for p in providers) if providers else REQUESTS_PER_WORKER_S
    by_rate = math.ceil(throughput / REQUESTS_PER_WORKER_S)
    by_queue = math.ceil((runnable + in_flight) / CHUNKS_IN_FLIGHT_PER_WORKER)
    target = max(1, min(ceiling, by_rate, by_queue))
    if rate_limited_now:
        target = min(target, current)
    return max(1, target)


def step_toward(current: int, target: int) -> int:
    if target > current:
        return current + 1
    if target < current:
        return current - 1
    return current
