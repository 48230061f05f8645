"""A worker's tie to its supervisor: when the supervisor dies — whatever killed it, SIGKILL
included — the worker exits within a second instead of sending (and paying for) chunks
that the next run will send again.

On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``. Everywhere (and to close
the race where the parent died before the prctl) a thread checks the parent pid twice a
second: an orphan is re-parented, so a changed ``getppid()`` means the supervisor is gone.
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


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` (its parent) dies."""
    if sys.platform.startswith("linux"):
        _ask_the_kernel()
    if os.getppid() != parent_pid:
        os._exit(0)  # the parent died before we could ask
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _ask_the_kernel() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the watch thread still covers it
        pass


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(0)
