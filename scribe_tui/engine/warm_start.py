"""Starting workers warm: they are forked from a fork server that has already imported what a
worker needs (the openai SDK alone is over a second of CPU). ``warm_up()`` starts that server
at once — call it first thing in a command that will run workers, so the imports happen while
the rest of start-up (configuration, reading documents) goes on. Light on purpose: importing
this module loads nothing but multiprocessing. Where there is no fork server (Windows),
workers are spawned."""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

# What a worker imports before its first chunk, loaded once by the fork server.
WORKER_MODULES = [
    "scribe_tui.engine.worker", "scribe_tui.limits.gateway", "scribe_tui.providers.registry",
    "scribe_tui.providers.openai_compat", "openai.resources.chat.completions", "scribe_tui.cache",
    "scribe_tui.logs",
]


def worker_context() -> Any:
    """The multiprocessing context workers start from (a preloading fork server if there is one)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    return context


def warm_up() -> None:
    """Start the fork server now (it imports the workers' modules meanwhile); returns at once."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
