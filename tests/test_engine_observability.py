"""Observability through a real run: /metrics scraped over HTTP while a batch runs, the
webhook received by a local server, and the log file free of keys and document text."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from tests.engine_support import make_corpus, popen_cli, run_cli, write_config

pytestmark = pytest.mark.timeout(120)

SECRET = "sk-test-simulator-key-0000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_metrics_endpoint_webhook_and_clean_logs(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=250)).start()
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=6)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=2, workers=1,
                              extra=f'[notify]\nwebhook_url = "http://127.0.0.1:{hook.server_port}/hook"\n')
        port = free_port()
        batch = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json",
                          "--metrics-port", str(port))
        scraped = ""
        deadline = time.time() + 60
        while time.time() < deadline and "scribe_requests_total" not in scraped:
            try:
                scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        stdout, stderr = batch.communicate(timeout=90)
        assert batch.returncode == 0, stderr
        assert "scribe_requests_total" in scraped
        summary = json.loads(stdout)
        assert any("completed" in message.get("text", "") for message in _Hook.received), _Hook.received
        log_text = "".join(p.read_text() for p in (tmp_path / "data" / "logs").glob("*.log*"))
        assert '"job_id"' in log_text  # correlation ids are there...
        assert SECRET not in log_text  # ...keys are not
        assert "weather was fine" not in log_text and "Segment 3 of the podcast" not in log_text
        assert summary["completed"] == summary["jobs"]
    finally:
        hook.shutdown()
        server.stop()


def test_bad_metrics_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        corpus = make_corpus(tmp_path / "corpus", documents=1)
        proc = run_cli("--batch", str(corpus), "--to", "he", "--config", str(write_config(tmp_path)),
                       "--metrics-port", str(port))
    assert proc.returncode == 2 and "metrics-port" in proc.stderr and "Traceback" not in proc.stderr
