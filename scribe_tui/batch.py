"""Headless runs: ``scribe-tui --batch`` and ``scribe-tui translate``. Enqueue, run the
supervisor until the queue drains, print the summary, exit with the contract's code."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from scribe_tui.context import CommandContext
from scribe_tui.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, ScribeError, UsageError
from scribe_tui.languages import parse_languages
from scribe_tui.store import FAILED_JOB_STATUSES, PRIORITIES, UNFINISHED_JOB_STATUSES, StoreUnavailable


def register_translate(p: argparse.ArgumentParser) -> None:
    from scribe_tui.arguments import add_common_options, add_run_options

    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories to translate")
    p.add_argument("--async", dest="async_", action="store_true",
                   help="only enqueue and return at once; a running or later supervisor does the work")
    p.add_argument("--from-list", type=Path, metavar="FILE",
                   help="enqueue from a CSV or JSON Lines list of path,language[,priority] rows")
    p.add_argument("--dry-run", action="store_true", help="report documents, chunks, tokens, cost and time; enqueue nothing")
    p.add_argument("--max-cost", type=float, metavar="USD", help="cap this run's spend at USD (each chunk's estimated cost is reserved before it is sent); the rest stays queued")
    add_run_options(p)
    add_common_options(p, json_help="print the summary as one JSON object on stdout")


def run_translate(args: argparse.Namespace) -> int:
    if not args.paths and not args.from_list:
        raise UsageError("translate: give at least one PATH or --from-list FILE")
    if args.async_:
        return _enqueue_only(args)
    return run_batch(args)


def run_batch(args: argparse.Namespace) -> int:
    if not args.dry_run:
        from scribe_tui.engine.warm_start import warm_up

        warm_up()  # the workers' modules load while the configuration and the documents are read
    ctx = CommandContext.from_args(args)
    languages = _languages(args)
    if getattr(args, "max_cost", None) is not None and args.max_cost <= 0:
        raise UsageError("--max-cost must be a positive amount in USD")
    if args.dry_run:
        from scribe_tui.dryrun import dry_run

        return dry_run(ctx, args.paths, languages, provider=args.provider, as_json=ctx.json)
    from scribe_tui.logs import configure_logging

    configure_logging(ctx.data_dir, verbose=ctx.verbose, level=ctx.settings.log.level)
    return BatchRun(ctx, args, languages).run()


def _languages(args: argparse.Namespace) -> list[str]:
    if args.to:
        return parse_languages(args.to)
    if args.paths:
        raise UsageError("--to is required with PATHs, e.g. --to he,de")
    return []


def _enqueue_only(args: argparse.Namespace) -> int:
    from scribe_tui.engine.store_commands import StoreCommands

    ctx = CommandContext.from_args(args)
    languages = _languages(args)
    ctx.settings.require_api_keys([args.provider or ctx.settings.default_provider])
    commands = StoreCommands(ctx.settings)
    report, job_ids = _enqueue(commands.store, ctx, args, languages)
    rewrite_missing_outputs(commands.store, job_ids)
    _print_enqueue_report(report, job_ids, ctx.json)
    return EXIT_OK if not report.errors else EXIT_FAILED


def _enqueue(store: Any, ctx: CommandContext, args: argparse.Namespace, languages: list[str]) -> tuple[Any, list[int]]:
    from scribe_tui.engine.intake import enqueue_items, enqueue_paths

    reports, job_ids = [], []
    options = {"provider": args.provider, "output_dir": args.output_dir}
    if args.paths:
        report, ids = enqueue_paths(store, ctx.settings, args.paths, languages, priority=PRIORITIES[args.priority],
                                    **options)
        reports.append(report)
        job_ids += ids
    if getattr(args, "from_list", None):
        items, bad = _list_items(args.from_list)
        report, ids = enqueue_items(store, ctx.settings, items, **options)
        reports.append(dataclasses.replace(report, errors=report.errors + bad))
        job_ids += ids
    return _merge(reports), job_ids


def _list_items(list_file: Path) -> tuple[list[Any], tuple[tuple[str, str], ...]]:
    """The jobs a --from-list file asks for (one layout for the whole list) and its bad rows."""
    from scribe_tui.engine.intake import IntakeItem, sources_for_rows
    from scribe_tui.job_list import read_job_list

    rows, bad = read_job_list(list_file)
    for line, reason in bad:
        print(f"scribe-tui: {list_file}:{line}: {reason}", file=sys.stderr)
    sources = sources_for_rows([row.path for row in rows])
    items = [IntakeItem(source, row.language, row.priority) for row in rows for source in sources[row.path]]
    return items, tuple((f"{list_file}:{line}", reason) for line, reason in bad)


def _merge(reports: list[Any]) -> Any:
    from scribe_tui.engine.api import EnqueueReport

    return EnqueueReport(
        documents=sum(r.documents for r in reports), jobs_created=sum(r.jobs_created for r in reports),
        jobs_existing=sum(r.jobs_existing for r in reports),
        skipped=tuple(s for r in reports for s in r.skipped), errors=tuple(e for r in reports for e in r.errors),
        retargeted=sum(r.retargeted for r in reports), converted=tuple(c for r in reports for c in r.converted),
        symlinks=tuple(s for r in reports for s in r.symlinks))


def _print_enqueue_report(report: Any, job_ids: list[int], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"documents": report.documents, "jobs_created": report.jobs_created,
                          "jobs_existing": report.jobs_existing, "job_ids": sorted(set(job_ids)),
                          "retargeted": report.retargeted, "skipped": list(report.skipped),
                          "symlinks_skipped": list(report.symlinks), "converted": converted_list(report),
                          "errors": [list(e) for e in report.errors]}))
        return
    print(f"enqueued {report.jobs_created} new job(s) for {report.documents} document(s)"
          f" ({report.jobs_existing} already queued or done)", file=sys.stderr)
    _print_rejections(report)


def converted_list(report: Any) -> list[dict[str, str]]:
    return [{"path": path, "encoding": encoding} for path, encoding in report.converted]


def _print_rejections(report: Any) -> None:
    if report.skipped:
        print(f"skipped {len(report.skipped)} file(s) with unsupported extensions", file=sys.stderr)
    if report.symlinks:
        print(f"skipped {len(report.symlinks)} symbolic link(s) inside directories (not followed; name a link "
              f"as a PATH to translate its target): {', '.join(report.symlinks)}", file=sys.stderr)
    if report.retargeted:
        print(f"{report.retargeted} job(s) already in the queue now write to this run's output directory",
              file=sys.stderr)
    for path, reason in report.errors:
        print(f"scribe-tui: {path}: {reason}", file=sys.stderr)


def rewrite_missing_outputs(store: Any, job_ids: list[int]) -> None:
    """A completed job whose output file is missing (deleted, or the job was just re-targeted
    by -o) is written again from the store; no request is sent."""
    from scribe_tui.engine.output import assemble

    for job_id in set(job_ids):
        job = store.job(job_id)
        if job is not None and job.status == "completed" and job.output_path and not Path(job.output_path).exists():
            assemble(store, job_id)


class BatchRun:
    """One headless run of the supervisor, from enqueue to summary."""

    def __init__(self, ctx: CommandContext, args: argparse.Namespace, languages: list[str]):
        self.ctx = ctx
        self.args = args
        self.languages = languages
        self.interrupted = threading.Event()

    def run(self) -> int:
        from scribe_tui.engine.supervisor import Supervisor
        from scribe_tui.observability.observers import Observers

        settings = self.ctx.settings
        supervisor = Supervisor(settings, read_cache=not self.args.no_cache, max_cost_usd=self.args.max_cost,
                                verbose=self.ctx.verbose)
        supervisor.claim()  # exit 2 at once if another supervisor runs on this data dir
        store = supervisor.store
        scope = {job.id for status in UNFINISHED_JOB_STATUSES for job in store.jobs(status=status)}
        self.scope = scope
        previous = self._install_signal_handlers()
        observers = Observers(supervisor, settings)
        try:
            # Workers start while the documents are read: the first chunk finds one ready.
            supervisor.start(providers=[self.args.provider or settings.default_provider])
            report, job_ids = _enqueue(store, self.ctx, self.args, self.languages)
            supervisor.wake()  # new work: dispatch it now, and the queue is not drained before it
            _print_rejections(report)
            scope |= set(job_ids)
            rewrite_missing_outputs(store, job_ids)
            self._wait(supervisor)
        finally:
            supervisor.stop()
            self._restore_signal_handlers(previous)
            observers.close_exporter()
        if isinstance(supervisor.error, StoreUnavailable):
            raise supervisor.error  # one line, exit 1: the work stays queued in the store
        if supervisor.error is not None:  # one line, before a summary the store may not give
            print(f"scribe-tui: error: {_one_line(supervisor.error)}", file=sys.stderr)
        summary = build_summary(store, scope, supervisor.totals(), parked=supervisor.parked,
                                stopped=supervisor.stop_reason, max_cost_usd=self.args.max_cost)
        summary["converted"] = converted_list(report)
        observers.batch_finished(summary)
        observers.close()
        self._print_summary(summary)
        if supervisor.error is not None:
            return EXIT_FAILED
        if self.interrupted.is_set():
            print("interrupted: unfinished work stays queued and resumes on the next run", file=sys.stderr)
            return EXIT_INTERRUPTED
        return EXIT_OK if summary["completed"] == summary["jobs"] - summary["cancelled"] else EXIT_FAILED

    def _wait(self, supervisor: Any) -> None:
        from scribe_tui.batch_progress import progress_reporter

        with progress_reporter(supervisor, self.scope) as progress:
            while not self.interrupted.is_set():
                if supervisor.wait_until_drained(timeout=0.25):
                    break
                progress.update()

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum: int, frame: Any) -> None:
            if self.interrupted.is_set():
                raise KeyboardInterrupt  # a second Ctrl-C: stop waiting for in-flight chunks
            self.interrupted.set()
            print("\nstopping: finishing in-flight chunks (Ctrl-C again to stop at once)…", file=sys.stderr)

        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
        return previous

    def _restore_signal_handlers(self, previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _print_summary(self, summary: dict[str, Any]) -> None:
        if self.ctx.json:
            print(json.dumps(summary))
            return
        from scribe_tui.batch_progress import format_summary

        print(format_summary(summary), file=sys.stderr)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if isinstance(error, ScribeError) else f"the run stopped: {type(error).__name__}: {text}"


def build_summary(store: Any, scope: set[int], totals: dict[str, float], *, parked: int,
                  stopped: str | None = None, max_cost_usd: float | None = None) -> dict[str, Any]:
    """The ``--json`` summary (DESIGN.md) over the jobs this run covered. ``stopped`` says why
    dispatch ended before the queue drained (the --max-cost cap); those jobs are not parked."""
    jobs = store.jobs(ids=scope)
    by_status: dict[str, int] = {}
    for job in jobs:
        by_status[job.status] = by_status.get(job.status, 0) + 1
    failures = [{"job_id": j.id, "document": j.path, "language": j.target_language, "status": j.status,
                 "error": j.error_message} for j in jobs if j.status in FAILED_JOB_STATUSES]
    unfinished = sum(by_status.get(status, 0) for status in UNFINISHED_JOB_STATUSES)
    return {
        "completed": by_status.get("completed", 0),
        "failed": sum(by_status.get(status, 0) for status in FAILED_JOB_STATUSES),
        "dead": by_status.get("dead", 0),
        "cancelled": by_status.get("cancelled", 0),
        "unfinished": unfinished,
        "parked": parked if unfinished and not stopped else 0,
        "stopped": stopped,
        "max_cost_usd": max_cost_usd,
        "jobs": len(jobs),
        "documents": len({j.document_id for j in jobs}),
        "chunks": sum(j.chunks_total for j in jobs),
        "cache_hits": int(totals.get("cache_hits", 0)),
        "requests": int(totals.get("requests", 0)),
        "retries": int(totals.get("retries", 0)),
        "rate_limited": int(totals.get("rate_limited", 0)),
        "worker_restarts": int(totals.get("worker_restarts", 0)),
        "duration_s": float(totals.get("duration_s", 0.0)),
        "tokens_in": int(totals.get("tokens_in", 0)),
        "tokens_out": int(totals.get("tokens_out", 0)),
        "characters": int(totals.get("characters", 0)),
        "cost_usd": round(float(totals.get("cost_usd", 0.0)), 6),
        "failures": failures,
        "output_dirs": _output_roots(jobs),
    }


def _output_roots(jobs: list[Any]) -> list[str]:
    """Where this run's translations are: each language's directory under the output dir."""
    roots = set()
    for job in jobs:
        if job.status == "completed" and job.output_path:
            path = Path(job.output_path)
            parts = path.parts
            if job.target_language in parts:  # <output-dir>/<lang>/<relative path>
                index = len(parts) - 1 - parts[::-1].index(job.target_language)
                roots.add(str(Path(*parts[: index + 1])))
    return sorted(roots)
