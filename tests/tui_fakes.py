"""A SupervisorAPI for TUI tests: commands and listings go to a real JobStore in tmp_path
(real SQLite, the real intake path for enqueue); what needs live worker processes — the
snapshot's workers, providers and throughput, and the event stream — is scripted, with a
fixed clock so that screenshots are deterministic."""

from __future__ import annotations

import queue
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from scribe_tui.config import Settings, load_settings
from scribe_tui.engine.api import EnqueueReport, Event, ProviderInfo, Snapshot, WorkerInfo
from scribe_tui.engine.intake import enqueue_paths
from scribe_tui.store import JobStore, TaskDone, TaskFail, TaskRetry

NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: every timestamp in the fixtures is relative to it


def fixed_clock() -> float:
    return NOW


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "data", "output_dir": tmp_path / "out", "workers": 1,
                                 "chunking": {"max_tokens": 50, "context_tokens": 10},
                                 "cache": {"dir": str(tmp_path / "cache")}}
    values.update(overrides)
    return load_settings(None, **values)


@dataclass
class Scripted:
    """The parts of a Snapshot a test decides."""

    workers: tuple[WorkerInfo, ...] = ()
    providers: tuple[ProviderInfo, ...] = ()
    chunks_per_min: tuple[float, ...] = ()
    tokens_per_min: tuple[float, ...] = ()
    rate_limit_per_min: float | None = 600.0
    eta_s: float | None = None
    totals: dict[str, float] = field(default_factory=dict)


class FakeEngine:
    """SupervisorAPI over a real JobStore; records every call it is given."""

    def __init__(self, settings: Settings, scripted: Scripted | None = None, *, attached: bool = False,
                 now: float = NOW):
        self.settings = settings
        self.data_dir = settings.resolved_data_dir()
        self.scripted = scripted or Scripted()
        self.attached = attached
        self.now = now
        self.target_workers = 1
        self.calls: list[tuple[str, object]] = []
        self.events: queue.Queue[Event] = queue.Queue()
        self._local = threading.local()
        self._stores: list[JobStore] = []
        self._lock = threading.Lock()

    @property
    def store(self) -> JobStore:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = JobStore.open(self.data_dir)
            with self._lock:
                self._stores.append(store)
        return store

    # ---- commands ---------------------------------------------------------------------------
    def enqueue(self, paths: list[Path], languages: list[str], *, priority: int = 0,
                provider: str | None = None, output_dir: Path | None = None) -> EnqueueReport:
        self.calls.append(("enqueue", (tuple(paths), tuple(languages), priority, provider)))
        report, _ = enqueue_paths(self.store, self.settings, paths, languages, priority=priority,
                                  provider=provider, output_dir=output_dir)
        return report

    def retry(self, job_ids: list[int] | None = None) -> int:
        self.calls.append(("retry", job_ids))
        return len(self.store.retry(job_ids))

    def cancel(self, job_ids: list[int]) -> list[int]:
        self.calls.append(("cancel", job_ids))
        return self.store.cancel(job_ids)

    def change_priority(self, job_id: int, delta: int) -> None:
        self.calls.append(("change_priority", (job_id, delta)))
        self.store.change_priority(job_id, delta)

    def pause(self) -> None:
        self.calls.append(("pause", None))
        self.store.set_control("paused", True)

    def resume(self) -> None:
        self.calls.append(("resume", None))
        self.store.set_control("paused", False)

    def scale(self, delta: int) -> int:
        self.calls.append(("scale", delta))
        self.target_workers = max(1, self.target_workers + delta)
        return self.target_workers

    # ---- views ------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        store, s = self.store, self.scripted
        return Snapshot(
            ts=self.now, counts=store.job_counts(), chunk_counts=store.task_counts(),
            languages=store.counts_by_language(), workers=s.workers, target_workers=self.target_workers,
            paused=bool(store.get_control("paused", False)), attached=self.attached,
            chunks_per_min=s.chunks_per_min, tokens_per_min=s.tokens_per_min,
            rate_limit_per_min=s.rate_limit_per_min, eta_s=s.eta_s, providers=s.providers, totals=s.totals)

    def poll_events(self, timeout: float = 0.1) -> list[Event]:
        events = []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()


# ---- a queue in every state, at fixed times -----------------------------------------------------

PARAGRAPH = ("Good morning everyone. Today we look at how rivers shape the valleys they run through, "
             "and why the oldest channels are often the deepest ones.")


