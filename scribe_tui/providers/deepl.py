"""DeepL API v2 over httpx: ``POST /v2/translate`` with ``Authorization: DeepL-Auth-Key``.

Keys ending ``:fx`` use the free host, others the pro host; ``base_url`` overrides both.
The chunk's context goes in DeepL's ``context`` parameter (not translated, not billed).
429 → RateLimited (Retry-After), 456 → QuotaExhausted, 403 → ProviderUnavailable,
5xx → RetryableError, 413 → ContentTooLong. Glossaries need DeepL glossary ids, so the
request's glossary is not sent.
"""

from __future__ import annotations

import time

import httpx

from scribe_tui.config import ProviderConfig
from scribe_tui.languages import normalise
from scribe_tui.providers.accounting import cost_of, estimate_characters, priced
from scribe_tui.providers.base import (
    Estimate,
    ProviderError,
    QuotaExhausted,
    TranslationRequest,
    TranslationResult,
    Usage,
)
from scribe_tui.providers.http import body_json, error_for_status, make_async_client, malformed, reply_json, send

FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"

# Our codes where DeepL wants something else; the rest are upper-cased.
_TARGETS = {"en": "EN-US", "pt": "PT-PT"}


def deepl_target(code: str) -> str:
    """DeepL's ``target_lang`` for one of our codes: he→HE, en→EN-US, en-gb→EN-GB, pt→PT-PT…"""
    code = normalise(code)
    return _TARGETS.get(code, code.upper())


def deepl_source(code: str) -> str | None:
    """DeepL's ``source_lang`` (base language only), or None to let DeepL detect it."""
    code = normalise(code)
    return None if code in ("", "auto") else code.split("-")[0].upper()


def default_base_url(api_key: str) -> str:
    return FREE_URL if api_key.endswith(":fx") else PRO_URL


class DeepLProvider:
    def __init__(self, name: str, config: ProviderConfig, api_key: str, *, base_url: str | None = None):
        self.name = name
        self.kind = config.kind
        self.model = config.model or "deepl"
        self._pricing = config.price()
        self._url = (base_url or config.base_url or default_base_url(api_key)).rstrip("/") + "/v2/translate"
        self._client = make_async_client(config, headers={"Authorization": f"DeepL-Auth-Key {api_key}"})

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        started = time.perf_counter()
        response = await send(self._client, self.name, "POST", self._url, json=self._payload(request))
        if response.status_code != 200:
            raise self._status_error(response.status_code, response)
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

    def _payload(self, request: TranslationRequest) -> dict[str, object]:
        payload: dict[str, object] = {"text": [request.text], "target_lang": deepl_target(request.target_language),
                                      "preserve_formatting": True}
        source = deepl_source(request.source_language)
        if source:
            payload["source_lang"] = source
        if request.context.strip():
            payload["context"] = request.context
        return payload

    def _read_text(self, response: httpx.Response) -> str:
        body = reply_json(response, self.name)
        try:
            text = body["translations"][0]["text"]
        except (TypeError, KeyError, IndexError):
            raise malformed(self.name, "no translations[0].text") from None
        if not isinstance(text, str):
            raise malformed(self.name, "translation text is not a string")
        return text

    def _status_error(self, status: int, response: httpx.Response) -> ProviderError:
        body = body_json(response)
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if status == 456:
            return QuotaExhausted(f"HTTP 456: {message or 'character quota exceeded'}", provider=self.name, status=status)
        return error_for_status(self.name, status, response.headers, message)
