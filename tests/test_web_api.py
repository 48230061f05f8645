"""The dashboard's JSON API over real HTTP (uvicorn on a loopback port) in front of a real
Supervisor with a worker process: each role on each endpoint, unknown ids, the browser
session cookie and its CSRF check, the event stream, and the commands' effect on the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scribe_tui.engine.supervisor import Supervisor
from scribe_tui.web.auth import SESSION_COOKIE
from tests.web_support import OPERATOR, VIEWER, RunningServer, demo_settings, web_server, write_documents

MISSING = 999_999


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Supervisor, list[int]]]:
    """A paused supervisor with three queued jobs, and the dashboard over it. The demo provider
    answers in 30 s, so no job completes while the tests pause and resume it."""
    tmp_path = tmp_path_factory.mktemp("web-api")
    with pytest.MonkeyPatch.context() as patch:  # module scope: conftest's isolation is not there yet
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        settings = demo_settings(tmp_path, latency_ms=30_000)
    supervisor = Supervisor(settings)
    supervisor.start()
    supervisor.pause()
    supervisor.enqueue(write_documents(tmp_path / "docs", ["alpha.txt", "beta.txt", "gamma.txt"]), ["he"])
    try:
        with web_server(settings, supervisor) as server:
            yield server, supervisor, sorted(job.id for job in supervisor.store.jobs())
    finally:
        supervisor.stop(grace_s=1)


@pytest.fixture(scope="module")
def shared_client(running) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=running[0].url, timeout=10, follow_redirects=False) as c:
        yield c


@pytest.fixture
def client(shared_client: httpx.Client) -> httpx.Client:
    """One connection pool for the module (an httpx client takes ~0.5 s to make); no cookies
    carried from one test to the next."""
    shared_client.cookies.clear()
    return shared_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


READS = ["/api/status", "/api/jobs", "/api/jobs/{job}", "/api/session", "/api/openapi.json"]
CONTROLS = [("/api/jobs/{job}/retry", None), ("/api/jobs/{job}/cancel", None),
            ("/api/jobs/{job}/priority", {"delta": 1}), ("/api/pause", None), ("/api/resume", None),
            ("/api/workers", {"target": 1})]
CALLERS = {"anonymous": {}, "wrong token": bearer("not-a-token-of-ours"), "viewer": bearer(VIEWER),
           "operator": bearer(OPERATOR), "not bearer": {"Authorization": f"Basic {OPERATOR}"}}
READ_STATUS = {"anonymous": 401, "wrong token": 401, "viewer": 200, "operator": 200, "not bearer": 401}
CONTROL_STATUS = {"anonymous": 401, "wrong token": 401, "viewer": 403, "operator": 200, "not bearer": 401}


def _url(template: str, job: int) -> str:
    return template.format(job=job)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", READS)
def test_each_role_on_each_read_endpoint(client: httpx.Client, running, path: str, caller: str) -> None:  # type: ignore[no-untyped-def]
    job = running[2][0]
    response = client.get(_url(path, job), headers=CALLERS[caller])
    assert response.status_code == READ_STATUS[caller], response.text
    body = response.json()
    if response.status_code == 401:
        assert "authentication required" in body["error"]
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("path", "body"), CONTROLS)
def test_each_role_on_each_control_endpoint(client: httpx.Client, running, path: str, body: dict | None,  # type: ignore[no-untyped-def]
                                            caller: str) -> None:
    job = running[2][2]
    response = client.post(_url(path, job), headers=CALLERS[caller], json=body)
    assert response.status_code == CONTROL_STATUS[caller], response.text
    if response.status_code == 403:
        assert response.json() == {"error": "the viewer role may only read; this needs the operator role"}


@pytest.mark.parametrize("path", ["/api/jobs/{job}"])
def test_an_unknown_job_is_404_with_a_json_error(client: httpx.Client, path: str) -> None:
    response = client.get(_url(path, MISSING), headers=bearer(VIEWER))
    assert response.status_code == 404
    assert response.json() == {"error": f"no job {MISSING}"}


@pytest.mark.parametrize(("path", "body"), [c for c in CONTROLS if "{job}" in c[0]])
def test_control_on_an_unknown_job_is_404_for_an_operator_and_403_for_a_viewer(client: httpx.Client, path: str,
                                                                               body: dict | None) -> None:
    response = client.post(_url(path, MISSING), headers=bearer(OPERATOR), json=body)
    assert response.status_code == 404
    assert response.json() == {"error": f"no job {MISSING}"}
    assert client.post(_url(path, MISSING), headers=bearer(VIEWER), json=body).status_code == 403


def test_unknown_endpoints_and_bad_parameters_answer_json_errors(client: httpx.Client) -> None:
    response = client.get("/api/nothing-here", headers=bearer(VIEWER))
    assert response.status_code == 404 and "error" in response.json()
    for query in ("status=finished", "language=xx", "sort=colour", "limit=0", "offset=-1"):
        response = client.get(f"/api/jobs?{query}", headers=bearer(VIEWER))
        assert response.status_code == 400, query
        assert set(response.json()) == {"error"}
    response = client.post("/api/workers", headers=bearer(OPERATOR), json={"target": 0})
    assert response.status_code == 400 and "target" in response.json()["error"]
    response = client.post("/api/jobs/1/priority", headers=bearer(OPERATOR), json={})
    assert response.status_code == 400 and "delta" in response.json()["error"]


def test_commands_change_the_store(client: httpx.Client, running) -> None:  # type: ignore[no-untyped-def]
    _, supervisor, (first, second, _) = running
    store = supervisor.store
    op = bearer(OPERATOR)
    assert client.post("/api/pause", headers=op).json() == {"paused": True}
    answer = client.post(f"/api/jobs/{first}/cancel", headers=op).json()
    assert answer["changed"] is True and answer["job"]["status"] == "cancelled"
    assert store.job(first).status == "cancelled"
    # requeued; 'processing' when a chunk an earlier test's resume leased still holds its lease
    # (store.retry keeps it running rather than sending it twice)
    retried = client.post(f"/api/jobs/{first}/retry", headers=op).json()["job"]["status"]
    assert retried in ("queued", "processing") and store.job(first).status == retried
    before = store.job(second).priority
    assert client.post(f"/api/jobs/{second}/priority", headers=op, json={"delta": 3}).json()["job"]["priority"] == before + 3
    assert client.post("/api/workers", headers=op, json={"target": 3}).json() == {"target": 3}
    assert store.get_control("target_workers") == 3
    assert client.post("/api/resume", headers=op).json() == {"paused": False}
    assert store.get_control("paused") is False
    assert client.post("/api/pause", headers=op).json() == {"paused": True}
    assert store.get_control("paused") is True
    status = client.get("/api/status", headers=op).json()
    assert status["paused"] is True and status["supervisor"]["mode"] == "supervisor"


def test_job_listing_filters_sorts_and_pages(client: httpx.Client, running) -> None:  # type: ignore[no-untyped-def]
    jobs = running[2]
    viewer = bearer(VIEWER)
    page = client.get("/api/jobs?limit=2", headers=viewer).json()
    assert [j["id"] for j in page["jobs"]] == jobs[:2] and page["more"] is True and page["total"] == 3
    page = client.get("/api/jobs?limit=2&offset=2", headers=viewer).json()
    assert [j["id"] for j in page["jobs"]] == jobs[2:] and page["more"] is False
    page = client.get("/api/jobs?q=beta", headers=viewer).json()
    assert [Path(j["path"]).name for j in page["jobs"]] == ["beta.txt"] and page["total"] is None
    page = client.get("/api/jobs?sort=newest&language=he", headers=viewer).json()
    assert [j["id"] for j in page["jobs"]] == list(reversed(jobs)) and page["total"] == 3
    assert client.get("/api/jobs?language=de", headers=viewer).json()["jobs"] == []


def test_job_detail_has_source_and_translation_per_chunk(client: httpx.Client, running) -> None:  # type: ignore[no-untyped-def]
    detail = client.get(f"/api/jobs/{running[2][1]}", headers=bearer(VIEWER)).json()
    assert detail["job"]["path"].endswith("beta.txt")
    assert len(detail["chunks"]) == detail["job"]["chunks_total"] >= 1
    assert "Paragraph 0 of beta.txt" in detail["chunks"][0]["source"]
    assert {"index", "status", "translation", "error"} <= set(detail["chunks"][0])


def sign_in(client: httpx.Client, token: str) -> str:
    response = client.get("/", params={"token": token})
    assert response.status_code == 303 and response.headers["location"] == "/"
    return response.headers["set-cookie"]


def test_token_in_the_url_sets_an_httponly_samesite_cookie_that_is_not_the_token(client: httpx.Client) -> None:
    set_cookie = sign_in(client, VIEWER)
    attributes = [part.strip().lower() for part in set_cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert VIEWER not in set_cookie
    assert client.cookies.get(SESSION_COOKIE)
    assert client.get("/api/session").json() == {"role": "viewer", "auth": "cookie", "can_control": False,
                                                 "csrf_token": client.get("/api/session").json()["csrf_token"]}
    page = client.get("/")
    assert page.status_code == 200 and 'src="/static/app.js"' in page.text
    assert client.post("/api/pause").status_code == 403  # a viewer, whatever the CSRF token


def test_without_credentials_the_page_is_a_login_form_and_a_bad_token_is_refused(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 401 and '<form method="post" action="/login">' in page.text
    refused = client.get("/", params={"token": "guess"})
    assert refused.status_code == 401 and "not valid" in refused.text and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    response = client.post("/login", data={"token": OPERATOR})
    assert response.status_code == 303 and SESSION_COOKIE in response.headers["set-cookie"]
    assert client.get("/api/session").json()["role"] == "operator"
    out = client.post("/logout")
    assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]


def test_cookie_control_requests_need_the_csrf_token(client: httpx.Client, running) -> None:  # type: ignore[no-untyped-def]
    store = running[1].store
    sign_in(client, OPERATOR)
    refused = client.post("/api/resume")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert client.post("/api/resume", headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert store.get_control("paused") is True  # nothing happened
    csrf = client.get("/api/session").json()["csrf_token"]
    assert client.post("/api/resume", headers={"X-CSRF-Token": csrf}).json() == {"paused": False}
    assert client.post("/api/pause", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert store.get_control("paused") is True
    # an Authorization header is judged alone: a bad one is not rescued by the cookie
    assert client.get("/api/status", headers=bearer("wrong-wrong-wrong")).status_code == 401


def test_the_event_stream_sends_status_events_and_needs_a_role(client: httpx.Client, running) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/events").status_code == 401
    with client.stream("GET", "/api/events", headers=bearer(VIEWER)) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = None
        lines = stream.iter_lines()
        for line in lines:
            if line == "event: status":
                event = json.loads(next(lines).removeprefix("data: "))
                break
    assert event is not None
    assert sum(event["counts"].values()) == 3 and event["supervisor"]["alive"] is True
    assert {"workers", "providers", "chunks_per_min", "failures", "eta_s", "spend"} <= set(event)
    # the page shows the ETA and the rate as engine/outlook.py works them out, like the TUI
    assert {"rate_per_min", "eta_binding", "waiting", "paused"} <= set(event)


def test_openapi_lists_every_endpoint(client: httpx.Client) -> None:
    paths = client.get("/api/openapi.json", headers=bearer(VIEWER)).json()["paths"]
    assert {"/api/status", "/api/jobs", "/api/jobs/{job_id}", "/api/events", "/api/jobs/{job_id}/retry",
            "/api/jobs/{job_id}/cancel", "/api/jobs/{job_id}/priority", "/api/pause", "/api/resume",
            "/api/workers"} <= set(paths)


def test_responses_carry_security_headers(client: httpx.Client) -> None:
    response = client.get("/api/status", headers=bearer(VIEWER))
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
