"""Turning paths into durable jobs: discover files, plan every job and check that no two
jobs write one output path (claims.py), then read and chunk each document, store it once
and enqueue one job per target language.

A document that cannot be read (not text, broken, bigger than ``max_file_mb``) becomes a
visible failed job and the rest of the enqueue goes on. Output paths are absolute, fixed
at enqueue (a relative ``output_dir`` is resolved against the current directory now, not
when a later run writes). A job that already exists is pointed at the output path this
enqueue computes (``-o`` re-targets it; a completed one is then written again there from
the store, with no request sent).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from scribe_tui.config import Settings
from scribe_tui.documents import Document, SourceFile, discover, make_chunks, output_path, parse_document
from scribe_tui.documents.discovery import absolute, layout_root
from scribe_tui.documents.reader import utf8_source
from scribe_tui.engine.api import EnqueueReport
from scribe_tui.engine.claims import PlannedJob, check_claims
from scribe_tui.engine.queued_providers import remember_config
from scribe_tui.errors import DocumentError
from scribe_tui.store import ChunkSpec, JobStoreAPI, StoreError

log = structlog.get_logger("scribe_tui.intake")

_MB = 1024 * 1024


@dataclass(frozen=True)
class IntakeItem:
    """One source file into one language at one priority."""

    source: SourceFile
    language: str
    priority: int


@dataclass
class _Outcome:
    created: int = 0
    existing: int = 0
    retargeted: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    converted: list[tuple[str, str]] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)


def chunk_specs(document: Document, settings: Settings) -> list[ChunkSpec]:
    chunks = make_chunks(document.segments, settings.chunking.max_tokens, settings.chunking.context_tokens)
    specs = []
    for chunk in chunks:
        fields = dataclasses.asdict(chunk)
        meta = {k: v for k, v in fields.items() if k not in ("index", "text", "context")}
        meta["format"] = document.format
        specs.append(ChunkSpec(idx=chunk.index, text=chunk.text, context=chunk.context,
                               token_estimate=chunk.token_estimate, meta=meta))
    return specs


def enqueue_paths(store: JobStoreAPI, settings: Settings, paths: Sequence[Path], languages: Sequence[str], *,
                  priority: int = 0, provider: str | None = None, output_dir: Path | None = None,
                  encoding: str | None = None) -> tuple[EnqueueReport, list[int]]:
    """Enqueue every supported file under ``paths`` into each language. Returns the report
    and the ids of every job this covers (new or already there). OutputCollision (exit 2)
    when two jobs would write one output path; then nothing is enqueued."""
    discovery = discover(list(paths), require_files=True)
    items = [IntakeItem(source, language, priority) for source in discovery.files for language in languages]
    report, job_ids = enqueue_items(store, settings, items, provider=provider, output_dir=output_dir,
                                    encoding=encoding)
    report = dataclasses.replace(report, documents=len(discovery.files),
                                 skipped=tuple(str(p) for p in discovery.skipped),
                                 symlinks=tuple(str(p) for p in discovery.symlinks))
    return report, job_ids


def sources_for_rows(paths: Sequence[Path]) -> dict[Path, list[SourceFile]]:
    """The files each of ``paths`` names, all laid out relative to their common parent
    (``--from-list``: one row per path and language, one layout for the whole list)."""
    unique = list(dict.fromkeys(Path(path) for path in paths))
    root = layout_root(unique)
    found = {}
    for path in unique:
        files = discover([path]).files
        found[path] = [dataclasses.replace(source, root=root) if root else source for source in files]
    return found


def enqueue_items(store: JobStoreAPI, settings: Settings, items: Sequence[IntakeItem], *,
                  provider: str | None = None, output_dir: Path | None = None,
                  encoding: str | None = None) -> tuple[EnqueueReport, list[int]]:
    """Plan, check and store ``items`` (see the module docstring)."""
    provider_name = provider or settings.default_provider
    provider_config = settings.provider(provider_name)
    model = provider_config.model or provider_config.kind
    out_root = absolute(output_dir or settings.output_dir)
    max_bytes = int(settings.max_file_mb * _MB)
    hashes = {item.source.absolute: _content_hash(item.source.path, max_bytes) for item in items}
    planned = [PlannedJob(str(output_path(out_root, item.language, item.source)), str(item.source.absolute),
                          hashes[item.source.absolute], item.language, provider_name, model) for item in items]
    check_claims(planned, store.output_claims({job.output_path for job in planned}))
    if items:
        remember_config(store, provider_name, settings)
    outcome = _Outcome()
    for source, group in _by_source(items, planned).items():
        _store_source(store, settings, source, group, provider_name, model, encoding, outcome)
    report = EnqueueReport(documents=len({item.source.absolute for item in items}), jobs_created=outcome.created,
                           jobs_existing=outcome.existing, skipped=(), errors=tuple(outcome.errors),
                           retargeted=outcome.retargeted, converted=tuple(outcome.converted))
    return report, outcome.job_ids


def _by_source(items: Sequence[IntakeItem], planned: Sequence[PlannedJob]
               ) -> dict[SourceFile, list[tuple[IntakeItem, PlannedJob]]]:
    groups: dict[SourceFile, list[tuple[IntakeItem, PlannedJob]]] = {}
    for item, job in zip(items, planned, strict=True):
        groups.setdefault(item.source, []).append((item, job))
    return groups


def _content_hash(path: Path, max_bytes: int) -> str | None:
    """sha256 of the file, read in blocks; None when it cannot be read or is over the limit."""
    try:
        if path.stat().st_size > max_bytes:
            return None
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _store_source(store: JobStoreAPI, settings: Settings, source: SourceFile,
                  group: list[tuple[IntakeItem, PlannedJob]], provider: str, model: str,
                  encoding: str | None, outcome: _Outcome) -> None:
    try:
        document, data = read_source(source.path, settings, encoding)
        specs = chunk_specs(document, settings)
        document_id = store.add_document(path=str(source.absolute), source=utf8_source(document, data),
                                         content_hash=document.content_hash, format=document.format, chunks=specs)
    except (DocumentError, StoreError) as exc:
        _reject(store, source, group, provider, model, str(exc), outcome)
        return
    if document.converted:
        outcome.converted.append((str(source.path), document.encoding))
    for item, job in group:
        result = store.enqueue(document_id, item.language, provider, model, priority=item.priority,
                               language_priority=settings.language_priority(item.language),
                               output_path=job.output_path)
        outcome.job_ids.append(result.job_id)
        if result.created:
            outcome.created += 1
            continue
        outcome.existing += 1
        _retarget(store, result.job_id, job.output_path, outcome)


def read_source(path: Path, settings: Settings, encoding: str | None = None) -> tuple[Document, bytes]:
    """The parsed document and its bytes; DocumentError for a file over ``max_file_mb``
    (checked before reading it), unreadable or not valid input."""
    max_mb = settings.max_file_mb
    try:
        size = path.stat().st_size
        if size > int(max_mb * _MB):
            raise DocumentError(f"{path}: {size / _MB:.1f} MB is over max_file_mb = {max_mb:g}; "
                                f"raise max_file_mb in the config to translate it")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_document(path.name, data, encoding=encoding or settings.source_encoding,
                          retranslate=settings.retranslate_po), data


def _reject(store: JobStoreAPI, source: SourceFile, group: list[tuple[IntakeItem, PlannedJob]], provider: str,
            model: str, reason: str, outcome: _Outcome) -> None:
    outcome.errors.append((str(source.path), reason))
    log.warning("document rejected", path=str(source.path), reason=reason)
    for item, job in group:
        try:
            job_id = store.add_failed_job(str(source.absolute), item.language, provider, model, reason,
                                          output_path=job.output_path)
        except (StoreError, sqlite3.Error) as exc:  # the reason itself could not be stored
            log.error("failed job not recorded", path=str(source.path), error=f"{type(exc).__name__}: {exc}")
            continue
        outcome.job_ids.append(job_id)


def _retarget(store: JobStoreAPI, job_id: int, target: str, outcome: _Outcome) -> None:
    job = store.job(job_id)
    if job is not None and job.output_path != target:
        store.set_output_path(job_id, target)
        outcome.retargeted += 1
        log.info("job re-targeted", job_id=job_id, old=job.output_path, new=target)
