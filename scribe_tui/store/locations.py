"""Naming a store in messages and logs without ever showing a password, and naming this
machine among the others that share a store."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit, urlunsplit

HOST = os.environ.get("SCRIBE_HOST_NAME") or socket.gethostname()
"""This machine's name in a shared store: its hostname, unless ``SCRIBE_HOST_NAME`` gives
another (two supervisors on one machine, as the tests run them, need two names)."""


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{host}"))
