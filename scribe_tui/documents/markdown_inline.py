"""Which parts of a Markdown text a translator must not touch (placeholders.py hides them).

Protected: inline code (a backtick string up to the next backtick string of the same
length), link and image destinations (``](url)``, base64 ``data:`` URIs included), the
label of a full reference link (``[text][label]``) and a shortcut reference that names a
definition (``[label]``), footnote references (``[^1]``), autolinks and inline HTML tags,
HTML entities, bare URLs (``https://…``, ``www.…``, ``mailto:…``, ``data:…``), template
syntax (``{{ … }}``, ``{% … %}``; a ``{% raw %}``, ``{% highlight %}`` or ``{% comment %}`` block
whole, up to its end tag), backslash escapes (``\\|`` in a table cell) and anything already
shaped like a placeholder (``⟦1⟧``).

One pass from left to right over the text: every trigger is looked at once and every
search for a closing mark either succeeds (and the scan resumes after it) or is remembered,
so the work is linear in the length of the text whatever it holds (markdown-it's own inline
parser is quadratic on inputs such as ten thousand ``[``).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict

from markdown_it.common.utils import normalizeReference

from scribe_tui.documents.placeholders import Span, merge_spans

_TRIGGER = re.compile(r"`+|<|\]\(|\[|\{\{|\{%|&|\\|(?:https?|ftp)://|www\.|mailto:|data:|⟦")
_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
_BLOCK_TAG = re.compile(r"\{%-?\s*(raw|highlight|comment)\b")  # template blocks whose content is not prose
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+)>")
_ATTRIBUTE = r"""(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^'\n]*'|"[^"\n]*"))?)"""
HTML_TAG = re.compile(rf"<[A-Za-z][A-Za-z0-9-]*{_ATTRIBUTE}*\s*/?>|</[A-Za-z][A-Za-z0-9-]*\s*>")
_TAG_SCAN_LIMIT = 4096  # an inline tag longer than this is left as text
_HTML_OTHER = (("<!--", "-->"), ("<?", "?>"), ("<!", ">"))  # comments, processing instructions, declarations
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_DESTINATION = re.compile(r"[ \t]*(?:<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))+)")
_DESTINATION_END = re.compile(r"\s*[)\"'(]")  # what may follow a link destination: ")" or a title
_URL = re.compile(r"(?:(?:https?|ftp)://|www\.|mailto:)[^\s<>\"'`]+|data:[A-Za-z]+/[\w.+-]+(?:;[\w.+=-]+)*,[^\s)\"'<>]*")
_URL_TAIL = ".,:;!?'\"*_~"
_PLACEHOLDER_LIKE = re.compile(r"⟦\d{1,6}⟧")


def protected_spans(text: str, references: frozenset[str] = frozenset()) -> list[Span]:
    """Sorted, non-overlapping spans of ``text`` to keep away from the translator."""
    return _Scanner(text, references).scan()


