"""gettext catalogues (.po): each untranslated ``msgid`` (and ``msgid_plural``) is a segment;
the translation fills ``msgstr``. polib reads and writes the catalogue.

Which entries are sent: every live (not obsolete) entry whose ``msgstr`` is empty, and every
entry marked ``fuzzy`` (gettext's way of asking for a translation to be redone). Entries that
already hold a translation are kept as they are, unless asked (``retranslate_po = true``:
``clear_translations`` empties them all before the catalogue is parsed and kept). A plural entry sends its singular and its
plural; the translation of the singular fills ``msgstr[0]`` and that of the plural fills every
other form, as many as the header's ``Plural-Forms`` ``nplurals`` (two when it says nothing).
An entry with no words to translate (``"%s"``) stays empty, and gettext shows its msgid.

Format directives (``%s``, ``%(name)d``, ``{name}``, ``{0:>4}``) and HTML tags travel as
placeholders and come back byte for byte. The output's header says ``Language: <target>``
(``pt-BR`` is written ``pt_BR``, as gettext spells it) and ``charset=UTF-8``; polib writes the
file, so its line wrapping is polib's. A catalogue polib cannot read is refused with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from scribe_tui.documents.markdown_inline import HTML_TAG
from scribe_tui.documents.model import ParseProblem, TemplateBuilder
from scribe_tui.documents.placeholders import has_words, merge_spans, protect

_DIRECTIVES = (
    re.compile(r"%(?:\([^)\s]{1,64}\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa%]"),
    re.compile(r"\{[A-Za-z0-9_.\[\]]{0,64}(?:![rsa])?(?::[^{}\n]{0,32})?\}"),
    HTML_TAG,
)
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


def parse_po(text: str) -> TemplateBuilder:
    """The texts to translate in a catalogue; ParseProblem when polib cannot read it."""
    builder = TemplateBuilder()
    for _entry, texts in _wanted(_catalogue(text)):
        for sent, hidden in texts:
            builder.segment(sent, protected=hidden)
    return builder


def clear_translations(text: str) -> str:
    """The catalogue with every live entry's translation emptied, so that all are sent
    (``retranslate_po = true``); flags and comments stay."""
    catalogue = _catalogue(text)
    for entry in catalogue:
        if entry.obsolete:
            continue
        entry.msgstr = ""
        entry.msgstr_plural = {form: "" for form in entry.msgstr_plural}
    return str(catalogue)


def rebuild_po(source: bytes, texts: Sequence[str], language: str) -> bytes:
    """The catalogue in ``source`` with ``texts`` (one per segment, in order) as its translations."""
    catalogue = _catalogue(source.decode("utf-8"))
    forms = _plural_forms(catalogue.metadata.get("Plural-Forms", ""))
    remaining = iter(texts)
    for entry, sources in _wanted(catalogue):
        translated = [next(remaining) for _ in sources]
        if entry.msgid_plural:
            entry.msgstr_plural = {0: translated[0], **{form: translated[-1] for form in range(1, forms)}}
        else:
            entry.msgstr = translated[0]
    if language:
        catalogue.metadata["Language"] = language.replace("-", "_")
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.encoding = "utf-8"
    return str(catalogue).encode("utf-8")


def _catalogue(text: str) -> Any:
    import polib

    if "msgid" not in text:
        raise ParseProblem("not a gettext catalogue (no msgid)")
    try:
        return polib.pofile(text, wrapwidth=78)
    except (OSError, ValueError, UnicodeError) as exc:
        raise ParseProblem(f"not a valid gettext catalogue ({exc})") from None


def _wanted(catalogue: Any) -> Iterator[tuple[Any, list[tuple[str, tuple[str, ...]]]]]:
    """Each entry to translate, with the texts it sends (msgid, and msgid_plural if any), each
    with its directives behind placeholders. An entry with no words (``"%s"``) is left empty:
    gettext shows its msgid."""
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        filled = any(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)
        if filled and not entry.fuzzy:
            continue
        texts = [_protected(text) for text in (entry.msgid, entry.msgid_plural) if text]
        if any(has_words(sent) for sent, _ in texts):
            yield entry, texts


def _protected(text: str) -> tuple[str, tuple[str, ...]]:
    return protect(text, merge_spans([match.span() for pattern in _DIRECTIVES for match in pattern.finditer(text)]))


def _plural_forms(header: str) -> int:
    match = _NPLURALS.search(header)
    return max(1, int(match.group(1))) if match else 2
