"""Each format: what is a segment, what stays in the template, and what bad input says."""

from __future__ import annotations

import json

import pytest

from scribe_tui.documents import make_chunks, parse_document, render_document
from scribe_tui.documents.reader import utf8_source
from scribe_tui.errors import DocumentError


def translate(document, transform, max_tokens=1500, context_tokens=200) -> bytes:
    chunks = make_chunks(document.segments, max_tokens, context_tokens)
    return render_document(document, chunks, {c.index: transform(c.text) for c in chunks})


def he(text: str) -> str:
    """A fake translation: each non-blank line prefixed with "[he] "."""
    return "\n".join("[he] " + line if line.strip() else line for line in text.split("\n"))


# ---- txt ---------------------------------------------------------------------------------------


def test_txt_paragraphs_are_segments_and_whitespace_stays_in_the_template() -> None:
    source = "  Title line\n\n\nFirst paragraph,\nsecond line.  \n \nLast.\n".encode()
    document = parse_document("notes.txt", source)
    assert document.format == "txt"
    assert document.segments == ["Title line", "First paragraph,\nsecond line.", "Last."]
    assert translate(document, he) == (
        "  [he] Title line\n\n\n[he] First paragraph,\n[he] second line.  \n \n[he] Last.\n".encode()
    )


def test_txt_crlf_and_bom_survive_a_real_translation() -> None:
    source = b"\xef\xbb\xbfOne.\r\n\r\nTwo\r\nlines.\r\n"
    document = parse_document("a.txt", source)
    assert document.bom and document.crlf
    assert document.segments == ["One.", "Two\nlines."]
    out = translate(document, lambda t: t.upper().replace("\n", "\r\n"))  # translator answers in CRLF
    assert out == b"\xef\xbb\xbfONE.\r\n\r\nTWO\r\nLINES.\r\n"


def test_mixed_line_endings_round_trip() -> None:
    source = b"One\r\ntwo\n\nthree\r\n\r\nfour\n"
    document = parse_document("a.txt", source)
    assert not document.crlf
    assert translate(document, lambda t: t) == source
    assert translate(document, str.upper) == source.upper()


def test_content_hash_is_sha256_of_the_bytes() -> None:
    import hashlib

    source = b"Hello there.\n"
    assert parse_document("a.txt", source).content_hash == hashlib.sha256(source).hexdigest()


# ---- markdown ----------------------------------------------------------------------------------

LECTURE = """---
title: Demo
---
# Heading one ##

Intro paragraph with `inline code`
over two lines.

```python
def keep(x):
    return "untouched"
```

~~~
tilde fence
~~~

- first item
- [x] done item
  continues here
1. numbered

> a quote

    indented code stays

***
[ref]: https://example.com
"""


def test_markdown_segments_exclude_code_and_markers() -> None:
    document = parse_document("lecture.md", LECTURE.encode())
    assert document.segments == [
        "Heading one",
        "Intro paragraph with ⟦1⟧\nover two lines.",
        "first item",
        "done item\ncontinues here",
        "numbered",
        "a quote",
    ]
    assert document.protected[1] == ("`inline code`",)
    assert document.prefixes[3] == ("  ",)


def test_markdown_translation_keeps_structure_and_code_fences() -> None:
    out = translate(parse_document("lecture.md", LECTURE.encode()), str.upper).decode()
    assert out.startswith("---\ntitle: Demo\n---\n# HEADING ONE ##\n")
    assert '```python\ndef keep(x):\n    return "untouched"\n```' in out
    assert "~~~\ntilde fence\n~~~" in out
    assert "- FIRST ITEM\n- [x] DONE ITEM\n  CONTINUES HERE\n1. NUMBERED" in out
    assert "> A QUOTE\n\n    indented code stays\n" in out
    assert "***\n[ref]: https://example.com\n" in out


def test_markdown_reply_cannot_break_a_heading_or_a_list() -> None:
    document = parse_document("a.md", b"## Title\n\n- item one\n- item two\n")
    chunks = make_chunks(document.segments, 3, 0)
    assert len(chunks) == 3
    out = render_document(document, chunks, {0: "Titel\nauf zwei Zeilen", 1: "Punkt\n\neins", 2: "Punkt zwei"})
    assert out == b"## Titel auf zwei Zeilen\n\n- Punkt eins\n- Punkt zwei\n"


