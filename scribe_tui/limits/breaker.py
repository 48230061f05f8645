"""The circuit breaker, one per provider, its state shared by every process (provider_state).

closed ──(failure_threshold consecutive failures counted)──▶ open
open ──(cooldown_s elapsed; exactly one caller claims the probe)──▶ half_open
half_open ──probe succeeds──▶ closed        half_open ──probe fails──▶ open (a new cool-down)

The probe is claimed with one conditional UPDATE, so across all processes only one call is
let through. A probe whose process died is reclaimable once ``probe_lease_s`` has passed.
While open, no request is sent: callers are told when to look again.

Which failures count is the caller's choice (``record_failure(..., only_if=…)``): the gateway
counts overload failures only while the adaptive concurrency cap is at its floor
(adaptive.py), so a burst of errors from one instant lowers the cap instead of opening the
circuit, and only sustained failure at one request at a time opens it.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from scribe_tui.limits.provider_state import ProviderStateStore, ProviderStateView

_tokens = itertools.count(1)


@dataclass(frozen=True)
class Permit:
    """The breaker's answer for one call. ``probe_token`` is set when this call is the
    half-open probe; ``until`` (epoch seconds) is when to look again if not allowed."""

    allowed: bool
    probe_token: str | None = None
    until: float = 0.0

    @property
    def is_probe(self) -> bool:
        return self.probe_token is not None


ALLOWED = Permit(allowed=True)


class CircuitBreaker:
    def __init__(self, store: ProviderStateStore, provider: str, *, failure_threshold: int, cooldown_s: float,
                 probe_lease_s: float, clock: Callable[[], float] = time.time):
        self.store = store
        self.provider = provider
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self.probe_lease_s = probe_lease_s
        self.clock = clock

    def admit(self) -> Permit:
        view = self.store.get(self.provider)
        now = self.clock()
        if view.circuit == "closed":
            return ALLOWED
        if view.circuit == "open" and view.open_until > now:
            return Permit(allowed=False, until=view.open_until)
        token = f"{os.getpid()}-{id(self)}-{next(_tokens)}"
        claimed = self.store.execute(
            "UPDATE provider_state SET circuit = 'half_open', probe_owner = :token, probe_started = :now, "
            "updated_at = :now WHERE name = :name AND ((circuit = 'open' AND open_until <= :now) "
            "OR (circuit = 'half_open' AND probe_started <= :stale))",
            {"name": self.provider, "token": token, "now": now, "stale": now - self.probe_lease_s},
        )
        if claimed is not None:
            return Permit(allowed=True, probe_token=token)
        return self._denied_after_lost_claim(now)

    def _denied_after_lost_claim(self, now: float) -> Permit:
        view = self.store.get(self.provider, fresh=True)
        if view.circuit == "closed":
            return ALLOWED
        if view.circuit == "open" and view.open_until > now:
            return Permit(allowed=False, until=view.open_until)
        # Another process holds the probe: look again soon (or when its lease goes stale).
        recheck = now + min(self.cooldown_s, 1.0)
        return Permit(allowed=False, until=min(recheck, view.probe_started + self.probe_lease_s))

    def record_success(self, permit: Permit) -> None:
        """The provider answered (a translation, or a definite answer such as a 400 or 429)."""
        if permit.is_probe:
            self.store.execute(
                "UPDATE provider_state SET circuit = 'closed', consecutive_failures = 0, probe_owner = NULL, "
                "open_until = 0, updated_at = :now WHERE name = :name AND circuit = 'half_open' AND probe_owner = :token",
                {"name": self.provider, "token": permit.probe_token, "now": self.clock()},
            )
        elif self.store.get(self.provider).consecutive_failures:
            self.store.execute(
                "UPDATE provider_state SET consecutive_failures = 0, updated_at = :now "
                "WHERE name = :name AND circuit = 'closed'",
                {"name": self.provider, "now": self.clock()},
            )

    def record_failure(self, permit: Permit, *, only_if: str = "1", sent_at: float = 0.0) -> ProviderStateView | None:
        """A failure that counts against the provider. ``only_if`` is an SQL condition on its
        row (with ``:sent_at``) that must hold for it to count (a probe always counts).
        Returns the new state, or None when it did not count."""
        now = self.clock()
        if permit.is_probe:
            return self.store.execute(
                "UPDATE provider_state SET circuit = 'open', open_until = :now + :cool, probe_owner = NULL, "
                "consecutive_failures = consecutive_failures + 1, updated_at = :now "
                "WHERE name = :name AND circuit = 'half_open' AND probe_owner = :token",
                {"name": self.provider, "token": permit.probe_token, "now": now, "cool": self.cooldown_s},
            )
        trips = "circuit = 'closed' AND consecutive_failures + 1 >= :threshold"
        return self.store.execute(
            f"UPDATE provider_state SET consecutive_failures = consecutive_failures + 1, "
            f"circuit = CASE WHEN {trips} THEN 'open' ELSE circuit END, "
            f"open_until = CASE WHEN {trips} THEN :now + :cool ELSE open_until END, "
            f"updated_at = :now WHERE name = :name AND {only_if}",
            {"name": self.provider, "threshold": self.failure_threshold, "now": now, "cool": self.cooldown_s,
             "sent_at": sent_at},
        )

    def release(self, permit: Permit) -> None:
        """The permitted call was never sent (parked by the limiter, cancelled): hand the
        probe back so the next caller can claim it at once."""
        if permit.is_probe:
            self.store.execute(
                "UPDATE provider_state SET circuit = 'open', probe_owner = NULL, updated_at = :now "
                "WHERE name = :name AND circuit = 'half_open' AND probe_owner = :token",
                {"name": self.provider, "token": permit.probe_token, "now": self.clock()},
            )


def circuit_label(view: ProviderStateView, now: float) -> str:
    """What a person should see: disabled | open | half_open | closed (an open circuit whose
    cool-down is over reads as half_open: the next call is the probe)."""
    if view.disabled_reason:
        return "disabled"
    if view.circuit == "open" and view.open_until <= now:
        return "half_open"
    return view.circuit