def write_documents(directory: Path, count: int, paragraphs: int = 4) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, count + 1):
        path = directory / f"lecture-{number:02d}.txt"
        body = "\n\n".join(f"Part {p + 1} of lecture {number}. {PARAGRAPH}" for p in range(paragraphs))
        path.write_text(body + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _task_ids(store: JobStore, job_id: int) -> list[int]:
    return [task.id for task in store.tasks_of_job(job_id)]


def _translate(store: JobStore, task_ids: list[int], language: str, now: float) -> None:
    results = [TaskDone(task_id=t, translation=f"[{language}] chunk {i}", provider="demo", model="demo-pseudo",
                        tokens_in=120, tokens_out=130) for i, t in enumerate(task_ids)]
    store.record_results(results, max_attempts=5, now=now)


def populate(engine: FakeEngine, docs_dir: Path, *, documents: int = 6, languages: tuple[str, ...] = ("he", "de"),
             now: float = NOW) -> dict[str, int]:
    """Enqueue ``documents`` lectures into ``languages`` and move jobs into every state.

    Returns the job id of each named state: completed, processing, failed, dead, retrying,
    cancelled; the rest stay queued. Timestamps are pinned relative to ``now``."""
    store = engine.store
    engine.enqueue(write_documents(docs_dir, documents), list(languages))
    jobs = sorted(store.jobs(), key=lambda j: (j.path, j.target_language))
    by_name = {(Path(j.path).name, j.target_language): j.id for j in jobs}
    first, second = languages[0], languages[-1]
    ids = {
        "completed": by_name[("lecture-01.txt", first)],
        "completed2": by_name[("lecture-01.txt", second)],
        "processing": by_name[("lecture-02.txt", first)],
        "failed": by_name[("lecture-02.txt", second)],
        "dead": by_name[("lecture-03.txt", first)],
        "retrying": by_name[("lecture-03.txt", second)],
        "cancelled": by_name[("lecture-04.txt", second)],
    }
    for name in ("completed", "completed2"):
        _translate(store, _task_ids(store, ids[name]), first if name == "completed" else second, now - 300)
        store.complete_job(ids[name], f"/out/{name}.txt", now=now - 240)
    processing = _task_ids(store, ids["processing"])
    _translate(store, processing[:2], first, now - 60)
    failed = _task_ids(store, ids["failed"])
    _translate(store, failed[:1], second, now - 200)
    store.record_results([TaskFail(task_id=failed[1], error_class="ProviderError",
                                   message="400 Bad Request: unsupported target language")],
                         max_attempts=5, now=now - 150)
    dead = _task_ids(store, ids["dead"])[0]
    for attempt in range(3):
        store.record_results([TaskRetry(task_id=dead, error_class="RateLimited", message="429 Too Many Requests",
                                        delay_s=0)], max_attempts=3, now=now - 100 + attempt)
    store.record_results([TaskRetry(task_id=_task_ids(store, ids["retrying"])[0], error_class="Timeout",
                                    message="read timed out after 60s", delay_s=30)], max_attempts=5, now=now - 5)
    store.cancel([ids["cancelled"]])
    pin_times(store.path, now)
    lease_one(store, ids["processing"], now)
    return ids


def lease_one(store: JobStore, job_id: int, now: float) -> None:
    """Lease the next chunk of ``job_id`` (the highest-priority job must be it)."""
    leased = store.lease("w1", 1, 120, now=now - 30)
    assert leased and leased[0].job_id == job_id, (leased, job_id)


def pin_times(db_path: Path, now: float) -> None:
    """Give every job fixed timestamps (the store stamps the real clock on enqueue)."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("UPDATE jobs SET created_at = ? - 3600 + id", (now,))
        conn.execute("UPDATE jobs SET started_at = ? - 600 + id WHERE started_at IS NOT NULL OR chunks_done > 0",
                     (now,))
        conn.execute("UPDATE jobs SET completed_at = ? - 120 + id WHERE completed_at IS NOT NULL", (now,))
        conn.commit()
    finally:
        conn.close()


def demo_scripted() -> Scripted:
    return Scripted(
        workers=(WorkerInfo("w1", 41001, "busy", 3, 0.4, 0), WorkerInfo("w2", 41002, "idle", 0, 1.2, 1)),
        providers=(ProviderInfo(name="demo", kind="demo", model="demo-pseudo", circuit="closed", paused_until=None,
                                limit_usage=(("600/minute", 212, 600),), requests=1480, rate_limited=12,
                                latency_p50_ms=310.0, latency_p95_ms=540.0, cost_usd=0.0, concurrency_cap=10,
                                max_concurrency=10),
                   ProviderInfo(name="openai", kind="openai", model="gpt-4o-mini", circuit="open",
                                paused_until=NOW + 20, limit_usage=(("500/minute", 40, 500),
                                                                    ("150000 tokens/minute", 52000, 150000)),
                                requests=220, rate_limited=31, latency_p50_ms=820.0, latency_p95_ms=2400.0,
                                cost_usd=1.37, concurrency_cap=1, max_concurrency=10)),
        chunks_per_min=(0, 40, 120, 180, 210, 190, 205, 212, 198, 220),
        tokens_per_min=(0, 9_000, 26_000, 41_000, 47_000, 43_000, 46_000, 48_000, 44_000, 50_000),
        rate_limit_per_min=600.0, eta_s=754.0,
        totals={"cost_usd": 1.37, "requests": 1700.0},
    )


# ---- waiting for the app in pilot tests -----------------------------------------------------------

async def wait_until(pilot, predicate, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until ``predicate()`` holds (a timeout is a failure, not a speed check:
    generous, for a machine loaded by other test runs)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def _rendered_seq(app) -> int:  # type: ignore[no-untyped-def]
    return app.state.seq if app.state is not None else 0


async def rendered(pilot) -> None:  # type: ignore[no-untyped-def]
    """Ask for a read and wait until a read that started after this call has been rendered."""
    app = pilot.app
    target = app.read_seq
    app.refresh_now()
    await wait_until(pilot, lambda: _rendered_seq(app) > target, "a fresh read rendered")


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every engine call has finished and a poll started after it was rendered."""
    app = pilot.app
    await wait_until(pilot, lambda: all(w.is_finished for w in app.workers if w.group == "engine-call"),
                     "engine calls to finish")
    await wait_until(pilot, lambda: _rendered_seq(app) > app.calls_done_seq, "a read after the engine calls")


async def select_job(pilot, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """Move the Jobs table's cursor to ``job_id`` with the arrow keys."""
    from scribe_tui.tui.widgets.jobs_table import JobsTable

    table = pilot.app.screen.query_one(JobsTable)
    target = table.get_row_index(str(job_id))
    for _ in range(table.row_count):
        if table.selected_job_id == job_id:
            return
        await pilot.press("down" if table.cursor_row < target else "up")
    assert table.selected_job_id == job_id, f"the cursor did not reach job {job_id}"