def test_unclosed_fence_runs_to_the_end_of_the_file() -> None:
    document = parse_document("a.md", b"Prose.\n\n```\ncode\n\nmore code\n")
    assert document.segments == ["Prose."]


def test_list_continuation_is_prose_not_code() -> None:
    document = parse_document("a.md", b"- item\n\n    continued paragraph\n\n    code after prose\n")
    assert "continued paragraph" in document.segments


def md_segments(text: str) -> list[str]:
    return parse_document("a.md", text.encode()).segments


def test_indented_code_inside_a_list_item_is_not_translated() -> None:
    segments = md_segments("1. Install it:\n\n       pip install scribe-tui\n\n2. Run it.\n")
    assert segments == ["Install it:", "Run it."]


def test_fenced_code_inside_a_block_quote_or_an_alert_is_not_translated() -> None:
    text = "> [!TIP]\n> Run this first:\n>\n> ```bash\n> make install\n> ```\n\n> ~~~\n> quoted code\n> ~~~\n"
    document = parse_document("a.md", text.encode())
    assert document.segments == ["Run this first:"]
    out = translate(document, he).decode()
    assert out == text.replace("Run this first:", "[he] Run this first:")


def test_footnote_definitions_and_their_continuation_paragraphs_are_translated() -> None:
    text = "A claim.[^note]\n\n[^note]: The source of it,\n    on two lines.\n\n    A second paragraph of the note.\n"
    document = parse_document("a.md", text.encode())
    assert document.segments == ["A claim.⟦1⟧", "The source of it,\non two lines.", "A second paragraph of the note."]
    out = translate(document, he).decode()
    assert "[^note]: [he] The source of it,\n    [he] on two lines.\n\n    [he] A second paragraph" in out


def test_a_leading_rule_followed_by_prose_is_not_front_matter() -> None:
    text = "---\n__Bold :)__\n\nFirst section.\n\n---\n\nSecond section.\n"
    assert md_segments(text) == ["__Bold :)__", "First section.", "Second section."]
    assert md_segments("---\ntitle: Real front matter\n---\n\nBody.\n") == ["Body."]


def test_html_blocks_translate_text_nodes_and_alt_title_only() -> None:
    text = ('<div align="center">\n  <img src="https://x.org/logo.png" alt="Our logo" width="80">\n'
            '  <p>Hello <b>world</b>, run <code>make it</code> for {{ version }}.</p>\n'
            '  <a href="/docs" title="Read the docs">Documentation</a>\n  <!-- keep this -->\n</div>\n')
    document = parse_document("a.md", text.encode())
    assert document.segments == ["Our logo", "Hello ⟦1⟧world⟦2⟧, run ⟦3⟧ for ⟦4⟧.", "Read the docs", "Documentation⟦1⟧"]
    out = translate(document, str.upper).decode()
    assert out == (text.replace("Our logo", "OUR LOGO").replace("Hello", "HELLO").replace("world", "WORLD")
                   .replace(", run", ", RUN").replace(" for {{", " FOR {{").replace("Read the docs", "READ THE DOCS")
                   .replace(">Documentation<", ">DOCUMENTATION<"))


def test_data_uris_urls_and_inline_code_are_never_sent_and_come_back_byte_identical() -> None:
    blob = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    text = (f"See ![chart](data:image/png;base64,{blob}) and https://example.com/a_(b)?q=1.\n"
            "Call `render(x)` or visit <https://auto.link>.\n")
    document = parse_document("a.md", text.encode())
    sent = "\n".join(document.segments)
    assert blob not in sent and "example.com" not in sent and "render(x)" not in sent and "auto.link" not in sent
    out = translate(document, lambda t: t.upper()).decode()
    assert f"data:image/png;base64,{blob}" in out and "https://example.com/a_(b)?q=1" in out
    assert "`render(x)`" in out and "<https://auto.link>" in out and "SEE ![CHART]" in out


def test_a_paragraph_of_nothing_but_a_link_is_not_sent() -> None:
    assert md_segments("Text.\n\nhttps://example.com/only-a-url\n\n`only code`\n") == ["Text."]


