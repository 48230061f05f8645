"""What the machine-translation APIs billed per character (DeepL, Microsoft) share: one POST
per chunk, the reply's text, usage in the characters the service says it billed (DeepL's
``billed_characters``, Microsoft's ``X-Metered-Usage``; the source length when it says
nothing), cost from per-character pricing. Subclasses say how to build the request, read
the reply and map its errors."""

from __future__ import annotations

import time
from typing import Any

import httpx

from scribe_tui.config import ProviderConfig
from scribe_tui.providers.accounting import cost_of, estimate_characters, priced
from scribe_tui.providers.base import (Estimate, ProviderError, TranslationRequest, TranslationResult, Usage,
                                      endpoint_identity)
from scribe_tui.providers.http import limit_report, make_async_client, send


class CharacterBilledProvider:
    def __init__(self, name: str, config: ProviderConfig, *, model: str, url: str, headers: dict[str, str]):
        self.name = name
        self.kind = config.kind
        self.model = config.model or model
        self._pricing = config.price()
        self._url = url
        self.endpoint = endpoint_identity(url)
        self._client = make_async_client(config, headers=headers)

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        started = time.perf_counter()
        response = await send(self._client, self.name, "POST", self._url, **await self._prepare(request))
        if response.status_code != 200:
            raise await self._failure(response)
        text = self._read_text(response)
        billed = self._billed_characters(response)
        usage = Usage(characters=billed if billed is not None else len(request.text))
        return TranslationResult(text=text, usage=priced(self._pricing, usage), provider=self.name, model=self.model,
                                 latency_ms=(time.perf_counter() - started) * 1000,
                                 report=limit_report(response.headers))

    def estimate(self, request: TranslationRequest) -> Estimate:
        return estimate_characters(request)

    def cost(self, usage: Usage) -> float:
        return cost_of(self._pricing, usage)

    async def aclose(self) -> None:
        await self._client.aclose()

    # ---- what each API does its own way -----------------------------------------------------
    async def _prepare(self, request: TranslationRequest) -> dict[str, Any]:
        """The request's arguments; a subclass may first fetch what it needs (a glossary id)."""
        return self._request_args(request)

    def _request_args(self, request: TranslationRequest) -> dict[str, Any]:
        raise NotImplementedError

    def _read_text(self, response: httpx.Response) -> str:
        raise NotImplementedError

    def _billed_characters(self, response: httpx.Response) -> int | None:
        """What the service says it billed for this call, or None when it does not say."""
        return None

    async def _failure(self, response: httpx.Response) -> ProviderError:
        """The error for a non-200 reply (a subclass may ask the service more, e.g. when a quota resets)."""
        return self._status_error(response)

    def _status_error(self, response: httpx.Response) -> ProviderError:
        raise NotImplementedError
