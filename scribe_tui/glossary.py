"""The user's glossary: ``--glossary FILE`` or ``[glossary] file``, a CSV or TSV file with the
columns ``source, language, target`` (a header row naming them is optional and may order them
differently; ``#`` lines and blank lines are skipped). One file may hold several languages.

``Glossary.terms_in(text, language)`` is what one chunk needs: the entries for that target
language whose source term occurs in the text as a whole word (case-sensitive, longest term
first). Those terms travel in the ``TranslationRequest`` and so in the cache key: a changed
glossary is a different request. ``fingerprint`` names the file's content (DeepL glossaries
are re-created when it changes). Every problem is one ``ConfigError`` naming file and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from scribe_tui.errors import ConfigError
from scribe_tui.languages import LANGUAGES, normalise

COLUMNS = ("source", "language", "target")


@dataclass(frozen=True)
class Glossary:
    """``(source, language, target)`` entries, language codes normalised, in file order."""

    entries: tuple[tuple[str, str, str], ...] = ()
    path: str = ""
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, compare=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the entries: equal glossaries, equal fingerprints."""
        digest = hashlib.sha256("\n".join("\t".join(entry) for entry in sorted(self.entries)).encode())
        return digest.hexdigest()[:16]

    @property
    def languages(self) -> list[str]:
        return sorted({language for _, language, _ in self.entries})

    def terms(self, language: str) -> dict[str, str]:
        """Every ``source → target`` for ``language`` (a regional code falls back to its base)."""
        code = normalise(language)
        exact = {source: target for source, lang, target in self.entries if lang == code}
        if exact or "-" not in code:
            return exact
        base = code.split("-")[0]
        return {source: target for source, lang, target in self.entries if lang == base}

    def terms_in(self, text: str, language: str) -> dict[str, str]:
        """The entries for ``language`` whose source term occurs in ``text`` as a whole word."""
        terms = self.terms(language)
        pattern = self._pattern(language, terms)
        if pattern is None:
            return {}
        found = {match.group(0) for match in pattern.finditer(text)}
        return {source: target for source, target in sorted(terms.items()) if source in found}

    def _pattern(self, language: str, terms: dict[str, str]) -> re.Pattern[str] | None:
        key = normalise(language)
        if key not in self._patterns:
            self._patterns[key] = term_pattern(terms)
        return self._patterns[key]


def term_pattern(terms: dict[str, str] | list[str]) -> re.Pattern[str] | None:
    """A regex matching any of the terms as a whole word, longest first (None for no terms)."""
    ordered = sorted((term for term in terms if term), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in ordered))


def load_glossary(path: Path | str | None) -> Glossary:
    """The glossary in ``path`` (an empty one for None); ConfigError for anything wrong."""
    if path is None or str(path) == "":
        return Glossary()
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the glossary: {exc.strerror or exc}", source=str(file)) from None
    except UnicodeDecodeError:
        raise ConfigError("the glossary is not UTF-8 text", source=str(file)) from None
    return parse_glossary(text, str(file))


def parse_glossary(text: str, name: str = "glossary") -> Glossary:
    delimiter = "\t" if _is_tsv(text, name) else ","
    rows = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
            if row and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")]
    order = [0, 1, 2]
    if rows and _is_header(rows[0][1]):
        header = [cell.strip().lower() for cell in rows[0][1]]
        order = [header.index(column) for column in COLUMNS]
        rows = rows[1:]
    entries: dict[tuple[str, str], str] = {}
    for number, row in rows:
        source, language, target = _entry(row, order, name, number)
        if entries.get((source, language), target) != target:
            raise ConfigError(f"line {number}: {source!r} has two {language} translations "
                              f"({entries[(source, language)]!r} and {target!r})", source=name)
        entries[(source, language)] = target
    if not entries:
        raise ConfigError("the glossary has no entries (columns: source, language, target)", source=name)
    return Glossary(tuple((source, language, target) for (source, language), target in entries.items()), name)


def _is_tsv(text: str, name: str) -> bool:
    if name.lower().endswith((".tsv", ".tab")):
        return True
    first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    return "\t" in first and "," not in first


def _is_header(row: list[str]) -> bool:
    return sorted(cell.strip().lower() for cell in row) == sorted(COLUMNS)


def _entry(row: list[str], order: list[int], name: str, number: int) -> tuple[str, str, str]:
    if len(row) != 3:
        raise ConfigError(f"line {number}: expected 3 columns (source, language, target), found {len(row)}",
                          source=name)
    source, language, target = (row[index].strip() for index in order)
    if not source or not target:
        raise ConfigError(f"line {number}: the source and target terms must not be empty", source=name)
    code = normalise(language)
    if code not in LANGUAGES:
        raise ConfigError(f"line {number}: unknown language code {language!r}", source=name)
    return source, code, target
