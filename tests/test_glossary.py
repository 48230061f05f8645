"""The glossary file: CSV or TSV with source, language, target; the terms one chunk needs;
a fingerprint that follows the content; one clear error line for anything wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.errors import ConfigError
from scribe_tui.glossary import load_glossary, parse_glossary


def test_csv_with_a_header_in_any_order_and_several_languages(tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_text("language,target,source\nde,Zeitplan,Scheduler\nhe,מתזמן,Scheduler\n# a note\n\nde,Warteschlange,queue\n",
                    encoding="utf-8")
    glossary = load_glossary(path)
    assert glossary.languages == ["de", "he"]
    assert glossary.terms("de") == {"Scheduler": "Zeitplan", "queue": "Warteschlange"}
    assert glossary.terms("he") == {"Scheduler": "מתזמן"}


def test_tsv_without_a_header_and_a_regional_code_falls_back_to_its_base() -> None:
    glossary = parse_glossary("Scheduler\tde\tZeitplan\nqueue\tpt\tfila\n", "terms.tsv")
    assert glossary.terms("de") == {"Scheduler": "Zeitplan"}
    assert glossary.terms("pt-br") == {"queue": "fila"}


def test_terms_in_a_chunk_are_whole_words_and_case_sensitive() -> None:
    glossary = parse_glossary("source,language,target\nScribe,de,Schreiber\nScribe TUI,de,Scribe-TUI\nAPI,de,API\n")
    assert glossary.terms_in("Scribe TUI talks to the API.", "de") == {"API": "API", "Scribe TUI": "Scribe-TUI"}
    assert glossary.terms_in("Scribes and scribe and APIs", "de") == {}
    assert glossary.terms_in("Scribe", "he") == {}


def test_the_fingerprint_follows_the_content_not_the_order() -> None:
    one = parse_glossary("a,de,b\nc,de,d\n")
    assert one.fingerprint == parse_glossary("c,de,d\na,de,b\n").fingerprint
    assert one.fingerprint != parse_glossary("a,de,b\nc,de,e\n").fingerprint


@pytest.mark.parametrize(("text", "expected"), [
    ("a,de\n", "line 1: expected 3 columns"),
    ("a,xx,b\n", "line 1: unknown language code 'xx'"),
    ("a,de,b\na,de,c\n", "line 2: 'a' has two de translations"),
    (",de,b\n", "must not be empty"),
    ("# only a comment\n", "no entries"),
])
def test_a_broken_glossary_is_one_error_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse_glossary(text, "terms.csv")


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.csv: cannot read the glossary"):
        load_glossary(tmp_path / "missing.csv")
    assert not load_glossary(None)
