"""``scribe-tui qa [JOB_ID|PATH] [--json]``: the quality findings of finished jobs — every
checked job, one job, or the jobs of one document (or of every document under a directory).

Each job shows its status, how many problems its checks found and each finding (chunk,
check, what was seen). Exit 0 when nothing shown has a finding, 1 when something does (so a
script can stop on it), 1 also when JOB_ID or PATH names no job.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import print_json
from scribe_tui.errors import EXIT_FAILED, EXIT_OK, ScribeError
from scribe_tui.quality import count_label, from_json


class NoSuchJobs(ScribeError):
    """No job has this id, and no document this path (exit 1)."""


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", metavar="JOB_ID|PATH",
                   help="a job id, a document's path, or a directory of documents (default: every checked job)")
    add_common_options(p, json_help="a JSON array: one object per job with its findings")


def run(args: argparse.Namespace) -> int:
    with command_context(args) as ctx:
        rows = select_jobs(ctx.store, args.target)
        reports = [job_report(row) for row in rows]
        if ctx.json:
            print_json(reports)
        else:
            print(render(reports))
    return EXIT_FAILED if any(report["findings"] for report in reports) else EXIT_OK


def select_jobs(store: Any, target: str | None) -> list[Any]:
    """The jobs ``target`` names: a job id, a document path, a directory; None: every checked job."""
    if target is None:
        return [row for row in store.jobs() if row.qa_count is not None]
    text = target.strip()
    if text.isdigit() and (row := store.job(int(text))) is not None:
        return [row]
    wanted = _resolved(Path(text).expanduser())
    rows = [row for row in store.jobs() if _within(Path(row.path), wanted)]
    if not rows:
        raise NoSuchJobs(f"qa: no job with id or document path {target!r} (see scribe-tui jobs list)")
    return rows


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def _within(path: Path, wanted: Path) -> bool:
    path = _resolved(path)
    return path == wanted or wanted in path.parents


def job_report(row: Any) -> dict[str, Any]:
    return {"job_id": row.id, "path": row.path, "language": row.target_language, "provider": row.provider,
            "status": row.status, "qa_count": row.qa_count,
            "findings": [finding.as_dict() for finding in from_json(row.qa)]}


def render(reports: list[dict[str, Any]]) -> str:
    if not reports:
        return "no checked jobs yet (jobs are checked when they finish)"
    lines: list[str] = []
    for report in reports:
        label = count_label(report["qa_count"])
        head = "not checked yet" if report["qa_count"] is None else ("no problems" if label == "ok" else label)
        lines.append(f"job {report['job_id']} [{report['status']}] {report['language']} {report['path']}: {head}")
        for finding in report["findings"]:
            where = f"chunk {finding['chunk']}" if finding["chunk"] is not None else "document"
            lines.append(f"  {where:<10} {finding['check']:<13} {finding['message']}")
    problems = sum(len(report["findings"]) for report in reports)
    lines.append(f"{len(reports)} job(s), {problems} finding(s)")
    return "\n".join(lines)
