"""Webhook notifications received by a real HTTP server on 127.0.0.1: retries after a 500,
giving up after three tries, no retry on a 4xx, and never blocking the caller."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scribe_tui.engine.api import JobFinished
from scribe_tui.observability.webhooks import BatchSummary, Notifier


class Hook:
    """A webhook endpoint answering with the given statuses in turn (then 200)."""

    def __init__(self, statuses: list[int] | None = None):
        self.statuses = list(statuses or [])
        self.bodies: list[dict] = []
        self.gate = threading.Event()
        self.gate.set()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hook.gate.wait(10)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.bodies.append(json.loads(body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    created: list[Hook] = []

    def make(statuses: list[int] | None = None) -> Hook:
        created.append(Hook(statuses))
        return created[-1]

    yield make
    for item in created:
        item.close()


def test_batch_finished_is_posted_after_a_500(hook):
    server = hook([500])
    notifier = Notifier(server.url, backoff_s=0.01)
    notifier.batch_finished(BatchSummary(completed=3, failed=1, cancelled=0, duration_s=125, cost_usd=0.0123,
                                         documents=2, chunks=17))
    assert notifier.close(5)
    assert len(server.bodies) == 2  # the 500, then the retry that succeeded
    text = server.bodies[-1]["text"]
    assert "3 completed" in text and "1 failed" in text and "2m05s" in text and "$0.0123" in text
    assert (notifier.sent, notifier.failed) == (1, 0)


def test_dead_letter_from_an_engine_event(hook):
    server = hook()
    notifier = Notifier(server.url, backoff_s=0.01)
    notifier.observe(JobFinished(job_id=42, status="dead", output_path=None, error="RetryableError: HTTP 503\ntrace"))
    notifier.observe(JobFinished(job_id=43, status="completed", output_path="/x", error=None))
    assert notifier.close(5)
    assert [body["text"] for body in server.bodies] == [
        "scribe-tui: job 42 was dead-lettered after its last attempt: RetryableError: HTTP 503"]


def test_gives_up_after_three_tries(hook):
    server = hook([500, 503, 502, 500])
    notifier = Notifier(server.url, backoff_s=0.01)
    notifier.send("hello")
    assert notifier.close(5)
    assert len(server.bodies) == 3
    assert (notifier.sent, notifier.failed) == (0, 1)


def test_client_errors_are_not_retried(hook):
    server = hook([404])
    notifier = Notifier(server.url, backoff_s=0.01)
    notifier.send("hello")
    assert notifier.close(5)
    assert len(server.bodies) == 1 and notifier.failed == 1


def test_send_never_waits_for_the_server(hook):
    server = hook()
    server.gate.clear()  # the server holds every request until the gate opens
    notifier = Notifier(server.url, backoff_s=0.01)
    for i in range(3):
        notifier.send(f"message {i}")  # returns although the server has answered nothing
    assert server.bodies == []
    server.gate.set()
    assert notifier.close(5)
    assert [body["text"] for body in server.bodies] == ["message 0", "message 1", "message 2"]


def test_without_a_url_nothing_happens():
    notifier = Notifier(None)
    assert not notifier.enabled
    notifier.send("ignored")
    assert notifier.close(1) is True
    assert notifier.sent == 0
