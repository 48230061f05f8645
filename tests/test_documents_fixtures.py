"""The formats we claim, on real-world-style files (tests/fixtures, written for these tests in
the shapes tools produce: youtube-dl and Whisper subtitles, a Whisper JSON transcript, a
project README with HTML, alerts, footnotes and tables, a Jekyll post, legacy encodings):
an identity translation reproduces each file (as UTF-8), a real one keeps its structure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scribe_tui.documents import make_chunks, parse_document, render_document
from scribe_tui.documents.reader import utf8_source
from scribe_tui.documents.reply_checks import check_reply

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ALL = sorted(path.name for path in FIXTURES.iterdir())


def he(text: str) -> str:
    return "\n".join("[he] " + line if line.strip() else line for line in text.split("\n"))


def rendered(name: str, transform) -> tuple[bytes, bytes]:
    data = (FIXTURES / name).read_bytes()
    document = parse_document(name, data)
    chunks = make_chunks(document.segments, 60, 10)
    replies = {chunk.index: transform(chunk.text) for chunk in chunks}
    for chunk in chunks:
        check_reply(chunk.text, replies[chunk.index], document.format)  # what the engine would accept
    return utf8_source(document, data), render_document(document, chunks, replies)


@pytest.mark.parametrize("name", ALL)
def test_identity_reproduces_every_fixture(name: str) -> None:
    source, out = rendered(name, lambda text: text)
    assert out == source


@pytest.mark.parametrize("name", ALL)
def test_a_translation_keeps_every_fixtures_structure(name: str) -> None:
    source, out = rendered(name, he)
    before, after = parse_document(name, source), parse_document(name, out)
    assert after.template == before.template
    assert all(segment.lstrip().startswith("[he] ") for segment in after.segments)
    if name.endswith((".srt", ".vtt")):
        timing = [line for line in source.decode().splitlines() if "-->" in line]
        assert [line for line in out.decode().splitlines() if "-->" in line] == timing


def segments(name: str) -> list[str]:
    return parse_document(name, (FIXTURES / name).read_bytes()).segments


def test_youtube_dl_cues_back_to_back_are_separate_cues() -> None:
    assert segments("youtube-dl.en.vtt") == [
        "so today we're going to look at how the", "queue keeps working when a worker dies",
        "and why nothing gets paid for twice", "[Music]",
        "first let's start the simulator\nso we have something to talk to"]


def test_the_readme_sends_prose_only() -> None:
    sent = "\n".join(segments("project-readme.md"))
    for code in ("python3 -m venv", "pip install scribe", "python3 --version", "iVBORw0KGgo", "raw.githubusercontent",
                 "img.shields.io", "align=", "[!NOTE]", "examples/", "CONTRIBUTING.md"):
        assert code not in sent, code
    for prose in ("Scribe logo", "Read the documentation", "Scribe needs Python 3.11 or newer.",
                  "Create a virtual environment:", "Durable queue", "one file per supported format.",
                  "Each of them translates in a few seconds on the demo provider.", "Made with care."):
        assert prose in sent, prose


def test_jekyll_front_matter_and_liquid_stay_and_a_leading_rule_is_not_front_matter() -> None:
    assert segments("jekyll-post.md") == ["Version 2 is out. Read the ⟦1⟧ release notes below.",
                                          "Upgrade with ⟦1⟧ today."]
    assert segments("rule-first.md")[0] == "__Bold :)__"


def test_legacy_encodings_are_read() -> None:
    data = (FIXTURES / "windows-1252.srt").read_bytes()
    assert parse_document("windows-1252.srt", data).encoding == "cp1252"
    assert segments("windows-1252.srt")[0] == "Café crème, déjà vu — naïve « façade »."
    assert segments("utf-16-bom.srt") == ["Hello from a UTF-16 file.", "שלום, Grüße, привет."]


def test_whisper_json_keeps_every_other_field() -> None:
    source, out = rendered("whisper.json", he)
    before, after = json.loads(source), json.loads(out)
    assert [s["text"] for s in after["segments"]] == [  # the source's leading space kept, blank text untouched
        " [he]  Welcome back to the channel.", " [he]  Today we’re translating subtitles — \"all of them\".", " "]
    strip = lambda data: [{k: v for k, v in s.items() if k != "text"} for s in data["segments"]]  # noqa: E731
    assert strip(after) == strip(before) and after["text"] == before["text"] and after["language"] == "en"
    assert re.search(r'"avg_logprob": -0\.2210', out.decode())  # numbers spelled as in the source
