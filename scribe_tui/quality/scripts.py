"""Which writing system a text is in, and which one a target language is written in.

A letter's script is the first word of its Unicode name (``HEBREW LETTER ALEF`` → Hebrew);
Japanese counts kana and Han as its own, Chinese Han, Korean Hangul (and Han). Languages not
listed here are written in Latin letters.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from scribe_tui.languages import normalise

_SCRIPTS: dict[str, frozenset[str]] = {
    "he": frozenset({"HEBREW"}), "yi": frozenset({"HEBREW"}),
    "ar": frozenset({"ARABIC"}), "fa": frozenset({"ARABIC"}), "ur": frozenset({"ARABIC"}),
    "ru": frozenset({"CYRILLIC"}), "uk": frozenset({"CYRILLIC"}), "bg": frozenset({"CYRILLIC"}),
    "sr": frozenset({"CYRILLIC", "LATIN"}), "el": frozenset({"GREEK"}),
    "ja": frozenset({"HIRAGANA", "KATAKANA", "CJK"}), "zh": frozenset({"CJK"}),
    "ko": frozenset({"HANGUL", "CJK"}), "hi": frozenset({"DEVANAGARI"}), "bn": frozenset({"BENGALI"}),
    "ta": frozenset({"TAMIL"}), "th": frozenset({"THAI"}),
}
_LATIN = frozenset({"LATIN"})
_NAMES = {"CJK": "Han", "HANGUL": "Hangul"}
COMPACT_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL"})  # a few letters say a lot


def expected_scripts(language: str) -> frozenset[str]:
    """The scripts ``language`` is written in (``LATIN`` unless listed)."""
    return _SCRIPTS.get(normalise(language).split("-")[0], _LATIN)


def script_of(char: str) -> str | None:
    """The script of one letter (``LATIN``, ``HEBREW``, ``CJK``…), None for anything else."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def script_counts(text: str) -> Counter[str]:
    return Counter(script for script in map(script_of, text) if script)


def script_name(script: str) -> str:
    return _NAMES.get(script, script.title())


def describe(scripts: frozenset[str]) -> str:
    return " or ".join(sorted(script_name(script) for script in scripts))
