"""How a span of time reads to a person, in every front end: ``42s``, ``3m05s``, ``2h07m``,
``3d04h``. One rule everywhere: whole seconds (a fraction is dropped, as on a stopwatch), and
days from 24 hours on."""

from __future__ import annotations


def human_duration(seconds: float | None) -> str:
    """``42s``, ``3m05s``, ``2h07m``, ``3d04h``; ``-`` when unknown; negative reads as 0s."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
