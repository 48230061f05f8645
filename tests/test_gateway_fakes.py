"""Fakes shared by the limits, gateway and cache tests (no tests here).

``FakeProvider`` implements the Provider protocol in-process: its "translation" is
``str.swapcase`` (character for character, so a split-and-joined translation must equal the
translation of the whole text), and a script of exceptions lets a test decide what each
call does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from scribe_tui.config import Settings
from scribe_tui.providers.base import (
    ContentTooLong,
    Estimate,
    TranslationRequest,
    TranslationResult,
    Usage,
)


class FakeProvider:
    def __init__(self, name: str = "fake", *, kind: str = "openai", model: str = "fake-model",
                 script: Iterable[BaseException | None] = (), max_chars: int | None = None,
                 latency_s: float = 0.0):
        self.name = name
        self.kind = kind
        self.model = model
        self.script: deque[BaseException | None] = deque(script)
        self.max_chars = max_chars
        self.latency_s = latency_s
        self.calls: list[TranslationRequest] = []
        self.closed = False

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        self.calls.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.script:
            step = self.script.popleft()
            if step is not None:
                raise step
        if self.max_chars is not None and len(request.text) > self.max_chars:
            raise ContentTooLong(f"{len(request.text)} characters is over {self.max_chars}", provider=self.name,
                                 status=400)
        usage = Usage(tokens_in=len(request.text) // 4 + 1, tokens_out=len(request.text) // 4 + 1,
                      characters=len(request.text))
        return TranslationResult(text=request.text.swapcase(), usage=usage, provider=self.name, model=self.model)

    def estimate(self, request: TranslationRequest) -> Estimate:
        n = len(request.text) // 4 + 1
        return Estimate(tokens_in=n, tokens_out=n, characters=len(request.text))

    def cost(self, usage: Usage) -> float:
        return usage.tokens_in * 1e-6 + usage.tokens_out * 2e-6

    async def aclose(self) -> None:
        self.closed = True


def make_settings(tmp_path: Path, limits: list[str] | None = None, name: str = "fake", **provider: Any) -> Settings:
    """Settings with one OpenAI-kind provider ``name`` and quick retry/breaker figures."""
    providers = {name: {"kind": "openai", "model": "fake-model", "limits": limits or [], **provider}}
    return Settings(
        default_provider=name,
        data_dir=tmp_path / "data",
        providers=providers,
        retry={"base_delay_s": 0.5, "max_delay_s": 8.0, "park_after_s": 5.0},
        breaker={"failure_threshold": 3, "cooldown_s": 0.3},
        cache={"dir": str(tmp_path / "cache")},
    )


def request(text: str = "Hello world.", language: str = "de", context: str = "") -> TranslationRequest:
    return TranslationRequest(text=text, target_language=language, context=context)


def in_another_process(target: Callable[..., Any], *args: Any, timeout: float = 90.0) -> Any:
    """Run ``target(*args)`` (a module-level function) in a freshly spawned interpreter, as a
    worker process would, and return what it returns (something picklable)."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=_run_and_report, args=(target, args, results))
    proc.start()
    try:
        return results.get(timeout=timeout)
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def _run_and_report(target: Callable[..., Any], args: tuple[Any, ...], results: Any) -> None:
    results.put(target(*args))
