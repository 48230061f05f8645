"""``scribe-tui health [--verbose]``: is this installation able to run? Exit 0 when every
check passes, 1 when one fails, 2 when the configuration itself is invalid (the other
checks still run and are shown). Keys are never printed, only whether they are set."""

from __future__ import annotations

import argparse
from pathlib import Path

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import setup_logging
from scribe_tui.commands.health_checks import (
    CheckResult,
    check_cache,
    check_limiter,
    check_queued_providers,
    check_providers,
    check_store,
    check_supervisor,
    check_writable_dir,
)
from scribe_tui.commands.output import print_json
from scribe_tui.config import Settings
from scribe_tui.context import CommandContext
from scribe_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError
from scribe_tui.paths import default_config_file, default_data_dir

def register(p: argparse.ArgumentParser) -> None:
    add_common_options(p)


def _config_check(args: argparse.Namespace) -> tuple[CommandContext | None, CheckResult]:
    try:
        ctx = CommandContext.from_args(args)
    except ConfigError as exc:
        return None, CheckResult("config", False, f"invalid: {exc}")
    source = args.config or default_config_file()
    where = str(source) if Path(source).exists() else "defaults (no config file)"
    names = ", ".join(ctx.settings.providers)
    return ctx, CheckResult("config", True, f"valid: {where}", {"source": where, "providers": names,
                                                                "default_provider": ctx.settings.default_provider})


def run_checks(args: argparse.Namespace) -> tuple[list[CheckResult], bool]:
    """All checks, in order; the flag says whether the configuration was valid."""
    from functools import partial

    from scribe_tui.store import open_store

    ctx, config_result = _config_check(args)
    results = [config_result]
    settings: Settings | None = ctx.settings if ctx else None
    data_dir = ctx.data_dir if ctx else Path(args.data_dir or default_data_dir()).expanduser()
    if ctx is not None:
        setup_logging(ctx)
    results.append(check_writable_dir("data dir", data_dir))
    store_result, store = check_store(data_dir, partial(open_store, settings.store_url if settings else None))
    results.append(store_result)
    if settings is not None:
        results.append(check_cache(settings))
    results.append(check_limiter(data_dir))
    if settings is not None:
        results.extend(with_limit_state(check_providers(settings), settings, data_dir))
    if store is not None and settings is not None:
        results.append(check_queued_providers(store, settings))
    if store is not None:
        shared = settings is not None and settings.store_url is not None
        results.append(check_supervisor(store, data_dir, shared=shared))
        store.close()
    return results, ctx is not None


def with_limit_state(results: list[CheckResult], settings: Settings, data_dir: Path) -> list[CheckResult]:
    """Each provider's shared limit state next to its check: the adaptive concurrency cap,
    the circuit, and a pause or note when there is one (shown with --verbose and --json)."""
    from scribe_tui.limits.snapshot import provider_snapshot

    states = {f"provider {status.name}": status for status in provider_snapshot(data_dir, settings)}
    for result in results:
        status = states.get(result.name)
        if status is not None:
            result.details["concurrency"] = f"{status.concurrency_cap} of {status.max_concurrency} in flight"
            result.details["circuit"] = status.circuit
            result.details["limits"] = ", ".join(f"{text}: {used}/{amount}" for text, used, amount in status.limit_usage)
            result.details["note"] = status.note
    return results


def healthy(results: list[CheckResult]) -> bool:
    return all(result.ok for result in results if not result.informational)


def render(results: list[CheckResult], *, details: bool) -> str:
    width = max(len(result.name) for result in results)
    lines = []
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        if result.informational and result.ok:
            mark = "info"
        line = f"{mark}  {result.name:<{width}}  {result.summary}"
        if details and result.latency_ms is not None:
            line += f"  ({result.latency_ms:.0f} ms)"
        lines.append(line)
        if details:
            lines.extend(f"      {key}: {value}" for key, value in result.details.items() if value not in (None, ""))
    verdict = "healthy" if healthy(results) else "UNHEALTHY"
    return "\n".join(lines) + f"\n\n{verdict}"


def run(args: argparse.Namespace) -> int:
    results, config_valid = run_checks(args)
    ok = healthy(results)
    if args.json:
        print_json({"healthy": ok, "checks": [result.to_json() for result in results]})
    else:
        print(render(results, details=bool(args.verbose)))
    if not config_valid:
        return EXIT_USAGE
    return EXIT_OK if ok else EXIT_FAILED

