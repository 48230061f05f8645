"""The formats their own libraries read back, through the real path: ``scribe-tui --batch`` with
worker processes, the openai SDK over HTTP to the simulator and real SQLite files. Each output
is re-opened by its library; a damaged file fails alone with its reason."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from scribe_tui.simulator import pseudo_translate
from tests.format_samples import HTML_PAGE, PNG, ass_script, docx_bytes, epub_bytes, po_text
from tests.test_batch_outputs import cli_in, config_for, sent_texts, sim  # noqa: F401 (sim is a fixture)

pytestmark = pytest.mark.timeout(180)


def test_every_new_format_translates_through_the_batch_and_a_damaged_one_fails_alone(tmp_path: Path, sim) -> None:
    import docx
    import polib
    import pysubs2
    from ebooklib import epub

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "talk.ass").write_text(ass_script())
    (corpus / "old.ssa").write_text(ass_script(["Plain old line"]))
    (corpus / "notes.html").write_text(HTML_PAGE)
    (corpus / "app.po").write_text(po_text())
    (corpus / "report.docx").write_bytes(docx_bytes())
    (corpus / "book.epub").write_bytes(epub_bytes())
    (corpus / "broken.docx").write_bytes(docx_bytes()[:900])
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "docs", "--to", "de", "--config", str(config), "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["completed"] == 6 and summary["failed"] == 1
    [failure] = summary["failures"]
    assert failure["document"].endswith("broken.docx") and "not a Word document python-docx can open" in failure["error"]

    sent = sent_texts(sim)
    for never in (r"{\i1}", "do not translate", "make test", "%(name)s", "print('untouched')", "images/dot.png"):
        assert never not in sent
    out = tmp_path / "out" / "de"

    def de(text: str) -> str:
        return pseudo_translate(text, "de")

    subs = pysubs2.load(str(out / "talk.ass"))
    sent_line = de("Hello⟦1⟧, world!\nSecond line")
    assert subs[0].text == r"{\i1}" + sent_line.replace("⟦1⟧", r"{\i0}").replace("\n", r"\N")
    assert "<title>" + de("Release notes") + "</title>" in (out / "notes.html").read_text()
    catalogue = polib.pofile(str(out / "app.po"))
    assert catalogue.find("Open file").msgstr == de("Open file") and catalogue.metadata["Language"] == "de"
    report = docx.Document(str(out / "report.docx"))
    assert report.paragraphs[0].text == de("Quarterly report")
    assert [run.bold for run in report.paragraphs[1].runs] == [False, True, False]
    book = epub.read_epub(str(out / "book.epub"))
    assert book.get_metadata("DC", "title")[0][0] == de("The Quiet Queue")
    assert book.get_item_with_href("images/dot.png").get_content() == PNG
    assert (out / "old.ssa").exists() and not (out / "broken.docx").exists()
    assert io.BytesIO((out / "book.epub").read_bytes()).read(4) == b"PK\x03\x04"


def test_help_and_an_empty_directory_name_the_new_formats(tmp_path: Path, sim) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "scan.pdf").write_bytes(b"%PDF-1.4")
    proc = cli_in(tmp_path, "--batch", "docs", "--to", "de", "--config", str(config_for(tmp_path, sim)))
    assert proc.returncode == 2, proc.stderr  # issue 17 item 8: nothing to translate is a usage error
    assert ("no .txt, .md, .srt, .vtt, .json, .ass, .ssa, .html, .htm, .po, .docx or .epub files under "
            f"{tmp_path / 'docs'}") in proc.stderr
    usage = cli_in(tmp_path, "--help")
    assert "ass/ssa" in usage.stdout and "docx" in usage.stdout and "epub, po" in usage.stdout
