"""Configuration: sources and precedence, limit strings, keys from the environment only,
and one-line errors that name the file, the key and what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scribe_tui.config import load_settings
from scribe_tui.errors import ConfigError
from scribe_tui.limit_spec import RateLimit, parse_limit
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500/minute", RateLimit("requests", 60, 500, "500/minute")),
        ("150000 tokens/minute", RateLimit("tokens", 60, 150000, "150000 tokens/minute")),
        ("500000 characters/month", RateLimit("characters", 30 * 86400, 500000, "500000 characters/month")),
        ("60/10s", RateLimit("requests", 10, 60, "60/10s")),
        ("10/5m", RateLimit("requests", 300, 10, "10/5m")),
        ("1000/day", RateLimit("requests", 86400, 1000, "1000/day")),
        ("3/second", RateLimit("requests", 1, 3, "3/second")),
    ],
)
def test_limit_strings_parse(text: str, expected: RateLimit) -> None:
    assert parse_limit(text) == expected


@pytest.mark.parametrize("text", ["500", "500/fortnight", "abc/minute", "0/minute", "5 apples/minute", "-1/s", ""])
def test_bad_limit_strings_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_limit(text)


def test_quota_spans() -> None:
    assert parse_limit("1000/day").is_quota
    assert not parse_limit("500/minute").is_quota


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings(None)
    assert settings.default_provider == "demo"
    assert settings.workers == "auto"
    assert settings.chunking.max_tokens == 1500
    assert settings.providers["demo"].kind == "demo"
    assert settings.priorities == {"he": 10, "de": 5, "en": 0}


def test_file_env_and_flags_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, """
max_attempts = 7
workers = 2
[chunking]
max_tokens = 800
[providers.openai]
kind = "openai"
model = "gpt-4o-mini"
limits = ["500/minute", "150000 tokens/minute"]
""")
    monkeypatch.setenv("SCRIBE_CHUNKING__MAX_TOKENS", "900")
    monkeypatch.setenv("SCRIBE_PROVIDERS__OPENAI__MODEL", "gpt-4.1-mini")
    settings = load_settings(path, workers=3)
    assert settings.max_attempts == 7  # file
    assert settings.chunking.max_tokens == 900  # env over file
    assert settings.workers == 3  # flag over file
    openai = settings.providers["openai"]
    assert openai.model == "gpt-4.1-mini"
    assert openai.limits_of("tokens") == [parse_limit("150000 tokens/minute")]
    assert "demo" in settings.providers  # the demo provider is always there


def test_example_config_is_valid() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert set(settings.providers) >= {"demo", "openai", "deepl", "microsoft"}


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ("max_attempts = 'many'", "max_attempts", "integer"),
        ("colour = 'blue'", "colour", "unknown key"),
        ("[chunking]\nmax_tokenz = 5", "chunking.max_tokenz", "unknown key"),
        ("[providers.x]\nkind = 'openai'\nlimits = ['500/fortnight']", "providers.x.limits", "fortnight"),
        ("[providers.x]\nkind = 'carrier-pigeon'", "providers.x.kind", "openai"),
        ("default_provider = 'nope'", "default_provider", "unknown provider 'nope' (configured: demo)"),
        ("workers = 0", "workers", "at least 1"),
        ("[priorities]\nxx = 3", "priorities", "unknown language"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path: Path, body: str, key: str | None, fragment: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    if key:
        assert key in message
    assert fragment in message
    assert "\n" not in message


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "max_attempts = 3\n[chunking\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value) and "line 2" in str(info.value)


def test_env_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBE_MAX_ATTEMPTS", "lots")
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    assert "SCRIBE_MAX_ATTEMPTS" in str(info.value)


def test_missing_key_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[providers.openai]\nkind = 'openai'\napi_key_env = 'MY_OPENAI_KEY'\n")
    settings = load_settings(path)
    with pytest.raises(ConfigError) as info:
        settings.require_api_keys(["openai"])
    assert "MY_OPENAI_KEY" in str(info.value)
    monkeypatch.setenv("MY_OPENAI_KEY", "sk-test")
    settings.require_api_keys(["openai"])
    assert settings.providers["openai"].api_key() == "sk-test"


def test_keys_are_never_read_from_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[providers.openai]\nkind = 'openai'\napi_key = 'sk-in-the-file'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "unknown key" in str(info.value)


def test_fallbacks_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "[providers.openai]\nkind = 'openai'\nfallback_providers = ['ghost']\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "ghost" in str(info.value)


def test_cli_config_error_is_one_line_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "[chunking]\nmax_tokens = 'big'\n")
    proc = subprocess.run([sys.executable, "-m", "scribe_tui", "--batch", "examples", "--to", "he", "--config", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "chunking.max_tokens" in lines[0] and str(path) in lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_language_is_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "scribe_tui", "--batch", "examples", "--to", "he,xx"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "xx" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("flags", "flag"), [({"default_provider": "nope"}, "--provider"),
                                             ({"workers": "zero"}, "--workers")])
def test_bad_flag_values_name_the_flag(flags: dict, flag: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, **flags)
    assert str(info.value).startswith(flag + ":")


def test_store_url_from_file_env_and_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().store_url is None  # the SQLite file in the data dir
    config = tmp_path / "c.toml"
    config.write_text('store_url = "postgresql://scribe@db-file/scribe"\n')
    assert load_settings(config).store_url == "postgresql://scribe@db-file/scribe"
    monkeypatch.setenv("SCRIBE_STORE_URL", "postgres://scribe@db-env/scribe")
    assert load_settings(config).store_url == "postgres://scribe@db-env/scribe"
    assert load_settings(config, store_url="postgresql://scribe@db-flag/scribe").store_url == \
        "postgresql://scribe@db-flag/scribe"
    monkeypatch.setenv("SCRIBE_STORE_URL", "")
    assert load_settings().store_url is None


def test_a_store_url_of_another_kind_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBE_STORE_URL", "mysql://scribe:hunter2@db/scribe")
    with pytest.raises(ConfigError, match="SCRIBE_STORE_URL.*must be a postgresql://") as caught:
        load_settings()
    assert "hunter2" not in str(caught.value)


# ---- issue 17 item 6: overrides of the built-in providers, every settings error one line ----


def _dry_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCRIBE_")}
    return subprocess.run([sys.executable, "-m", "scribe_tui", "--batch", "examples", "--to", "he", "--dry-run", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env={**clean, **env})


@pytest.mark.parametrize("value", ["60/minute", '["60/minute"]', "60/minute, 100000 tokens/minute"])
def test_env_override_of_a_builtin_provider_merges_with_its_defaults(value: str) -> None:
    proc = _dry_run({"SCRIBE_PROVIDERS__DEMO__LIMITS": value, "SCRIBE_PROVIDERS__DEMO__LATENCY_MS": "10"})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_overrides_merge_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBE_PROVIDERS__DEMO__LATENCY_MS", "10")
    demo = load_settings(None).providers["demo"]
    assert (demo.kind, demo.latency_ms, [str(limit) for limit in demo.limits]) == ("demo", 10, ["600/minute"])
    monkeypatch.setenv("SCRIBE_PROVIDERS__DEMO__LIMITS", "60/minute")
    assert [str(limit) for limit in load_settings(None).providers["demo"].limits] == ["60/minute"]
    monkeypatch.setenv("SCRIBE_PROVIDERS__OPENAI__MODEL", "gpt-4.1-mini")  # named after its kind
    openai = load_settings(None).providers["openai"]
    assert (openai.kind, openai.model, openai.api_key_env) == ("openai", "gpt-4.1-mini", "OPENAI_API_KEY")


@pytest.mark.parametrize(("env", "variable", "fragment"), [
    ({"SCRIBE_PROVIDERS__DEMO__LIMITS": "60/fortnight"}, "SCRIBE_PROVIDERS__DEMO__LIMITS", "fortnight"),
    ({"SCRIBE_PROVIDERS__DEMO__LATENCY_MS": "soon"}, "SCRIBE_PROVIDERS__DEMO__LATENCY_MS", "integer"),
    ({"SCRIBE_PROVIDERS__SIM__MODEL": "x"}, "SCRIBE_PROVIDERS__SIM__MODEL", "kind is required"),
    ({"SCRIBE_PROVIDERS": "{not json"}, "SCRIBE_PROVIDERS", "dictionary"),
])
def test_every_env_settings_error_is_one_line_exit_2(env: dict[str, str], variable: str, fragment: str) -> None:
    proc = _dry_run(env)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"scribe-tui: error: environment {variable}:"), lines[0]
    assert fragment in lines[0]
