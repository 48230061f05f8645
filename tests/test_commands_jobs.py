"""``scribe-tui jobs list|retry|cancel`` against a real job store in tmp_path."""

from __future__ import annotations

import json

import pytest
from tests._commands_support import isolate, populate, run_cli, run_json, run_subprocess, write_config

from scribe_tui.store import JobStore


@pytest.fixture
def env(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    populated = populate(tmp_path)
    common = ["--data-dir", str(populated.data_dir), "--config", str(write_config(tmp_path))]
    return populated, common


def test_list_json_has_every_job_with_its_state(env, capsys):
    p, common = env
    code, jobs = run_json(capsys, "jobs", "list", *common)
    assert code == 0
    by_id = {job["id"]: job for job in jobs}
    assert set(by_id) == {p.a_he, p.a_de, p.b_he, p.unreadable}
    assert by_id[p.a_he]["status"] == "completed"
    assert (by_id[p.a_he]["chunks_done"], by_id[p.a_he]["chunks_total"]) == (3, 3)
    assert (by_id[p.a_de]["status"], by_id[p.a_de]["chunks_done"], by_id[p.a_de]["language"]) == ("processing", 1, "de")
    assert by_id[p.b_he]["status"] == "failed"
    assert "ChunkRejected" in by_id[p.b_he]["error"]
    assert by_id[p.a_he]["path"].endswith("a.txt")


def test_list_filters_by_status_and_language(env, capsys):
    p, common = env
    _, failed = run_json(capsys, "jobs", "list", "--status", "failed", *common)
    assert sorted(job["id"] for job in failed) == sorted([p.b_he, p.unreadable])
    _, german = run_json(capsys, "jobs", "list", "--language", "DE", *common)
    assert [job["id"] for job in german] == [p.a_de]
    _, several = run_json(capsys, "jobs", "list", "--status", "completed,processing", *common)
    assert [job["id"] for job in several] == sorted([p.a_he, p.a_de])
    _, searched = run_json(capsys, "jobs", "list", "--search", "b.srt", *common)
    assert [job["id"] for job in searched] == [p.b_he]


def test_list_table_is_aligned(env, capsys):
    p, common = env
    code, out, _ = run_cli(capsys, "jobs", "list", *common)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "status", "lang", "chunks", "attempts", "qa", "provider", "document", "error"]
    assert len(lines) == 5
    status_column = lines[0].index("status")
    for line in lines[1:]:
        assert line[status_column:].split()[0] in {"completed", "processing", "failed"}
    failed_line = next(line for line in lines if "b.srt" in line)
    assert "ChunkRejected" in failed_line and "0/2" in failed_line


def test_list_rejects_unknown_status_and_language(env, capsys):
    _, common = env
    code, _, err = run_cli(capsys, "jobs", "list", "--status", "finished", *common)
    assert code == 2 and "unknown status 'finished'" in err
    code, _, err = run_cli(capsys, "jobs", "list", "--language", "klingon", *common)
    assert code == 2 and "klingon" in err


def test_cancel_reports_each_id_and_exits_1_for_unknown(env, capsys):
    p, common = env
    code, out, _ = run_cli(capsys, "jobs", "cancel", str(p.a_de), str(p.a_he), "999", *common)
    assert code == 1
    assert f"job {p.a_de} cancelled" in out
    assert f"job {p.a_he}: already completed" in out
    assert "job 999: no such job" in out
    with JobStore.open(p.data_dir) as store:
        assert store.job(p.a_de).status == "cancelled"
        assert store.job(p.a_he).status == "completed"


def test_cancel_json_and_exit_0_when_all_found(env, capsys):
    p, common = env
    code, report = run_json(capsys, "jobs", "cancel", str(p.a_de), *common)
    assert code == 0
    assert report == {"action": "cancel", "cancelled": [p.a_de], "unchanged": [], "not_found": []}


def test_retry_failed_requeues_failed_jobs(env, capsys):
    p, common = env
    code, out, _ = run_cli(capsys, "jobs", "retry", "--failed", *common)
    assert code == 0
    assert out.strip() == f"job {p.b_he} requeued"
    with JobStore.open(p.data_dir) as store:
        assert store.job(p.b_he).status == "queued"
        assert store.job(p.unreadable).status == "failed"


def test_retry_by_id_explains_every_id(env, capsys):
    p, common = env
    code, out, _ = run_cli(capsys, "jobs", "retry", str(p.b_he), str(p.a_he), str(p.unreadable), "4242", *common)
    assert code == 1
    assert f"job {p.b_he} requeued" in out
    assert f"job {p.a_he}: not retried: it is already completed, there is nothing to retry" in out
    assert f"job {p.unreadable}: its document could not be read" in out
    assert "job 4242: no such job" in out


def test_retry_of_a_completed_job_says_so_and_exits_1(env, capsys):
    p, common = env
    code, out, _ = run_cli(capsys, "jobs", "retry", str(p.a_he), *common)
    assert code == 1
    assert out.strip().splitlines() == [out.strip()]
    assert out.startswith(f"job {p.a_he}: not retried: it is already completed, there is nothing to retry")
    code, report = run_json(capsys, "jobs", "retry", str(p.a_he), *common)
    assert code == 1 and report["unchanged"] == [p.a_he]


def test_retry_a_cancelled_job_by_id(env, capsys):
    p, common = env
    run_cli(capsys, "jobs", "cancel", str(p.a_de), *common)
    code, report = run_json(capsys, "jobs", "retry", str(p.a_de), *common)
    assert code == 0 and report["requeued"] == [p.a_de]
    with JobStore.open(p.data_dir) as store:
        assert store.job(p.a_de).status == "queued"


def test_retry_usage_errors(env, capsys):
    p, common = env
    code, _, err = run_cli(capsys, "jobs", "retry", *common)
    assert code == 2 and "--failed" in err
    code, _, err = run_cli(capsys, "jobs", "retry", "--failed", str(p.b_he), *common)
    assert code == 2 and "not both" in err
    code, _, err = run_cli(capsys, "jobs", *common)
    assert code == 2


def test_jobs_list_and_cancel_in_a_real_process(env, tmp_path):
    p, common = env
    listed = run_subprocess(["jobs", "list", "--json", *common], {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert listed.returncode == 0, listed.stderr
    assert {job["id"] for job in json.loads(listed.stdout)} == {p.a_he, p.a_de, p.b_he, p.unreadable}
    cancelled = run_subprocess(["jobs", "cancel", "31337", *common], {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert cancelled.returncode == 1
    assert "job 31337: no such job" in cancelled.stdout
