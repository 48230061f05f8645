"""Limits → bucket rate lists: coarse units that never under-count, and rate lists that
pyrate-limiter accepts without loosening any configured limit."""

from __future__ import annotations

from math import ceil

from hypothesis import given, settings
from hypothesis import strategies as st
from pyrate_limiter import Rate
from pyrate_limiter.utils import validate_rate_list

from scribe_tui.limit_spec import parse_limit
from scribe_tui.limits.rates import normalise_rates, plan_kind, unit_for


def _implied(span: int, amount: int, out: list[tuple[int, int]]) -> bool:
    """Does the output list guarantee at most ``amount`` in every window of ``span``?"""
    for o_span, o_amount in out:
        if o_span >= span and o_amount <= amount:  # the window fits inside a stricter, longer one
            return True
        if o_span <= span and ceil(span / o_span) * o_amount <= amount:  # covered by shorter windows
            return True
    return False


pairs = st.lists(st.tuples(st.integers(1, 200_000), st.integers(1, 5_000)), min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(pairs)
def test_normalised_rates_are_valid_for_a_bucket_and_never_looser(raw: list[tuple[int, int]]) -> None:
    out = normalise_rates(raw)
    assert out
    assert validate_rate_list([Rate(amount, span) for span, amount in out])
    for span, amount in raw:
        assert _implied(span, amount, out), (span, amount, out)


def test_known_shapes() -> None:
    # valid already: unchanged
    assert normalise_rates([(60_000, 500), (86_400_000, 10_000)]) == [(60_000, 500), (86_400_000, 10_000)]
    # 60/10s implies at most 360/minute: the minute rate is tightened to that, not dropped
    assert normalise_rates([(10_000, 60), (60_000, 500)]) == [(10_000, 60), (60_000, 360)]
    # a longer window with a smaller amount makes the shorter one redundant
    assert normalise_rates([(1_000, 10), (60_000, 5)]) == [(60_000, 5)]
    # equal spans keep the smaller amount
    assert normalise_rates([(1_000, 10), (1_000, 4)]) == [(1_000, 4)]


def test_units_are_coarse_only_when_limits_are_large() -> None:
    assert unit_for("requests", [10**9]) == 1
    assert unit_for("tokens", [150_000]) == 100
    assert unit_for("tokens", [5_000]) == 10
    assert unit_for("characters", [500]) == 1
    assert unit_for("tokens", [150_000, 2_000]) == 10  # the smallest limit decides


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2_000_000), st.lists(st.integers(0, 50_000), min_size=1, max_size=40))
def test_rounding_never_under_counts(amount: int, sizes: list[int]) -> None:
    """Whatever requests a bucket admits in units, their true total stays within the limit."""
    plan = plan_kind("tokens", [parse_limit(f"{amount} tokens/minute")])
    assert plan is not None
    capacity = plan.rates[0][1]
    used_units = used_true = 0
    for size in sizes:
        weight = plan.weight(size)
        assert weight * plan.unit >= size
        if used_units + weight <= capacity:
            used_units += weight
            used_true += size
    assert used_true <= amount


def test_plan_divides_between_processes_and_keeps_at_least_one() -> None:
    limits = [parse_limit("8/minute"), parse_limit("3/day")]
    plan = plan_kind("requests", limits, divisor=4)
    assert plan is not None
    assert plan.rates == ((60_000, 2),)
    assert [limit.amount for limit in plan.limits] == [2] and [limit.amount for limit in plan.quotas] == [1]
    assert plan_kind("tokens", limits) is None


def test_windows_are_not_widened_and_long_spans_are_quotas() -> None:
    plan = plan_kind("requests", [parse_limit("15/1s"), parse_limit("100/day"), parse_limit("90/day")])
    assert plan is not None and plan.rates == ((1_000, 15),)  # held until the reply instead (holds.py)
    assert [str(limit) for limit in plan.quotas] == ["90/day"]  # one counter per period: the strictest
    short = plan_kind("requests", [parse_limit("3/20s")], quota_from_s=20)
    assert short is not None and short.rates == () and [str(q) for q in short.quotas] == ["3/20s"]


def test_table_names_carry_the_unit() -> None:
    plan = plan_kind("tokens", [parse_limit("150000 tokens/minute")])
    assert plan is not None and plan.table == "tokens_u100" and plan.weight(1) == 1 and plan.weight(101) == 2
    requests = plan_kind("requests", [parse_limit("5/s")])
    assert requests is not None and requests.table == "requests_u1" and requests.weight(12345) == 1
