"""What the three simulated APIs share: the parsed call, the dialect interface the request
pipeline drives, and small helpers (token counts, durations, JSON bodies)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Protocol

from scribe_tui.documents.tokens import estimate_tokens as shared_estimate
from scribe_tui.simulator.http11 import Request, Response


@dataclass(frozen=True)
class ApiCall:
    """One translation call as the pipeline sees it, whatever API it came through."""

    texts: tuple[str, ...]
    targets: tuple[str, ...]  # language codes as the API received them, lower-cased
    source: str | None
    input_chars: int  # checked against max_input_chars
    tokens: int  # weight for "tokens" limits (the prompt's, for a chat call)
    characters: int  # weight for "characters" limits
    model: str = ""
    body: Any = None  # the decoded request body, for dialect-specific replies
    completion_tokens: int = 0  # a chat reply's tokens (also counted at arrival: the reply is known)

    @property
    def total_tokens(self) -> int:
        return self.tokens + self.completion_tokens


class ApiError(Exception):
    """Raised while parsing a request: reply with ``response`` and stop."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


class Dialect(Protocol):
    """The replies of one API. Every method returns the HTTP response to send."""

    name: str

    def authorised(self, request: Request, api_key: str) -> bool: ...

    def unauthorised(self, request: Request | None = None) -> Response: ...

    def parse(self, request: Request) -> ApiCall: ...

    def too_long(self, call: ApiCall, limit: int) -> Response: ...

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response: ...

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response: ...

    def server_error(self, status: int, call: ApiCall | None = None) -> Response: ...

    def malformed(self, call: ApiCall, variant: int) -> Response: ...

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response: ...


def estimate_tokens(text: str) -> int:
    """The simulator's token count: the estimate every layer shares, at least one."""
    return max(1, shared_estimate(text))


def retry_after_header(seconds: float) -> tuple[str, str]:
    """``Retry-After`` in whole seconds, rounded up (at least 1)."""
    return ("retry-after", str(max(1, math.ceil(seconds - 1e-9))))


def format_duration(seconds: float) -> str:
    """OpenAI's reset format: ``20ms``, ``1.5s``, ``6m0s``, ``1h2m3s``."""
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    if seconds < 60:
        return f"{math.ceil(seconds * 1000) / 1000:g}s"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s"


def json_body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _INVALID


_INVALID = object()


def is_invalid(value: Any) -> bool:
    return value is _INVALID
