"""``scribe-tui simulate``: options turned into a simulator config, and the real server in a
subprocess answering on 127.0.0.1, rate limiting, and stopping cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from scribe_tui.arguments import parser
from scribe_tui.commands import simulate
from tests._commands_support import REPO, run_cli


def _args(*argv: str):
    p = parser(prog="scribe-tui simulate")
    simulate.register(p)
    return p.parse_args(list(argv))


def test_fail_rate_is_spread_over_the_fault_kinds():
    config = simulate.build_config(_args("--fail-rate", "0.4", "--rpm", "60", "--latency-ms", "10"))
    assert (config.http_500, config.http_503, config.drop, config.malformed) == pytest.approx((0.1, 0.1, 0.1, 0.1))
    assert config.latency_ms == 10
    assert [(limit.kind, limit.amount, limit.span_s) for limit in config.limits] == [("requests", 60, 60)]


def test_extra_limits_and_bad_options(capsys):
    config = simulate.build_config(_args("--limit", "1000 tokens/minute"))
    assert [limit.kind for limit in config.limits] == ["tokens"]
    for argv in (["--fail-rate", "1.5"], ["--rpm", "0"], ["--limit", "lots/minute"], ["--port", "70000"]):
        code, _, err = run_cli(capsys, "simulate", *argv)
        assert code == 2, argv
        assert err.startswith("scribe-tui: error:")


def test_simulator_process_serves_rate_limits_and_stops_on_sigint():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIBE_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, "-m", "scribe_tui", "simulate", "--port", "0", "--json", "--rpm", "2",
                             "--latency-ms", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=REPO)
    try:
        announced = json.loads(proc.stdout.readline())
        assert announced["url"].startswith("http://127.0.0.1:")
        body = {"model": "demo-pseudo", "messages": [
            {"role": "system", "content": "Translate. Target language: German (de)."},
            {"role": "user", "content": "hello"}]}
        url = announced["base_urls"]["openai"] + "/chat/completions"
        statuses = [httpx.post(url, json=body, timeout=10).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
