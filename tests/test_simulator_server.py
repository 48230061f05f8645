"""The simulator over real HTTP: the three APIs' reply shapes, limits, faults, control, stats."""

from __future__ import annotations

import json

import httpx
import pytest

from scribe_tui.simulator import SimulatorServer, pseudo_translate
from tests._simulator_support import chat_body, last_request, sim, simulator  # noqa: F401  (fixtures)

TEXT = "First line of the chunk.\n\n  Second, indented."


_CLIENT = httpx.Client(timeout=10)  # one pool for the module: a new client per call costs ~30 ms


def post_chat(server: SimulatorServer, text: str = TEXT, lang: str = "he", **kwargs: object) -> httpx.Response:
    return _CLIENT.post(f"{server.url}/v1/chat/completions", json=chat_body(text, lang), **kwargs)  # type: ignore[arg-type]


def test_openai_reply_has_the_real_shape(sim: SimulatorServer) -> None:
    response = post_chat(sim, lang="de")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert isinstance(body["created"], int) and body["model"] == "demo-pseudo"
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": pseudo_translate(TEXT, "de"), "refusal": None}
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_only_the_last_user_message_is_translated(sim: SimulatorServer) -> None:
    body = chat_body("the text", "he", context="context words")
    body["messages"].insert(1, {"role": "user", "content": "an earlier user message"})
    reply = _CLIENT.post(f"{sim.url}/v1/chat/completions", json=body).json()
    assert reply["choices"][0]["message"]["content"] == pseudo_translate("the text", "he")


def test_models_endpoint(sim: SimulatorServer) -> None:
    body = _CLIENT.get(f"{sim.url}/v1/models").json()
    assert body["object"] == "list" and body["data"][0]["id"] == "demo-pseudo"


def test_deepl_form_and_json_bodies(sim: SimulatorServer) -> None:
    form = _CLIENT.post(f"{sim.url}/v2/translate", data={"text": ["one", "two lines\nhere"], "target_lang": "DE"})
    assert form.status_code == 200
    assert form.json() == {"translations": [
        {"detected_source_language": "EN", "text": pseudo_translate("one", "de")},
        {"detected_source_language": "EN", "text": pseudo_translate("two lines\nhere", "de")}]}
    as_json = _CLIENT.post(f"{sim.url}/v2/translate", json={"text": ["x"], "target_lang": "HE", "source_lang": "FR"})
    assert as_json.json()["translations"][0] == {"detected_source_language": "FR", "text": pseudo_translate("x", "he")}
    missing = _CLIENT.post(f"{sim.url}/v2/translate", data={"text": "x"})
    assert missing.status_code == 400


def test_deepl_usage_counts_characters_against_the_quota(sim: SimulatorServer) -> None:
    sim.control(limits=["1000 characters/month"])
    _CLIENT.post(f"{sim.url}/v2/translate", data={"text": "12345", "target_lang": "DE"}).raise_for_status()
    free = _CLIENT.get(f"{sim.url}/v2/usage", headers={"Authorization": "DeepL-Auth-Key k:fx"}).json()
    assert free == {"character_count": 5, "character_limit": 1000}
    pro = _CLIENT.get(f"{sim.url}/v2/usage", headers={"Authorization": "DeepL-Auth-Key k"}).json()
    assert pro["character_count"] == 5 and pro["end_time"] > pro["start_time"]


def test_deepl_quota_is_456(sim: SimulatorServer) -> None:
    sim.control(limits=["10 characters/month"])
    assert _CLIENT.post(f"{sim.url}/v2/translate", data={"text": "123456", "target_lang": "DE"}).status_code == 200
    refused = _CLIENT.post(f"{sim.url}/v2/translate", data={"text": "123456", "target_lang": "DE"})
    assert refused.status_code == 456
    assert sim.stats()["quota_exhausted"] == 1


def test_microsoft_reply_and_region_header(sim: SimulatorServer) -> None:
    response = _CLIENT.post(f"{sim.url}/translate", params={"api-version": "3.0", "to": "he"}, json=[{"Text": "hi\nthere"}],
                          headers={"Ocp-Apim-Subscription-Region": "westeurope"})
    assert response.status_code == 200
    assert response.json() == [{"detectedLanguage": {"language": "en", "score": 1.0},
                                "translations": [{"text": pseudo_translate("hi\nthere", "he"), "to": "he"}]}]
    assert last_request(sim)["headers"]["ocp-apim-subscription-region"] == "westeurope"
    no_version = _CLIENT.post(f"{sim.url}/translate", params={"to": "he"}, json=[{"Text": "x"}])
    assert no_version.status_code == 400 and no_version.json()["error"]["code"] == 400021


