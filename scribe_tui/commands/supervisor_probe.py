"""Is a supervisor running on this data directory? Read from the store's ``supervisor``
control record (pid, started_at, heartbeat_at, written by the engine) and the lock file;
alive means a heartbeat younger than ``HEARTBEAT_FRESH_S`` and the pid still running."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEARTBEAT_FRESH_S = 10.0
CONTROL_KEY = "supervisor"
LOCK_FILE_NAME = "supervisor.lock"


@dataclass(frozen=True)
class SupervisorState:
    alive: bool
    pid: int | None
    started_at: float | None
    heartbeat_age_s: float | None
    lock_present: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"alive": self.alive, "pid": self.pid, "started_at": self.started_at,
                "heartbeat_age_s": None if self.heartbeat_age_s is None else round(self.heartbeat_age_s, 1),
                "lock_present": self.lock_present, "detail": self.detail}


def pid_running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _as_record(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def probe(store: Any, data_dir: Path, *, now: float | None = None, key: str = CONTROL_KEY) -> SupervisorState:
    """This machine's supervisor as seen from the store and the data directory (``key``: its
    control record, ``supervisor@HOST`` on a store that machines share)."""
    now = time.time() if now is None else now
    lock_present = (Path(data_dir) / LOCK_FILE_NAME).exists()
    record = _as_record(store.get_control(key))
    if record is None:
        return SupervisorState(False, None, None, None, lock_present, "not running")
    pid = record.get("pid")
    pid = int(pid) if isinstance(pid, (int, float, str)) and str(pid).isdigit() else None
    heartbeat = _number(record.get("heartbeat_at"))
    age = None if heartbeat is None else max(0.0, now - heartbeat)
    started = _number(record.get("started_at"))
    running = pid is not None and pid_running(pid)
    fresh = age is not None and age < HEARTBEAT_FRESH_S
    if running and fresh:
        detail = f"running (pid {pid}, heartbeat {age:.0f}s ago)"
    elif running:
        detail = "stalled (pid {} alive, last heartbeat {})".format(pid, "never" if age is None else f"{age:.0f}s ago")
    else:
        detail = "not running" + (f" (last seen pid {pid}, {age:.0f}s ago)" if pid and age is not None else "")
    return SupervisorState(running and fresh, pid, started, age, lock_present, detail)


def cluster(store: Any, *, now: float | None = None) -> list[dict[str, Any]]:
    """Every machine's supervisor on a shared store: host, pid, heartbeat age, alive (a
    heartbeat younger than HEARTBEAT_FRESH_S: another machine's pid cannot be checked here)."""
    now = time.time() if now is None else now
    hosts = []
    for key, value in sorted(store.controls(CONTROL_KEY + "@").items()):
        record = _as_record(value)
        if record is None:
            continue
        heartbeat = _number(record.get("heartbeat_at"))
        age = None if heartbeat is None else max(0.0, now - heartbeat)
        hosts.append({"host": key.split("@", 1)[1], "pid": record.get("pid"), "paused": bool(record.get("paused")),
                      "target_workers": record.get("target_workers"),
                      "heartbeat_age_s": None if age is None else round(age, 1),
                      "alive": age is not None and age < HEARTBEAT_FRESH_S})
    return hosts
