"""The commands the keys and the command palette give the engine. Each one becomes a
closure that runs on a background thread (never blocking the UI) and returns the sentence
the user is told when it succeeds; a failure is reported by the app's worker handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scribe_tui.engine.api import EnqueueReport, SupervisorAPI

Call = Callable[[], str]


class Runner(Protocol):
    def run_engine_call(self, description: str, call: Call) -> None: ...


@dataclass(frozen=True)
class AddRequest:
    """What the Add documents screen asks for."""

    paths: tuple[Path, ...]
    languages: tuple[str, ...]
    priority: int
    provider: str | None


def describe_enqueue(report: EnqueueReport) -> str:
    parts = [f"{report.documents} document(s): {report.jobs_created} job(s) queued"]
    if report.jobs_existing:
        parts.append(f"{report.jobs_existing} already there")
    if report.skipped:
        parts.append(f"{len(report.skipped)} unsupported file(s) skipped")
    if report.errors:
        first_path, reason = report.errors[0]
        parts.append(f"{len(report.errors)} unreadable ({Path(first_path).name}: {reason})")
    return ", ".join(parts)


class EngineCalls:
    """Turns each user command into a background call on ``api``."""

    def __init__(self, api: SupervisorAPI, runner: Runner):
        self.api = api
        self.runner = runner

    def retry(self, job_id: int) -> None:
        def call() -> str:
            if self.api.retry([job_id]):
                return f"Job {job_id} requeued"
            return f"Job {job_id} was not retried: only failed, dead or cancelled jobs with a readable document are"
        self.runner.run_engine_call(f"retry job {job_id}", call)

    def retry_all(self) -> None:
        def call() -> str:
            count = self.api.retry(None)
            return f"{count} failed or dead job(s) requeued" if count else "No failed or dead jobs to retry"
        self.runner.run_engine_call("retry all failed jobs", call)

    def cancel(self, job_id: int) -> None:
        def call() -> str:
            found = self.api.cancel([job_id])
            return f"Job {job_id} cancelled" if job_id in found else f"Job {job_id} no longer exists"
        self.runner.run_engine_call(f"cancel job {job_id}", call)

    def change_priority(self, job_id: int, delta: int) -> None:
        def call() -> str:
            self.api.change_priority(job_id, delta)
            return f"Job {job_id} priority {'+' if delta > 0 else ''}{delta}"
        self.runner.run_engine_call(f"change priority of job {job_id}", call)

    def set_paused(self, paused: bool) -> None:
        def call() -> str:
            if paused:
                self.api.pause()
                return "Dispatch paused: chunks in flight finish, no new ones start"
            self.api.resume()
            return "Dispatch resumed"
        self.runner.run_engine_call("pause" if paused else "resume", call)

    def scale(self, delta: int) -> None:
        def call() -> str:
            target = self.api.scale(delta)
            return f"Target workers: {target}"
        self.runner.run_engine_call("scale workers", call)

    def enqueue(self, request: AddRequest) -> None:
        def call() -> str:
            report = self.api.enqueue(list(request.paths), list(request.languages), priority=request.priority,
                                      provider=request.provider)
            return describe_enqueue(report)
        self.runner.run_engine_call("add documents", call)
