"""Every provider really receives the glossary, through our adapters over HTTP to the
simulator (the OpenAI-compatible one through the official ``openai`` SDK): the simulator
honours terms only the way each API carries them — the system message's glossary lines,
a real DeepL glossary by id, Microsoft's dynamic-dictionary markup."""

from __future__ import annotations

import json

import httpx
import pytest

from scribe_tui.glossary import parse_glossary
from scribe_tui.prompt import parse_glossary as prompt_glossary
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.providers.microsoft import dictionary_markup
from scribe_tui.simulator import SimulatorServer, pseudo_translate
from tests._simulator_support import API_KEY, last_request, provider_for, sim, simulator  # noqa: F401  (fixtures)

GLOSSARY = parse_glossary("source,language,target\nScheduler,de,Zeitplaner\nqueue,de,Warteschlange\nScheduler,he,מתזמן\n")
TEXT = "The Scheduler empties the queue.\nThe Scheduler sleeps."
TERMS = GLOSSARY.terms_in(TEXT, "de")
REQUEST = TranslationRequest(text=TEXT, target_language="de", source_language="en", glossary=TERMS)
EXPECTED = pseudo_translate(TEXT, "de", {"Scheduler": "Zeitplaner", "queue": "Warteschlange"})


def deepl_glossaries(server: SimulatorServer) -> list[dict]:
    response = httpx.get(f"{server.url}/v2/glossaries", headers={"Authorization": f"DeepL-Auth-Key {API_KEY}"})
    return response.json()["glossaries"]


async def translate(kind: str, server: SimulatorServer, monkeypatch: pytest.MonkeyPatch, request: TranslationRequest,
                    glossary=GLOSSARY) -> str:  # type: ignore[no-untyped-def]
    provider = provider_for(kind, server, monkeypatch, glossary=glossary, model="m" if kind == "openai" else None)
    try:
        return (await provider.translate(request)).text
    finally:
        await provider.aclose()


async def test_openai_compatible_gets_the_terms_in_the_system_message(sim: SimulatorServer,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    assert await translate("openai", sim, monkeypatch, REQUEST) == EXPECTED
    messages = json.loads(last_request(sim)["body"])["messages"]
    assert prompt_glossary(messages[0]["content"]) == TERMS and messages[-1] == {"role": "user", "content": TEXT}
    plain = TranslationRequest(text=TEXT, target_language="de", source_language="en")
    assert await translate("openai", sim, monkeypatch, plain) == pseudo_translate(TEXT, "de")


async def test_deepl_gets_a_real_glossary_made_once_and_remade_when_the_file_changes(
        sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    assert await translate("deepl", sim, monkeypatch, REQUEST) == EXPECTED
    sent = json.loads(last_request(sim)["body"])
    made = deepl_glossaries(sim)
    assert len(made) == 1 and made[0]["entry_count"] == 2 and made[0]["name"].startswith("scribe-tui ")
    assert sent["glossary_id"] == made[0]["glossary_id"] and sent["source_lang"] == "EN"
    # another process (a new adapter) finds the same glossary by its name: no copy is made
    assert await translate("deepl", sim, monkeypatch, REQUEST) == EXPECTED
    assert deepl_glossaries(sim) == made
    # the file changed: a new glossary for the pair, the stale one deleted
    changed = parse_glossary("Scheduler,de,Planer\nqueue,de,Warteschlange\n")
    request = TranslationRequest(text=TEXT, target_language="de", source_language="en",
                                 glossary=changed.terms_in(TEXT, "de"))
    assert await translate("deepl", sim, monkeypatch, request, changed) == pseudo_translate(
        TEXT, "de", {"Scheduler": "Planer", "queue": "Warteschlange"})
    after = deepl_glossaries(sim)
    assert len(after) == 1 and after[0]["glossary_id"] != made[0]["glossary_id"]


async def test_deepl_sends_no_glossary_for_a_chunk_without_terms(sim: SimulatorServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    plain = TranslationRequest(text="Nothing to see.", target_language="de", source_language="en")
    assert await translate("deepl", sim, monkeypatch, plain) == pseudo_translate("Nothing to see.", "de")
    assert "glossary_id" not in json.loads(last_request(sim)["body"]) and deepl_glossaries(sim) == []


@pytest.mark.parametrize("api_version", ["3.0", "2026-06-06"])
async def test_microsoft_gets_dynamic_dictionary_markup(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                        api_version: str) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("microsoft", sim, monkeypatch, glossary=GLOSSARY, api_version=api_version)
    try:
        assert (await provider.translate(REQUEST)).text == EXPECTED
    finally:
        await provider.aclose()
    body = last_request(sim)["body"]
    assert '<mstrans:dictionary translation=\\"Zeitplaner\\">Scheduler</mstrans:dictionary>' in body


def test_dictionary_markup_wraps_whole_words_and_escapes_the_translation() -> None:
    marked = dictionary_markup("A Scheduler, Schedulers.", {"Scheduler": 'Zeit"planer'})
    assert marked == 'A <mstrans:dictionary translation="Zeit&quot;planer">Scheduler</mstrans:dictionary>, Schedulers.'
