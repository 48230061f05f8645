"""The simulated Microsoft Translator v3: ``POST /translate?api-version=3.0&to=xx``.

Body ``[{"Text": …}]``, key in ``Ocp-Apim-Subscription-Key`` (401 when wrong), region in
``Ocp-Apim-Subscription-Region`` (recorded in ``/_stats``). Errors carry Microsoft's numeric
codes: 429000 busy, 403001 free quota spent, 400050 text too long. Lines come back marked with
the lower-cased ``to`` code.
"""

from __future__ import annotations

from typing import Any

from scribe_tui.simulator.api_common import ApiCall, ApiError, estimate_tokens, is_invalid, json_body, retry_after_header
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.pseudo import pseudo_translate


def error_response(status: int, code: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


def _texts(request: Request) -> tuple[str, ...]:
    body = json_body(request)
    if is_invalid(body) or not isinstance(body, list) or not body:
        raise ApiError(error_response(400, 400074, "The body of the request is not valid JSON."))
    texts = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("Text"), str):
            raise ApiError(error_response(400, 400074, "The body of the request is not valid JSON."))
        texts.append(item["Text"])
    return tuple(texts)


class MicrosoftDialect:
    name = "microsoft"

    def authorised(self, request: Request, api_key: str) -> bool:
        return request.headers.get("ocp-apim-subscription-key", "") == api_key

    def unauthorised(self) -> Response:
        return error_response(401, 401000, "The request is not authorized because credentials are missing or invalid.")

    def parse(self, request: Request) -> ApiCall:
        query = request.query
        if ("api-version", "3.0") not in query:
            raise ApiError(error_response(400, 400021, "The API version parameter is missing or invalid."))
        targets = tuple(value.strip().lower() for key, value in query if key == "to" and value.strip())
        if not targets:
            raise ApiError(error_response(400, 400036, "The target language is not valid."))
        source = next((value for key, value in query if key == "from" and value), None)
        texts = _texts(request)
        characters = sum(len(text) for text in texts) * len(targets)
        tokens = sum(estimate_tokens(text) for text in texts) * len(targets)
        return ApiCall(texts, targets, source, sum(len(text) for text in texts), tokens, characters)

    def too_long(self, call: ApiCall, limit: int) -> Response:
        return error_response(400, 400050, "The input text is too long.")

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response:
        return error_response(429, 429000, "The server rejected the request because the client has exceeded request limits.",
                              [*headers, retry_after_header(retry_after_s)])

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response:
        return error_response(403, 403001, "The operation is not allowed because the subscription has exceeded its free quota.")

    def server_error(self, status: int) -> Response:
        if status == 503:
            return error_response(503, 503000, "The service is temporarily unavailable. Please try again.")
        return error_response(500, 500000, "An unexpected error occurred.")

    def malformed(self, call: ApiCall, variant: int) -> Response:
        if variant % 2 == 0:
            return Response(200, b'[{"translations": [{"text": "')
        return json_response(200, [{"detectedLanguage": {"language": "en", "score": 1.0}}])

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response:
        items: list[dict[str, Any]] = []
        for text in call.texts:
            item: dict[str, Any] = {"translations": [{"text": pseudo_translate(text, to), "to": to} for to in call.targets]}
            if call.source is None:
                item = {"detectedLanguage": {"language": "en", "score": 1.0}, **item}
            items.append(item)
        return json_response(200, items, headers)
