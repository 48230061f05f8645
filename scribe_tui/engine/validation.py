"""Check a reply keeps the chunk's structure before it is accepted (and cached).

The gateway calls the validator with the text it sent (the whole chunk, or a piece of it
when a wrong-shaped reply made it cut the chunk) and the reply; ``check_reply`` knows what
each format needs. For the whole chunk, the reply must also split back into its segments.
"""

from __future__ import annotations

from collections.abc import Callable

from scribe_tui.documents import Chunk, split_translation
from scribe_tui.documents.reply_checks import check_reply
from scribe_tui.engine.worker_protocol import TaskOrder


def translation_validator(order: TaskOrder) -> Callable[[str, str], None]:
    """A callable that raises ValueError when ``reply`` cannot stand for ``source``; the
    limits layer treats that as a reply of the wrong shape."""
    chunk = Chunk(index=order.chunk_index, text=order.text, context=order.context, **order.meta)

    def validate(source: str, reply: str) -> None:
        check_reply(source, reply, chunk.format)
        if source == chunk.text:
            split_translation(chunk, reply)

    return validate
