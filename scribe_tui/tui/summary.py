"""One-line summaries of the engine's state: the status line at the top (in the longest form
that fits the width) and what quitting leaves behind. No Textual."""

from __future__ import annotations

from scribe_tui.engine.api import Snapshot
from scribe_tui.store import FAILED_JOB_STATUSES, UNFINISHED_JOB_STATUSES, JobStatus

HEADER_STATUSES = (*UNFINISHED_JOB_STATUSES, JobStatus.COMPLETED, *FAILED_JOB_STATUSES, JobStatus.CANCELLED)
SHORT_NAMES = {"queued": "queued", "processing": "active", "completed": "done", "failed": "failed",
               "dead": "dead", "cancelled": "cancelled"}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _count(snapshot: Snapshot, statuses: tuple[str, ...]) -> int:
    return sum(snapshot.counts.get(status, 0) for status in statuses)


def state_words(snapshot: Snapshot) -> tuple[str, str]:
    """(``supervisor`` or ``monitor``, ``running`` or ``PAUSED``)."""
    return ("monitor" if snapshot.attached else "supervisor", "PAUSED" if snapshot.paused else "running")


def state_lines(snapshot: Snapshot) -> list[str]:
    """The status line from the longest form to the shortest; every form keeps every count."""
    mode, state = state_words(snapshot)
    counts = " · ".join(f"{status} {snapshot.counts.get(status, 0):,}" for status in HEADER_STATUSES)
    short = " · ".join(f"{SHORT_NAMES[status]} {snapshot.counts.get(status, 0):,}" for status in HEADER_STATUSES)
    return [f"scribe-tui · {mode} · {state} · {counts}", f"{mode} · {state} · {counts}", f"{state} · {counts}",
            f"{state} · {short}", f"{'⏸' if snapshot.paused else '▶'} {short}"]


def state_line(snapshot: Snapshot, width: int | None = None) -> str:
    """The longest form of the status line that fits ``width`` (the second form with no width)."""
    lines = state_lines(snapshot)
    if width is None:
        return lines[1]
    return next((line for line in lines if len(line) <= width), lines[-1])


def quit_message(snapshot: Snapshot | None) -> str:
    """What quitting now leaves: the jobs that stay queued, or that a supervisor elsewhere runs on."""
    if snapshot is None:
        return "Quit before the queue was read; unfinished jobs stay queued and resume next time"
    unfinished = _count(snapshot, UNFINISHED_JOB_STATUSES)
    if snapshot.attached:
        left = f"{_plural(unfinished, 'job')} still to run" if unfinished else "nothing left to run"
        return f"Monitor closed; the supervisor on this data directory carries on ({left})"
    if unfinished:
        running = snapshot.counts.get(JobStatus.PROCESSING, 0)
        started = f" ({running:,} of them started)" if running else ""
        verbs = "stays queued and resumes" if unfinished == 1 else "stay queued and resume"
        return f"{_plural(unfinished, 'job')}{started} {verbs} the next time scribe-tui runs here"
    failed = _count(snapshot, FAILED_JOB_STATUSES)
    if failed:
        return (f"Nothing stays queued; {_plural(failed, 'job')} failed "
                "(scribe-tui jobs retry --failed requeues them)")
    return "Nothing stays queued: every job has finished"
