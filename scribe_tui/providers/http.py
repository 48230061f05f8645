"""What the HTTP adapters share: the httpx client built from a provider's config, reading
``Retry-After`` and OpenAI's reset headers, and mapping HTTP failures onto the error
classes in ``providers.base`` (one attempt per call; retrying is the limits layer's job).
Error messages never carry API keys or document text.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

import httpx

from scribe_tui.config import ProviderConfig
from scribe_tui.providers.base import (
    ChunkRejected,
    ContentTooLong,
    LimitReport,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RetryableError,
)

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_MESSAGE_LIMIT = 300


def client_timeout(config: ProviderConfig) -> httpx.Timeout:
    return httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s)


def client_limits(config: ProviderConfig) -> httpx.Limits:
    return httpx.Limits(max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency)


def make_async_client(config: ProviderConfig, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client with the provider's timeouts and a pool sized to its concurrency."""
    return httpx.AsyncClient(timeout=client_timeout(config), limits=client_limits(config), **kwargs)


# ---- durations and retry hints ----------------------------------------------------------


def parse_duration(text: str) -> float | None:
    """Seconds in ``"1s"``, ``"6m0s"``, ``"20ms"``, ``"1h2m3.5s"`` or a bare number; else None."""
    text = text.strip().lower()
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(number) * scale[unit] for number, unit in parts)


def _retry_after(value: str) -> float | None:
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """How long the server asked us to wait: ``retry-after-ms``, ``Retry-After`` (seconds or
    an HTTP date), else the ``x-ratelimit-reset-requests|tokens`` of a spent limit."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(float(lowered["retry-after-ms"]) / 1000, 0.0)
        except ValueError:
            pass
    if "retry-after" in lowered:
        seconds = _retry_after(lowered["retry-after"])
        if seconds is not None:
            return seconds
    return _reset_hint(lowered)


def limit_report(headers: Mapping[str, str]) -> LimitReport | None:
    """The provider's view of its limits in a reply's headers, or None when it sent none."""
    lowered = {key.lower(): value for key, value in headers.items()}
    remaining: dict[str, int] = {}
    reset: dict[str, float] = {}
    for kind in ("requests", "tokens"):
        try:
            remaining[kind] = max(int(float(lowered[f"x-ratelimit-remaining-{kind}"])), 0)
        except (KeyError, ValueError):
            continue
        seconds = parse_duration(lowered.get(f"x-ratelimit-reset-{kind}", ""))
        if seconds is not None:
            reset[kind] = seconds
    processing = None
    try:
        processing = max(float(lowered["openai-processing-ms"]) / 1000, 0.0)
    except (KeyError, ValueError):
        pass
    if not remaining and processing is None:
        return None
    return LimitReport(remaining=remaining, reset_s=reset, processing_s=processing)


def _reset_hint(headers: Mapping[str, str]) -> float | None:
    resets: dict[str, float] = {}
    for kind in ("requests", "tokens"):
        value = headers.get(f"x-ratelimit-reset-{kind}")
        seconds = parse_duration(value) if value else None
        if seconds is not None:
            resets[kind] = seconds
    if not resets:
        return None
    spent = [seconds for kind, seconds in resets.items() if headers.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0"]
    return max(spent or resets.values())


# ---- replies -----------------------------------------------------------------------------


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"


def body_json(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when it is not JSON."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def error_for_status(provider: str, status: int, headers: Mapping[str, str], message: str) -> ProviderError:
    """The generic mapping: 429 rate limited, 5xx/408 transient, 401/403 provider unusable,
    413 too long, any other 4xx rejected for this chunk."""
    text = f"HTTP {status}: {short(message)}" if message else f"HTTP {status}"
    if status == 429:
        return RateLimited(text, provider=provider, status=status, retry_after_s=retry_after_from_headers(headers),
                           report=limit_report(headers))
    if status >= 500 or status == 408:
        return RetryableError(text, provider=provider, status=status, retry_after_s=retry_after_from_headers(headers))
    if status in (401, 403):
        return ProviderUnavailable(text, provider=provider, status=status)
    if status == 413:
        return ContentTooLong(text, provider=provider, status=status)
    return ChunkRejected(text, provider=provider, status=status)


def transport_error(provider: str, exc: Exception) -> RetryableError:
    """A timeout, refused or dropped connection: transient."""
    if isinstance(exc, httpx.TimeoutException):
        return RetryableError(f"timed out ({type(exc).__name__})", provider=provider)
    return RetryableError(f"connection failed ({type(exc).__name__}: {short(str(exc))})", provider=provider)


async def send(client: httpx.AsyncClient, provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One HTTP attempt; transport failures come out as ``RetryableError``."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise transport_error(provider, exc) from exc


def malformed(provider: str, what: str) -> RetryableError:
    return RetryableError(f"malformed reply: {what}", provider=provider, status=200)


def reply_json(response: httpx.Response, provider: str) -> Any:
    """The JSON of a 200 reply; ``RetryableError`` ("malformed reply") when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise malformed(provider, "the body is not valid JSON") from None
