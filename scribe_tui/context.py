"""What every command needs once its arguments are parsed: the settings (file < env <
flags), the data directory, and the job store the settings name (the SQLite file in the
data directory, or the PostgreSQL database of ``store_url``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from scribe_tui.config import Settings, load_settings

if TYPE_CHECKING:
    from scribe_tui.store import JobStoreAPI


def _flag_overrides(args: argparse.Namespace) -> dict:
    overrides = {}
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "output_dir", None) is not None:
        overrides["output_dir"] = args.output_dir
    if getattr(args, "workers", None) is not None:
        overrides["workers"] = args.workers
    if getattr(args, "provider", None) is not None:
        overrides["default_provider"] = args.provider
    if getattr(args, "encoding", None) is not None:
        overrides["source_encoding"] = args.encoding
    if getattr(args, "glossary", None) is not None:
        overrides["glossary"] = {"file": args.glossary}
    if getattr(args, "metrics_port", None) is not None:
        overrides["metrics_port"] = args.metrics_port
    if getattr(args, "store_url", None) is not None:
        overrides["store_url"] = args.store_url
    return overrides


@dataclass
class CommandContext:
    settings: Settings
    json: bool = False
    verbose: int = 0

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CommandContext:
        settings = load_settings(getattr(args, "config", None), **_flag_overrides(args))
        return cls(settings=settings, json=bool(getattr(args, "json", False)), verbose=int(getattr(args, "verbose", 0) or 0))

    @property
    def data_dir(self) -> Path:
        return self.settings.resolved_data_dir()

    @cached_property
    def store(self) -> JobStoreAPI:
        from scribe_tui.paths import ensure_private_dir
        from scribe_tui.store import open_store

        ensure_private_dir(self.data_dir)
        return open_store(self.settings.store_url, self.data_dir)
