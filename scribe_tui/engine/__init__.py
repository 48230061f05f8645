"""The engine: supervisor, worker processes, events and snapshots. Knows nothing of Textual."""
