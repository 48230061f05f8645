"""Contract: DeepL's official Python client (``deepl``) against the simulator's DeepL dialect —
translate, usage, languages, v2 and v3 glossaries, and the errors with their real statuses.
If the simulator drifts from what the vendor's client sends and reads, these fail."""

from __future__ import annotations

from collections.abc import Iterator

import deepl
import pytest
from deepl.api_data import MultilingualGlossaryDictionaryEntries

from scribe_tui.languages import LANGUAGES
from scribe_tui.providers.deepl import deepl_target
from scribe_tui.simulator import SimulatorServer, pseudo_translate
from tests._simulator_support import API_KEY, last_request, sim, simulator  # noqa: F401  (fixtures)

PRO_KEY = API_KEY
FREE_KEY = f"{API_KEY}:fx"


@pytest.fixture(autouse=True)
def no_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client retries 429/5xx five times with backoff; one attempt shows the answer."""
    monkeypatch.setattr(deepl.http_client, "max_network_retries", 0)


@pytest.fixture()
def client(sim: SimulatorServer) -> Iterator[deepl.DeepLClient]:
    sim.control(api_key=PRO_KEY)
    with_client = deepl.DeepLClient(PRO_KEY, server_url=sim.url)
    yield with_client
    with_client.close()


def test_translate_reports_billed_characters(client: deepl.DeepLClient, sim: SimulatorServer) -> None:
    result = client.translate_text("Good morning.\nSecond line.", target_lang="DE", source_lang="EN",
                                   context="Earlier text.")
    assert isinstance(result, deepl.TextResult)
    assert result.text == pseudo_translate("Good morning.\nSecond line.", "de")
    assert result.billed_characters == len("Good morning.\nSecond line.")  # the context is not billed
    assert result.detected_source_lang == "EN"
    many = client.translate_text(["one", "three"], target_lang="EN-US")
    assert [item.text for item in many] == [pseudo_translate("one", "en-us"), pseudo_translate("three", "en-us")]
    assert [item.billed_characters for item in many] == [3, 5]
    assert '"show_billed_characters": true' in last_request(sim)["body"]


def test_usage_counts_what_was_billed(client: deepl.DeepLClient, sim: SimulatorServer) -> None:
    sim.control(limits=["1000 characters/month"], deepl_extra_billed=2)
    billed = client.translate_text("abcde", target_lang="FR").billed_characters
    usage = client.get_usage()
    assert billed == 7 and usage.character.count == 7 and usage.character.limit == 1000
    assert not usage.any_limit_reached


def test_free_and_pro_keys(sim: SimulatorServer) -> None:
    free = deepl.Translator(FREE_KEY)
    pro = deepl.Translator(PRO_KEY)
    assert free.server_url == "https://api-free.deepl.com" and pro.server_url == "https://api.deepl.com"
    free.close()
    pro.close()
    local = deepl.Translator(FREE_KEY, server_url=sim.url)
    try:
        assert local.get_usage().character.valid
    finally:
        local.close()


def test_languages(client: deepl.DeepLClient) -> None:
    sources = {language.code for language in client.get_source_languages()}
    targets = {language.code: language for language in client.get_target_languages()}
    assert {"DE", "EN", "HE", "PT"} <= sources and "EN-US" not in sources
    assert {"EN-GB", "EN-US", "PT-BR", "PT-PT"} <= set(targets) and "EN" not in targets
    assert targets["DE"].supports_formality and not targets["EN-US"].supports_formality
    assert {deepl_target(code) for code in LANGUAGES} <= set(targets)  # every code our adapter sends exists


def test_v2_glossary_lifecycle(client: deepl.DeepLClient) -> None:
    glossary = client.create_glossary("terms", "EN", "DE", {"Kubernetes": "K8s", "cluster": "Verbund"})
    assert glossary.ready and glossary.entry_count == 2
    assert (glossary.source_lang, glossary.target_lang) == ("EN", "DE")
    assert [item.glossary_id for item in client.list_glossaries()] == [glossary.glossary_id]
    assert client.get_glossary(glossary.glossary_id).name == "terms"
    assert client.get_glossary_entries(glossary) == {"Kubernetes": "K8s", "cluster": "Verbund"}
    result = client.translate_text_with_glossary("Kubernetes cluster ready", glossary)
    assert result.text == "⟦de⟧ K8s Verbund ŕéáđý"  # the terms come back verbatim
    pairs = client.get_glossary_languages()
    assert any((pair.source_lang, pair.target_lang) == ("en", "de") for pair in pairs)
    client.delete_glossary(glossary)
    with pytest.raises(deepl.GlossaryNotFoundException):
        client.get_glossary(glossary.glossary_id)


def test_v3_multilingual_glossary_lifecycle(client: deepl.DeepLClient) -> None:
    entries = MultilingualGlossaryDictionaryEntries
    glossary = client.create_multilingual_glossary("multi", [entries("EN", "DE", {"cat": "Katze"}),
                                                             entries("EN", "FR", {"cat": "chat"})])
    assert sorted((item.source_lang, item.target_lang, item.entry_count) for item in glossary.dictionaries) == [
        ("EN", "DE", 1), ("EN", "FR", 1)]
    assert client.list_multilingual_glossaries()[0].glossary_id == glossary.glossary_id
    updated = client.update_multilingual_glossary_dictionary(glossary, entries("EN", "DE", {"dog": "Hund"}))
    assert {(item.target_lang, item.entry_count) for item in updated.dictionaries} == {("DE", 2), ("FR", 1)}
    got = client.get_multilingual_glossary_entries(glossary, "EN", "DE").dictionaries[0]
    assert deepl.util.convert_tsv_to_dict(got.entries) == {"cat": "Katze", "dog": "Hund"}
    replaced = client.replace_multilingual_glossary_dictionary(glossary, entries("EN", "FR", {"bird": "oiseau"}))
    assert replaced.entry_count == 1
    result = client.translate_text("cat and dog", source_lang="EN", target_lang="DE", glossary=glossary)
    assert result.text == "⟦de⟧ Katze áñđ Hund"
    assert client.update_multilingual_glossary_name(glossary, "renamed").name == "renamed"
    client.delete_multilingual_glossary_dictionary(glossary, source_lang="EN", target_lang="FR")
    assert len(client.get_multilingual_glossary(glossary.glossary_id).dictionaries) == 1
    client.delete_multilingual_glossary(glossary)
    with pytest.raises(deepl.GlossaryNotFoundException):
        client.get_multilingual_glossary(glossary.glossary_id)


def test_a_glossary_needs_its_language_pair(client: deepl.DeepLClient) -> None:
    glossary = client.create_glossary("pair", "EN", "DE", {"a": "b"})
    with pytest.raises(deepl.DeepLException, match="Bad request"):
        client.translate_text("a", source_lang="EN", target_lang="FR", glossary=glossary.glossary_id)


def test_wrong_key_is_403(sim: SimulatorServer) -> None:
    sim.control(api_key=PRO_KEY)
    wrong = deepl.Translator("wrong-key", server_url=sim.url)
    try:
        with pytest.raises(deepl.AuthorizationException) as caught:
            wrong.translate_text("x", target_lang="DE")
    finally:
        wrong.close()
    assert caught.value.http_status_code == 403


def test_spent_quota_is_456(client: deepl.DeepLClient, sim: SimulatorServer) -> None:
    sim.control(limits=["10 characters/month"])
    client.translate_text("12345678", target_lang="DE")
    with pytest.raises(deepl.QuotaExceededException) as caught:
        client.translate_text("12345678", target_lang="DE")
    assert caught.value.http_status_code == 456
    assert client.get_usage().character.count == 8


def test_busy_window_is_429(client: deepl.DeepLClient, sim: SimulatorServer) -> None:
    sim.control(limits=["1/10s"])
    client.translate_text("x", target_lang="DE")
    with pytest.raises(deepl.TooManyRequestsException) as caught:
        client.translate_text("x", target_lang="DE")
    assert caught.value.http_status_code == 429 and caught.value.should_retry


@pytest.mark.parametrize(("fault", "status"), [("http_500", 500), ("http_503", 503)])
def test_server_errors(client: deepl.DeepLClient, sim: SimulatorServer, fault: str, status: int) -> None:
    sim.control(**{fault: 1.0})
    with pytest.raises(deepl.DeepLException) as caught:
        client.translate_text("x", target_lang="DE")
    assert caught.value.http_status_code == status
