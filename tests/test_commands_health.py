"""``scribe-tui health``: local checks, providers against the simulator on 127.0.0.1,
unhealthy cases and their exit codes, and no key in any output or log."""

from __future__ import annotations

import json
import os
import socket
import time

import pytest

from scribe_tui.simulator.config import SimulatorConfig
from scribe_tui.simulator.server import SimulatorServer
from scribe_tui.store import JobStore
from tests._commands_support import isolate, run_cli, run_json, run_subprocess, write_config

SIM_KEY = "sk-simulated-health-key-0123456789"


@pytest.fixture
def base(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def simulator():
    with SimulatorServer(SimulatorConfig(api_key=SIM_KEY)) as server:
        yield server


def _common(tmp_path, extra: str = "") -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--config", str(write_config(tmp_path, extra))]


def _checks(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_with_the_built_in_demo(base, capsys):
    code, report = run_json(capsys, "health", *_common(base))
    assert code == 0 and report["healthy"] is True
    checks = _checks(report)
    assert set(checks) == {"config", "data dir", "store", "cache", "limiter", "provider demo", "queued jobs", "supervisor"}
    assert all(check["ok"] for check in checks.values())
    assert "built-in" in checks["provider demo"]["summary"]
    assert "not running" in checks["supervisor"]["summary"]
    assert (base / "data" / "jobs.db").exists()
    assert not any((base / "data" / "limits").iterdir())  # the scratch bucket is cleaned up


def test_openai_kind_against_the_simulator(base, capsys, monkeypatch, simulator):
    monkeypatch.setenv("SIM_TEST_KEY", SIM_KEY)
    extra = f'[providers.sim]\nkind = "openai"\nbase_url = "{simulator.url}/v1"\napi_key_env = "SIM_TEST_KEY"\n'
    code, out, err = run_cli(capsys, "health", "-v", *_common(base, extra))
    assert code == 0, out
    assert "provider sim" in out and "key accepted" in out
    assert SIM_KEY not in out + err
    log_text = (base / "data" / "logs" / "scribe-tui.log").read_text()
    assert SIM_KEY not in log_text


def test_wrong_key_is_unhealthy(base, capsys, monkeypatch, simulator):
    monkeypatch.setenv("SIM_TEST_KEY", "sk-not-the-right-key-000000")
    extra = f'[providers.sim]\nkind = "openai"\nbase_url = "{simulator.url}/v1"\napi_key_env = "SIM_TEST_KEY"\n'
    code, report = run_json(capsys, "health", *_common(base, extra))
    assert code == 1 and report["healthy"] is False
    assert _checks(report)["provider sim"]["summary"] == "key rejected (HTTP 401)"
    assert "sk-not-the-right-key" not in json.dumps(report)


def test_deepl_usage_from_the_simulator(base, capsys, monkeypatch, simulator):
    monkeypatch.setenv("SIM_DEEPL_KEY", SIM_KEY)
    extra = f'[providers.dl]\nkind = "deepl"\nbase_url = "{simulator.url}"\napi_key_env = "SIM_DEEPL_KEY"\n'
    code, report = run_json(capsys, "health", *_common(base, extra))
    assert code == 0
    check = _checks(report)["provider dl"]
    assert "characters used" in check["summary"]
    assert check["details"]["character_limit"] > 0


def test_microsoft_languages_from_the_simulator(base, capsys, monkeypatch, simulator):
    monkeypatch.setenv("SIM_MS_KEY", SIM_KEY)
    extra = f'[providers.ms]\nkind = "microsoft"\nbase_url = "{simulator.url}"\napi_key_env = "SIM_MS_KEY"\n'
    code, report = run_json(capsys, "health", *_common(base, extra))
    assert code == 0, report
    assert _checks(report)["provider ms"]["ok"]


def test_missing_key_env_var_is_unhealthy(base, capsys, monkeypatch):
    monkeypatch.delenv("MISSING_TEST_KEY", raising=False)
    extra = '[providers.openai]\nkind = "openai"\napi_key_env = "MISSING_TEST_KEY"\n'
    code, out, _ = run_cli(capsys, "health", *_common(base, extra))
    assert code == 1
    line = next(line for line in out.splitlines() if "provider openai" in line)
    assert line.startswith("FAIL") and "MISSING_TEST_KEY is not set" in line
    assert out.rstrip().endswith("UNHEALTHY")


def test_unreachable_provider_is_unhealthy(base, capsys, monkeypatch):
    monkeypatch.setenv("SIM_TEST_KEY", SIM_KEY)
    extra = f'[providers.down]\nkind = "openai"\nbase_url = "http://127.0.0.1:{_closed_port()}/v1"\napi_key_env = "SIM_TEST_KEY"\n'
    code, report = run_json(capsys, "health", *_common(base, extra))
    assert code == 1
    assert _checks(report)["provider down"]["summary"].startswith("unreachable")


def test_invalid_config_exits_2_and_still_reports(base, capsys):
    code, out, _ = run_cli(capsys, "health", *_common(base, 'workers = "lots"\n'))
    assert code == 2
    config_line = out.splitlines()[0]
    assert config_line.startswith("FAIL") and "workers" in config_line
    assert any(line.startswith("ok") and "store" in line for line in out.splitlines())


def test_unusable_data_dir_is_unhealthy(base, capsys):
    blocker = base / "not-a-dir"
    blocker.write_text("x")
    code, report = run_json(capsys, "health", "--data-dir", str(blocker / "data"), "--config", str(write_config(base)))
    assert code == 1
    checks = _checks(report)
    assert not checks["data dir"]["ok"] and not checks["store"]["ok"] and not checks["limiter"]["ok"]


def test_supervisor_alive_is_reported(base, capsys):
    data_dir = base / "data"
    with JobStore.open(data_dir) as store:
        now = time.time()
        store.set_control("supervisor", {"pid": os.getpid(), "started_at": now, "heartbeat_at": now})
    code, report = run_json(capsys, "health", *_common(base))
    assert code == 0
    supervisor = _checks(report)["supervisor"]
    assert supervisor["details"]["alive"] is True and supervisor["details"]["pid"] == os.getpid()


def test_health_in_a_real_process(base, simulator):
    extra = f'[providers.sim]\nkind = "openai"\nbase_url = "{simulator.url}/v1"\napi_key_env = "SIM_TEST_KEY"\n'
    result = run_subprocess(["health", "--json", *_common(base, extra)],
                            {"SIM_TEST_KEY": SIM_KEY, "XDG_CONFIG_HOME": str(base / "xdg")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["healthy"] is True
    assert SIM_KEY not in result.stdout + result.stderr


def test_verbose_health_shows_the_adaptive_concurrency_cap(base, capsys, monkeypatch, simulator):
    from scribe_tui.limits.provider_state import ProviderStateStore

    monkeypatch.setenv("SIM_TEST_KEY", SIM_KEY)
    extra = (f'[providers.sim]\nkind = "openai"\nbase_url = "{simulator.url}/v1"\napi_key_env = "SIM_TEST_KEY"\n'
             'max_concurrency = 12\n')
    state = ProviderStateStore(base / "data")
    state.execute("UPDATE provider_state SET cap = 3 WHERE name = :name", {"name": "sim"})  # lowered after overload
    state.close()
    code, out, _ = run_cli(capsys, "health", "--verbose", *_common(base, extra))
    assert code == 0, out
    assert "concurrency: 3 of 12 in flight" in out and "concurrency lowered to 3 of 12" in out
