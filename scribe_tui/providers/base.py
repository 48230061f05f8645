"""The provider protocol every adapter implements, its request/result types and the
error classes the limits layer uses to decide what to do with a failed call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit


@dataclass(frozen=True)
class TranslationRequest:
    """One chunk to translate. ``text`` is sent as the last user message and nothing else."""

    text: str
    target_language: str
    context: str = ""
    source_language: str = "auto"
    glossary: Mapping[str, str] = field(default_factory=dict)
    chunk_id: str | None = None  # correlation id for logs; never part of the prompt


@dataclass(frozen=True)
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class LimitReport:
    """What a provider's reply said about its limits (``x-ratelimit-*`` headers): units left
    and seconds until the window is whole again, per kind (``requests``, ``tokens``), and how
    long it took over the request itself (``openai-processing-ms``)."""

    remaining: Mapping[str, int] = field(default_factory=dict)
    reset_s: Mapping[str, float] = field(default_factory=dict)
    processing_s: float | None = None


@dataclass(frozen=True)
class TranslationResult:
    text: str
    usage: Usage
    provider: str
    model: str
    latency_ms: float = 0.0
    report: LimitReport | None = None


@dataclass(frozen=True)
class Estimate:
    """What a request will probably consume, for rate-limit weights and dry runs."""

    tokens_in: int
    tokens_out: int
    characters: int

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


def endpoint_identity(url: str) -> str:
    """Who answers at ``url``: scheme, host and path, case and trailing slash normalised."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


@runtime_checkable
class Provider(Protocol):
    name: str  # the config name, e.g. "openai" or "deepl-pro"
    kind: str  # openai | deepl | microsoft | demo
    model: str
    endpoint: str  # endpoint_identity of the server it talks to ("demo" for the built-in demo)

    async def translate(self, request: TranslationRequest) -> TranslationResult: ...

    def estimate(self, request: TranslationRequest) -> Estimate: ...

    def cost(self, usage: Usage) -> float: ...

    async def aclose(self) -> None: ...


# ---- errors ---------------------------------------------------------------------------------


class ProviderError(Exception):
    """A call failed. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None,
                 retry_after_s: float | None = None, report: LimitReport | None = None):
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retry_after_s = retry_after_s
        self.report = report

    @property
    def error_class(self) -> str:
        return type(self).__name__


class RetryableError(ProviderError):
    """Transient: 5xx, timeouts, dropped connections, malformed replies. Retry with backoff."""


class RateLimited(RetryableError):
    """429. ``retry_after_s`` from Retry-After / x-ratelimit-reset-* when the server said."""


class QuotaExhausted(ProviderError):
    """A long quota is spent (DeepL 456, a daily cap). ``retry_after_s`` is the time to reset
    when known. The work is parked, not failed."""


class ChunkRejected(ProviderError):
    """Fatal for this chunk (400 and the like): retrying the same text will not help."""


class ContentTooLong(ChunkRejected):
    """The chunk is too long for the model: split it and retry the smaller parts."""


class ProviderUnavailable(ProviderError):
    """Fatal for the provider (401/403, missing key): stop using it and say so clearly."""
