"""Running a simulator: ``SimulatorServer`` on a background thread with its own event loop
(tests), and ``serve`` in the foreground until Ctrl-C (``scribe-tui simulate``)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

import httpx

from scribe_tui.simulator.app import SimulatorApp
from scribe_tui.simulator.config import SimulatorConfig
from scribe_tui.simulator.http11 import HttpServer

LOOPBACK = "127.0.0.1"


def base_urls(url: str) -> dict[str, str]:
    """The base URL each kind of client is pointed at."""
    return {"openai": f"{url}/v1", "deepl": url, "microsoft": url}


class SimulatorClient:
    """Stats and control over HTTP, shared by the thread and process runners."""

    url: str
    _http: httpx.Client | None = None

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=10)
        return self._http

    def _close_client(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def stats(self) -> dict[str, Any]:
        return self._client().get("/_stats").json()

    def control(self, **changes: Any) -> dict[str, Any]:
        """Change settings at runtime (e.g. ``control(http_503=1.0)``); returns the new config."""
        response = self._client().post("/_control", json=changes)
        if response.status_code != 200:
            raise ValueError(response.json()["error"]["message"])
        return response.json()["config"]

    def reset(self) -> None:
        """Back to the starting config, with empty windows and counters."""
        self._client().post("/_reset").raise_for_status()


class SimulatorServer(SimulatorClient):
    """A simulator on a daemon thread. ``start()`` returns once it is listening."""

    def __init__(self, config: SimulatorConfig | None = None, host: str = LOOPBACK, port: int = 0):
        self.config = config or SimulatorConfig()
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        self._thread = threading.Thread(target=self._run, name="scribe-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("simulator did not start listening within 10 s")
        if self._error is not None:
            raise RuntimeError(f"simulator failed to start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() or lost only after a clean start
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def listening(port: int) -> None:
            self.port = port
            self._ready.set()

        await run_until_stopped(SimulatorApp(self.config), self.host, self.port, self._stop, listening)

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stop is None:
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._thread = None
        self._close_client()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def run_until_stopped(app: SimulatorApp, host: str, port: int, stop: asyncio.Event,
                            on_listening: Callable[[int], None] | None = None) -> None:
    """Serve ``app`` on the running loop until ``stop`` is set; ``on_listening(port)`` once bound."""
    server = HttpServer(app.handle, accept=app.accept_connection)
    bound = await server.start(host, port)
    if on_listening is not None:
        on_listening(bound)
    try:
        await stop.wait()
    finally:
        await server.close()


def serve(config: SimulatorConfig, host: str = LOOPBACK, port: int = 8765, out: TextIO = sys.stdout) -> None:
    """Run in the foreground, print the base URLs, stop cleanly on Ctrl-C."""

    def announce(bound: int) -> None:
        url = f"http://{host}:{bound}"
        print(f"scribe-tui simulator listening on {url}  (Ctrl-C to stop)", file=out)
        for kind, base in base_urls(url).items():
            print(f"  {kind + ':':<11}{base}", file=out)
        out.flush()

    app = SimulatorApp(config)
    try:
        asyncio.run(run_until_stopped(app, host, port, asyncio.Event(), announce))
    except KeyboardInterrupt:
        stats = app.stats
        print(f"simulator stopped after {stats.requests_total} requests "
              f"({stats.rate_limited} rate-limited, {sum(stats.faults.values())} faults)", file=out)
