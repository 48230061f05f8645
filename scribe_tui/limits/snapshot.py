"""What the UI and the monitor show per provider — circuit, pause, disabled reason, counters,
the adaptive concurrency cap, and each limit's use in its current window or period — read
from the shared files by any process.
Cheap enough to call every second: one read of state.db and one per bucket file."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from scribe_tui.config import Settings
from scribe_tui.limits.adaptive import current_cap
from scribe_tui.limits.breaker import circuit_label
from scribe_tui.limits.bucket_files import limit_usage
from scribe_tui.limits.provider_state import ProviderStateView, read_provider_states


@dataclass(frozen=True)
class ProviderStatus:
    name: str
    kind: str
    model: str
    circuit: str  # closed | open | half_open | disabled
    paused_until: float | None  # None when not paused
    open_until: float | None  # None unless the circuit is open
    limit_usage: tuple[tuple[str, int, int], ...]  # (limit text, used in window, amount)
    requests: int
    rate_limited: int
    consecutive_failures: int
    disabled_reason: str | None
    note: str  # one line a person can read, "" when all is well
    concurrency_cap: int  # requests in flight allowed now (adaptive, shared by every process)
    max_concurrency: int


def provider_snapshot(data_dir: Path, settings: Settings, *, now: float | None = None) -> list[ProviderStatus]:
    now = time.time() if now is None else now
    states = read_provider_states(data_dir)
    out = []
    for name, config in settings.providers.items():
        view = states.get(name) or ProviderStateView(name=name)
        circuit = circuit_label(view, now)
        cap = current_cap(view, config.max_concurrency)
        paused = view.paused_until if view.paused_until > now else None
        open_until = view.open_until if circuit == "open" else None
        out.append(ProviderStatus(
            name=name, kind=config.kind, model=config.model or "", circuit=circuit, paused_until=paused,
            open_until=open_until, limit_usage=tuple(limit_usage(data_dir, name, config)), requests=view.requests,
            rate_limited=view.rate_limited, consecutive_failures=view.consecutive_failures,
            disabled_reason=view.disabled_reason, note=_note(view, circuit, paused, open_until, now, cap, config.max_concurrency),
            concurrency_cap=cap, max_concurrency=config.max_concurrency,
        ))
    return out


def _note(view: ProviderStateView, circuit: str, paused: float | None, open_until: float | None, now: float,
          cap: int, max_concurrency: int) -> str:
    if circuit == "disabled":
        return f"disabled: {view.disabled_reason}"
    if open_until is not None:
        return f"circuit open after {view.consecutive_failures} failures; probing in {open_until - now:.0f} s"
    if circuit == "half_open":
        return "circuit half-open: one probe request decides"
    if paused is not None:
        return f"paused ({view.pause_reason or 'rate limited'}) for {paused - now:.0f} s"
    if cap < max_concurrency:
        return f"concurrency lowered to {cap} of {max_concurrency} after overload; rising while replies succeed"
    return ""
