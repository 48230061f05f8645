"""Shared HTTP helpers: durations, retry hints and the status → error-class mapping."""

from __future__ import annotations

import email.utils
import time

import pytest

from scribe_tui.providers.base import (
    ChunkRejected,
    ContentTooLong,
    ProviderUnavailable,
    RateLimited,
    RetryableError,
)
from scribe_tui.providers.http import error_for_status, parse_duration, retry_after_from_headers


@pytest.mark.parametrize(("text", "seconds"), [
    ("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("59.988s", 59.988), ("2", 2.0),
    ("", None), ("soon", None), ("5x", None), ("1s junk", None),
])
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_prefers_milliseconds_then_seconds() -> None:
    assert retry_after_from_headers({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert retry_after_from_headers({"Retry-After": "9"}) == 9.0


def test_retry_after_as_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= retry_after_from_headers({"Retry-After": when}) <= 31  # type: ignore[operator]


def test_reset_headers_of_the_spent_limit_win() -> None:
    headers = {"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "40",
               "x-ratelimit-reset-tokens": "20ms", "x-ratelimit-remaining-tokens": "0"}
    assert retry_after_from_headers(headers) == pytest.approx(0.02)
    assert retry_after_from_headers({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "3s"}) == 3.0
    assert retry_after_from_headers({}) is None


@pytest.mark.parametrize(("status", "error"), [
    (429, RateLimited), (500, RetryableError), (502, RetryableError), (503, RetryableError), (408, RetryableError),
    (401, ProviderUnavailable), (403, ProviderUnavailable), (413, ContentTooLong),
    (400, ChunkRejected), (404, ChunkRejected), (422, ChunkRejected),
])
def test_generic_status_mapping(status: int, error: type) -> None:
    mapped = error_for_status("p", status, {"Retry-After": "7"}, "went wrong")
    assert type(mapped) is error
    assert mapped.status == status and mapped.provider == "p" and "went wrong" in str(mapped)
    if status == 429:
        assert mapped.retry_after_s == 7.0


def test_limit_report_reads_the_providers_view_of_its_limits() -> None:
    from scribe_tui.providers.http import limit_report

    report = limit_report({"x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-requests": "1s",
                           "x-ratelimit-remaining-tokens": "149000", "x-ratelimit-reset-tokens": "6m0s",
                           "openai-processing-ms": "850"})
    assert report is not None
    assert dict(report.remaining) == {"requests": 59, "tokens": 149000}
    assert dict(report.reset_s) == {"requests": 1.0, "tokens": 360.0} and report.processing_s == 0.85
    assert limit_report({"content-type": "application/json"}) is None
    assert limit_report({"x-ratelimit-remaining-requests": "many"}) is None
