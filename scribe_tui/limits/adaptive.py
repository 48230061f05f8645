"""Adaptive concurrency (AIMD), one cap per provider shared by every process through
provider_state: how many requests may be in flight at once, between 1 and the configured
``max_concurrency``.

* Overload — a refused, reset or timed-out connection, or a 5xx reply — halves the cap
  (floor 1). A request sent before the cap last changed, or within ``SETTLE_S`` after it,
  tells nothing about the new cap, so a burst of failures from one instant halves it once.
  (The change is written before the failed chunk is reported, and the supervisor re-reads
  the cap whenever a failure is reported, so what it dispatches after that is under the new
  cap; ``SETTLE_S`` covers the few milliseconds from a change to the report of it.)
* Sustained success raises it by one each time as many requests as the cap succeed in a row
  (one "window" at the current cap: about one round trip), counting only requests sent since
  the last change, until it is back at ``max_concurrency``. The cap that last overloaded the
  provider is remembered (``cap_ceiling``): the step back up to it takes ``PROBE_PATIENCE``
  windows instead of one. Plain AIMD probes that level again a few round trips after every
  halving and averages three quarters of what the server takes; probing it once in
  ``PROBE_PATIENCE`` windows keeps the average near the server's capacity. Once a window at
  the old ceiling succeeds, it is forgotten.
* The circuit breaker counts a failure only when it comes from a request sent while the cap
  was already at the floor (``AT_FLOOR``): a server that fails one request at a time is down;
  one that fails a burst is busy, and the cap answers that.

The supervisor reads the cap and never has more chunks in flight for the provider across all
workers (engine/runner.py). A cap of 0 in the table means "at ``max_concurrency``", so a
changed configuration takes effect at once; a run starts at the maximum
(``ProviderStateStore.clear_disabled``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from scribe_tui.limits.provider_state import ProviderStateStore, ProviderStateView

SETTLE_S = 0.05
PROBE_PATIENCE = 8

# An SQL condition on the provider's row (parameter :sent_at): the cap was at the floor, and
# had settled there, when the request was sent.
AT_FLOOR = f"(cap = 1 AND cap_changed_at + {SETTLE_S} <= :sent_at)"

_CURRENT = "(CASE WHEN cap = 0 OR cap > :max THEN :max ELSE cap END)"


def current_cap(view: ProviderStateView, max_concurrency: int) -> int:
    """The cap in force for a provider whose shared state is ``view``."""
    return max_concurrency if view.cap <= 0 or view.cap > max_concurrency else view.cap


class ConcurrencyCap:
    def __init__(self, store: ProviderStateStore, provider: str, max_concurrency: int,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.provider = provider
        self.max_concurrency = max_concurrency
        self.clock = clock

    def overloaded(self, sent_at: float) -> ProviderStateView | None:
        """Halve the cap (at most once per change); the new state, or None when this failure
        was already answered (or the cap is at the floor)."""
        return self.store.execute(
            f"UPDATE provider_state SET cap = MAX(1, {_CURRENT} / 2), cap_ceiling = {_CURRENT}, cap_changed_at = :now, "
            f"cap_successes = 0, updated_at = :now "
            f"WHERE name = :name AND cap_changed_at + {SETTLE_S} <= :sent_at AND {_CURRENT} > 1",
            {"name": self.provider, "max": self.max_concurrency, "now": self.clock(), "sent_at": sent_at},
        )

    def succeeded(self, sent_at: float) -> None:
        """Count a success towards raising the cap by one (nothing to do at the maximum)."""
        view = self.store.get(self.provider)
        if current_cap(view, self.max_concurrency) >= self.max_concurrency:
            return
        patience = f"(CASE WHEN {_CURRENT} + 1 = cap_ceiling THEN {PROBE_PATIENCE} ELSE 1 END)"
        window_done = f"cap_successes + 1 >= {_CURRENT} * {patience}"
        self.store.execute(
            f"UPDATE provider_state SET "
            f"cap = CASE WHEN {window_done} THEN (CASE WHEN {_CURRENT} + 1 >= :max THEN 0 ELSE {_CURRENT} + 1 END) "
            f"ELSE cap END, "
            f"cap_ceiling = CASE WHEN {window_done} AND {_CURRENT} + 1 > cap_ceiling THEN 0 ELSE cap_ceiling END, "
            f"cap_changed_at = CASE WHEN {window_done} THEN :now ELSE cap_changed_at END, "
            f"cap_successes = CASE WHEN {window_done} THEN 0 ELSE cap_successes + 1 END, updated_at = :now "
            f"WHERE name = :name AND cap_changed_at <= :sent_at AND {_CURRENT} < :max",
            {"name": self.provider, "max": self.max_concurrency, "now": self.clock(), "sent_at": sent_at},
        )
