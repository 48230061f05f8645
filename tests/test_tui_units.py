"""The TUI's pure parts: filter parsing, sorting, the failures list, formatting, path
completion, the add form's validation, the state reader's window, and the
launcher's argument checks."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path

import pytest

from scribe_tui.engine.api import JobFinished, RetryScheduled
from scribe_tui.errors import UsageError
from scribe_tui.store import JobPage, JobRow
from scribe_tui.tui import formatting
from scribe_tui.tui.failure_log import FailureLog, split_job_error
from scribe_tui.tui.job_query import SORT_ORDERS, FilterError, JobFilter, JobQuery, parse_filter
from scribe_tui.tui.launch import initial_request
from scribe_tui.tui.path_suggester import complete_path
from scribe_tui.tui.reader import StateReader, matching_count
from scribe_tui.tui.state import ReadRequest
from scribe_tui.tui.screens.add_documents import build_request, default_languages
from tests.tui_fakes import NOW, FakeEngine, demo_scripted, make_settings, populate


def job_row(**values: object) -> JobRow:
    base: dict[str, object] = {
        "id": 1, "document_id": 1, "path": "/d/a.txt", "format": "txt", "target_language": "he",
        "provider": "demo", "model": "m", "status": "queued", "priority": 0, "language_priority": 10,
        "created_at": NOW, "started_at": None, "completed_at": None, "error_message": None, "worker_id": None,
        "attempts": 0, "output_path": None, "chunks_total": 4, "chunks_done": 0, "tokens_in": 0, "tokens_out": 0,
        "characters": 0, "cost_usd": 0.0, "wait_reason": None, "wait_until": None, "document_error": None}
    base.update(values)
    return JobRow(**base)  # type: ignore[arg-type]


# ---- filter and sort ---------------------------------------------------------------------------

def test_parse_filter_takes_statuses_languages_and_text() -> None:
    flt = parse_filter("status:failed,dead lang:HE lecture 12")
    assert flt == JobFilter(statuses=("failed", "dead"), languages=("he",), text="lecture 12")
    assert parse_filter("is:running s:done").statuses == ("processing", "completed")
    assert parse_filter("").active is False
    assert parse_filter(flt.describe()) == flt


@pytest.mark.parametrize("text", ["status:exploded", "lang:xx", "status:"])
def test_parse_filter_refuses_unknown_names(text: str) -> None:
    if text == "status:":
        assert parse_filter(text).statuses == ()
        return
    with pytest.raises(FilterError):
        parse_filter(text)


def test_sort_orders_cycle_and_become_store_pages() -> None:
    query = JobQuery(filter=parse_filter("status:failed lang:he lecture"), window=7)
    seen = []
    for _ in SORT_ORDERS:
        seen.append(query.order)
        query = query.next_sort()
    assert query.order == "id" and seen == ["id", "priority", "status", "document", "progress", "tries", "started"]
    assert query.next_sort().page() == JobPage(statuses=("failed",), languages=("he",), text="lecture",
                                               order="priority", limit=7)


# ---- failures ---------------------------------------------------------------------------------

def test_split_job_error_reads_the_stores_message() -> None:
    assert split_job_error("chunk 3: RateLimited: 429 (gave up after 5 attempts)") == \
        (3, "RateLimited", "429 (gave up after 5 attempts)")
    assert split_job_error("cannot read: permission denied") == (None, "DocumentError", "cannot read: permission denied")
    assert split_job_error(None) == (None, "Error", "failed")


def test_failure_log_keeps_retries_until_the_job_finishes_and_merges_store_failures() -> None:
    log = FailureLog(limit=2)
    retry = RetryScheduled(job_id=7, task_id=70, chunk_index=0, delay_s=30, error_class="Timeout",
                           message="slow", attempts=1, ts=NOW)
    log.add_events([retry, replace(retry, attempts=2, ts=NOW + 1)])
    (entry,) = log.merged([])
    assert entry.attempts == 2 and entry.next_retry_at == NOW + 31 and entry.kind == "retrying"
    dead = job_row(id=9, status="dead", attempts=5, completed_at=NOW + 5,
                   error_message="chunk 1: ProviderError: 400 (gave up after 5 attempts)")
    merged = log.merged([dead])
    assert [(e.job_id, e.kind) for e in merged] == [(9, "dead"), (7, "retrying")]
    log.add_events([JobFinished(job_id=7, status="completed", output_path="/o", error=None)])
    assert log.merged([]) == ()
    log.add_events([replace(retry, job_id=n, ts=NOW + n) for n in range(5)])
    assert [e.job_id for e in log.merged([])] == [4, 3]  # only the newest ``limit``


# ---- formatting ------------------------------------------------------------------------------

def test_formatting() -> None:
    assert formatting.relative(NOW + 12, NOW) == "in 12s"
    assert formatting.relative(NOW - 90, NOW) == "1m30s ago"
    assert formatting.elapsed(NOW - 10, None, NOW) == "10s" and formatting.elapsed(None, None, NOW) == "-"
    assert formatting.count(950) == "950" and formatting.count(12_345) == "12.3k"
    assert formatting.one_line("a\nb  c", 3) == "a …"
    assert formatting.one_line("alpha\nbeta", 20) == "alpha beta"
    assert formatting.one_line("abcdefgh", 4) == "abc…"
    assert formatting.clock_time(NOW + 3661) == "01:01:01"


# ---- add documents and launch ------------------------------------------------------------------

def test_complete_path_suggests_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "lectures").mkdir()
    (tmp_path / "lecture-notes.txt").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    assert complete_path(str(tmp_path / "lecture-")) == str(tmp_path / "lecture-notes.txt")
    assert complete_path(str(tmp_path / "lectures")) == str(tmp_path / "lectures") + "/"
    assert complete_path(str(tmp_path / "lectu")) == str(tmp_path / "lecture-notes.txt")
    assert complete_path(str(tmp_path) + "/") == str(tmp_path / "lecture-notes.txt")
    assert complete_path(str(tmp_path / ".h")) == str(tmp_path / ".hidden")
    assert complete_path(str(tmp_path / "zzz")) is None
    assert complete_path("") is None


def test_build_request_validates_the_form(tmp_path: Path) -> None:
    request = build_request(f" {tmp_path} ", "he, DE", 20, "demo")
    assert request.paths == (tmp_path,) and request.languages == ("he", "de") and request.priority == 20
    with pytest.raises(UsageError, match="no such file"):
        build_request(str(tmp_path / "nope"), "he", 0, None)
    with pytest.raises(UsageError, match="give a file"):
        build_request("  ", "he", 0, None)
    with pytest.raises(UsageError, match="unknown language"):
        build_request(str(tmp_path), "he,klingon", 0, None)


def test_default_languages_follow_the_configured_priorities(tmp_path: Path) -> None:
    assert default_languages(make_settings(tmp_path)) == "he,de,en"


def test_initial_request_needs_to_with_paths(tmp_path: Path) -> None:
    args = argparse.Namespace(paths=[tmp_path], to=None, priority="high", provider=None)
    with pytest.raises(UsageError, match="--to is required"):
        initial_request(args)
    args.to = "he,xx"
    with pytest.raises(UsageError, match="unknown language code"):
        initial_request(args)
    args.to = "he,de"
    request = initial_request(args)
    assert request is not None and request.priority == 20 and request.languages == ("he", "de")
    assert initial_request(argparse.Namespace(paths=[], to=None, priority="normal", provider=None)) is None


# ---- the state reader ---------------------------------------------------------------------------

def test_the_reader_reads_the_window_again_only_when_something_changed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine = FakeEngine(settings, demo_scripted())
    try:
        ids = populate(engine, tmp_path / "docs")
        reader = StateReader(engine)
        query = JobQuery(window=5)
        first = reader.read(1, ReadRequest(query)).state
        assert [r.id for r in first.jobs.rows] == sorted(r.id for r in engine.store.jobs())[:5]
        assert first.jobs.matched == len(engine.store.jobs()) and first.total == first.jobs.matched
        assert reader.read(2, ReadRequest(query)).state.jobs is first.jobs  # nothing moved: not read again
        assert reader.read(3, ReadRequest(query, fresh=True)).state.jobs is not first.jobs  # asked for
        engine.store.cancel([ids["processing"]])
        third = reader.read(4, ReadRequest(query)).state
        assert third.jobs is not first.jobs and third.jobs.matched == first.jobs.matched
        cancelled = reader.read(5, ReadRequest(JobQuery(filter=parse_filter("status:cancelled"), window=5))).state
        assert {r.id for r in cancelled.jobs.rows} == {ids["processing"], ids["cancelled"]}
        texty = reader.read(6, ReadRequest(JobQuery(filter=parse_filter("lecture-0"), window=5))).state.jobs
        assert len(texty.rows) == 5 and texty.matched == len(engine.store.jobs(text="lecture-0"))
        assert {e.job_id for e in third.failures} == {ids["failed"], ids["dead"]}
        detail = reader.read(7, ReadRequest(query, detail_job_id=ids["failed"])).state.detail
        assert detail is not None and detail.job.id == ids["failed"] and len(detail.tasks) == detail.job.chunks_total
    finally:
        engine.close()


def test_matching_count_uses_the_snapshot() -> None:
    from scribe_tui.engine.api import Snapshot

    snapshot = Snapshot(ts=NOW, counts={"queued": 3, "failed": 2}, chunk_counts={},
                        languages={"he": {"queued": 2, "failed": 1}, "de": {"queued": 1, "failed": 1}},
                        workers=(), target_workers=1, paused=False, attached=False, chunks_per_min=(),
                        tokens_per_min=(), rate_limit_per_min=None, eta_s=None, providers=(), totals={})
    assert matching_count(JobQuery(), snapshot) == 5
    assert matching_count(JobQuery(filter=parse_filter("status:failed lang:he")), snapshot) == 1
    assert matching_count(JobQuery(filter=parse_filter("lang:de")), snapshot) == 2
    assert matching_count(JobQuery(filter=parse_filter("lecture")), snapshot) is None


# ---- styling ----------------------------------------------------------------------------------

COLOUR_LITERAL = re.compile(r"""["'](?:(?:bold|italic|reverse|dim) )*(?:red|green|yellow|blue|magenta|cyan|white|black)\b""")


