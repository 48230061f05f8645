"""scribe-tui: unattended translation of document collections through translation APIs."""

__version__ = "0.1.0"
