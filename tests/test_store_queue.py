"""Documents, enqueue, and the lease life cycle: order, expiry, renew, release, reclaim."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.store import (ChunkSpec, EnqueueResult, JobStatus, JobStore, StoreError, TaskDefer, TaskRetry,
                              TaskStatus)

NOW = 1_000_000.0


def chunks(n: int, prefix: str = "text") -> list[ChunkSpec]:
    return [ChunkSpec(i, f"{prefix} {i}", f"context {i}", 10 + i, {"line": i, "tags": ["a"]}) for i in range(n)]


def add_doc(store: JobStore, name: str, n: int = 3) -> int:
    return store.add_document(name, f"bytes of {name}".encode(), f"hash-{name}", "txt", chunks(n, name))


def enqueue(store: JobStore, doc: int, lang: str = "de", provider: str = "demo", **kw) -> int:
    return store.enqueue(doc, lang, provider, "model-1", output_path=f"out/{lang}", **kw).job_id


# ---- documents ------------------------------------------------------------------------------


def test_add_document_is_idempotent_on_path_and_hash(store: JobStore) -> None:
    first = store.add_document("a.srt", b"\x00raw", "h1", "srt", chunks(3))
    again = store.add_document("a.srt", b"\x00raw", "h1", "srt", chunks(5))
    assert again == first
    assert len(store.chunk_specs(first)) == 3
    changed = store.add_document("a.srt", b"new bytes", "h2", "srt", chunks(2))
    assert changed != first and len(store.chunk_specs(changed)) == 2
    assert store.document_source(first) == ("a.srt", "srt", b"\x00raw")


def test_a_binary_source_comes_back_byte_for_byte(store: JobStore) -> None:
    """A .docx or .epub is a zip: every byte value, kept as bytes on either backend."""
    source = b"PK\x03\x04" + bytes(range(256)) * 4
    doc = store.add_document("book.epub", source, "h-epub", "epub", chunks(1))
    path, fmt, back = store.document_source(doc)
    assert (path, fmt) == ("book.epub", "epub") and type(back) is bytes and back == source


def test_chunk_specs_round_trip_with_meta(store: JobStore) -> None:
    doc = add_doc(store, "m.md", 4)
    assert store.chunk_specs(doc) == chunks(4, "m.md")


def test_duplicate_chunk_index_stores_nothing(store: JobStore) -> None:
    bad = [ChunkSpec(0, "a", "", 1, {}), ChunkSpec(0, "b", "", 1, {})]
    with pytest.raises(StoreError, match="x.txt"):
        store.add_document("x.txt", b"ab", "h", "txt", bad)
    assert store.add_document("x.txt", b"ab", "h", "txt", chunks(1)) > 0
    assert len(store.chunk_specs(store.add_document("x.txt", b"ab", "h", "txt", []))) == 1


def test_unknown_document_is_a_store_error(store: JobStore) -> None:
    with pytest.raises(StoreError):
        store.document_source(42)
    with pytest.raises(StoreError):
        store.enqueue(42, "de", "demo", "m", output_path="o")
    assert store.chunk_specs(42) == []


# ---- enqueue --------------------------------------------------------------------------------


def test_enqueue_creates_one_task_per_chunk_and_is_idempotent(store: JobStore) -> None:
    doc = add_doc(store, "a.txt", 4)
    first = store.enqueue(doc, "he", "demo", "m", priority=5, language_priority=10, output_path="out/he/a.txt")
    assert first.created
    assert store.enqueue(doc, "he", "demo", "m", output_path="elsewhere") == EnqueueResult(first.job_id, False)
    job = store.job(first.job_id)
    assert (job.status, job.chunks_total, job.chunks_done, job.priority, job.language_priority) == \
        (JobStatus.QUEUED, 4, 0, 5, 10)
    assert job.output_path == "out/he/a.txt" and job.path == "a.txt" and job.format == "txt"
    tasks = store.tasks_of_job(first.job_id)
    assert [(t.idx, t.status, t.attempts, t.text) for t in tasks] == \
        [(i, TaskStatus.QUEUED, 0, f"a.txt {i}") for i in range(4)]
    assert store.task_counts()["queued"] == 4
    other = store.enqueue(doc, "de", "demo", "m", output_path="out/de/a.txt")
    assert other.created and other.job_id != first.job_id


def test_enqueue_does_not_revive_a_cancelled_job(store: JobStore) -> None:
    job_id = enqueue(store, add_doc(store, "a.txt"))
    store.cancel([job_id])
    assert store.enqueue(store.job(job_id).document_id, "de", "demo", "model-1", output_path="o") == \
        EnqueueResult(job_id, False)
    assert store.job(job_id).status == JobStatus.CANCELLED
    assert store.lease("w", 10, 60, now=NOW) == []


def test_a_document_without_chunks_is_ready_at_once(store: JobStore) -> None:
    job_id = enqueue(store, add_doc(store, "empty.txt", 0))
    assert store.job(job_id).chunks_total == 0
    assert store.ready_to_assemble() == [job_id]


# ---- lease ----------------------------------------------------------------------------------


def test_lease_returns_the_chunk_and_marks_the_job_processing(store: JobStore) -> None:
    doc = add_doc(store, "a.txt", 2)
    job_id = enqueue(store, doc, "he")
    [first] = store.lease("worker-1", 1, 30, now=NOW)
    assert (first.job_id, first.chunk_index, first.language, first.provider, first.model) == \
        (job_id, 0, "he", "demo", "model-1")
    assert (first.text, first.context, first.meta) == ("a.txt 0", "context 0", {"line": 0, "tags": ["a"]})
    assert (first.attempts, first.lease_expires) == (0, NOW + 30)
    assert first.chunk_id == store.tasks_of_job(job_id)[0].chunk_id
    job = store.job(job_id)
    assert (job.status, job.started_at, job.worker_id) == (JobStatus.PROCESSING, NOW, "worker-1")
    task = store.tasks_of_job(job_id)[0]
    assert (task.status, task.lease_owner, task.lease_expires) == (TaskStatus.LEASED, "worker-1", NOW + 30)
    store.lease("worker-2", 1, 30, now=NOW + 5)
    assert store.job(job_id).started_at == NOW  # first lease only
    assert store.job(job_id).worker_id == "worker-2"


def test_no_task_is_leased_twice(store: JobStore) -> None:
    doc = add_doc(store, "a.txt", 5)
    enqueue(store, doc)
    a = store.lease("a", 2, 60, now=NOW)
    b = store.lease("b", 10, 60, now=NOW)
    assert len(a) == 2 and len(b) == 3
    assert {t.task_id for t in a}.isdisjoint(t.task_id for t in b)
    assert store.lease("c", 10, 60, now=NOW) == []
    assert store.lease("c", 0, 60, now=NOW) == []


def test_lease_order_is_effective_priority_then_job_age_then_chunk(store: JobStore) -> None:
    docs = [add_doc(store, f"d{i}.txt", 2) for i in range(4)]
    low_en = enqueue(store, docs[0], "en", language_priority=0, priority=-5)       # -5
    plain_en = enqueue(store, docs[1], "en", language_priority=0)                 # 0
    de_high = enqueue(store, docs[2], "de", language_priority=5, priority=5)      # 10, older
    he = enqueue(store, docs[3], "he", language_priority=10)                      # 10, newer
    order = [(t.job_id, t.chunk_index) for t in store.lease("w", 100, 60, now=NOW)]
    assert order == [(de_high, 0), (de_high, 1), (he, 0), (he, 1), (plain_en, 0), (plain_en, 1),
                     (low_en, 0), (low_en, 1)]


def test_change_priority_reorders_the_queue(store: JobStore) -> None:
    first = enqueue(store, add_doc(store, "a.txt", 1), "de", language_priority=5)
    second = enqueue(store, add_doc(store, "b.txt", 1), "en")
    assert store.change_priority(second, +6) == 6
    assert store.change_priority(999, 1) is None
    assert [t.job_id for t in store.lease("w", 10, 60, now=NOW)] == [second, first]
    assert store.job(second).effective_priority == 6


def test_lease_only_from_the_named_providers(store: JobStore) -> None:
    doc = add_doc(store, "a.txt", 2)
    enqueue(store, doc, "de", provider="deepl")
    openai_job = enqueue(store, doc, "de", provider="openai")
    assert store.lease("w", 10, 60, providers=[], now=NOW) == []
    leased = store.lease("w", 10, 60, providers={"openai", "nope"}, now=NOW)
    assert {t.job_id for t in leased} == {openai_job} and len(leased) == 2
    assert {t.provider for t in store.lease("w", 10, 60, providers=None, now=NOW)} == {"deepl"}


def test_not_before_holds_a_task_back_until_its_time(store: JobStore) -> None:
    job_id = enqueue(store, add_doc(store, "a.txt", 1))
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([TaskRetry(task.task_id, "Timeout", "slow", delay_s=30)], max_attempts=5, now=NOW)
    assert store.lease("w", 1, 60, now=NOW + 29) == []
    assert store.runnable_count(now=NOW + 29) == 0
    assert store.next_wakeup(now=NOW + 29) == NOW + 30
    [again] = store.lease("w", 1, 60, now=NOW + 30)
    assert (again.task_id, again.attempts, again.job_id) == (task.task_id, 1, job_id)


def test_an_expired_lease_is_reclaimed_with_its_attempts_unchanged(store: JobStore) -> None:
    enqueue(store, add_doc(store, "a.txt", 2))
    leased = store.lease("crashed", 2, 10, now=NOW)
    assert store.reclaim_expired(now=NOW + 9) == 0
    assert store.lease("other", 5, 10, now=NOW + 9) == []
    assert store.reclaim_expired(now=NOW + 11) == 2
    assert store.reclaim_expired(now=NOW + 11) == 0
    again = store.lease("other", 5, 10, now=NOW + 11)
    assert [t.task_id for t in again] == [t.task_id for t in leased]
    assert [t.attempts for t in again] == [0, 0]


def test_renew_extends_only_the_owners_leases(store: JobStore) -> None:
    enqueue(store, add_doc(store, "a.txt", 3))
    mine = store.lease("me", 2, 10, now=NOW)
    theirs = store.lease("them", 1, 10, now=NOW)
    assert store.renew("me", [mine[0].task_id, theirs[0].task_id], 100, now=NOW + 5) == 1
    assert store.renew("me", [], 100, now=NOW + 5) == 0
    assert store.reclaim_expired(now=NOW + 20) == 2  # mine[1] and theirs
    assert store.renew("me", None, 100, now=NOW + 20) == 1
    tasks = {t.id: t for t in store.tasks_of_job(mine[0].job_id)}
    assert tasks[mine[0].task_id].lease_expires == NOW + 120
    assert tasks[mine[1].task_id].status == TaskStatus.QUEUED


def test_release_gives_leases_back_without_burning_attempts(store: JobStore) -> None:
    enqueue(store, add_doc(store, "a.txt", 3))
    mine = store.lease("me", 2, 60, now=NOW)
    store.lease("them", 1, 60, now=NOW)
    assert store.release("me", [mine[0].task_id]) == 1
    assert store.release("me", []) == 0
    assert store.release("me") == 1
    assert store.task_counts()["leased"] == 1  # theirs
    again = store.lease("third", 5, 60, now=NOW)
    assert sorted(t.task_id for t in again) == sorted(t.task_id for t in mine)
    assert all(t.attempts == 0 for t in again)


def test_cancelled_in_flight_lists_leases_of_cancelled_jobs_until_released(store: JobStore) -> None:
    doc = add_doc(store, "a.txt", 3)
    doomed = enqueue(store, doc, "de")
    kept = enqueue(store, doc, "en")
    leased = store.lease("w1", 4, 60, now=NOW)
    doomed_ids = [t.task_id for t in leased if t.job_id == doomed]
    store.cancel([doomed])
    assert store.cancelled_in_flight("w1") == doomed_ids
    assert store.cancelled_in_flight() == doomed_ids
    assert store.cancelled_in_flight("w2") == []
    assert store.release("w1", doomed_ids) == len(doomed_ids)
    assert store.cancelled_in_flight() == []
    assert {t.status for t in store.tasks_of_job(doomed)} == {TaskStatus.CANCELLED}
    assert store.job(kept).status == JobStatus.PROCESSING


def test_reclaim_also_drops_expired_leases_of_cancelled_tasks(store: JobStore) -> None:
    job_id = enqueue(store, add_doc(store, "a.txt", 1))
    store.lease("w1", 1, 10, now=NOW)
    store.cancel([job_id])
    assert store.reclaim_expired(now=NOW + 11) == 0  # nothing requeued ...
    assert store.cancelled_in_flight() == []         # ... but the stale lease is gone


def test_deferred_tasks_do_not_burn_attempts(store: JobStore) -> None:
    job_id = enqueue(store, add_doc(store, "a.txt", 1))
    for round_ in range(5):
        [task] = store.lease("w", 1, 60, now=NOW + round_ * 100)
        assert task.attempts == 0
        store.record_results([TaskDefer(task.task_id, NOW + round_ * 100 + 50, "quota_parked")],
                             max_attempts=2, now=NOW + round_ * 100)
    job = store.job(job_id)
    assert (job.status, job.attempts, job.wait_reason) == (JobStatus.PROCESSING, 0, "quota_parked")