def test_the_tui_takes_its_colours_from_the_theme() -> None:
    """No colour names in the TUI's code: tables tone their cells through component classes whose
    colours are theme variables ($success, $error, …), so light and user themes work."""
    tui = Path(__file__).resolve().parent.parent / "scribe_tui" / "tui"
    found = [f"{path.name}: {match.group(0)}" for path in tui.rglob("*.py")
             for match in COLOUR_LITERAL.finditer(path.read_text(encoding="utf-8"))]
    assert not found


# ---- fitting the width -------------------------------------------------------------------------

def test_columns_drop_in_order_then_share_the_spare_width() -> None:
    from scribe_tui.tui.widgets.columns import Column, fit_columns

    columns = (Column("id", "id", 4), Column("path", "path", 10, grow=1), Column("who", "who", 6, drop=2),
               Column("when", "when", 6, drop=1), Column("error", "error", 10, grow=3))
    wide = fit_columns(columns, 100)
    assert [p.column.key for p in wide] == ["id", "path", "who", "when", "error"]
    assert sum(p.width + 2 for p in wide) == 100 and [p.width for p in wide] == [4, 10 + 13, 6, 6, 10 + 41]
    exact = fit_columns(columns, 46)  # everything at its width, nothing to share
    assert [p.width for p in exact] == [4, 10, 6, 6, 10]
    narrow = fit_columns(columns, 40)  # "when" goes first
    assert [p.column.key for p in narrow] == ["id", "path", "who", "error"] and narrow[1].index == 1
    assert [p.column.key for p in fit_columns(columns, 20)] == ["id", "path", "error"]  # never below the rest


