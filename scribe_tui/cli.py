"""The command line: parses arguments, loads settings, dispatches to a front end or an
operator command, and turns every ScribeError into one line and the contract's exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scribe_tui import __version__
from scribe_tui.arguments import Command, add_common_options, add_run_options, parser
from scribe_tui.errors import EXIT_INTERRUPTED, EXIT_USAGE, ScribeError, UsageError

DESCRIPTION = """\
Translate collections of documents (txt, md, srt, vtt, ass/ssa, json transcripts, html, docx,
epub, po) into one or more languages through OpenAI-compatible endpoints, DeepL or Microsoft
Translator — unattended.
Jobs are durable (SQLite), every provider is kept under its rate limits across all worker
processes, failures are retried and cached translations are never paid for twice.

  scribe-tui [PATH ...] --to he,de        the interactive TUI (PATHs are enqueued first)
  scribe-tui --batch PATH ... --to he     headless: run until the queue drains, then exit
  scribe-tui translate PATH ... --to he   same as --batch; with --async only enqueue
  scribe-tui jobs list|retry|cancel       manage the queue
  scribe-tui status | progress | metrics | health | simulate
  scribe-tui store migrate --to URL       move this machine's queue to a shared PostgreSQL store
  scribe-tui serve [--host H] [--port P]  the web dashboard and JSON API
  scribe-tui gc [--older-than DAYS] [--dry-run]   purge finished jobs past retention
  scribe-tui qa [JOB_ID|PATH] [--json]    quality findings of finished jobs

Exit codes: 0 all jobs completed, 1 some failed or dead-lettered, 2 usage or configuration
error, 130 interrupted (work is kept and resumes on the next run).
"""


def _commands() -> dict[str, Command]:
    """Subcommands, imported lazily so `scribe-tui --help` stays fast."""
    from scribe_tui import batch
    from scribe_tui.commands import registry as operator_commands
    from scribe_tui.web import command as web

    commands = {"translate": Command("translate", "enqueue documents and run them (or only enqueue with --async)",
                                     batch.register_translate, batch.run_translate)}
    commands.update(operator_commands.commands())
    commands["serve"] = Command("serve", "the web dashboard and JSON API (viewer and operator tokens from the environment)",
                                web.register, web.run)
    return commands


SUBCOMMAND_NAMES = (
    "translate", "jobs", "status", "progress", "metrics", "health", "gc", "qa", "simulate", "serve", "store",
)


def main_parser() -> argparse.ArgumentParser:
    p = parser(prog="scribe-tui", description=DESCRIPTION,
               epilog="Commands (each has --help): " + ", ".join(SUBCOMMAND_NAMES))
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories to translate")
    p.add_argument("--batch", action="store_true", help="run headless: enqueue, run until the queue drains, print a summary, exit")
    p.add_argument("--dry-run", action="store_true", help="with --batch: report documents, chunks, estimated tokens, cost and time, then exit")
    p.add_argument("--max-cost", type=float, metavar="USD", help="cap this run's spend at USD (each chunk's estimated cost is reserved before it is sent); the rest stays queued")
    add_run_options(p)
    add_common_options(p, json_help="with --batch: print the summary as one JSON object on stdout")
    p.add_argument("--version", action="version", version=f"scribe-tui {__version__}")
    return p


def _run_main(argv: Sequence[str]) -> int:
    args = main_parser().parse_args(argv)
    if args.batch:
        from scribe_tui import batch

        return batch.run_batch(args)
    if args.dry_run or args.max_cost is not None and not args.batch:
        if args.dry_run:
            raise UsageError("--dry-run goes with --batch (or translate)")
    from scribe_tui.tui import launch

    return launch.run_tui(args)


def _run_subcommand(name: str, argv: Sequence[str]) -> int:
    command = _commands()[name]
    p = parser(prog=f"scribe-tui {name}", description=command.help)
    command.register(p)
    args = p.parse_args(argv)
    return command.run(args)


def _warm_up_workers(argv: Sequence[str]) -> None:
    """A command that runs workers (--batch, translate, the TUI) starts their fork server
    first, before this process loads anything else: the two start up side by side."""
    if {"-h", "--help", "--version", "--dry-run", "--async"} & set(argv):
        return
    if argv and argv[0] in SUBCOMMAND_NAMES and argv[0] != "translate":
        return
    from scribe_tui.engine.warm_start import warm_up

    warm_up()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _warm_up_workers(argv)
    try:
        if argv and argv[0] in SUBCOMMAND_NAMES:
            return _run_subcommand(argv[0], argv[1:])
        return _run_main(argv)
    except ScribeError as exc:
        print(f"scribe-tui: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("scribe-tui: interrupted; unfinished work stays queued and resumes on the next run", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_USAGE
