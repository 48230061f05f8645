"""Parsing and chunking stay linear on hostile input: the inputs here took from 40 seconds to
hours with the regular expressions the Markdown reader used before, and a 10 MB line without
whitespace took 1.6 GB to chunk. The bounds are loose on purpose (a loaded shared machine):
they only catch quadratic behaviour, not a slow constant."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from scribe_tui.documents import make_chunks, parse_document
from scribe_tui.errors import DocumentError

MB = 1_000_000

HOSTILE_MARKDOWN = {
    "80,000 spaces in a heading": "#" + " " * 80_000 + "x\n",  # 8,000 took 0.4 s, 32,000 took 33 s
    "a heading of 1 MB of spaces": "#" + " " * MB + "x\n",  # hours
    "a 1 MB heading": "# " + "a " * (MB // 2) + "#\n",
    "a 1 MB line": "word " * (MB // 5) + "\n",
    "a 1 MB line without spaces": "x" * MB + "\n",
    "a 1 MB line of brackets": "x " + "[" * MB + "]\n",
    "a 1 MB line of link openers": "x " + "](" * (MB // 2) + "\n",
    "a 1 MB line of lone backticks": "x " + "`a" * (MB // 2) + "\n",
    "a 1 MB line of unclosed tags": "x " + '<a b="' * (MB // 6) + "\n",
    "a 1 MB line of unclosed comments": "x " + "<!--" * (MB // 4) + "\n",
    "a 1 MB line of template openers": "x " + "{{" * (MB // 2) + "\n",
    "emphasis runs": "*a **b " * (MB // 7) + "\n",
    "deep block quotes": "> " * 50_000 + "a\n",
    "deep lists": "- " * 50_000 + "a\n",
    "a 1 MB HTML block": "<div>\n" + "<p>a</p>" * (MB // 8) + "\n</div>\n",
}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(HOSTILE_MARKDOWN))
def test_markdown_parsing_is_linear_on_hostile_input(name: str) -> None:
    started = time.perf_counter()
    try:
        document = parse_document("hostile.md", HOSTILE_MARKDOWN[name].encode())
        make_chunks(document.segments, 1500, 200)
    except DocumentError as error:
        assert "no translatable text" in str(error)
    assert time.perf_counter() - started < 120  # seconds on a loaded machine; quadratic means hours


def test_a_10_mb_line_without_whitespace_is_chunked_in_little_memory() -> None:
    script = textwrap.dedent("""
        import re
        from scribe_tui.documents import make_chunks, parse_document
        document = parse_document("long.txt", b"x" * 10_000_000)
        chunks = make_chunks(document.segments, 1500, 200)
        assert "".join(chunk.text for chunk in chunks) == "x" * 10_000_000
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child of a big pytest
        # worker would report the worker's peak; VmHWM belongs to this process's own memory.
        with open("/proc/self/status") as status:
            peak_kb = int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))
        print(len(chunks), peak_kb // 1024)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    chunks, peak_mb = map(int, proc.stdout.split())
    assert chunks == 1667
    assert peak_mb < 400  # the text, its chunks and the interpreter; 1.6 GB before