# ---- srt ---------------------------------------------------------------------------------------

SRT = b"""1
00:00:01,000 --> 00:00:02,500
Hello there.
Second line.

2
00:00:03,000 --> 00:00:04,000 X1:10 X2:20
General Kenobi!

3
00:00:05,000 --> 00:00:06,000

"""


def test_srt_only_cue_text_is_translated() -> None:
    document = parse_document("m.srt", SRT)
    assert document.segments == ["Hello there.\nSecond line.", "General Kenobi!"]
    out = translate(document, he, max_tokens=5)
    assert out == SRT.replace(b"Hello", b"[he] Hello").replace(b"Second", b"[he] Second").replace(
        b"General", b"[he] General"
    )


def test_srt_translation_with_blank_lines_cannot_break_a_cue() -> None:
    document = parse_document("m.srt", SRT)
    chunks = make_chunks(document.segments, 8, 0)
    assert [c.segment_count for c in chunks] == [1, 1]
    out = render_document(document, chunks, {0: "\nShalom.\n\n\nSecond.\n\n", 1: "Kenobi!\r\n\r\n"})
    assert out.startswith(b"1\n00:00:01,000 --> 00:00:02,500\nShalom.\nSecond.\n\n2\n")
    again = parse_document("m.srt", out)
    assert again.template == document.template
    assert again.segments == ["Shalom.\nSecond.", "Kenobi!"]


def test_srt_reply_with_wrong_block_count_is_refused() -> None:
    document = parse_document("m.srt", SRT)
    chunks = make_chunks(document.segments, 1500, 0)
    with pytest.raises(DocumentError, match="chunk 0: expected 2 blocks separated by blank lines, got 3"):
        render_document(document, chunks, {0: "Shalom.\n\nSecond.\n\nKenobi!"})


def test_srt_text_after_a_blank_line_inside_a_cue_is_kept() -> None:
    source = b"1\n00:00:01,000 --> 00:00:02,000\nfirst\n\nstray line\n\n2\n00:00:03,000 --> 00:00:04,000\nsecond\n"
    document = parse_document("a.srt", source)
    assert document.segments == ["first", "stray line", "second"]
    assert translate(document, lambda t: t) == source


def test_srt_without_numbers_is_accepted() -> None:
    source = b"00:00:01,000 --> 00:00:02,000\nno number\n"
    assert parse_document("a.srt", source).segments == ["no number"]


# ---- vtt ---------------------------------------------------------------------------------------

VTT = b"""WEBVTT - demo
Kind: captions

NOTE a comment that
must not be translated

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.000 align:start
Hi <b>there</b>

00:00:03.000 --> 00:00:04.000
Bye
"""


def test_vtt_headers_notes_and_identifiers_are_kept() -> None:
    document = parse_document("w.vtt", VTT)
    assert document.segments == ["Hi <b>there</b>", "Bye"]
    out = translate(document, str.upper)
    assert out == VTT.replace(b"Hi <b>there</b>", b"HI <B>THERE</B>").replace(b"Bye", b"BYE")


YOUTUBE_DL_VTT = b"""WEBVTT
Kind: captions
Language: en

00:00:00.320 --> 00:00:02.800 align:start position:0%
so today we are going to talk
00:00:02.800 --> 00:00:05.120 align:start position:0%
about the weather and
the budget
00:00:05.120 --> 00:00:07.000 align:start position:0%
thank you
"""


def test_a_vtt_cue_ends_at_the_next_timing_line_even_without_a_blank_line() -> None:
    document = parse_document("yt.vtt", YOUTUBE_DL_VTT)
    assert document.segments == ["so today we are going to talk", "about the weather and\nthe budget", "thank you"]
    out = translate(document, he)
    lines = out.decode().splitlines()
    assert [line for line in lines if "-->" in line] == [
        line for line in YOUTUBE_DL_VTT.decode().splitlines() if "-->" in line]
    assert lines[5] == "[he] so today we are going to talk" and lines[-1] == "[he] thank you"


