"""``scribe-tui progress DOCUMENT`` by id and by path, on a real store."""

from __future__ import annotations

import pytest

from tests._commands_support import isolate, populate, run_cli, run_json, write_config


@pytest.fixture
def env(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    populated = populate(tmp_path)
    common = ["--data-dir", str(populated.data_dir), "--config", str(write_config(tmp_path))]
    return populated, common


def test_progress_by_id_per_language(env, capsys):
    p, common = env
    code, report = run_json(capsys, "progress", str(p.doc_a), *common)
    assert code == 0
    [document] = report["documents"]
    assert document["document_id"] == p.doc_a and document["path"].endswith("a.txt")
    he, de = document["languages"]["he"], document["languages"]["de"]
    assert (he["status"], he["chunks_done"], he["chunks_total"], he["chunks_failed"]) == ("completed", 3, 3, 0)
    assert (de["status"], de["chunks_done"], de["chunks_total"], de["chunks_failed"]) == ("processing", 1, 3, 0)
    assert he["job_id"] == p.a_he and de["job_id"] == p.a_de


def test_progress_counts_failed_chunks(env, capsys):
    p, common = env
    code, report = run_json(capsys, "progress", str(p.doc_b), *common)
    assert code == 0
    he = report["documents"][0]["languages"]["he"]
    assert (he["status"], he["chunks_failed"], he["chunks_total"]) == ("failed", 1, 2)
    assert "ChunkRejected" in he["error"]


def test_progress_by_absolute_and_relative_path(env, capsys, monkeypatch):
    p, common = env
    code, report = run_json(capsys, "progress", str(p.docs_dir / "b.srt"), *common)
    assert code == 0 and report["documents"][0]["document_id"] == p.doc_b
    monkeypatch.chdir(p.docs_dir)
    code, report = run_json(capsys, "progress", "a.txt", *common)
    assert code == 0 and report["documents"][0]["document_id"] == p.doc_a


def test_progress_text_table(env, capsys):
    p, common = env
    code, out, _ = run_cli(capsys, "progress", str(p.doc_a), *common)
    assert code == 0
    assert out.splitlines()[0].startswith(f"document {p.doc_a}: ")
    de_line = next(line for line in out.splitlines() if line.startswith("de "))
    assert "1/3" in de_line and "33%" in de_line


def test_progress_unknown_document_exits_1(env, capsys):
    _, common = env
    code, out, err = run_cli(capsys, "progress", "no-such-file.txt", *common)
    assert code == 1 and out == ""
    assert "no document with id or path 'no-such-file.txt'" in err
    code, _, _ = run_cli(capsys, "progress", "777", *common)
    assert code == 1
