"""What a reply must keep before it is accepted, per format (documents/reply_checks.py)."""

from __future__ import annotations

import pytest

from scribe_tui.documents.reply_checks import check_reply

GOOD = [
    ("txt", "One paragraph.\n\nAnother one.", "Ein Absatz.\n\nNoch einer."),
    ("txt", "A paragraph\nover two lines.", "Ein Absatz auf einer Zeile."),  # prose may reflow
    ("md", "A list item\nthat goes on.", "Ein Punkt\nder weitergeht."),
    ("md", "A heading", "Eine\nÜberschrift"),  # one Markdown line is joined back anyway
    ("md", "Call ⟦1⟧ or ⟦2⟧.", "Rufe ⟦2⟧ oder ⟦1⟧ auf."),
    ("srt", "Line one.\nLine two.\n\nNext cue.", "Zeile eins.\nZeile zwei.\n\nNächster Cue.\n"),
    ("json", "a\n\nb", "x\n\ny"),
]

BAD = [
    ("txt", "Some text.", "   ", "the translation is empty"),
    ("txt", "Two.\n\nBlocks.", "Zwei. Blöcke.", "expected 2 blocks separated by blank lines, got 1"),
    ("json", "Text.", "Te\ud800xt.", "unpaired surrogate"),
    ("txt", "Text.", "Te\x00xt.", "NUL character"),
    ("md", "Call ⟦1⟧ now.", "Ruf jetzt an.", "placeholders changed: lost ⟦1⟧"),
    ("md", "Call ⟦1⟧ now.", "Ruf ⟦1⟧ ⟦1⟧ an.", "placeholders changed: a placeholder is repeated or unknown"),
    ("md", "Line one\nline two", "```\nZeile eins\nZeile zwei", "the reply adds a code fence line"),
    ("md", "Quoted one\nquoted two\nquoted three", "Eins\nzwei", "expected 3 line(s), got 2"),
    ("vtt", "Hello.\nThere.", "Hallo.\n00:00:01.000 --> 00:00:02.000\nDa.", "the reply adds a timing line"),
    ("srt", "Cue one.\n\nCue two.", "Eins.\n\nZwei.\nDrei.", "expected 1 line(s) in block 2, got 2"),
]


@pytest.mark.parametrize(("fmt", "source", "reply"), GOOD)
def test_replies_that_keep_the_shape_pass(fmt: str, source: str, reply: str) -> None:
    check_reply(source, reply, fmt)


@pytest.mark.parametrize(("fmt", "source", "reply", "problem"), BAD, ids=[problem for *_, problem in BAD])
def test_replies_of_the_wrong_shape_say_what_is_wrong(fmt: str, source: str, reply: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        check_reply(source, reply, fmt)
