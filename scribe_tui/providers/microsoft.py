"""Microsoft Translator v3 over httpx: ``POST /translate?api-version=3.0&to=…`` with the key
in ``Ocp-Apim-Subscription-Key`` and, for regional resources, ``Ocp-Apim-Subscription-Region``.

429 → RateLimited (Retry-After), 401 → ProviderUnavailable, 403 with code 403001 (free
quota spent) → QuotaExhausted, other 403 → ProviderUnavailable, 400050 (text too long) →
ContentTooLong, 5xx → RetryableError. The API takes no context, so none is sent.
"""

from __future__ import annotations

import time

import httpx

from scribe_tui.config import ProviderConfig
from scribe_tui.languages import normalise
from scribe_tui.providers.accounting import cost_of, estimate_characters, priced
from scribe_tui.providers.base import (
    ContentTooLong,
    Estimate,
    ProviderError,
    QuotaExhausted,
    TranslationRequest,
    TranslationResult,
    Usage,
)
from scribe_tui.providers.http import body_json, error_for_status, make_async_client, malformed, reply_json, send

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


class MicrosoftProvider:
    def __init__(self, name: str, config: ProviderConfig, api_key: str, *, base_url: str | None = None):
        self.name = name
        self.kind = config.kind
        self.model = config.model or "translator-v3"
        self._pricing = config.price()
        self._url = (base_url or config.base_url or DEFAULT_URL).rstrip("/") + "/translate"
        headers = {"Ocp-Apim-Subscription-Key": api_key}
        if config.region:
            headers["Ocp-Apim-Subscription-Region"] = config.region
        self._client = make_async_client(config, headers=headers)

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        started = time.perf_counter()
        response = await send(self._client, self.name, "POST", self._url, params=self._params(request),
                              json=[{"Text": request.text}])
        if response.status_code != 200:
            raise self._status_error(response)
        text = self._read_text(response)
        return TranslationResult(text=text, usage=priced(self._pricing, Usage(characters=len(request.text))),
                                 provider=self.name, model=self.model,
                                 latency_ms=(time.perf_counter() - started) * 1000)

    def estimate(self, request: TranslationRequest) -> Estimate:
        return estimate_characters(request)

    def cost(self, usage: Usage) -> float:
        return cost_of(self._pricing, usage)

    async def aclose(self) -> None:
        await self._client.aclose()

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
