"""The quality checks one by one: each finds its problem, and none fires on a good
translation (the simulator's pseudo-translation keeps what a careful translator keeps)."""

from __future__ import annotations

import pytest

from scribe_tui.quality import Finding, QAContext, check_chunk, check_document, count_label, from_json, summary, to_json
from scribe_tui.simulator import pseudo_translate

SOURCE = ("The Scheduler ran 1,250 jobs in 3.5 hours; see https://example.com/runs?id=7 and {name}, %s, {{ user }}, "
          "`make test` and <b>bold</b> text.")
TERMS = {"Scheduler": "Zeitplaner"}
DE = QAContext("de", terms=TERMS)


def checks(reply: str, ctx: QAContext = DE, source: str = SOURCE) -> list[str]:
    return [finding.check for finding in check_chunk(source, reply, ctx)]


def test_a_good_translation_has_no_findings() -> None:
    assert check_chunk(SOURCE, pseudo_translate(SOURCE, "de", TERMS), DE) == []


@pytest.mark.parametrize(("damage", "check"), [
    (lambda r: r.replace("Zeitplaner", "Planer"), "glossary"),
    (lambda r: r.replace("1,250", "1,205"), "numbers"),
    (lambda r: r.replace("https://example.com/runs", "https://exámple.com/runs"), "urls"),
    (lambda r: r.replace("{name}", "{ñáɱé}"), "placeholders"),
    (lambda r: r.replace("%s", "% s"), "placeholders"),
    (lambda r: r.replace("{{ user }}", "{{ úšéŕ }}"), "placeholders"),
    (lambda r: r.replace("`make test`", "`ɱáķé ŧéšŧ`"), "code"),
    (lambda r: r.replace("</b>", ""), "tags"),
])
def test_each_check_finds_its_problem(damage, check: str) -> None:  # type: ignore[no-untyped-def]
    assert checks(damage(pseudo_translate(SOURCE, "de", TERMS))) == [check]


def test_numbers_are_compared_as_digits_whatever_the_separators_and_digit_shapes() -> None:
    assert checks("Der Planer: 1.250 Aufträge in 3,5 Stunden", QAContext("de"), "The planner: 1,250 jobs in 3.5 hours") == []
    assert checks("المجدول: ١٢٥٠ مهمة في ٣٫٥ ساعات", QAContext("ar"), "The planner: 1250 jobs in 3.5 hours") == []


def test_untranslated_text_is_found_unless_the_languages_are_the_same() -> None:
    text = "The scheduler runs every job in order of priority."
    assert checks(text, QAContext("de"), text) == ["untranslated"]
    assert checks(text, QAContext("en-gb", source_language="en"), text) == []
    lines = "\n".join(f"Line number {n} of the talk." for n in range(6))
    half = "\n".join(pseudo_translate(line, "de") if n % 2 else line for n, line in enumerate(lines.split("\n")))
    assert checks(half, QAContext("de"), lines) == ["untranslated"]


def test_a_reply_in_the_wrong_script_is_found() -> None:
    text = "The scheduler runs every job in order of priority."
    assert "script" in checks(pseudo_translate(text, "he"), QAContext("he"), text)
    assert checks("המתזמן מריץ כל משימה לפי סדר העדיפות.", QAContext("he"), text) == []
    assert checks(pseudo_translate(text, "he"), QAContext("he", check_script=False), text) == []
    assert checks("Планировщик запускает каждую задачу.", QAContext("de"), text) == ["script"]


def test_a_suspicious_length_is_found_and_compact_scripts_are_allowed_to_be_short() -> None:
    text = "The scheduler runs every job in order of priority, one after another."
    assert checks("Ja.", QAContext("de"), text) == ["length"]
    assert checks(pseudo_translate(text * 4, "de"), QAContext("de"), text) == ["length"]
    assert checks("调度器按优先级顺序依次运行每个任务。", QAContext("zh"), text) == []


def test_the_document_check_sees_what_short_chunks_cannot() -> None:
    pairs = [(f"Hello, Ann {n}.", f"Hello, Ann {n}.") for n in range(5)]
    assert all(check_chunk(a, b, QAContext("de")) == [] for a, b in pairs)  # each too short to judge
    assert [finding.check for finding in check_document(pairs, QAContext("de"))] == ["untranslated"]
    seen = [Finding("untranslated", "x", 1)]
    assert check_document(pairs, QAContext("de"), seen) == []  # not reported twice


def test_findings_round_trip_and_read_short() -> None:
    findings = [Finding("numbers", "missing from the translation: 7", 2), Finding("length", "suspiciously short")]
    assert from_json(to_json(findings)) == findings and to_json([]) is None and from_json("not json") == []
    assert summary(findings) == "2 problems (numbers, length)" and summary([]) == "ok"
    assert (count_label(None), count_label(0), count_label(3)) == ("-", "ok", "3 ⚠")
    assert str(findings[0]) == "chunk 2: numbers: missing from the translation: 7"
