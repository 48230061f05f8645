"""cancel, retry, change_priority and jobs for unreadable documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.store import ChunkSpec, JobStatus, JobStore, StoreError, TaskDone, TaskFail, TaskRetry, TaskStatus

NOW = 3_000_000.0


@pytest.fixture
def store(tmp_path: Path):
    with JobStore(tmp_path / "jobs.db") as s:
        yield s


def new_job(store: JobStore, name: str, n: int = 3, lang: str = "de") -> int:
    doc = store.add_document(name, b"src", f"hash-{name}", "txt",
                             [ChunkSpec(i, f"{name} {i}", "", 5, {}) for i in range(n)])
    return store.enqueue(doc, lang, "demo", "m", output_path=f"out/{lang}/{name}").job_id


def kill(store: JobStore, job_id: int) -> None:
    """Dead-letter a job: its first chunk fails once with max_attempts=1."""
    task = next(t for t in store.lease("killer", 100, 60, now=NOW) if t.job_id == job_id)
    store.record_results([TaskRetry(task.task_id, "ServerError", "HTTP 503", 0)], max_attempts=1, now=NOW)
    store.release("killer")


def test_cancel_cancels_unfinished_work_and_reports_the_ids_found(store: JobStore) -> None:
    job_id = new_job(store, "a.txt", 3)
    first, second = store.lease("w", 2, 60, now=NOW)
    store.record_results([TaskDone(first.task_id, "x", "demo", "m")], max_attempts=3)
    assert store.cancel([job_id, 12345]) == [job_id]
    job = store.job(job_id)
    assert (job.status, job.chunks_done) == (JobStatus.CANCELLED, 1)
    assert [t.status for t in store.tasks_of_job(job_id)] == \
        [TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.CANCELLED]
    assert store.lease("w", 10, 60, now=NOW) == []
    assert store.cancel([job_id]) == [job_id]  # found again, nothing more to do
    assert store.cancel([]) == []
    assert store.unfinished_jobs() == 0 and store.job_counts()["cancelled"] == 1


def test_cancel_leaves_a_completed_job_completed(store: JobStore) -> None:
    job_id = new_job(store, "a.txt", 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([TaskDone(task.task_id, "x", "demo", "m")], max_attempts=3)
    store.complete_job(job_id, "out")
    assert store.cancel([job_id]) == [job_id]
    assert store.job(job_id).status == JobStatus.COMPLETED


def test_retry_without_ids_requeues_failed_and_dead_jobs_only(store: JobStore) -> None:
    dead = new_job(store, "dead.txt")
    failed = new_job(store, "failed.txt")
    cancelled = new_job(store, "cancelled.txt")
    queued = new_job(store, "queued.txt")
    kill(store, dead)
    [task] = [t for t in store.lease("w", 100, 60, now=NOW) if t.job_id == failed][:1]
    store.record_results([TaskFail(task.task_id, "BadRequest", "400")], max_attempts=3)
    store.release("w")
    store.cancel([cancelled])
    assert store.retry() == [dead, failed]
    assert store.job(cancelled).status == JobStatus.CANCELLED
    assert store.job(queued).status in (JobStatus.QUEUED, JobStatus.PROCESSING)
    for job_id in (dead, failed):
        job = store.job(job_id)
        assert (job.status, job.error_message, job.attempts, job.completed_at) == (JobStatus.QUEUED, None, 0, None)
        assert {(t.status, t.attempts, t.last_error, t.not_before) for t in store.tasks_of_job(job_id)} == \
            {(TaskStatus.QUEUED, 0, None, 0.0)}
    assert store.retry() == []


def test_retry_by_id_also_revives_a_cancelled_job_and_keeps_done_work(store: JobStore) -> None:
    job_id = new_job(store, "a.txt", 3)
    first, second = store.lease("w", 2, 60, now=NOW)
    store.record_results([TaskDone(first.task_id, "kept", "demo", "m", tokens_in=7)], max_attempts=3)
    store.cancel([job_id])
    assert store.retry([job_id, 999]) == [job_id]
    job = store.job(job_id)
    assert (job.status, job.chunks_done, job.tokens_in) == (JobStatus.PROCESSING, 1, 7)
    assert store.translations(job_id) == {0: "kept"}
    # chunk 1 was still running (the engine had not aborted it): it keeps its lease, not sent twice
    assert [t.status for t in store.tasks_of_job(job_id)] == [TaskStatus.DONE, TaskStatus.LEASED, TaskStatus.QUEUED]
    assert store.cancelled_in_flight() == []
    assert sorted(t.chunk_index for t in store.lease("w2", 10, 60, now=NOW)) == [2]
    store.record_results([TaskDone(second.task_id, "late", "demo", "m")], max_attempts=3)
    assert store.translations(job_id) == {0: "kept", 1: "late"}


def test_retry_after_the_engine_aborted_a_cancelled_chunk_queues_it_again(store: JobStore) -> None:
    job_id = new_job(store, "a.txt", 2)
    store.lease("w", 2, 60, now=NOW)
    store.cancel([job_id])
    store.release("w", store.cancelled_in_flight())  # what the engine does once it aborted them
    assert store.retry([job_id]) == [job_id]
    assert store.job(job_id).status == JobStatus.QUEUED
    assert sorted(t.chunk_index for t in store.lease("w2", 10, 60, now=NOW)) == [0, 1]


def test_retry_of_a_live_or_completed_job_does_nothing(store: JobStore) -> None:
    live = new_job(store, "a.txt", 1)
    assert store.retry([live]) == []
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([TaskDone(task.task_id, "x", "demo", "m")], max_attempts=3)
    store.complete_job(live, "out")
    assert store.retry([live]) == [] and store.job(live).status == JobStatus.COMPLETED


def test_retry_leaves_a_task_still_in_flight_with_its_worker(store: JobStore) -> None:
    job_id = new_job(store, "a.txt", 2)
    first, second = store.lease("w", 2, 60, now=NOW)
    store.record_results([TaskRetry(first.task_id, "E", "boom", 0)], max_attempts=1, now=NOW)
    assert store.job(job_id).status == JobStatus.DEAD
    assert store.retry() == [job_id]
    tasks = store.tasks_of_job(job_id)
    assert (tasks[0].status, tasks[1].status, tasks[1].lease_owner) == (TaskStatus.QUEUED, TaskStatus.LEASED, "w")
    assert [t.task_id for t in store.lease("w2", 10, 60, now=NOW)] == [first.task_id]
    assert store.record_results([TaskDone(second.task_id, "y", "demo", "m"),
                                 TaskDone(first.task_id, "x", "demo", "m")], max_attempts=1) == [job_id]


def test_an_unreadable_document_gets_a_visible_failed_job(store: JobStore) -> None:
    job_id = store.add_failed_job("broken.srt", "he", "demo", "m", "not UTF-8 at byte 12", output_path="out/he/b.srt")
    assert store.add_failed_job("broken.srt", "he", "demo", "m", "again", output_path="x") == job_id
    other = store.add_failed_job("broken.srt", "de", "demo", "m", "not UTF-8", output_path="out/de/b.srt")
    assert other != job_id
    job = store.job(job_id)
    assert (job.status, job.error_message, job.document_error, job.format, job.path) == \
        (JobStatus.FAILED, "not UTF-8 at byte 12", "not UTF-8 at byte 12", "srt", "broken.srt")
    assert job.document_id == store.job(other).document_id
    assert store.document_source(job.document_id) == ("broken.srt", "srt", b"")
    assert [j.id for j in store.jobs(status="failed")] == [job_id, other]
    assert store.retry() == [] and store.retry([job_id]) == []  # re-enqueue the path instead
    assert store.ready_to_assemble() == []
    with pytest.raises(StoreError, match="could not be read"):
        store.enqueue(job.document_id, "en", "demo", "m", output_path="o")


def test_add_failed_job_accepts_the_hash_of_bytes_it_read(store: JobStore) -> None:
    job_id = store.add_failed_job("bad.json", "de", "demo", "m", "no 'text' field", output_path="o",
                                  content_hash="sha-of-bytes", format="json")
    assert store.job(job_id).format == "json"
    good = store.add_document("bad.json", b"[]", "sha-of-fixed-bytes", "json", [])
    assert store.enqueue(good, "de", "demo", "m", output_path="o").created
