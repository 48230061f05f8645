"""The user's glossary as real DeepL glossaries (API v2: one language pair per glossary).

DeepL applies a glossary by id, so each language pair the run needs gets one, made from all
of that target language's entries. The id is remembered twice: in this process, and on
DeepL itself through the glossary's name, ``scribe-tui <fingerprint> <src>-<tgt>``: another
worker process, or the next run, finds it with ``GET /v2/glossaries`` instead of making a
copy. When the file changes its fingerprint changes, so a new glossary is made and the
stale ones of that pair (``scribe-tui …`` with another fingerprint) are deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from scribe_tui.glossary import Glossary
from scribe_tui.providers.base import ProviderError
from scribe_tui.providers.http import body_json, malformed, reply_json, send

NAME_PREFIX = "scribe-tui "

FailureMapper = Callable[[httpx.Response], Awaitable[ProviderError]]


def glossary_name(fingerprint: str, source: str, target: str) -> str:
    return f"{NAME_PREFIX}{fingerprint} {source}-{target}"


def entries_tsv(terms: dict[str, str]) -> str:
    return "\n".join(f"{source}\t{target}" for source, target in sorted(terms.items()))


class DeepLGlossaries:
    """Glossary ids per (source, target) pair, found or created on first use."""

    def __init__(self, client: httpx.AsyncClient, host: str, provider: str, glossary: Glossary,
                 failure: FailureMapper):
        self._client = client
        self._url = f"{host}/v2/glossaries"
        self._provider = provider
        self._glossary = glossary
        self._failure = failure
        self._ids: dict[tuple[str, str], str] = {}
        self._lock = asyncio.Lock()

    async def id_for(self, source: str, target: str) -> str | None:
        """The glossary id for ``source → target`` (DeepL's base codes, lower-cased), or None
        when the glossary has no terms for that target language."""
        pair = (source.lower(), target.lower().split("-")[0])
        if pair in self._ids:
            return self._ids[pair]
        terms = self._glossary.terms(pair[1])
        if not terms:
            return None
        async with self._lock:
            if pair not in self._ids:
                self._ids[pair] = await self._find_or_create(pair, terms)
        return self._ids[pair]

    async def _find_or_create(self, pair: tuple[str, str], terms: dict[str, str]) -> str:
        name = glossary_name(self._glossary.fingerprint, *pair)
        found = None
        for item in await self._list():
            if item.get("name") == name and found is None:
                found = str(item["glossary_id"])
            elif _stale(item, pair, name):
                await self._delete(str(item["glossary_id"]))
        return found or await self._create(name, pair, terms)

    async def _list(self) -> list[dict[str, object]]:
        response = await send(self._client, self._provider, "GET", self._url)
        if response.status_code != 200:
            raise await self._failure(response)
        items = reply_json(response, self._provider).get("glossaries", [])
        return [item for item in items if isinstance(item, dict) and "glossary_id" in item]

    async def _create(self, name: str, pair: tuple[str, str], terms: dict[str, str]) -> str:
        payload = {"name": name, "source_lang": pair[0], "target_lang": pair[1],
                   "entries": entries_tsv(terms), "entries_format": "tsv"}
        response = await send(self._client, self._provider, "POST", self._url, json=payload)
        if response.status_code not in (200, 201):
            raise await self._failure(response)
        body = body_json(response)
        if not isinstance(body, dict) or not isinstance(body.get("glossary_id"), str):
            raise malformed(self._provider, "no glossary_id in the created glossary")
        return body["glossary_id"]

    async def _delete(self, glossary_id: str) -> None:
        try:
            await send(self._client, self._provider, "DELETE", f"{self._url}/{glossary_id}")
        except ProviderError:
            pass  # a stale glossary left behind costs nothing; the next run tries again


def _stale(item: dict[str, object], pair: tuple[str, str], name: str) -> bool:
    """One of ours for the same language pair, made from another version of the file."""
    label = str(item.get("name", ""))
    return (label.startswith(NAME_PREFIX) and label != name and label.endswith(f" {pair[0]}-{pair[1]}")
            and (str(item.get("source_lang", "")).lower(), str(item.get("target_lang", "")).lower()) == pair)
