"""Progress of a headless run on stderr: per-language and overall bars with throughput and
ETA on a terminal, plain periodic lines otherwise; and the closing summary text."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scribe_tui.store import StoreError, StoreUnavailable

PLAIN_INTERVAL_S = 5.0
_CHUNK_PREFIX = re.compile(r"^chunk \d+: ")


class _Counts:
    """Chunk progress per language over the jobs in scope, read cheaply from the store, and the
    outlook (rate over a sliding minute, ETA from the binding limit: engine/outlook.py). Chunks
    already done when this run started are shown in the totals but never counted as this
    run's throughput."""

    def __init__(self, supervisor: Any, scope: set[int]):
        self.supervisor = supervisor
        self.scope = scope
        self.last: dict[str, tuple[int, int]] = {}
        self.last_outlook: Any = None
        self.started = time.time()
        self.baseline = sum(done for done, _ in self.read().values())

    def read(self) -> dict[str, tuple[int, int]]:
        """Done and total chunks per language; the last figures while the store cannot be reached
        (the supervisor rides the outage out, or stops and says why)."""
        try:
            jobs = self.supervisor.store.jobs(ids=self.scope)
        except StoreUnavailable:
            return self.last
        per_language: dict[str, list[int]] = {}
        for job in jobs:
            done_total = per_language.setdefault(job.target_language, [0, 0])
            done_total[0] += job.chunks_done if job.status != "cancelled" else 0
            done_total[1] += job.chunks_total if job.status != "cancelled" else 0
        self.last = {lang: (d, t) for lang, (d, t) in sorted(per_language.items())}
        return self.last

    def outlook(self) -> Any:
        """Rate and ETA; the last ones while the store cannot be reached (an unknown ETA if
        there are none yet) — progress never ends a run that rides a store outage out."""
        from scribe_tui.engine.outlook import Outlook, outlook

        supervisor = self.supervisor
        try:
            self.last_outlook = outlook(supervisor.store, supervisor.settings, supervisor.data_dir,
                                        scope=self.scope, since=self.started)
        except StoreError:
            if self.last_outlook is None:
                return Outlook(chunks_per_min=0.0, remaining=1, eta_s=None, binding="", paused=False)
        return self.last_outlook

    def this_run(self, done: int) -> int:
        return max(0, done - self.baseline)


def progress_text(counts: dict[str, tuple[int, int]], this_run: int, ahead: Any) -> str:
    """``chunks 60/94 (this run 10, 14/min, ETA 2m10s (limited by 30/minute)) he 30/47 de 30/47``."""
    done = sum(d for d, _ in counts.values())
    total = sum(t for _, t in counts.values())
    langs = " ".join(f"{lang} {d}/{t}" for lang, (d, t) in counts.items())
    eta = "" if done >= total else f", {ahead.eta_text()}"
    waiting = "".join(f"; {line}" for line in ahead.waiting) if done < total else ""
    return f"chunks {done}/{total} (this run {this_run}, {ahead.chunks_per_min:.0f}/min{eta}) {langs}{waiting}"


class _PlainProgress:
    def __init__(self, counts: _Counts, supervisor: Any):
        self.counts = counts
        self.supervisor = supervisor
        self.started = time.monotonic()
        self.next_line = self.started + PLAIN_INTERVAL_S

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if now < self.next_line and not force:
            return
        self.next_line = now + PLAIN_INTERVAL_S
        counts = self.counts.read()
        done = sum(d for d, _ in counts.values())
        text = progress_text(counts, self.counts.this_run(done), self.counts.outlook())
        print(f"[{now - self.started:6.1f}s] {text}", file=sys.stderr, flush=True)


class _RichProgress:
    def __init__(self, counts: _Counts, supervisor: Any):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.counts = counts
        self.supervisor = supervisor
        self.progress = Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.tasks: dict[str, Any] = {}
        self.next_outlook = 0.0
        self.rate = ""
        self.progress.start()

    def update(self, force: bool = False) -> None:
        counts = self.counts.read()
        done = sum(d for d, _ in counts.values())
        total = sum(t for _, t in counts.values())
        if force or time.monotonic() >= self.next_outlook:  # the ETA reads the limits: once a second
            self.next_outlook = time.monotonic() + 1.0
            ahead = self.counts.outlook()
            eta = f" · {ahead.eta_text()}" if done < total else ""
            waiting = f" · {ahead.waiting[0]}" if ahead.waiting and done < total else ""
            self.rate = f"this run {self.counts.this_run(done)} · {ahead.chunks_per_min:.0f}/min{eta}{waiting}"
        rows = {"all": (done, total), **counts}
        for name, (d, t) in rows.items():
            if name not in self.tasks:  # start at what is already done: a resume is not speed
                self.tasks[name] = self.progress.add_task(name, total=t, completed=d, rate="")
            self.progress.update(self.tasks[name], completed=d, total=t, rate=self.rate if name == "all" else "")

    def close(self) -> None:
        self.progress.stop()


@contextmanager
def progress_reporter(supervisor: Any, scope: set[int]) -> Iterator[Any]:
    counts = _Counts(supervisor, scope)
    reporter: Any = _RichProgress(counts, supervisor) if sys.stderr.isatty() else _PlainProgress(counts, supervisor)
    try:
        yield reporter
    finally:
        reporter.update(force=True)
        if isinstance(reporter, _RichProgress):
            reporter.close()


def format_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['completed']} of {summary['jobs']} job(s) completed"
        f" ({summary['documents']} document(s), {summary['chunks']} chunk(s)) in {summary['duration_s']:.1f}s",
        f"requests {summary['requests']}, cache hits {summary['cache_hits']}, retries {summary['retries']},"
        f" rate-limited {summary['rate_limited']}, tokens {summary['tokens_in']} in / {summary['tokens_out']} out,"
        f" cost ${summary['cost_usd']:.4f}",
    ]
    if summary.get("output_dirs"):
        lines.append("translations in " + ", ".join(summary["output_dirs"]))
    if summary.get("converted"):
        files = ", ".join(f"{item['path']} ({item['encoding']})" for item in summary["converted"])
        lines.append(f"converted {len(summary['converted'])} file(s) to UTF-8: {files}")
    if summary["cancelled"]:
        lines.append(f"{summary['cancelled']} job(s) cancelled")
    if summary.get("stopped"):
        lines.append(summary["stopped"] + " — --max-cost caps each run's spend")
    if summary["unfinished"]:
        reason = " (parked until their quota resets)" if summary["parked"] else ""
        lines.append(f"{summary['unfinished']} job(s) still queued{reason}; they resume on the next run")
    lines += failure_lines(summary["failures"])
    return "\n".join(lines)


def failure_lines(failures: list[dict[str, Any]]) -> list[str]:
    """One line per failure, except that one cause shared by several jobs (a rejected key
    fails them all) is said once, with the jobs it hit."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for failure in failures:
        cause = _CHUNK_PREFIX.sub("", failure["error"] or "")
        groups.setdefault((failure["status"], cause), []).append(failure)
    lines = []
    for (status, cause), group in groups.items():
        if len(group) == 1:
            failure = group[0]
            lines.append(f"  {status}: job {failure['job_id']} {failure['document']} → {failure['language']}:"
                         f" {failure['error']}")
            continue
        ids = [str(failure["job_id"]) for failure in group]
        shown = ", ".join(ids[:8]) + (f", … ({len(ids) - 8} more)" if len(ids) > 8 else "")
        lines.append(f"  {status}: {len(group)} jobs ({shown}): {cause}")
    return lines
