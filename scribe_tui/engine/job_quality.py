"""A finished job's quality review, just before its output is written: the findings its
chunks carry, plus the whole document's own checks (what short chunks are too short to
show), stored with the job (``jobs.qa``, ``jobs.qa_count``) for the TUI, ``jobs list`` and
``scribe-tui qa``."""

from __future__ import annotations

from scribe_tui.config import Settings
from scribe_tui.engine.quality_gate import qa_context
from scribe_tui.quality import Finding, check_document, from_json, to_json
from scribe_tui.store import JobStoreAPI


def review_job(store: JobStoreAPI, job_id: int, settings: Settings) -> tuple[list[Finding], list[Finding]]:
    """Store job ``job_id``'s findings; return (its chunks' findings, the document's own)."""
    job = store.job(job_id)
    if job is None:
        return [], []
    tasks = store.tasks_of_job(job_id)
    chunks = [finding for task in tasks for finding in from_json(task.qa)]
    kind = settings.providers[job.provider].kind if job.provider in settings.providers else job.provider
    pairs = [(task.text, task.translation or "") for task in tasks if task.translation is not None]
    document = check_document(pairs, qa_context(settings, job.target_language, kind), chunks) if pairs else []
    everything = [*chunks, *document]
    store.record_qa(job_id, to_json(everything) or "[]", len(everything))
    return chunks, document
