"""Helpers for the dashboard's tests: settings for a real Supervisor on the demo provider, the
web server on a free loopback port in a thread of this process (real HTTP, real uvicorn),
and ``scribe-tui serve`` as a process of its own, with the URL it announces."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scribe_tui.config import Settings, load_settings
from scribe_tui.web.app import WebState, create_app
from scribe_tui.web.auth import Role, Tokens
from scribe_tui.web.engine_link import Engine, StoreThreads
from scribe_tui.web.live import LiveStatus
from scribe_tui.web.server import WebServer, bind
from tests.conftest import ROOT

VIEWER = "viewer-token-for-tests-0001"
OPERATOR = "operator-token-for-tests-0002"
TOKENS = Tokens({Role.VIEWER: VIEWER, Role.OPERATOR: OPERATOR})
TOKEN_ENV = {"SCRIBE_VIEWER_TOKEN": VIEWER, "SCRIBE_OPERATOR_TOKEN": OPERATOR}


# Worker processes get a minute to send their first heartbeat: at a load average of 10 and
# more on two cores, a freshly spawned worker took longer than 5 s to import what it needs.
def demo_settings(tmp_path: Path, *, latency_ms: int = 10, workers: int = 1) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", workers=workers,
                         cache={"dir": str(tmp_path / "cache")}, chunking={"max_tokens": 50, "context_tokens": 10},
                         providers={"demo": {"kind": "demo", "latency_ms": latency_ms, "jitter_ms": 0,
                                             "limits": ["6000/minute"]}},
                         retry={"base_delay_s": 0.05, "max_delay_s": 0.2, "park_after_s": 30},
                         engine={"heartbeat_s": 0.2, "heartbeat_timeout_s": 60, "lease_s": 60, "shutdown_grace_s": 1})


def write_config(tmp_path: Path, *, latency_ms: int = 10, extra: str = "") -> Path:
    """The same settings as a config file, for ``scribe-tui`` processes."""
    path = tmp_path / "config.toml"
    path.write_text(f"""
workers = 1
data_dir = "{tmp_path / 'data'}"
output_dir = "{tmp_path / 'out'}"
[cache]
dir = "{tmp_path / 'cache'}"
[chunking]
max_tokens = 50
context_tokens = 10
[engine]
heartbeat_s = 0.2
heartbeat_timeout_s = 60
shutdown_grace_s = 1
[providers.demo]
kind = "demo"
latency_ms = {latency_ms}
jitter_ms = 0
max_concurrency = 2
{extra}""")
    return path


def write_documents(directory: Path, names: list[str], paragraphs: int = 2) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = directory / name
        path.write_text("\n\n".join(f"Paragraph {n} of {name}: the bees are calm in the morning." for n in range(paragraphs)) + "\n")
        paths.append(path)
    return paths


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 20.0, interval: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class RunningServer:
    url: str
    server: WebServer
    live: LiveStatus


@contextmanager
def web_server(settings: Settings, engine: Engine, tokens: Tokens = TOKENS,
               interval_s: float = 0.3) -> Iterator[RunningServer]:
    """The dashboard over ``engine`` on 127.0.0.1, a free port, served from a thread."""
    threads = StoreThreads(engine)
    live = LiveStatus(threads, interval_s=interval_s)
    server = WebServer(create_app(WebState(settings, engine, tokens, threads, live)), live)
    sock = bind("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web-test-server", daemon=True)
    thread.start()
    try:
        assert server.ready.wait(15), "the web server did not start"
        yield RunningServer(f"http://127.0.0.1:{sock.getsockname()[1]}", server, live)
    finally:
        server.stop()
        thread.join(15)
        threads.stop()
        sock.close()
    assert not thread.is_alive(), "the web server did not stop"


@dataclass
class ServeProcess:
    proc: subprocess.Popen
    url: str  # the first line serve printed on stdout

    def interrupt(self, timeout: float = 30.0) -> tuple[int, str]:
        """Ctrl-C; the exit code and what it wrote on stderr."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCRIBE_")}
    return {**env, **(extra or {})}


@contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None) -> Iterator[ServeProcess]:
    """``scribe-tui serve --port 0 ARGS`` in its own process, once it printed its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "scribe_tui", "serve", "--port", "0", *args], cwd=ROOT,
                            env=cli_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        line = proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not line.startswith("http://"):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"serve did not announce a URL: {line!r}\n{err}")
        yield ServeProcess(proc, line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


# ---- a finished mix: what the status panes show ------------------------------------------------

PANES_LIMIT = "6000/minute"
PANES_CONCURRENCY = 2


def panes_settings(tmp_path: Path) -> Settings:
    """Two demo providers: ``demo`` (the default: a configured limit, a concurrency cap and a
    price) and ``broken`` (every request fails, so its job is dead-lettered after two attempts)."""
    price = {"default": {"input_per_million_tokens": 1000.0, "output_per_million_tokens": 1000.0}}
    demo = {"kind": "demo", "latency_ms": 10, "jitter_ms": 0, "limits": [PANES_LIMIT],
            "max_concurrency": PANES_CONCURRENCY, "pricing": price}
    broken = {"kind": "demo", "latency_ms": 10, "jitter_ms": 0, "fail_rate": 1.0, "limits": [PANES_LIMIT]}
    return load_settings(None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", workers=1,
                         default_provider="demo", max_attempts=2,
                         cache={"dir": str(tmp_path / "cache")}, chunking={"max_tokens": 50, "context_tokens": 10},
                         providers={"demo": demo, "broken": broken}, breaker={"failure_threshold": 50},
                         retry={"base_delay_s": 0.05, "max_delay_s": 0.2, "park_after_s": 30},
                         engine={"heartbeat_s": 0.2, "heartbeat_timeout_s": 60, "lease_s": 60, "shutdown_grace_s": 1})


@dataclass
class FinishedMix:
    server: RunningServer
    supervisor: object
    completed_id: int
    dead_id: int


@contextmanager
def finished_mix(tmp_path: Path) -> Iterator[FinishedMix]:
    """A supervisor that translated one document on ``demo`` and dead-lettered one on
    ``broken``, with the dashboard over it."""
    from scribe_tui.engine.supervisor import Supervisor

    settings = panes_settings(tmp_path)
    supervisor = Supervisor(settings)
    # Enqueued before the start: a supervisor starts the demo backends its queued jobs need.
    supervisor.enqueue(write_documents(tmp_path / "docs", ["good-bees.txt"], paragraphs=16), ["he"])
    supervisor.enqueue(write_documents(tmp_path / "docs", ["broken-bees.txt"]), ["de"], provider="broken")
    supervisor.start()
    try:
        by_name = {Path(job.path).name: job.id for job in supervisor.store.jobs()}
        good, bad = by_name["good-bees.txt"], by_name["broken-bees.txt"]
        wait_for(lambda: supervisor.store.job(good).status == "completed", "the good job to complete", timeout=120)
        wait_for(lambda: supervisor.store.job(bad).status == "dead", "the broken job to be dead-lettered", timeout=120)
        with web_server(settings, supervisor) as server:
            yield FinishedMix(server, supervisor, good, bad)
    finally:
        supervisor.stop(grace_s=1)
