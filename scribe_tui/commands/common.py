"""What each operator command does first: settings and store from the parsed arguments,
logging set up from them, and the rule for writing a result as JSON or as text."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from scribe_tui.context import CommandContext
from scribe_tui.logs import configure_logging


def open_context(args: argparse.Namespace) -> CommandContext:
    """Settings (file < env < flags) and logging to ``<data_dir>/logs``; ConfigError goes up."""
    ctx = CommandContext.from_args(args)
    setup_logging(ctx)
    return ctx


def setup_logging(ctx: CommandContext) -> None:
    """Log to the data directory; when it cannot be written, say so once and go on without
    a log file (the command itself reports what is wrong with the directory)."""
    log = ctx.settings.log
    try:
        configure_logging(ctx.data_dir, verbose=ctx.verbose, level=log.level, process_name="main",
                          max_bytes=log.max_bytes, backups=log.backups)
    except OSError as exc:
        print(f"scribe-tui: warning: cannot write the log file under {ctx.data_dir}: {exc.strerror or exc}", file=sys.stderr)


@contextmanager
def command_context(args: argparse.Namespace) -> Iterator[CommandContext]:
    """``open_context`` for the length of a command; the store is closed afterwards."""
    ctx = open_context(args)
    try:
        yield ctx
    finally:
        store = ctx.__dict__.get("store")  # only when the command opened it
        if store is not None:
            store.close()
