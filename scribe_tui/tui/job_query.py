"""What the Jobs pane asks the store for: the filter typed after ``/``, the sort column
``s`` cycles through, and the window of rows it shows. Pure functions, no Textual."""

from __future__ import annotations

from dataclasses import dataclass, replace

from scribe_tui.languages import LANGUAGES, normalise
from scribe_tui.store import JOB_ORDERS, JobPage, JobStatus

STATUSES = tuple(status.value for status in JobStatus)
STATUS_ALIASES = {"running": "processing", "done": "completed", "ok": "completed", "error": "failed",
                  "dead-letter": "dead", "deadletter": "dead", "pending": "queued", "canceled": "cancelled"}

WINDOW = 200
"""Rows the Jobs table holds at once: a page of the jobs that match, which moves along as the
cursor nears either end (the border subtitle says which rows of how many)."""

SORT_ORDERS: tuple[str, ...] = tuple(JOB_ORDERS)
"""The orders ``s`` cycles through: id, priority, status, document, progress, tries, started.
The store sorts (``store.job_listing``), so a sort reads only the rows shown."""


class FilterError(ValueError):
    """The filter text names a status or language that does not exist."""


@dataclass(frozen=True)
class JobFilter:
    """``status:failed,dead lang:he lecture`` → statuses, languages and the text the
    document's path must contain (as ``jobs list`` and the store match it)."""

    statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.statuses or self.languages or self.text)

    def describe(self) -> str:
        parts = []
        if self.statuses:
            parts.append("status:" + ",".join(self.statuses))
        if self.languages:
            parts.append("lang:" + ",".join(self.languages))
        if self.text:
            parts.append(self.text)
        return " ".join(parts)


def _statuses(value: str) -> tuple[str, ...]:
    out = []
    for raw in value.split(","):
        name = STATUS_ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if not name:
            continue
        if name not in STATUSES:
            raise FilterError(f"unknown status {raw!r} (one of {', '.join(STATUSES)})")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _languages(value: str) -> tuple[str, ...]:
    out = []
    for raw in value.split(","):
        code = normalise(raw)
        if not code:
            continue
        if code not in LANGUAGES:
            raise FilterError(f"unknown language {raw!r}")
        out.append(code)
    return tuple(dict.fromkeys(out))


def parse_filter(query: str) -> JobFilter:
    """Parse the filter line; raises FilterError for an unknown status or language."""
    statuses: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    words = []
    for token in query.split():
        key, sep, value = token.partition(":")
        if sep and key.lower() in ("status", "s", "is"):
            statuses += _statuses(value)
        elif sep and key.lower() in ("lang", "language", "l", "to"):
            languages += _languages(value)
        else:
            words.append(token)
    return JobFilter(tuple(dict.fromkeys(statuses)), tuple(dict.fromkeys(languages)), " ".join(words))


@dataclass(frozen=True)
class JobQuery:
    """The filter, the sort order and the window (its size, and how far down the list it
    starts): everything the state reader needs."""

    filter: JobFilter = JobFilter()
    sort_index: int = 0
    window: int = WINDOW
    offset: int = 0

    @property
    def order(self) -> str:
        return SORT_ORDERS[self.sort_index % len(SORT_ORDERS)]

    def next_sort(self) -> JobQuery:
        return replace(self, sort_index=(self.sort_index + 1) % len(SORT_ORDERS), offset=0)

    def with_filter(self, job_filter: JobFilter) -> JobQuery:
        return replace(self, filter=job_filter, offset=0)

    def scrolled(self, cursor: int, shown: int, matched: int) -> JobQuery | None:
        """The query whose window keeps ``cursor`` (a row of the ``shown`` rows) away from the
        window's ends, when more rows match beyond the end it nears; None when this one does."""
        margin = self.window // 5
        step = self.window // 2
        if cursor >= shown - margin and self.offset + shown < matched:
            return replace(self, offset=self.offset + step)
        if cursor < margin and self.offset > 0:
            return replace(self, offset=max(0, self.offset - step))
        return None

    def page(self) -> JobPage:
        """The store's page for this query: ``window`` rows from ``offset``."""
        flt = self.filter
        return JobPage(statuses=flt.statuses, languages=flt.languages, text=flt.text, order=self.order,
                       limit=self.window, offset=self.offset)
