"""How OpenAI-compatible servers differ from OpenAI: one ``ServerProfile`` per server the
simulator can imitate (``SimulatorConfig.server_profile``), and the error bodies each sends.

Every difference is one we have seen the real server make; where we learned it is noted
beside it. What a profile does not mention behaves as OpenAI does.

- ``openai``: the reference. 401 ``invalid_api_key``; 429 with ``Retry-After`` and
  ``x-ratelimit-*`` headers; ``{"error": {message, type, param, code}}``.
- ``gemini`` (``…/v1beta/openai``): errors are Google RPC errors wrapped in a JSON *list*,
  ``[{"error": {code, message, status, details}}]`` (Simpleyyt/ai-manus#101); a wrong key is
  **400** ``INVALID_ARGUMENT`` with reason ``API_KEY_INVALID``, not 401 (continuedev/continue
  #10530); a spent window is 429 ``RESOURCE_EXHAUSTED`` whose wait is in the body's
  ``google.rpc.RetryInfo.retryDelay`` (``"26s"``) next to a ``QuotaFailure`` naming the
  quota, with no ``Retry-After`` and no ``x-ratelimit-*`` headers (RooCodeInc/Roo-Code#3883);
  an overloaded model is 503 ``UNAVAILABLE``.
- ``vllm``: no rate limits at all (requests queue; no ``x-ratelimit-*``); errors are
  ``{"error": {message, type: "BadRequestError", param, code: 400}}`` with ``code`` the HTTP
  status as a number (vllm ``serve/engine/protocol.py`` ``ErrorInfo``); a wrong key under
  ``--api-key`` is 401 ``{"error": "Unauthorized"}`` (vllm ``AuthenticationMiddleware``).
- ``ollama``: no key check; errors ``{"error": {message, type: "api_error", param: null,
  code: null}}`` (ollama ``openai/openai.go`` ``NewError``); more requests than it can queue
  get **503** "server busy, please try again.  maximum pending requests exceeded" (ollama
  PR #4144, issue #4159), never 429; a prompt longer than the context is cut silently, not
  refused (ollama#2208); ``system_fingerprint`` is ``fp_ollama``.
- ``lmstudio``: no key check; errors are ``{"error": "<text>"}`` with a bare string
  (lmstudio-bug-tracker#618); a prompt longer than the loaded context is 400 "The number of
  tokens to keep from the initial prompt is greater than the context length …"
  (Gitlawb/openclaude#353); requests queue, no ``x-ratelimit-*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

Busy = Literal["429", "503", "queue"]


@dataclass(frozen=True)
class ServerProfile:
    name: str
    checks_key: bool = True
    rate_limit_headers: bool = True  # x-ratelimit-* on replies
    retry_after_header: bool = True  # Retry-After on a 429
    when_busy: Busy = "429"  # a full window: refuse with 429, answer 503, or queue until it fits
    truncates_long_input: bool = False  # cut an over-long prompt instead of refusing it
    fingerprint: str = "scribe-simulator"


PROFILES: dict[str, ServerProfile] = {
    "openai": ServerProfile("openai"),
    "gemini": ServerProfile("gemini", rate_limit_headers=False, retry_after_header=False),
    "vllm": ServerProfile("vllm", rate_limit_headers=False, when_busy="queue"),
    "ollama": ServerProfile("ollama", checks_key=False, rate_limit_headers=False, retry_after_header=False,
                            when_busy="503", truncates_long_input=True, fingerprint="fp_ollama"),
    "lmstudio": ServerProfile("lmstudio", checks_key=False, rate_limit_headers=False, when_busy="queue"),
}

OLLAMA_BUSY = "server busy, please try again.  maximum pending requests exceeded"
GEMINI_OVERLOADED = "The model is overloaded. Please try again later."
GEMINI_QUOTA = ("You exceeded your current quota, please check your plan and billing details. For more information "
                "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.")
_GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                  429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_OLLAMA_TYPES = {400: "invalid_request_error", 404: "not_found_error"}


def error_payload(profile: str, status: int, message: str, *, kind: str = "invalid_request_error",
                  code: str | None = None, param: str | None = None, details: list[Any] | None = None) -> Any:
    """The JSON body ``profile``'s server sends for an error. ``kind``/``code``/``param`` are
    OpenAI's fields; ``details`` are Google RPC details (Gemini only)."""
    if profile == "gemini":
        error: dict[str, Any] = {"code": status, "message": message, "status": _GOOGLE_STATUS.get(status, "UNKNOWN")}
        if details:
            error["details"] = details
        return [{"error": error}]
    if profile == "vllm":
        return {"error": {"message": message, "type": _vllm_type(status), "param": param, "code": status}}
    if profile == "ollama":
        return {"error": {"message": message, "type": _OLLAMA_TYPES.get(status, "api_error"), "param": None,
                          "code": None}}
    if profile == "lmstudio":
        return {"error": message}
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _vllm_type(status: int) -> str:
    """vLLM names the error after the HTTP status: 400 → BadRequestError, 500 → InternalServerError."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return phrase.replace(" ", "").replace("-", "") + "Error"


def gemini_quota_details(quota_id: str, retry_delay_s: float | None) -> list[dict[str, Any]]:
    """A Gemini 429's details: the quota that was hit and, for a window, how long to wait."""
    details: list[dict[str, Any]] = [{
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        "quotaId": quota_id}],
    }]
    if retry_delay_s is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{max(1, round(retry_delay_s))}s"})
    return details


GEMINI_KEY_DETAILS = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                       "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]
