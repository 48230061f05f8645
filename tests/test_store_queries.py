"""Read views, metrics, worker heartbeats and control keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.store import (ChunkSpec, JobRow, JobStore, MetricRow, TaskDefer, TaskDone, TaskRow, TaskStatus,
                              WorkerRow, open_store)
from scribe_tui.store.locations import HOST

NOW = 4_000_000.0


def new_job(store: JobStore, name: str, lang: str, n: int = 2) -> int:
    doc = store.add_document(name, b"src", f"hash-{name}", "md",
                             [ChunkSpec(i, f"{name} {i}", f"ctx {i}", 5, {}) for i in range(n)])
    return store.enqueue(doc, lang, "demo", "m", output_path=f"out/{lang}/{name}").job_id


def test_jobs_filters_and_pages(store: JobStore) -> None:
    a_he = new_job(store, "talks/Alpha_1.md", "he")
    a_de = new_job(store, "talks/Alpha_1.md", "de")
    b_he = new_job(store, "talks/beta%.md", "he")
    store.cancel([a_de])
    assert [j.id for j in store.jobs()] == [a_he, a_de, b_he]
    assert [j.id for j in store.jobs(status="cancelled")] == [a_de]
    assert [j.id for j in store.jobs(language="he")] == [a_he, b_he]
    assert [j.id for j in store.jobs(text="alpha")] == [a_he, a_de]
    assert [j.id for j in store.jobs(text="a_1")] == [a_he, a_de]
    assert [j.id for j in store.jobs(text="a%")] == [b_he]      # % is literal, not a wildcard
    assert [j.id for j in store.jobs(text="x_1")] == []         # _ is literal too
    assert [j.id for j in store.jobs(language="he", status="queued", text="beta")] == [b_he]
    assert [j.id for j in store.jobs(limit=2)] == [a_he, a_de]
    assert [j.id for j in store.jobs(limit=2, offset=2)] == [b_he]
    assert store.job(12345) is None
    row = store.job(a_he)
    assert isinstance(row, JobRow) and (row.job_id, row.language, row.format) == (a_he, "he", "md")


def test_tasks_of_job_carry_chunk_text_and_context(store: JobStore) -> None:
    job_id = new_job(store, "a.md", "de", 2)
    [task, _] = store.lease("w", 2, 60, now=NOW)
    store.record_results([TaskDone(task.task_id, "übersetzt", "demo", "m", cached=True)], max_attempts=3)
    first, second = store.tasks_of_job(job_id)
    assert isinstance(first, TaskRow)
    assert (first.task_id, first.text, first.context, first.translation, first.cached) == \
        (task.task_id, "a.md 0", "ctx 0", "übersetzt", True)
    assert (second.status, second.cached, second.lease_owner) == (TaskStatus.LEASED, False, "w")
    assert store.translations(job_id) == {0: "übersetzt"}
    assert store.tasks_of_job(999) == [] and store.translations(999) == {}


def test_counts_are_zero_filled(store: JobStore) -> None:
    assert store.job_counts() == dict.fromkeys(
        ["queued", "processing", "completed", "failed", "dead", "cancelled"], 0)
    assert store.task_counts() == dict.fromkeys(["queued", "leased", "done", "failed", "dead", "cancelled"], 0)
    assert store.counts_by_language() == {}
    he = new_job(store, "a.md", "he", 3)
    new_job(store, "b.md", "de", 1)
    store.lease("w", 1, 60, now=NOW)
    store.cancel([he])
    assert store.job_counts()["cancelled"] == 1 and store.job_counts()["queued"] == 1
    assert store.task_counts() == {"queued": 1, "leased": 0, "done": 0, "failed": 0, "dead": 0, "cancelled": 3}
    by_lang = store.counts_by_language()
    assert by_lang["he"]["cancelled"] == 1 and by_lang["he"]["queued"] == 0
    assert by_lang["de"]["queued"] == 1 and sum(by_lang["de"].values()) == 1


def test_runnable_count_next_wakeup_and_unfinished_jobs(store: JobStore) -> None:
    assert (store.runnable_count(now=NOW), store.next_wakeup(now=NOW), store.unfinished_jobs()) == (0, None, 0)
    new_job(store, "a.md", "he", 3)
    dead_soon = new_job(store, "b.md", "he", 2)
    assert (store.runnable_count(now=NOW), store.next_wakeup(now=NOW), store.unfinished_jobs()) == (5, NOW, 2)
    store.cancel([dead_soon])
    leased = store.lease("w", 3, 60, now=NOW)
    store.record_results([TaskDefer(leased[0].task_id, NOW + 50, "quota_parked")], max_attempts=3, now=NOW)
    assert store.runnable_count(now=NOW) == 0
    assert store.next_wakeup(now=NOW) == NOW + 50
    assert store.runnable_count(now=NOW + 50) == 1
    assert store.unfinished_jobs() == 1


def test_metrics_summary_per_provider(store: JobStore) -> None:
    rows = [MetricRow(NOW + i, "openai", "gpt", "ok", duration_ms=float(100 * (i + 1)), tokens_in=10, tokens_out=5,
                      characters=40, cost_cents=0.5, status_code=200, job_id=1, task_id=i, worker_id="w1")
            for i in range(20)]
    rows += [MetricRow(NOW, "openai", "gpt", "cached", duration_ms=0.1, tokens_in=10, tokens_out=5),
             MetricRow(NOW, "openai", "gpt", "rate_limited", duration_ms=50.0, status_code=429,
                       error_class="RateLimited"),
             MetricRow(NOW, "openai", "gpt", "error", duration_ms=30_000.0, error_class="Timeout"),
             MetricRow(NOW, "openai", "gpt", "timeout", duration_ms=30_000.0, error_class="Timeout"),
             MetricRow(NOW, "deepl", "deepl", "ok", duration_ms=80.0, characters=500, cost_cents=1.0),
             MetricRow(NOW - 100, "deepl", "deepl", "ok", duration_ms=1.0)]  # before `since`
    store.record_metrics(rows)
    summary = store.metrics_summary(since=NOW)
    openai = summary["openai"]
    assert {k: openai[k] for k in ("requests", "ok", "cached", "rate_limited", "errors", "retries")} == \
        {"requests": 23, "ok": 20, "cached": 1, "rate_limited": 1, "errors": 2, "retries": 3}
    # calls made: 100..2000 ms, 50 ms, 2 x 30 s -> 23 values; nearest rank p50 = 12th, p95 = 22nd
    assert openai["latency_p50_ms"] == 1100.0 and openai["latency_p95_ms"] == 30_000.0
    assert (openai["tokens_in"], openai["tokens_out"], openai["characters"]) == (210, 105, 800)
    assert openai["cost_usd"] == pytest.approx(0.10)
    assert summary["deepl"]["requests"] == 1 and summary["deepl"]["cost_usd"] == pytest.approx(0.01)
    assert summary["deepl"]["latency_p50_ms"] == 80.0
    assert list(store.metrics_summary(since=NOW, provider="deepl")) == ["deepl"]
    assert store.metrics_summary(since=NOW + 1000) == {}


def test_throughput_buckets_from_since_to_now(store: JobStore) -> None:
    store.record_metrics([MetricRow(NOW + 5, "p", "m", "ok", 1.0, tokens_in=10, tokens_out=5),
                          MetricRow(NOW + 50, "p", "m", "cached", 1.0, tokens_in=1, tokens_out=1),
                          MetricRow(NOW + 70, "p", "m", "error", 1.0, tokens_in=99),
                          MetricRow(NOW + 130, "p", "m", "ok", 1.0, tokens_in=3, tokens_out=4)])
    assert store.throughput(NOW, 60, now=NOW + 250) == [
        (NOW, 2, 17), (NOW + 60, 0, 0), (NOW + 120, 1, 7), (NOW + 180, 0, 0), (NOW + 240, 0, 0)]
    assert store.throughput(NOW + 1000, 60, now=NOW + 1000) == [(NOW + 1000, 0, 0)]
    assert len(store.throughput(0, 1, now=NOW)) == 10_000  # bounded, newest kept
    with pytest.raises(ValueError):
        store.throughput(NOW, 0)


def test_heartbeats_upsert_workers(store: JobStore) -> None:
    store.heartbeat("w2", pid=20, state="idle", in_flight=0, restarts=0, now=NOW)
    store.heartbeat("w1", pid=10, state="busy", in_flight=3, restarts=0, done_count=5, now=NOW)
    store.heartbeat("w1", pid=10, state="busy", in_flight=1, restarts=0, done_count=9, now=NOW + 1)
    host = HOST  # every worker row says which machine it runs on
    assert store.workers()[0] == WorkerRow("w1", 10, "busy", 1, 0, NOW, NOW + 1, 9, host)
    store.heartbeat("w1", pid=11, state="starting", in_flight=0, restarts=1, now=NOW + 2)  # replaced process
    assert store.workers()[0] == WorkerRow("w1", 11, "starting", 0, 1, NOW + 2, NOW + 2, 0, host)
    assert [w.worker_id for w in store.workers()] == ["w1", "w2"]
    store.remove_worker("w2")
    store.remove_worker("nobody")
    assert [w.worker_id for w in store.workers()] == ["w1"]


def test_control_values_are_json_and_shared_between_connections(store: JobStore, store_url, tmp_path) -> None:
    assert store.get_control("paused") is None
    assert store.get_control("target_workers", 4) == 4
    store.set_control("paused", True)
    store.set_control("supervisor", {"pid": 123, "started_at": NOW, "heartbeat": NOW + 1})
    store.set_control("paused", False)
    with open_store(store_url, tmp_path) as other:
        assert other.get_control("paused") is False
        assert other.get_control("supervisor") == {"pid": 123, "started_at": NOW, "heartbeat": NOW + 1}
        other.set_control("target_workers", 2)
    assert store.get_control("target_workers") == 2


def test_jobs_can_be_listed_by_id(store: JobStore) -> None:
    doc = store.add_document("a.txt", b"x", "h", "txt", [ChunkSpec(0, "t", "", 1, {})])
    ids = [store.enqueue(doc, lang, "demo", "m", output_path="o").job_id for lang in ("he", "de", "en")]
    assert [job.id for job in store.jobs(ids=[ids[2], ids[0], 999])] == [ids[0], ids[2]]
    assert store.jobs(ids=[]) == []


def test_controls_by_prefix(store: JobStore) -> None:
    store.set_control("supervisor@a", {"pid": 1})
    store.set_control("supervisor@b", None)
    store.set_control("supervisors", 3)
    store.set_control("paused", True)
    assert store.controls("supervisor@") == {"supervisor@a": {"pid": 1}, "supervisor@b": None}
    assert store.controls("nothing") == {}
