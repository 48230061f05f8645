"""What a simulator does: latency, rate limits, injected faults, key and size checks, and the
network and overload modes a real server shows: a random delay before a request is counted
(``arrival_delay_ms``), 503 "overloaded" beyond ``max_in_flight`` concurrent calls, a reset for
a connection beyond ``max_connections`` open ones, replies ``reply_token_factor`` times longer
in tokens than the shared estimate.

``SimulatorConfig`` is frozen; runtime changes (``POST /_control``) build a new one with
``with_changes``, which accepts the JSON form (limits as strings like ``"60/minute"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scribe_tui.limit_spec import RateLimit, parse_limit

# Fault kinds, in the order one uniform draw is matched against their probabilities.
FAULT_KINDS: tuple[str, ...] = ("drop", "http_500", "http_503", "malformed", "quota", "slow")
# The kinds a plain "fail rate" is spread over (slow is a delay, quota parks work: neither).
FAIL_RATE_KINDS: tuple[str, ...] = ("http_500", "http_503", "drop", "malformed")


def _as_limit(value: RateLimit | str) -> RateLimit:
    return value if isinstance(value, RateLimit) else parse_limit(value)


@dataclass(frozen=True)
class SimulatorConfig:
    """Behaviour of a simulator. Probabilities are per admitted request and sum to <= 1."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    limits: tuple[RateLimit, ...] = ()
    http_500: float = 0.0
    http_503: float = 0.0
    drop: float = 0.0
    malformed: float = 0.0
    quota: float = 0.0
    slow: float = 0.0
    slow_ms: float = 5000.0
    api_key: str | None = None
    max_input_chars: int | None = None
    mangle: str = ""  # a reply of the wrong shape on purpose (see mangle.py); "" for none
    mangle_min_lines: int = 1  # ... only for texts of at least this many non-blank lines
    qa_fault: str = ""  # a poor translation on purpose (see quality_faults.py); "" for none
    qa_fault_times: int = 0  # ... only the first N replies (0: every one)
    seed: int = 0
    admissions_kept: int = 10_000
    requests_kept: int = 50
    deepl_character_limit: int = 500_000
    # API dialects (see profiles.py and the api_* modules): which OpenAI-compatible server to
    # imitate, and how many characters the simulated DeepL bills per text beyond its length
    # (0: exactly the length; a test sets it to tell what DeepL bills from what we count).
    server_profile: str = "openai"
    deepl_extra_billed: int = 0
    # Overload and network modes (see the module docstring of app.py).
    arrival_delay_ms: float = 0.0
    max_in_flight: int | None = None
    max_connections: int | None = None
    reply_token_factor: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", tuple(_as_limit(item) for item in self.limits))
        from scribe_tui.simulator.mangle import MANGLES

        if self.mangle and self.mangle not in MANGLES:
            raise ValueError(f"mangle must be one of {', '.join(MANGLES)}, got {self.mangle!r}")
        from scribe_tui.simulator.quality_faults import QA_FAULTS

        if self.qa_fault and self.qa_fault not in QA_FAULTS:
            raise ValueError(f"qa_fault must be one of {', '.join(QA_FAULTS)}, got {self.qa_fault!r}")
        for kind in FAULT_KINDS:
            value = getattr(self, kind)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{kind} must be a probability between 0 and 1, got {value!r}")
        if self.fault_total() > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities add up to {self.fault_total():g}, more than 1")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.slow_ms < 0 or self.arrival_delay_ms < 0:
            raise ValueError("latency_ms, jitter_ms, slow_ms and arrival_delay_ms must not be negative")
        from scribe_tui.simulator.profiles import PROFILES

        if self.server_profile not in PROFILES:
            raise ValueError(f"server_profile must be one of {', '.join(PROFILES)}, got {self.server_profile!r}")
        if self.deepl_extra_billed < 0:
            raise ValueError("deepl_extra_billed must not be negative")
        for name in ("max_in_flight", "max_connections"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (or unset), got {value!r}")
        if self.reply_token_factor <= 0:
            raise ValueError(f"reply_token_factor must be positive, got {self.reply_token_factor!r}")

    def fault_total(self) -> float:
        return sum(getattr(self, kind) for kind in FAULT_KINDS)

    def faults(self) -> dict[str, float]:
        return {kind: getattr(self, kind) for kind in FAULT_KINDS}

    def with_changes(self, changes: Mapping[str, Any]) -> SimulatorConfig:
        """A copy with ``changes`` applied; ``ValueError`` names an unknown or bad key."""
        known = {item.name for item in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown simulator setting(s): {', '.join(unknown)}")
        values = dict(changes)
        if "limits" in values:
            values["limits"] = tuple(_as_limit(item) for item in _as_list(values["limits"]))
        return dataclasses.replace(self, **values)

    def to_json(self) -> dict[str, Any]:
        data = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        data["limits"] = [str(limit) for limit in self.limits]
        data["api_key"] = "<set>" if self.api_key else None
        return data

    @classmethod
    def from_options(cls, *, rpm: int | None = None, latency_ms: float = 0.0, jitter_ms: float | None = None,
                     fail_rate: float = 0.0, limits: Iterable[RateLimit | str] = (), **other: Any) -> SimulatorConfig:
        """The config for ``scribe-tui simulate`` and the demo provider: ``fail_rate`` is
        spread evenly over http_500, http_503, drop and malformed."""
        all_limits = [_as_limit(item) for item in limits]
        if rpm:
            all_limits.append(parse_limit(f"{rpm}/minute"))
        jitter = latency_ms / 5 if jitter_ms is None else jitter_ms
        return cls(latency_ms=latency_ms, jitter_ms=jitter, limits=tuple(all_limits),
                   **spread_fail_rate(fail_rate), **other)


def spread_fail_rate(fail_rate: float) -> dict[str, float]:
    if not 0.0 <= fail_rate <= 1.0:
        raise ValueError(f"fail rate must be between 0 and 1, got {fail_rate!r}")
    share = fail_rate / len(FAIL_RATE_KINDS)
    return {kind: share for kind in FAIL_RATE_KINDS}


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, RateLimit)) else list(value)
