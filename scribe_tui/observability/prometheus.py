"""Prometheus metrics for a running supervisor: counters and a latency histogram fed from
the engine's events (``observe``), gauges refreshed from its snapshots (``update``), served
on ``http://127.0.0.1:<port>/metrics`` by a thread with its own registry.

``grafana/scribe-tui.json`` plots these series; keep the names in step with it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from scribe_tui.engine.api import (
    ChunkDone,
    ChunkFailed,
    ChunkStarted,
    Event,
    JobFinished,
    RateLimitHit,
    RateLimitWait,
    RetryScheduled,
    Snapshot,
    WorkerExited,
    WorkerStarted,
)

NAMESPACE = "scribe"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
CIRCUIT_STATES = ("closed", "open", "half_open", "disabled")
_TASKS_REMEMBERED = 50_000


class _Instruments:
    """Every series, registered in one private registry."""

    def __init__(self, registry: CollectorRegistry):
        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(name, doc, labels, namespace=NAMESPACE, registry=registry)

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, doc, labels, namespace=NAMESPACE, registry=registry)

        self.requests = counter("requests", "Chunk translations by provider and outcome (ok, cached, error, rate_limited)", ("provider", "outcome"))
        self.rate_limited = counter("rate_limited", "HTTP 429 replies by provider", ("provider",))
        self.retries = counter("retries", "Retries scheduled by provider and error class", ("provider", "error_class"))
        self.failures = counter("chunk_failures", "Chunks that failed for good (dead=true: dead-lettered)", ("provider", "error_class", "dead"))
        self.latency = Histogram("request_latency_seconds", "Provider call latency (cache hits excluded)", ("provider",),
                                 namespace=NAMESPACE, registry=registry, buckets=LATENCY_BUCKETS)
        self.tokens = counter("tokens", "Tokens by provider and direction (in, out)", ("provider", "direction"))
        self.characters = counter("characters", "Characters translated by provider", ("provider",))
        self.cost = counter("cost_usd", "Spend in USD by provider", ("provider",))
        self.cache_hits = counter("cache_hits", "Chunks answered from the cache", ("provider",))
        self.limit_waits = counter("limit_waits", "Times work waited on a limit, breaker or quota", ("provider", "reason"))
        self.jobs_finished = counter("jobs_finished", "Jobs that reached a final status", ("status",))
        self.worker_starts = counter("worker_starts", "Worker processes started")
        self.worker_restarts = counter("worker_restarts", "Worker processes that died and were replaced")
        self.jobs = gauge("jobs", "Jobs by status", ("status",))
        self.chunks = gauge("chunks", "Chunk tasks by status", ("status",))
        self.jobs_by_language = gauge("jobs_by_language", "Jobs by target language and status", ("language", "status"))
        self.workers = gauge("workers", "Worker processes by state", ("state",))
        self.workers_target = gauge("workers_target", "Worker processes the supervisor aims for")
        self.in_flight = gauge("in_flight", "Chunks in flight across all workers")
        self.paused = gauge("paused", "1 while dispatching is paused")
        self.circuit = gauge("circuit_state", "1 for the provider's current circuit state", ("provider", "state"))
        self.limit_used = gauge("limiter_used", "Units used in the current window of a limit", ("provider", "limit"))
        self.limit_amount = gauge("limiter_amount", "Units allowed per window of a limit", ("provider", "limit"))
        self.concurrency_cap = gauge("concurrency_cap", "Requests a provider may have in flight now (adaptive)",
                                     ("provider",))
        self.max_concurrency = gauge("concurrency_max", "The configured max_concurrency of a provider", ("provider",))
        self.throughput = gauge("throughput_chunks_per_minute", "Chunks completed in the last 60 seconds")
        self.eta = gauge("eta_seconds", "Estimated time to drain the queue (-1 when unknown)")


class MetricsExporter:
    """``start()`` serves /metrics; ``observe(event)`` and ``update(snapshot)`` feed it."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host = host
        self.requested_port = port
        self.registry = CollectorRegistry(auto_describe=True)
        self._m = _Instruments(self.registry)
        self._task_provider: OrderedDict[int, str] = OrderedDict()
        self._gauge_labels: dict[str, set[tuple[str, ...]]] = {}
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # ---- server -------------------------------------------------------------------------------

    def start(self) -> int:
        """Start the HTTP server thread; return the port it listens on (useful with port 0)."""
        if self._server is None:
            self._server, self._thread = start_http_server(self.requested_port, addr=self.host, registry=self.registry)
        return self.port

    @property
    def port(self) -> int:
        return int(self._server.server_port) if self._server is not None else self.requested_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    # ---- events -------------------------------------------------------------------------------

    def observe(self, event: Event) -> None:
        handler = _EVENT_HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _provider_of(self, task_id: int, *, forget: bool) -> str:
        with self._lock:
            provider = self._task_provider.pop(task_id, None) if forget else self._task_provider.get(task_id)
        return provider or "unknown"

    def _on_started(self, event: ChunkStarted) -> None:
        with self._lock:
            self._task_provider[event.task_id] = event.provider
            self._task_provider.move_to_end(event.task_id)
            while len(self._task_provider) > _TASKS_REMEMBERED:
                self._task_provider.popitem(last=False)

    def _on_done(self, event: ChunkDone) -> None:
        self._provider_of(event.task_id, forget=True)
        m, provider = self._m, event.provider
        m.requests.labels(provider, "cached" if event.cached else "ok").inc()
        if event.cached:
            m.cache_hits.labels(provider).inc()
            return
        m.latency.labels(provider).observe(max(0.0, event.duration_ms) / 1000.0)
        m.tokens.labels(provider, "in").inc(max(0, event.tokens_in))
        m.tokens.labels(provider, "out").inc(max(0, event.tokens_out))
        m.characters.labels(provider).inc(max(0, event.characters))
        m.cost.labels(provider).inc(max(0.0, event.cost_usd))

    def _count_error(self, provider: str, error_class: str) -> None:
        """A failed attempt (429s are not attempts: they come as RateLimitHit)."""
        self._m.requests.labels(provider, "error").inc()

    def _on_retry(self, event: RetryScheduled) -> None:
        provider = self._provider_of(event.task_id, forget=False)
        self._count_error(provider, event.error_class)
        self._m.retries.labels(provider, event.error_class).inc()

    def _on_failed(self, event: ChunkFailed) -> None:
        provider = self._provider_of(event.task_id, forget=True)
        self._count_error(provider, event.error_class)
        self._m.failures.labels(provider, event.error_class, "true" if event.dead else "false").inc()

    def _on_rate_limit_hit(self, event: RateLimitHit) -> None:
        self._m.requests.labels(event.provider, "rate_limited").inc()
        self._m.rate_limited.labels(event.provider).inc()

    def _on_wait(self, event: RateLimitWait) -> None:
        self._m.limit_waits.labels(event.provider, event.reason).inc()

    def _on_job_finished(self, event: JobFinished) -> None:
        self._m.jobs_finished.labels(event.status).inc()

    def _on_worker_started(self, event: WorkerStarted) -> None:
        self._m.worker_starts.inc()

    def _on_worker_exited(self, event: WorkerExited) -> None:
        if event.replaced:
            self._m.worker_restarts.inc()

    # ---- snapshots ----------------------------------------------------------------------------

    def update(self, snapshot: Snapshot) -> None:
        m = self._m
        self._set_all("jobs", m.jobs, {(status,): n for status, n in snapshot.counts.items()})
        self._set_all("chunks", m.chunks, {(status,): n for status, n in snapshot.chunk_counts.items()})
        self._set_all("jobs_by_language", m.jobs_by_language,
                      {(lang, status): n for lang, counts in snapshot.languages.items() for status, n in counts.items()})
        states: dict[tuple[str, ...], float] = {}
        for worker in snapshot.workers:
            states[(worker.state,)] = states.get((worker.state,), 0) + 1
        self._set_all("workers", m.workers, states)
        m.workers_target.set(snapshot.target_workers)
        m.in_flight.set(sum(worker.in_flight for worker in snapshot.workers))
        m.paused.set(1 if snapshot.paused else 0)
        m.throughput.set(snapshot.rate_per_min if snapshot.rate_per_min is not None
                         else (snapshot.chunks_per_min[-1] if snapshot.chunks_per_min else 0))
        m.eta.set(snapshot.eta_s if snapshot.eta_s is not None else -1)
        self._update_providers(snapshot)

    def _update_providers(self, snapshot: Snapshot) -> None:
        circuit: dict[tuple[str, ...], float] = {}
        used: dict[tuple[str, ...], float] = {}
        amount: dict[tuple[str, ...], float] = {}
        for provider in snapshot.providers:
            if provider.max_concurrency:
                self._m.concurrency_cap.labels(provider.name).set(provider.concurrency_cap)
                self._m.max_concurrency.labels(provider.name).set(provider.max_concurrency)
            for state in CIRCUIT_STATES:
                circuit[(provider.name, state)] = 1 if provider.circuit == state else 0
            for text, in_window, allowed in provider.limit_usage:
                used[(provider.name, text)] = in_window
                amount[(provider.name, text)] = allowed
        self._set_all("circuit", self._m.circuit, circuit)
        self._set_all("limit_used", self._m.limit_used, used)
        self._set_all("limit_amount", self._m.limit_amount, amount)

    def _set_all(self, key: str, gauge: Gauge, values: dict[tuple[str, ...], float]) -> None:
        """Set every labelled value; labels seen before but absent now drop to 0."""
        previous = self._gauge_labels.get(key, set())
        for labels in previous - set(values):
            gauge.labels(*labels).set(0)
        for labels, value in values.items():
            gauge.labels(*labels).set(value)
        self._gauge_labels[key] = previous | set(values)


_EVENT_HANDLERS: dict[type, Any] = {
    ChunkStarted: MetricsExporter._on_started,
    ChunkDone: MetricsExporter._on_done,
    RetryScheduled: MetricsExporter._on_retry,
    ChunkFailed: MetricsExporter._on_failed,
    RateLimitHit: MetricsExporter._on_rate_limit_hit,
    RateLimitWait: MetricsExporter._on_wait,
    JobFinished: MetricsExporter._on_job_finished,
    WorkerStarted: MetricsExporter._on_worker_started,
    WorkerExited: MetricsExporter._on_worker_exited,
}
