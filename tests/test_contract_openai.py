"""Contract: the official ``openai`` client against every OpenAI-compatible server profile the
simulator imitates (profiles.py) — what the client raises, and what it finds in bodies and
headers, for a reply, a wrong key and a full window."""

from __future__ import annotations

import time
from collections.abc import Iterator

import openai
import pytest

from scribe_tui.providers.base import TranslationRequest
from scribe_tui.prompt import build_messages
from scribe_tui.simulator import SimulatorServer, pseudo_translate
from scribe_tui.simulator.profiles import PROFILES
from tests._simulator_support import API_KEY, sim, simulator  # noqa: F401  (fixtures)

MESSAGES = build_messages(TranslationRequest(text="Hello there.", target_language="de"))


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def client(sim: SimulatorServer, profile: str) -> Iterator[openai.OpenAI]:
    sim.control(server_profile=profile, api_key=API_KEY)
    with openai.OpenAI(base_url=f"{sim.url}/v1", api_key=API_KEY, max_retries=0) as official:
        yield official


def test_reply_usage_and_headers(client: openai.OpenAI, sim: SimulatorServer, profile: str) -> None:
    sim.control(limits=["100/minute"])
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    completion = raw.parse()
    assert completion.choices[0].message.content == pseudo_translate("Hello there.", "de")
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert completion.system_fingerprint == PROFILES[profile].fingerprint
    has_limits = "x-ratelimit-remaining-requests" in raw.headers
    assert has_limits == (profile == "openai")  # only OpenAI itself tells its limits
    assert [model.id for model in client.models.list()] == ["demo-pseudo"]


def test_wrong_key(sim: SimulatorServer, profile: str) -> None:
    sim.control(server_profile=profile, api_key=API_KEY)
    with openai.OpenAI(base_url=f"{sim.url}/v1", api_key="wrong", max_retries=0) as wrong:
        if not PROFILES[profile].checks_key:  # Ollama and LM Studio take any key
            assert wrong.chat.completions.create(model="m", messages=MESSAGES).choices  # type: ignore[arg-type]
            return
        expected = openai.BadRequestError if profile == "gemini" else openai.AuthenticationError
        with pytest.raises(expected) as caught:
            wrong.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    body = caught.value.body
    if profile == "gemini":  # a list of Google RPC errors: 400 INVALID_ARGUMENT, reason API_KEY_INVALID
        assert isinstance(body, list) and body[0]["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    elif profile == "vllm":
        assert body == "Unauthorized"
    else:
        assert isinstance(body, dict) and body["code"] == "invalid_api_key"


def test_full_window(client: openai.OpenAI, sim: SimulatorServer, profile: str) -> None:
    sim.control(limits=["1/2s"])
    client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    busy = PROFILES[profile].when_busy
    if busy == "queue":  # vLLM and LM Studio hold the request until the window has room
        started = time.monotonic()
        assert client.chat.completions.create(model="m", messages=MESSAGES).choices  # type: ignore[arg-type]
        assert time.monotonic() - started > 0.5
        return
    expected = openai.InternalServerError if busy == "503" else openai.RateLimitError
    with pytest.raises(expected) as caught:
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    headers = caught.value.response.headers
    assert ("retry-after" in headers) == (profile == "openai")
    if profile == "gemini":
        details = caught.value.body[0]["error"]["details"]  # type: ignore[index]
        assert any(item.get("retryDelay") in ("1s", "2s") for item in details)
    if profile == "ollama":
        assert caught.value.status_code == 503 and "server busy" in caught.value.message
