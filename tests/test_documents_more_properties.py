"""Round-trip properties of the formats their own libraries read back: on generated files, an
identity translation reproduces the file (bytes for .ass and .html, content for .po, .docx and
.epub as their libraries read it), and a translation that prefixes every line comes back in
the right places, with the structure the library sees unchanged."""

from __future__ import annotations

import io
import re
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scribe_tui.documents import make_chunks, parse_document, render_document
from scribe_tui.documents.reply_checks import check_reply
from tests.format_samples import ass_script, docx_bytes, epub_bytes, po_text

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789éüßשלוםаб你好 ,.!?'-"
word = st.text(alphabet=WORDS, min_size=1, max_size=10).filter(lambda text: text.strip() != "")
sentence = st.lists(word, min_size=1, max_size=6).map(" ".join).filter(lambda text: any(c.isalpha() for c in text))
budgets = st.tuples(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=20))


def he(text: str) -> str:
    """Every non-blank line prefixed, after its indentation."""
    return "\n".join(re.sub(r"^(\s*)", r"\1[he] ", line) if line.strip() else line for line in text.split("\n"))


def render(name: str, data: bytes, transform, budget: tuple[int, int] = (40, 10)) -> bytes:
    document = parse_document(name, data)
    chunks = make_chunks(document.segments, *budget)
    replies = {chunk.index: transform(chunk.text) for chunk in chunks}
    for chunk in chunks:
        check_reply(chunk.text, replies[chunk.index], document.format)
    return render_document(document, chunks, replies, language="de")


def unprefixed(text: str) -> str:
    return text.replace("[he] ", "")


@st.composite
def dialogue(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(sentence, st.sampled_from([r"{\i1}", r"{\i0}", r"\N", r"{\b1\c&H00FF00&}",
                                                                  r"\h", r"{\fad(200,200)}"])),
                           min_size=0, max_size=8))
    pieces.insert(draw(st.integers(min_value=0, max_value=len(pieces))), draw(sentence))
    return "".join(pieces)


@FAST
@given(st.lists(dialogue(), min_size=1, max_size=6), budgets)
def test_substation_round_trips_and_keeps_every_tag(texts, budget) -> None:
    import pysubs2

    source = ass_script(texts).encode()
    assert render("a.ass", source, lambda text: text, budget) == source
    out = pysubs2.SSAFile.from_string(render("a.ass", source, he, budget).decode())
    before = pysubs2.SSAFile.from_string(source.decode())
    assert [(e.start, e.end, e.style, e.type) for e in out] == [(e.start, e.end, e.style, e.type) for e in before]
    assert [unprefixed(e.text) for e in out] == [e.text for e in before]


@FAST
@given(st.lists(st.tuples(sentence, st.sampled_from(["p", "li", "td", "h2"]), st.booleans()), min_size=1,
                max_size=8), budgets)
def test_html_round_trips_byte_for_byte_and_keeps_every_tag(blocks, budget) -> None:
    body = "".join(f"<{tag}>{text}{' <b>bold</b> end' if bold else ''}</{tag}>\n" for text, tag, bold in blocks)
    source = f"<html><body>\n{body}<pre>{blocks[0][0]}</pre></body></html>\n"
    data = source.encode()
    assert render("a.html", data, lambda text: text, budget) == data
    out = render("a.html", data, he, budget).decode()
    assert re.findall(r"<[^>]+>", out) == re.findall(r"<[^>]+>", source)
    assert out.endswith(f"<pre>{blocks[0][0]}</pre></body></html>\n")


@FAST
@given(st.lists(sentence, min_size=1, max_size=8, unique=True), budgets)
def test_po_round_trips_every_msgid_into_its_msgstr(msgids, budget) -> None:
    import polib

    source = po_text(msgids).encode()
    identity = polib.pofile(render("a.po", source, lambda text: text, budget).decode())
    translated = polib.pofile(render("a.po", source, he, budget).decode())
    for entry in identity:
        if entry.msgid in msgids:
            assert entry.msgstr == entry.msgid
            assert unprefixed(translated.find(entry.msgid).msgstr) == entry.msgid
    assert translated.find("Already done").msgstr == "Déjà fait"
    assert translated.metadata["Language"] == "de"


@SLOW
@given(st.lists(st.lists(st.tuples(sentence, st.booleans()), min_size=1, max_size=4), min_size=1, max_size=4),
       budgets)
def test_docx_round_trips_and_keeps_each_runs_formatting(paragraphs, budget) -> None:
    import docx

    source = docx_bytes(paragraphs)
    before = docx.Document(io.BytesIO(source))
    identity = docx.Document(io.BytesIO(render("a.docx", source, lambda text: text, budget)))
    assert [p.text for p in identity.paragraphs] == [p.text for p in before.paragraphs]
    out = docx.Document(io.BytesIO(render("a.docx", source, he, budget)))
    assert [unprefixed(p.text) for p in out.paragraphs] == [p.text for p in before.paragraphs]
    for got, wanted in zip(out.paragraphs, before.paragraphs, strict=True):
        assert [bool(run.bold) for run in got.runs] == [bool(run.bold) for run in wanted.runs]


@SLOW
@given(st.lists(sentence, min_size=1, max_size=3), budgets)
def test_epub_round_trips_every_member(chapters, budget) -> None:
    source = epub_bytes([f"<h1>{text}</h1><p>{text} <i>again</i>.</p>" for text in chapters])
    out = render("a.epub", source, lambda text: text, budget)
    with zipfile.ZipFile(io.BytesIO(source)) as before, zipfile.ZipFile(io.BytesIO(out)) as after:
        assert before.namelist() == after.namelist()
        for name in before.namelist():
            if before.read(name) != after.read(name):  # only the language, set to the target
                assert name.endswith((".opf", ".xhtml")), name
                assert _without_language(before.read(name)) == _without_language(after.read(name))


def _without_language(data: bytes) -> str:
    return re.sub(r"<dc:language>[^<]*<|lang=\"[^\"]*\"", "", data.decode())
