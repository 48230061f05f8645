"""Glossary and quality checks through the real path: ``scribe-tui --batch`` with worker
processes, the official ``openai`` SDK over HTTP to a simulator taught to honour glossary
terms and to spoil translations on purpose (a dropped number, untranslated text, an ignored
term), real SQLite files; then ``jobs list`` and ``scribe-tui qa`` read the findings back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer, pseudo_translate
from tests.engine_support import SIM_KEY_ENV, write_config

pytestmark = pytest.mark.timeout(180)

TEXT = ("The Scheduler started 1250 jobs at 09:30 and finished them in 42 minutes.\n"
        "Every queue was empty afterwards, said the Scheduler.\n")
GLOSSARY = "source,language,target\nScheduler,de,Zeitplaner\nScheduler,he,מתזמן\n"


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, SIM_KEY_ENV: "sk-test-simulator-key-0000"}
    return subprocess.run([sys.executable, "-m", "scribe_tui", *args, "--config", str(tmp_path / "config.toml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=150)


def run_batch(tmp_path: Path, server: SimulatorServer, *extra: str, to: str = "de", on_problem: str = "warn",
              max_attempts: int = 5) -> tuple[subprocess.CompletedProcess, dict]:
    write_config(tmp_path, sim_url=server.url, workers=1, heartbeat_timeout_s=60, max_attempts=max_attempts,
                 max_tokens=400, extra=f'[qa]\non_problem = "{on_problem}"\n')
    proc = cli(tmp_path, "--batch", "talk.txt", "--to", to, "--json", *extra)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else {})


def jobs(tmp_path: Path) -> list[dict]:
    proc = cli(tmp_path, "jobs", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture()
def talk(tmp_path: Path) -> Path:
    path = tmp_path / "talk.txt"
    path.write_text(TEXT, encoding="utf-8")
    (tmp_path / "terms.csv").write_text(GLOSSARY, encoding="utf-8")
    return path


def simulator(**config: object) -> SimulatorServer:
    return SimulatorServer(SimulatorConfig(latency_ms=5, **config)).start()  # type: ignore[arg-type]


def test_the_glossary_reaches_the_model_and_is_part_of_the_cache_key(tmp_path: Path, talk: Path) -> None:
    server = simulator()
    try:
        proc, summary = run_batch(tmp_path, server, "--glossary", "terms.csv")
        assert proc.returncode == 0, proc.stderr
        output = (tmp_path / "out" / "de" / "talk.txt").read_text(encoding="utf-8")
        assert output == pseudo_translate(TEXT.rstrip("\n"), "de", {"Scheduler": "Zeitplaner"}) + "\n"
        assert jobs(tmp_path)[0]["qa_count"] == 0
        # another glossary: not the cached translation, a new request that carries the new term
        (tmp_path / "terms.csv").write_text("Scheduler,de,Planer\n", encoding="utf-8")
        (tmp_path / "out" / "de" / "talk.txt").unlink()
        talk.write_text(TEXT + "\n", encoding="utf-8")  # a new document version: a new job
        proc, summary = run_batch(tmp_path, server, "--glossary", "terms.csv")
        assert proc.returncode == 0, proc.stderr
        assert summary["cache_hits"] == 0 and summary["requests"] >= 1
        assert "Planer" in (tmp_path / "out" / "de" / "talk.txt").read_text(encoding="utf-8")
    finally:
        server.stop()


def test_a_broken_glossary_is_a_configuration_error(tmp_path: Path, talk: Path) -> None:
    (tmp_path / "terms.csv").write_text("Scheduler,xx,Zeitplaner\n", encoding="utf-8")
    server = simulator()
    try:
        proc, _ = run_batch(tmp_path, server, "--glossary", "terms.csv")
    finally:
        server.stop()
    assert proc.returncode == 2 and "line 1: unknown language code 'xx'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_warn_completes_with_findings_shown_by_jobs_list_and_qa(tmp_path: Path, talk: Path) -> None:
    server = simulator(qa_fault="drop_number")
    try:
        proc, summary = run_batch(tmp_path, server, to="de,he")
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert summary["completed"] == 2
    rows = {row["language"]: row for row in jobs(tmp_path)}
    assert [finding["check"] for finding in rows["de"]["qa"]] == ["numbers"]
    assert rows["de"]["qa"][0]["chunk"] == 0 and "1250" in rows["de"]["qa"][0]["message"]
    assert {finding["check"] for finding in rows["he"]["qa"]} == {"numbers", "script"}  # Latin letters for Hebrew
    table = cli(tmp_path, "jobs", "list")
    assert " qa " in table.stdout.splitlines()[0] and "1 ⚠" in table.stdout
    report = cli(tmp_path, "qa", "--json")
    assert report.returncode == 1
    assert {item["language"]: item["qa_count"] for item in json.loads(report.stdout)} == {"de": 1, "he": 2}
    one = cli(tmp_path, "qa", str(rows["de"]["id"]))
    assert one.returncode == 1 and "numbers" in one.stdout and "missing from the translation: 1250" in one.stdout
    by_path = cli(tmp_path, "qa", str(talk), "--json")
    assert len(json.loads(by_path.stdout)) == 2
    assert cli(tmp_path, "qa", "nothing-here.txt").returncode == 1


def test_retry_translates_a_poor_chunk_again_and_keeps_the_good_one(tmp_path: Path, talk: Path) -> None:
    server = simulator(qa_fault="untranslated", qa_fault_times=1)
    try:
        proc, summary = run_batch(tmp_path, server, on_problem="retry")
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert summary["retries"] == 1 and summary["cache_hits"] == 0  # the poor reply was not served from the cache
    assert (tmp_path / "out" / "de" / "talk.txt").read_text(encoding="utf-8") == pseudo_translate(
        TEXT.rstrip("\n"), "de") + "\n"
    assert jobs(tmp_path)[0]["qa_count"] == 0


def test_retry_keeps_the_last_attempt_with_its_findings_when_every_reply_is_poor(tmp_path: Path, talk: Path) -> None:
    server = simulator(qa_fault="untranslated")
    try:
        proc, summary = run_batch(tmp_path, server, on_problem="retry", max_attempts=2)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert summary["retries"] == 1 and summary["completed"] == 1
    assert [finding["check"] for finding in jobs(tmp_path)[0]["qa"]] == ["untranslated"]


def test_fail_fails_the_job_naming_the_problem(tmp_path: Path, talk: Path) -> None:
    server = simulator(qa_fault="ignore_glossary")
    try:
        proc, summary = run_batch(tmp_path, server, "--glossary", "terms.csv", on_problem="fail")
    finally:
        server.stop()
    assert proc.returncode == 1 and summary["failed"] == 1
    row = jobs(tmp_path)[0]
    assert row["status"] == "failed" and "QualityProblem" in row["error"]
    assert "'Scheduler' should be translated as 'Zeitplaner'" in row["error"]
    assert not (tmp_path / "out" / "de" / "talk.txt").exists()
