"""Two jobs never write the same output path (DESIGN.md, Files and layout).

Before an enqueue stores anything, every job it would create or cover is checked against
the others in the same enqueue and against the jobs already in the store that write the
same path. A collision refuses the whole enqueue (``OutputCollision``, exit 2) naming both
sources; nothing is stored. The rules:

* two documents of this enqueue with one output path always collide;
* a job already queued or processing for that path collides, whatever its source (the same
  file under another provider, or an older version of an edited file still in the queue);
* a finished job (completed, failed, dead) for that path collides when it translated
  *another* source file; a newer version of the *same* file, or the same file through
  another provider, replaces its translation (that is what re-running a batch is for);
* cancelled jobs and jobs of documents that could not be read never write, so never collide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scribe_tui.errors import UsageError
from scribe_tui.store import OutputClaim
from scribe_tui.store.models import UNFINISHED_JOB_STATUSES, JobStatus


@dataclass(frozen=True)
class PlannedJob:
    """A job an enqueue is about to create (or find already there)."""

    output_path: str
    source: str  # absolute path of the source file
    content_hash: str | None  # None: the file is unreadable or too big, so the job never writes
    language: str
    provider: str
    model: str


class OutputCollision(UsageError):
    """An enqueue would let two jobs write one output path; nothing was enqueued."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        lines = "\n  ".join(self.problems)
        super().__init__(
            f"refusing to enqueue: {len(self.problems)} output path(s) would be written by two jobs "
            f"(nothing was enqueued; use -o DIR to put these translations elsewhere):\n  {lines}")


def check_claims(planned: Sequence[PlannedJob], claims: Iterable[OutputClaim]) -> None:
    """Raise OutputCollision when ``planned`` jobs collide with each other or with ``claims``."""
    problems: list[str] = []
    writers: dict[str, PlannedJob] = {}
    for job in planned:
        if job.content_hash is None:
            continue
        first = writers.setdefault(job.output_path, job)
        if first is not job:
            problems.append(f"{job.output_path}: written by both {first.source} and {job.source}")
    for claim in claims:
        job = writers.get(claim.output_path)
        if job is not None and (problem := _conflict(job, claim)):
            problems.append(problem)
    if problems:
        raise OutputCollision(problems)


def _conflict(job: PlannedJob, claim: OutputClaim) -> str | None:
    assert job.content_hash is not None
    if not claim.readable or claim.status == JobStatus.CANCELLED:
        return None
    if claim.same_job(job.source, job.content_hash, job.language, job.provider, job.model):
        return None
    held = f"job {claim.job_id}, {claim.status}, provider {claim.provider}"
    if claim.status in UNFINISHED_JOB_STATUSES:
        if claim.path == job.source and claim.content_hash != job.content_hash:
            return (f"{job.output_path}: an older version of {job.source} is still {claim.status} as job "
                    f"{claim.job_id}; let it finish or cancel it (scribe-tui jobs cancel {claim.job_id}) first")
        return (f"{job.output_path}: {job.source} (provider {job.provider}) and {claim.path} ({held}) "
                f"would both write it")
    if claim.path != job.source:
        return (f"{job.output_path}: already holds the translation of {claim.path} ({held}); "
                f"{job.source} would overwrite it")
    return None
