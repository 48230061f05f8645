"""What the dashboard's panes are made of, read over real HTTP after a real run on two demo
providers (see ``web_support.finished_mix``): the configured limit next to the throughput, ETA
and spend, a dead-lettered job with its reason, each provider's circuit, limit usage,
concurrency cap, 429s and latency, and the recent events that say why a chunk failed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.web_support import PANES_CONCURRENCY, PANES_LIMIT, VIEWER, FinishedMix, finished_mix

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def mix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FinishedMix]:
    tmp_path = tmp_path_factory.mktemp("web-panes")
    with pytest.MonkeyPatch.context() as patch:  # module scope: conftest's isolation is not there yet
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        with finished_mix(tmp_path) as running:
            yield running


@pytest.fixture(scope="module")
def status(mix: FinishedMix) -> dict:
    with httpx.Client(base_url=mix.server.url, timeout=10) as client:
        answer = client.get("/api/status", headers={"Authorization": f"Bearer {VIEWER}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_throughput_comes_with_the_configured_limit_eta_and_spend(status: dict) -> None:
    assert status["rate_limit_per_min"] == 6000.0  # PANES_LIMIT, the default provider's request limit
    assert len(status["chunks_per_min"]) == len(status["tokens_per_min"]) == 15
    assert sum(status["chunks_per_min"]) == status["chunk_counts"]["done"] >= 4 and sum(status["tokens_per_min"]) > 0
    assert status["chunks_left"] == 0 and status["eta_s"] == 0  # nothing open: done
    assert status["spend"]["last_hour_usd"] > 0 and status["spend"]["run_usd"] > 0


def test_a_dead_letter_is_listed_with_its_reason(mix: FinishedMix, status: dict) -> None:
    [failure] = status["failures"]
    assert failure["job_id"] == mix.dead_id and failure["status"] == "dead" and failure["language"] == "de"
    assert failure["path"].endswith("broken-bees.txt") and failure["attempts"] >= 1
    stored = mix.supervisor.store.job(mix.dead_id)  # type: ignore[attr-defined]
    reason = stored.error_message or stored.document_error
    assert reason and failure["reason"] == reason and failure["reason"] != "dead"
    failed = [e for e in status["events"] if e["type"] == "ChunkFailed"]
    assert failed and failed[0]["job_id"] == mix.dead_id and failed[0]["dead"] and failed[0]["message"]


def test_each_provider_shows_circuit_limit_usage_concurrency_429s_and_latency(status: dict) -> None:
    providers = {p["name"]: p for p in status["providers"]}
    assert set(providers) == {"demo", "broken"}
    demo, broken = providers["demo"], providers["broken"]
    assert demo["circuit"] == "closed"
    [usage] = demo["limit_usage"]
    assert usage["limit"] == PANES_LIMIT and usage["amount"] == 6000 and 1 <= usage["used"] <= 6000
    assert demo["max_concurrency"] == PANES_CONCURRENCY and 1 <= demo["concurrency_cap"] <= PANES_CONCURRENCY
    assert demo["requests"] >= 4
    assert demo["latency_p50_ms"] > 0 and demo["latency_p95_ms"] >= demo["latency_p50_ms"]
    assert demo["cost_usd"] > 0
    assert broken["requests"] >= 2 and broken["cost_usd"] == 0
    assert broken["max_concurrency"] == 10  # the default


def test_requests_and_429s_are_the_stores_last_hour(mix: FinishedMix, status: dict) -> None:
    import time

    summary = mix.supervisor.store.metrics_summary(time.time() - 3600)  # type: ignore[attr-defined]
    for provider in status["providers"]:
        assert provider["requests"] == int(summary[provider["name"]]["requests"])
        assert provider["rate_limited"] == int(summary[provider["name"]].get("rate_limited", 0))


def test_the_job_detail_has_the_dead_chunks_error(mix: FinishedMix) -> None:
    with httpx.Client(base_url=mix.server.url, timeout=10) as client:
        detail = client.get(f"/api/jobs/{mix.dead_id}", headers={"Authorization": f"Bearer {VIEWER}"}).json()
    assert detail["job"]["status"] == "dead"
    assert any(chunk["status"] == "dead" and chunk["error"] and chunk["translation"] is None
               for chunk in detail["chunks"])


def test_a_body_sent_as_a_form_is_refused_saying_how_to_send_it(mix: FinishedMix) -> None:
    from tests.web_support import OPERATOR

    with httpx.Client(base_url=mix.server.url, timeout=10) as client:
        answer = client.post("/api/workers", content=b'{"target": 2}', headers={
            "Authorization": f"Bearer {OPERATOR}", "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert "Content-Type: application/json" in answer.json()["error"]

