"""Job detail: the job's chunks (status, attempts, provider, tokens, last error) and the
selected chunk's source and translation side by side; a right-to-left target language
gets a right-aligned translation pane. The app binds its ``state`` to the screen's; the screen
shows the detail when it is of its job."""

from __future__ import annotations

from pathlib import PurePath

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from scribe_tui.languages import is_rtl, language_name
from scribe_tui.store import JobRow, TaskRow
from scribe_tui.tui import formatting
from scribe_tui.tui.state import EngineState, JobDetail
from scribe_tui.tui.widgets.chunks_table import ChunksTable


def job_summary(job: JobRow) -> str:
    name = PurePath(job.path).name
    lines = [
        f"Job {job.id} · {name} → {language_name(job.target_language)} ({job.target_language}) · {job.status}",
        (f"{job.chunks_done}/{job.chunks_total} chunks · {formatting.job_tries(job.chunks_done, job.attempts)} tries "
         f"({job.attempts} failed) · {job.provider}/{job.model} · "
         f"tokens {formatting.count(job.tokens_in)} in, {formatting.count(job.tokens_out)} out · "
         f"{formatting.usd(job.cost_usd)} · priority {job.effective_priority}"),
    ]
    if job.error_message or job.document_error:
        lines.append(formatting.one_line(f"error: {job.error_message or job.document_error}", 200))
    return "\n".join(lines)


class JobDetailScreen(ModalScreen[None]):
    SHOWS_ENGINE_STATE = True
    DEFAULT_CSS = """
    JobDetailScreen {
        align: center middle;
    }

    JobDetailScreen #detail {
        width: 96%;
        height: 94%;
        border: thick $primary;
        background: $surface;
    }

    JobDetailScreen #detail-summary {
        height: auto;
        padding: 0 1;
        color: $text;
    }

    JobDetailScreen #chunks-table {
        height: 1fr;
        min-height: 5;
    }

    JobDetailScreen #detail-texts {
        height: 2fr;
    }

    JobDetailScreen .text-pane {
        width: 1fr;
        padding: 0 1;
    }

    JobDetailScreen .text-pane Static {
        width: 100%;
    }

    JobDetailScreen .rtl #translation-text {
        text-align: right;
    }
    """
    BINDINGS = [Binding("escape", "dismiss", "Back", id="detail-close", tooltip="Back to the job list")]

    state: var[EngineState | None] = var(None, always_update=True, init=False)
    """The latest read of the engine (bound to the app's)."""

    def __init__(self, job_id: int):
        super().__init__()
        self.job_id = job_id
        self._tasks: dict[int, TaskRow] = {}
        self.shown: JobDetail | None = None  # the last detail rendered
        self._shown_text: tuple[int | None, str | None, str | None] = (None, None, None)

    def compose(self) -> ComposeResult:
        with Vertical(id="detail"):
            yield Static(f"Job {self.job_id}: loading…", id="detail-summary", markup=False)
            yield ChunksTable(id="chunks-table")
            with Horizontal(id="detail-texts"):
                with VerticalScroll(id="source-pane", classes="pane text-pane"):
                    yield Static(id="source-text", markup=False)
                with VerticalScroll(id="translation-pane", classes="pane text-pane"):
                    yield Static(id="translation-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail").border_title = f"Job {self.job_id}"
        self.query_one("#source-pane").border_title = "Source"
        self.query_one("#translation-pane").border_title = "Translation"
        self.query_one(ChunksTable).focus()

    def watch_state(self, state: EngineState | None) -> None:
        if state is not None and state.detail is not None and state.detail.job.id == self.job_id:
            self.show(state.detail)

    def show(self, detail: JobDetail) -> None:
        if not self.is_mounted:
            return
        job = detail.job
        self.query_one("#detail-summary", Static).update(job_summary(job))
        pane = self.query_one("#translation-pane")
        pane.border_title = f"Translation · {language_name(job.target_language)}"
        pane.set_class(is_rtl(job.target_language), "rtl")
        self._tasks = {task.idx: task for task in detail.tasks}
        self.query_one(ChunksTable).show(detail.tasks)
        self._show_chunk(self.query_one(ChunksTable).selected_index)
        self.shown = detail

    @on(DataTable.RowHighlighted, "#chunks-table")
    def _chunk_highlighted(self) -> None:
        self._show_chunk(self.query_one(ChunksTable).selected_index)

    def _show_chunk(self, index: int | None) -> None:
        task = self._tasks.get(index) if index is not None else None
        source = task.text if task else ""
        translation = (task.translation or f"(not translated yet: {task.status})") if task else ""
        if self._shown_text == (index, source, translation):
            return
        self._shown_text = (index, source, translation)
        self.query_one("#source-text", Static).update(Text(source))
        self.query_one("#translation-text", Static).update(Text(translation))
        self.query_one("#source-pane").border_subtitle = f"chunk {index}" if task else ""
