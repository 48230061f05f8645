"""``read_job_list``: CSV and JSON Lines lists of pending translations, good rows kept,
bad rows reported with their line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.errors import UsageError
from scribe_tui.job_list import ListRow, read_job_list


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a.txt", "b.srt", "c.md"):
        (folder / name).write_text("hello\n", encoding="utf-8")
    return folder


def test_csv_with_header_good_and_bad_rows(tmp_path, docs):
    listing = tmp_path / "pending.csv"
    listing.write_text(
        "path,language,priority\n"          # 1
        "docs/a.txt,he,high\n"              # 2
        "docs/b.srt,DE,\n"                  # 3
        "\n"                                # 4
        "# a comment\n"                     # 5
        "docs/missing.txt,he,low\n"         # 6
        "docs/c.md,xx,normal\n"             # 7
        f"{docs / 'c.md'},en,7\n"           # 8
        "docs/a.txt,he,urgent\n"            # 9
        "docs/b.srt\n",                     # 10
        encoding="utf-8")
    rows, problems = read_job_list(listing)
    assert rows == [
        ListRow(docs / "a.txt", "he", 20),
        ListRow(docs / "b.srt", "de", 0),
        ListRow(docs / "c.md", "en", 7),
    ]
    assert [line for line, _ in problems] == [6, 7, 9, 10]
    reasons = dict(problems)
    assert "file not found" in reasons[6]
    assert "unknown language code 'xx'" in reasons[7]
    assert "urgent" in reasons[9]
    assert reasons[10] == "missing language"


def test_csv_without_header_and_several_languages_per_row(tmp_path, docs):
    listing = tmp_path / "pending.txt"
    listing.write_text('docs/a.txt,"he,de"\ndocs/b.srt,en,-5\ndocs/c.md\n', encoding="utf-8")
    rows, problems = read_job_list(listing)
    assert rows == [ListRow(docs / "a.txt", "he", 0), ListRow(docs / "a.txt", "de", 0), ListRow(docs / "b.srt", "en", -5)]
    assert problems == [(3, "expected 2 or 3 columns (path,language[,priority]), found 1")]


def test_json_lines(tmp_path, docs):
    listing = tmp_path / "pending.jsonl"
    listing.write_text(
        '{"path": "docs/a.txt", "language": "he", "priority": "low"}\n'
        '{"path": "docs/b.srt", "language": ["de", "en"], "priority": 3}\n'
        "not json at all\n"
        "[1, 2]\n"
        '{"path": "docs/c.md"}\n'
        "\n"
        '{"path": "docs/c.md", "language": "he", "priority": true}\n'
        '{"language": "he"}\n',
        encoding="utf-8")
    rows, problems = read_job_list(listing)
    assert rows == [ListRow(docs / "a.txt", "he", -20), ListRow(docs / "b.srt", "de", 3), ListRow(docs / "b.srt", "en", 3)]
    assert [line for line, _ in problems] == [3, 4, 5, 7, 8]
    reasons = dict(problems)
    assert reasons[3].startswith("not valid JSON")
    assert reasons[5] == "missing language"
    assert reasons[8] == "missing path"


def test_json_lines_detected_by_content(tmp_path, docs):
    listing = tmp_path / "pending.list"
    listing.write_text('{"path": "docs/a.txt", "lang": "he"}\n', encoding="utf-8")
    assert read_job_list(listing) == ([ListRow(docs / "a.txt", "he", 0)], [])


def test_semicolon_csv_and_directory_rows(tmp_path, docs):
    listing = tmp_path / "pending.csv"
    listing.write_text("path;language\ndocs/a.txt;he\ndocs;de\n", encoding="utf-8")
    rows, problems = read_job_list(listing)
    assert rows == [ListRow(docs / "a.txt", "he", 0)]
    assert problems == [(3, f"not a file: {docs}")]


def test_missing_list_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="file not found"):
        read_job_list(tmp_path / "nope.csv")


def test_empty_list(tmp_path):
    listing = tmp_path / "empty.csv"
    listing.write_text("", encoding="utf-8")
    assert read_job_list(listing) == ([], [])
