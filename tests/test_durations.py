"""One duration format for every front end (TUI, operator commands, webhooks): whole
seconds, days from 24 hours on."""

from __future__ import annotations

import pytest

from scribe_tui.durations import human_duration


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "-"),
    (-3, "0s"),
    (0, "0s"),
    (5, "5s"),
    (59.9, "59s"),  # a fraction is dropped, as on a stopwatch
    (60, "1m00s"),
    (65, "1m05s"),
    (3600, "1h00m"),
    (3 * 3600 + 7 * 60, "3h07m"),
    (24 * 3600 - 1, "23h59m"),
    (24 * 3600, "1d00h"),  # days from 24 hours on, not 48
    (30 * 3600, "1d06h"),
    (50 * 3600, "2d02h"),
])
def test_human_duration(seconds: float | None, text: str) -> None:
    assert human_duration(seconds) == text


def test_every_front_end_formats_a_duration_the_same_way() -> None:
    from scribe_tui.observability.webhooks import BatchSummary, batch_message
    from scribe_tui.tui import formatting

    now = 1_000_000.0
    assert formatting.elapsed(now - 30 * 3600, None, now) == "1d06h"
    assert formatting.relative(now + 30 * 3600, now) == "in 1d06h"
    summary = BatchSummary(completed=1, failed=0, cancelled=0, duration_s=30 * 3600, cost_usd=0.0)
    assert "in 1d06h," in batch_message(summary)
