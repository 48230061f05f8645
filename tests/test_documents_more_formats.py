"""The formats that their own libraries read back: .ass/.ssa (pysubs2), .docx (python-docx),
.epub (ebooklib), .html and .po (polib). For each: what is sent and what never is, an identity
translation reproduces the file (byte for byte for the text formats, content for the ones a
library writes), a real translation comes back where its source was and the library re-opens
the output, and a damaged file is refused with its reason."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from scribe_tui.documents import make_chunks, parse_document, render_document
from scribe_tui.documents.reply_checks import check_reply
from scribe_tui.errors import DocumentError
from tests.format_samples import HTML_PAGE, PNG, ass_script, docx_bytes, epub_bytes, po_text


def he(text: str) -> str:
    return "\n".join("[he] " + line if line.strip() else line for line in text.split("\n"))


def rendered(name: str, data: bytes, transform: Callable[[str], str] = he, language: str = "he") -> bytes:
    document = parse_document(name, data)
    chunks = make_chunks(document.segments, 40, 10)
    replies = {chunk.index: transform(chunk.text) for chunk in chunks}
    for chunk in chunks:
        check_reply(chunk.text, replies[chunk.index], document.format)  # what the engine would accept
    return render_document(document, chunks, replies, language=language)


# ---- .ass / .ssa -------------------------------------------------------------------------------


def test_substation_sends_dialogue_text_only_with_tags_as_placeholders_and_breaks_as_lines() -> None:
    document = parse_document("talk.ass", ass_script().encode())
    assert document.segments == ["Hello⟦1⟧, world!\nSecond line", "Plain, with a comma, and more",
                                 "A sign on the wall"]
    assert document.protected[0] == (r"{\i0}",)


@pytest.mark.parametrize("name", ["talk.ass", "talk.ssa"])
def test_substation_identity_is_byte_for_byte_and_a_translation_keeps_styles_timing_and_tags(name: str) -> None:
    import pysubs2

    source = ass_script()
    assert rendered(name, source.encode(), lambda text: text) == source.encode()
    out = pysubs2.SSAFile.from_string(rendered(name, source.encode()).decode())
    before = pysubs2.SSAFile.from_string(source)
    assert out.styles == before.styles and out.info == before.info
    assert [(e.start, e.end, e.style, e.name, e.type) for e in out] == [
        (e.start, e.end, e.style, e.name, e.type) for e in before]
    assert [event.text for event in out] == [
        r"{\i1}[he] Hello{\i0}, world!\N[he] Second line", "[he] Plain, with a comma, and more",
        r"{\pos(10,20)}[he] A sign on the wall", "A note for the typesetter", r"{\p1}m 0 0 l 100 0 100 100 0 100{\p0}"]


def test_substation_reply_must_keep_its_line_breaks() -> None:
    with pytest.raises(ValueError, match="line"):
        check_reply("Hello⟦1⟧, world!\nSecond line", "Hallo⟦1⟧, Welt! Zweite Zeile", "ass")


# ---- .html ------------------------------------------------------------------------------------


def test_html_sends_text_nodes_alt_and_title_and_never_code_scripts_or_urls() -> None:
    document = parse_document("notes.html", HTML_PAGE.encode())
    sent = "\n".join(document.segments)
    assert document.segments[:3] == ["Release notes", "What is new",
                                     "The queue ⟦1⟧never⟦2⟧ loses work; see ⟦3⟧the design⟦4⟧."]
    assert "A chart of requests" in document.segments and "Requests per minute" in document.segments
    for never in ("do not translate", "font-family", "scribe-tui --batch", "make test", "release_name",
                  "example.com", "a comment stays", "utf-8"):
        assert never not in sent


def test_html_identity_is_byte_for_byte_and_a_translation_is_escaped_markup() -> None:
    from html.parser import HTMLParser

    assert rendered("notes.html", HTML_PAGE.encode(), lambda text: text) == HTML_PAGE.encode()
    out = rendered("notes.html", HTML_PAGE.encode(), lambda text: he(text).replace("queue", "queue & <list>"))
    text = out.decode()
    assert '<a href="https://example.com/queue?x=1">[he] the design</a>' not in text  # one run: one prefix
    assert "[he] The queue &amp; &lt;list&gt; <b>never</b> loses work" in text
    assert 'alt="[he] A chart of requests"' in text and "<pre>scribe-tui --batch docs --to he</pre>" in text
    assert "{{ release_name }} ships &amp; relax" in text
    HTMLParser().feed(text)  # the standard library's parser reads it


# ---- .po --------------------------------------------------------------------------------------


def test_po_sends_untranslated_and_fuzzy_entries_with_directives_as_placeholders() -> None:
    document = parse_document("app.po", po_text().encode())
    assert document.segments == ["Open file", "Hello, ⟦1⟧! You have ⟦2⟧ new messages.",
                                 "⟦1⟧ file was saved", "⟦1⟧ files were saved", "Needs review"]


def test_po_translation_fills_msgstr_and_plurals_keeps_translations_and_sets_language() -> None:
    import polib

    out = polib.pofile(rendered("app.po", po_text().encode(), language="pt-BR").decode())
    entries = {entry.msgid: entry for entry in out}
    assert out.metadata["Language"] == "pt_BR" and out.metadata["Project-Id-Version"] == "sample 1.0"
    assert entries["Open file"].msgstr == "[he] Open file"
    assert entries["Hello, %(name)s! You have {count} new messages."].msgstr == \
        "[he] Hello, %(name)s! You have {count} new messages."
    assert entries["%d file was saved"].msgstr_plural == {0: "[he] %d file was saved", 1: "[he] %d files were saved"}
    assert entries["Already done"].msgstr == "Déjà fait"
    assert entries["Needs review"].msgstr == "[he] Needs review"
    assert [entry.msgid for entry in out.obsolete_entries()] == ["Gone"]


def test_po_existing_translations_are_sent_again_only_when_asked() -> None:
    import polib

    source = po_text().encode()
    document = parse_document("app.po", source, retranslate=True)
    assert "Already done" in document.segments and "Needs review" in document.segments
    chunks = make_chunks(document.segments, 40, 10)
    out = polib.pofile(render_document(document, chunks, {c.index: he(c.text) for c in chunks}).decode())
    assert out.find("Already done").msgstr == "[he] Already done"
    assert [entry.msgstr for entry in out.obsolete_entries()] == ["Parti"]
    # what the store keeps is what the output is rebuilt from: the same segments again
    assert parse_document("app.po", document.source).segments == document.segments


# ---- .docx ------------------------------------------------------------------------------------


def test_docx_sends_paragraphs_tables_headers_and_footers_with_run_boundaries_as_placeholders() -> None:
    document = parse_document("report.docx", docx_bytes())
    assert document.segments == ["Quarterly report", "Revenue grew ⟦1⟧twelve percent⟦2⟧ this quarter.",
                                 "Region", "Sales", "North", "Printed for the board", "Confidential draft"]


def test_docx_translation_keeps_runs_formatting_tables_and_headers() -> None:
    import docx

    source = docx_bytes()
    identity = docx.Document(io.BytesIO(rendered("report.docx", source, lambda text: text)))
    assert [p.text for p in identity.paragraphs] == [p.text for p in docx.Document(io.BytesIO(source)).paragraphs]
    out = docx.Document(io.BytesIO(rendered("report.docx", source)))
    heading, body = out.paragraphs[0], out.paragraphs[1]
    assert heading.text == "[he] Quarterly report" and heading.style.name == "Heading 1"
    assert [(run.text, run.bold) for run in body.runs] == [
        ("[he] Revenue grew ", False), ("twelve percent", True), (" this quarter.", False)]
    assert [cell.text for cell in out.tables[0].rows[0].cells] == ["[he] Region", "[he] Sales"]
    assert out.tables[0].cell(1, 1).text == "42"  # no words: not sent
    assert out.sections[0].header.paragraphs[0].text == "[he] Confidential draft"
    assert out.sections[0].footer.paragraphs[0].text == "[he] Printed for the board"


def test_docx_text_follows_the_replys_word_order_across_runs() -> None:
    import docx

    source = docx_bytes([[("Click ", False), ("here", True), (" to start.", False)]])
    out = rendered("a.docx", source, lambda text: text.replace("Click ⟦1⟧here⟦2⟧ to start.",
                                                               "Um zu starten ⟦1⟧hier⟦2⟧ klicken."))
    body = docx.Document(io.BytesIO(out)).paragraphs[1]
    assert body.text == "Um zu starten hier klicken."
    assert [(run.text, run.bold) for run in body.runs] == [("Um zu starten ", False), ("hier", True),
                                                          (" klicken.", False)]


# ---- .epub ------------------------------------------------------------------------------------


def test_epub_sends_title_chapters_and_toc_but_never_code_or_image_references() -> None:
    document = parse_document("book.epub", epub_bytes())
    sent = "\n".join(document.segments)
    assert document.segments[0] == "The Quiet Queue"
    for wanted in ("Chapter One", "The worker ⟦1⟧never⟦2⟧ stops.", "A small dot", "Every request is paid once."):
        assert wanted in document.segments
    assert "print(" not in sent and "images/dot.png" not in sent and "sample-book-1" not in sent


def test_epub_translation_keeps_markup_images_toc_and_metadata_and_ebooklib_reads_it() -> None:
    from ebooklib import ITEM_DOCUMENT, epub

    source = epub_bytes()
    out = rendered("book.epub", source, language="de")
    book = epub.read_epub(io.BytesIO(out))
    assert book.get_metadata("DC", "title")[0][0] == "[he] The Quiet Queue"
    assert book.get_metadata("DC", "language")[0][0] == "de"
    assert book.get_metadata("DC", "creator")[0][0] == "A. Writer"
    assert book.get_item_with_href("images/dot.png").get_content() == PNG
    chapter = book.get_item_with_href("chap_01.xhtml").get_content().decode()
    assert "<p>[he] The worker <b>never</b> stops.</p>" in chapter and 'alt="[he] A small dot"' in chapter
    assert "<pre>print('untouched')</pre>" in book.get_item_with_href("chap_02.xhtml").get_content().decode()
    assert [link.title for link in book.toc] == ["[he] Chapter 1", "[he] Chapter 2"]
    assert len(list(book.get_items_of_type(ITEM_DOCUMENT))) == len(list(epub.read_epub(io.BytesIO(source))
                                                                       .get_items_of_type(ITEM_DOCUMENT)))
    with zipfile.ZipFile(io.BytesIO(out)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert 'lang="de" xml:lang="de"' in archive.read("EPUB/chap_01.xhtml").decode()


def test_epub_identity_keeps_every_member() -> None:
    source = epub_bytes()
    out = rendered("book.epub", source, lambda text: text, language="")
    with zipfile.ZipFile(io.BytesIO(source)) as before, zipfile.ZipFile(io.BytesIO(out)) as after:
        assert before.namelist() == after.namelist()
        for name in before.namelist():
            assert before.read(name) == after.read(name), name


# ---- damaged files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("report.docx", b"PK\x03\x04 not really a zip", "not a Word document python-docx can open"),
    ("report.docx", b"plain text pretending", "not a Word document python-docx can open"),
    ("book.epub", b"PK\x05\x06" + b"\x00" * 18, "not an EPUB"),
    ("empty.docx", b"PK\x05\x06" + b"\x00" * 18, "not a Word document"),
    ("app.po", b'msgid "a"\nmsgstr "b"\nthis is not gettext\n', r"not a valid gettext catalogue \(Syntax error"),
    ("talk.ass", b"[Script Info]\nTitle: x\n\n[Events]\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Hi\n",
     r"line 5: a Dialogue line before the \[Events\] Format line"),
])
def test_a_damaged_file_is_refused_with_the_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason) as raised:
        parse_document(name, data)
    assert str(raised.value).startswith(f"{name}: ")


def test_a_truncated_docx_is_refused() -> None:
    data = docx_bytes()
    with pytest.raises(DocumentError, match="report.docx: "):
        parse_document("report.docx", data[: len(data) // 2])
