"""Riding out a job store that cannot be reached (a PostgreSQL server restarting, a network
cut between this machine and the database).

While it lasts the runner dispatches nothing new, keeps taking its workers' results (the
replies are also in this machine's cache) and records them once the store answers again.
If it lasts longer than the leases (after which other machines may take the work), the run
stops with one line saying why; nothing acknowledged is lost, and replies already paid for
come from the cache on the next run.
"""

from __future__ import annotations

import time

import structlog

from scribe_tui.store import StoreUnavailable

log = structlog.get_logger("scribe_tui.supervisor")


class StoreOutage:
    def __init__(self, limit_s: float):
        self.limit_s = limit_s
        self.since: float | None = None
        self.last_error: StoreUnavailable | None = None

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, error: StoreUnavailable, *, held: int) -> str | None:
        """Note a failed store call; the warning to show when the outage just began, else None.
        Raises StoreUnavailable (one line, the reason) once it has lasted past ``limit_s``."""
        now = time.monotonic()
        self.last_error = error
        if self.since is None:
            self.since = now
            log.warning("job store unreachable; finishing the chunks held, recording them on reconnect",
                        error=str(error), held=held, give_up_after_s=self.limit_s)
            return (f"job store unreachable ({error}); finishing the {held} chunk(s) held and recording them "
                    f"when it answers again (giving up after {self.limit_s:.0f} s)")
        if now - self.since > self.limit_s:
            raise StoreUnavailable(
                f"the job store was unreachable for {now - self.since:.0f} s, longer than the leases: {error} "
                "(replies already received are cached and will not be paid for again)") from None
        return None

    def recovered(self) -> float | None:
        """The store answered again: how long the outage lasted (None if there was none)."""
        if self.since is None:
            return None
        lasted, self.since = time.monotonic() - self.since, None
        log.info("job store reachable again", outage_s=round(lasted, 1))
        return lasted
