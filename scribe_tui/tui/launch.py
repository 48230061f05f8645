"""Starting the TUI from the command line: check the arguments, start a supervisor on the
data directory (or attach as a monitor when another one holds it), run the app, and stop
the engine leaving unfinished work queued."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scribe_tui.context import CommandContext
from scribe_tui.engine.attach import close_engine, open_engine
from scribe_tui.errors import EXIT_INTERRUPTED, EXIT_OK, ConfigError, UsageError
from scribe_tui.languages import parse_languages
from scribe_tui.store import PRIORITIES
from scribe_tui.tui.engine_calls import AddRequest


def initial_request(args: argparse.Namespace) -> AddRequest | None:
    """The paths given on the command line as an AddRequest (``--to`` is then required)."""
    paths = [Path(p) for p in (getattr(args, "paths", None) or [])]
    if not paths:
        return None
    to = getattr(args, "to", None)
    if not to:
        raise UsageError("--to is required with PATHs: the target languages, e.g. --to he,de")
    priority_name = getattr(args, "priority", None) or "normal"
    if priority_name not in PRIORITIES:
        raise UsageError(f"--priority must be one of {', '.join(PRIORITIES)}")
    return AddRequest(paths=tuple(paths), languages=tuple(parse_languages(to)),
                      priority=PRIORITIES[priority_name], provider=getattr(args, "provider", None))


def run_tui(args: argparse.Namespace) -> int:
    """Run the interactive TUI; 0 when the user quits, 130 when interrupted."""
    from scribe_tui.logs import configure_logging
    from scribe_tui.tui.app import ScribeApp, check_keymap

    from scribe_tui.engine.warm_start import warm_up

    warm_up()  # the workers' modules load while the app starts
    request = initial_request(args)
    context = CommandContext.from_args(args)
    settings = context.settings
    if problems := check_keymap(settings):
        raise ConfigError(problems[0])
    # Logs go to the log file only: a console handler would write over the screen.
    configure_logging(context.data_dir, verbose=0, level=settings.log.level)
    print(f"scribe-tui: starting on {context.data_dir} …", file=sys.stderr, flush=True)
    api = open_engine(settings, read_cache=not getattr(args, "no_cache", False),
                      max_cost_usd=getattr(args, "max_cost", None))
    try:
        app = ScribeApp(api, settings, initial_request=request)
        try:
            app.run()
        except KeyboardInterrupt:
            print("scribe-tui: interrupted; unfinished work stays queued and resumes on the next run",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
    finally:
        close_engine(api, settings)
    return app.return_code or EXIT_OK
