"""A page of jobs in any order: the store filters, sorts and cuts in SQL (only the page is
read), in the same order a person expects from each column, and the orders that stay put
during a run walk an index instead of sorting every job."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scribe_tui.store import JOB_ORDERS, ChunkSpec, JobPage, JobRow, JobStore
from scribe_tui.store.job_listing import STATUS_RANK, page_query
from scribe_tui.store.sqlite.schema import MIGRATIONS

STATUSES = ("queued", "processing", "completed", "failed", "dead", "cancelled")
RANK = {str(status): rank for rank, status in enumerate(STATUS_RANK)}

EXPECTED: dict[str, Callable[[JobRow], Any]] = {
    "id": lambda r: r.id,
    "priority": lambda r: (-r.effective_priority, r.id),
    "status": lambda r: (RANK[r.status], r.id),
    "document": lambda r: (r.path.lower(), r.document_id, r.target_language),
    "progress": lambda r: (-(r.chunks_done / r.chunks_total if r.chunks_total else 0.0), r.id),
    "tries": lambda r: (-(r.chunks_done + r.attempts), r.id),
    "started": lambda r: (r.started_at is None, r.started_at or 0.0, r.id),
}
"""Each order as a person reads it, in Python: the reference the SQL must agree with."""


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """60 documents × 2 languages in every state, with priorities, progress, tries and start times."""
    rng = random.Random(5)
    with JobStore(tmp_path / "jobs.db") as store:
        for number in range(60):
            name = f"/corpus/{rng.choice(['Lecture', 'lecture', 'talk'])}-{rng.randrange(1000):03d}.txt"
            doc = store.add_document(name, b"x", f"hash{number}", "txt",
                                     [ChunkSpec(idx=i, text="t", context="", token_estimate=5) for i in range(4)])
            for language, language_priority in (("he", 10), ("de", 5)):
                store.enqueue(doc, language, "demo", "m", priority=rng.choice((-20, 0, 20)),
                              language_priority=language_priority, output_path=f"/o/{language}/{number}")
        conn = sqlite3.connect(store.path)
        for job_id in range(1, 121):
            conn.execute("UPDATE jobs SET status = ?, chunks_done = ?, attempts = ?, started_at = ? WHERE id = ?",
                         (rng.choice(STATUSES), rng.randrange(5), rng.randrange(4),
                          rng.choice((None, 1000.0 + rng.randrange(50))), job_id))
        conn.commit()
        conn.close()
        yield store


@pytest.mark.parametrize("order", list(JOB_ORDERS))
def test_every_order_is_the_order_a_person_expects(store: JobStore, order: str) -> None:
    everything = store.jobs()
    expected = [r.id for r in sorted(everything, key=EXPECTED[order])]
    assert [r.id for r in store.job_page(JobPage(order=order, limit=1000))] == expected
    assert [r.id for r in store.job_page(JobPage(order=order, limit=10, offset=20))] == expected[20:30]


def test_filters_combine_and_count(store: JobStore) -> None:
    page = JobPage(statuses=("failed", "dead"), languages=("he",), text="LECTURE", order="priority", limit=5)
    matching = [r for r in store.jobs() if r.status in ("failed", "dead") and r.target_language == "he"
                and "lecture" in r.path.lower()]
    assert store.job_count(page) == len(matching) > 5
    assert [r.id for r in store.job_page(page)] == [r.id for r in sorted(matching, key=EXPECTED["priority"])][:5]
    assert store.job_count(JobPage()) == 120
    assert store.job_page(JobPage(text="100%_\\")) == []  # LIKE's own characters are plain text


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown job order 'size'"):
        JobPage(order="size")


@pytest.mark.parametrize("order", ["id", "priority", "status", "document", "started"])
def test_the_orders_that_stay_put_walk_an_index(store: JobStore, order: str) -> None:
    """No sort of every job: SQLite walks the order's index and stops after the page."""
    sql, params = page_query(JobPage(order=order, limit=50))
    conn = sqlite3.connect(store.path)
    try:
        plan = " / ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()
    assert "TEMP B-TREE" not in plan, plan


def test_a_version_2_store_gains_the_order_indexes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:
        conn.executescript(migration)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with JobStore(path) as store:
        assert store.migrated_from == 2
        indexes = {row["name"] for row in store._rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"jobs_by_priority", "jobs_by_status", "jobs_by_started", "jobs_by_language",
            "documents_by_path"} <= indexes
