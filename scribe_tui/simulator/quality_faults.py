"""Translations that are the right shape but poor, on purpose: what the QA checks must catch.

``SimulatorConfig.qa_fault`` names the fault done to successful translations, in every
dialect (OpenAI, DeepL, Microsoft), to the first ``qa_fault_times`` replies (0: all):

* ``drop_number``: the first number of the translation is missing;
* ``untranslated``: the translation is the source text, unchanged;
* ``ignore_glossary``: the glossary terms the request carried are translated as any word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from scribe_tui.simulator.api_common import ApiCall
from scribe_tui.simulator.api_microsoft import read_dictionary
from scribe_tui.simulator.http11 import Response
from scribe_tui.simulator.pseudo import pseudo_translate

QA_FAULTS = ("drop_number", "untranslated", "ignore_glossary")
_NUMBER = re.compile(r"\d+")

Rewrite = Callable[[str, str], str]  # (translation, its target language) -> faulty translation


def faulty(kind: str, source: str) -> Rewrite:
    """How ``kind`` spoils a translation of ``source`` (markup-free)."""
    if kind == "drop_number":
        return lambda reply, _lang: _NUMBER.sub("", reply, count=1)
    if kind == "untranslated":
        return lambda _reply, _lang: source
    if kind == "ignore_glossary":
        return lambda _reply, lang: pseudo_translate(source, lang)
    raise ValueError(f"unknown QA fault {kind!r}")


def with_quality_fault(response: Response, dialect: str, call: ApiCall, kind: str) -> Response:
    """``response`` (a successful translation in ``dialect``) with its translations spoiled."""
    payload = json.loads(response.body)
    sources = [read_dictionary(text)[0] for text in call.texts]
    if dialect == "openai":
        message = payload["choices"][0]["message"]
        message["content"] = faulty(kind, sources[0])(message["content"], call.targets[0])
    elif dialect == "deepl":
        for item, source in zip(payload["translations"], sources, strict=True):
            item["text"] = faulty(kind, source)(item["text"], call.targets[0])
    else:
        items = payload["value"] if isinstance(payload, dict) else payload
        for item, source in zip(items, sources, strict=True):
            for translation in item["translations"]:
                lang = translation.get("to") or translation.get("language", "")
                translation["text"] = faulty(kind, source)(translation["text"], lang)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(response.status, body, response.headers, response.content_type)


def spoil(response: Response, dialect: str, call: ApiCall, config: Any, done: int) -> tuple[Response, bool]:
    """The response spoiled when the config asks for it and ``done`` spoiled replies are not
    yet ``qa_fault_times``; and whether it was."""
    if not config.qa_fault or response.status != 200 or (config.qa_fault_times and done >= config.qa_fault_times):
        return response, False
    return with_quality_fault(response, dialect, call, config.qa_fault), True
