"""Shared fixtures: every test gets private data/cache/config dirs and no real API keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point platformdirs at temp dirs and drop SCRIBE_* / provider keys from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for key in list(os.environ):
        if key.startswith("SCRIBE_") or key in ("OPENAI_API_KEY", "DEEPL_AUTH_KEY", "AZURE_TRANSLATOR_KEY"):
            monkeypatch.delenv(key, raising=False)

