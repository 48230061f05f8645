"""Where scribe-tui keeps its files: platformdirs locations and private-file creation."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "scribe-tui"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (0700 when new) and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def touch_private(path: Path) -> Path:
    """Create ``path`` if missing with mode 0600 and tighten an existing one to 0600.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock
    this process holds on it, which would silently break SQLite's locking for a database the
    process already has open (and let another process delete its WAL)."""
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    os.chmod(path, 0o600)
    return path
