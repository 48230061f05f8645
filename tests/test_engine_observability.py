"""Observability through a real run: /metrics scraped over HTTP while a batch runs, its values
checked against the run's JSON summary and the simulator's own count; the webhook received by
a local server; and the log file free of keys and document text."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import JobStore
from tests.engine_support import make_corpus, popen_cli, run_cli, wait_for, write_config

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

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




def scrape(port: int) -> dict[str, float] | None:
    """The counters a /metrics scrape holds, summed over providers: requests sent (every
    outcome but cached), done (ok + cached), rate_limited, cache_hits, retries; None when the
    endpoint does not answer."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return None
    totals = {"sent": 0.0, "done": 0.0, "rate_limited": 0.0, "cache_hits": 0.0, "retries": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "scribe_requests_total":
                outcome = sample.labels["outcome"]
                totals["sent"] += sample.value if outcome != "cached" else 0
                totals["done"] += sample.value if outcome in ("ok", "cached") else 0
            elif sample.name in ("scribe_rate_limited_total", "scribe_cache_hits_total", "scribe_retries_total"):
                totals[sample.name[len("scribe_"):-len("_total")]] += sample.value
    return totals


def short_documents(root: Path, first: int, count: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + count):
        (root / f"doc{i:02}.txt").write_text(f"Short document number {i}, about the weather.\n")
    return root


def test_metrics_scraped_during_a_real_run_match_its_summary_and_the_servers_count(tmp_path: Path) -> None:
    """A run with cache hits (5 documents translated by an earlier run), 429s (the server's
    limit is not configured on our side) and 500s. /metrics lives only as long as the run, so
    the test pauses dispatch through the store, reads /metrics once everything in flight has
    landed, then cancels what is left and resumes: nothing is sent after the read, so the run's summary
    must say exactly what the scrape said, and the simulator must have received as many
    requests as both report."""
    server = SimulatorServer(SimulatorConfig(latency_ms=60, limits=("8/2s",), http_500=0.05, seed=3)).start()
    try:
        config = write_config(tmp_path, sim_url=server.url, workers=2, max_concurrency=8, max_attempts=10)
        corpus = short_documents(tmp_path / "corpus", 0, 5)
        earlier = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json",
                          "--data-dir", str(tmp_path / "earlier"))  # same cache dir, another queue
        assert earlier.returncode == 0, earlier.stderr
        short_documents(corpus, 5, 25)
        sent_before = server.stats()["requests_total"]
        port = free_port()
        batch = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json",
                          "--metrics-port", str(port))
        try:
            wait_for(lambda: server.stats()["rate_limited"] >= 1 and scrape(port), 90, "a 429 in the run")
            with JobStore.open(tmp_path / "data") as store:
                store.set_control("paused", True)
                wait_for(lambda: store.task_counts().get("leased", 0) == 0, 60, "in-flight chunks to land")
                still: list[dict[str, float] | None] = [None]

                def settled() -> bool:  # the exporter has seen every chunk the store says is done
                    before, still[0] = still[0], scrape(port)
                    done = store.task_counts().get("done", 0)
                    return still[0] is not None and still[0] == before and still[0]["done"] == done

                wait_for(settled, 30, "/metrics to settle", every=0.1)
                scraped = still[0]
                assert scraped is not None
                left = [job.id for job in store.jobs() if job.status != "completed"]
                assert left, "the run finished before it could be paused"
                store.cancel(left)
                store.set_control("paused", False)  # nothing is left to dispatch: the run ends
            stdout, stderr = batch.communicate(timeout=90)
        finally:
            if batch.poll() is None:
                batch.kill()
        sent_in_run = server.stats()["requests_total"] - sent_before
    finally:
        server.stop()
    assert batch.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["cache_hits"] == 5 and summary["rate_limited"] >= 1
    assert (scraped["sent"], scraped["rate_limited"], scraped["cache_hits"], scraped["retries"]) == (
        summary["requests"], summary["rate_limited"], summary["cache_hits"], summary["retries"])
    assert sent_in_run == summary["requests"]  # what the server received, 429s and 500s included
    assert summary["completed"] + summary["cancelled"] == summary["jobs"] == 30


def test_webhook_and_clean_logs(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=20)).start()
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=6)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=2, workers=1,
                              extra=f'[notify]\nwebhook_url = "http://127.0.0.1:{hook.server_port}/hook"\n')
        batch = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
        stdout, stderr = batch.stdout, batch.stderr
        assert batch.returncode == 0, stderr
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
