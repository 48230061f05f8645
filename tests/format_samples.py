"""Small files of the formats a library writes, made by those libraries in the tests (nothing
downloaded is committed): a SubStation script, a Word document, an EPUB book, a gettext
catalogue, and an HTML page written by hand."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

# A 1×1 PNG: an image that must come out of a book byte for byte.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Release notes</title>
  <style>body { font-family: sans-serif; }</style>
  <script>const greeting = "do not translate";</script>
</head>
<body>
  <h1>What is new</h1>
  <p>The queue <b>never</b> loses work; see <a href="https://example.com/queue?x=1">the design</a>.</p>
  <img src="chart.png" alt="A chart of requests" title="Requests per minute">
  <pre>scribe-tui --batch docs --to he</pre>
  <p>Run <code>make test</code> before {{ release_name }} ships &amp; relax.</p>
  <!-- a comment stays -->
</body>
</html>
"""


def ass_script(texts: Sequence[str] = ()) -> str:
    """A SubStation script with two styles, a comment, a drawing and dialogue lines."""
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.info["Title"] = "Sample"
    subs.styles["Sign"] = pysubs2.SSAStyle(fontname="Arial", fontsize=30, italic=True)
    lines = list(texts) or [r"{\i1}Hello{\i0}, world!\NSecond line", "Plain, with a comma, and more",
                            r"{\pos(10,20)}A sign on the wall"]
    for number, text in enumerate(lines):
        style = "Sign" if text.startswith(r"{\pos") else "Default"
        subs.append(pysubs2.SSAEvent(start=number * 2000, end=number * 2000 + 1500, text=text, style=style,
                                     name="Bob" if number % 2 else ""))
    subs.append(pysubs2.SSAEvent(start=9000, end=9500, text="A note for the typesetter", type="Comment"))
    subs.append(pysubs2.SSAEvent(start=9000, end=9500, text=r"{\p1}m 0 0 l 100 0 100 100 0 100{\p0}"))
    return subs.to_string("ass")


def docx_bytes(paragraphs: Sequence[Sequence[tuple[str, bool]]] = ()) -> bytes:
    """A Word document: a heading, paragraphs of (text, bold) runs, a table, a header, a footer."""
    import docx

    document = docx.Document()
    document.add_heading("Quarterly report", level=1)
    for runs in paragraphs or [[("Revenue grew ", False), ("twelve percent", True), (" this quarter.", False)]]:
        paragraph = document.add_paragraph()
        for text, bold in runs:
            paragraph.add_run(text).bold = bold
    table = document.add_table(rows=2, cols=2)
    for (row, column), text in {(0, 0): "Region", (0, 1): "Sales", (1, 0): "North", (1, 1): "42"}.items():
        table.cell(row, column).text = text
    document.sections[0].header.paragraphs[0].text = "Confidential draft"
    document.sections[0].footer.paragraphs[0].text = "Printed for the board"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def epub_bytes(chapters: Sequence[str] = ()) -> bytes:
    """A book: a title, two chapters (XHTML with markup, an image, code), a TOC and a nav."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("sample-book-1")
    book.set_title("The Quiet Queue")
    book.set_language("en")
    book.add_author("A. Writer")
    image = epub.EpubItem(uid="dot", file_name="images/dot.png", media_type="image/png", content=PNG)
    book.add_item(image)
    bodies = list(chapters) or [
        '<h1>Chapter One</h1><p>The worker <b>never</b> stops.</p><img src="images/dot.png" alt="A small dot"/>',
        "<h1>Chapter Two</h1><p>Every request is paid once.</p><pre>print('untouched')</pre>",
    ]
    items = []
    for number, body in enumerate(bodies, start=1):
        chapter = epub.EpubHtml(title=f"Chapter {number}", file_name=f"chap_{number:02}.xhtml", lang="en")
        chapter.content = body
        book.add_item(chapter)
        items.append(chapter)
    book.toc = tuple(epub.Link(item.file_name, item.title, f"chap{number}") for number, item in enumerate(items))
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def po_text(msgids: Sequence[str] = ()) -> str:
    """A catalogue: untranslated, formatted, plural, already translated, fuzzy and obsolete entries."""
    import polib

    catalogue = polib.POFile()
    catalogue.metadata = {"Project-Id-Version": "sample 1.0", "Language": "",
                          "Content-Type": "text/plain; charset=UTF-8",
                          "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for msgid in msgids or ["Open file", "Hello, %(name)s! You have {count} new messages."]:
        catalogue.append(polib.POEntry(msgid=msgid, msgstr=""))
    catalogue.append(polib.POEntry(msgid="%d file was saved", msgid_plural="%d files were saved",
                                   msgstr_plural={0: "", 1: ""}))
    catalogue.append(polib.POEntry(msgid="Already done", msgstr="Déjà fait"))
    catalogue.append(polib.POEntry(msgid="Needs review", msgstr="Old text", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Gone", msgstr="Parti", obsolete=True))
    return str(catalogue)
