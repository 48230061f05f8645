"""A private PostgreSQL server for tests and benchmarks: ``initdb`` into a temp dir and
``pg_ctl start`` listening only on a unix socket there (no TCP port), as the ``postgres``
user when running as root (PostgreSQL refuses root). One server per test session (each
pytest-xdist worker has its own), a fresh database per test.

Without the binaries the PostgreSQL tests are skipped with the reason; with
``SCRIBE_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) that skip is a failure instead.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("SCRIBE_PG_BIN", "/usr/lib/postgresql/15/bin"))
REQUIRE_ENV = "SCRIBE_REQUIRE_POSTGRES"


def unavailable_reason() -> str | None:
    """Why no test server can be started here, or None when it can."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        return (f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql, or set SCRIBE_PG_BIN): "
                "the PostgreSQL backend is NOT tested in this run")
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        return f"psycopg is not installed ({exc}; pip install -e '.[test]'): the PostgreSQL backend is NOT tested"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as the postgres user"
    return None


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PostgresServer:
    """One server in a temp dir; ``url(db)`` for a database on it, ``new_database()`` for a fresh one."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="scribe-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self._names = itertools.count(1)
        self._started = False

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                   "-E", "UTF8", "--locale", "C"])
        self.pg_ctl_start()
        atexit.register(self.stop)
        return self

    def pg_ctl_start(self) -> None:
        options = (f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=300")
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-s", "-l", str(self.root / "log"),
                   "-o", options, "start"])
        self._started = True

    def pg_ctl_stop(self, mode: str = "fast") -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-s", "-m", mode, "stop"])
        self._started = False

    def restart(self) -> None:
        self.pg_ctl_stop("fast")
        self.pg_ctl_start()

    def stop(self) -> None:
        if self._started:
            try:
                self.pg_ctl_stop("immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database; its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY')
        return self.url(name)

    def _run(self, argv: list[str]) -> None:
        proc = subprocess.run(_as_postgres(argv), capture_output=True, text=True, timeout=120, cwd=self.root)
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, argv, proc.stdout, proc.stderr)
