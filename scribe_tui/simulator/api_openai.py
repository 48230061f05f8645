"""The simulated OpenAI chat-completions API: ``POST /v1/chat/completions``.

The text to translate is the last user message; the target language is read from the
``Target language: … (xx).`` line of the system message (``scribe_tui.prompt``); the reply
is ``pseudo_translate`` of exactly that text, honouring the glossary lines of the system
message (``prompt.parse_glossary``). Errors, headers and busy behaviour follow the
dialect's ``ServerProfile`` (``profiles.py``): OpenAI's own, or Gemini's, vLLM's, Ollama's
or LM Studio's.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from scribe_tui.prompt import parse_glossary, parse_target_language
from scribe_tui.simulator.api_common import ApiCall, ApiError, estimate_tokens, is_invalid, json_body, retry_after_header
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.profiles import (
    GEMINI_KEY_DETAILS,
    GEMINI_OVERLOADED,
    GEMINI_QUOTA,
    OLLAMA_BUSY,
    PROFILES,
    ServerProfile,
    error_payload,
    gemini_quota_details,
)
from scribe_tui.simulator.pseudo import pseudo_translate

UNKNOWN_LANGUAGE = "xx"
_ids = itertools.count(1)


def error_response(status: int, message: str, kind: str, code: str | None = None, param: str | None = None,
                   headers: list[tuple[str, str]] | None = None, profile: str = "openai",
                   details: list[Any] | None = None) -> Response:
    payload = error_payload(profile, status, message, kind=kind, code=code, param=param, details=details)
    return json_response(status, payload, headers)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _system_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(_content_text(item.get("content")) for item in messages if item.get("role") in ("system", "developer"))


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return 3 + sum(4 + estimate_tokens(_content_text(message.get("content"))) for message in messages)


class OpenAIDialect:
    name = "openai"

    def __init__(self, profile: ServerProfile | str = "openai"):
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile

    @property
    def queues_when_busy(self) -> bool:
        return self.profile.when_busy == "queue"

    def _error(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
               param: str | None = None, headers: list[tuple[str, str]] | None = None,
               details: list[Any] | None = None) -> Response:
        return error_response(status, message, kind, code, param, headers, self.profile.name, details)

    def _headers(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return headers if self.profile.rate_limit_headers else []

    def authorised(self, request: Request, api_key: str) -> bool:
        if not self.profile.checks_key:
            return True
        return request.headers.get("authorization", "") == f"Bearer {api_key}"

    def unauthorised(self, request: Request | None = None) -> Response:
        name = self.profile.name
        if name == "gemini":
            return self._error(400, "API key not valid. Please pass a valid API key.", details=GEMINI_KEY_DETAILS)
        if name == "vllm":
            return json_response(401, {"error": "Unauthorized"})
        return self._error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")

    def parse(self, request: Request) -> ApiCall:
        body = json_body(request)
        if is_invalid(body) or not isinstance(body, dict):
            raise ApiError(self._error(400, "We could not parse the JSON body of your request."))
        messages = body.get("messages")
        if not isinstance(messages, list) or not all(isinstance(item, dict) for item in messages):
            raise ApiError(self._error(400, "'messages' is a required property", param="messages"))
        users = [item for item in messages if item.get("role") == "user"]
        if not users:
            raise ApiError(self._error(400, "the messages must contain a user message", param="messages"))
        text = _content_text(users[-1].get("content"))
        system = _system_text(messages)
        target = parse_target_language(system) or UNKNOWN_LANGUAGE
        all_chars = sum(len(_content_text(item.get("content"))) for item in messages)
        reply_tokens = estimate_tokens(pseudo_translate(text, target, parse_glossary(system)))
        return ApiCall((text,), (target,), None, all_chars, _prompt_tokens(messages), len(text), str(body.get("model", "")),
                       body, completion_tokens=reply_tokens)

    def too_long(self, call: ApiCall, limit: int) -> Response:
        name = self.profile.name
        if name == "gemini":
            return self._error(400, f"The input token count ({call.input_chars}) exceeds the maximum number of tokens "
                                    f"allowed ({limit}).")
        if name == "lmstudio":
            return self._error(400, f"The number of tokens to keep from the initial prompt is greater than the context "
                                    f"length (n_keep: {call.input_chars}>= n_ctx: {limit}). Try to load the model with a "
                                    f"larger context length, or provide a shorter input.")
        message = (f"This model's maximum context length is {limit} characters. However, your messages resulted "
                   f"in {call.input_chars} characters. Please reduce the length of the messages.")
        return self._error(400, message, "invalid_request_error", "context_length_exceeded", "messages")

    def truncated(self, call: ApiCall, limit: int) -> ApiCall | None:
        """Ollama's way with an over-long prompt: keep its last ``limit`` characters (None: refuse)."""
        if not self.profile.truncates_long_input:
            return None
        excess = call.input_chars - limit
        text = call.texts[0][max(excess, 0):]
        return ApiCall((text,), call.targets, call.source, limit, call.tokens, len(text), call.model, call.body,
                       completion_tokens=call.completion_tokens)

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response:
        busy = self.profile.when_busy
        if busy == "503" or busy == "queue":  # a queueing server only refuses when its queue is full
            return self._error(503, OLLAMA_BUSY if self.profile.name == "ollama" else "Service Unavailable", "api_error")
        if self.profile.name == "gemini":
            quota = "GenerateContentInputTokensPerModelPerMinute" if kind == "tokens" else \
                "GenerateRequestsPerMinutePerProjectPerModel"
            details = gemini_quota_details(f"{quota}-FreeTier", retry_after_s)
            return self._error(429, GEMINI_QUOTA, details=details)
        message = f"Rate limit reached for {call.model or 'model'} on {kind}. Please try again in {retry_after_s:.3f}s."
        extra = [retry_after_header(retry_after_s)] if self.profile.retry_after_header else []
        return self._error(429, message, kind, "rate_limit_exceeded", headers=[*self._headers(headers), *extra])

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response:
        if self.profile.name == "gemini":
            details = gemini_quota_details("GenerateRequestsPerDayPerProjectPerModel-FreeTier", retry_after_s)
            return self._error(429, GEMINI_QUOTA, details=details)
        if self.profile.when_busy != "429":  # local servers have no quotas: only a full queue
            return self.rate_limited(call, kind, retry_after_s or 0.0, [])
        if retry_after_s is None:  # a billing quota: no reset time
            return self._error(429, "You exceeded your current quota, please check your plan and billing details.",
                               "insufficient_quota", "insufficient_quota")
        message = f"Rate limit reached for {call.model or 'model'} on {kind} per day. Please try again later."
        return self._error(429, message, kind, "rate_limit_exceeded", headers=[retry_after_header(retry_after_s)])

    def server_error(self, status: int, call: ApiCall | None = None) -> Response:
        if status == 503:
            if self.profile.name == "ollama":
                return self._error(503, OLLAMA_BUSY, "api_error")
            message = GEMINI_OVERLOADED if self.profile.name == "gemini" else \
                "The engine is currently overloaded, please try again later."
            return self._error(503, message, "server_error")
        return self._error(status, "The server had an error while processing your request.", "server_error")

    def malformed(self, call: ApiCall, variant: int) -> Response:
        if variant % 2 == 0:
            return Response(200, b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index"')
        return json_response(200, {"id": f"chatcmpl-sim-{next(_ids)}", "object": "chat.completion",
                                   "created": int(time.time()), "model": call.model})

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response:
        reply = pseudo_translate(call.texts[0], call.targets[0], parse_glossary(_system_text(call.body["messages"])))
        prompt_tokens, completion_tokens = call.tokens, call.completion_tokens
        payload = {
            "id": f"chatcmpl-sim-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": call.model,
            "system_fingerprint": self.profile.fingerprint,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        return json_response(200, payload, self._headers(headers))


def models_response(model: str) -> Response:
    return json_response(200, {"object": "list", "data": [
        {"id": model, "object": "model", "created": 0, "owned_by": "scribe-simulator"}]})
