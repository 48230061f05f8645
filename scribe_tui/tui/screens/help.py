"""Help: every key active where help was opened, with what it does (from the bindings
themselves, remapped keys included), and what each pane of the main screen shows."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

from scribe_tui.tui.keys import BoundKey

PANES = """\
## Panes

- **Jobs** — one row per (document, language) job: status, chunks done/total, priority,
  attempts, provider, time running and what went wrong or what it waits for. `{filter}` filters
  (`status:failed,dead lang:he lecture`), `{sort}` changes the sort, `{failures_only}` shows failed jobs only.
  With many jobs the first rows in the current order are shown; the border says how many matched.
- **Throughput** — chunks and tokens per minute over the last minutes, the configured request
  limit to compare with, the ETA for what is queued and the spend so far.
- **Failures** — failed and dead-lettered jobs (no more automatic retries: press `{retry}` or `{retry_all}`) and
  chunks waiting for a retry, with the error class, message, attempts and the next retry time.
- **Workers** — each worker process: pid, state, chunks in flight, heartbeat age, restarts; the
  border shows the autoscaler's target.
- **Providers** — circuit breaker state, how much of each rate limit the current window uses,
  requests, 429s, latency p50/p95 and spend.

Quitting stops at once: unfinished jobs stay queued and resume the next time scribe-tui
runs on this data directory. `ctrl+p` opens the command palette with every command. Keys can
be changed in the `[keymap]` section of the configuration, by the ids listed above.
"""


class _KeyOf(dict[str, str]):
    """Binding id (with ``_`` for ``-``) → its key, for the panes text; an id not active here reads as itself."""

    def __missing__(self, name: str) -> str:
        return name.replace("_", "-")


def panes_text(keys: Iterable[BoundKey]) -> str:
    return PANES.format_map(_KeyOf({bound.id.replace("-", "_"): bound.key for bound in keys}))


def key_table(keys: Iterable[BoundKey]) -> str:
    lines = ["## Keys", "", "| key | what it does | id |", "| --- | --- | --- |"]
    for bound in keys:
        key = bound.key.replace("|", "\\|")
        lines.append(f"| `{key}` | {bound.text} | {bound.id} |")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """The keys it is given (the app passes those active where help was opened) and the panes."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen #help-body {
        width: 90;
        max-width: 100%;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape", "dismiss", "Close help", id="help-close", tooltip="Close this help")]

    def __init__(self, keys: Iterable[BoundKey]) -> None:
        super().__init__()
        self.keys = tuple(keys)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(key_table(self.keys) + "\n\n" + panes_text(self.keys))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "Help"
