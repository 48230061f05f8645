"""DeepL API v2 over httpx: ``POST /v2/translate`` with ``Authorization: DeepL-Auth-Key``.

Keys ending ``:fx`` use the free host, others the pro host; ``base_url`` overrides both.
The chunk's context goes in DeepL's ``context`` parameter (not translated, not billed).
Every request asks for ``show_billed_characters``: usage and cost are what DeepL billed.
429 → RateLimited (Retry-After), 403 → ProviderUnavailable, 5xx → RetryableError,
413 → ContentTooLong. 456 (the billing period's characters are spent) → QuotaExhausted,
parked until the period's ``end_time`` from ``/v2/usage`` (Pro accounts report it; without
it the gateway re-checks hourly). A request carrying glossary terms is sent with the
``glossary_id`` of a real DeepL glossary for its language pair (``deepl_glossary``: made from
the user's glossary file on first use, found again by name, re-made when the file changes);
DeepL needs ``source_lang`` for that, so a request without one is sent without the glossary.
"""

from __future__ import annotations

import time
from datetime import datetime

import httpx

from scribe_tui.config import ProviderConfig
from scribe_tui.glossary import Glossary
from scribe_tui.languages import normalise
from scribe_tui.providers.character_billed import CharacterBilledProvider
from scribe_tui.providers.deepl_glossary import DeepLGlossaries
from scribe_tui.providers.base import (
    ProviderError,
    QuotaExhausted,
    TranslationRequest,
)
from scribe_tui.providers.http import body_json, error_for_status, malformed, reply_json, send

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


class DeepLProvider(CharacterBilledProvider):
    def __init__(self, name: str, config: ProviderConfig, api_key: str, *, base_url: str | None = None,
                 glossary: Glossary | None = None):
        host = (base_url or config.base_url or default_base_url(api_key)).rstrip("/")
        super().__init__(name, config, model="deepl", url=f"{host}/v2/translate",
                         headers={"Authorization": f"DeepL-Auth-Key {api_key}"})
        self._usage_url = f"{host}/v2/usage"
        self._glossaries = DeepLGlossaries(self._client, host, name, glossary or Glossary(), self._failure)

    async def _prepare(self, request: TranslationRequest) -> dict[str, object]:
        payload = self._payload(request)
        source = payload.get("source_lang")
        if request.glossary and isinstance(source, str):
            glossary_id = await self._glossaries.id_for(source, deepl_target(request.target_language))
            if glossary_id:
                payload["glossary_id"] = glossary_id
        return {"json": payload}

    def _payload(self, request: TranslationRequest) -> dict[str, object]:
        payload: dict[str, object] = {"text": [request.text], "target_lang": deepl_target(request.target_language),
                                      "preserve_formatting": True, "show_billed_characters": True}
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

    def _billed_characters(self, response: httpx.Response) -> int | None:
        body = body_json(response)
        try:
            billed = [item["billed_characters"] for item in body["translations"]]
        except (TypeError, KeyError):
            return None
        return sum(billed) if all(isinstance(item, int) for item in billed) else None

    async def _failure(self, response: httpx.Response) -> ProviderError:
        error = self._status_error(response)
        if not isinstance(error, QuotaExhausted):
            return error
        end = await self._period_end()
        if end is None:
            return error
        wait = max(end.timestamp() - time.time(), 0.0)
        return QuotaExhausted(f"{error} (the billing period ends {end.isoformat()})", provider=self.name,
                              status=error.status, retry_after_s=wait or None)

    async def _period_end(self) -> datetime | None:
        """When the billing period ends, from ``/v2/usage`` (None when DeepL does not say)."""
        try:
            response = await send(self._client, self.name, "GET", self._usage_url)
        except ProviderError:
            return None
        body = body_json(response) if response.status_code == 200 else None
        end = body.get("end_time") if isinstance(body, dict) else None
        if not isinstance(end, str):
            return None
        try:
            return datetime.fromisoformat(end.replace("Z", "+00:00"))
        except ValueError:
            return None

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        body = body_json(response)
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if status == 456:
            return QuotaExhausted(f"HTTP 456: {message or 'character quota exceeded'}", provider=self.name, status=status)
        return error_for_status(self.name, status, response.headers, message)
