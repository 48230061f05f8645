"""Running the simulator as its own process and in the foreground (``serve``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from scribe_tui.simulator import SimulatorConfig, pseudo_translate, start_simulator_process
from tests._simulator_support import chat_body


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped by init."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not _running(pid):
            return True
        time.sleep(0.02)
    return False


def test_process_serves_stats_control_and_stops() -> None:
    with start_simulator_process(SimulatorConfig(limits=("2/minute",))) as simulator:
        assert simulator.pid != os.getpid() and simulator.is_alive()
        reply = httpx.post(f"{simulator.url}/v1/chat/completions", json=chat_body("hello", "de")).json()
        assert reply["choices"][0]["message"]["content"] == pseudo_translate("hello", "de")
        simulator.control(http_503=1.0)
        assert httpx.post(f"{simulator.url}/v1/chat/completions", json=chat_body("x")).status_code == 503
        assert simulator.stats()["per_status"] == {"200": 1, "503": 1}
        pid = simulator.pid
    assert not simulator.is_alive() and pid is not None and _gone(pid, 1)


def test_process_exits_when_its_parent_dies() -> None:
    script = (
        "import os, sys\n"
        "from scribe_tui.simulator import start_simulator_process\n"
        "if __name__ == '__main__':\n"
        "    sim = start_simulator_process()\n"
        "    print(sim.pid, sim.url, flush=True)\n"
        "    os._exit(0)\n"  # no cleanup: the child must notice on its own
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    pid_text, url = out.stdout.split()
    assert _gone(int(pid_text), 5), "the orphaned simulator kept running"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_health", timeout=1)


def test_serve_prints_the_urls_and_stops_on_ctrl_c() -> None:
    script = "from scribe_tui.simulator import serve, SimulatorConfig; serve(SimulatorConfig(), port=0)"
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in first
        urls = dict(line.split(":", 1) for line in (process.stdout.readline().strip() for _ in range(3)))
        base = first.split("listening on ")[1].split()[0]
        assert {key: value.strip() for key, value in urls.items()} == {
            "openai": f"{base}/v1", "deepl": base, "microsoft": base}
        assert httpx.get(f"{base}/v1/models").status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
        assert "simulator stopped after 1 requests" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
