"""Tracing stays a no-op without an OTLP endpoint or without opentelemetry installed."""

from __future__ import annotations

import importlib.util

import pytest

from scribe_tui import tracing


@pytest.fixture(autouse=True)
def _fresh_tracer(monkeypatch):
    for name in tracing.ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    tracing.reset_tracer()
    yield
    tracing.reset_tracer()


def test_no_endpoint_means_no_op():
    assert isinstance(tracing.tracer(), tracing.NoopTracer)
    assert tracing.tracing_enabled() is False
    with tracing.span("translate_chunk", job_id=3, provider="demo", extra=None) as span:
        span.set_attribute("tokens", 10)
        span.add_event("cache_miss")
        assert span.is_recording() is False


def test_exceptions_pass_through_the_no_op_span():
    with pytest.raises(ValueError, match="boom"), tracing.span("failing"):
        raise ValueError("boom")


@pytest.mark.skipif(importlib.util.find_spec("opentelemetry") is not None, reason="opentelemetry is installed")
def test_endpoint_without_opentelemetry_installed_is_still_a_no_op(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing.endpoint_configured()
    assert isinstance(tracing.tracer(), tracing.NoopTracer)
    with tracing.span("x", a=1) as span:
        assert isinstance(span, tracing.NoopSpan)


def test_attributes_are_reduced_to_primitives():
    assert tracing.clean_attributes({"a": 1, "b": None, "c": [1, 2], "d": "x", "e": 1.5, "f": True}) == {
        "a": 1, "c": "[1, 2]", "d": "x", "e": 1.5, "f": True}
