"""The simulator's deterministic, clearly marked pseudo-translation.

``pseudo_translate(text, lang)`` keeps the shape of the text exactly — the same number of
lines, blank (or whitespace-only) lines untouched, each line's leading and trailing
whitespace kept, a packed request's marker lines (``⟦§1⟧``) kept — and turns every other line into ``<indent>⟦lang⟧ <accented words><trail>``:
ASCII letters become accented look-alikes (one code point for one, so lengths and
positions hold), everything else is kept. ``reverse_pseudo`` undoes it for text that had
no accented look-alikes to begin with. The engine and the tests check outputs with these.

With a glossary (``{source term: target term}``), every occurrence of a source term (longest
first, case-sensitive) comes out as its target term, verbatim and unaccented, so a test can
see that a provider really received the terms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scribe_tui.prompt import is_pack_marker

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "áƀçđéƒĝĥíĵķĺɱñóƥʠŕšŧúṽŵẋýžÁƁÇĐÉƑĜĤÍĴĶĹṀÑÓƤǪŔŠŦÚṼŴẊÝŽ"
_FORWARD = str.maketrans(_PLAIN, _ACCENTED)
_BACKWARD = str.maketrans(_ACCENTED, _PLAIN)


def marker(lang: str) -> str:
    """The prefix put before every non-blank translated line, e.g. ``"⟦he⟧ "``."""
    return f"⟦{lang.strip().lower()}⟧ "


def _split_whitespace(line: str) -> tuple[str, str, str]:
    core = line.strip()
    start = len(line) - len(line.lstrip())
    return line[:start], core, line[start + len(core):]


def _translate_core(core: str, glossary: Mapping[str, str], pattern: re.Pattern[str] | None) -> str:
    if pattern is None:
        return core.translate(_FORWARD)
    pieces = pattern.split(core)  # odd positions are the matched source terms
    return "".join(glossary[piece] if index % 2 else piece.translate(_FORWARD) for index, piece in enumerate(pieces))


def _translate_line(line: str, prefix: str, glossary: Mapping[str, str] = {},
                    pattern: re.Pattern[str] | None = None) -> str:
    lead, core, trail = _split_whitespace(line)
    if not core or is_pack_marker(line):
        return line  # blank, or a packed request's marker line: kept as it is
    return f"{lead}{prefix}{_translate_core(core, glossary, pattern)}{trail}"


def _glossary_pattern(glossary: Mapping[str, str]) -> re.Pattern[str] | None:
    terms = sorted((term for term in glossary if term), key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(term) for term in terms) + ")") if terms else None


def pseudo_translate(text: str, lang: str, glossary: Mapping[str, str] | None = None) -> str:
    """The pseudo-translation of ``text`` into ``lang``, line for line (see module doc)."""
    prefix = marker(lang)
    terms = dict(glossary or {})
    pattern = _glossary_pattern(terms)
    return "\n".join(_translate_line(line, prefix, terms, pattern) for line in text.split("\n"))


def _reverse_line(line: str, prefix: str) -> str:
    lead, core, trail = _split_whitespace(line)
    if not core:
        return line
    if not core.startswith(prefix.rstrip()):
        raise ValueError("line is not a pseudo-translation: its marker is missing")
    core = core[len(prefix):] if core.startswith(prefix) else core[len(prefix.rstrip()):]
    return f"{lead}{core.translate(_BACKWARD)}{trail}"


def reverse_pseudo(text: str, lang: str) -> str:
    """Undo ``pseudo_translate``; raise ``ValueError`` when a non-blank line has no marker."""
    prefix = marker(lang)
    return "\n".join(_reverse_line(line, prefix) for line in text.split("\n"))
