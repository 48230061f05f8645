"""Typed, immutable messages the background poller posts to the app."""

from __future__ import annotations

from textual.message import Message

from scribe_tui.tui.poller import PollResult


class Polled(Message, bubble=False):
    """A new poll of the engine and the store is ready to render.

    A newer ``Polled`` waiting in the queue replaces this one, unless this one carries a
    job listing and the newer one does not (it would lose the rows)."""

    def __init__(self, result: PollResult):
        super().__init__()
        self.result = result

    def can_replace(self, message: Message) -> bool:
        """True when the pending ``message`` may supersede this one (Textual asks the older)."""
        if not isinstance(message, Polled):
            return False
        return message.result.jobs is not None or self.result.jobs is None
