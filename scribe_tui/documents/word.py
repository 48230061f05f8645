"""Word documents (.docx): each paragraph with words is a segment; python-docx opens and saves
the package, so everything but the text — styles, numbering, images, section settings —
stays as it was.

Paragraphs are read from the body (tables and text boxes included), every header and footer,
and the comments, in a fixed order, so the rebuild finds the same ones. A paragraph's text is
spread over runs, each with its own formatting (bold, a hyperlink, a font). Neighbouring
pieces of text with the same formatting form one group; the groups are joined with
placeholders (``Click ⟦1⟧here⟦2⟧ to start.``), which the translator keeps exactly once each, so
a bold word stays bold. The first group's translation goes into the first group's place and
the text after each placeholder, in the order the reply has them, into the next group: the
sentence reads in the reply's order, and formatting follows the placeholders as closely as
word order allows. Tabs, breaks and pictures between runs stay where they are.

A file python-docx cannot open (not a zip, no main document, broken XML) is refused with its
reason.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from typing import Any

from scribe_tui.documents.model import ParseProblem, TemplateBuilder
from scribe_tui.documents.placeholders import PLACEHOLDER, has_words, placeholder

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_TEXT_PART = re.compile(r"^/word/(?:header\d*|footer\d*|comments|footnotes|endnotes)\.xml$")

Group = list[Any]  # w:t elements whose text is one formatted piece


def parse_docx(data: bytes) -> TemplateBuilder:
    """Segments of a Word document; ParseProblem when python-docx cannot open it."""
    builder = TemplateBuilder()
    for groups in _paragraphs(_open(data)):
        builder.segment(_joined(groups))
    return builder


def rebuild_docx(source: bytes, texts: Sequence[str], language: str) -> bytes:
    """The document in ``source`` with ``texts`` (one per paragraph segment) in place."""
    document = _open(source)
    remaining = iter(texts)
    for groups in _paragraphs(document):
        _fill(groups, next(remaining))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _open(data: bytes) -> Any:
    import docx

    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a damaged package
        raise ParseProblem(f"not a Word document python-docx can open ({type(exc).__name__}: {exc})") from None


def _paragraphs(document: Any) -> Iterator[list[Group]]:
    """The text groups of each paragraph with words, in document order."""
    for element in _text_parts(document):
        for paragraph in element.iter(f"{_W}p"):
            groups = _groups(paragraph)
            if groups and has_words("".join(t.text or "" for group in groups for t in group)):
                yield groups


def _text_parts(document: Any) -> list[Any]:
    """The XML roots of the main document, then its headers, footers, notes and comments."""
    others = [part for part in document.part.package.iter_parts()
              if _TEXT_PART.match(str(part.partname)) and hasattr(part, "_element")]
    others.sort(key=lambda part: str(part.partname))
    return [document.part._element, *(part._element for part in others)]


def _groups(paragraph: Any) -> list[Group]:
    groups: list[Group] = []
    previous = None
    for text in paragraph.iter(f"{_W}t"):
        if _owner(text) is not paragraph:
            continue  # a nested paragraph's (a text box inside this one) has its own turn
        if previous is not None and _continues(previous, text):
            groups[-1].append(text)
        else:
            groups.append([text])
        previous = text
    return groups


def _owner(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != f"{_W}p":
        parent = parent.getparent()
    return parent


def _continues(previous: Any, text: Any) -> bool:
    """True when ``text`` follows ``previous`` with nothing between and the same formatting."""
    if text.getprevious() is previous:
        return True
    run, previous_run = text.getparent(), previous.getparent()
    if run.getprevious() is not previous_run or previous_run[-1] is not previous:
        return False
    first = next((child for child in run if child.tag != f"{_W}rPr"), None)
    return first is text and _formatting(run) == _formatting(previous_run)


def _formatting(run: Any) -> bytes:
    from lxml import etree

    properties = run.find(f"{_W}rPr")
    return b"" if properties is None else etree.tostring(properties)


def _joined(groups: list[Group]) -> str:
    pieces = []
    for number, group in enumerate(groups):
        if number:
            pieces.append(placeholder(number))
        pieces.append("".join(t.text or "" for t in group))
    return "".join(pieces)


def _fill(groups: list[Group], text: str) -> None:
    pieces = PLACEHOLDER.split(text)[::2]  # the text before the first placeholder and after each one
    pieces += [""] * (len(groups) - len(pieces))
    pieces[len(groups) - 1] = "".join(pieces[len(groups) - 1:])  # more placeholders than groups
    for group, piece in zip(groups, pieces, strict=False):
        first, *rest = group
        first.text = piece
        first.set(_XML_SPACE, "preserve")
        for t in rest:
            t.text = ""
