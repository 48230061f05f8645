"""Atomic writes from many writer threads at once: modes follow the process umask and the
umask itself is never disturbed (it used to be probed by setting it, racing other threads)."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from scribe_tui.documents import atomic, write_atomic


def process_umask() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the umask from /proc")
def test_concurrent_first_writes_keep_the_umask_and_the_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    previous, interval = os.umask(0o027), sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    try:
        for round_number in range(150):
            monkeypatch.setattr(atomic, "_umask", None)  # every round starts with the probe
            barrier = threading.Barrier(8)
            targets = [tmp_path / f"r{round_number}" / f"w{n}.txt" for n in range(8)]

            def write(target: Path) -> None:
                barrier.wait()
                write_atomic(target, b"translated")

            threads = [threading.Thread(target=write, args=(target,)) for target in targets]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert process_umask() == 0o027, f"round {round_number}: the umask was left changed"
            modes = {stat.S_IMODE(target.stat().st_mode) for target in targets}
            assert modes == {0o640}, f"round {round_number}: modes {sorted(map(oct, modes))}"
    finally:
        sys.setswitchinterval(interval)
        os.umask(previous)
