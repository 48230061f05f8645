"""Quality checks of a translation, after each chunk and over the whole document.

The reply-shape checks (``documents.reply_checks``) decide whether a reply can be used at
all; these decide whether it is probably a *good* one. Each finding names its check:

* ``glossary``: a glossary term of the chunk whose target term is not in the translation;
* ``numbers``: a number of the source missing (digits compared, so ``1,000.5`` and ``1.000,5``
  are the same number, and Arabic-Indic digits count as theirs);
* ``urls``, ``placeholders`` (``{name}``, ``{0}``, ``%s``, ``%(name)s``, ``{{x}}``, ``{% x %}``),
  ``code`` (`` `inline code` ``) and ``tags`` (HTML/XML tag names): each must come back as it was;
* ``untranslated``: the translation is the source (or most of its lines are);
* ``script``: the translation is mostly in another script than the target language's (the
  demo provider's pseudo-translation is Latin by design: its jobs skip this one);
* ``length``: the translation is suspiciously short or long for its source.

The whole document is checked again for what short chunks are exempt from (length, script,
untranslated need enough text to judge). Pure functions: no I/O, no configuration loading.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scribe_tui.languages import normalise
from scribe_tui.quality.scripts import COMPACT_SCRIPTS, describe, expected_scripts, script_counts, script_name

CHECKS = ("glossary", "numbers", "urls", "placeholders", "code", "tags", "untranslated", "script", "length")

MIN_LETTERS = 12  # script and untranslated checks need at least this many letters
MIN_LENGTH_CHARS = 40  # the length ratio needs a source at least this long

_PSEUDO = re.compile(r"⟦[^⟧\n]{1,12}⟧")  # our placeholders ⟦1⟧ (checked for shape already)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`)\]]+")
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z_]\w*(?:[.:][\w.]+)?\}|\{\d+\}|%(?:\([\w-]+\))?[sdif]")
_CODE = re.compile(r"`[^`\n]+`")
_TAG = re.compile(r"</?([A-Za-z][\w:-]*)(?:\s[^<>]*)?/?>")
_NUMBER = re.compile(r"\d+")
_URL_TRAIL = ".,;:!?"


@dataclass(frozen=True)
class Finding:
    """One problem: the check that found it, what it saw, and the chunk (None: the document)."""

    check: str
    message: str
    chunk: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, "chunk": self.chunk}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        chunk = data.get("chunk")
        return cls(str(data["check"]), str(data["message"]), int(chunk) if chunk is not None else None)

    def __str__(self) -> str:
        where = f"chunk {self.chunk}" if self.chunk is not None else "document"
        return f"{where}: {self.check}: {self.message}"


@dataclass(frozen=True)
class QAContext:
    """What the checks need beside the two texts."""

    target_language: str
    source_language: str = "auto"
    terms: Mapping[str, str] = field(default_factory=dict)
    check_script: bool = True
    min_length_ratio: float = 0.3
    max_length_ratio: float = 3.0


def check_chunk(source: str, reply: str, ctx: QAContext, chunk: int | None = None) -> list[Finding]:
    """Every problem found in the translation ``reply`` of the chunk text ``source``."""
    problems = [*_glossary(source, reply, ctx.terms), *_numbers(source, reply), *_kept("urls", _urls, source, reply),
                *_kept("placeholders", _PLACEHOLDER.findall, source, reply),
                *_kept("code", _CODE.findall, source, reply), *_tags(source, reply)]
    problems.extend(_untranslated(source, reply, ctx))
    if ctx.check_script:
        problems.extend(_script(reply, ctx))
    problems.extend(_length(source, reply, ctx))
    return [Finding(check, message, chunk) for check, message in problems]


def check_document(pairs: Sequence[tuple[str, str]], ctx: QAContext, chunk_findings: Sequence[Finding] = ()) -> list[Finding]:
    """The whole document's problems that no single chunk showed (``pairs``: source, translation)."""
    seen = {finding.check for finding in chunk_findings}
    source = "\n\n".join(text for text, _ in pairs)
    reply = "\n\n".join(text for _, text in pairs)
    problems = list(_untranslated(source, reply, ctx)) if "untranslated" not in seen else []
    if ctx.check_script and "script" not in seen:
        problems.extend(_script(reply, ctx))
    if "length" not in seen:
        problems.extend(_length(source, reply, ctx))
    return [Finding(check, message) for check, message in problems]


def summary(findings: Sequence[Finding]) -> str:
    """``2 problems (numbers, glossary)`` — short enough for a table cell or a log line."""
    if not findings:
        return "ok"
    checks = list(dict.fromkeys(finding.check for finding in findings))
    noun = "problem" if len(findings) == 1 else "problems"
    return f"{len(findings)} {noun} ({', '.join(checks)})"


def to_json(findings: Sequence[Finding]) -> str | None:
    """Findings as stored: a JSON list of ``{check, message, chunk}`` (None for none)."""
    return json.dumps([finding.as_dict() for finding in findings], ensure_ascii=False) if findings else None


