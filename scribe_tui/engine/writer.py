"""Writing finished jobs' outputs off the control loop: assembling a document and fsyncing
it takes milliseconds, and the loop must keep dispatching meanwhile. A small thread pool,
each thread with its own store connection, reviews the job's quality (``job_quality``), writes
it and records the job as completed — or, under ``[qa] on_problem = "fail"``, fails a job whose
whole document shows a problem, without writing it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.job_quality import review_job
from scribe_tui.engine.output import assemble
from scribe_tui.errors import DocumentError
from scribe_tui.store import JobStoreAPI, PerThreadStores
from scribe_tui.tracing import record_span, tracing_enabled

log = structlog.get_logger("scribe_tui.writer")

WRITER_THREADS = 4  # the work is mostly waiting on fsync


class OutputWriter:
    def __init__(self, data_dir: Path, emit: Callable[[api.Event], None], settings: Settings | None = None):
        self.data_dir = data_dir
        self.settings = settings
        self.emit = emit
        self._pool = ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="scribe-writer")
        self._stores = PerThreadStores(data_dir, settings.store_url if settings is not None else None)
        self._lock = threading.Lock()
        self._pending: set[int] = set()

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def submit(self, job_id: int) -> None:
        with self._lock:
            if job_id in self._pending:
                return
            self._pending.add(job_id)
        self._pool.submit(self._write, job_id)

    def _write(self, job_id: int) -> None:
        try:
            store = self._stores.get()
            try:
                self._review(store, job_id)
                path = assemble(store, job_id)
            except DocumentError as exc:
                store.fail_job(job_id, str(exc))
                self.emit(api.JobFinished(job_id=job_id, status="failed", output_path=None, error=str(exc)))
                return
            store.complete_job(job_id, str(path))
            self.emit(api.JobFinished(job_id=job_id, status="completed", output_path=str(path), error=None))
            if tracing_enabled():
                self._trace(store, job_id)
        except Exception as exc:  # the job stays ready to assemble; the next sweep or run retries it
            log.exception("writing output failed", job_id=job_id)
            self.emit(api.Notice(level="error", message=f"job {job_id}: writing its output failed: {exc}"))
        finally:
            with self._lock:
                self._pending.discard(job_id)

    def _review(self, store: JobStoreAPI, job_id: int) -> None:
        """Record the job's quality findings; DocumentError when the policy fails the job."""
        if self.settings is None:
            return
        _chunks, document = review_job(store, job_id, self.settings)
        if document and self.settings.qa.on_problem == "fail":
            raise DocumentError("quality: " + "; ".join(f"{item.check}: {item.message}" for item in document))

    @staticmethod
    def _trace(store: JobStoreAPI, job_id: int) -> None:
        job = store.job(job_id)
        if job is not None and job.started_at and job.completed_at:
            record_span("job", job.started_at, job.completed_at, job_id=job_id, language=job.target_language,
                        provider=job.provider, chunks=job.chunks_total, tokens_in=job.tokens_in,
                        tokens_out=job.tokens_out, cost_usd=job.cost_usd)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._stores.close_all()
