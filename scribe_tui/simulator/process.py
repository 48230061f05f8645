"""A simulator in its own process (multiprocessing, spawn), so it never shares the engine's
GIL: the demo provider and the benchmarks use it. The child ignores Ctrl-C (the parent
owns shutdown), and stops when told to or when its parent goes away.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection

from scribe_tui.simulator.app import SimulatorApp
from scribe_tui.simulator.config import SimulatorConfig
from scribe_tui.simulator.server import LOOPBACK, SimulatorClient, run_until_stopped

_START_TIMEOUT_S = 30.0


class SimulatorProcess(SimulatorClient):
    """Handle on a running simulator process: ``.url``, ``.port``, ``.stats()``, ``.stop()``."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection, host: str, port: int):
        self._process = process
        self._conn = conn
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        self._close_client()
        if self._process.is_alive():
            try:
                self._conn.send("stop")
            except (OSError, EOFError):
                pass
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
        self._conn.close()

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator_process(config: SimulatorConfig | None = None, host: str = LOOPBACK, port: int = 0) -> SimulatorProcess:
    """Start a simulator process and return once it is listening (port 0: a free port)."""
    context = multiprocessing.get_context("spawn")
    parent_conn, child_conn = context.Pipe()
    process = context.Process(target=_child_main, args=(config or SimulatorConfig(), host, port, child_conn),
                              name="scribe-simulator", daemon=True)
    process.start()
    child_conn.close()
    if not parent_conn.poll(_START_TIMEOUT_S):
        process.terminate()
        raise RuntimeError("simulator process did not start within 30 s")
    try:
        kind, value = parent_conn.recv()
    except EOFError:
        process.join(1)
        raise RuntimeError(f"simulator process exited during start (exit code {process.exitcode})") from None
    if kind != "listening":
        process.join(5)
        raise RuntimeError(f"simulator process failed to start: {value}")
    return SimulatorProcess(process, parent_conn, host, int(value))


def _child_main(config: SimulatorConfig, host: str, port: int, conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        asyncio.run(_child_serve(config, host, port, conn))
    except Exception as exc:
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except (OSError, EOFError):
            pass


async def _child_serve(config: SimulatorConfig, host: str, port: int, conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def watch_parent() -> None:  # any message, or the pipe closing, means stop
        try:
            conn.recv()
        except (EOFError, OSError):
            pass
        loop.call_soon_threadsafe(stop.set)

    def listening(bound: int) -> None:
        conn.send(("listening", bound))
        threading.Thread(target=watch_parent, name="simulator-parent-watch", daemon=True).start()

    await run_until_stopped(SimulatorApp(config), host, port, stop, listening)
