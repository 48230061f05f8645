"""OpenTelemetry through a real run: with an OTLP endpoint set, the workers export a span per
chunk and the supervisor one per job, over HTTP to a local collector — ids and sizes only;
with the endpoint set where opentelemetry cannot be imported, the run is simply untraced."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from tests.engine_support import assert_translated, make_corpus, run_cli, write_config
from tests.hidden_modules import env_without

trace_pb2 = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


class _Collector(BaseHTTPRequestHandler):
    spans: list = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = trace_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                _Collector.spans.extend(scope_spans.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(trace_pb2.ExportTraceServiceResponse().SerializeToString())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[HTTPServer]:
    """A local OTLP/HTTP collector; the spans it received are in ``_Collector.spans``."""
    _Collector.spans = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def traced_batch(tmp_path: Path, collector: HTTPServer, env: dict[str, str] | None = None) -> tuple[Path, subprocess.CompletedProcess]:
    """``--batch`` over a small corpus against the simulator, with an OTLP endpoint set."""
    server = SimulatorServer(SimulatorConfig(latency_ms=5)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=2)
        config = write_config(tmp_path, sim_url=server.url)
        proc = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json",
                       env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_port}",
                            "OTEL_BSP_SCHEDULE_DELAY": "100", **(env or {})})
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    return corpus, proc


def test_chunk_and_job_spans_reach_an_otlp_collector(tmp_path: Path, collector: HTTPServer) -> None:
    corpus, _ = traced_batch(tmp_path, collector)
    names = [span.name for span in _Collector.spans]
    jobs = len(list(corpus.iterdir()))
    assert names.count("job") == jobs
    assert names.count("chunk") >= jobs
    chunk = next(span for span in _Collector.spans if span.name == "chunk")
    keys = {attribute.key for attribute in chunk.attributes}
    assert {"job_id", "chunk_id", "provider", "outcome"} <= keys
    values = " ".join(str(attribute.value) for span in _Collector.spans for attribute in span.attributes)
    assert "weather was fine" not in values  # sizes and ids, never text


def test_an_endpoint_set_without_opentelemetry_installed_runs_untraced(tmp_path: Path, collector: HTTPServer) -> None:
    """The "endpoint set, library missing" path through a real run: every process (supervisor
    and workers) is started where opentelemetry cannot be imported. The run completes as
    usual and nothing reaches the collector."""
    corpus, proc = traced_batch(tmp_path, collector, env_without(tmp_path, "opentelemetry"))
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["completed"] == len(list(corpus.iterdir()))
    assert_translated(corpus, tmp_path / "out", "he")
    assert _Collector.spans == []
