"""Property tests: every format round-trips byte for byte through parse → chunk → render,
chunks respect the token budget, and each chunk's context is the tail of the previous one."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scribe_tui.documents import (
    Chunk,
    estimate_tokens,
    make_chunks,
    parse_document,
    render_document,
    tail_context,
)
from scribe_tui.errors import DocumentError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORD_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789éüßçשלוםעולםаб你好世界😀'\",;:()*_`#-"
# A run of three backticks inside prose is literal text (not a fence: that needs a line of its
# own), and is rightly sent; the Markdown tests' "no fence is ever sent" check needs prose without one.
words = st.text(alphabet=WORD_ALPHABET, min_size=1, max_size=12).filter(lambda w: "```" not in w)
sentence = st.builds(
    lambda ws, end: " ".join(ws) + end,
    st.lists(words, min_size=1, max_size=12),
    st.sampled_from([".", "!", "?", "", "。", " —"]),
)


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    """Sentences joined by spaces or single line breaks (never a blank line)."""
    sentences = draw(st.lists(sentence, min_size=1, max_size=6))
    text = sentences[0]
    for following in sentences[1:]:
        text += draw(st.sampled_from([" ", " ", "\n", "  "])) + following
    return text


paragraph = paragraphs()
blank_run = st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\n\t\n\n"])
budgets = st.tuples(st.integers(min_value=1, max_value=120), st.integers(min_value=0, max_value=40))


def encode(text: str, crlf: bool, bom: bool) -> bytes:
    if crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def check_round_trip(name: str, data: bytes, max_tokens: int, context_tokens: int) -> list[Chunk]:
    document = parse_document(name, data)
    chunks = make_chunks(document.segments, max_tokens, context_tokens)
    assert render_document(document, chunks, {c.index: c.text for c in chunks}) == data
    check_chunks(chunks, max_tokens, context_tokens)
    return chunks


def check_chunks(chunks: list[Chunk], max_tokens: int, context_tokens: int) -> None:
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for position, chunk in enumerate(chunks):
        # a placeholder is never cut: under a budget smaller than one, a piece is one placeholder
        budget = max(max_tokens, 3) if "⟦" in chunk.text else max_tokens
        assert chunk.token_estimate == estimate_tokens(chunk.text) <= budget
        stored = json.loads(json.dumps(dataclasses.asdict(chunk)))
        assert Chunk(**stored) == chunk
        if position == 0:
            assert chunk.context == ""
            continue
        previous = chunks[position - 1].text
        assert chunk.context == tail_context(previous, context_tokens)
        check_context(previous, chunk.context, context_tokens)


def check_context(previous: str, context: str, context_tokens: int) -> None:
    assert previous.endswith(context)
    assert estimate_tokens(context) <= context_tokens
    assert not context[:1].isspace()
    start = len(previous) - len(context)
    at_word = start == 0 or previous[start - 1].isspace()
    assert not context or at_word or not any(ch.isspace() for ch in context)


# ---- plain text ------------------------------------------------------------------------------


@st.composite
def text_documents(draw: st.DrawFn) -> str:
    paragraphs = draw(st.lists(paragraph, min_size=1, max_size=8))
    separators = draw(st.lists(blank_run, min_size=len(paragraphs), max_size=len(paragraphs)))
    body = "".join(p + s for p, s in zip(paragraphs, separators))
    lead = draw(st.sampled_from(["", "\n", "  ", "\n\n   "]))
    tail = draw(st.sampled_from(["", "\n", " \n"]))
    return lead + body.rstrip("\n \t") + tail


@SETTINGS
@given(text_documents(), st.booleans(), st.booleans(), budgets)
def test_txt_round_trip(text: str, crlf: bool, bom: bool, budget: tuple[int, int]) -> None:
    check_round_trip("doc.txt", encode(text, crlf, bom), *budget)


@SETTINGS
@given(st.text(min_size=1).filter(lambda t: t.strip() and "\x00" not in t), budgets)
def test_any_text_round_trips_as_txt_and_md(text: str, budget: tuple[int, int]) -> None:
    data = text.encode("utf-8")
    check_round_trip("any.txt", data, *budget)
    try:
        check_round_trip("any.md", data, *budget)
    except DocumentError as error:  # e.g. "#" or "---": all structure, no prose
        assert str(error) == "any.md: no translatable text"


# ---- markdown --------------------------------------------------------------------------------

code_line = st.text(alphabet="abcxyz=()[]{}#-*> 12'\"\tשל", max_size=30)


def code_block(draw: st.DrawFn, code: list[str], prefix: str = "") -> str:
    fence = draw(st.sampled_from(["```", "~~~", "````"]))
    lines = draw(st.lists(code_line.map(lambda s: "CODE " + s), min_size=1, max_size=4))
    code.extend(lines)
    info = draw(st.sampled_from(["", "python", "sh"]))
    return "\n".join(prefix + line for line in [fence + info, *lines, fence])


@st.composite
def markdown_documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    blocks, code = [], []
    kinds = draw(st.lists(st.sampled_from(["p", "h", "list", "code", "quote", "rule", "quote_code", "list_code",
                                           "footnote", "table", "html", "alert", "setext"]), min_size=1, max_size=8))
    kinds.insert(draw(st.integers(0, len(kinds))), "p")  # at least some prose
    for kind in kinds:
        if kind == "p":
            blocks.append(draw(paragraph))
        elif kind == "h":
            blocks.append("#" * draw(st.integers(1, 6)) + " " + draw(sentence))
        elif kind == "setext":
            blocks.append(draw(sentence).replace("\n", " ") + "\n" + draw(st.sampled_from(["===", "---"])))
        elif kind == "list":
            items = draw(st.lists(sentence, min_size=1, max_size=4))
            marker = draw(st.sampled_from(["- ", "* ", "1. ", "- [ ] "]))
            blocks.append("\n".join(marker + item for item in items))
        elif kind == "code":
            blocks.append(code_block(draw, code))
        elif kind == "quote":
            blocks.append("> " + draw(paragraph).replace("\n", "\n> "))
        elif kind == "quote_code":
            blocks.append("> " + draw(sentence) + "\n>\n" + code_block(draw, code, "> "))
        elif kind == "alert":
            blocks.append("> [!NOTE]\n> " + draw(sentence) + "\n>\n" + code_block(draw, code, "> "))
        elif kind == "list_code":
            lines = draw(st.lists(code_line.map(lambda s: "CODE " + s.strip() + "x"), min_size=1, max_size=3))
            code.extend(lines)
            blocks.append("1. " + draw(sentence) + "\n\n" + "\n".join("       " + line for line in lines))
        elif kind == "footnote":
            blocks.append("[^n]: " + draw(sentence) + "\n\n    " + draw(sentence))
        elif kind == "table":
            cells = draw(st.lists(words.filter(lambda w: "|" not in w and w.strip("-: ")), min_size=2, max_size=4))
            blocks.append("| " + " | ".join(cells) + " |\n|" + "---|" * len(cells) + "\n| " + " | ".join(reversed(cells)) + " |")
        elif kind == "html":
            blocks.append('<div class="x">\n  <p>' + draw(sentence) + '</p>\n  <pre>CODE pre</pre>\n</div>')
            code.append("CODE pre")
        else:
            blocks.append(draw(st.sampled_from(["---", "***", "___"])))
    return "\n\n".join(blocks) + draw(st.sampled_from(["", "\n"])), code


def check_md(data: bytes, budget: tuple[int, int]) -> list[Chunk] | None:
    """The round trip, or None for a document with nothing to translate (only digits, say)."""
    try:
        return check_round_trip("doc.md", data, *budget)
    except DocumentError as error:
        assert str(error) == "doc.md: no translatable text"
        return None


@SETTINGS
@given(markdown_documents(), st.booleans(), st.booleans(), budgets)
def test_md_round_trip_and_code_is_never_sent(doc: tuple[str, list[str]], crlf: bool, bom: bool,
                                              budget: tuple[int, int]) -> None:
    text, code_lines = doc
    chunks = check_md(encode(text, crlf, bom), budget)
    if chunks is None:
        return
    sent = "\n".join(chunk.text for chunk in chunks)
    assert "CODE " not in sent
    assert "```" not in sent and "~~~" not in sent
    assert all(line in text for line in code_lines)


# ---- subtitles -------------------------------------------------------------------------------

cue_line = st.lists(words, min_size=1, max_size=8).map(" ".join).filter(lambda s: not s.strip().isdigit())


def timestamp(ms: int, separator: str, hours: bool = True) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    head = f"{h:02d}:" if hours or h else ""
    return f"{head}{m:02d}:{s:02d}{separator}{milli:03d}"


@st.composite
def cue_texts(draw: st.DrawFn, count: int) -> list[str]:
    """Texts for ``count`` cues, some empty, at least one not."""
    texts = ["\n".join(draw(st.lists(cue_line, min_size=0, max_size=3))) for _ in range(count)]
    if not any(texts):
        texts[draw(st.integers(0, count - 1))] = draw(cue_line)
    return texts


@st.composite
def srt_documents(draw: st.DrawFn) -> str:
    blocks = []
    starts = sorted(draw(st.lists(st.integers(0, 10_000_000), min_size=1, max_size=12)))
    for number, (start, text) in enumerate(zip(starts, draw(cue_texts(len(starts)))), 1):
        end = start + draw(st.integers(1, 9000))
        settings_ = draw(st.sampled_from(["", " X1:100 X2:200 Y1:10 Y2:20"]))
        lines = [str(number), f"{timestamp(start, ',')} --> {timestamp(end, ',')}{settings_}"]
        blocks.append("\n".join(lines + ([text] if text else [])))
    separators = draw(st.lists(st.sampled_from(["\n\n", "\n\n\n"]), min_size=len(blocks), max_size=len(blocks)))
    document = "".join(b + s for b, s in zip(blocks, separators))
    return document if draw(st.booleans()) else document.rstrip("\n")


@st.composite
def vtt_documents(draw: st.DrawFn) -> str:
    parts = ["WEBVTT" + draw(st.sampled_from(["", " - Title", "\nKind: captions\nLanguage: en"]))]
    if draw(st.booleans()):
        parts.append("NOTE " + draw(cue_line) + "\n" + draw(cue_line))
    if draw(st.booleans()):
        parts.append("STYLE\n::cue { color: yellow }")
    starts = sorted(draw(st.lists(st.integers(0, 10_000_000), min_size=1, max_size=10)))
    for number, (start, text) in enumerate(zip(starts, draw(cue_texts(len(starts)))), 1):
        end = start + draw(st.integers(1, 9000))
        identifier = draw(st.sampled_from(["", f"{number}\n", f"cue-{number}\n"]))
        hours = draw(st.booleans())
        cue_settings = draw(st.sampled_from(["", " align:start position:10%"]))
        timing = f"{timestamp(start, '.', hours)} --> {timestamp(end, '.', hours)}{cue_settings}"
        cue = identifier + timing + ("\n" + text if text else "")
        if number > 1 and not identifier and draw(st.booleans()):
            parts[-1] += "\n" + cue  # back to back, youtube-dl style: the timing line ends the cue
        else:
            parts.append(cue)
    return "\n\n".join(parts) + draw(st.sampled_from(["", "\n", "\n\n"]))


@SETTINGS
@given(srt_documents(), st.booleans(), st.booleans(), budgets)
def test_srt_round_trip(text: str, crlf: bool, bom: bool, budget: tuple[int, int]) -> None:
    check_round_trip("doc.srt", encode(text, crlf, bom), *budget)


@SETTINGS
@given(vtt_documents(), st.booleans(), st.booleans(), budgets)
def test_vtt_round_trip(text: str, crlf: bool, bom: bool, budget: tuple[int, int]) -> None:
    check_round_trip("doc.vtt", encode(text, crlf, bom), *budget)


def prefix_lines(text: str) -> str:
    return "\n".join("[he] " + line.upper() if line.strip() else line for line in text.split("\n"))


@SETTINGS
@given(st.sampled_from(["srt", "vtt"]), st.data(), st.booleans())
def test_subtitle_translation_keeps_numbering_and_timestamps(kind: str, data: st.DataObject, crlf: bool) -> None:
    text = data.draw(srt_documents() if kind == "srt" else vtt_documents())
    source = encode(text, crlf, bom=False)
    document = parse_document(f"doc.{kind}", source)
    max_tokens = data.draw(st.integers(5, 200))
    chunks = make_chunks(document.segments, max_tokens, 10)
    # the translator adds a trailing blank line: it must not leak into the file
    out = render_document(document, chunks, {c.index: prefix_lines(c.text) + "\n\n" for c in chunks})
    again = parse_document(f"doc.{kind}", out)
    assert again.template == document.template
    assert all(seg.startswith("[he] ") for seg in again.segments)
    assert [line for line in out.decode().splitlines() if "-->" in line] == [
        line for line in source.decode().splitlines() if "-->" in line
    ]


# ---- JSON transcripts --------------------------------------------------------------------------

json_text = st.one_of(
    st.text(max_size=60),
    paragraph,
    st.sampled_from(["", " ", " Hello.", "a\n\nb", 'quote " and \\ backslash', "tab\tand\u2028sep", "שלום עולם"]),
)


@st.composite
def json_documents(draw: st.DrawFn) -> tuple[str, list[dict]]:
    segments = []
    for number in range(draw(st.integers(1, 10))):
        fields = {"id": number, "start": number * 1.5, "end": number * 1.5 + 1.25,
                  "speaker": draw(st.sampled_from(["A", "B", "שרה"])), "text": draw(json_text)}
        keys = draw(st.permutations(list(fields)))
        segments.append({key: fields[key] for key in keys})
    data: object = segments
    if draw(st.booleans()):
        data = {"language": "en", "segments": segments, "meta": {"text": "not a segment"}}
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    text = json.dumps(data, indent=indent, ensure_ascii=draw(st.booleans()))
    return text + draw(st.sampled_from(["", "\n"])), segments


@SETTINGS
@given(json_documents(), st.booleans(), st.booleans(), budgets)
def test_json_round_trip(doc: tuple[str, list[dict]], crlf: bool, bom: bool, budget: tuple[int, int]) -> None:
    text, segments = doc
    if not any(s["text"].strip() for s in segments):
        return
    check_round_trip("doc.json", encode(text, crlf, bom), *budget)


@SETTINGS
@given(json_documents(), budgets)
def test_json_translation_changes_only_text_fields(doc: tuple[str, list[dict]], budget: tuple[int, int]) -> None:
    text, segments = doc
    if not any(s["text"].strip() for s in segments):
        return
    document = parse_document("doc.json", text.encode())
    chunks = make_chunks(document.segments, *budget)
    out = json.loads(render_document(document, chunks, {c.index: c.text.upper() for c in chunks}))
    out_segments = out["segments"] if isinstance(out, dict) else out
    original = json.loads(text)
    if isinstance(out, dict):
        assert out["meta"] == original["meta"] and list(out) == list(original)
    for before, after in zip(segments, out_segments, strict=True):
        assert list(after) == list(before)
        assert {k: v for k, v in after.items() if k != "text"} == {k: v for k, v in before.items() if k != "text"}
        if before["text"].strip():
            assert after["text"].strip() == before["text"].upper().strip()
        else:
            assert after["text"] == before["text"]


@SETTINGS
@given(st.data(), st.booleans(), budgets)
def test_txt_and_md_translation_keeps_the_template(data: st.DataObject, crlf: bool,
                                                   budget: tuple[int, int]) -> None:
    kind = data.draw(st.sampled_from(["txt", "md"]))
    text = data.draw(text_documents()) if kind == "txt" else data.draw(markdown_documents())[0]
    try:
        document = parse_document(f"doc.{kind}", encode(text, crlf, bom=False))
    except DocumentError:
        return  # nothing to translate (a markdown document of digits and punctuation)
    chunks = make_chunks(document.segments, *budget)
    # a sloppy translator: upper-cases, marks lines, adds blank lines around its answer
    out = render_document(document, chunks, {c.index: "\n" + prefix_lines(c.text) + "\n\n" for c in chunks})
    again = parse_document(f"doc.{kind}", out)
    assert again.template == document.template
    assert all(segment.startswith("[he] ") for segment in again.segments)
