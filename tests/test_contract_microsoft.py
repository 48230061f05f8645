"""Contract: Microsoft's official client (``azure-ai-translation-text``, API 2026-06-06) against
the simulator's Translator dialect — translate, languages, and the errors with their real
statuses, codes and headers — and the GA 3.0 shape sent through the same client's pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.ai.translation.text import TextTranslationClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.core.rest import HttpRequest

from scribe_tui.simulator import SimulatorServer, pseudo_translate
from tests._simulator_support import API_KEY, last_request, sim, simulator  # noqa: F401  (fixtures)


def make_client(server: SimulatorServer, key: str = API_KEY, **kwargs: object) -> TextTranslationClient:
    """The official client on the simulator, one attempt per call (its retry policy off)."""
    return TextTranslationClient(endpoint=server.url, credential=AzureKeyCredential(key), region="westeurope",
                                 retry_total=0, **kwargs)


@pytest.fixture()
def client(sim: SimulatorServer) -> Iterator[TextTranslationClient]:
    sim.control(api_key=API_KEY)
    with make_client(sim) as official:
        yield official


def test_translate_current_version(client: TextTranslationClient, sim: SimulatorServer) -> None:
    items = client.translate(body=["Good evening.\nSecond line."], to_language=["de", "he"], from_language="en")
    translations = items[0].translations
    assert [(item.language, item.text) for item in translations] == [
        ("de", pseudo_translate("Good evening.\nSecond line.", "de")),
        ("he", pseudo_translate("Good evening.\nSecond line.", "he"))]
    assert translations[0].source_characters == len("Good evening.\nSecond line.")
    assert items[0].detected_language is None
    received = last_request(sim)
    assert "api-version=2026-06-06" in received["target"]
    assert received["headers"]["ocp-apim-subscription-region"] == "westeurope"


def test_translate_detects_the_source_and_reports_metered_usage(client: TextTranslationClient) -> None:
    seen: dict[str, str] = {}

    def keep_headers(response: object) -> None:
        seen.update(response.http_response.headers)  # type: ignore[attr-defined]

    items = client.translate(body=["Hello", "World!"], to_language=["fr"], raw_response_hook=keep_headers)
    assert [item.translations[0].text for item in items] == [pseudo_translate("Hello", "fr"),
                                                             pseudo_translate("World!", "fr")]
    assert items[0].detected_language is not None and items[0].detected_language.language == "en"
    assert seen["x-metered-usage"] == "11" and seen["x-requestid"]


def test_the_current_client_refuses_3_0_but_its_pipeline_speaks_it(sim: SimulatorServer) -> None:
    sim.control(api_key=API_KEY)
    with make_client(sim, api_version="3.0") as old:
        with pytest.raises(ValueError, match="not available in API version 3.0"):
            old.translate(body=["x"], to_language=["de"])
        request = HttpRequest("POST", "/translate", params={"api-version": "3.0", "to": ["de", "he"]},
                              json=[{"text": "Hello"}])  # the 1.x client sent lower-case "text"
        response = old.send_request(request)
    assert response.status_code == 200 and response.headers["x-metered-usage"] == "10"
    assert response.json() == [{"detectedLanguage": {"language": "en", "score": 1.0},
                                "translations": [{"text": pseudo_translate("Hello", "de"), "to": "de"},
                                                 {"text": pseudo_translate("Hello", "he"), "to": "he"}]}]


def test_supported_languages(client: TextTranslationClient) -> None:
    languages = client.get_supported_languages(scope="translation")
    assert languages.translation is not None
    assert languages.translation["he"].dir == "rtl" and languages.translation["de"].dir == "ltr"
    assert "zh-Hans" in languages.translation and "pt-pt" in languages.translation


def test_wrong_key_is_401(sim: SimulatorServer) -> None:
    sim.control(api_key=API_KEY)
    with make_client(sim, key="wrong") as wrong, pytest.raises(ClientAuthenticationError) as caught:
        wrong.translate(body=["x"], to_language=["de"])
    assert caught.value.status_code == 401 and caught.value.error.code == "401000"


@pytest.mark.parametrize(("limit", "code"), [("1/10s", "429000"), ("6 characters/10s", "429001")])
def test_busy_window_is_429_with_retry_after(client: TextTranslationClient, sim: SimulatorServer, limit: str,
                                             code: str) -> None:
    sim.control(limits=[limit])
    client.translate(body=["hello"], to_language=["de"])
    with pytest.raises(HttpResponseError) as caught:
        client.translate(body=["hello"], to_language=["de"])
    error = caught.value
    assert error.status_code == 429 and error.error.code == code
    assert error.response.headers["retry-after"] in {str(n) for n in range(1, 11)}


def test_spent_free_quota_is_403001(client: TextTranslationClient, sim: SimulatorServer) -> None:
    sim.control(limits=["5 characters/month"])
    client.translate(body=["hello"], to_language=["de"])
    with pytest.raises(HttpResponseError) as caught:
        client.translate(body=["hello"], to_language=["de"])
    assert caught.value.status_code == 403 and caught.value.error.code == "403001"


def test_too_long_is_400050(client: TextTranslationClient, sim: SimulatorServer) -> None:
    sim.control(max_input_chars=10)
    with pytest.raises(HttpResponseError) as caught:
        client.translate(body=["x" * 11], to_language=["de"])
    assert caught.value.status_code == 400 and caught.value.error.code == "400050"


@pytest.mark.parametrize(("fault", "status", "code"), [("http_500", 500, "500000"), ("http_503", 503, "503000")])
def test_server_errors(client: TextTranslationClient, sim: SimulatorServer, fault: str, status: int, code: str) -> None:
    sim.control(**{fault: 1.0})
    with pytest.raises(HttpResponseError) as caught:
        client.translate(body=["x"], to_language=["de"])
    assert caught.value.status_code == status and caught.value.error.code == code
