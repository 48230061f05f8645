"""Properties of the simulator's pseudo-translation: shape kept line for line, marked,
deterministic, reversible."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scribe_tui.simulator import marker, pseudo_translate, reverse_pseudo

LANG = st.sampled_from(["he", "de", "en", "pt-br", "zh-hans"])
# Text without the accented look-alikes (reverse_pseudo's documented domain).
PLAIN_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",),
                           exclude_characters="áƀçđéƒĝĥíĵķĺɱñóƥʠŕšŧúṽŵẋýžÁƁÇĐÉƑĜĤÍĴĶĹṀÑÓƤǪŔŠŦÚṼŴẊÝŽ⟦⟧"),
    max_size=300,
)


def test_example() -> None:
    assert pseudo_translate("Hello world\n\n  two  \n", "he") == "⟦he⟧ Ĥéĺĺó ŵóŕĺđ\n\n  ⟦he⟧ ŧŵó  \n"


@given(PLAIN_TEXT, LANG)
def test_same_lines_blank_lines_and_whitespace(text: str, lang: str) -> None:
    out = pseudo_translate(text, lang)
    source_lines, out_lines = text.split("\n"), out.split("\n")
    assert len(out_lines) == len(source_lines)
    for source, line in zip(source_lines, out_lines):
        if not source.strip():
            assert line == source  # blank (or whitespace-only) lines untouched
            continue
        indent = source[: len(source) - len(source.lstrip())]
        trail = source[len(source.rstrip()):]
        assert line.startswith(indent + marker(lang))
        assert line.endswith(trail)
        assert len(line) == len(source) + len(marker(lang))  # one code point for one


@given(PLAIN_TEXT, LANG)
def test_deterministic_and_reversible(text: str, lang: str) -> None:
    out = pseudo_translate(text, lang)
    assert pseudo_translate(text, lang) == out
    assert reverse_pseudo(out, lang) == text


@given(st.text(alphabet="abcXYZ \n", min_size=1, max_size=50).filter(lambda t: any(c.isalpha() for c in t)))
def test_ascii_letters_are_visibly_changed(text: str) -> None:
    out = pseudo_translate(text, "de")
    assert out != text
    assert not any("a" <= char <= "z" or "A" <= char <= "Z" for char in out.replace("⟦de⟧", ""))


def test_languages_are_told_apart() -> None:
    assert pseudo_translate("same", "he") != pseudo_translate("same", "de")


def test_reverse_refuses_unmarked_text() -> None:
    with pytest.raises(ValueError, match="marker"):
        reverse_pseudo("not translated", "he")
