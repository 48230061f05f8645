"""How numbers, durations and ages look in the TUI: small pure functions, no Textual."""

from __future__ import annotations

from datetime import UTC, datetime


def duration(seconds: float | None) -> str:
    """``42s``, ``3m05s``, ``2h07m``, ``3d04h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def elapsed(started_at: float | None, completed_at: float | None, now: float) -> str:
    """Time a job has run (or ran): ``-`` if it has not started."""
    if not started_at:
        return "-"
    end = completed_at if completed_at else now
    return duration(end - started_at)


def relative(moment: float | None, now: float) -> str:
    """``in 12s`` for the future, ``5s ago`` for the past, ``-`` when unknown."""
    if moment is None:
        return "-"
    delta = moment - now
    if delta >= 0.5:
        return f"in {duration(delta)}"
    if delta > -0.5:
        return "now"
    return f"{duration(-delta)} ago"


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


def one_line(text: str | None, width: int) -> str:
    """The first line of ``text`` cut to ``width`` cells with an ellipsis."""
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"