class _Scanner:
    def __init__(self, text: str, references: frozenset[str]):
        self.text = text
        self.references = references
        self.spans: list[Span] = []
        self._next: dict[str, int] = {}  # the last find() of each closing mark
        self._runs = _backtick_runs(text)

    def scan(self) -> list[Span]:
        position = 0
        while match := _TRIGGER.search(self.text, position):
            position = self._handle(match.group(), match.start())
        return merge_spans(self.spans)

    def _handle(self, trigger: str, at: int) -> int:
        """Protect what starts at ``at`` if anything; the position to scan on from."""
        if trigger[0] == "`":
            return self._code(at, len(trigger))
        if trigger == "<":
            return self._angle(at)
        if trigger == "](":
            return self._destination(at + 2)
        if trigger == "[":
            return self._label(at)
        if trigger == "{%" and (block := _BLOCK_TAG.match(self.text, at)):
            return self._template_block(at, block.group(1), block.end())
        if trigger in ("{{", "{%"):
            return self._closed_by(at, "}}" if trigger == "{{" else "%}")
        if trigger == "\\":
            return self._matched(_ESCAPE, at)
        if trigger == "&":
            return self._matched(_ENTITY, at)
        if trigger == "⟦":
            return self._matched(_PLACEHOLDER_LIKE, at)
        return self._url(at)

    def _protect(self, start: int, end: int) -> int:
        self.spans.append((start, end))
        return end

    def _find(self, mark: str, start: int) -> int:
        """``text.find(mark, start)``, remembering a miss so the same search is never repeated."""
        found = self._next.get(mark)
        if found is None or (found != -1 and found < start):
            found = self.text.find(mark, start)
            self._next[mark] = found
        return found

    def _matched(self, pattern: re.Pattern[str], at: int) -> int:
        match = pattern.match(self.text, at)
        return self._protect(at, match.end()) if match else at + 1

    def _code(self, at: int, length: int) -> int:
        if at > 0 and self.text[at - 1] == "\\":  # an escaped backtick opens nothing
            at, length = at + 1, length - 1
            if not length:
                return at
        closing = self._runs[length]
        index = bisect.bisect_right(closing, at)
        if index == len(closing):
            return at + length
        return self._protect(at, closing[index] + length)

    def _angle(self, at: int) -> int:
        for opening, closing in _HTML_OTHER:
            if self.text.startswith(opening, at):
                end = self._find(closing, at + len(opening))
                return self._protect(at, end + len(closing)) if end >= 0 else at + len(opening)
        limit = min(len(self.text), at + _TAG_SCAN_LIMIT)
        match = _AUTOLINK.match(self.text, at, limit) or HTML_TAG.match(self.text, at, limit)
        return self._protect(at, match.end()) if match else at + 1

    def _destination(self, at: int) -> int:
        match = _DESTINATION.match(self.text, at)
        if not match or not match.group().strip() or not _DESTINATION_END.match(self.text, match.end()):
            return at
        start = at + len(match.group()) - len(match.group().lstrip(" \t"))
        return self._protect(start, match.end())

    def _label(self, at: int) -> int:
        close = self._find("]", at + 1)
        nested = self._find("[", at + 1)
        if close < 0 or 0 <= nested < close:
            return at + 1
        label = self.text[at + 1:close]  # no "[" inside: labels never overlap, slicing stays linear
        if label.startswith("^"):
            return self._protect(at, close + 1)  # a footnote reference
        follows = self.text[close + 1:close + 2]
        if follows == "[":  # a full reference: [text][label] keeps its label
            end = self._find("]", close + 2)
            if end > 0:
                self.spans.append((close + 1, end + 1))
        elif follows != "(" and normalizeReference(label) in self.references:
            return self._protect(at, close + 1)  # a shortcut reference: its text is its label
        return at + 1

    def _template_block(self, at: int, name: str, after: int) -> int:
        """``{% raw %}`` … ``{% endraw %}`` (and the like) protected whole."""
        end = self._find(f"end{name}", after)
        close = self._find("%}", end) if end >= 0 else -1
        return self._protect(at, close + 2) if close >= 0 else self._closed_by(at, "%}")

    def _closed_by(self, at: int, mark: str) -> int:
        end = self._find(mark, at + 2)
        return self._protect(at, end + len(mark)) if end >= 0 else at + 2

    def _url(self, at: int) -> int:
        match = _URL.match(self.text, at)
        if not match:
            return at + 1
        url = match.group().rstrip(_URL_TAIL)
        while url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1].rstrip(_URL_TAIL)
        return self._protect(at, at + len(url)) if url else at + 1


def _backtick_runs(text: str) -> dict[int, list[int]]:
    """Start positions of the backtick runs of each length, in order."""
    runs: dict[int, list[int]] = defaultdict(list)
    for match in re.finditer(r"`+", text):
        runs[len(match.group())].append(match.start())
    return runs
