"""Token estimates, chunk packing and splitting, reply splitting, and reassembly refusals."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from scribe_tui.documents import (
    SEGMENT_SEPARATOR,
    Chunk,
    estimate_tokens,
    make_chunks,
    parse_document,
    render_document,
    split_translation,
    tail_context,
)
from scribe_tui.errors import DocumentError

# ---- estimate_tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("x" * 400, 100), ("שלום", 2), ("שלום עולם", 5),
     ("你好世界", 4), ("😀", 1), ("café", 1)],
)
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_estimate_is_roughly_additive() -> None:
    left, right = "Hello there, general. " * 7, "שלום לכולם " * 5
    assert estimate_tokens(left + right) <= estimate_tokens(left) + estimate_tokens(right)
    assert estimate_tokens(left + right) >= max(estimate_tokens(left), estimate_tokens(right))


# ---- make_chunks -------------------------------------------------------------------------------


def test_segments_are_packed_up_to_the_budget() -> None:
    segments = ["a" * 40, "b" * 40, "c" * 40, "d" * 40]  # 10 tokens each; two plus "\n\n" make 21
    chunks = make_chunks(segments, 21, 0)
    assert [(c.first_segment, c.segment_count) for c in chunks] == [(0, 2), (2, 2)]
    assert chunks[0].text == "a" * 40 + SEGMENT_SEPARATOR + "b" * 40
    assert all(c.token_estimate <= 21 for c in chunks)


def test_long_paragraph_is_split_at_sentences_then_words_then_characters() -> None:
    sentences = "First sentence is here. Second one follows! Third? Fourth."
    chunks = make_chunks([sentences], 7, 0)
    assert [c.text for c in chunks] == ["First sentence is here.", "Second one follows! Third?", "Fourth."]
    assert [c.joiner for c in chunks] == [" ", " ", ""]
    assert [(c.part, c.part_count, c.first_segment) for c in chunks] == [(0, 3, 0), (1, 3, 0), (2, 3, 0)]

    words = make_chunks(["one two three four five six seven eight"], 3, 0)
    assert [c.text for c in words] == ["one two", "three four", "five six", "seven eight"]

    url = "https://example.com/" + "x" * 50
    pieces = make_chunks([url], 4, 0)
    assert "".join(c.text + c.joiner for c in pieces) == url
    assert all(c.token_estimate <= 4 for c in pieces)


def test_line_breaks_are_natural_cut_points() -> None:
    chunks = make_chunks(["a line without a stop\nanother line here"], 6, 0)
    assert [c.text for c in chunks] == ["a line without a stop", "another line here"]
    assert chunks[0].joiner == "\n"


def test_cjk_is_split_after_sentence_punctuation() -> None:
    text = "这是第一句。这是第二句。这是第三句。"
    chunks = make_chunks([text], 7, 0)
    assert [c.text for c in chunks] == ["这是第一句。", "这是第二句。", "这是第三句。"]


def test_segment_with_a_blank_line_travels_alone() -> None:
    chunks = make_chunks(["one", "two\n\nthree", "four", "\nfive", " "], 1500, 0)
    assert [(c.first_segment, c.segment_count) for c in chunks] == [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1)]


def test_context_is_the_tail_of_the_previous_chunk_cut_at_a_word() -> None:
    segments = ["alpha beta gamma delta epsilon", "zeta eta theta iota kappa", "lambda mu"]
    chunks = make_chunks(segments, 8, 3)
    assert [c.first_segment for c in chunks] == [0, 1, 2]
    assert chunks[0].context == ""
    assert chunks[1].context == "epsilon"  # 3 tokens = the last 12 characters "elta epsilon", cut to a word
    assert chunks[2].context == "iota kappa"
    assert make_chunks(segments, 8, 0)[1].context == ""


def test_tail_context_without_spaces_cuts_between_characters() -> None:
    assert tail_context("这是第一句这是第二句", 2) == "二句"
    assert tail_context("short", 100) == "short"
    assert tail_context("", 10) == ""


def test_invalid_budgets_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        make_chunks(["x"], 0, 0)
    with pytest.raises(ValueError, match="context_tokens"):
        make_chunks(["x"], 10, -1)


def test_chunk_fields_are_plain_values_that_rebuild_the_chunk() -> None:
    for chunk in make_chunks(["Some text. More text here.", "x"], 5, 2):
        fields = dataclasses.asdict(chunk)
        assert all(type(value) in (int, str) for value in fields.values())
        assert Chunk(**fields) == chunk


# ---- split_translation -------------------------------------------------------------------------


def test_split_translation_tolerates_extra_blank_lines() -> None:
    [chunk] = make_chunks(["one", "two", "three"], 100, 0)
    assert split_translation(chunk, "\n\nEINS\n\n\n\nZWEI\n \nDREI\n\n") == ["EINS", "ZWEI", "DREI"]


def test_split_translation_rejects_a_wrong_block_count() -> None:
    [chunk] = make_chunks(["one", "two", "three"], 100, 0)
    with pytest.raises(ValueError, match="expected 3 blocks"):
        split_translation(chunk, "EINS\nZWEI\n\nDREI")


def test_an_empty_reply_is_malformed() -> None:
    for chunk in make_chunks(["one", "two"], 100, 0) + make_chunks(["only"], 100, 0):
        with pytest.raises(ValueError, match="translation is empty"):
            split_translation(chunk, " \n ")


def test_single_segment_reply_is_taken_whole() -> None:
    [chunk] = make_chunks(["para\n\nwith blank"], 100, 0)
    assert split_translation(chunk, "x\n\ny\n\nz") == ["x\n\ny\n\nz"]


# ---- render_document refusals ------------------------------------------------------------------


@pytest.fixture
def document_and_chunks():
    document = parse_document("doc.txt", b"One.\n\nTwo.\n\nThree.\n\nFour.\n")
    chunks = make_chunks(document.segments, 2, 0)
    assert len(chunks) == 4
    return document, chunks


def test_render_refuses_a_missing_translation(document_and_chunks) -> None:
    document, chunks = document_and_chunks
    translations = {c.index: c.text for c in chunks if c.index not in (1, 3)}
    with pytest.raises(DocumentError, match=r"doc.txt: chunks 1, 3 are missing"):
        render_document(document, chunks, translations)


def test_render_refuses_a_chunk_missing_from_the_list(document_and_chunks) -> None:
    document, chunks = document_and_chunks
    kept = [c for c in chunks if c.index != 2]
    with pytest.raises(DocumentError, match=r"chunk 2 is missing"):
        render_document(document, kept, {c.index: c.text for c in kept})
    head = chunks[:2]
    with pytest.raises(DocumentError, match=r"missing after chunk 1: segments 2 to 3 are not covered"):
        render_document(document, head, {c.index: c.text for c in head})


def test_render_refuses_a_duplicated_chunk(document_and_chunks) -> None:
    document, chunks = document_and_chunks
    with pytest.raises(DocumentError, match=r"chunk 2 appears more than once"):
        render_document(document, [*chunks, chunks[2]], {c.index: c.text for c in chunks})


def test_render_refuses_an_unknown_chunk(document_and_chunks) -> None:
    document, chunks = document_and_chunks
    with pytest.raises(DocumentError, match=r"translation for unknown chunk 9"):
        render_document(document, chunks, {**{c.index: c.text for c in chunks}, 9: "x"})


def test_render_refuses_chunks_of_another_document(document_and_chunks) -> None:
    document, _ = document_and_chunks
    other = make_chunks(document.segments, 100, 0)  # one chunk covering all four
    shifted = [dataclasses.replace(c, first_segment=c.first_segment + 1) for c in other]
    with pytest.raises(DocumentError, match="do not match the document"):
        render_document(document, shifted, {c.index: c.text for c in shifted})


def test_split_segment_reassembles_with_its_joiners() -> None:
    document = parse_document("a.txt", b"First sentence here. Second sentence\nhere. Third.\n")
    chunks = make_chunks(document.segments, 5, 0)
    assert len(chunks) == 3 and chunks[-1].part_count == 3
    out = render_document(document, chunks, {c.index: f"<{c.text.upper()}>\n" for c in chunks})
    assert out == b"<FIRST SENTENCE HERE.> <SECOND SENTENCE>\n<HERE. THIRD.>\n"


# ---- import hygiene ----------------------------------------------------------------------------


def test_documents_do_not_import_the_engine_or_textual() -> None:
    code = (
        "import sys, scribe_tui.documents; "
        "bad = [m for m in sys.modules if m.startswith(('textual', 'scribe_tui.engine'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
