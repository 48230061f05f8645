"""Argument definitions every front end shares: the parser that turns a usage mistake into
a UsageError, the option groups (common options, run options) and the ``Command`` record
a subcommand registers with. A leaf: the command line imports the front ends, and the front
ends import only this, never ``cli``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scribe_tui.errors import UsageError
from scribe_tui.store import PRIORITIES


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def parser(**kwargs: Any) -> argparse.ArgumentParser:
    return _Parser(formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def add_common_options(p: argparse.ArgumentParser, *, json_help: str = "machine-readable output on stdout",
                       store: bool = True) -> None:
    """Options every command takes: --config, --data-dir, --json, -v (and --store, unless
    the command never touches the queue)."""
    p.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (default: config.toml in the user config dir)")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="jobs database, rate-limit buckets, lock and logs (default: the user data dir)")
    if store:
        p.add_argument("--store", metavar="URL", dest="store_url",
                       help="postgresql://… to share one queue and its limits between machines "
                            "(default: store_url, else the SQLite file in the data dir)")
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("-v", "--verbose", action="count", default=0, help="human-readable logs on stderr (-vv for debug)")


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options of the commands that run work (TUI, --batch, translate)."""
    p.add_argument("--to", metavar="LANGS", help="target languages, comma-separated codes, e.g. he,de,en")
    p.add_argument("-o", "--output-dir", type=Path, metavar="DIR", help="where translations go: DIR/<lang>/<relative path> (default: ./translated)")
    p.add_argument("--provider", metavar="NAME", help="provider from the config (default: default_provider, 'demo' out of the box)")
    p.add_argument("--workers", metavar="N|auto", help="worker processes, or 'auto' to scale by queue depth and limits")
    p.add_argument("--priority", choices=sorted(PRIORITIES), default="normal", help="priority of the jobs enqueued now (added to the language priority)")
    p.add_argument("--encoding", metavar="NAME", help="encoding of sources that are neither UTF-8 nor BOM-marked, e.g. cp1252 (default: detect it)")
    p.add_argument("--glossary", type=Path, metavar="FILE", help="CSV/TSV of terms (columns source, language, target) every provider must honour")
    p.add_argument("--no-cache", action="store_true", help="do not read the translation cache (results are still written to it)")
    p.add_argument("--metrics-port", type=int, metavar="N", help="serve Prometheus metrics on 127.0.0.1:N/metrics while running")


@dataclass
class Command:
    """A subcommand: its name and help line, how it adds its arguments, and how it runs."""

    name: str
    help: str
    register: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
