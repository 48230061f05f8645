"""``scribe-tui jobs list|retry|cancel``: look at the queue and change it through the
store, so a supervisor running in another process sees the change at its next lease."""

from __future__ import annotations

import argparse
import time
from typing import Any

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import Column, print_json, render_table, terminal_width
from scribe_tui.context import CommandContext
from scribe_tui.errors import EXIT_FAILED, EXIT_OK, UsageError
from scribe_tui.languages import LANGUAGES, normalise
from scribe_tui.quality import count_label, from_json
from scribe_tui.store import JobStatus

JOB_STATUSES = tuple(status.value for status in JobStatus)
FINAL_UNCANCELLABLE = (JobStatus.COMPLETED, JobStatus.CANCELLED)

LIST_COLUMNS = (
    Column("id", "right"), Column("status"), Column("lang"), Column("chunks", "right"),
    Column("attempts", "right"), Column("qa", "right"), Column("provider"), Column("document", flexible=True, min_width=16, keep_end=True),
    Column("error", flexible=True, min_width=12),
)


def register(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list jobs (a table, or a JSON array with --json)")
    listing.add_argument("--status", metavar="S", help=f"only jobs in these statuses, comma-separated: {', '.join(JOB_STATUSES)}")
    listing.add_argument("--language", metavar="L", help="only jobs into this language code")
    listing.add_argument("--search", metavar="TEXT", help="only documents whose path contains TEXT")
    listing.add_argument("--limit", type=int, metavar="N", help="show at most N jobs")
    listing.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N jobs")
    add_common_options(listing)
    retry = sub.add_parser("retry", help="requeue failed or dead jobs (unfinished chunks start again; done ones are kept)")
    retry.add_argument("--failed", action="store_true", help="every failed and dead job")
    retry.add_argument("job_ids", nargs="*", type=int, metavar="JOB_ID")
    add_common_options(retry)
    cancel = sub.add_parser("cancel", help="cancel jobs (a running supervisor stops their chunks in flight)")
    cancel.add_argument("job_ids", nargs="+", type=int, metavar="JOB_ID")
    add_common_options(cancel)


def run(args: argparse.Namespace) -> int:
    if args.action == "retry":
        check_retry_args(args)
    handler = {"list": run_list, "retry": run_retry, "cancel": run_cancel}[args.action]
    with command_context(args) as ctx:
        return handler(ctx, args)


# ---- list -------------------------------------------------------------------------------------


def _statuses(text: str | None) -> list[str | None]:
    if not text:
        return [None]
    statuses = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [s for s in statuses if s not in JOB_STATUSES]
    if unknown:
        raise UsageError(f"--status: unknown status {unknown[0]!r} (use {', '.join(JOB_STATUSES)})")
    return list(dict.fromkeys(statuses))


def _language(text: str | None) -> str | None:
    if text is None:
        return None
    code = normalise(text)
    if code not in LANGUAGES:
        raise UsageError(f"--language: unknown language code {text!r}")
    return code


def fetch_jobs(store: Any, args: argparse.Namespace) -> list[Any]:
    if (args.limit is not None and args.limit < 0) or args.offset < 0:
        raise UsageError("--limit and --offset must not be negative")
    language = _language(args.language)
    statuses = _statuses(args.status)
    if len(statuses) == 1:
        return store.jobs(status=statuses[0], language=language, text=args.search, limit=args.limit, offset=args.offset)
    rows = [row for status in statuses for row in store.jobs(status=status, language=language, text=args.search)]
    rows.sort(key=lambda row: row.id)
    end = None if args.limit is None else args.offset + args.limit
    return rows[args.offset:end]


def job_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "document_id": row.document_id, "path": row.path, "format": row.format,
        "language": row.target_language, "provider": row.provider, "model": row.model, "status": row.status,
        "priority": row.priority, "effective_priority": row.effective_priority, "attempts": row.attempts,
        "chunks_done": row.chunks_done, "chunks_total": row.chunks_total, "error": row.error_message,
        "created_at": row.created_at, "started_at": row.started_at, "completed_at": row.completed_at,
        "tokens_in": row.tokens_in, "tokens_out": row.tokens_out, "characters": row.characters,
        "cost_usd": row.cost_usd, "output_path": row.output_path, "wait_reason": row.wait_reason,
        "wait_until": row.wait_until, "qa_count": row.qa_count, "qa": [finding.as_dict() for finding in from_json(row.qa)],
    }


