"""The operator commands against the store a real ``scribe-tui --batch`` run leaves (worker
processes, the openai SDK over HTTP to the simulator, real SQLite files), each value checked
against the run's own JSON summary: ``status``, ``progress`` and ``metrics`` after a finished
run, ``status --follow`` watching a live one, and a job dead-lettered by a run that
``jobs retry`` and the next run complete."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from scribe_tui.cli import main
from scribe_tui.documents import parse_document
from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from tests.engine_support import expected_output, make_corpus, popen_cli, run_cli, wait_for, write_config

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]




def command_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def batch(config: Path, *paths: str) -> dict:
    proc = run_cli("--batch", *paths, "--to", "he", "--config", str(config), "--json", timeout=150)
    assert "Traceback" not in proc.stderr, proc.stderr
    return {"returncode": proc.returncode, **json.loads(proc.stdout)}


def test_status_progress_and_metrics_of_a_finished_run_say_what_its_summary_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=20, limits=("3/1s",))).start()  # 429s: ours is unset
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=3)
        config = write_config(tmp_path, sim_url=server.url, workers=2, max_concurrency=4)
        summary = batch(config, str(corpus))
    finally:
        server.stop()
    assert summary["returncode"] == 0 and summary["rate_limited"] > 0
    common = ("--config", str(config))

    status = command_json(capsys, "status", *common)
    assert status["supervisor"]["alive"] is False
    assert {k: v for k, v in status["jobs"].items() if v} == {"completed": summary["completed"]}
    assert {k: v for k, v in status["chunks"].items() if v} == {"done": summary["chunks"]}
    assert status["languages"]["he"].get("completed") == summary["jobs"] and status["remaining_chunks"] == 0
    assert sum(status["throughput"]["per_minute"]) == summary["chunks"]

    documents = sorted(p for p in corpus.iterdir())
    chunks = 0
    for source in documents:
        report = command_json(capsys, "progress", str(source), *common)
        [document] = report["documents"]  # type: ignore[index]
        he = document["languages"]["he"]
        assert he["status"] == "completed" and he["chunks_done"] == he["chunks_total"] and he["chunks_failed"] == 0
        chunks += he["chunks_total"]
    assert chunks == summary["chunks"] and len(documents) == summary["documents"]

    metrics = command_json(capsys, "metrics", *common)
    sim = metrics["providers"]["sim"]  # type: ignore[index]
    assert (sim["requests"], sim["cached"], sim["rate_limited"]) == (
        summary["requests"], summary["cache_hits"], summary["rate_limited"])
    assert sim["ok"] == summary["chunks"]
    assert (sim["tokens_in"], sim["tokens_out"], sim["characters"]) == (
        summary["tokens_in"], summary["tokens_out"], summary["characters"])
    assert sim["cost_usd"] == pytest.approx(summary["cost_usd"], abs=1e-6)


def after_the_run(lines: list[dict]) -> dict | None:
    """The first refresh that found the supervisor gone after one that found it alive."""
    seen_alive = False
    for line in list(lines):
        if line["supervisor"]["alive"]:
            seen_alive = True
        elif seen_alive:
            return line
    return None


def test_status_follow_watches_a_live_run_to_its_end(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=150)).start()
    lines: list[dict] = []
    run: subprocess.Popen | None = None
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=6)
        config = write_config(tmp_path, sim_url=server.url, workers=1, max_concurrency=2)
        follow = popen_cli("status", "--follow", "--json", "--interval", "0.2", "--config", str(config))
        reader = threading.Thread(target=lambda: lines.extend(json.loads(line) for line in follow.stdout), daemon=True)
        reader.start()
        wait_for(lambda: lines, 60, "status --follow to be up")  # watching before the run starts
        run = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
        try:
            stdout, stderr = run.communicate(timeout=150)
            assert run.returncode == 0, stderr
            summary = json.loads(stdout)
            wait_for(lambda: after_the_run(lines), 30, "a refresh taken after the run ended")
            follow.send_signal(signal.SIGINT)
            follow.wait(timeout=30)
            reader.join(10)
        finally:
            for proc in (follow, run):
                if proc is not None and proc.poll() is None:
                    proc.kill()
    finally:
        server.stop()
    assert follow.returncode == 0
    live = [line for line in lines if line["supervisor"]["alive"]]
    assert live, "no refresh saw the run alive"
    done = [line["chunks"].get("done", 0) for line in live]
    assert done == sorted(done) and done[0] < summary["chunks"]  # it watched the work happen
    assert any(line["workers"] for line in live)
    last = after_the_run(lines)
    assert last is not None
    assert last["jobs"].get("completed") == summary["completed"] == summary["jobs"]
    assert last["chunks"].get("done") == summary["chunks"] and last["remaining_chunks"] == 0


def test_a_job_dead_lettered_by_a_run_is_completed_by_jobs_retry_and_the_next_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text("# Guide\n\nFirst paragraph of the guide.\n\nSecond paragraph.\n")
    (corpus / "talk.txt").write_text("A plain talk, which has no fences to break.\n")
    server = SimulatorServer(SimulatorConfig(latency_ms=5, mangle="add_fence")).start()  # every reply breaks Markdown
    try:
        config = write_config(tmp_path, sim_url=server.url, workers=1, max_attempts=2)
        first = batch(config, str(corpus))
        assert first["returncode"] == 1 and first["completed"] == 1 and first["dead"] == 1
        [dead] = command_json(capsys, "jobs", "list", "--status", "dead", "--config", str(config))  # type: ignore[misc]
        assert dead["path"].endswith("guide.md") and dead["id"] == first["failures"][0]["job_id"]

        server.control(mangle="")  # the model behaves again
        retried = command_json(capsys, "jobs", "retry", "--failed", "--config", str(config))
        assert retried["requeued"] == [dead["id"]]  # type: ignore[index]
        sent_before = server.stats()["requests_total"]
        second = batch(config)  # no paths: drain what is queued
        sent = server.stats()["requests_total"] - sent_before
    finally:
        server.stop()
    assert second["returncode"] == 0 and second["completed"] == second["jobs"] == 1 and second["dead"] == 0
    assert sent == second["requests"] == second["chunks"]  # only the retried job's chunks were sent again
    jobs = command_json(capsys, "jobs", "list", "--config", str(config))
    assert sorted(job["status"] for job in jobs) == ["completed", "completed"]  # type: ignore[union-attr]
    guide = corpus / "guide.md"  # (talk.txt took the fenced replies: a fence means nothing in plain text)
    assert parse_document("guide.md", (tmp_path / "out" / "he" / "guide.md").read_bytes()).segments == (
        expected_output(guide, "he"))
