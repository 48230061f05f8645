"""The simulated Microsoft Translator: ``POST /translate?api-version=…`` in both shapes the
service speaks.

- ``3.0`` (generally available, what our adapter sends by default): targets in the query
  (``to=de&to=he``, optional ``from``), body ``[{"Text": …}]`` (property names are not
  case-sensitive: the 1.x official client sent ``text``), reply ``[{"detectedLanguage": …,
  "translations": [{"text", "to"}]}]``, error ``{"error": {"code": 429001, "message"}}``.
- ``2025-10-01-preview`` and ``2026-06-06`` (what azure-ai-translation-text 2.x sends; it
  refuses ``translate`` on 3.0): body ``{"inputs": [{"text", "language"?, "targets":
  [{"language"}]}]}``, reply ``{"value": [{"detectedLanguage"?, "translations": [{"language",
  "sourceCharacters", "text"}]}]}``, and the error ``code`` is a string (the spec renamed the
  numeric one away: azure-rest-api-specs ``TextTranslation/models-shared.tsp``); we send
  the same six digits as text.

Every reply carries ``X-RequestId``; a translation also ``X-Metered-Usage``, the characters
billed (source characters × targets), as in the service's recordings. Key in
``Ocp-Apim-Subscription-Key`` (401 when wrong), region in ``Ocp-Apim-Subscription-Region``.
Errors carry Microsoft's six-digit codes: 429000/429001/429002 a busy window (requests,
characters — the per-hour character rate is enforced over a sliding minute and answered with
429001, per Microsoft Q&A 1434488 — and anything else), with ``Retry-After``; 403001 free
quota spent; 400050 text too long. Lines come back marked with the lower-cased target code.

Dynamic-dictionary markup, ``<mstrans:dictionary translation="Ziel">Term</mstrans:dictionary>``,
is honoured as the service documents it: with a ``from`` language, the term comes back as the
given translation; without one the markup is dropped and the term translated as any word.
"""

from __future__ import annotations

import itertools
import re
from html import unescape
from typing import Any

from scribe_tui.languages import LANGUAGES, RTL_LANGUAGES
from scribe_tui.simulator.api_common import ApiCall, ApiError, estimate_tokens, is_invalid, json_body, retry_after_header
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.pseudo import pseudo_translate

V3 = "3.0"
CURRENT_VERSIONS = frozenset({"2025-10-01-preview", "2026-06-06"})
_BUSY_CODES = {"requests": 429000, "characters": 429001}
# Microsoft's casing for script variants (zh-Hans), and the codes it names differently.
_LANGUAGE_CODES = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "pt-br": "pt", "pt": None, "en-gb": None,
                   "en-us": None, "zh": None, "sr": "sr-Cyrl"}
_request_ids = itertools.count(1)
_DICTIONARY = re.compile(r'<mstrans:dictionary translation="(?P<target>[^"]*)">(?P<source>.*?)</mstrans:dictionary>')


def read_dictionary(text: str) -> tuple[str, dict[str, str]]:
    """``text`` without dynamic-dictionary markup, and the terms the markup gave."""
    terms: dict[str, str] = {}

    def keep(match: re.Match[str]) -> str:
        terms[match["source"]] = unescape(match["target"])
        return match["source"]

    return _DICTIONARY.sub(keep, text), terms


def translate_item(text: str, to: str, source: str | None) -> str:
    plain, terms = read_dictionary(text)
    return pseudo_translate(plain, to, terms if source else None)


def error_response(status: int, code: int, message: str, headers: list[tuple[str, str]] | None = None,
                   version: str = V3) -> Response:
    code_value: int | str = code if version == V3 else str(code)
    return json_response(status, {"error": {"code": code_value, "message": message}},
                         [*(headers or []), _request_id()])


def _request_id() -> tuple[str, str]:
    return ("x-requestid", f"SIM.{next(_request_ids):08d}")


def _version(request: Request) -> str | None:
    return next((value for key, value in request.query if key == "api-version"), None)


