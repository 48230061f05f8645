"""Reading the error bodies OpenAI-compatible servers send, whatever their shape, into one
``ServerError`` the adapter maps onto our error classes.

Shapes seen (``simulator/profiles.py`` says where): OpenAI's ``{"error": {message, type,
param, code}}`` (the SDK hands us the inner object), vLLM's same shape with ``code`` the
HTTP status as a number, vLLM's ``{"error": "Unauthorized"}`` and LM Studio's bare-string
``{"error": "…"}`` (the SDK hands us the string), and Gemini's list of Google RPC errors
``[{"error": {code, message, status, details}}]``, whose details carry the reason
(``API_KEY_INVALID``), the quota hit (``QuotaFailure``) and the wait (``RetryInfo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scribe_tui.providers.http import parse_duration

_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})
_KEY_STATUSES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})


@dataclass(frozen=True)
class ServerError:
    message: str
    code: str = ""  # OpenAI's code (or vLLM's status number as text)
    kind: str = ""  # OpenAI's type
    google_status: str = ""  # Gemini: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, …
    reasons: frozenset[str] = frozenset()  # Gemini ErrorInfo reasons
    quota_ids: tuple[str, ...] = ()  # Gemini QuotaFailure violations
    retry_delay_s: float | None = None  # Gemini RetryInfo

    @property
    def bad_key(self) -> bool:
        """A key the server refuses, whatever the status (Gemini answers 400 for it)."""
        return bool(self.reasons & _KEY_REASONS) or self.google_status in _KEY_STATUSES

    @property
    def daily_quota(self) -> bool:
        return any("PerDay" in quota for quota in self.quota_ids)


def read_error(body: Any, fallback: str) -> ServerError:
    """``body`` as the openai SDK gives it (``exc.body``); ``fallback`` the SDK's message."""
    if isinstance(body, list) and body and isinstance(body[0], dict) and isinstance(body[0].get("error"), dict):
        return _google(body[0]["error"], fallback)
    if isinstance(body, dict):
        if "status" in body and "details" in body:  # a Google error not wrapped in a list
            return _google(body, fallback)
        return ServerError(str(body.get("message") or fallback), str(body.get("code") or ""), str(body.get("type") or ""))
    if isinstance(body, str) and body.strip():
        return ServerError(body)
    return ServerError(fallback)


def _google(error: dict[str, Any], fallback: str) -> ServerError:
    details = [item for item in error.get("details") or [] if isinstance(item, dict)]
    reasons = frozenset(str(item["reason"]) for item in details if "reason" in item)
    quota_ids = tuple(str(violation.get("quotaId", "")) for item in details
                      for violation in item.get("violations") or [] if isinstance(violation, dict))
    delays = [parse_duration(str(item["retryDelay"])) for item in details if "retryDelay" in item]
    delay = next((value for value in delays if value is not None), None)
    return ServerError(str(error.get("message") or fallback), google_status=str(error.get("status") or ""),
                       reasons=reasons, quota_ids=quota_ids, retry_delay_s=delay)