def _note(row: Any, now: float) -> str:
    if row.error_message:
        return row.error_message
    if row.wait_reason and row.wait_until and row.wait_until > now:
        return f"waiting ({row.wait_reason}) {row.wait_until - now:.0f}s more"
    return ""


def render_jobs(rows: list[Any], *, width: int | None = None) -> str:
    if not rows:
        return "no jobs"
    now = time.time()
    table = [[str(r.id), r.status, r.target_language, f"{r.chunks_done}/{r.chunks_total}", str(r.attempts),
              count_label(r.qa_count), r.provider, r.path, _note(r, now)] for r in rows]
    return render_table(LIST_COLUMNS, table, width=width)


def run_list(ctx: CommandContext, args: argparse.Namespace) -> int:
    rows = fetch_jobs(ctx.store, args)
    if ctx.json:
        print_json([job_json(row) for row in rows])
    else:
        print(render_jobs(rows, width=terminal_width()))
    return EXIT_OK


# ---- retry and cancel ------------------------------------------------------------------------


def _existing(store: Any, ids: list[int]) -> dict[int, Any]:
    return {job_id: row for job_id in dict.fromkeys(ids) if (row := store.job(job_id)) is not None}


def _report(ctx: CommandContext, action: str, outcome: dict[str, list[int]], lines: list[str], *,
            unchanged_fails: bool = False) -> int:
    if ctx.json:
        print_json({"action": action, **outcome})
    else:
        print("\n".join(lines) if lines else f"nothing to {action}")
    failed = outcome["not_found"] or (unchanged_fails and outcome["unchanged"])
    return EXIT_FAILED if failed else EXIT_OK


def check_retry_args(args: argparse.Namespace) -> None:
    if args.failed and args.job_ids:
        raise UsageError("jobs retry: give --failed or job ids, not both")
    if not args.failed and not args.job_ids:
        raise UsageError("jobs retry: give --failed (every failed and dead job) or one or more job ids")


def run_retry(ctx: CommandContext, args: argparse.Namespace) -> int:
    store = ctx.store
    if args.failed:
        requeued = store.retry(None)
        lines = [f"job {job_id} requeued" for job_id in requeued] or ["no failed or dead jobs to retry"]
        return _report(ctx, "retry", {"requeued": requeued, "unchanged": [], "not_found": []}, lines)
    before = _existing(store, args.job_ids)
    requeued = set(store.retry(list(before)))
    outcome: dict[str, list[int]] = {"requeued": [], "unchanged": [], "not_found": []}
    lines = []
    for job_id in dict.fromkeys(args.job_ids):
        row = before.get(job_id)
        if row is None:
            outcome["not_found"].append(job_id)
            lines.append(f"job {job_id}: no such job")
        elif job_id in requeued:
            outcome["requeued"].append(job_id)
            lines.append(f"job {job_id} requeued")
        else:
            outcome["unchanged"].append(job_id)
            lines.append(f"job {job_id}: {_why_not_retried(row)}")
    return _report(ctx, "retry", outcome, lines, unchanged_fails=True)


def _why_not_retried(row: Any) -> str:
    if row.document_error:
        return "its document could not be read; enqueue the file again"
    if row.status == JobStatus.COMPLETED:
        where = f"; its translation is {row.output_path}" if row.output_path else ""
        return f"not retried: it is already completed, there is nothing to retry{where}"
    return f"not retried: it is {row.status} (only failed, dead or cancelled jobs are)"


def run_cancel(ctx: CommandContext, args: argparse.Namespace) -> int:
    store = ctx.store
    before = _existing(store, args.job_ids)
    found = set(store.cancel(list(before)))
    outcome: dict[str, list[int]] = {"cancelled": [], "unchanged": [], "not_found": []}
    lines = []
    for job_id in dict.fromkeys(args.job_ids):
        row = before.get(job_id)
        if row is None or job_id not in found:
            outcome["not_found"].append(job_id)
            lines.append(f"job {job_id}: no such job")
        elif row.status in FINAL_UNCANCELLABLE:
            outcome["unchanged"].append(job_id)
            lines.append(f"job {job_id}: already {row.status}, left as it is")
        else:
            outcome["cancelled"].append(job_id)
            lines.append(f"job {job_id} cancelled")
    return _report(ctx, "cancel", outcome, lines)
