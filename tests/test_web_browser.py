"""The dashboard in a real browser: headless Chromium (Debian's package at /usr/bin/chromium,
driven by playwright without any browser download) against the real server and a real
Supervisor. A document shows up in the job list within seconds of being enqueued, an
operator cancels a job, a viewer is refused, a job's chunks show source and translation,
the panes show the configured limit on the chart, each provider's limits and concurrency cap,
a dead letter with its reason and each job's quality findings, and the page fits a phone — with no script error or CSP violation on the way.

Without Chromium the tests skip, loudly; ``SCRIBE_REQUIRE_BROWSER=1`` (set by ``.ci/run``)
turns that skip into a failure."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scribe_tui.engine.supervisor import Supervisor
from tests.web_support import (OPERATOR, PANES_CONCURRENCY, PANES_LIMIT, VIEWER, RunningServer, demo_settings,
                               finished_mix, wait_for, web_server, write_documents)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SEEN_WITHIN_S = 5.0


def browser_unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "BROWSER TESTS SKIPPED: playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = browser_unavailable()
    if reason:
        if os.environ.get("SCRIBE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason.replace("SKIPPED", "CANNOT RUN") + "; SCRIBE_REQUIRE_BROWSER=1 requires them")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[RunningServer, Supervisor]]:
    settings = demo_settings(tmp_path, latency_ms=20)
    supervisor = Supervisor(settings)
    supervisor.start()
    supervisor.pause()  # jobs enqueued by a test stay queued until it resumes
    try:
        with web_server(settings, supervisor) as server:
            yield server, supervisor
    finally:
        supervisor.stop(grace_s=1)


class Page:
    """A browser tab that records script errors and console errors (CSP violations among them)."""

    def __init__(self, browser: Any, **context_options: Any):
        self.context = browser.new_context(**context_options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requested: list[str] = []  # every URL the page asked for (no CDN: all on the server)
        self.page.on("request", lambda request: self.requested.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def job_row(self, name: str) -> Any:
        return self.page.locator("#jobs-table tbody tr", has_text=name)

    def close(self) -> None:
        self.context.close()

    def assert_no_errors(self, expected: tuple[str, ...] = ()) -> None:
        unexpected = [e for e in self.errors if not any(text in e for text in expected)]
        assert unexpected == []


@pytest.fixture
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    page.close()


def test_an_operator_sees_a_new_document_at_once_and_cancels_a_job(tab: Page, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, supervisor = dashboard
    page = tab.page
    page.goto(f"{server.url}/?token={OPERATOR}")
    page.locator("#role", has_text="operator").wait_for(timeout=10_000)
    assert "token" not in page.url  # the redirect dropped it from the address bar
    page.locator("#mode", has_text="supervisor").wait_for(timeout=10_000)

    supervisor.enqueue(write_documents(tmp_path / "docs", ["known-document-4711.txt"]), ["he"])
    enqueued_at = time.monotonic()
    row = tab.job_row("known-document-4711.txt")
    row.wait_for(timeout=SEEN_WITHIN_S * 1000)
    assert time.monotonic() - enqueued_at < SEEN_WITHIN_S
    job_id = int(row.get_attribute("data-job-id"))
    assert row.locator("td.status").inner_text() == "queued"

    row.locator("button[data-action=cancel]").click()
    wait_for(lambda: supervisor.store.job(job_id).status == "cancelled", "the job cancelled in the store", timeout=10)
    row.locator("td.status", has_text="cancelled").wait_for(timeout=5000)
    tab.assert_no_errors()
    assert {"/static/app.js", "/static/chart.js", "/static/app.css"} <= {url.removeprefix(server.url) for url in tab.requested}
    assert [url for url in tab.requested if not url.startswith(server.url + "/")] == []  # nothing from the internet


def test_a_viewer_sees_the_jobs_but_is_refused_control(tab: Page, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, supervisor = dashboard
    supervisor.enqueue(write_documents(tmp_path / "docs", ["viewer-sees-this.txt"]), ["de"])
    job_id = supervisor.store.jobs()[0].id
    page = tab.page
    response = page.goto(server.url)
    assert response is not None and response.status == 401  # the login form
    page.fill("#token", VIEWER)
    page.click("button[type=submit]")
    row = tab.job_row("viewer-sees-this.txt")
    row.wait_for(timeout=10_000)
    assert page.inner_text("#role") == "viewer"
    assert row.locator("button").count() == 0 and not page.is_visible("#pause")

    refused = page.evaluate("id => window.scribe.control(`/api/jobs/${id}/cancel`)", job_id)
    assert refused["ok"] is False and refused["status"] == 403
    page.locator("#toast", has_text="the viewer role may only read").wait_for(timeout=5000)
    assert supervisor.store.job(job_id).status == "queued"
    tab.assert_no_errors(expected=("401", "403"))  # the login form and the refused request, logged by the browser


def test_a_jobs_detail_shows_each_chunks_source_and_translation(tab: Page, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, supervisor = dashboard
    supervisor.enqueue(write_documents(tmp_path / "docs", ["side-by-side.txt"], paragraphs=6), ["he"])
    supervisor.resume()
    job_id = supervisor.store.jobs()[0].id
    wait_for(lambda: supervisor.store.job(job_id).status == "completed", "the job to complete", timeout=30)
    page = tab.page
    page.goto(f"{server.url}/?token={VIEWER}")
    tab.job_row("side-by-side.txt").locator("td.status", has_text="completed").wait_for(timeout=10_000)
    tab.job_row("side-by-side.txt").click()
    chunks = page.locator("#detail .chunk")
    chunks.first.wait_for(timeout=5000)
    tasks = supervisor.store.tasks_of_job(job_id)
    assert chunks.count() == len(tasks) > 1
    source, translation = (chunks.first.locator("pre").nth(i).inner_text() for i in (0, 1))
    assert source.strip() == tasks[0].text.strip()
    assert translation.strip() == tasks[0].translation.strip() and translation != source
    tab.assert_no_errors()


def test_quality_findings_show_in_the_job_list_and_the_jobs_detail(tab: Page, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from scribe_tui.quality.checks import Finding, to_json

    server, supervisor = dashboard
    supervisor.enqueue(write_documents(tmp_path / "docs", ["checked-clean.txt", "checked-with-findings.txt"]), ["he"])
    supervisor.resume()
    jobs = {job.path.rsplit("/", 1)[-1]: job.id for job in supervisor.store.jobs()}
    wait_for(lambda: all(supervisor.store.job(i).qa_count is not None for i in jobs.values()), "both jobs checked",
             timeout=30)
    supervisor.store.record_qa(jobs["checked-clean.txt"], "[]", 0)  # the demo's own QA verdict set, known here
    findings = [Finding("numbers", "2024 is missing from the translation", 0),
                Finding("untranslated", "the reply is the source text", None)]
    supervisor.store.record_qa(jobs["checked-with-findings.txt"], to_json(findings) or "[]", len(findings))
    page = tab.page
    page.goto(f"{server.url}/?token={VIEWER}")
    clean, flagged = tab.job_row("checked-clean.txt"), tab.job_row("checked-with-findings.txt")
    flagged.locator("td.qa.warn", has_text="2").wait_for(timeout=10_000)
    assert clean.locator("td.qa").inner_text() == "ok"
    assert "chunk 0: numbers: 2024 is missing" in flagged.locator("td.qa").get_attribute("title")
    clean.click()
    page.locator("#detail-title", has_text="checked-clean.txt").wait_for(timeout=5000)
    page.locator("#detail .chunk").first.wait_for(timeout=5000)
    assert not page.is_visible("#detail-qa")
    page.click("#detail-close")
    flagged.click()
    page.locator("#detail-qa-title", has_text="Quality: 2 findings").wait_for(timeout=5000)
    assert page.locator("#detail-qa li").all_inner_texts() == [
        "⚠ chunk 0: numbers: 2024 is missing from the translation", "⚠ document: untranslated: the reply is the source text"]
    tab.assert_no_errors()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def assert_tables_fit_a_phone(phone: Page) -> None:
    """No table scrolls sideways (hiding columns), and every button in the job list is on screen."""
    phone.page.locator("#providers-table td.latency").first.wait_for(timeout=10_000)
    hidden = phone.page.evaluate("""() => [...document.querySelectorAll('#jobs-table, #workers-table, #providers-table')]
        .filter((table) => table.parentElement.scrollWidth > table.parentElement.clientWidth).map((t) => t.id)""")
    assert hidden == [], f"these tables hide columns off to the side on a phone: {hidden}"
    for button in phone.page.locator("#jobs-table button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["viewport"]["width"], f"a button off the screen: {box}"


def test_the_page_fits_a_phone(browser: Any, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, supervisor = dashboard
    supervisor.enqueue(write_documents(tmp_path / "docs", ["a-rather-long-document-name-for-a-phone.txt"]), ["he"])
    phone = Page(browser, **PHONE)
    try:
        phone.page.goto(f"{server.url}/?token={OPERATOR}")
        phone.job_row("a-rather-long-document-name").wait_for(timeout=10_000)
        width = phone.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page is wider than the screen: {width}"
        phone.page.locator("#workers-table tbody td", has_text="w1").wait_for(timeout=60_000)
        assert_tables_fit_a_phone(phone)
        assert phone.page.is_visible("#providers-table td.latency") and phone.page.is_visible("#providers-table td.concurrency")
        phone.assert_no_errors()
    finally:
        phone.close()


def test_the_panes_show_the_limit_the_providers_and_a_dead_letters_reason(tab: Page, tmp_path: Path) -> None:
    with finished_mix(tmp_path) as mix:
        page = tab.page
        page.goto(f"{mix.server.url}/?token={VIEWER}")
        failure = page.locator(f"#failures-list li[data-job-id='{mix.dead_id}']")
        failure.wait_for(timeout=10_000)
        stored = mix.supervisor.store.job(mix.dead_id)  # type: ignore[attr-defined]
        assert failure.locator(".reason").inner_text() == (stored.error_message or stored.document_error)
        assert "broken-bees.txt" in failure.inner_text() and "dead" in failure.inner_text()

        assert page.locator("#chart line.limit").count() == 1
        assert page.locator("#chart text", has_text="limit 6k/min").count() == 1
        assert "(limit 6,000/min)" in page.inner_text("#rate-now")
        assert page.inner_text("#eta") == "done" and page.inner_text("#spend-run").startswith("$")

        rows = {row.locator("td").first.inner_text().split()[0]: row
                for row in page.locator("#providers-table tbody tr").all()}
        demo, broken = rows["demo"], rows["broken"]
        assert PANES_LIMIT in demo.inner_text()
        cap = demo.locator("td.concurrency").inner_text()
        assert cap.endswith(f"/{PANES_CONCURRENCY}") and 1 <= int(cap.split("/")[0]) <= PANES_CONCURRENCY
        assert broken.locator("td.concurrency").inner_text().endswith("/10")
        assert re.fullmatch(r"\d+(ms|\.\d\ds) / \d+(ms|\.\d\ds)", demo.locator("td.latency").inner_text())

        failure.locator("a").click()
        page.locator("#detail .chunk .status.dead").first.wait_for(timeout=5000)
        tab.assert_no_errors()

        phone = Page(tab.page.context.browser, **PHONE)  # a dead job's row carries two buttons
        try:
            phone.page.goto(f"{mix.server.url}/?token={OPERATOR}")
            phone.job_row("broken-bees.txt").locator("button[data-action=retry]").wait_for(timeout=10_000)
            assert_tables_fit_a_phone(phone)
            phone.assert_no_errors()
        finally:
            phone.close()
