"""``scribe-tui progress DOCUMENT``: one document (by id or path), per target language:
status, chunks done/total, chunks failed, attempts, cost, error."""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import Column, fmt_cost, pct, print_json, render_table, terminal_width
from scribe_tui.errors import EXIT_OK, ScribeError
from scribe_tui.store import FAILED_TASK_STATUSES

COLUMNS = (Column("lang"), Column("job", "right"), Column("status"), Column("chunks", "right"), Column("done", "right"),
           Column("failed", "right"), Column("attempts", "right"), Column("provider"), Column("cost", "right"),
           Column("error", flexible=True, min_width=12))


class UnknownDocument(ScribeError):
    """No document has this id or path (exit 1)."""


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("document", metavar="DOCUMENT", help="a document id (see jobs list --json) or the path of a document")
    add_common_options(p)


def _same_path(stored: str, wanted: Path) -> bool:
    try:
        return Path(stored) == wanted or Path(stored).resolve() == wanted.resolve()
    except OSError:
        return False


def find_jobs(store: Any, document: str) -> dict[int, list[Any]]:
    """Document id → its jobs, for the documents ``document`` names (an id, else a path)."""
    text = document.strip()
    if text.isdigit():
        by_id = [row for row in store.jobs() if row.document_id == int(text)]
        if by_id:
            return {int(text): by_id}
    wanted = Path(text).expanduser()
    candidates = store.jobs(text=wanted.name) if wanted.name else []
    matches: dict[int, list[Any]] = defaultdict(list)
    for row in candidates:
        if _same_path(row.path, wanted):
            matches[row.document_id].append(row)
    if not matches:
        raise UnknownDocument(f"progress: no document with id or path {document!r} (see scribe-tui jobs list)")
    return dict(matches)


def language_progress(store: Any, row: Any) -> dict[str, Any]:
    tasks = store.tasks_of_job(row.id)
    failed = sum(1 for task in tasks if task.status in FAILED_TASK_STATUSES)
    total = row.chunks_total or len(tasks)
    return {
        "job_id": row.id, "status": row.status, "provider": row.provider, "model": row.model,
        "chunks_done": row.chunks_done, "chunks_total": total, "chunks_failed": failed,
        "attempts": row.attempts, "cost_usd": row.cost_usd, "error": row.error_message,
        "output_path": row.output_path, "wait_reason": row.wait_reason, "wait_until": row.wait_until,
    }


def document_report(store: Any, document_id: int, rows: list[Any]) -> dict[str, Any]:
    first = rows[0]
    languages = {row.target_language: language_progress(store, row) for row in sorted(rows, key=lambda r: (r.target_language, r.id))}
    return {"document_id": document_id, "path": first.path, "format": first.format,
            "document_error": first.document_error, "languages": languages}


def render_document(report: dict[str, Any], *, width: int | None = None) -> str:
    head = f"document {report['document_id']}: {report['path']} ({report['format']})"
    if report["document_error"]:
        head += f"\n  unreadable: {report['document_error']}"
    rows = [[lang, str(p["job_id"]), p["status"], f"{p['chunks_done']}/{p['chunks_total']}",
             pct(p["chunks_done"], p["chunks_total"]), str(p["chunks_failed"]), str(p["attempts"]),
             p["provider"], fmt_cost(p["cost_usd"]), p["error"] or ""] for lang, p in report["languages"].items()]
    return head + "\n" + render_table(COLUMNS, rows, width=width)


def run(args: argparse.Namespace) -> int:
    with command_context(args) as ctx:
        store = ctx.store
        found = find_jobs(store, args.document)
        reports = [document_report(store, doc_id, rows) for doc_id, rows in sorted(found.items(), reverse=True)]
    if ctx.json:
        print_json({"documents": reports})
    else:
        print("\n\n".join(render_document(report, width=terminal_width()) for report in reports))
    return EXIT_OK