def test_wrong_or_missing_key_is_refused_per_api(sim: SimulatorServer) -> None:
    sim.control(api_key="right")
    assert post_chat(sim, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert post_chat(sim, headers={"Authorization": "Bearer right"}).status_code == 200
    assert _CLIENT.post(f"{sim.url}/v2/translate", data={"text": "x", "target_lang": "DE"}).status_code == 403
    ms = _CLIENT.post(f"{sim.url}/translate?api-version=3.0&to=de", json=[{"Text": "x"}])
    assert ms.status_code == 401 and ms.json()["error"]["code"] == 401000
    assert last_request(sim)["headers"].get("ocp-apim-subscription-key") is None
    post_chat(sim, headers={"Authorization": "Bearer right"})
    assert last_request(sim)["headers"]["authorization"] == "Bearer <redacted>"


def test_too_long_input_is_context_length_exceeded(sim: SimulatorServer) -> None:
    sim.control(max_input_chars=100)
    response = post_chat(sim, text="x" * 200)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_burst_admits_exactly_the_limit(sim: SimulatorServer) -> None:
    sim.control(limits=["5/minute"])
    statuses = [post_chat(sim).status_code for _ in range(12)]
    assert statuses == [200] * 5 + [429] * 7
    stats = sim.stats()
    assert stats["rate_limited"] == 7 and stats["admitted"] == 5 and len(stats["admissions"]) == 5


async def test_sliding_window_never_holds_more_than_the_limit(sim: SimulatorServer) -> None:
    import asyncio

    sim.control(limits=["4/0.5s"])
    async with httpx.AsyncClient(base_url=sim.url) as client:
        async def hammer() -> None:
            for _ in range(25):
                await client.post("/v1/chat/completions", json=chat_body("x"))
                await asyncio.sleep(0.03)

        await asyncio.gather(*(hammer() for _ in range(4)))
    stats = sim.stats()
    admissions = stats["admissions"]
    assert stats["rate_limited"] > 0 and len(admissions) >= 8
    for i in range(4, len(admissions)):  # the 5th admission after any one is at least a span later
        assert admissions[i] - admissions[i - 4] >= 0.5 - 1e-6


def test_429_carries_retry_after_and_reset_headers(sim: SimulatorServer) -> None:
    sim.control(limits=["1/10s"])
    ok = post_chat(sim)
    assert ok.headers["x-ratelimit-limit-requests"] == "1" and ok.headers["x-ratelimit-remaining-requests"] == "0"
    refused = post_chat(sim)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 10  # whole seconds, rounded up; at most the window
    assert refused.headers["x-ratelimit-reset-requests"].endswith("s")
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"


def test_daily_quota_for_openai_is_429_with_a_long_retry_after(sim: SimulatorServer) -> None:
    sim.control(limits=["1/day"])
    post_chat(sim).raise_for_status()
    refused = post_chat(sim)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 86000


def test_token_limit_is_enforced(sim: SimulatorServer) -> None:
    sim.control(limits=["300 tokens/minute"])
    assert post_chat(sim, text="short").status_code == 200
    assert post_chat(sim, text="y" * 2000).status_code == 429
    assert post_chat(sim, text="short").status_code == 200  # the refused call used nothing


@pytest.mark.parametrize(("fault", "status"), [("http_500", 500), ("http_503", 503), ("quota", 429)])
def test_status_faults(sim: SimulatorServer, fault: str, status: int) -> None:
    sim.control(**{fault: 1.0})
    assert post_chat(sim).status_code == status
    assert sim.stats()["faults"] == {fault: 1}


def test_drop_closes_the_connection_without_a_reply(sim: SimulatorServer) -> None:
    sim.control(drop=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        post_chat(sim)
    stats = sim.stats()
    assert stats["faults"] == {"drop": 1} and stats["per_status"] == {"dropped": 1}


def test_malformed_replies_are_200_with_broken_or_incomplete_json(sim: SimulatorServer) -> None:
    sim.control(malformed=1.0)
    bodies = [post_chat(sim) for _ in range(8)]
    assert all(response.status_code == 200 for response in bodies)
    kinds = set()
    for response in bodies:
        try:
            kinds.add("no choices" if "choices" not in json.loads(response.text) else "ok")
        except ValueError:
            kinds.add("invalid json")
    assert kinds == {"no choices", "invalid json"}


def test_slow_fault_delays_the_reply(sim: SimulatorServer) -> None:
    sim.control(slow=1.0, slow_ms=2000)
    with pytest.raises(httpx.ReadTimeout):
        post_chat(sim, timeout=0.3)
    sim.control(slow_ms=50)
    assert post_chat(sim, timeout=5).status_code == 200


def test_fault_rate_follows_the_probability_and_seed(sim: SimulatorServer) -> None:
    sim.control(http_500=0.3, seed=7)
    first = [post_chat(sim).status_code for _ in range(100)]
    assert 15 <= first.count(500) <= 45 and set(first) == {200, 500}
    assert sim.stats()["faults"]["http_500"] == first.count(500)
    sim.control(seed=7)
    assert [post_chat(sim).status_code for _ in range(100)] == first


def test_outage_on_and_off_through_control(sim: SimulatorServer) -> None:
    assert post_chat(sim).status_code == 200
    config = sim.control(http_503=1.0)
    assert config["http_503"] == 1.0
    assert [post_chat(sim).status_code for _ in range(3)] == [503, 503, 503]
    sim.control(http_503=0.0)
    assert post_chat(sim).status_code == 200


def test_control_rejects_unknown_or_bad_settings(sim: SimulatorServer) -> None:
    assert _CLIENT.post(f"{sim.url}/_control", json={"nonsense": 1}).status_code == 400
    assert _CLIENT.post(f"{sim.url}/_control", json={"http_500": 0.7, "drop": 0.7}).status_code == 400
    assert _CLIENT.post(f"{sim.url}/_control", json={"limits": ["ten per hour"]}).status_code == 400
    assert _CLIENT.get(f"{sim.url}/_control").json()["config"]["http_500"] == 0.0


def test_stats_count_endpoints_statuses_and_concurrency(sim: SimulatorServer) -> None:
    sim.control(latency_ms=150)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: post_chat(sim), range(4)))
    _CLIENT.post(f"{sim.url}/v2/translate", data={"text": "x", "target_lang": "DE"})
    _CLIENT.get(f"{sim.url}/nowhere")
    stats = sim.stats()
    assert stats["requests_total"] == 5
    assert stats["per_endpoint"] == {"openai.chat": 4, "deepl.translate": 1}
    assert stats["per_status"] == {"200": 5}
    assert stats["max_in_flight"] >= 2 and stats["in_flight"] == 0
    assert json.loads(stats["recent_requests"][0]["body"])["messages"][-1]["content"] == TEXT


