"""``scribe-tui simulate``: the demo translation server (OpenAI, DeepL and Microsoft
dialects) in the foreground on loopback, with its rate limit, latency and a failure rate
spread over 500s, 503s, dropped connections and malformed replies."""

from __future__ import annotations

import argparse
import asyncio
import json

from scribe_tui.arguments import add_common_options
from scribe_tui.errors import EXIT_OK, UsageError
from scribe_tui.limit_spec import parse_limit

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="P", help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--rpm", type=int, metavar="N", help="answer 429 above N requests per minute")
    p.add_argument("--limit", action="append", default=[], metavar="LIMIT",
                   help="an extra server-side limit, e.g. '20000 tokens/minute' (repeatable)")
    p.add_argument("--latency-ms", type=float, default=300.0, metavar="N", help="mean reply latency (default 300)")
    p.add_argument("--jitter-ms", type=float, metavar="N", help="latency jitter (default a fifth of the latency)")
    p.add_argument("--fail-rate", type=float, default=0.0, metavar="F",
                   help="share of requests that fail, spread over HTTP 500, 503, dropped connections and malformed replies")
    p.add_argument("--api-key", metavar="KEY", help="require this key (default: accept any)")
    p.add_argument("--seed", type=int, default=0, help="random seed for latency and faults")
    add_common_options(p, store=False)


def build_config(args: argparse.Namespace) -> object:
    from scribe_tui.simulator.config import SimulatorConfig

    if not 0.0 <= args.fail_rate <= 1.0:
        raise UsageError(f"--fail-rate must be between 0 and 1, got {args.fail_rate:g}")
    if args.rpm is not None and args.rpm <= 0:
        raise UsageError(f"--rpm must be a positive number, got {args.rpm}")
    if args.latency_ms < 0 or (args.jitter_ms is not None and args.jitter_ms < 0):
        raise UsageError("--latency-ms and --jitter-ms must not be negative")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    try:
        limits = [parse_limit(text) for text in args.limit]
        return SimulatorConfig.from_options(rpm=args.rpm, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms,
                                            fail_rate=args.fail_rate, limits=limits, api_key=args.api_key, seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _announce_json(port: int) -> None:
    from scribe_tui.simulator.server import base_urls

    url = f"http://{LOOPBACK}:{port}"
    print(json.dumps({"url": url, "base_urls": base_urls(url)}), flush=True)


def _serve_json(config: object, port: int) -> None:
    """Like ``serve`` but announces itself as one JSON line (for scripts)."""
    from scribe_tui.simulator.app import SimulatorApp
    from scribe_tui.simulator.server import run_until_stopped

    app = SimulatorApp(config)  # type: ignore[arg-type]
    try:
        asyncio.run(run_until_stopped(app, LOOPBACK, port, asyncio.Event(), _announce_json))
    except KeyboardInterrupt:
        print(json.dumps({"stopped": True, "stats": app.stats.to_json()}), flush=True)


def run(args: argparse.Namespace) -> int:
    from scribe_tui.simulator.server import serve

    config = build_config(args)
    try:
        if args.json:
            _serve_json(config, args.port)
        else:
            serve(config, host=LOOPBACK, port=args.port)  # type: ignore[arg-type]
    except OSError as exc:
        raise UsageError(f"cannot listen on {LOOPBACK}:{args.port}: {exc.strerror or exc}") from None
    return EXIT_OK
