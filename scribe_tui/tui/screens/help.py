"""Help: every key and what it does, and what each pane of the main screen shows."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

PANES = """\
## Panes

- **Jobs** — one row per (document, language) job: status, chunks done/total, priority,
  attempts, provider, time running and what went wrong or what it waits for. `/` filters
  (`status:failed,dead lang:he lecture`), `s` changes the sort, `f` shows failed jobs only.
  With many jobs the first rows in the current order are shown; the border says how many matched.
- **Throughput** — chunks and tokens per minute over the last minutes, the configured request
  limit to compare with, the ETA for what is queued and the spend so far.
- **Failures** — failed and dead-lettered jobs (no more automatic retries: press `r` or `R`) and
  chunks waiting for a retry, with the error class, message, attempts and the next retry time.
- **Workers** — each worker process: pid, state, chunks in flight, heartbeat age, restarts; the
  border shows the autoscaler's target.
- **Providers** — circuit breaker state, how much of each rate limit the current window uses,
  requests, 429s, latency p50/p95 and spend.

Quitting (`q`) stops at once: unfinished jobs stay queued and resume the next time scribe-tui
runs on this data directory. `ctrl+p` opens the command palette with every command.
"""


def key_table(bindings: Iterable[Binding]) -> str:
    lines = ["## Keys", "", "| key | what it does |", "| --- | --- |"]
    for binding in bindings:
        key = binding.key_display or binding.key
        lines.append(f"| `{key}` | {binding.description} |")
    return "\n".join(lines)


KEY_HELP = {
    "retry": "Retry the selected job (failed, dead or cancelled)",
    "retry-all": "Retry every failed and dead job",
    "cancel": "Cancel the selected job",
    "priority-up": "Raise the selected job's priority by 5",
    "priority-down": "Lower the selected job's priority by 5",
    "pause": "Pause or resume dispatch (chunks in flight finish)",
    "workers-up": "One more worker process (target)",
    "workers-down": "One worker process fewer (target)",
    "job-detail": "Open the selected job: chunks, source and translation",
    "add-documents": "Add documents to translate",
    "filter": "Filter the Jobs table",
    "sort": "Cycle the Jobs table's sort order",
    "failures-only": "Show only failed and dead jobs (again: all)",
    "help": "This help",
    "quit": "Quit now; unfinished jobs stay queued",
}


def described(bindings: Iterable[Binding]) -> list[Binding]:
    out = []
    for binding in bindings:
        text = KEY_HELP.get(binding.id or "", binding.description)
        out.append(Binding(binding.key, binding.action, text, key_display=binding.key_display, id=binding.id))
    return out


class HelpScreen(ModalScreen[None]):
    """The keys of ``bindings`` (the app passes its own and the main screen's) and the panes."""

    BINDINGS = [Binding("escape", "dismiss", "Close help", id="help-close")]

    def __init__(self, bindings: Iterable[object]) -> None:
        super().__init__()
        self.key_bindings = [b for b in bindings if isinstance(b, Binding)]

    def compose(self) -> ComposeResult:
        bindings = self.key_bindings
        with VerticalScroll(id="help-body"):
            yield Markdown(key_table(described(bindings)) + "\n\n" + PANES)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "Help"
