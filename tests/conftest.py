"""Shared fixtures: every test gets private data/cache/config dirs and no real API keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_POSTGRES = os.environ.get("SCRIBE_REQUIRE_POSTGRES") == "1"  # read before the tests drop SCRIBE_*


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


# ---- PostgreSQL: one private server per test session, a fresh database per test ----------


@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL server (see tests/pg_support.py); skips loudly when it cannot
    run here, and fails instead under SCRIBE_REQUIRE_POSTGRES=1 (CI)."""
    from tests.pg_support import REQUIRE_ENV, PostgresServer, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Each store contract test runs on both backends: None is the SQLite file in the data dir."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str | None, tmp_path: Path):
    """The job store under test, on each backend in turn (see ``store_url``)."""
    from scribe_tui.store import open_store

    with open_store(store_url, tmp_path) as opened:
        yield opened
