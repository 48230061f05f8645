"""OpenAI and any OpenAI-compatible chat-completions endpoint (vLLM, Ollama, LM Studio,
Gemini's OpenAI endpoint, the demo simulator), through the official ``openai`` SDK.

One attempt per call (the SDK's own retries are off); failures are mapped onto the error
classes in ``providers.base``. The prompt follows the contract in ``scribe_tui.prompt``.
"""

from __future__ import annotations

import time
from typing import Any

import openai

from scribe_tui.config import ProviderConfig
from scribe_tui.prompt import build_messages
from scribe_tui.providers.accounting import cost_of, estimate_chat, priced
from scribe_tui.providers.base import (
    ChunkRejected,
    ContentTooLong,
    Estimate,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RetryableError,
    TranslationRequest,
    TranslationResult,
    Usage,
    endpoint_identity,
)
from scribe_tui.providers.http import (
    error_for_status,
    limit_report,
    make_async_client,
    malformed,
    short,
    transport_error,
)
from scribe_tui.providers.openai_errors import read_error

_TOO_LONG_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_TOO_LONG_PHRASES = ("maximum context length", "context length", "too many tokens", "reduce the length",
                     "maximum number of tokens")


class OpenAICompatibleProvider:
    """A chat-completions provider. ``base_url`` overrides the config's (the demo's simulator)."""

    def __init__(self, name: str, config: ProviderConfig, api_key: str | None, *, base_url: str | None = None):
        self.name = name
        self.kind = config.kind
        self.model = config.model or ""
        self._config = config
        self._pricing = config.price()
        self._client = openai.AsyncOpenAI(
            base_url=base_url or config.base_url,
            api_key=api_key or "no-key",  # local servers take any key; the SDK insists on one
            max_retries=0,
            http_client=make_async_client(config),
        )
        # The demo's simulator moves to a new port every run; its replies are the same.
        self.endpoint = "demo" if config.kind == "demo" else endpoint_identity(str(self._client.base_url))
        # Resolved once here: the SDK imports its resource modules lazily on first access,
        # which would otherwise delay the first chunk of every worker by a tenth of a second.
        self._create = self._client.chat.completions.with_raw_response.create

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        started = time.perf_counter()
        try:
            raw = await self._create(
                model=self.model, messages=build_messages(request),  # type: ignore[arg-type]
                temperature=self._config.temperature,
            )
        except openai.APIStatusError as exc:
            raise self._status_error(exc) from exc
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            raise self._connection_error(exc) from exc
        text, usage = self._read_reply(raw, request)
        return TranslationResult(text=text, usage=usage, provider=self.name, model=self.model,
                                 latency_ms=(time.perf_counter() - started) * 1000, report=limit_report(raw.headers))

    def estimate(self, request: TranslationRequest) -> Estimate:
        return estimate_chat(request)

    def cost(self, usage: Usage) -> float:
        return cost_of(self._pricing, usage)

    async def aclose(self) -> None:
        await self._client.close()

    # ---- replies ------------------------------------------------------------------------
    def _read_reply(self, raw: Any, request: TranslationRequest) -> tuple[str, Usage]:
        try:
            completion = raw.parse()
        except ValueError as exc:
            raise malformed(self.name, "the body is not valid JSON") from exc
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise malformed(self.name, "no choices")
        choice = choices[0]
        finish = getattr(choice, "finish_reason", None)
        if finish == "length":
            raise ContentTooLong("the reply was cut off at the model's output limit", provider=self.name, status=200)
        if finish == "content_filter":
            raise ChunkRejected("the reply was withheld by the provider's content filter", provider=self.name, status=200)
        content = getattr(getattr(choice, "message", None), "content", None)
        if not isinstance(content, str):
            raise malformed(self.name, "no message content")
        return content, self._usage(getattr(completion, "usage", None), request)

    def _usage(self, reported: Any, request: TranslationRequest) -> Usage:
        prompt_tokens = getattr(reported, "prompt_tokens", None)
        completion_tokens = getattr(reported, "completion_tokens", None)
        if not isinstance(prompt_tokens, int) or not isinstance(completion_tokens, int):
            guess = self.estimate(request)  # some compatible servers report no usage
            prompt_tokens, completion_tokens = guess.tokens_in, guess.tokens_out
        usage = Usage(tokens_in=prompt_tokens, tokens_out=completion_tokens, characters=len(request.text))
        return priced(self._pricing, usage)

    # ---- errors -----------------------------------------------------------------------------
    def _status_error(self, exc: openai.APIStatusError) -> ProviderError:
        status, headers = exc.status_code, exc.response.headers
        error = read_error(exc.body, exc.message)
        code, kind, message = error.code, error.kind, error.message
        text = f"HTTP {status}: {short(message)}"
        if error.bad_key:  # Gemini refuses a bad key with 400 INVALID_ARGUMENT
            return ProviderUnavailable(text, provider=self.name, status=status)
        if status == 429 and ("insufficient_quota" in (code, kind) or error.daily_quota):
            return QuotaExhausted(text, provider=self.name, status=status)
        if status == 429 and error.retry_delay_s is not None:  # Gemini: the wait is in the body
            return RateLimited(text, provider=self.name, status=status, retry_after_s=error.retry_delay_s)
        if status in (400, 413) and (code in _TOO_LONG_CODES or any(p in message.lower() for p in _TOO_LONG_PHRASES)):
            return ContentTooLong(text, provider=self.name, status=status)
        return error_for_status(self.name, status, headers, message)

    def _connection_error(self, exc: openai.APIConnectionError) -> RetryableError:
        if isinstance(exc, openai.APITimeoutError):
            return RetryableError("timed out waiting for the reply", provider=self.name)
        cause = exc.__cause__
        return transport_error(self.name, cause) if isinstance(cause, Exception) else RetryableError(
            f"connection failed: {short(str(exc))}", provider=self.name)
