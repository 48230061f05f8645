"""What only the PostgreSQL store has to prove (its contract tests run with SQLite's, through
the parametrized ``store`` fixture): the database's clock rules leases whatever a host's
clock says, every session is pinned to UTC, schema migration happens once and refuses a
newer database, and an unreachable server is one clear ``StoreUnavailable`` line, after
which the same store works again once the server is back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scribe_tui.store import ChunkSpec, StoreError, StoreUnavailable, open_store

pytestmark = pytest.mark.usefixtures("postgres_server")


def add_job(store, chunks: int = 2) -> int:  # type: ignore[no-untyped-def]
    doc = store.add_document("a.txt", b"x", "h", "txt", [ChunkSpec(i, f"t{i}", "", 1, {}) for i in range(chunks)])
    return store.enqueue(doc, "de", "demo", "m", output_path="o").job_id


def test_leases_follow_the_database_clock_not_the_hosts(postgres_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(postgres_url, tmp_path) as store:
        add_job(store)
        db_now = store.clock()
        monkeypatch.setattr(time, "time", lambda: db_now + 3600.0)  # this host's clock is an hour fast
        [task] = store.lease("fast-host", 1, 30)
        assert db_now <= task.lease_expires - 30 < db_now + 5
        assert store.reclaim_expired() == 0       # a fast host does not see the lease as expired
        assert store.runnable_count() == 1
        monkeypatch.setattr(time, "time", lambda: db_now - 3600.0)  # and a slow one does not hold it longer
        assert store.renew("fast-host", None, 30) == 1
        assert store.tasks_of_job(task.job_id)[0].lease_expires >= db_now + 30


def test_every_connection_is_pinned_to_utc(postgres_url: str, tmp_path: Path) -> None:
    with open_store(postgres_url + "&options=-c%20TimeZone%3DAsia/Jerusalem", tmp_path) as store:
        assert store._scalar("SHOW TimeZone") == "UTC"  # noqa: SLF001


def test_stores_opening_a_new_database_together_migrate_it_once(postgres_url: str, tmp_path: Path) -> None:
    barrier = threading.Barrier(4)
    found: list[int] = []

    def open_one() -> None:
        barrier.wait(timeout=30)
        with open_store(postgres_url, tmp_path) as store:
            found.append(store.migrated_from)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    from scribe_tui.store.postgres import SCHEMA_VERSION

    assert sorted(found) == [0] + [SCHEMA_VERSION] * 3


def test_a_database_from_a_newer_scribe_is_refused(postgres_url: str, tmp_path: Path) -> None:
    with open_store(postgres_url, tmp_path) as store:
        store._execute("UPDATE scribe_schema SET version = version + 1")  # noqa: SLF001
    with pytest.raises(StoreError, match="newer than this scribe-tui"):
        open_store(postgres_url, tmp_path)


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://scribe:s3cret@/nowhere?host={tmp_path}"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url, tmp_path)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message and "scribe:***@" in message


def test_the_store_survives_a_server_restart(postgres_server, postgres_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from scribe_tui.store.postgres import connection

    monkeypatch.setattr(connection, "CHECKOUT_TIMEOUT_S", 2.0)
    with open_store(postgres_url, tmp_path) as store:
        job_id = add_job(store)
        store._pool.timeout = 2.0  # noqa: SLF001
        postgres_server.pg_ctl_stop("fast")
        try:
            with pytest.raises(StoreUnavailable) as caught:
                store.lease("w", 1, 60)
            assert "\n" not in str(caught.value)
        finally:
            postgres_server.pg_ctl_start()
        deadline = time.monotonic() + 30
        while True:  # the pool reconnects on its own
            try:
                leased = store.lease("w", 5, 60)
                break
            except StoreUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert [t.job_id for t in leased] == [job_id, job_id]


def test_text_postgres_cannot_hold_is_a_store_error(postgres_url: str, tmp_path: Path) -> None:
    with open_store(postgres_url, tmp_path) as store, pytest.raises(StoreError, match="a.txt"):
        store.add_document("a.txt", b"x", "h", "txt", [ChunkSpec(0, "nul \x00 inside", "", 1, {})])


def test_the_postgres_store_implements_the_interface_signature_for_signature(postgres_url: str, tmp_path: Path) -> None:
    import inspect

    from scribe_tui.store import JobStoreAPI
    from scribe_tui.store.postgres import PostgresJobStore

    with open_store(postgres_url, tmp_path) as store:
        assert isinstance(store, JobStoreAPI)
    for name, value in vars(JobStoreAPI).items():
        if callable(value) and not name.startswith("_"):
            assert str(inspect.signature(getattr(PostgresJobStore, name))) == str(inspect.signature(value)), name
