"""Optional OpenTelemetry tracing: a span per chunk (in the workers) and per job (when its
output is written). With the ``otel`` extra installed and
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set, spans are
exported over OTLP (``OTEL_EXPORTER_OTLP_PROTOCOL`` grpc, else http/protobuf); otherwise
``tracer()`` and ``span()`` cost next to nothing and do nothing.

Span attributes must never carry document text or keys: ids, sizes, provider names only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SERVICE_NAME = "scribe-tui"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_ATTRIBUTE_TYPES = (str, bool, int, float)

_lock = threading.Lock()
_tracer: Any = None


class NoopSpan:
    """Accepts what a real span does and records nothing."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        pass

    def add_event(self, name: str, attributes: dict[str, Any] | None = None) -> None:
        pass

    def record_exception(self, exception: BaseException, attributes: dict[str, Any] | None = None) -> None:
        pass

    def set_status(self, *args: Any, **kwargs: Any) -> None:
        pass

    def is_recording(self) -> bool:
        return False


class NoopTracer:
    """Stands in for an OpenTelemetry tracer when tracing is off."""

    enabled = False

    @contextmanager
    def start_as_current_span(self, name: str, **kwargs: Any) -> Iterator[NoopSpan]:
        yield NoopSpan()


def endpoint_configured() -> bool:
    return any(os.environ.get(name) for name in ENDPOINT_VARIABLES)


def _build_exporter() -> Any:
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[no-redef]
    return OTLPSpanExporter()


def _build_real_tracer() -> Any:
    """An OTLP-exporting tracer, or None when opentelemetry is not installed."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        return None
    from scribe_tui import __version__

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME, "service.version": __version__}))
    provider.add_span_processor(BatchSpanProcessor(_build_exporter()))
    trace.set_tracer_provider(provider)
    return trace.get_tracer("scribe_tui", __version__)


def tracer() -> Any:
    """The process's tracer: OTLP-exporting when configured and installed, else a no-op."""
    global _tracer
    with _lock:
        if _tracer is None:
            real = _build_real_tracer() if endpoint_configured() else None
            _tracer = real if real is not None else NoopTracer()
        return _tracer


def reset_tracer() -> None:
    """Forget the cached tracer (the environment changed, or in tests)."""
    global _tracer
    with _lock:
        _tracer = None


def tracing_enabled() -> bool:
    return not isinstance(tracer(), NoopTracer)


def clean_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """Only primitive, non-None values; anything else is turned into its string form."""
    cleaned: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        cleaned[key] = value if isinstance(value, _ATTRIBUTE_TYPES) else str(value)
    return cleaned


@contextmanager
def span(name: str, **attrs: Any) -> Iterator[Any]:
    """``with span("translate_chunk", job_id=3, provider="openai") as s: ...``"""
    current = tracer()
    if isinstance(current, NoopTracer):
        yield NoopSpan()
        return
    with current.start_as_current_span(name, attributes=clean_attributes(attrs)) as real_span:
        yield real_span


def record_span(name: str, start_s: float, end_s: float, **attrs: Any) -> None:
    """Record a span that already happened (a job, from its first lease to its output being
    written), with epoch-second bounds. Does nothing when tracing is off."""
    current = tracer()
    if isinstance(current, NoopTracer):
        return
    real_span = current.start_span(name, attributes=clean_attributes(attrs), start_time=int(start_s * 1e9))
    real_span.end(end_time=int(end_s * 1e9))
