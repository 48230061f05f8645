"""Request packing in a worker: small chunks that wait together for one provider go in one
request (``pack_max_chunks`` in the provider's config; 1, the default, never packs).

A chunk is packable when it has no context (a packed request has one system message for all
its texts) and holds no marker line of the packed layout. Chunks for the same provider,
target and source language and glossary that arrive within ``LINGER_S`` of the first one are
collected, up to ``pack_max_chunks`` of them (each chunk is at most ``chunking.max_tokens``, so
a packed request is at most N times that), then handed to ``Gateway.translate_packed`` together; each caller gets its own chunk's
outcome. A lone chunk is sent as it would be without packing. The supervisor's dispatch is
not involved: it sends orders as before, and the packing happens where they wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scribe_tui.prompt import can_pack
from scribe_tui.providers.base import TranslationRequest

LINGER_S = 0.02  # how long the first chunk of a pack waits for others

Validator = Callable[[str, str], None]


@dataclass
class _Item:
    request: TranslationRequest
    attempt: int
    validate: Validator | None
    future: asyncio.Future[Any]


@dataclass
class _Pack:
    provider: str
    items: list[_Item] = field(default_factory=list)
    sent: bool = False


class Packer:
    """Collects packable chunks per provider and language; see the module docstring."""

    def __init__(self, gateway: Any, *, pack_sizes: dict[str, int], linger_s: float = LINGER_S):
        self.gateway = gateway
        self.pack_sizes = pack_sizes
        self.linger_s = linger_s
        self._open: dict[tuple[Any, ...], _Pack] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def packs(self, provider: str, request: TranslationRequest) -> bool:
        """True when ``request`` may wait to travel with others."""
        return self.pack_sizes.get(provider, 1) > 1 and not request.context.strip() and can_pack(request.text)

    async def translate(self, provider: str, request: TranslationRequest, *, attempt: int,
                        validate: Validator | None) -> Any:
        """The outcome for ``request``, sent in a packed request when others wait with it."""
        key = (provider, request.target_language, request.source_language, tuple(sorted(request.glossary.items())))
        pack = self._open.get(key)
        if pack is None:
            pack = self._open[key] = _Pack(provider)
            asyncio.get_running_loop().call_later(self.linger_s, self._send, key, pack)
        item = _Item(request, attempt, validate, asyncio.get_running_loop().create_future())
        pack.items.append(item)
        if len(pack.items) >= self.pack_sizes[provider]:
            self._send(key, pack)
        return await item.future

    def _send(self, key: tuple[Any, ...], pack: _Pack) -> None:
        if self._open.get(key) is pack:
            del self._open[key]
        if pack.sent:
            return
        pack.sent = True
        items = [item for item in pack.items if not item.future.done()]  # a cancelled chunk is left out
        if items:
            task = asyncio.create_task(self._deliver(pack.provider, items))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _deliver(self, provider: str, items: list[_Item]) -> None:
        try:
            if len(items) == 1:
                only = items[0]
                outcomes = [await self.gateway.translate(provider, only.request, attempt=only.attempt,
                                                         validate=only.validate)]
            else:
                outcomes = await self.gateway.translate_packed(
                    provider, [item.request for item in items], attempts=[item.attempt for item in items],
                    validates=[item.validate for item in items])
        except Exception as exc:  # each waiting chunk hears of it as if it had been sent alone
            for item in items:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        for item, outcome in zip(items, outcomes, strict=True):
            if not item.future.done():
                item.future.set_result(outcome)
