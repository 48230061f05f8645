"""Writing a finished job's output: rebuild the document from its stored source and the
chunk translations, refuse anything missing or doubled, write atomically."""

from __future__ import annotations

from pathlib import Path

from scribe_tui.errors import DocumentError
from scribe_tui.store import JobStore


def assemble(store: JobStore, job_id: int, target: Path | None = None) -> Path:
    """Write job ``job_id``'s translation to its output path (or ``target``); return it.
    Raises DocumentError when the document cannot be rebuilt or written."""
    from scribe_tui.documents import Chunk, parse_document, render_document, write_atomic

    job = store.job(job_id)
    if job is None:
        raise DocumentError(f"job {job_id} does not exist")
    path, _format, source = store.document_source(job.document_id)
    document = parse_document(Path(path).name, source)
    chunks = [Chunk(index=spec.idx, text=spec.text, context=spec.context, **spec.meta)
              for spec in store.chunk_specs(job.document_id)]
    try:
        data = render_document(document, chunks, store.translations(job_id), language=job.language)
    except DocumentError as exc:
        if "do not match the document" in str(exc) or "are not covered" in str(exc):
            raise DocumentError(f"{exc} (the chunks were cut by an older scribe-tui, whose reading of this "
                                f"format differs: cancel job {job_id} and enqueue a fresh copy of the file)") from None
        raise
    destination = Path(target or job.output_path)
    try:
        write_atomic(destination, data)
    except OSError as exc:
        raise DocumentError(f"cannot write {destination}: {exc.strerror or exc}") from None
    return destination
