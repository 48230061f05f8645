"""The simulated DeepL API v2: ``POST /v2/translate`` (form or JSON body) and ``GET /v2/usage``.

Authentication is ``Authorization: DeepL-Auth-Key …``; a wrong key gets 403 as on the real
service. A spent character quota is 456, a busy window 429 with ``Retry-After``, too much
text 413. Lines come back marked with the lower-cased ``target_lang`` (``⟦en-us⟧``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from scribe_tui.simulator.api_common import ApiCall, ApiError, estimate_tokens, is_invalid, json_body, retry_after_header
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.pseudo import pseudo_translate


def _message(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"message": message}, headers)


def _form_fields(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = json_body(request)
        if is_invalid(body) or not isinstance(body, dict):
            raise ApiError(_message(400, "Invalid JSON body."))
        fields: dict[str, list[str]] = {}
        for key, value in body.items():
            fields[key] = [str(item) for item in value] if isinstance(value, list) else [str(value)]
        return fields
    fields = {}
    pairs = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True) + request.query
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return fields


class DeepLDialect:
    name = "deepl"

    def authorised(self, request: Request, api_key: str) -> bool:
        return request.headers.get("authorization", "") == f"DeepL-Auth-Key {api_key}"

    def unauthorised(self) -> Response:
        return _message(403, "Authorization failed. Please supply a valid auth_key parameter.")

    def parse(self, request: Request) -> ApiCall:
        fields = _form_fields(request)
        texts = tuple(fields.get("text", []))
        if not texts:
            raise ApiError(_message(400, "Parameter 'text' not specified."))
        target = (fields.get("target_lang") or [""])[0].strip()
        if not target:
            raise ApiError(_message(400, "Value for 'target_lang' not supported."))
        source = (fields.get("source_lang") or [None])[0]
        characters = sum(len(text) for text in texts)
        context = (fields.get("context") or [""])[0]
        tokens = sum(estimate_tokens(text) for text in texts)
        return ApiCall(texts, (target.lower(),), source, characters + len(context), tokens, characters,
                       body={"context": context})

    def too_long(self, call: ApiCall, limit: int) -> Response:
        return _message(413, "Request Entity Too Large")

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response:
        return _message(429, "Too many requests, please wait and resend your request.",
                        [*headers, retry_after_header(retry_after_s)])

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response:
        return _message(456, "Quota Exceeded")

    def server_error(self, status: int) -> Response:
        return _message(status, "Internal server error" if status == 500 else "Service temporarily unavailable")

    def malformed(self, call: ApiCall, variant: int) -> Response:
        if variant % 2 == 0:
            return Response(200, b'{"translations": [{"detected_source_language": "EN", "te')
        return json_response(200, {"result": "ok"})

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response:
        detected = (call.source or "EN").upper()
        translations: list[dict[str, Any]] = [
            {"detected_source_language": detected, "text": pseudo_translate(text, call.targets[0])} for text in call.texts
        ]
        return json_response(200, {"translations": translations}, headers)


def usage_response(character_count: int, character_limit: int) -> Response:
    return json_response(200, {"character_count": character_count, "character_limit": character_limit})
