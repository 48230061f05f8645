"""`scribe-tui store migrate --to postgresql://…` moves a data directory's SQLite queue into a
PostgreSQL store: documents with their bytes, jobs with their counters, done chunks with
their translations, unfinished chunks queued again; a second run copies nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from scribe_tui.store import JobStore, TaskStatus, open_store
from tests._commands_support import isolate, populate, run_cli, run_json, write_config

pytestmark = pytest.mark.usefixtures("postgres_server")


def snapshot(store) -> dict:  # type: ignore[no-untyped-def]
    """What must survive the move, keyed by natural keys instead of ids."""
    jobs = {}
    for job in store.jobs():
        tasks = [(t.idx, t.status, t.attempts, t.translation, t.last_error) for t in store.tasks_of_job(job.id)]
        jobs[(job.path, job.target_language)] = (job.status, job.chunks_total, job.chunks_done, job.tokens_in,
                                                job.cost_usd, job.error_message, job.document_error, tasks)
    return jobs


def test_migrate_moves_the_queue_and_is_idempotent(tmp_path: Path, postgres_url: str, capsys,  # type: ignore[no-untyped-def]
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path)
    populated = populate(tmp_path)
    config = write_config(tmp_path)
    with JobStore.open(populated.data_dir) as source:
        before = snapshot(source)
        source_bytes = source.document_source(populated.doc_b)
    code, report = run_json(capsys, "store", "migrate", "--to", postgres_url, "--config", str(config),
                            "--data-dir", str(populated.data_dir))
    assert code == 0
    assert (report["documents"], report["jobs"], report["documents_present"], report["jobs_present"]) == (3, 4, 0, 0)
    with open_store(postgres_url, tmp_path) as target:
        after = snapshot(target)
        # a job that was processing waits for a supervisor; its leased chunks are queued again
        expected = dict(before)
        key = next(k for k, v in before.items() if v[0] == "processing")
        status, *rest, tasks = expected[key]
        expected[key] = ("queued", *rest, [(i, "queued" if s == TaskStatus.LEASED else s, *more)
                                           for i, s, *more in tasks])
        assert after == expected
        [b] = [job for job in target.jobs() if job.path.endswith("b.srt")]
        assert target.document_source(b.document_id) == source_bytes
        leased = target.lease("host-a", 100, 60)
        assert sorted((t.language, t.chunk_index) for t in leased) == [("de", 1), ("de", 2)]
        target.release("host-a")
        after = snapshot(target)  # the lease made that job processing again

    code, again = run_json(capsys, "store", "migrate", "--to", postgres_url, "--config", str(config),
                           "--data-dir", str(populated.data_dir))
    assert code == 0
    assert (again["documents"], again["jobs"], again["tasks"], again["documents_present"], again["jobs_present"]) == \
        (0, 0, 0, 3, 4)
    with open_store(postgres_url, tmp_path) as target:
        assert snapshot(target) == after


def test_migrate_refuses_what_it_cannot_do(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    isolate(monkeypatch, tmp_path)
    config = write_config(tmp_path)
    code, _, err = run_cli(capsys, "store", "migrate", "--to", "sqlite:///x", "--config", str(config))
    assert code == 2 and "postgresql://" in err
    code, _, err = run_cli(capsys, "store", "migrate", "--to", "postgresql://nobody@/db", "--config", str(config),
                           "--data-dir", str(tmp_path / "empty"))
    assert code == 2 and "no SQLite queue to migrate" in err
