"""``scribe-tui store migrate --to postgresql://…``: move this data directory's SQLite queue into
a PostgreSQL store that several machines share (see ``store.migrate``). Safe to run again: it
copies only what the target lacks. Refused while a supervisor runs on the data directory."""

from __future__ import annotations

import argparse
import sys

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import print_json
from scribe_tui.errors import EXIT_OK, AlreadyRunning, UsageError


def register(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = sub.add_parser("migrate", help="copy the data dir's SQLite queue into a PostgreSQL store (idempotent)")
    migrate.add_argument("--to", required=True, metavar="URL", dest="target",
                         help="the PostgreSQL store: postgresql://user@host/db")
    add_common_options(migrate, store=False)


def run(args: argparse.Namespace) -> int:
    from scribe_tui.engine.lockfile import is_locked
    from scribe_tui.store import describe, is_postgres, open_store
    from scribe_tui.store.migrate import migrate_sqlite_to_postgres
    from scribe_tui.store.sqlite import DB_FILE_NAME, JobStore

    if not is_postgres(args.target):
        raise UsageError("store migrate --to: must be a postgresql://… URL")
    with command_context(args) as ctx:
        source_path = ctx.data_dir / DB_FILE_NAME
        if not source_path.exists():
            raise UsageError(f"no SQLite queue to migrate: {source_path} does not exist")
        if is_locked(ctx.data_dir):
            raise AlreadyRunning(f"a supervisor is running on {ctx.data_dir}; stop it before migrating its queue")
        target_name = describe(args.target, ctx.data_dir)
        with JobStore(source_path) as source, open_store(args.target, ctx.data_dir) as target:
            def progress(done: int, total: int) -> None:
                if not ctx.json and (done == total or done % 100 == 0):
                    print(f"migrating: {done}/{total} documents", file=sys.stderr)

            report = migrate_sqlite_to_postgres(source, target, progress)  # type: ignore[arg-type]
        result = {"from": str(source_path), "to": target_name, **report.as_dict()}
        if ctx.json:
            print_json(result)
        else:
            print(f"migrated {report.documents} documents, {report.jobs} jobs and {report.tasks} chunks "
                  f"from {source_path} to {target_name}"
                  + (f" ({report.documents_present} documents and {report.jobs_present} jobs were already there)"
                     if report.documents_present or report.jobs_present else ""))
            print(f"use it with: --store {target_name}  (or store_url in the config, or SCRIBE_STORE_URL)")
    return EXIT_OK
