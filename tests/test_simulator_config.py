"""SimulatorConfig: validation, runtime changes in JSON form, and the CLI's shorthand."""

from __future__ import annotations

import pytest

from scribe_tui.limit_spec import parse_limit
from scribe_tui.simulator import SimulatorConfig


def test_probabilities_are_checked() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        SimulatorConfig(drop=1.5)
    with pytest.raises(ValueError, match="add up to 1.2"):
        SimulatorConfig(http_500=0.6, http_503=0.6)


def test_changes_accept_limit_strings_and_reject_unknown_keys() -> None:
    config = SimulatorConfig().with_changes({"limits": ["60/minute", "1000 characters/month"], "http_503": 1.0})
    assert config.limits == (parse_limit("60/minute"), parse_limit("1000 characters/month"))
    assert config.http_503 == 1.0
    assert SimulatorConfig().with_changes({"limits": "5/second"}).limits == (parse_limit("5/second"),)
    with pytest.raises(ValueError, match="unknown simulator setting"):
        SimulatorConfig().with_changes({"latency": 5})


def test_json_form_hides_the_key() -> None:
    data = SimulatorConfig(api_key="secret", limits=("10/minute",)).to_json()
    assert data["api_key"] == "<set>" and data["limits"] == ["10/minute"]


def test_cli_shorthand_spreads_the_fail_rate() -> None:
    config = SimulatorConfig.from_options(rpm=120, latency_ms=250, fail_rate=0.2, seed=4)
    assert config.limits == (parse_limit("120/minute"),)
    assert (config.latency_ms, config.jitter_ms, config.seed) == (250, 50, 4)
    assert config.faults() == {"drop": 0.05, "http_500": 0.05, "http_503": 0.05, "malformed": 0.05,
                               "quota": 0.0, "slow": 0.0}
    with pytest.raises(ValueError):
        SimulatorConfig.from_options(fail_rate=2.0)


def test_overload_modes_are_validated() -> None:
    import pytest

    from scribe_tui.simulator import SimulatorConfig

    for bad in ({"max_in_flight": 0}, {"max_connections": 0}, {"arrival_delay_ms": -1}, {"reply_token_factor": 0}):
        with pytest.raises(ValueError):
            SimulatorConfig(**bad)
    assert SimulatorConfig().with_changes({"max_in_flight": 6, "arrival_delay_ms": 1000}).max_in_flight == 6


def test_a_mangle_is_one_of_the_known_kinds() -> None:
    from scribe_tui.simulator.mangle import MANGLES, mangle_text

    assert SimulatorConfig(mangle="drop_line").with_changes({"mangle": "add_fence"}).mangle == "add_fence"
    with pytest.raises(ValueError, match="mangle must be one of"):
        SimulatorConfig(mangle="shred")
    assert {kind: mangle_text(kind, "a ⟦1⟧\n\nb\nc") for kind in MANGLES} == {
        "drop_line": "a ⟦1⟧\n\nb", "merge_blocks": "a ⟦1⟧\nb\nc", "add_fence": "```\na ⟦1⟧\n\nb\nc",
        "add_timing": "a ⟦1⟧\n00:00:01.000 --> 00:00:02.000\n\nb\nc", "drop_placeholder": "a \n\nb\nc",
        "drop_pack_marker": "a ⟦1⟧\n\nb\nc"}  # no marker line to drop
