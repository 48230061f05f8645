"""The retention policy a supervisor applies when it starts: finished jobs older than
``[retention] days`` are purged from the store (``JobStore.purge_finished``). Housekeeping
must never stop a run: a store error here is logged and the run goes on."""

from __future__ import annotations

import sqlite3
import time

import structlog

from scribe_tui.config import Settings
from scribe_tui.store import JobStore, PurgeReport, StoreError

log = structlog.get_logger("scribe_tui.retention")

DAY_S = 86_400.0


def purge_expired(store: JobStore, settings: Settings) -> PurgeReport | None:
    """Purge what the retention setting says has expired; None when retention is off or failed."""
    days = settings.retention.days
    if days <= 0:
        return None
    try:
        report = store.purge_finished(time.time() - days * DAY_S)
    except (StoreError, sqlite3.Error) as exc:
        log.warning("retention purge skipped", error=f"{type(exc).__name__}: {exc}")
        return None
    if report.jobs or report.metrics or report.documents:
        log.info("retention purge", older_than_days=days, **{k: v for k, v in report.as_dict().items() if k != "dry_run"})
    return report
