"""The dashboard's parts that need no server: tokens and the values derived from them, where
serve may listen, the recent-events log, the supervisor's liveness, and the live status
handing each stream only the newest status."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from scribe_tui.config import WebConfig, load_settings
from scribe_tui.engine.api import JobFinished, Notice, RetryScheduled, WorkerStarted
from scribe_tui.errors import ConfigError, UsageError
from scribe_tui.web.auth import Role, Tokens, bearer_token, csrf_value, session_value
from scribe_tui.web.command import is_loopback, listen_address
from scribe_tui.web.live import LiveStatus, sse
from scribe_tui.web.views import RecentEvents, supervisor_json

CONFIG = WebConfig()


def test_tokens_come_from_the_variables_the_config_names() -> None:
    config = WebConfig(viewer_token_env="MY_VIEW", operator_token_env="MY_OP")
    tokens = Tokens.from_environment(config, {"MY_VIEW": " v-secret ", "SCRIBE_OPERATOR_TOKEN": "ignored"})
    assert tokens.by_role == {Role.VIEWER: "v-secret"} and not tokens.generated


@pytest.mark.parametrize("key", ["operator_token", "viewer_token"])
def test_a_token_in_the_config_file_is_refused(tmp_path, key: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(f'[web]\n{key} = "a-token-written-into-the-file"\n')
    with pytest.raises(ConfigError, match=f"web.{key}") as refused:
        load_settings(path)
    assert "a-token-written-into-the-file" not in str(refused.value)  # the error does not repeat it


def test_without_tokens_an_operator_token_is_made() -> None:
    first = Tokens.from_environment(CONFIG, {})
    second = Tokens.from_environment(CONFIG, {})
    assert first.generated and set(first.by_role) == {Role.OPERATOR}
    assert len(first.by_role[Role.OPERATOR]) >= 32 and first.by_role != second.by_role


def test_one_token_for_both_roles_is_refused() -> None:
    with pytest.raises(ConfigError, match="hold the same token"):
        Tokens.from_environment(CONFIG, {"SCRIBE_VIEWER_TOKEN": "same-token", "SCRIBE_OPERATOR_TOKEN": "same-token"})


def test_a_token_or_session_names_its_role_and_nothing_else_does() -> None:
    tokens = Tokens({Role.VIEWER: "viewer-token-abcdef", Role.OPERATOR: "operator-token-abcdef"})
    assert tokens.role_of_token("viewer-token-abcdef") is Role.VIEWER
    assert tokens.role_of_token("operator-token-abcdef") is Role.OPERATOR
    for wrong in ("", "viewer-token-abcde", "viewer-token-abcdefg", "VIEWER-TOKEN-ABCDEF"):
        assert tokens.role_of_token(wrong) is None
    assert tokens.role_of_session(tokens.session_for(Role.OPERATOR)) is Role.OPERATOR
    assert tokens.role_of_session("operator-token-abcdef") is None  # the token is not a session
    assert tokens.short_ones() == []
    assert Tokens({Role.VIEWER: "short"}).short_ones() == [Role.VIEWER]


def test_session_and_csrf_values_are_derived_not_the_token() -> None:
    token = "operator-token-abcdef"
    assert session_value(token) == session_value(token) != csrf_value(token)
    assert token not in session_value(token) and token not in csrf_value(token)
    assert session_value(token) != session_value(token + "x")
    tokens = Tokens({Role.OPERATOR: token})
    assert tokens.csrf_ok(Role.OPERATOR, csrf_value(token))
    assert not tokens.csrf_ok(Role.OPERATOR, None) and not tokens.csrf_ok(Role.OPERATOR, session_value(token))


@pytest.mark.parametrize(("header", "token"), [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None),
                                               ("Bearer", None), ("", None), (None, None)])
def test_bearer_header(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                                ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                                ("::", False), ("192.168.1.10", False), ("example.org", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_listen_address_from_flags_then_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(None, data_dir=tmp_path, web={"host": "0.0.0.0", "port": 9000})
    configured = Tokens({Role.OPERATOR: "operator-token-abcdef"})
    args = argparse.Namespace(host=None, port=None)
    assert (listen_address(args, settings, configured).host, listen_address(args, settings, configured).port) == ("0.0.0.0", 9000)
    with pytest.raises(UsageError, match="refusing to listen on 0.0.0.0 without a token"):
        listen_address(args, settings, Tokens.from_environment(settings.web, {}))
    flags = argparse.Namespace(host="127.0.0.1", port=8081)
    assert listen_address(flags, settings, Tokens.from_environment(settings.web, {})).url() == "http://127.0.0.1:8081/"
    with pytest.raises(UsageError, match="--port"):
        listen_address(argparse.Namespace(host=None, port=70000), settings, configured)


def test_recent_events_keep_what_a_person_should_see_newest_first() -> None:
    recent = RecentEvents(limit=3)
    recent.add([WorkerStarted(worker_id="w1", pid=1),
                JobFinished(job_id=1, status="completed", output_path="/x", error=None),
                Notice(level="warning", message="first"),
                RetryScheduled(job_id=2, task_id=3, chunk_index=0, delay_s=1.0, error_class="RateLimited",
                               message="429", attempts=1)])
    recent.add([JobFinished(job_id=2, status="dead", output_path=None, error="chunk 0: boom"),
                Notice(level="error", message="second")])
    events = recent.latest()
    assert [(e["seq"], e["type"]) for e in events] == [(4, "Notice"), (3, "JobFinished"), (2, "RetryScheduled")]
    assert events[0]["message"] == "second"


def test_supervisor_liveness_from_its_heartbeat() -> None:
    assert supervisor_json({"pid": 7, "heartbeat_at": 100.0}, False, now=103.0)["alive"] is True
    stale = supervisor_json({"pid": 7, "heartbeat_at": 100.0}, True, now=200.0)
    assert stale["alive"] is False and stale["mode"] == "monitor"
    assert supervisor_json(None, False, now=1.0) == {"mode": "supervisor", "pid": None, "alive": False,
                                                    "heartbeat_age_s": None}


async def test_a_slow_stream_gets_only_the_newest_status() -> None:
    live = LiveStatus(threads=None)  # type: ignore[arg-type]  # publishing needs no store
    async with live.subscribe() as queue:
        for n in range(3):
            live._publish({"n": n})
        assert queue.qsize() == 1 and (await queue.get()) == {"n": 2}
        live.close()
        assert await queue.get() is None  # the stream ends


def test_a_server_sent_event_is_one_json_line() -> None:
    assert sse("status", {"a": "x\ny"}) == 'event: status\ndata: {"a":"x\\ny"}\n\n'


def test_stream_ends_when_the_server_closes() -> None:
    async def collect() -> list[str]:
        live = LiveStatus(threads=None)  # type: ignore[arg-type]
        chunks: list[str] = []

        async def read() -> None:
            async for chunk in live.stream():
                chunks.append(chunk)

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.05)
        live._publish({"n": 1})
        await asyncio.sleep(0.05)
        live.close()
        await asyncio.wait_for(reader, 2)
        return chunks

    chunks = asyncio.run(collect())
    assert chunks[0].startswith("retry:") and chunks[1] == sse("status", {"n": 1}) and len(chunks) == 2
