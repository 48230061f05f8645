"""How numbers, ages and times look in the TUI: small pure functions, no Textual. Spans of
time read as ``scribe_tui.durations`` writes them, as in every other front end."""

from __future__ import annotations

from datetime import UTC, datetime

from scribe_tui.durations import human_duration


def elapsed(started_at: float | None, completed_at: float | None, now: float) -> str:
    """Time a job has run (or ran): ``-`` if it has not started."""
    if not started_at:
        return "-"
    end = completed_at if completed_at else now
    return human_duration(end - started_at)


def relative(moment: float | None, now: float) -> str:
    """``in 12s`` for the future, ``5s ago`` for the past, ``-`` when unknown."""
    if moment is None:
        return "-"
    delta = moment - now
    if delta >= 0.5:
        return f"in {human_duration(delta)}"
    if delta > -0.5:
        return "now"
    return f"{human_duration(-delta)} ago"


def clock_time(moment: float | None) -> str:
    """``14:03:07`` (UTC) for timestamps shown in tables; ``-`` when unknown."""
    if moment is None:
        return "-"
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%H:%M:%S")


def count(value: float) -> str:
    """``950``, ``12.3k``, ``4.1M``."""
    value = float(value)
    if abs(value) < 1000:
        return f"{value:.0f}"
    if abs(value) < 1_000_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1_000_000:.1f}M"


def usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def millis(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value / 1000:.1f}s"
    return f"{value:.0f}ms"


LINE_MAX = 500
"""Free text in a table cell is kept to this; the column's width cuts it with an ellipsis."""


def job_tries(chunks_done: int, failed_attempts: int) -> int:
    """Requests a job's chunks took: one per translated chunk, plus every failed attempt (the
    store counts only failures, so a job done on the first try of each chunk read 0)."""
    return chunks_done + failed_attempts


def one_line(text: str | None, width: int = LINE_MAX) -> str:
    """The first line of ``text`` cut to ``width`` cells with an ellipsis."""
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"
