"""A worker's tie to its supervisor: when the supervisor dies — whatever killed it, SIGKILL
included — the worker exits within a second instead of sending (and paying for) chunks
that the next run will send again.

A worker's parent is the supervisor (spawned) or the fork server it started (which exits
when the supervisor does). On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``
fires when the parent dies. Everywhere (and to close the race where the parent died before
the prctl) a thread checks twice a second that the parent is still the parent — an orphan
is re-parented — and that the supervisor still exists.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_S = 0.5


def die_with_parent(parent_pid: int, supervisor_pid: int | None = None) -> None:
    """Make this process exit when ``parent_pid`` (its parent) or ``supervisor_pid`` dies."""
    if sys.platform.startswith("linux"):
        _ask_the_kernel()
    supervisor = supervisor_pid or parent_pid
    if not _alive(parent_pid, supervisor):
        os._exit(0)  # gone before we could ask
    threading.Thread(target=_watch, args=(parent_pid, supervisor), name="parent-watch", daemon=True).start()


def _ask_the_kernel() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the watch thread still covers it
        pass


def _alive(parent_pid: int, supervisor_pid: int) -> bool:
    if os.getppid() != parent_pid:
        return False
    try:
        os.kill(supervisor_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (cannot be ours, but not gone)
        pass
    return True


def _watch(parent_pid: int, supervisor_pid: int) -> None:
    while _alive(parent_pid, supervisor_pid):
        time.sleep(PARENT_POLL_S)
    os._exit(0)
