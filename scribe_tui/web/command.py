"""``scribe-tui serve [--host 127.0.0.1] [--port 8080]``: check where to listen and who may
come in, hold the engine (a supervisor started here, or a monitor of the one already running
on the data directory), serve until Ctrl-C, then stop leaving unfinished work queued."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from dataclasses import dataclass

from scribe_tui.arguments import add_common_options
from scribe_tui.config import Settings
from scribe_tui.context import CommandContext
from scribe_tui.errors import EXIT_OK, UsageError
from scribe_tui.logs import configure_logging
from scribe_tui.web.auth import SHORT_TOKEN, Role, Tokens


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", metavar="HOST", help="address to listen on (default 127.0.0.1, or [web] host); "
                   "any other than loopback needs a token in the environment")
    p.add_argument("--port", type=int, metavar="PORT", help="port (default 8080, or [web] port; 0 picks a free one)")
    p.add_argument("--workers", metavar="N|auto", help="worker processes when serve starts the supervisor")
    p.add_argument("--no-cache", action="store_true", help="do not read the translation cache (when serve starts the supervisor)")
    add_common_options(p)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    def url(self, port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"http://{host}:{self.port if port is None else port}/"


def listen_address(args: argparse.Namespace, settings: Settings, tokens: Tokens) -> Listen:
    """Host and port from the flags, else the config; a generated token binds loopback only."""
    host = (args.host or settings.web.host).strip()
    port = settings.web.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {port}")
    if tokens.generated and not is_loopback(host):
        raise UsageError(f"refusing to listen on {host} without a token: set {settings.web.operator_token_env} "
                         f"(and {settings.web.viewer_token_env} for read-only access), or use --host 127.0.0.1")
    return Listen(host, port)


def announce(listen: Listen, port: int, tokens: Tokens, settings: Settings, attached: bool) -> None:
    """Where the dashboard is, on stdout; with a generated token, the URL that carries it."""
    url = listen.url(port)
    mode = ("attached to the supervisor already running on the data directory" if attached
            else "running a supervisor on the data directory")
    print(f"scribe-tui: dashboard {mode}: {settings.resolved_data_dir()}", file=sys.stderr)
    if tokens.generated:
        token = tokens.by_role[Role.OPERATOR]
        print(f"scribe-tui: no token configured ({settings.web.operator_token_env}); made an operator token "
              "for this run. Open:", file=sys.stderr)
        print(f"{url}?token={token}", flush=True)
    else:
        roles = ", ".join(sorted(tokens.by_role))
        print(f"scribe-tui: serving {url} (roles with a token: {roles}); Ctrl-C stops", file=sys.stderr)
        print(url, flush=True)
    for role in tokens.short_ones():
        print(f"scribe-tui: warning: the {role} token is shorter than {SHORT_TOKEN} characters; "
              "anyone who can guess it gets in", file=sys.stderr)
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    context = CommandContext.from_args(args)
    settings = context.settings
    tokens = Tokens.from_environment(settings.web)
    listen = listen_address(args, settings, tokens)

    from scribe_tui.web.app import WebState, create_app  # the web stack loads once the arguments are good
    from scribe_tui.engine.attach import close_engine, open_engine
    from scribe_tui.web.engine_link import StoreThreads
    from scribe_tui.web.live import LiveStatus
    from scribe_tui.web.server import WebServer, bind

    log = settings.log
    configure_logging(context.data_dir, verbose=context.verbose, level=log.level, process_name="main",
                      max_bytes=log.max_bytes, backups=log.backups)
    try:
        sock = bind(listen.host, listen.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {listen.host}:{listen.port}: {exc.strerror or exc}") from None
    try:
        engine = open_engine(settings, read_cache=not args.no_cache)
        threads = StoreThreads(engine)
        live = LiveStatus(threads)
        server = WebServer(create_app(WebState(settings, engine, tokens, threads, live)), live)
        try:
            announce(listen, sock.getsockname()[1], tokens, settings, engine.attached)
            server.run(sockets=[sock])
        finally:
            close_engine(engine, settings)
            threads.stop()
    finally:
        sock.close()
    if server.stopped_by is not None:
        raise KeyboardInterrupt  # the command line reports it: exit 130, work kept
    return EXIT_OK