def from_json(text: str | None) -> list[Finding]:
    """Stored findings back ([] for none, or for anything unreadable)."""
    if not text:
        return []
    try:
        return [Finding.from_dict(item) for item in json.loads(text)]
    except (ValueError, KeyError, TypeError):
        return []


def count_label(count: int | None) -> str:
    """A job's ``qa`` cell: ``-`` not checked yet, ``ok``, or ``3 ⚠`` problems."""
    if count is None:
        return "-"
    return "ok" if count == 0 else f"{count} ⚠"


# ---- the checks: each yields (check, message) -------------------------------------------------
def _glossary(source: str, reply: str, terms: Mapping[str, str]) -> list[tuple[str, str]]:
    folded = reply.casefold()
    return [("glossary", f"{term!r} should be translated as {target!r}") for term, target in sorted(terms.items())
            if term in source and target.casefold() not in folded]


def _digits(text: str) -> Counter[str]:
    plain = _PSEUDO.sub(" ", text)
    return Counter("".join(str(unicodedata.digit(char)) for char in match.group(0))
                   for match in _NUMBER.finditer(plain))


def _numbers(source: str, reply: str) -> list[tuple[str, str]]:
    missing = _digits(source) - _digits(reply)
    if not missing:
        return []
    shown = ", ".join(sorted(missing.elements(), key=lambda n: (len(n), n))[:5])
    return [("numbers", f"missing from the translation: {shown}")]


def _urls(text: str) -> list[str]:
    return [match.group(0).rstrip(_URL_TRAIL) for match in _URL.finditer(text)]


def _kept(check: str, find: Any, source: str, reply: str) -> list[tuple[str, str]]:
    missing = Counter(find(source)) - Counter(find(reply))
    if not missing:
        return []
    shown = ", ".join(sorted(missing)[:3])
    return [(check, f"not kept as they were: {shown}")]


def _tags(source: str, reply: str) -> list[tuple[str, str]]:
    wanted, got = Counter(_tag_names(source)), Counter(_tag_names(reply))
    if wanted == got:
        return []
    changed = sorted(set((wanted - got) + (got - wanted)))
    return [("tags", f"tags changed: {', '.join(changed[:5])}")]


def _tag_names(text: str) -> list[str]:
    return [("/" if match.group(0).startswith("</") else "") + match.group(1).lower() for match in _TAG.finditer(text)]


def _letters_only(text: str) -> str:
    text = _URL.sub(" ", _PSEUDO.sub(" ", text))
    return _TAG.sub(" ", _CODE.sub(" ", _PLACEHOLDER.sub(" ", text)))


def _untranslated(source: str, reply: str, ctx: QAContext) -> list[tuple[str, str]]:
    if _same_language(ctx):
        return []
    lines = [(a.strip(), b.strip()) for a, b in zip(source.split("\n"), reply.split("\n"), strict=False)
             if sum(char.isalpha() for char in _letters_only(a)) >= 4]
    letters = sum(char.isalpha() for char in _letters_only(source))
    if not lines or letters < MIN_LETTERS:
        return []
    same = sum(1 for a, b in lines if a == b)
    if same == len(lines):
        return [("untranslated", "the translation is the source text, unchanged")]
    if len(lines) >= 4 and same * 2 >= len(lines):
        return [("untranslated", f"{same} of {len(lines)} lines are the source text, unchanged")]
    return []


def _same_language(ctx: QAContext) -> bool:
    source = normalise(ctx.source_language).split("-")[0]
    return source not in ("", "auto") and source == normalise(ctx.target_language).split("-")[0]


def _script(reply: str, ctx: QAContext) -> list[tuple[str, str]]:
    text = _letters_only(reply)
    for target in ctx.terms.values():
        text = text.replace(target, " ")
    counts = script_counts(text)
    total = sum(counts.values())
    expected = expected_scripts(ctx.target_language)
    if total < MIN_LETTERS:
        return []
    share = sum(counts[script] for script in expected) / total
    if share >= 0.5:
        return []
    main = counts.most_common(1)[0][0]
    return [("script", f"mostly {script_name(main)} letters ({1 - share:.0%}); "
                       f"{normalise(ctx.target_language)} is written in {describe(expected)}")]


def _length(source: str, reply: str, ctx: QAContext) -> list[tuple[str, str]]:
    source_text, reply_text = source.strip(), reply.strip()
    if len(source_text) < MIN_LENGTH_CHARS:
        return []
    ratio = len(reply_text) / len(source_text)
    low = ctx.min_length_ratio
    if expected_scripts(ctx.target_language) & COMPACT_SCRIPTS:
        low /= 4  # Chinese, Japanese and Korean say the same in far fewer characters
    if low <= ratio <= ctx.max_length_ratio:
        return []
    kind = "short" if ratio < low else "long"
    return [("length", f"suspiciously {kind}: {ratio:.2f}× the source's length")]
