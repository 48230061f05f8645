"""The filter line the ``/`` key opens above the Jobs table: ``status:failed lang:he words``.
Enter applies it, Escape closes it (an empty filter shows every job)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input

from scribe_tui.tui.job_query import STATUSES

SUGGESTIONS = [f"status:{status}" for status in STATUSES] + ["status:failed,dead", "lang:"]


class FilterBar(Input):
    DEFAULT_CSS = """
    FilterBar { display: none; height: 3; }
    FilterBar.open { display: block; }
    """
    BINDINGS = [Binding("escape", "close", "Close filter", id="filter-close",
                        tooltip="Close the filter line (the filter stays)")]

    class Closed(Message):
        """The filter line was closed; focus goes back to the Jobs table."""

    def __init__(self, *, id: str | None = None):
        super().__init__(placeholder="filter jobs: status:failed,dead lang:he words in the path — enter applies, esc closes",
                         suggester=SuggestFromList(SUGGESTIONS, case_sensitive=False), id=id)

    def open(self, current: str) -> None:
        self.value = current
        self.add_class("open")
        self.focus()
        self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.remove_class("open")
        self.post_message(self.Closed())
