"""The simulator's glossary store: named glossaries of one or more dictionaries (a language
pair and its ``source → target`` terms), as DeepL keeps them, shared by DeepL's v2 (one
dictionary per glossary) and v3 (multilingual) endpoints and usable by any dialect that
honours glossary terms (``pseudo_translate(text, lang, terms)``).

Languages are stored lower-cased and without a region (DeepL glossaries are not regional:
``EN-US`` uses the ``en`` dictionary). Entries arrive as TSV or CSV text, as the API takes them.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


class GlossaryError(ValueError):
    """A glossary request the store refuses; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def base_language(code: str) -> str:
    """``EN-US`` → ``en``: the key a dictionary is stored under."""
    return code.strip().split("-")[0].lower()


def parse_entries(text: str, entries_format: str) -> dict[str, str]:
    """``source → target`` from DeepL's ``tsv`` or ``csv`` entries (CSV may carry the
    languages in columns 3 and 4; they are ignored here). Empty or malformed: GlossaryError."""
    if entries_format not in ("tsv", "csv"):
        raise GlossaryError("Value for 'entries_format' not supported.")
    delimiter = "\t" if entries_format == "tsv" else ","
    entries: dict[str, str] = {}
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise GlossaryError("Invalid glossary entries provided")
        entries[row[0].strip()] = row[1].strip()
    if not entries:
        raise GlossaryError("Invalid glossary entries provided")
    return entries


def entries_tsv(entries: dict[str, str]) -> str:
    return "\n".join(f"{source}\t{target}" for source, target in entries.items())


@dataclass
class Dictionary:
    source_lang: str
    target_lang: str
    entries: dict[str, str]

    def info(self) -> dict[str, object]:
        return {"source_lang": self.source_lang, "target_lang": self.target_lang, "entry_count": len(self.entries)}


@dataclass
class Glossary:
    glossary_id: str
    name: str
    dictionaries: list[Dictionary]
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def creation_time(self) -> str:
        """ISO 8601 with milliseconds and ``Z``, as DeepL writes it (``2026-06-03T04:05:06.789Z``)."""
        return self.created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.created.microsecond // 1000:03d}Z"

    def dictionary(self, source: str, target: str) -> Dictionary | None:
        source, target = base_language(source), base_language(target)
        return next((item for item in self.dictionaries
                     if (item.source_lang, item.target_lang) == (source, target)), None)

    def put(self, dictionary: Dictionary) -> None:
        """Add ``dictionary``, replacing the one for the same language pair."""
        self.dictionaries = [item for item in self.dictionaries
                             if (item.source_lang, item.target_lang) != (dictionary.source_lang, dictionary.target_lang)]
        self.dictionaries.append(dictionary)


class GlossaryStore:
    """All glossaries of one simulator (every key sees every glossary)."""

    def __init__(self) -> None:
        self._glossaries: dict[str, Glossary] = {}

    def create(self, name: str, dictionaries: list[Dictionary]) -> Glossary:
        if not name.strip():
            raise GlossaryError("Missing or invalid argument: name")
        if not dictionaries:
            raise GlossaryError("Glossary dictionaries must be provided")
        glossary = Glossary(str(uuid.uuid4()), name, [])
        for dictionary in dictionaries:
            glossary.put(dictionary)
        self._glossaries[glossary.glossary_id] = glossary
        return glossary

    def get(self, glossary_id: str) -> Glossary:
        try:
            return self._glossaries[glossary_id]
        except KeyError:
            raise GlossaryError("Glossary not found", 404) from None

    def all(self) -> list[Glossary]:
        return list(self._glossaries.values())

    def delete(self, glossary_id: str) -> None:
        self.get(glossary_id)
        del self._glossaries[glossary_id]

    def terms(self, glossary_id: str, source: str, target: str) -> dict[str, str]:
        """The terms a translation ``source → target`` with this glossary uses."""
        dictionary = self.get(glossary_id).dictionary(source, target)
        if dictionary is None:
            raise GlossaryError("The glossary has no dictionary for this language pair.")
        return dict(dictionary.entries)


def make_dictionary(source: str, target: str, entries: str, entries_format: str) -> Dictionary:
    if not source.strip() or not target.strip():
        raise GlossaryError("Missing or invalid argument: source_lang / target_lang")
    return Dictionary(base_language(source), base_language(target), parse_entries(entries, entries_format))