def test_an_srt_cue_ends_at_the_next_number_and_timing_line() -> None:
    source = b"1\n00:00:01,000 --> 00:00:02,000\nfirst\n2\n00:00:02,000 --> 00:00:03,000\nsecond\n"
    document = parse_document("a.srt", source)
    assert document.segments == ["first", "second"]
    assert translate(document, he) == source.replace(b"first", b"[he] first").replace(b"second", b"[he] second")


def test_a_bad_timing_line_in_back_to_back_cues_names_its_line() -> None:
    with pytest.raises(DocumentError, match=r"line 5 \(cue 2\): bad timestamp"):
        parse_document("b.vtt", b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n00:02.000 --> nope\nthere\n")


# ---- json --------------------------------------------------------------------------------------


def test_json_list_splices_texts_and_keeps_everything_else() -> None:
    source = '[\n  {"start": 0.0, "text": " Hello \\u00e9\\/x", "speaker": "A"},\n  {"text": "", "end": 2}\n]\n'
    document = parse_document("p.json", source.encode())
    assert document.segments == [" Hello é/x"]
    out = translate(document, lambda t: "שלום \"עולם\"")
    assert out.decode() == '[\n  {"start": 0.0, "text": " שלום \\"עולם\\"", "speaker": "A"},\n  {"text": "", "end": 2}\n]\n'


def test_json_object_with_segments_list() -> None:
    source = {"text": "not a segment", "segments": [{"id": 1, "text": "one"}, {"text": "two", "id": 2}]}
    data = json.dumps(source, indent=4).encode()
    document = parse_document("p.json", data)
    assert document.segments == ["one", "two"]
    out = json.loads(translate(document, str.upper))
    assert out == {"text": "not a segment", "segments": [{"id": 1, "text": "ONE"}, {"text": "TWO", "id": 2}]}


def test_json_duplicate_text_key_uses_the_last_like_json_loads() -> None:
    data = b'[{"text": "first", "text": "second"}]'
    document = parse_document("p.json", data)
    assert document.segments == ["second"]
    assert translate(document, str.upper) == b'[{"text": "first", "text": "SECOND"}]'


def test_json_text_with_a_blank_line_round_trips() -> None:
    data = json.dumps([{"text": "para one\n\npara two"}, {"text": "next"}]).encode()
    document = parse_document("p.json", data)
    chunks = make_chunks(document.segments, 1500, 10)
    assert [c.segment_count for c in chunks] == [1, 1]  # the blank-line segment travels alone
    assert render_document(document, chunks, {c.index: c.text for c in chunks}) == data


# ---- bad input ---------------------------------------------------------------------------------

BAD_INPUT = [
    ("a.txt", b"hello\x00world", "a.txt: binary file (NUL byte at offset 5)"),
    ("a.txt", bytes(range(0x80, 0x100)) * 3,
     "a.txt: not UTF-8 (byte 0x80 at offset 0), and no other text encoding fits; name it with --encoding"),
    ("a.txt", b"\xef\xbb\xbfok \xff", "a.txt: not valid UTF-8 (byte 0xff at offset 6)"),
    ("a.txt", b"\xff\xfeh\x00i", "a.txt: not valid UTF-16 (byte 0x69 at offset 4)"),
    ("a.txt", b"\xff\xfeh\x00\x00\x00", "a.txt: binary file (NUL character at offset 1)"),
    ("a.txt", b"", "a.txt: empty file"),
    ("a.md", b"  \n\n\t\n", "a.md: empty file"),
    ("a.md", b"```\ncode only\n```\n", "a.md: no translatable text"),
    ("a.srt", b"1\n00:00:01,000 --> 00:00:0x,000\nhi\n", "a.srt: line 2 (cue 1): bad timestamp '00:00:01,000 --> 00:00:0x,000'"),
    ("a.srt", b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:61:00,000 --> 00:61:01,000\nx\n",
     "a.srt: line 6 (cue 2): bad timestamp '00:61:00,000 --> 00:61:01,000'"),
    ("a.srt", b"1\nHello\n", "a.srt: line 2 (cue 1): expected a timestamp line, found 'Hello'"),
    ("a.srt", b"7\n", "a.srt: line 1 (cue 7): no timestamp line follows"),
    ("a.srt", b"Just some text\n", "a.srt: line 1: expected a cue number, found 'Just some text'"),
    ("a.srt", b"1\n00:00:01,000 --> 00:00:02,000\n\n", "a.srt: no translatable text"),
    ("a.vtt", b"hello\n", "a.vtt: missing the WEBVTT line at the top"),
    ("a.vtt", b"WEBVTT\n\n00:01.000 --> 00:02.00\nhi\n", "a.vtt: line 3 (cue 1): bad timestamp '00:01.000 --> 00:02.00'"),
    ("a.vtt", b"WEBVTT\n\ntext without timing\n", "a.vtt: line 3: expected a cue timing line, found 'text without timing'"),
    ("a.json", b'{"segments": [\n  {"text": "a"}\n  {"text": "b"}]}',
     "a.json: invalid JSON at line 3, column 3: Expecting ',' delimiter"),
    ("a.json", b'{"items": []}', 'a.json: no "segments" list in the JSON object'),
    ("a.json", b'"just a string"', "a.json: the JSON holds a single string"),
    ("a.json", b'[{"text": "ok"}, {"txt": "typo"}]', 'a.json: segments[1] has no "text" string'),
    ("a.json", b'[{"text": 5}]', 'a.json: segments[0] has no "text" string'),
    ("a.json", b"[]", "a.json: no translatable text"),
    ("a.json", b'[{"text": "  "}]', "a.json: no translatable text"),
    ("a.json", b'[{"text": "\\ud800"}]', "a.json: segments[0].text holds an unpaired \\u surrogate escape"),
    ("a.json", b"[" * 100_000, "a.json: invalid JSON"),
    ("a.odt", b"PK\x03\x04", "a.odt: unsupported file type (supported: .txt, .md, .srt, .vtt, .json, .ass, "
                               ".ssa, .html, .htm, .po, .docx, .epub)"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_INPUT, ids=[r for _, _, r in BAD_INPUT])
def test_bad_input_is_a_document_error_with_the_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(name, data)
    assert str(caught.value).startswith(reason)


def test_extension_is_case_insensitive() -> None:
    assert parse_document("SHOUT.TXT", b"hi").format == "txt"


# ---- encodings ---------------------------------------------------------------------------------

SRT_TEXT = "1\r\n00:00:01,000 --> 00:00:02,500\r\nCafé crème, déjà vu — naïve « façade ».\r\n\r\n" \
           "2\r\n00:00:03,000 --> 00:00:04,000\r\nשלום · Grüße\r\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_bom_marked_utf16_and_utf32_are_read_and_written_back_as_utf8(codec: str) -> None:
    bom = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}.get(codec, b"")
    data = bom + SRT_TEXT.encode(codec)
    document = parse_document("film.srt", data)
    assert document.segments == ["Café crème, déjà vu — naïve « façade ».", "שלום · Grüße"]
    assert document.converted and document.crlf and document.bom
    chunks = make_chunks(document.segments, 200, 10)
    out = render_document(document, chunks, {c.index: c.text for c in chunks})
    assert out == b"\xef\xbb\xbf" + SRT_TEXT.encode("utf-8")


def test_a_legacy_encoding_is_detected_and_converted() -> None:
    latin = SRT_TEXT.replace("שלום · ", "")
    document = parse_document("film.srt", latin.encode("cp1252"))
    assert document.encoding == "cp1252" and document.converted and not document.bom
    assert document.segments == ["Café crème, déjà vu — naïve « façade ».", "Grüße"]
    assert utf8_source(document, latin.encode("cp1252")) == latin.encode("utf-8")


def test_an_encoding_named_by_the_user_replaces_detection_but_never_beats_utf8() -> None:
    hebrew = "1\n00:00:01,000 --> 00:00:02,000\nשלום עולם, זה מבחן.\n"
    assert parse_document("a.srt", hebrew.encode("cp1255"), encoding="cp1255").segments == ["שלום עולם, זה מבחן."]
    assert parse_document("a.srt", hebrew.encode("utf-8"), encoding="cp1255").encoding == "utf-8"
    with pytest.raises(DocumentError, match=r"a.srt: not valid CP1255"):
        parse_document("a.srt", b"1\n00:00:01,000 --> 00:00:02,000\n\xfd\xfe\xff\n", encoding="cp1255")
