"""A read-only view of a supervisor running in another process (e.g. a ``--batch`` in
another terminal): snapshots come from the store, and commands reach the running
supervisor through the store."""

from __future__ import annotations

from scribe_tui.engine.store_commands import StoreCommands


class Monitor(StoreCommands):
    attached = True