def test_the_status_line_keeps_every_count_at_80_columns() -> None:
    from scribe_tui.engine.api import Snapshot
    from scribe_tui.tui.summary import state_line

    counts = {"queued": 9_500, "processing": 12, "completed": 412, "failed": 31, "dead": 4, "cancelled": 7}
    snapshot = Snapshot(ts=NOW, counts=counts, chunk_counts={}, languages={}, workers=(), target_workers=1,
                        paused=True, attached=False, chunks_per_min=(), tokens_per_min=(), rate_limit_per_min=None,
                        eta_s=None, providers=(), totals={})
    assert state_line(snapshot, 200).startswith("scribe-tui · supervisor · PAUSED · queued 9,500 · processing 12")
    for width in (120, 100, 80):
        line = state_line(snapshot, width)
        assert len(line) <= width
        for number in ("9,500", "12", "412", "31", "4", "7"):
            assert f" {number}" in line, (width, line)
    assert "cancelled 7" in state_line(snapshot)


def test_quitting_says_what_stays_queued() -> None:
    from scribe_tui.engine.api import Snapshot
    from scribe_tui.tui.summary import quit_message

    def snapshot(attached: bool = False, **counts: int) -> Snapshot:
        return Snapshot(ts=NOW, counts=counts, chunk_counts={}, languages={}, workers=(), target_workers=1,
                        paused=False, attached=attached, chunks_per_min=(), tokens_per_min=(),
                        rate_limit_per_min=None, eta_s=None, providers=(), totals={})

    assert quit_message(snapshot(queued=1)) == "1 job stays queued and resumes the next time scribe-tui runs here"
    assert quit_message(snapshot(queued=5, processing=2)).startswith("7 jobs (2 of them started) stay queued")
    assert quit_message(snapshot(completed=3)) == "Nothing stays queued: every job has finished"
    assert "2 jobs failed (scribe-tui jobs retry --failed" in quit_message(snapshot(completed=3, failed=1, dead=1))
    monitor = quit_message(snapshot(attached=True, queued=4))
    assert monitor == "Monitor closed; the supervisor on this data directory carries on (4 jobs still to run)"
    assert "queued" not in monitor
    assert "nothing left to run" in quit_message(snapshot(attached=True, completed=2))


