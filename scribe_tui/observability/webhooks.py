"""Webhook notifications (Slack-compatible ``{"text": …}`` POSTs) when a job is
dead-lettered and when a batch finishes.

Messages go through a queue to one background thread, so the caller never waits on the
network; each POST is tried up to three times with exponential backoff. ``close(timeout)``
flushes what is queued. The webhook URL (it often embeds a token) is never logged.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from scribe_tui.durations import human_duration
from scribe_tui.logs import get_logger

log = get_logger(__name__)

_STOP = object()


@dataclass(frozen=True)
class BatchSummary:
    completed: int
    failed: int
    cancelled: int
    duration_s: float
    cost_usd: float
    documents: int = 0
    chunks: int = 0


def batch_message(summary: BatchSummary) -> str:
    outcome = "finished" if summary.failed == 0 else "finished with failures"
    parts = [f"{summary.completed} completed", f"{summary.failed} failed"]
    if summary.cancelled:
        parts.append(f"{summary.cancelled} cancelled")
    scope = f" ({summary.documents} documents, {summary.chunks} chunks)" if summary.documents else ""
    return (f"scribe-tui batch {outcome}: {', '.join(parts)}{scope} "
            f"in {human_duration(summary.duration_s)}, cost ${summary.cost_usd:.4f}")


def dead_letter_message(job_id: int, error: str | None, *, document: str | None = None, language: str | None = None) -> str:
    what = f"job {job_id}"
    if document:
        what += f" ({document}{' → ' + language if language else ''})"
    reason = (error or "no error recorded").splitlines()[0][:300]
    return f"scribe-tui: {what} was dead-lettered after its last attempt: {reason}"


class Notifier:
    """Posts messages to ``webhook_url`` from a background thread; a no-op when it is None."""

    def __init__(
        self,
        webhook_url: str | None,
        *,
        tries: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 10.0,
        max_queued: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.webhook_url = webhook_url or None
        self.tries = max(1, tries)
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.sent = 0
        self.failed = 0
        self._sleep = sleep
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def enabled(self) -> bool:
        return self.webhook_url is not None

    # ---- what the engine and front ends call ----------------------------------------------

    def dead_lettered(self, job_id: int, error: str | None, *, document: str | None = None, language: str | None = None) -> None:
        self.send(dead_letter_message(job_id, error, document=document, language=language))

    def batch_finished(self, summary: BatchSummary) -> None:
        self.send(batch_message(summary))

    def observe(self, event: object) -> None:
        """Take an engine event; a JobFinished with status ``dead`` becomes a notification."""
        from scribe_tui.engine.api import JobFinished

        if isinstance(event, JobFinished) and event.status == "dead":
            self.dead_lettered(event.job_id, event.error)

    def send(self, text: str) -> None:
        """Queue ``text`` for posting; returns at once (drops the message if the queue is full)."""
        if not self.enabled or self._closed:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(text)
        except queue.Full:
            self.failed += 1
            log.warning("webhook queue full; notification dropped", queued=self._queue.qsize())

    def close(self, timeout: float = 5.0) -> bool:
        """Deliver what is queued (waiting at most ``timeout`` s); True when everything was handled."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return True
        deadline = time.monotonic() + timeout
        while thread.is_alive():
            try:
                self._queue.put(_STOP, timeout=max(0.01, deadline - time.monotonic()))
                break
            except queue.Full:
                if time.monotonic() >= deadline:
                    return False
        thread.join(max(0.0, deadline - time.monotonic()))
        return not thread.is_alive()

    # ---- the background thread --------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="scribe-notifier", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s) as client:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                if self._post_with_retries(client, str(item)):
                    self.sent += 1
                else:
                    self.failed += 1

    def _post_with_retries(self, client: httpx.Client, text: str) -> bool:
        assert self.webhook_url is not None
        for attempt in range(1, self.tries + 1):
            outcome = self._post_once(client, text)
            if outcome == "ok":
                return True
            if outcome == "fatal" or attempt == self.tries:
                break
            self._sleep(self.backoff_s * 2 ** (attempt - 1))
        log.warning("webhook notification not delivered", tries=self.tries)
        return False

    def _post_once(self, client: httpx.Client, text: str) -> str:
        try:
            response = client.post(self.webhook_url or "", json={"text": text})
        except httpx.HTTPError as exc:
            log.info("webhook post failed", error_class=type(exc).__name__)
            return "retry"
        if response.is_success:
            return "ok"
        log.info("webhook post rejected", status=response.status_code)
        if response.status_code == 429 or response.status_code >= 500 or response.status_code == 408:
            return "retry"
        return "fatal"
