"""``scribe-tui status [--follow]`` and the supervisor liveness probe, on a real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from scribe_tui.commands import status as status_module
from scribe_tui.commands.supervisor_probe import probe
from scribe_tui.store import JobStore
from tests._commands_support import REPO, isolate, populate, run_cli, run_json, write_config


@pytest.fixture
def env(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    populated = populate(tmp_path)
    common = ["--data-dir", str(populated.data_dir), "--config", str(write_config(tmp_path))]
    return populated, common


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_status_json_counts_throughput_and_eta(env, capsys):
    p, common = env
    code, status = run_json(capsys, "status", *common)
    assert code == 0
    assert status["jobs"]["completed"] == 1 and status["jobs"]["processing"] == 1 and status["jobs"]["failed"] == 2
    assert status["chunks"]["done"] == 4 and status["chunks"]["failed"] == 1
    assert status["languages"]["he"]["completed"] == 1 and status["languages"]["de"]["processing"] == 1
    # demo 3 ok + 1 cached, openai 1 ok in the last five minutes (the 2-hour-old row does not count)
    assert status["throughput"]["chunks_per_min"] == pytest.approx(5 / 5)
    assert sum(status["throughput"]["per_minute"]) == 5
    # the histogram's last bucket is the minute ending now (it holds the rows of 15-60 s ago),
    # not an empty one starting now
    assert len(status["throughput"]["per_minute"]) == 10 and status["throughput"]["per_minute"][-1] >= 4
    remaining = 2  # job a_de: 1 of 3 chunks done; the failed job's queued chunk does not count
    assert status["remaining_chunks"] == remaining
    # not remaining / the 5-minute average (120 s, for work a provider answering in 0.2 s does
    # at once): the demo's measured median latency, ten at a time, binds (engine/outlook.py)
    assert status["eta_s"] == pytest.approx(0.2)
    assert status["eta_binding"] == "latency (0.20 s × 10 at a time)"
    assert status["eta_text"] == "ETA 0s (limited by latency (0.20 s × 10 at a time))"
    assert status["supervisor"]["alive"] is False
    assert status["workers"] == []


def test_status_text_shows_supervisor_workers_and_languages(env, capsys):
    p, common = env
    with JobStore.open(p.data_dir) as store:
        now = time.time()
        store.set_control("supervisor", {"pid": os.getpid(), "started_at": now - 30, "heartbeat_at": now})
        store.heartbeat("worker-1", pid=os.getpid(), state="busy", in_flight=3, restarts=1, done_count=7)
    code, out, _ = run_cli(capsys, "status", *common)
    assert code == 0
    assert f"running (pid {os.getpid()}" in out
    assert "worker-1" in out and "busy" in out
    he_line = next(line for line in out.splitlines() if line.startswith("he "))
    assert he_line.split()[:4] == ["he", "0", "0", "1"]  # queued, processing, completed
    assert "ETA" in out


def test_probe_alive_stale_and_dead(env):
    p, _ = env
    with JobStore.open(p.data_dir) as store:
        assert probe(store, p.data_dir).alive is False
        now = time.time()
        store.set_control("supervisor", {"pid": os.getpid(), "started_at": now, "heartbeat_at": now - 1})
        assert probe(store, p.data_dir).alive is True
        store.set_control("supervisor", {"pid": os.getpid(), "started_at": now, "heartbeat_at": now - 60})
        stale = probe(store, p.data_dir)
        assert stale.alive is False and "stalled" in stale.detail
        store.set_control("supervisor", {"pid": _dead_pid(), "started_at": now, "heartbeat_at": now})
        assert probe(store, p.data_dir).alive is False


def test_follow_prints_repeated_blocks_when_not_a_terminal(env, capsys):
    _, common = env
    code, out, _ = run_cli(capsys, "status", "--follow", "--count", "2", "--interval", "0.01", *common)
    assert code == 0
    assert out.count("scribe-tui status at") == 2
    assert "\x1b[" not in out


def test_follow_json_is_one_object_per_line(env, capsys):
    _, common = env
    code, out, _ = run_cli(capsys, "status", "--follow", "--count", "3", "--interval", "0.01", "--json", *common)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert all(json.loads(line)["jobs"]["completed"] == 1 for line in lines)


def test_follow_stops_cleanly_on_ctrl_c(env, capsys, monkeypatch):
    _, common = env

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(status_module.time, "sleep", interrupt)
    code, out, _ = run_cli(capsys, "status", "--follow", *common)
    assert code == 0
    assert out.count("scribe-tui status at") == 1


def test_follow_in_a_real_process_exits_0_on_sigint(env, tmp_path):
    _, common = env
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith("SCRIBE_")}
    env_vars["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, "-m", "scribe_tui", "status", "--follow", "--json", "--interval", "0.2", *common],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_vars, cwd=REPO)
    try:
        first = proc.stdout.readline()
        assert json.loads(first)["jobs"]["completed"] == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_status_rejects_bad_interval(env, capsys):
    _, common = env
    code, _, err = run_cli(capsys, "status", "--follow", "--interval", "0", *common)
    assert code == 2 and "--interval" in err


def test_status_has_no_eta_while_paused(env, capsys):
    p, common = env
    with JobStore.open(p.data_dir) as store:
        store.set_control("paused", True)
    code, status = run_json(capsys, "status", *common)
    assert code == 0 and status["remaining_chunks"] == 2
    assert status["eta_s"] is None and status["eta_text"] == "ETA - (paused)"