def test_the_footer_keeps_help_quit_and_the_palette_and_pairs_together() -> None:
    from textual.widgets._footer import FooterKey

    from scribe_tui.tui.widgets.key_footer import fitting, key_width

    keys = [FooterKey("space", "space", "Pause", "toggle_pause"), FooterKey("r", "r", "Retry", "retry_selected"),
            FooterKey("p", "p", "Prio+", "priority(1)"), FooterKey("P", "P", "Prio-", "priority(-1)"),
            FooterKey("q", "q", "Quit", "quit"), FooterKey("?", "?", "Help", "help"),
            FooterKey("ctrl+p", "^p", "palette", "command_palette", classes="-command-palette")]
    kept = {4, 5, 6}
    everything = sum(key_width(key) for key in keys)
    assert fitting(keys, kept, everything) == keys[:4] + keys[4:]
    one_short = fitting(keys, kept, everything - 1)  # p and P go together
    assert [key.description for key in one_short] == ["Pause", "Retry", "Quit", "Help", "palette"]
    assert [key.description for key in fitting(keys, kept, 10)] == ["Quit", "Help", "palette"]


def test_a_jobs_tries_count_its_successful_requests() -> None:
    assert formatting.job_tries(chunks_done=4, failed_attempts=0) == 4  # was shown as 0
    assert formatting.job_tries(chunks_done=1, failed_attempts=2) == 3