def test_reset_restores_the_starting_config_and_counters(sim: SimulatorServer) -> None:
    sim.control(http_500=1.0, limits=["1/hour"])
    post_chat(sim)
    sim.reset()
    stats = sim.stats()
    assert stats["requests_total"] == 0 and stats["admissions"] == []
    assert post_chat(sim).status_code == 200 and post_chat(sim).status_code == 200


def test_unknown_paths_and_methods(sim: SimulatorServer) -> None:
    assert _CLIENT.get(f"{sim.url}/v1/chat/completions").status_code == 405
    assert _CLIENT.get(f"{sim.url}/v3/whatever").status_code == 404


# ---- network and overload modes --------------------------------------------------------------------


async def test_arrival_delay_counts_each_call_late_and_logs_every_arrival(sim: SimulatorServer) -> None:
    import asyncio
    import time

    sim.control(arrival_delay_ms=400, limits=["3/minute"], seed=3)
    async with httpx.AsyncClient(base_url=sim.url) as client:
        sent = time.monotonic()
        replies = await asyncio.gather(*(client.post("/v1/chat/completions", json=chat_body(f"x{i}")) for i in range(5)))
    stats = sim.stats()
    assert sorted(r.status_code for r in replies) == [200] * 3 + [429] * 2
    assert len(stats["arrivals"]) == 5 and len(stats["admissions"]) == 3 and len(stats["refusals"]) == 2
    delays = [arrival - sent for arrival in stats["arrivals"]]
    assert all(0 <= d < 2.0 for d in delays) and max(delays) - min(delays) > 0.05  # late, and by varying amounts
    ok = next(r for r in replies if r.status_code == 200)
    assert 0 <= int(ok.headers["openai-processing-ms"]) < 1000  # from the count to the reply


async def test_beyond_max_in_flight_calls_are_refused_503_overloaded(sim: SimulatorServer) -> None:
    import asyncio

    sim.control(max_in_flight=2, latency_ms=3000)  # long enough that all five overlap on a loaded machine
    async with httpx.AsyncClient(base_url=sim.url) as client:
        replies = await asyncio.gather(*(client.post("/v1/chat/completions", json=chat_body("x")) for _ in range(5)))
    assert sorted(r.status_code for r in replies) == [200, 200, 503, 503, 503]
    assert "overloaded" in next(r for r in replies if r.status_code == 503).json()["error"]["message"]
    assert sim.stats()["faults"]["overloaded"] == 3


async def test_beyond_max_connections_new_connections_are_reset() -> None:
    import asyncio

    from scribe_tui.simulator import SimulatorConfig

    with SimulatorServer(SimulatorConfig(max_connections=2, latency_ms=200)) as server:  # no other client's connections
        async with httpx.AsyncClient(base_url=server.url, limits=httpx.Limits(max_connections=6)) as client:
            replies = await asyncio.gather(*(client.post("/v1/chat/completions", json=chat_body("x")) for _ in range(5)),
                                           return_exceptions=True)
        resets = server.stats()["faults"]["reset"]
    failed = [r for r in replies if isinstance(r, httpx.TransportError)]
    assert len(failed) == 3 == resets and sum(1 for r in replies if isinstance(r, httpx.Response)) == 2


def test_long_replies_report_and_count_more_tokens(sim: SimulatorServer) -> None:
    plain = post_chat(sim).json()["usage"]
    sim.control(reply_token_factor=3.0, limits=["10000 tokens/minute"])
    long = post_chat(sim).json()["usage"]
    assert long["prompt_tokens"] == plain["prompt_tokens"]
    assert long["completion_tokens"] == 3 * plain["completion_tokens"]
    assert sim.stats()["per_status"] == {"200": 2}
    reply = post_chat(sim)
    assert int(reply.headers["x-ratelimit-remaining-tokens"]) == 10000 - 2 * long["total_tokens"]
