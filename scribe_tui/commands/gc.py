"""``scribe-tui gc``: purge what finished jobs leave in the store — their translations, the
source copies no other job needs, and old metrics — never unfinished work.

``--older-than DAYS`` (default ``[retention] days``, 30) decides which finished jobs go:
those finished more than DAYS ago (``0``: every finished job). ``--dry-run`` says what would
go and changes nothing. Safe while a supervisor runs: queued and processing jobs, their
documents and metrics are never touched. Output files on disk are never deleted. The same
purge runs by itself when a supervisor starts, with ``[retention] days`` (0 turns it off).
"""

from __future__ import annotations

import argparse
import time

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import print_json
from scribe_tui.engine.retention import DAY_S
from scribe_tui.errors import EXIT_OK, UsageError
from scribe_tui.store import PurgeReport


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--older-than", type=float, metavar="DAYS",
                   help="purge jobs that finished more than DAYS ago (default: [retention] days; 0: all finished)")
    p.add_argument("--dry-run", action="store_true", help="say what would be purged; change nothing")
    add_common_options(p, json_help="print what was (or would be) purged as one JSON object")


def run(args: argparse.Namespace) -> int:
    if args.older_than is not None and args.older_than < 0:
        raise UsageError("gc: --older-than takes a number of days, 0 or more")
    with command_context(args) as ctx:
        days = ctx.settings.retention.days if args.older_than is None else args.older_than
        if args.older_than is None and days == 0:
            print("retention is off ([retention] days = 0): nothing purged; give --older-than DAYS to purge now")
            return EXIT_OK
        report = ctx.store.purge_finished(time.time() - days * DAY_S, dry_run=args.dry_run)
        if ctx.json:
            print_json({**report.as_dict(), "older_than_days": days})
        else:
            print(describe(report, days))
    return EXIT_OK


def describe(report: PurgeReport, days: float) -> str:
    verb = "would purge" if report.dry_run else "purged"
    age = f"that finished more than {days:g} day(s) ago" if days else "that finished"
    return (f"{verb} {report.jobs} job(s) {age}: {report.translations} translation(s), "
            f"{report.documents} source document(s) ({_size(report.source_bytes)}), {report.metrics} metric row(s); "
            f"queued and running work untouched, output files kept")


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"
