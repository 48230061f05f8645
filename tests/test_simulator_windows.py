"""The simulator's sliding windows, driven with explicit clock values."""

from __future__ import annotations

import math

import pytest

from scribe_tui.limit_spec import parse_limit
from scribe_tui.simulator.windows import LimitSet, SlidingWindow


def test_requests_window_admits_exactly_the_limit_in_any_window() -> None:
    limits = LimitSet([parse_limit("3/10s")])
    admitted = [t for t in (0.0, 1.0, 2.0, 3.0, 9.9, 10.0, 10.5, 11.0, 11.5, 12.0, 12.1)
                if limits.admit({"requests": 1}, t).admitted]
    # 0,1,2 fill the window; 10.0 frees the slot of 0.0, 11.0 that of 1.0, 12.0 that of 2.0.
    assert admitted == [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]


def test_refusal_says_when_the_oldest_admission_leaves_the_window() -> None:
    limits = LimitSet([parse_limit("2/minute")])
    assert limits.admit({"requests": 1}, 100.0).admitted
    assert limits.admit({"requests": 1}, 130.0).admitted
    decision = limits.admit({"requests": 1}, 145.0)
    assert not decision.admitted
    assert decision.retry_after_s == pytest.approx(15.0)
    assert decision.limit is not None and decision.limit.kind == "requests"


def test_refused_requests_are_not_counted() -> None:
    limits = LimitSet([parse_limit("1/10s")])
    assert limits.admit({"requests": 1}, 0.0).admitted
    for t in (1.0, 2.0, 9.0):
        assert not limits.admit({"requests": 1}, t).admitted
    assert limits.admit({"requests": 1}, 10.0).admitted


def test_weighted_window_frees_enough_units() -> None:
    window = SlidingWindow(parse_limit("100 tokens/10s"))
    window.record(60, 0.0)
    window.record(30, 5.0)
    assert window.wait_for(10, 6.0) == 0.0
    assert window.wait_for(20, 6.0) == pytest.approx(4.0)  # needs the 60 from t=0 to leave
    assert window.wait_for(101, 6.0) == math.inf
    assert window.used(10.0) == 30


def test_all_limits_must_admit_and_all_record() -> None:
    limits = LimitSet([parse_limit("10/minute"), parse_limit("100 tokens/minute")])
    assert limits.admit({"requests": 1, "tokens": 90}, 0.0).admitted
    refused = limits.admit({"requests": 1, "tokens": 20}, 1.0)
    assert not refused.admitted and refused.limit is not None and refused.limit.kind == "tokens"
    # the refused call recorded nothing in the requests window either
    assert limits.status("requests", 1.0) == (parse_limit("10/minute"), 9, pytest.approx(59.0))


def test_a_spent_quota_outranks_a_busy_window() -> None:
    limits = LimitSet([parse_limit("1/second"), parse_limit("1/day")])
    assert limits.admit({"requests": 1}, 0.0).admitted
    decision = limits.admit({"requests": 1}, 0.5)
    assert decision.is_quota
    assert decision.retry_after_s == pytest.approx(86400 - 0.5)


def test_characters_weight_over_the_whole_limit_waits_a_span() -> None:
    limits = LimitSet([parse_limit("50 characters/minute")])
    decision = limits.admit({"characters": 51}, 0.0)
    assert not decision.admitted and decision.retry_after_s == 60.0
