"""The token estimate every layer shares: chunk budgets, rate-limit weights, dry-run figures.

``estimate_tokens`` is deliberately simple and deterministic (no tokenizer download, the
same answer in every process). It weighs characters by script, in quarter tokens:

* Latin script, digits, punctuation and whitespace (below U+0250): 1/4 token a character,
  the usual "four characters a token" of English text;
* CJK ideographs, kana and Hangul: 1 token a character (each is roughly one token or more);
* everything else (Hebrew, Arabic, Cyrillic, Greek, Devanagari, symbols, emoji, ...):
  1/2 token a character.

The estimate is ``ceil(quarters / 4)``, at least 1 for non-empty text and 0 for "".
Because weights add up, the estimate of joined texts can be computed from their parts
(``quarter_tokens``), which the chunker relies on.
"""

from __future__ import annotations

import re

LATIN_LIMIT = 0x0250  # end of Latin Extended-B

_CJK_RANGES = (
    (0x2E80, 0x9FFF),  # CJK radicals, kana, bopomofo, CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # half/full-width forms
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


def char_quarters(char: str) -> int:
    """The weight of one character in quarter tokens (1, 2 or 4)."""
    code = ord(char)
    if code < LATIN_LIMIT:
        return 1
    for low, high in _CJK_RANGES:
        if low <= code <= high:
            return 4
    return 2


_BEYOND_LATIN = re.compile("[^\u0000-\u024f]")
_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]")


def quarter_tokens(text: str) -> int:
    """The summed weight of ``text`` in quarter tokens (counted by two passes in C: a
    character per character in Python cost seconds on a megabyte of non-Latin text)."""
    if text.isascii():
        return len(text)
    beyond_latin = _BEYOND_LATIN.subn("", text)[1]
    cjk = _CJK.subn("", text)[1] if beyond_latin else 0
    return len(text) + beyond_latin + 2 * cjk


def tokens_from_quarters(quarters: int) -> int:
    """Round a quarter-token weight up to whole tokens (at least 1 when non-zero)."""
    return (quarters + 3) // 4


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text``: 0 for "", else at least 1 (see module docstring)."""
    return tokens_from_quarters(quarter_tokens(text))