def _item_text(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    text = next((value for key, value in item.items() if key.lower() == "text"), None)
    return text if isinstance(text, str) else None


def _invalid_body(version: str) -> ApiError:
    return ApiError(error_response(400, 400074, "The body of the request is not valid JSON.", version=version))


def _v3_inputs(request: Request) -> list[tuple[str, tuple[str, ...], str | None]]:
    query = request.query
    targets = tuple(value.strip().lower() for key, value in query if key == "to" and value.strip())
    if not targets:
        raise ApiError(error_response(400, 400036, "The target language is not valid."))
    source = next((value for key, value in query if key == "from" and value), None)
    body = json_body(request)
    if is_invalid(body) or not isinstance(body, list) or not body:
        raise _invalid_body(V3)
    texts = [_item_text(item) for item in body]
    if any(text is None for text in texts):
        raise _invalid_body(V3)
    return [(text, targets, source) for text in texts if text is not None]


def _current_inputs(request: Request, version: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    body = json_body(request)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not inputs:
        raise _invalid_body(version)
    out = []
    for item in inputs:
        text = _item_text(item)
        targets = item.get("targets") if isinstance(item, dict) else None
        if text is None or not isinstance(targets, list):
            raise _invalid_body(version)
        codes = tuple(str(target.get("language", "")).strip().lower() for target in targets if isinstance(target, dict))
        if not codes or not all(codes):
            raise ApiError(error_response(400, 400036, "The target language is not valid.", version=version))
        out.append((text, codes, item.get("language") or None))
    return out


class MicrosoftDialect:
    name = "microsoft"

    def authorised(self, request: Request, api_key: str) -> bool:
        return request.headers.get("ocp-apim-subscription-key", "") == api_key

    def unauthorised(self, request: Request | None = None) -> Response:
        version = (_version(request) if request is not None else None) or V3
        return error_response(401, 401000, "The request is not authorized because credentials are missing or invalid.",
                              version=version if version in CURRENT_VERSIONS else V3)

    def parse(self, request: Request) -> ApiCall:
        version = _version(request)
        if version == V3:
            inputs = _v3_inputs(request)
        elif version in CURRENT_VERSIONS:
            inputs = _current_inputs(request, version)
        else:
            raise ApiError(error_response(400, 400021, "The API version parameter is missing or invalid."))
        texts = tuple(text for text, _, _ in inputs)
        targets = tuple(dict.fromkeys(code for _, codes, _ in inputs for code in codes))
        characters = sum(len(text) * len(codes) for text, codes, _ in inputs)
        tokens = sum(estimate_tokens(text) * len(codes) for text, codes, _ in inputs)
        source = inputs[0][2]
        return ApiCall(texts, targets, source, sum(len(text) for text in texts), tokens, characters,
                       body={"version": version, "inputs": inputs})

    def too_long(self, call: ApiCall, limit: int) -> Response:
        return error_response(400, 400050, "The input text is too long.", version=call.body["version"])

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response:
        return error_response(429, _BUSY_CODES.get(kind, 429002),
                              "The server rejected the request because the client has exceeded request limits.",
                              [*headers, retry_after_header(retry_after_s)], call.body["version"])

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response:
        return error_response(403, 403001,
                              "The operation is not allowed because the subscription has exceeded its free quota.",
                              version=call.body["version"])

    def server_error(self, status: int, call: ApiCall | None = None) -> Response:
        version = call.body["version"] if call is not None else V3
        if status == 503:
            return error_response(503, 503000, "The service is temporarily unavailable. Please try again.",
                                  version=version)
        return error_response(500, 500000, "An unexpected error occurred.", version=version)

    def malformed(self, call: ApiCall, variant: int) -> Response:
        if variant % 2 == 0:
            return Response(200, b'[{"translations": [{"text": "')
        return json_response(200, [{"detectedLanguage": {"language": "en", "score": 1.0}}])

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response:
        current = call.body["version"] != V3
        items: list[dict[str, Any]] = []
        for text, codes, source in call.body["inputs"]:
            if current:
                translations = [{"language": to, "sourceCharacters": len(text), "text": translate_item(text, to, source)}
                                for to in codes]
            else:
                translations = [{"text": translate_item(text, to, source), "to": to} for to in codes]
            item: dict[str, Any] = {"translations": translations}
            if source is None:
                item = {"detectedLanguage": {"language": "en", "score": 1.0}, **item}
            items.append(item)
        metered = [("x-metered-usage", str(call.characters)), _request_id()]
        return json_response(200, {"value": items} if current else items, [*headers, *metered])


def languages_response(request: Request) -> Response:
    """``GET /languages``: public on the real service (no key check). The current versions
    add each language's LLM ``models`` (empty here) and a top-level ``models`` list."""
    current = _version(request) in CURRENT_VERSIONS
    translation: dict[str, dict[str, Any]] = {}
    for code, name in LANGUAGES.items():
        theirs = _LANGUAGE_CODES.get(code, code)
        if theirs is None:
            continue
        entry: dict[str, Any] = {"name": name, "nativeName": name, "dir": "rtl" if code in RTL_LANGUAGES else "ltr"}
        if current:
            entry["models"] = []
        translation[theirs] = entry
    payload: dict[str, Any] = {"translation": translation}
    if current:
        payload["models"] = []
    return json_response(200, payload, [("etag", '"sim-languages-1"'), _request_id()])
