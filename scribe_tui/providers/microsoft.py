"""Microsoft Translator v3 over httpx: ``POST /translate?api-version=3.0&to=…`` with the key
in ``Ocp-Apim-Subscription-Key`` and, for regional resources, ``Ocp-Apim-Subscription-Region``.

429 → RateLimited (Retry-After), 401 → ProviderUnavailable, 403 with code 403001 (free
quota spent) → QuotaExhausted, other 403 → ProviderUnavailable, 400050 (text too long) →
ContentTooLong, 5xx → RetryableError. The API takes no context, so none is sent.
"""

from __future__ import annotations


import httpx

from scribe_tui.config import ProviderConfig
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
_QUOTA_CODES = frozenset({403001})
_TOO_LONG_CODES = frozenset({400050, 400077})

# Our codes where Microsoft wants something else; the rest pass as they are.
_TARGETS = {"zh": "zh-Hans", "zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "pt-br": "pt", "pt": "pt-pt",
            "en-gb": "en", "en-us": "en", "sr": "sr-Cyrl"}


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

    def _request_args(self, request: TranslationRequest) -> dict[str, object]:
        return {"params": self._params(request), "json": [{"Text": request.text}]}

    @staticmethod
    def _params(request: TranslationRequest) -> dict[str, str]:
        params = {"api-version": "3.0", "to": microsoft_language(request.target_language)}
        source = normalise(request.source_language)
        if source not in ("", "auto"):
            params["from"] = microsoft_language(source)
        return params

    def _read_text(self, response: httpx.Response) -> str:
        body = reply_json(response, self.name)
        try:
            text = body[0]["translations"][0]["text"]
        except (TypeError, KeyError, IndexError):
            raise malformed(self.name, "no [0].translations[0].text") from None
        if not isinstance(text, str):
            raise malformed(self.name, "translation text is not a string")
        return text

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status, body = response.status_code, body_json(response)
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        detail = f"HTTP {status} ({code}): {message}" if code else f"HTTP {status}: {message}"
        if status == 403 and code in _QUOTA_CODES:
            return QuotaExhausted(detail, provider=self.name, status=status)
        if status == 400 and code in _TOO_LONG_CODES:
            return ContentTooLong(detail, provider=self.name, status=status)
        return error_for_status(self.name, status, response.headers, f"({code}) {message}" if code else message)
