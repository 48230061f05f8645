"""The Prometheus exporter scraped over HTTP on 127.0.0.1 after feeding it engine events
and snapshots; and the Grafana dashboard only plotting series the exporter serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from scribe_tui.engine.api import (
    ChunkDone,
    ChunkFailed,
    ChunkStarted,
    JobFinished,
    ProviderInfo,
    RateLimitHit,
    RateLimitWait,
    RetryScheduled,
    Snapshot,
    WorkerExited,
    WorkerInfo,
    WorkerStarted,
)
from scribe_tui.observability.prometheus import MetricsExporter

DASHBOARD = Path(__file__).resolve().parents[1] / "grafana" / "scribe-tui.json"


@pytest.fixture
def exporter():
    exp = MetricsExporter(0)
    exp.start()
    yield exp
    exp.close()


def scrape(exporter: MetricsExporter) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(exporter.url, timeout=5)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def _snapshot(counts: dict[str, int], circuit: str = "closed") -> Snapshot:
    worker = WorkerInfo(worker_id="w1", pid=123, state="busy", in_flight=4, heartbeat_age_s=0.5, restarts=1)
    provider = ProviderInfo(name="demo", kind="demo", model="demo-pseudo", circuit=circuit, paused_until=None,
                            limit_usage=(("600/minute", 120, 600),), requests=10, rate_limited=1,
                            latency_p50_ms=200, latency_p95_ms=400, cost_usd=0.01, concurrency_cap=3,
                            max_concurrency=10)
    return Snapshot(ts=0, counts=counts, chunk_counts={"queued": 7, "done": 3}, languages={"he": counts},
                    workers=(worker,), target_workers=2, paused=False, attached=False,
                    chunks_per_min=(1.0, 12.0), tokens_per_min=(100.0, 900.0), rate_limit_per_min=600,
                    eta_s=35.0, providers=(provider,), totals={})


def feed_events(exporter: MetricsExporter) -> None:
    events = [
        WorkerStarted(worker_id="w1", pid=123),
        ChunkStarted(job_id=1, task_id=10, chunk_index=0, worker_id="w1", provider="demo"),
        ChunkDone(job_id=1, task_id=10, chunk_index=0, provider="demo", tokens_in=100, tokens_out=120,
                  characters=400, cost_usd=0.002, cached=False, duration_ms=250),
        ChunkDone(job_id=1, task_id=11, chunk_index=1, provider="demo", tokens_in=0, tokens_out=0,
                  characters=0, cost_usd=0.0, cached=True, duration_ms=1),
        ChunkStarted(job_id=2, task_id=20, chunk_index=0, worker_id="w1", provider="openai"),
        RateLimitHit(provider="openai"),  # a 429 is counted, never an attempt
        RetryScheduled(job_id=2, task_id=20, chunk_index=0, delay_s=4.0, error_class="RetryableError",
                       message="503", attempts=1),
        ChunkFailed(job_id=2, task_id=20, chunk_index=0, error_class="RetryableError", message="503",
                    attempts=5, dead=True),
        RateLimitWait(provider="openai", until=0.0, reason="circuit_open"),
        JobFinished(job_id=2, status="dead", output_path=None, error="503"),
        WorkerExited(worker_id="w1", pid=123, exitcode=-9, replaced=True),
    ]
    for event in events:
        exporter.observe(event)


def test_counters_and_histogram_from_events(exporter):
    feed_events(exporter)
    s = scrape(exporter)
    assert value(s, "scribe_requests_total", provider="demo", outcome="ok") == 1
    assert value(s, "scribe_requests_total", provider="demo", outcome="cached") == 1
    assert value(s, "scribe_requests_total", provider="openai", outcome="rate_limited") == 1
    assert value(s, "scribe_requests_total", provider="openai", outcome="error") == 2
    assert value(s, "scribe_rate_limited_total", provider="openai") == 1
    assert value(s, "scribe_retries_total", provider="openai", error_class="RetryableError") == 1
    assert value(s, "scribe_chunk_failures_total", provider="openai", error_class="RetryableError", dead="true") == 1
    assert value(s, "scribe_request_latency_seconds_count", provider="demo") == 1
    assert value(s, "scribe_request_latency_seconds_sum", provider="demo") == pytest.approx(0.25)
    assert value(s, "scribe_request_latency_seconds_bucket", provider="demo", le="0.25") == 1
    assert value(s, "scribe_request_latency_seconds_bucket", provider="demo", le="0.1") == 0
    assert value(s, "scribe_tokens_total", provider="demo", direction="out") == 120
    assert value(s, "scribe_characters_total", provider="demo") == 400
    assert value(s, "scribe_cost_usd_total", provider="demo") == pytest.approx(0.002)
    assert value(s, "scribe_cache_hits_total", provider="demo") == 1
    assert value(s, "scribe_limit_waits_total", provider="openai", reason="circuit_open") == 1
    assert value(s, "scribe_jobs_finished_total", status="dead") == 1
    assert value(s, "scribe_worker_restarts_total") == 1
    assert value(s, "scribe_worker_starts_total") == 1


def test_gauges_from_snapshots(exporter):
    exporter.update(_snapshot({"queued": 5, "processing": 2, "failed": 1}))
    s = scrape(exporter)
    assert value(s, "scribe_jobs", status="queued") == 5
    assert value(s, "scribe_chunks", status="queued") == 7
    assert value(s, "scribe_jobs_by_language", language="he", status="processing") == 2
    assert value(s, "scribe_workers", state="busy") == 1
    assert value(s, "scribe_in_flight") == 4
    assert value(s, "scribe_workers_target") == 2
    assert value(s, "scribe_throughput_chunks_per_minute") == 12
    assert value(s, "scribe_eta_seconds") == 35
    assert value(s, "scribe_circuit_state", provider="demo", state="closed") == 1
    assert value(s, "scribe_circuit_state", provider="demo", state="open") == 0
    assert value(s, "scribe_limiter_used", provider="demo", limit="600/minute") == 120
    assert value(s, "scribe_concurrency_cap", provider="demo") == 3  # the adaptive cap, next to its maximum
    assert value(s, "scribe_concurrency_max", provider="demo") == 10
    assert value(s, "scribe_limiter_amount", provider="demo", limit="600/minute") == 600

    exporter.update(_snapshot({"queued": 1}, circuit="open"))
    s = scrape(exporter)
    assert value(s, "scribe_jobs", status="queued") == 1
    assert value(s, "scribe_jobs", status="failed") == 0  # gone from the snapshot: back to zero
    assert value(s, "scribe_circuit_state", provider="demo", state="open") == 1
    assert value(s, "scribe_circuit_state", provider="demo", state="closed") == 0


def test_grafana_dashboard_plots_only_exported_series(exporter):
    feed_events(exporter)
    exporter.update(_snapshot({"queued": 1}))
    exported = {name for name, _ in scrape(exporter)}
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(exprs) >= 15
    used = {name for expr in exprs for name in re.findall(r"\bscribe_[a-z_]+", expr)}
    assert used, "the dashboard queries no scribe_ series"
    assert used <= exported, f"not exported: {sorted(used - exported)}"
    assert all(panel["gridPos"]["w"] <= 24 for panel in dashboard["panels"])
