"""Microsoft Translator over httpx: ``POST /translate?api-version=…`` with the key in
``Ocp-Apim-Subscription-Key`` and, for regional resources, ``Ocp-Apim-Subscription-Region``.

The API version is the provider's ``api_version``: ``3.0`` (GA, the default) takes the
target in the query (``to=…``) and ``[{"Text": …}]``; the newer versions (``2026-06-06``,
what Microsoft's own client now sends) take ``{"inputs": [{"text", "language"?, "targets":
[{"language"}]}]}`` and answer ``{"value": [...]}`` with string error codes. Usage is the
service's ``X-Metered-Usage`` (the characters it bills), else the source length.

429 → RateLimited (Retry-After), 401 → ProviderUnavailable, 403 with code 403001 (free
quota spent) → QuotaExhausted, other 403 → ProviderUnavailable, 400050 (text too long) →
ContentTooLong, 5xx → RetryableError. The API takes no context, so none is sent.

Glossary terms go as Microsoft's dynamic-dictionary markup around each occurrence in the
text, ``<mstrans:dictionary translation="Ziel">Term</mstrans:dictionary>``; the service
honours it only when ``from`` is given (the engine sets the glossary's source language).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import httpx

from scribe_tui.config import ProviderConfig
from scribe_tui.glossary import term_pattern
from scribe_tui.languages import normalise
from scribe_tui.providers.character_billed import CharacterBilledProvider
from scribe_tui.providers.base import (
    ContentTooLong,
    ProviderError,
    QuotaExhausted,
    TranslationRequest,
)
from scribe_tui.providers.http import body_json, error_for_status, malformed, reply_json

DEFAULT_URL = "https://api.cognitive.microsofttranslator.com"
V3 = "3.0"
_QUOTA_CODES = frozenset({403001})
_TOO_LONG_CODES = frozenset({400050, 400077})

# Our codes where Microsoft wants something else; the rest pass as they are.
_TARGETS = {"zh": "zh-Hans", "zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "pt-br": "pt", "pt": "pt-pt",
            "en-gb": "en", "en-us": "en", "sr": "sr-Cyrl"}


def dictionary_markup(text: str, terms: Mapping[str, str]) -> str:
    """``text`` with every whole-word occurrence of a glossary term wrapped in dynamic-dictionary markup."""
    pattern = term_pattern(list(terms))
    if pattern is None:
        return text
    return pattern.sub(lambda match: f'<mstrans:dictionary translation="{escape(terms[match.group(0)])}">'
                                     f"{match.group(0)}</mstrans:dictionary>", text)


def microsoft_language(code: str) -> str:
    """Microsoft's code for one of ours: zh→zh-Hans, pt→pt-pt, pt-br→pt, en-gb→en, …"""
    code = normalise(code)
    return _TARGETS.get(code, code)


class MicrosoftProvider(CharacterBilledProvider):
    def __init__(self, name: str, config: ProviderConfig, api_key: str, *, base_url: str | None = None):
        headers = {"Ocp-Apim-Subscription-Key": api_key}
        if config.region:
            headers["Ocp-Apim-Subscription-Region"] = config.region
        url = (base_url or config.base_url or DEFAULT_URL).rstrip("/") + "/translate"
        super().__init__(name, config, model="translator-v3", url=url, headers=headers)
        self.api_version = config.api_version or V3

    def _request_args(self, request: TranslationRequest) -> dict[str, object]:
        target = microsoft_language(request.target_language)
        source = normalise(request.source_language)
        source_code = microsoft_language(source) if source not in ("", "auto") else None
        text = dictionary_markup(request.text, request.glossary) if request.glossary and source_code else request.text
        if self.api_version != V3:
            item: dict[str, object] = {"text": text, "targets": [{"language": target}]}
            if source_code:
                item["language"] = source_code
            return {"params": {"api-version": self.api_version}, "json": {"inputs": [item]}}
        params = {"api-version": V3, "to": target}
        if source_code:
            params["from"] = source_code
        return {"params": params, "json": [{"Text": text}]}

    def _read_text(self, response: httpx.Response) -> str:
        body = reply_json(response, self.name)
        items = body.get("value") if isinstance(body, dict) else body
        try:
            text = items[0]["translations"][0]["text"]
        except (TypeError, KeyError, IndexError):
            raise malformed(self.name, "no translations[0].text in the first item") from None
        if not isinstance(text, str):
            raise malformed(self.name, "translation text is not a string")
        return text

    def _billed_characters(self, response: httpx.Response) -> int | None:
        try:
            return int(response.headers["x-metered-usage"])
        except (KeyError, ValueError):
            return None

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status, body = response.status_code, body_json(response)
        error = body.get("error") if isinstance(body, dict) else None
        code = _as_int(error.get("code")) if isinstance(error, dict) else None  # a string in the newer versions
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        detail = f"HTTP {status} ({code}): {message}" if code else f"HTTP {status}: {message}"
        if status == 403 and code in _QUOTA_CODES:
            return QuotaExhausted(detail, provider=self.name, status=status)
        if status == 400 and code in _TOO_LONG_CODES:
            return ContentTooLong(detail, provider=self.name, status=status)
        return error_for_status(self.name, status, response.headers, f"({code}) {message}" if code else message)


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
