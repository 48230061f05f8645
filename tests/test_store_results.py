"""Recording results: idempotency, retry to dead, defer, fail, job counters, finishing jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.store import (ChunkSpec, JobStatus, JobStore, LeasedTask, StoreError, TaskDefer, TaskDone, TaskFail,
                              TaskRetry, TaskStatus, open_store)

NOW = 2_000_000.0


def new_job(store: JobStore, n: int = 3, name: str = "a.txt", lang: str = "de") -> int:
    doc = store.add_document(name, b"src", f"hash-{name}", "txt",
                             [ChunkSpec(i, f"line {i}", "", 5, {}) for i in range(n)])
    return store.enqueue(doc, lang, "demo", "m", output_path=f"out/{lang}/{name}").job_id


def done(task: LeasedTask, text: str | None = None, **kw) -> TaskDone:
    values = dict(tokens_in=10, tokens_out=20, characters=30, cost_usd=0.25) | kw
    return TaskDone(task.task_id, text or f"translated {task.chunk_index}", "demo", "m", **values)


def test_done_updates_task_and_job_counters(store: JobStore) -> None:
    job_id = new_job(store, 3)
    leased = store.lease("w", 2, 60, now=NOW)
    assert store.record_results([done(leased[0]), done(leased[1], cached=True, cost_usd=0.0)],
                                max_attempts=3, now=NOW + 1) == []
    job = store.job(job_id)
    assert (job.chunks_done, job.tokens_in, job.tokens_out, job.characters) == (2, 20, 40, 60)
    assert job.cost_usd == pytest.approx(0.25)
    first, second, third = store.tasks_of_job(job_id)
    assert (first.status, first.translation, first.provider_used, first.model_used, first.cached) == \
        (TaskStatus.DONE, "translated 0", "demo", "m", False)
    assert (first.completed_at, first.lease_owner) == (NOW + 1, None)
    assert second.cached is True and third.status == TaskStatus.QUEUED


def test_done_twice_is_not_counted_twice_and_the_first_wins(store: JobStore) -> None:
    job_id = new_job(store, 2)
    leased = store.lease("w", 2, 60, now=NOW)
    assert store.record_results([done(leased[0], "first")], max_attempts=3, now=NOW) == []
    assert store.record_results([done(leased[0], "second"), done(leased[0], "third")], max_attempts=3) == []
    job = store.job(job_id)
    assert (job.chunks_done, job.tokens_in) == (1, 10)
    assert store.translations(job_id) == {0: "first"}


def test_the_last_chunk_makes_the_job_ready_exactly_once(store: JobStore) -> None:
    job_id = new_job(store, 3)
    leased = store.lease("w", 3, 60, now=NOW)
    assert store.record_results([done(leased[0]), done(leased[1])], max_attempts=3) == []
    assert store.record_results([done(leased[2])], max_attempts=3) == [job_id]
    assert store.record_results([done(leased[2])], max_attempts=3) == []
    assert store.translations(job_id) == {i: f"translated {i}" for i in range(3)}
    assert store.ready_to_assemble() == [job_id]


def test_a_result_after_the_lease_was_reclaimed_is_accepted_once(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [slow] = store.lease("slow", 1, 10, now=NOW)
    store.reclaim_expired(now=NOW + 11)
    [fast] = store.lease("fast", 1, 10, now=NOW + 11)
    assert fast.task_id == slow.task_id
    assert store.record_results([done(slow, "from slow")], max_attempts=3) == [job_id]
    assert store.record_results([done(fast, "from fast")], max_attempts=3) == []
    assert store.translations(job_id) == {0: "from slow"}
    assert store.job(job_id).chunks_done == 1
    assert store.tasks_of_job(job_id)[0].lease_owner is None


def test_retry_burns_an_attempt_and_waits(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([TaskRetry(task.task_id, "RateLimited", "HTTP 429", delay_s=15)], max_attempts=3, now=NOW)
    row = store.tasks_of_job(job_id)[0]
    assert (row.status, row.attempts, row.not_before, row.error_class, row.last_error, row.lease_owner) == \
        (TaskStatus.QUEUED, 1, NOW + 15, "RateLimited", "HTTP 429", None)
    assert store.job(job_id).attempts == 1
    assert store.job(job_id).status == JobStatus.PROCESSING


def test_retries_up_to_max_attempts_dead_letter_the_task_and_the_job(store: JobStore) -> None:
    job_id = new_job(store, 2)
    other = store.tasks_of_job(job_id)[1]
    now = NOW
    for attempt in range(1, 4):
        [task] = store.lease("w", 1, 60, now=now)
        assert (task.chunk_index, task.attempts) == (0, attempt - 1)
        store.record_results([TaskRetry(task.task_id, "ServerError", f"HTTP 500 #{attempt}", 1.0)],
                             max_attempts=3, now=now)
        now += 1.0  # chunk 0 is runnable again and comes first by order
    dead = store.tasks_of_job(job_id)[0]
    assert (dead.status, dead.attempts) == (TaskStatus.DEAD, 3)
    job = store.job(job_id)
    assert job.status == JobStatus.DEAD
    assert "chunk 0" in job.error_message and "ServerError: HTTP 500 #3" in job.error_message
    assert "3 attempts" in job.error_message
    assert (job.attempts, job.completed_at) == (3, now - 1.0)
    assert store.lease("w", 10, 60, now=now + 100) == []  # the rest of a dead job never runs
    assert store.tasks_of_job(job_id)[1].status == other.status == TaskStatus.QUEUED
    assert store.record_results([TaskDone(dead.id, "late", "demo", "m")], max_attempts=3) == []
    assert store.tasks_of_job(job_id)[0].status == TaskStatus.DEAD
    assert store.job_counts()["dead"] == 1 and store.unfinished_jobs() == 0


def test_defer_parks_without_burning_attempts_and_a_lease_clears_the_wait(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([TaskDefer(task.task_id, NOW + 600, "circuit_open")], max_attempts=1, now=NOW)
    job = store.job(job_id)
    assert (job.wait_reason, job.wait_until, job.attempts, job.status) == \
        ("circuit_open", NOW + 600, 0, JobStatus.PROCESSING)
    row = store.tasks_of_job(job_id)[0]
    assert (row.status, row.attempts, row.not_before) == (TaskStatus.QUEUED, 0, NOW + 600)
    assert store.next_wakeup(now=NOW) == NOW + 600
    [again] = store.lease("w", 1, 60, now=NOW + 600)
    assert again.attempts == 0
    assert (store.job(job_id).wait_reason, store.job(job_id).wait_until) == (None, None)


def test_fail_is_fatal_for_the_task_and_the_job(store: JobStore) -> None:
    job_id = new_job(store, 2)
    leased = store.lease("w", 2, 60, now=NOW)
    store.record_results([TaskFail(leased[1].task_id, "ChunkRejected", "content policy")], max_attempts=5, now=NOW)
    job = store.job(job_id)
    assert (job.status, job.error_message, job.attempts) == \
        (JobStatus.FAILED, "chunk 1: ChunkRejected: content policy", 1)
    assert store.tasks_of_job(job_id)[1].status == TaskStatus.FAILED
    # the other chunk in flight may still finish; the job stays failed and is never ready
    assert store.record_results([done(leased[0])], max_attempts=5) == []
    assert store.job(job_id).status == JobStatus.FAILED and store.ready_to_assemble() == []


def test_a_result_for_a_cancelled_task_is_ignored_and_ends_its_lease(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    store.cancel([job_id])
    assert store.record_results([done(task)], max_attempts=3) == []
    row = store.tasks_of_job(job_id)[0]
    assert (row.status, row.translation, row.lease_owner) == (TaskStatus.CANCELLED, None, None)
    assert store.job(job_id).chunks_done == 0


def test_a_mixed_batch_is_applied_in_one_go(store: JobStore) -> None:
    first, second = new_job(store, 2, "a.txt"), new_job(store, 2, "b.txt")
    a0, a1, b0, b1 = store.lease("w", 4, 60, now=NOW)
    ready = store.record_results([done(a0), done(a1), TaskRetry(b0.task_id, "Timeout", "t", 0),
                                  TaskDefer(b1.task_id, NOW + 5, "rate_limited")], max_attempts=3, now=NOW)
    assert ready == [first]
    assert [t.status for t in store.tasks_of_job(second)] == [TaskStatus.QUEUED, TaskStatus.QUEUED]
    assert store.job(second).attempts == 1


def test_a_bad_result_rolls_back_the_whole_batch(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    with pytest.raises(TypeError):
        store.record_results([done(task), "not a result"], max_attempts=3)  # type: ignore[list-item]
    assert store.tasks_of_job(job_id)[0].status == TaskStatus.LEASED
    assert store.job(job_id).chunks_done == 0


def test_complete_job_needs_every_chunk_and_keeps_a_cancellation(store: JobStore) -> None:
    job_id = new_job(store, 2)
    leased = store.lease("w", 2, 60, now=NOW)
    store.record_results([done(leased[0])], max_attempts=3)
    with pytest.raises(StoreError, match="1 of 2"):
        store.complete_job(job_id, "out/de/a.txt")
    store.record_results([done(leased[1])], max_attempts=3)
    store.complete_job(job_id, "out/de/final.txt", now=NOW + 9)
    job = store.job(job_id)
    assert (job.status, job.output_path, job.completed_at) == (JobStatus.COMPLETED, "out/de/final.txt", NOW + 9)
    assert store.ready_to_assemble() == [] and store.unfinished_jobs() == 0
    with pytest.raises(StoreError):
        store.complete_job(999, "x")

    cancelled = new_job(store, 1, "c.txt")
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([done(task)], max_attempts=3)
    store.cancel([cancelled])
    store.complete_job(cancelled, "out/c.txt")
    assert store.job(cancelled).status == JobStatus.CANCELLED


def test_fail_job_fails_a_live_job_but_not_a_completed_one(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([done(task)], max_attempts=3)
    store.fail_job(job_id, "cannot write out/de/a.txt: disk full", now=NOW + 1)
    job = store.job(job_id)
    assert (job.status, job.error_message, job.completed_at) == \
        (JobStatus.FAILED, "cannot write out/de/a.txt: disk full", NOW + 1)
    assert store.ready_to_assemble() == []
    assert store.retry([job_id]) == [job_id]
    assert store.ready_to_assemble() == [job_id]  # nothing left to translate: assemble again
    store.complete_job(job_id, "out/de/a.txt")
    store.fail_job(job_id, "too late")
    assert store.job(job_id).status == JobStatus.COMPLETED
    with pytest.raises(StoreError):
        store.fail_job(999, "x")


def test_ready_to_assemble_finds_jobs_a_crash_left_behind(store: JobStore, store_url, tmp_path) -> None:
    job_id = new_job(store, 1)
    [task] = store.lease("w", 1, 60, now=NOW)
    store.record_results([done(task)], max_attempts=3)
    # the process died before complete_job: a fresh store on the same file still sees the job
    with open_store(store_url, tmp_path) as reopened:
        assert reopened.ready_to_assemble() == [job_id]
        assert reopened.job(job_id).status == JobStatus.PROCESSING


def test_job_attempts_are_the_sum_of_its_tasks_attempts(store: JobStore) -> None:
    job_id = new_job(store, 3)
    for round_ in range(3):
        leased = store.lease("w", 3, 60, now=NOW + round_)
        store.record_results([TaskRetry(t.task_id, "E", "m", 0) for t in leased[: round_ + 1]],
                             max_attempts=10, now=NOW + round_)
        store.release("w")
    assert store.job(job_id).attempts == sum(t.attempts for t in store.tasks_of_job(job_id)) == 6


# ---- results guarded by owner and attempt (several supervisors) --------------------------


def test_a_late_owner_cannot_disturb_the_task_someone_else_now_holds(store: JobStore) -> None:
    job_id = new_job(store, 1)
    [stale] = store.lease("host-a", 1, 10, now=NOW)
    assert store.reclaim_expired(now=NOW + 11) == 1          # host-a stalled past its lease
    [held] = store.lease("host-b", 1, 60, now=NOW + 12)
    late = [TaskRetry(stale.task_id, "Timeout", "slow", 5, attempt=stale.attempts),
            TaskDefer(stale.task_id, NOW + 99, "rate_limited", attempt=stale.attempts),
            TaskFail(stale.task_id, "Bad", "x", attempt=stale.attempts),
            TaskDone(stale.task_id, "from a", "demo", "m", attempt=stale.attempts)]
    for result in late:
        assert store.record_results([result], max_attempts=3, owner="host-a", now=NOW + 13) == []
    [task] = store.tasks_of_job(job_id)
    assert (task.status, task.lease_owner, task.attempts, task.translation) == \
        (TaskStatus.LEASED, "host-b", 0, None)
    assert store.record_results([TaskDone(held.task_id, "from b", "demo", "m", attempt=held.attempts)],
                                max_attempts=3, owner="host-b", now=NOW + 14) == [job_id]
    assert store.translations(job_id) == {0: "from b"}


def test_a_late_translation_is_kept_when_nobody_took_the_task_meanwhile(store: JobStore) -> None:
    job_id = new_job(store, 2)
    first, second = store.lease("host-a", 2, 10, now=NOW)
    store.reclaim_expired(now=NOW + 11)
    assert store.record_results([TaskDone(first.task_id, "paid reply", "demo", "m", attempt=0)],
                                max_attempts=3, owner="host-a", now=NOW + 12) == []
    assert store.translations(job_id) == {0: "paid reply"}
    # ... but not once the attempt moved on (another host retried it meanwhile)
    [again] = store.lease("host-b", 1, 60, now=NOW + 13)
    assert again.task_id == second.task_id
    store.record_results([TaskRetry(again.task_id, "Timeout", "slow", 0, attempt=0)], max_attempts=3,
                         owner="host-b", now=NOW + 14)
    assert store.record_results([TaskDone(second.task_id, "stale", "demo", "m", attempt=0)],
                                max_attempts=3, owner="host-a", now=NOW + 15) == []
    assert store.translations(job_id) == {0: "paid reply"}
    assert store.tasks_of_job(job_id)[1].status == TaskStatus.QUEUED


def test_an_owner_reports_only_the_attempt_it_holds(store: JobStore) -> None:
    new_job(store, 1)
    [task] = store.lease("host-a", 1, 60, now=NOW)
    store.record_results([TaskRetry(task.task_id, "E", "m", 0, attempt=7)], max_attempts=3, owner="host-a", now=NOW)
    assert store.tasks_of_job(task.job_id)[0].attempts == 0  # not the attempt it was given
    store.record_results([TaskRetry(task.task_id, "E", "m", 0, attempt=0)], max_attempts=3, owner="host-a", now=NOW)
    assert store.tasks_of_job(task.job_id)[0].attempts == 1
