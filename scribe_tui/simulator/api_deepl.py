"""The simulated DeepL API v2: ``POST /v2/translate`` (form or JSON body); usage and
languages are in ``api_deepl_account``, glossaries in ``api_deepl_glossaries``.

Authentication is ``Authorization: DeepL-Auth-Key …``; a wrong key gets 403 as on the real
service. A spent character quota is 456, a busy window 429 with ``Retry-After``, too much
text 413. Lines come back marked with the lower-cased ``target_lang`` (``⟦en-us⟧``).

Billing: each text bills its length in code points (plus ``deepl_extra_billed``, a test
knob); the context is free. Character limits count billed characters, and each translation
carries ``billed_characters`` when the request asks with ``show_billed_characters`` (the
official client always does, and reads it with ``int()``). A ``glossary_id`` needs a
``source_lang`` and a glossary with that language pair; its terms come back verbatim.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from scribe_tui.simulator.api_common import ApiCall, ApiError, estimate_tokens, is_invalid, json_body, retry_after_header
from scribe_tui.simulator.config import SimulatorConfig
from scribe_tui.simulator.glossaries import GlossaryError, GlossaryStore
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.pseudo import pseudo_translate

_TRUE = frozenset({"1", "true", "True"})
QUOTA_MESSAGE = "Quota for this billing period has been exceeded."  # DeepLcom/deepl-mock, handleTranslate


def deepl_message(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"message": message}, headers)



def _form_fields(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = json_body(request)
        if is_invalid(body) or not isinstance(body, dict):
            raise ApiError(deepl_message(400, "Invalid JSON body."))
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

    def __init__(self, config: SimulatorConfig | None = None, glossaries: GlossaryStore | None = None):
        self.config = config or SimulatorConfig()
        self.glossaries = glossaries or GlossaryStore()

    def authorised(self, request: Request, api_key: str) -> bool:
        return request.headers.get("authorization", "") == f"DeepL-Auth-Key {api_key}"

    def unauthorised(self, request: Request | None = None) -> Response:
        return deepl_message(403, "Authorization failed. Please supply a valid auth_key parameter.")

    def parse(self, request: Request) -> ApiCall:
        fields = _form_fields(request)
        texts = tuple(fields.get("text", []))
        if not texts:
            raise ApiError(deepl_message(400, "Parameter 'text' not specified."))
        target = (fields.get("target_lang") or [""])[0].strip()
        if not target:
            raise ApiError(deepl_message(400, "Value for 'target_lang' not supported."))
        source = (fields.get("source_lang") or [None])[0]
        billed = tuple(len(text) + self.config.deepl_extra_billed for text in texts)
        context = (fields.get("context") or [""])[0]
        tokens = sum(estimate_tokens(text) for text in texts)
        body = {"context": context, "billed": billed, "show_billed": (fields.get("show_billed_characters") or [""])[0] in _TRUE,
                "terms": self._glossary_terms((fields.get("glossary_id") or [None])[0], source, target)}
        return ApiCall(texts, (target.lower(),), source, sum(len(text) for text in texts) + len(context), tokens,
                       sum(billed), body=body)

    def _glossary_terms(self, glossary_id: str | None, source: str | None, target: str) -> dict[str, str]:
        if not glossary_id:
            return {}
        if not source:
            raise ApiError(deepl_message(400, "Use of a glossary requires the source_lang parameter to be specified"))
        try:
            return self.glossaries.terms(glossary_id, source, target)
        except GlossaryError as exc:
            raise ApiError(deepl_message(exc.status, str(exc))) from None

    def too_long(self, call: ApiCall, limit: int) -> Response:
        return deepl_message(413, "Request Entity Too Large")

    def rate_limited(self, call: ApiCall, kind: str, retry_after_s: float, headers: list[tuple[str, str]]) -> Response:
        return deepl_message(429, "Too many requests, please wait and resend your request.",
                        [*headers, retry_after_header(retry_after_s)])

    def quota_exhausted(self, call: ApiCall, kind: str, retry_after_s: float | None) -> Response:
        return deepl_message(456, QUOTA_MESSAGE)

    def server_error(self, status: int, call: ApiCall | None = None) -> Response:
        return deepl_message(status, "Internal server error" if status == 500 else "Service temporarily unavailable")

    def malformed(self, call: ApiCall, variant: int) -> Response:
        if variant % 2 == 0:
            return Response(200, b'{"translations": [{"detected_source_language": "EN", "te')
        return json_response(200, {"result": "ok"})

    def success(self, call: ApiCall, headers: list[tuple[str, str]]) -> Response:
        detected = (call.source or "EN").upper()
        translations: list[dict[str, Any]] = []
        for text, billed in zip(call.texts, call.body["billed"], strict=True):
            item: dict[str, Any] = {"detected_source_language": detected,
                                    "text": pseudo_translate(text, call.targets[0], call.body["terms"])}
            if call.body["show_billed"]:
                item["billed_characters"] = billed
            translations.append(item)
        return json_response(200, {"translations": translations}, headers)
