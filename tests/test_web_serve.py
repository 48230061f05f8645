"""``scribe-tui serve`` as a user runs it, each in its own process: the generated operator token
and the URL that carries it, loopback only without a token, Ctrl-C → exit 130 with the work
kept, and no token in any log line or on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from scribe_tui.store import JobStore
from tests.engine_support import run_cli
from tests.web_support import (OPERATOR, TOKEN_ENV, VIEWER, cli_env, serve_process, wait_for, write_config,
                               write_documents)


def test_without_tokens_serve_makes_one_and_prints_the_url_that_carries_it(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with serve_process("--config", str(config)) as serve:
        base, _, token = serve.url.partition("/?token=")
        assert base.startswith("http://127.0.0.1:") and len(token) >= 32
        with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as client:
            assert client.get("/api/session", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "operator"
            assert client.get("/api/status").status_code == 401
            signed_in = client.get(f"/?token={token}")  # follows the redirect to the page
            assert signed_in.status_code == 200 and 'id="jobs-table"' in signed_in.text
            with client.stream("GET", "/api/events") as events:  # a page left open
                assert next(line for line in events.iter_lines() if line.startswith("event:")) == "event: status"
                code, err = serve.interrupt()
    assert code == 130, err
    assert "interrupted; unfinished work stays queued" in err
    log = (tmp_path / "data" / "logs" / "scribe-tui.log").read_text()
    assert token not in log
    assert "graceful shutdown exceeded" not in log  # an open event stream does not hold up Ctrl-C


def test_without_tokens_serve_refuses_a_host_other_than_loopback(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for host in ("0.0.0.0", "192.0.2.10", "example.org"):
        result = run_cli("serve", "--config", str(config), "--host", host, "--port", "0", env=cli_env())
        assert result.returncode == 2, result.stderr
        assert f"refusing to listen on {host} without a token: set SCRIBE_OPERATOR_TOKEN" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "supervisor.lock").exists()


def test_the_same_token_for_both_roles_is_a_configuration_error(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_cli("serve", "--config", str(config), "--port", "0",
                     env=cli_env({"SCRIBE_VIEWER_TOKEN": OPERATOR, "SCRIBE_OPERATOR_TOKEN": OPERATOR}))
    assert result.returncode == 2
    assert "hold the same token" in result.stderr and OPERATOR not in result.stderr


def test_tokens_are_never_logged(tmp_path: Path) -> None:
    # Variables whose names do not look secret (no KEY or TOKEN in them): the log redactor
    # does not know these values, so only the web front end keeps them out of the logs.
    config = write_config(tmp_path, extra='[web]\nviewer_token_env = "DASH_VIEW"\noperator_token_env = "DASH_OP"\n')
    with serve_process("--config", str(config), "-v", env={"DASH_VIEW": VIEWER, "DASH_OP": OPERATOR}) as serve:
        assert serve.url.endswith("/") and "token" not in serve.url
        with httpx.Client(base_url=serve.url, timeout=10, follow_redirects=True) as client:
            assert client.get("/", params={"token": OPERATOR}).status_code == 200
            assert client.post("/login", data={"token": VIEWER}).status_code == 200
            assert client.get("/api/status", headers={"Authorization": f"Bearer {VIEWER}"}).status_code == 200
            assert client.get("/", params={"token": OPERATOR + "-wrong"}).status_code == 401
        code, err = serve.interrupt()
    assert code == 130
    log = (tmp_path / "data" / "logs" / "scribe-tui.log").read_text()
    requests = [json.loads(line) for line in log.splitlines() if '"http request"' in line]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {("GET", "/", 303), ("POST", "/login", 303),
                                                                         ("GET", "/api/status", 200), ("GET", "/", 401)}
    for text in (log, err):
        assert OPERATOR not in text and VIEWER not in text


@pytest.mark.timeout(300)  # three processes one after the other, each spawning workers
def test_ctrl_c_stops_the_supervisor_it_started_and_keeps_the_work(tmp_path: Path) -> None:
    docs = write_documents(tmp_path / "docs", [f"talk{n}.txt" for n in range(4)])
    slow = write_config(tmp_path, latency_ms=3000)
    enqueued = run_cli("translate", "--async", str(tmp_path / "docs"), "--to", "he", "--config", str(slow), env=cli_env())
    assert enqueued.returncode == 0, enqueued.stderr
    store = JobStore.open(tmp_path / "data")
    try:
        with serve_process("--config", str(slow), env=TOKEN_ENV) as serve:
            wait_for(lambda: store.task_counts().get("leased", 0) > 0, "a chunk in flight")
            code, err = serve.interrupt()
        assert code == 130, err
        assert store.task_counts().get("leased", 0) == 0  # leases released, nothing lost
        assert store.get_control("supervisor") is None
        assert sum(store.job_counts()[s] for s in ("failed", "dead", "cancelled")) == 0
        fast = write_config(tmp_path, latency_ms=5)
        finished = run_cli("--batch", "--config", str(fast), "--json", env=cli_env())
        assert finished.returncode == 0, finished.stderr
        assert store.job_counts()["completed"] == len(docs)
    finally:
        store.close()
