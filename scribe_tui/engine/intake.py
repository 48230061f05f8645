"""Turning paths into durable jobs: discover files, read and chunk each document, store
it once, and enqueue one job per target language. A document that cannot be read becomes
a visible failed job; the run goes on."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine.api import EnqueueReport
from scribe_tui.errors import DocumentError
from scribe_tui.store import ChunkSpec, JobStoreAPI

log = structlog.get_logger("scribe_tui.intake")


def chunk_specs(document: object, settings: Settings) -> list[ChunkSpec]:
    from scribe_tui.documents import make_chunks

    chunks = make_chunks(document.segments, settings.chunking.max_tokens, settings.chunking.context_tokens)  # type: ignore[attr-defined]
    specs = []
    for chunk in chunks:
        fields = dataclasses.asdict(chunk)
        meta = {k: v for k, v in fields.items() if k not in ("index", "text", "context")}
        specs.append(ChunkSpec(idx=chunk.index, text=chunk.text, context=chunk.context,
                               token_estimate=chunk.token_estimate, meta=meta))
    return specs


def enqueue_paths(store: JobStoreAPI, settings: Settings, paths: Sequence[Path], languages: Sequence[str], *,
                  priority: int = 0, provider: str | None = None, output_dir: Path | None = None) -> tuple[EnqueueReport, list[int]]:
    """Enqueue every supported file under ``paths`` into each language. Returns the report
    and the ids of every job this covers (new or already there)."""
    from scribe_tui.documents import discover, output_path, parse_document

    provider_name = provider or settings.default_provider
    provider_config = settings.provider(provider_name)
    model = provider_config.model or provider_config.kind
    out_root = Path(output_dir or settings.output_dir)
    discovery = discover(list(paths))
    created = existing = 0
    errors: list[tuple[str, str]] = []
    job_ids: list[int] = []
    for source in discovery.files:
        targets = {lang: str(output_path(out_root, lang, source)) for lang in languages}
        try:
            data = source.path.read_bytes()
            document = parse_document(source.path.name, data)
            specs = chunk_specs(document, settings)
        except (DocumentError, OSError) as exc:
            reason = str(exc) if isinstance(exc, DocumentError) else f"cannot read: {exc.strerror or exc}"
            errors.append((str(source.path), reason))
            log.warning("document rejected", path=str(source.path), reason=reason)
            for lang, target in targets.items():
                job_ids.append(store.add_failed_job(str(source.path), lang, provider_name, model, reason, output_path=target))
            continue
        document_id = store.add_document(path=str(source.path), source=data, content_hash=document.content_hash,
                                         format=document.format, chunks=specs)
        for lang, target in targets.items():
            result = store.enqueue(document_id, lang, provider_name, model, priority=priority,
                                   language_priority=settings.language_priority(lang), output_path=target)
            job_ids.append(result.job_id)
            if result.created:
                created += 1
            else:
                existing += 1
    report = EnqueueReport(documents=len(discovery.files), jobs_created=created, jobs_existing=existing,
                           skipped=tuple(str(p) for p in discovery.skipped), errors=tuple(errors))
    return report, job_ids
