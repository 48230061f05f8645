"""The simulated OpenAI chat-completions API: ``POST /v1/chat/completions``.

The text to translate is the last user message; the target language is read from the
``Target language: … (xx).`` line of the system message (``scribe_tui.prompt``); the reply
is ``pseudo_translate`` of exactly that text. Errors carry OpenAI's JSON error shape.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from scribe_tui.prompt import parse_target_language
from scribe_tui.simulator.api_common import ApiCall, ApiError, estimate_tokens, is_invalid, json_body, retry_after_header
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.pseudo import pseudo_translate

UNKNOWN_LANGUAGE = "xx"
_ids = itertools.count(1)


def error_response(status: int, message: str, kind: str, code: str | None = None, param: str | None = None,
                   headers: list[tuple[str, str]] | None = None) -> Response:
    payload = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return json_response(status, payload, headers)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return 3 + sum(4 + estimate_tokens(_content_text(message.get("content"))) for message in messages)


class OpenAIDialect:
    name = "openai"

    def authorised(self, request: Request, api_key: str) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {api_key}"

    def unauthorised(self) -> Response:
        return error_response(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")

    def parse(self, request: Request) -> ApiCall:
        body = json_body(request)
        if is_invalid(body) or not isinstance(body, dict):
            raise ApiError(error_response(400, "We could not parse the JSON body of your request.", "invalid_request_error"))
        messages = body.get("messages")
        if not isinstance(messages, list) or not all(isinstance(item, dict) for item in messages):
            raise ApiError(error_response(400, "'messages' is a required property", "invalid_request_error", param="messages"))
        users = [item for item in messages if item.get("role") == "user"]
        if not users:
            raise ApiError(error_response(400, "the messages must contain a user message", "invalid_request_error", param="messages"))
        text = _content_text(users[-1].get("content"))
        system = "\n".join(_content_text(item.get("content")) for item in messages if item.get("role") in ("system", "developer"))
        target = parse_target_language(system) or UNKNOWN_LANGUAGE
        all_chars = sum(len(_content_text(item.get("content"))) for item in messages)
        tokens = _prompt_tokens(messages) + estimate_tokens(text)
        return ApiCall((text,), (target,), None, all_chars, tokens, len(text), str(body.get("model", "")), body)

    def too_long(self, call: ApiCall, limit: int) -> Response:
        message = (f"This model's maximum context length is {limit} characters. However, your messages resulted "
                   f"in {call.input_chars} characters. Please reduce the length of the messages.")
        return error_response(400, message, "invalid_request_error", "context_length_exceeded", "messages")

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response:
        message = f"Rate limit reached for {call.model or 'model'} on {kind}. Please try again in {retry_after_s:.3f}s."
        return error_response(429, message, kind, "rate_limit_exceeded", headers=[*headers, retry_after_header(retry_after_s)])

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response:
        if retry_after_s is None:  # a billing quota: no reset time
            return error_response(429, "You exceeded your current quota, please check your plan and billing details.",
                                  "insufficient_quota", "insufficient_quota")
        message = f"Rate limit reached for {call.model or 'model'} on {kind} per day. Please try again later."
        return error_response(429, message, kind, "rate_limit_exceeded", headers=[retry_after_header(retry_after_s)])

    def server_error(self, status: int) -> Response:
        if status == 503:
            return error_response(503, "The engine is currently overloaded, please try again later.", "server_error")
        return error_response(status, "The server had an error while processing your request.", "server_error")

    def malformed(self, call: ApiCall, variant: int) -> Response:
        if variant % 2 == 0:
            return Response(200, b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index"')
        return json_response(200, {"id": f"chatcmpl-sim-{next(_ids)}", "object": "chat.completion",
                                   "created": int(time.time()), "model": call.model})

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response:
        reply = pseudo_translate(call.texts[0], call.targets[0])
        prompt_tokens = _prompt_tokens(call.body["messages"])
        completion_tokens = estimate_tokens(reply)
        payload = {
            "id": f"chatcmpl-sim-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": call.model,
            "system_fingerprint": "scribe-simulator",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        return json_response(200, payload, headers)


def models_response(model: str) -> Response:
    return json_response(200, {"object": "list", "data": [
        {"id": model, "object": "model", "created": 0, "owned_by": "scribe-simulator"}]})
