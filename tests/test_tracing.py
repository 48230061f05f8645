"""Tracing stays a no-op without an OTLP endpoint or without opentelemetry installed (the latter
in a child interpreter that cannot import it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from scribe_tui import tracing
from tests.hidden_modules import env_without


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


def test_endpoint_without_opentelemetry_installed_is_still_a_no_op(tmp_path):
    """In a child interpreter where opentelemetry cannot be imported (the test suite always has
    it installed, so this is the only way the path runs)."""
    child = textwrap.dedent("""
        import sys
        try:
            import opentelemetry  # noqa: F401
            print("opentelemetry importable")
        except ImportError:
            pass
        from scribe_tui import tracing
        assert tracing.endpoint_configured()
        assert isinstance(tracing.tracer(), tracing.NoopTracer), tracing.tracer()
        assert tracing.tracing_enabled() is False
        with tracing.span("x", a=1) as span:
            assert isinstance(span, tracing.NoopSpan)
        print("no-op")
    """)
    env = {**os.environ, **env_without(tmp_path, "opentelemetry"), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
    proc = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["no-op"]  # hidden (else "opentelemetry importable" comes first), and a no-op


def test_attributes_are_reduced_to_primitives():
    assert tracing.clean_attributes({"a": 1, "b": None, "c": [1, 2], "d": "x", "e": 1.5, "f": True}) == {
        "a": 1, "c": "[1, 2]", "d": "x", "e": 1.5, "f": True}
