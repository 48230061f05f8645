"""Regression: opening the store (or any SQLite file of ours) a second time in a process must
not drop the POSIX locks SQLite holds for the first connection. When it did, another process
closing its connection believed it was the last one, deleted the WAL, and every later write
of the first process vanished for everyone else (a cancel from `jobs cancel` was undone)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from scribe_tui.store import JobStore
from tests.conftest import ROOT


def test_writes_stay_visible_after_another_process_opens_and_closes(tmp_path: Path) -> None:
    first = JobStore.open(tmp_path)
    second = JobStore.open(tmp_path)  # a second connection in this process (another thread's)
    first.set_control("before", 1)
    script = "import sys; from pathlib import Path; from scribe_tui.store import JobStore; " \
             "s = JobStore.open(Path(sys.argv[1])); s.get_control('before'); s.close()"
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, check=True, timeout=60)
    first.set_control("after", 2)
    fresh = sqlite3.connect(tmp_path / "jobs.db")
    try:
        keys = {row[0] for row in fresh.execute("SELECT key FROM control")}
    finally:
        fresh.close()
    assert {"before", "after"} <= keys
    first.close()
    second.close()
