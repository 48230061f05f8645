"""Unit tests of the engine's pure decisions (autoscaling targets, provider routing, how a 429 is
counted, how a cap is shared out among workers) and of a worker's parent-death watch."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scribe_tui.config import load_settings
from scribe_tui.engine.autoscale import ProviderDemand, autoscale_target, step_toward
from scribe_tui.engine.routing import Router
from tests.conftest import ROOT


def test_rate_limited_provider_needs_one_worker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    slow = ProviderDemand(max_concurrency=64, requests_per_s_limit=10.0)
    assert autoscale_target(current=1, max_workers=8, runnable=5000, in_flight=10, providers=[slow],
                            rate_limited_now=False) == 1


def test_a_small_concurrency_cap_needs_one_worker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    capped = ProviderDemand(max_concurrency=10, requests_per_s_limit=None)
    assert autoscale_target(current=1, max_workers=8, runnable=5000, in_flight=10, providers=[capped],
                            rate_limited_now=False) == 1


def test_fast_unlimited_provider_grows_with_the_queue(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    fast = ProviderDemand(max_concurrency=128, requests_per_s_limit=None)
    assert autoscale_target(current=1, max_workers=4, runnable=5000, in_flight=0, providers=[fast],
                            rate_limited_now=False) == 4
    assert autoscale_target(current=4, max_workers=4, runnable=40, in_flight=0, providers=[fast],
                            rate_limited_now=False) == 2  # a short queue needs fewer
    assert autoscale_target(current=4, max_workers=4, runnable=0, in_flight=0, providers=[fast],
                            rate_limited_now=False) == 1  # idle: shrink to one


def test_no_growth_while_rate_limited(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    fast = ProviderDemand(max_concurrency=128, requests_per_s_limit=None)
    assert autoscale_target(current=2, max_workers=8, runnable=5000, in_flight=0, providers=[fast],
                            rate_limited_now=True) == 2


def test_grow_at_once_shrink_one_at_a_time() -> None:
    assert step_toward(1, 4) == 4 and step_toward(4, 1) == 3 and step_toward(2, 2) == 2


def _settings(tmp_path: Path, routing: str = "priority"):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.toml"
    path.write_text(f"""
[engine]
routing = "{routing}"
[providers.a]
kind = "demo"
fallback_providers = ["b"]
[providers.b]
kind = "demo"
fallback_providers = ["c"]
[providers.c]
kind = "demo"
""")
    return load_settings(path)


def test_router_falls_back_in_order_and_reports_the_earliest_reopening(tmp_path: Path) -> None:
    router = Router(_settings(tmp_path), usable={"a", "b", "c"})
    assert router.choose("a", {}, now=100) == ("a", 0.0)
    assert router.choose("a", {"a": 150}, now=100) == ("b", 0.0)
    assert router.choose("a", {"a": 150, "b": 120}, now=100) == ("c", 0.0)
    assert router.choose("a", {"a": 150, "b": 120, "c": 130}, now=100) == (None, 120)
    assert router.choose("a", {"a": math.inf, "b": math.inf, "c": math.inf}, now=100) == (None, math.inf)


def test_router_skips_unusable_providers(tmp_path: Path) -> None:
    router = Router(_settings(tmp_path), usable={"a", "c"})
    assert router.choose("a", {"a": 150}, now=100) == ("c", 0.0)


def test_round_robin_alternates_among_open_providers(tmp_path: Path) -> None:
    router = Router(_settings(tmp_path, "round_robin"), usable={"a", "b", "c"})
    picks = [router.choose("a", {}, now=1)[0] for _ in range(6)]
    assert picks == ["a", "b", "c", "a", "b", "c"]
    picks = [router.choose("a", {"b": 50}, now=1)[0] for _ in range(4)]
    assert "b" not in picks and set(picks) == {"a", "c"}


_ORPHAN = """
import sys, time
from scribe_tui.engine import lifeline
lifeline._ask_the_kernel = lambda: None  # the portable watch alone, as off Linux
lifeline.die_with_parent(int(sys.argv[1]))
print("ready", flush=True)
time.sleep(60)
"""
_PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())], stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(60)
"""


def test_the_portable_parent_watch_ends_an_orphan_within_a_second() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, _ORPHAN], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())  # type: ignore[union-attr]
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=5)
        killed = time.monotonic()
        while time.monotonic() - killed < 5:
            try:
                with open(f"/proc/{child_pid}/stat") as handle:
                    if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except OSError:
                break
            time.sleep(0.02)
        assert time.monotonic() - killed <= 1.0 + 0.5  # one poll interval, and room for a busy machine
    finally:
        try:
            os.kill(child_pid, signal.SIGKILL)
        except OSError:
            pass


def test_a_cap_is_shared_out_evenly_and_a_backlog_is_at_most_a_wave() -> None:
    from scribe_tui.engine.shares import BACKLOG_MAX, backlog, even_split

    assert even_split(10, ["w2", "w1", "w3"]) == {"w1": 4, "w2": 3, "w3": 3}
    assert even_split(1, ["w1", "w2"]) == {"w1": 1, "w2": 0}
    assert backlog(10) == 10 and backlog(0) == 0 and backlog(500) == BACKLOG_MAX


def test_shares_never_let_the_total_pass_the_cap_while_old_chunks_still_run() -> None:
    from scribe_tui.engine.shares import grant_shares

    # w1 had the whole cap of 10 and runs 10; w2 just joined: it gets nothing until w1's end
    assert grant_shares(10, {"w1": 5, "w2": 5}, {"w1": 10, "w2": 0}) == {"w1": 5, "w2": 0}
    # w1 is down to 7 running: three free places go to w2
    assert grant_shares(10, {"w1": 5, "w2": 5}, {"w1": 7, "w2": 0}) == {"w1": 5, "w2": 3}
    # a retiring worker (no target) still running 4 holds its places until they end
    assert grant_shares(6, {"w1": 6}, {"w1": 0, "w3": 4}) == {"w1": 2}
    # the cap went down from 10 to 4: the running share shrinks, nothing new is granted
    assert grant_shares(4, {"w1": 4}, {"w1": 10}) == {"w1": 4}
    for running in ({"w1": 3, "w2": 9}, {"w1": 0, "w2": 0}, {"w1": 12, "w2": 1}):
        grants = grant_shares(12, {"w1": 6, "w2": 6}, running)
        assert sum(max(running[w], grants[w]) for w in grants) <= max(12, sum(running.values()))


def test_a_429_is_counted_apart_and_reported_for_the_metrics() -> None:
    from scribe_tui.config import Settings
    from scribe_tui.engine import api
    from scribe_tui.engine.recorder import OutcomeRecorder
    from scribe_tui.store import MetricRow

    class Pool:
        held: list[str] = []

        def hold_off(self, provider: str, until: float) -> None:
            self.held.append(provider)

    events: list[api.Event] = []
    pool = Pool()
    recorder = OutcomeRecorder(Settings(), pool, None, None, events.append, budget=None)  # type: ignore[arg-type]
    for outcome in ("ok", "rate_limited", "rate_limited"):
        recorder.on_metric(MetricRow(ts=0.0, provider="demo", model="m", outcome=outcome, duration_ms=1.0))
    assert recorder.totals.requests == 3 and recorder.totals.rate_limited == 2 and recorder.totals.retries == 0
    assert [type(e).__name__ for e in events] == ["RateLimitHit", "RateLimitHit"]
    assert pool.held == ["demo"]  # every worker told to hold off at once, not once per 429
