"""Holding the engine from a face (the TUI, the web dashboard): start a supervisor on the data
directory, or attach as a monitor when another process's supervisor already holds it, and
stop it again leaving unfinished work queued."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scribe_tui.config import Settings
from scribe_tui.errors import AlreadyRunning

if TYPE_CHECKING:
    from scribe_tui.engine.monitor import Monitor
    from scribe_tui.engine.supervisor import Supervisor


def open_engine(settings: Settings, *, read_cache: bool = True,
                max_cost_usd: float | None = None) -> Supervisor | Monitor:
    """A started Supervisor, or a Monitor when another supervisor holds the data directory."""
    from scribe_tui.engine.monitor import Monitor
    from scribe_tui.engine.supervisor import Supervisor

    supervisor = Supervisor(settings, read_cache=read_cache, max_cost_usd=max_cost_usd)
    try:
        supervisor.start()
    except AlreadyRunning:
        supervisor.close()  # its store connection; it never started
        return Monitor(settings)
    return supervisor


def close_engine(engine: Supervisor | Monitor, settings: Settings) -> None:
    """Stop a supervisor started here (in-flight chunks finish briefly, the rest stays
    queued), then close this thread's store connection."""
    stop = getattr(engine, "stop", None)
    if callable(stop):
        stop(grace_s=settings.engine.shutdown_grace_s)
    engine.close()
