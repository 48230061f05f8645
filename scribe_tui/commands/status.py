"""``scribe-tui status [--follow]``: the queue at a glance — jobs and chunks by status and
by language, throughput over the last minutes, ETA, workers, and whether a supervisor is
running. ``--follow`` redraws every second until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import (
    Column,
    fmt_int,
    fmt_rate,
    is_terminal,
    pct,
    render_table,
    terminal_width,
    to_json,
)
from scribe_tui.commands.supervisor_probe import cluster, probe
from scribe_tui.config import Settings
from scribe_tui.context import CommandContext
from scribe_tui.engine.cluster import host_key, is_shared, supervisor_key
from scribe_tui.engine.outlook import outlook
from scribe_tui.errors import EXIT_OK, UsageError
from scribe_tui.store import JobStatus

HISTORY_MINUTES = 10
RATE_WINDOW_MINUTES = 5
WORKER_STALE_S = 15.0
CLEAR_SCREEN = "\x1b[H\x1b[2J"
JOB_STATUSES = tuple(status.value for status in JobStatus)


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--follow", "-f", action="store_true", help="refresh every second until Ctrl-C")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between refreshes with --follow (default 1)")
    p.add_argument("--count", type=int, metavar="N", help="with --follow: stop after N refreshes")
    add_common_options(p)


# ---- gathering --------------------------------------------------------------------------------


def throughput_summary(store: Any, now: float) -> dict[str, Any]:
    """Chunks per minute over the last RATE_WINDOW_MINUTES (a sliding window ending now), and a
    histogram of the last HISTORY_MINUTES whole minutes ending now (no bucket in the future)."""
    buckets = store.throughput(now - HISTORY_MINUTES * 60, 60, now=now - 1e-6)[-HISTORY_MINUTES:]
    recent = buckets[-RATE_WINDOW_MINUTES:]
    return {
        "chunks_per_min": sum(chunks for _, chunks, _ in recent) / RATE_WINDOW_MINUTES,
        "tokens_per_min": sum(tokens for _, _, tokens in recent) / RATE_WINDOW_MINUTES,
        "per_minute": [chunks for _, chunks, _ in buckets],
        "window_min": RATE_WINDOW_MINUTES,
    }


def _worker_json(row: Any, now: float) -> dict[str, Any]:
    age = max(0.0, now - row.heartbeat_at)
    return {"worker_id": row.worker_id, "host": row.host, "pid": row.pid, "state": row.state, "in_flight": row.in_flight,
            "restarts": row.restarts, "done": row.done_count, "heartbeat_age_s": round(age, 1),
            "stale": age > WORKER_STALE_S}


def gather(store: Any, data_dir: Any, settings: Settings, now: float | None = None, *,
           shared: bool = False) -> dict[str, Any]:
    """The status of the queue, and of the supervisors: this machine's, and on a shared store
    every machine's (``hosts``); jobs, chunks and workers are the whole cluster's."""
    now = store.clock() if now is None else now  # heartbeats are on the store's clock
    chunks = store.task_counts()
    throughput = throughput_summary(store, now)
    ahead = outlook(store, settings, data_dir, now=now)
    remaining = ahead.remaining
    return {
        "ts": now,
        "supervisor": probe(store, data_dir, now=now, key=supervisor_key(shared)).to_json(),
        "hosts": cluster(store, now=now) if shared else [],
        "paused": bool(store.get_control("paused", False)) or (shared and bool(store.get_control(host_key("paused")))),
        "jobs": store.job_counts(),
        "chunks": chunks,
        "languages": store.counts_by_language(),
        "throughput": throughput,
        "remaining_chunks": remaining,
        "eta_s": ahead.eta_s if remaining else 0.0,
        "eta_binding": ahead.binding,
        "eta_text": ahead.eta_text(),
        "last_minute_chunks": round(ahead.chunks_per_min),
        "waiting": list(ahead.waiting),
        "workers": [_worker_json(row, now) for row in store.workers()],
    }


# ---- rendering --------------------------------------------------------------------------------


def _counts_line(counts: dict[str, int]) -> str:
    return "  ".join(f"{status} {fmt_int(n)}" for status, n in counts.items())


def _language_table(languages: dict[str, dict[str, int]], width: int | None) -> str:
    columns = [Column("lang"), *(Column(status, "right") for status in JOB_STATUSES), Column("done", "right")]
    rows = []
    for lang, counts in sorted(languages.items()):
        total = sum(counts.values())
        rows.append([lang, *(fmt_int(counts.get(status, 0)) for status in JOB_STATUSES), pct(counts.get("completed", 0), total)])
    return render_table(columns, rows, width=width)


def _workers_table(workers: list[dict[str, Any]], width: int | None) -> str:
    live = [w for w in workers if not w["stale"]]
    if not live:
        return "workers: none running"
    several = len({w["host"] for w in live}) > 1
    columns = [Column("worker"), Column("pid", "right"), Column("state"), Column("in flight", "right"),
               Column("done", "right"), Column("restarts", "right"), Column("heartbeat", "right")]
    rows = [[f"{w['host']}/{w['worker_id']}" if several else w["worker_id"], str(w["pid"]), w["state"], str(w["in_flight"]), fmt_int(w["done"]), str(w["restarts"]),
             f"{w['heartbeat_age_s']:.0f}s ago"] for w in live]
    return render_table(columns, rows, width=width)


def render(status: dict[str, Any], *, width: int | None = None) -> str:
    sup = status["supervisor"]
    tp = status["throughput"]
    lines = [
        f"supervisor  {sup['detail']}" + ("  [paused]" if status["paused"] else ""),
        f"jobs        {_counts_line(status['jobs'])}",
        f"chunks      {_counts_line(status['chunks'])}",
        f"throughput  {fmt_rate(tp['chunks_per_min'], ' chunks/min')} over the last {tp['window_min']} min"
        f"   (per minute, oldest first: {' '.join(str(n) for n in tp['per_minute'])})",
        f"remaining   {fmt_int(status['remaining_chunks'])} chunks, {status['eta_text']}"
        + "".join(f"; {line}" for line in status["waiting"]),
        "",
    ]
    for host in status.get("hosts", []):
        state = "alive" if host["alive"] else "gone"
        lines.insert(1, f"  host {host['host']}: {state}, pid {host['pid']}, "
                        f"{host['target_workers']} workers" + ("  [paused]" if host["paused"] else ""))
    if status["languages"]:
        lines += [_language_table(status["languages"], width), ""]
    else:
        lines += ["no jobs yet", ""]
    lines.append(_workers_table(status["workers"], width))
    return "\n".join(lines)


# ---- the command ------------------------------------------------------------------------------


def _emit(status: dict[str, Any], *, as_json: bool, follow: bool, clear: bool) -> None:
    if as_json:
        sys.stdout.write(to_json(status, indent=None if follow else 2) + "\n")
    else:
        block = render(status, width=terminal_width())
        if follow:
            stamp = time.strftime("%H:%M:%S", time.localtime(status["ts"]))
            block = f"scribe-tui status at {stamp}  (Ctrl-C to stop)\n\n{block}"
        sys.stdout.write((CLEAR_SCREEN if clear else "") + block + ("\n\n" if follow and not clear else "\n"))
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        raise UsageError("--interval must be a positive number of seconds")
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    with command_context(args) as ctx:
        if args.follow:
            follow(ctx, args)
        else:
            _emit(gather(ctx.store, ctx.data_dir, ctx.settings, shared=is_shared(ctx.settings.store_url)),
                  as_json=ctx.json, follow=False, clear=False)
    return EXIT_OK


def follow(ctx: CommandContext, args: argparse.Namespace) -> None:
    """Redraw until Ctrl-C (or ``--count`` refreshes): in place on a terminal, else as blocks."""
    clear = is_terminal() and not ctx.json
    shown = 0
    try:
        while True:
            _emit(gather(ctx.store, ctx.data_dir, ctx.settings, shared=is_shared(ctx.settings.store_url)),
                  as_json=ctx.json, follow=True, clear=clear)
            shown += 1
            if args.count is not None and shown >= args.count:
                return
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return
