"""``scribe-tui metrics``: period parsing and per-provider figures from real metric rows."""

from __future__ import annotations

import pytest

from scribe_tui.errors import UsageError
from scribe_tui.commands.metrics import parse_period
from tests._commands_support import isolate, populate, run_cli, run_json, write_config


@pytest.mark.parametrize(("text", "seconds"), [
    ("30m", 1800), ("1h", 3600), ("2d", 172800), ("7d", 604800), ("90s", 90), ("1w", 604800),
    ("1.5h", 5400), (" 2H ", 7200),
])
def test_parse_period(text, seconds):
    assert parse_period(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "5x", "0m", "-1h", "1 hour", "1h30m"])
def test_parse_period_rejects(text):
    with pytest.raises(UsageError, match="--period"):
        parse_period(text)


@pytest.fixture
def env(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    populated = populate(tmp_path)
    common = ["--data-dir", str(populated.data_dir), "--config", str(write_config(tmp_path))]
    return populated, common


def test_metrics_json_per_provider_over_the_default_hour(env, capsys):
    _, common = env
    code, report = run_json(capsys, "metrics", *common)
    assert code == 0
    assert report["period_s"] == 3600
    demo = report["providers"]["demo"]
    assert (demo["requests"], demo["ok"], demo["cached"], demo["rate_limited"], demo["errors"]) == (5, 3, 1, 1, 1)
    assert demo["retries"] == 2
    assert demo["latency_p50_ms"] == 200 and demo["latency_p95_ms"] == 5000
    assert (demo["tokens_in"], demo["tokens_out"], demo["characters"]) == (40, 48, 60)
    assert demo["cost_usd"] == pytest.approx(0.003)
    assert report["providers"]["openai"]["cost_usd"] == pytest.approx(0.025)
    assert report["total"]["requests"] == 6 and report["total"]["cost_usd"] == pytest.approx(0.028)


def test_metrics_period_includes_older_rows_and_provider_filter(env, capsys):
    _, common = env
    _, wide = run_json(capsys, "metrics", "--period", "3h", *common)
    assert wide["providers"]["demo"]["ok"] == 4 and wide["providers"]["demo"]["characters"] == 5060
    _, only = run_json(capsys, "metrics", "--provider", "openai", "--period", "30m", *common)
    assert list(only["providers"]) == ["openai"] and only["provider"] == "openai"


def test_metrics_table_and_bad_period(env, capsys):
    _, common = env
    code, out, _ = run_cli(capsys, "metrics", "--period", "2d", *common)
    assert code == 0
    assert "last 2d00h" in out.splitlines()[0]
    header = next(line for line in out.splitlines() if line.startswith("provider"))
    assert "429s" in header and "p95" in header and "cost" in header
    demo = next(line for line in out.splitlines() if line.startswith("demo"))
    assert "5.00s" in demo
    assert any(line.startswith("total") for line in out.splitlines())
    code, _, err = run_cli(capsys, "metrics", "--period", "soon", *common)
    assert code == 2 and "--period" in err


def test_metrics_empty_period(env, capsys):
    _, common = env
    code, out, _ = run_cli(capsys, "metrics", "--provider", "deepl", *common)
    assert code == 0 and "no requests recorded" in out
