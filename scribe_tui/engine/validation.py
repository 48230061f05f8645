"""Check a reply keeps the chunk's segment structure before it is accepted (and cached)."""

from __future__ import annotations

from collections.abc import Callable

from scribe_tui.documents import Chunk, split_translation
from scribe_tui.engine.worker_protocol import TaskOrder


def translation_validator(order: TaskOrder) -> Callable[[str], None]:
    """A callable that raises ValueError when ``text`` cannot be split back into the
    chunk's segments; the limits layer treats that as a malformed reply (retryable)."""
    chunk = Chunk(index=order.chunk_index, text=order.text, context=order.context, **order.meta)

    def validate(text: str) -> None:
        split_translation(chunk, text)

    return validate
