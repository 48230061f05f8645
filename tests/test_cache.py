"""The translation cache: keys, round trips, sharing, corrupt entries, private files."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from scribe_tui.cache import CachedTranslation, TranslationCache, cache_key
from scribe_tui.providers.base import Usage

BASE = {"kind": "openai", "model": "gpt-4o-mini", "target_language": "he", "prompt_version": "1",
        "context": "previous tail", "text": "Hello there."}


def _key(**changes: str) -> str:
    fields = {**BASE, **changes}
    return cache_key(fields["kind"], fields["model"], fields["target_language"], fields["prompt_version"],
                     fields["context"], fields["text"])


def test_key_is_a_stable_sha256_hex() -> None:
    key = _key()
    assert key == _key() and len(key) == 64 and int(key, 16) >= 0


@pytest.mark.parametrize("field", sorted(BASE))
def test_every_field_changes_the_key(field: str) -> None:
    assert _key(**{field: BASE[field] + "x"}) != _key()


def test_source_language_and_glossary_change_the_key_and_glossary_order_does_not() -> None:
    plain = _key()
    args = [BASE[f] for f in ("kind", "model", "target_language", "prompt_version", "context", "text")]
    assert cache_key(*args, source_language="auto", glossary={}) == plain
    assert cache_key(*args, source_language="en") != plain
    one = cache_key(*args, glossary={"a": "1", "b": "2"})
    assert one != plain and one == cache_key(*args, glossary={"b": "2", "a": "1"})


def test_fields_cannot_bleed_into_each_other() -> None:
    assert _key(context="ab", text="c") != _key(context="a", text="bc")
    assert _key(model="m|he", target_language="x") != _key(model="m", target_language="he|x")


def test_round_trip_keeps_text_and_original_usage(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "c", 10)
    value = CachedTranslation(text="שלום\n\nעולם", usage=Usage(120, 80, 30, 0.0042), provider="openai", model="m")
    assert cache.get("k") is None
    assert cache.set("k", value)
    assert cache.get("k") == value
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 1, 1)
    cache.close()


def test_values_are_stored_as_plain_json_not_pickles(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "c", 10)
    cache.set("k", CachedTranslation(text="hola", usage=Usage(1, 2, 3, 0.5)))
    cache.close()
    conn = sqlite3.connect(tmp_path / "c" / "cache.db")
    (raw,) = conn.execute("SELECT value FROM Cache").fetchone()
    conn.close()
    record = json.loads(raw)
    assert record["text"] == "hola" and record["tokens_out"] == 2 and record["cost_usd"] == 0.5


def test_shared_between_two_handles_and_survives_reopening(tmp_path: Path) -> None:
    writer, reader = TranslationCache(tmp_path / "c", 10), TranslationCache(tmp_path / "c", 10)
    writer.set("k", CachedTranslation(text="bonjour"))
    hit = reader.get("k")
    assert hit is not None and hit.text == "bonjour"
    writer.close()
    reader.close()
    again = TranslationCache(tmp_path / "c", 10)
    assert again.get("k") is not None
    again.close()


def test_an_unreadable_entry_is_a_miss_and_is_dropped(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "c", 10)
    cache._cache.set("bad", "{not json")
    cache._cache.set("wrong", json.dumps({"text": 42}))
    assert cache.get("bad") is None and cache.get("wrong") is None
    assert cache.stats.errors == 2 and len(cache) == 0
    cache.close()


def test_cache_files_are_private(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "c", 10)
    cache.set("k", CachedTranslation(text="x"))
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "c" / "cache.db").stat().st_mode) == 0o600
    cache.close()


def test_default_directory_comes_from_the_settings(tmp_path: Path) -> None:
    cache = TranslationCache(size_limit_mb=1)  # conftest points platformdirs at a temp dir
    try:
        assert cache.directory.name == "scribe-tui" and tmp_path.parent in cache.directory.parents
    finally:
        cache.close()


def test_the_endpoint_changes_the_key() -> None:
    args = [BASE[f] for f in ("kind", "model", "target_language", "prompt_version", "context", "text")]
    local = cache_key(*args, endpoint="http://localhost:11434/v1")
    assert local != cache_key(*args, endpoint="https://api.openai.com/v1") and local != _key()
