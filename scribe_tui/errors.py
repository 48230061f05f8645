"""The error types every layer shares, and the exit code each maps to.

Front ends turn these into one clear line and an exit code; nothing below the CLI prints.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class ScribeError(Exception):
    """Base of every error scribe-tui reports to a user without a traceback."""

    exit_code = EXIT_FAILED


class UsageError(ScribeError):
    """The command line asks for something that cannot be done (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(ScribeError):
    """The configuration is broken: file, key and what is wrong in one line (exit 2)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        self.detail = message
        parts = [p for p in (source, key) if p]
        super().__init__(": ".join([*parts, message]))


class DocumentError(ScribeError):
    """One document cannot be read or written; it fails alone, the run goes on."""


class AlreadyRunning(ScribeError):
    """Another supervisor holds the data directory's lock (exit 2)."""

    exit_code = EXIT_USAGE
