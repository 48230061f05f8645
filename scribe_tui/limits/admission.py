"""What asking the limits for room can come to: an ``Admission`` (what one request took, under
its own ticket), ``Parked`` (nothing taken; come back later), or ``WeightOverLimit`` (the
request can never fit and must be split)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from scribe_tui.limit_spec import LimitKind
from scribe_tui.providers.base import ContentTooLong, Estimate

if TYPE_CHECKING:
    from scribe_tui.limits.quotas import Quota


class WeightOverLimit(ContentTooLong):
    """One request needs more than a limit allows in a whole window: it can never be
    admitted as it is, so it is split like an over-long chunk."""


@dataclass(frozen=True)
class Parked:
    """Nothing was taken: come back at ``until`` (epoch seconds)."""

    until: float
    reason: Literal["rate_limited", "quota_parked"]
    message: str


@dataclass(frozen=True)
class Need:
    """How long one window or quota makes a request wait (0: it fits now)."""

    wait_s: float
    quota: bool  # the wait is a spent quota's
    blocking: str  # the limit that forces the wait, for messages
    until: float = 0.0  # a spent quota's reset (epoch seconds)


@dataclass(frozen=True)
class Admission:
    """What one request took: ``units`` per sliding kind (rows named ``ticket``) and
    ``quotas`` (quota, period start, amount), reserved for ``estimate`` at ``at``."""

    ticket: str
    at: float
    estimate: Estimate
    units: tuple[tuple[LimitKind, int], ...] = ()
    quotas: tuple[tuple[Quota, float, int], ...] = ()
