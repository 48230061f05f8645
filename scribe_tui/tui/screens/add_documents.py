"""Add documents: a path (with filesystem completion), target languages, a priority and a
provider; dismisses with an AddRequest the app enqueues through the engine."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from scribe_tui.config import Settings
from scribe_tui.errors import UsageError
from scribe_tui.languages import parse_languages
from scribe_tui.store import PRIORITIES
from scribe_tui.tui.engine_calls import AddRequest
from scribe_tui.tui.path_suggester import PathSuggester

PRIORITY_ORDER = ("high", "normal", "low")


def default_languages(settings: Settings) -> str:
    """The languages with a configured priority, highest first (``he,de,en`` by default)."""
    ordered = sorted(settings.priorities.items(), key=lambda item: -item[1])
    return ",".join(code for code, _ in ordered)


def build_request(path_text: str, languages_text: str, priority: int, provider: str | None) -> AddRequest:
    """Validate the form; raises UsageError with a sentence for the user."""
    if not path_text.strip():
        raise UsageError("give a file or directory to translate")
    path = Path(path_text.strip()).expanduser()
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    languages = parse_languages(languages_text)
    return AddRequest(paths=(path,), languages=tuple(languages), priority=priority, provider=provider)


class AddDocumentsScreen(ModalScreen[AddRequest | None]):
    DEFAULT_CSS = """
    AddDocumentsScreen {
        align: center middle;
    }

    AddDocumentsScreen #add-form {
        width: 80;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }

    AddDocumentsScreen #add-form Input {
        margin-bottom: 1;
    }

    AddDocumentsScreen #add-choices {
        height: auto;
    }

    AddDocumentsScreen #add-choices > Vertical {
        height: auto;
        width: 1fr;
    }

    AddDocumentsScreen #add-error {
        color: $error;
        height: auto;
        margin: 1 0;
    }

    AddDocumentsScreen #add-buttons {
        height: auto;
        align-horizontal: right;
    }

    AddDocumentsScreen #add-buttons Button {
        margin-left: 2;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="add-cancel", tooltip="Close the form; nothing is added")]

    def __init__(self, settings: Settings):
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Vertical(id="add-form"):
            yield Label("File or directory (tab or → accepts the completion)")
            yield Input(placeholder="~/transcripts", suggester=PathSuggester(), id="add-path")
            yield Label("Target languages (comma-separated codes)")
            yield Input(value=default_languages(self.settings), id="add-languages")
            with Horizontal(id="add-choices"):
                with Vertical():
                    yield Label("Priority")
                    yield Select([(name, PRIORITIES[name]) for name in PRIORITY_ORDER], value=PRIORITIES["normal"],
                                 allow_blank=False, id="add-priority")
                with Vertical():
                    yield Label("Provider")
                    yield Select([(name, name) for name in self.settings.providers],
                                 value=self.settings.default_provider, allow_blank=False, id="add-provider")
            yield Static("", id="add-error", markup=False)
            with Horizontal(id="add-buttons"):
                yield Button("Add", variant="primary", id="add-submit")
                yield Button("Cancel", id="add-cancel-button")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#add-form").border_title = "Add documents"
        self.query_one("#add-path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#add-submit")
    def _submit(self) -> None:
        provider = self.query_one("#add-provider", Select).value
        priority = self.query_one("#add-priority", Select).value
        try:
            request = build_request(self.query_one("#add-path", Input).value,
                                    self.query_one("#add-languages", Input).value,
                                    int(priority) if isinstance(priority, int) else 0,
                                    provider if isinstance(provider, str) else None)
        except UsageError as error:
            self.query_one("#add-error", Static).update(str(error))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#add-cancel-button")
    def action_cancel(self) -> None:
        self.dismiss(None)
