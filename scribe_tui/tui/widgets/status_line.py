"""The status line at the top of the main screen: supervisor or monitor, running or paused,
and the job count of every status — in the longest wording its width has room for, so a
narrow terminal still shows every count."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from scribe_tui.engine.api import Snapshot
from scribe_tui.tui.summary import state_line


class StatusLine(Widget):
    COMPONENT_CLASSES = {"status-line--paused"}
    DEFAULT_CSS = """
    StatusLine {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
        content-align: center middle;
        text-wrap: nowrap;
    }
    StatusLine > .status-line--paused { color: $warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot) -> None:
        if snapshot != self.snapshot:
            self.snapshot = snapshot
            self.refresh()

    def render(self) -> Text:
        if self.snapshot is None:
            return Text("scribe-tui · reading the queue…")
        text = Text(state_line(self.snapshot, self.size.width))
        paused = self.get_component_rich_style("status-line--paused", partial=True)
        text.highlight_words(["PAUSED", "⏸"], style=paused)
        return text
