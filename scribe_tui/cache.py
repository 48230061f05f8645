"""The translation cache: finished translations on disk (diskcache), shared by every process.

A key is the sha256 of everything that decides a translation: who answers (provider kind,
model and endpoint — the base URL, so a simulator's or a local model's output behind an
``openai``-kind provider is never served to a run against the real API), target language,
prompt version, context, text, and the source language and glossary when set.
A value is stored as a JSON string of plain fields, never a pickled class, so entries survive
code changes; an entry that cannot be read is dropped and counts as a miss. A broken cache
never fails a translation: errors are logged and treated as misses.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import diskcache
import structlog

from scribe_tui import paths
from scribe_tui.providers.base import Usage

log = structlog.get_logger(__name__)

KEY_VERSION = 2  # bump when the key's encoding changes (2: the endpoint joined the key)
_RECORD_VERSION = 1


@dataclass(frozen=True)
class CachedTranslation:
    """A translation and what it cost when it was first made (so summaries can show what the
    cache saved)."""

    text: str
    usage: Usage = field(default_factory=Usage)
    provider: str = ""
    model: str = ""
    created_at: float = field(default_factory=time.time)

    def to_record(self) -> dict[str, Any]:
        return {
            "v": _RECORD_VERSION, "text": self.text, "provider": self.provider, "model": self.model,
            "created_at": self.created_at, "tokens_in": self.usage.tokens_in, "tokens_out": self.usage.tokens_out,
            "characters": self.usage.characters, "cost_usd": self.usage.cost_usd,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CachedTranslation:
        usage = Usage(tokens_in=int(record.get("tokens_in", 0)), tokens_out=int(record.get("tokens_out", 0)),
                      characters=int(record.get("characters", 0)), cost_usd=float(record.get("cost_usd", 0.0)))
        text = record["text"]
        if not isinstance(text, str):
            raise TypeError("cached text is not a string")
        return cls(text=text, usage=usage, provider=str(record.get("provider", "")), model=str(record.get("model", "")),
                   created_at=float(record.get("created_at", 0.0)))


def cache_key(kind: str, model: str, target_language: str, prompt_version: str, context: str, text: str, *,
              source_language: str = "auto", glossary: Mapping[str, str] | None = None, endpoint: str = "") -> str:
    """sha256 hex of a canonical JSON encoding of every field (so no two field lists collide)."""
    canonical = json.dumps(
        [KEY_VERSION, kind, model, endpoint, target_language, prompt_version, source_language,
         sorted((glossary or {}).items()), context, text],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    """This process's counts (not shared)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    errors: int = 0


class TranslationCache:
    def __init__(self, directory: Path | None = None, size_limit_mb: int = 1024):
        if directory is None:
            from scribe_tui.config import CacheConfig

            directory = CacheConfig().resolved_dir()
        self.directory = paths.ensure_private_dir(Path(directory))
        self._cache = diskcache.Cache(str(self.directory), size_limit=size_limit_mb * 1024 * 1024)
        _make_private(self.directory)
        self.stats = CacheStats()

    def get(self, key: str) -> CachedTranslation | None:
        try:
            raw = self._cache.get(key)
        except (sqlite3.Error, OSError) as exc:
            self._error("read", exc)
            return self._miss()
        if raw is None:
            return self._miss()
        try:
            value = CachedTranslation.from_record(json.loads(raw))
        except (TypeError, ValueError, KeyError) as exc:
            self._error("decode", exc)
            self.delete(key)
            return self._miss()
        self.stats.hits += 1
        return value

    def set(self, key: str, value: CachedTranslation) -> bool:
        try:
            self._cache.set(key, json.dumps(value.to_record(), ensure_ascii=False))
        except (sqlite3.Error, OSError) as exc:
            self._error("write", exc)
            return False
        self.stats.writes += 1
        return True

    def delete(self, key: str) -> None:
        try:
            self._cache.delete(key)
        except (sqlite3.Error, OSError) as exc:
            self._error("delete", exc)

    def __len__(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        self._cache.close()

    def _miss(self) -> None:
        self.stats.misses += 1
        return None

    def _error(self, operation: str, exc: BaseException) -> None:
        self.stats.errors += 1
        log.warning("translation cache error", operation=operation, error=f"{type(exc).__name__}: {exc}",
                    directory=str(self.directory))


def _make_private(directory: Path) -> None:
    for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
        path = directory / name
        if path.exists():
            os.chmod(path, 0o600)
