"""Splitting a provider's concurrency cap among the workers: each gets a share (how many of
its chunks may be at the provider at once) and a backlog of orders beyond it, so a slot that
frees up is refilled inside the worker, without a round trip to the supervisor.

The shares never let the total exceed the cap, even in passing: a worker may still run what
an earlier, larger share let it start (a worker was added, the cap went down), so a share
only grows into room that is really free. As those chunks end, the shares reach their
targets."""

from __future__ import annotations

BACKLOG_MAX = 16  # orders a worker holds beyond its share, per provider


def backlog(share: int) -> int:
    """Orders beyond its share a worker holds: a whole wave of replies, within reason."""
    return min(share, BACKLOG_MAX)


def even_split(cap: int, worker_ids: list[str]) -> dict[str, int]:
    """The cap shared out as evenly as it goes; the first workers take the remainder."""
    if not worker_ids:
        return {}
    base, extra = divmod(cap, len(worker_ids))
    return {worker_id: base + (1 if i < extra else 0) for i, worker_id in enumerate(sorted(worker_ids))}


def grant_shares(cap: int, targets: dict[str, int], running_at_most: dict[str, int]) -> dict[str, int]:
    """Each worker's share: its target where the cap allows it. ``running_at_most`` bounds
    what each worker (retiring ones included, with target 0) may be running right now;
    at worst a worker with share g runs max(that bound, g), and the sum stays within ``cap``."""
    workers = sorted(set(targets) | set(running_at_most))
    floor = {w: running_at_most.get(w, 0) for w in workers}
    grants = {w: min(targets.get(w, 0), floor[w]) for w in workers}  # costs nothing beyond what runs
    budget = max(0, cap - sum(floor.values()))
    for w in workers:
        wanted = targets.get(w, 0) - grants[w]
        if wanted > 0:
            step = min(wanted, budget)
            grants[w] += step
            budget -= step
    return {w: grants[w] for w in targets}
