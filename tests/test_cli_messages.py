"""What the user is told when something needs doing (issue 17 items 5, 7 and 8), through the
real ``scribe-tui`` CLI: one line saying what is wrong and what to run, and the contract's
exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine_support import run_cli, write_config

pytestmark = pytest.mark.timeout(180)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_an_empty_directory_is_a_usage_error_naming_the_formats(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.pdf").write_bytes(b"%PDF")  # unsupported files do not count
    config = write_config(tmp_path)
    for extra in ([], ["--dry-run"]):
        proc = run_cli("--batch", str(empty), "--to", "he", "--config", str(config), *extra)
        assert proc.returncode == 2, proc.stderr
        assert error_lines(proc.stderr) == ["scribe-tui: error: no .txt, .md, .srt, .vtt, .json, .ass, .ssa, .html, "
                                            f".htm, .po, .docx or .epub files under {empty}"]
    proc = run_cli("translate", str(empty), "--to", "he", "--async", "--config", str(config))
    assert proc.returncode == 2 and f"files under {empty}" in proc.stderr


def test_an_unknown_provider_flag_names_it_and_the_configured_ones(tmp_path: Path) -> None:
    config = write_config(tmp_path, sim_url="http://127.0.0.1:9")
    proc = run_cli("--batch", "examples", "--to", "he", "--provider", "nosuch", "--config", str(config))
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == ["scribe-tui: error: --provider: unknown provider 'nosuch' (configured: demo, sim)"]


def test_jobs_queued_with_another_config_are_refused_up_front_and_stay_queued(tmp_path: Path) -> None:
    from scribe_tui.store import JobStore

    doc = tmp_path / "a.txt"
    doc.write_text("Hello.\n")
    sim_config = write_config(tmp_path, sim_url="http://127.0.0.1:9")
    queued = run_cli("translate", str(doc), "--to", "he", "--async", "--json", "--config", str(sim_config))
    assert queued.returncode == 0, queued.stderr
    job_id = json.loads(queued.stdout)["job_ids"][0]
    # the same data directory, without the file that defines 'sim'
    env = {"SCRIBE_DATA_DIR": str(tmp_path / "data"), "SCRIBE_CACHE__DIR": str(tmp_path / "cache"),
           "XDG_CONFIG_HOME": str(tmp_path / "no-config")}
    proc = run_cli("--batch", env=env)
    assert proc.returncode == 2, proc.stderr
    assert error_lines(proc.stderr) == [
        f"scribe-tui: error: job {job_id} needs provider 'sim', which this configuration does not define;"
        f" pass --config {sim_config}"]
    with JobStore.open(tmp_path / "data") as store:
        assert store.job(job_id).status == "queued"
    health = run_cli("health", "--json", env=env)
    assert health.returncode == 1, health.stdout
    report = json.loads(health.stdout)
    assert not report["healthy"]
    check = next(c for c in report["checks"] if c["name"] == "queued jobs")
    assert not check["ok"] and f"pass --config {sim_config}" in check["summary"]


def test_a_rejected_key_is_said_once_in_words_naming_the_variable(tmp_path: Path) -> None:
    from scribe_tui.simulator import SimulatorConfig, SimulatorServer
    from tests.engine_support import SIM_KEY_ENV, make_corpus

    server = SimulatorServer(SimulatorConfig(api_key="the-right-key")).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=2)
        config = write_config(tmp_path, sim_url=server.url, workers=1, heartbeat_timeout_s=60)
        proc = run_cli("--batch", str(corpus), "--to", "he,de", "--config", str(config), env={SIM_KEY_ENV: "wrong"})
    finally:
        server.stop()
    assert proc.returncode == 1, proc.stderr
    said = [line for line in proc.stderr.splitlines() if "key" in line or "401" in line]
    assert len(said) == 1, proc.stderr
    assert said[0].endswith(f"provider 'sim' rejected the key in {SIM_KEY_ENV} (HTTP 401); "
                            "fix it and run `scribe-tui jobs retry --failed`"), said[0]
    assert "ProviderUnavailable" not in proc.stderr and "HTTP 401: HTTP 401" not in proc.stderr
