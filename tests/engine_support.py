"""Helpers for engine and batch tests: a config pointing at a real simulator over HTTP, a
small mixed corpus, and checks that outputs are the simulator's translation of the source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scribe_tui.documents import parse_document
from scribe_tui.simulator import pseudo_translate
from tests.conftest import ROOT

SIM_KEY_ENV = "SCRIBE_TEST_SIM_KEY"


def write_config(tmp_path: Path, *, sim_url: str | None = None, limits: tuple[str, ...] = (),
                 workers: int | str = 2, max_concurrency: int = 8, max_attempts: int = 5,
                 extra: str = "", provider_extra: str = "", provider_keys: str = "", max_tokens: int = 60,
                 default_provider: str | None = None, heartbeat_timeout_s: float = 30, grace_s: float = 2) -> Path:
    """A config for tests: fast retries and heartbeats, private dirs, small chunks. The heartbeat
    timeout is long: on a loaded machine a worker can take seconds to import the openai SDK,
    and the supervisor kills a worker that has not beaten within it (even one still starting)."""
    provider = ""
    if sim_url:
        provider = f"""
[providers.sim]
kind = "openai"
base_url = "{sim_url}/v1"
model = "sim-model"
api_key_env = "{SIM_KEY_ENV}"
limits = {json.dumps(list(limits))}
max_concurrency = {max_concurrency}
timeout_s = 3
connect_timeout_s = 2
{provider_keys}
[providers.sim.pricing.default]
input_per_million_tokens = 0.15
output_per_million_tokens = 0.60
{provider_extra}
"""
    text = f"""
default_provider = "{default_provider or ('sim' if sim_url else 'demo')}"
workers = {json.dumps(workers)}
max_attempts = {max_attempts}
data_dir = "{tmp_path / 'data'}"
output_dir = "{tmp_path / 'out'}"
[chunking]
max_tokens = {max_tokens}
context_tokens = 10
[cache]
dir = "{tmp_path / 'cache'}"
[retry]
base_delay_s = 0.05
max_delay_s = 0.5
park_after_s = 30
[breaker]
failure_threshold = 4
cooldown_s = 0.5
[engine]
heartbeat_s = 0.2
heartbeat_timeout_s = {heartbeat_timeout_s}
lease_s = 30
shutdown_grace_s = {grace_s}
[providers.demo]
kind = "demo"
latency_ms = 5
jitter_ms = 0
{provider}
{extra}
"""
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def make_corpus(root: Path, documents: int = 6) -> Path:
    """A mixed corpus: txt, md with code, srt, vtt and json, several chunks each."""
    root.mkdir(parents=True, exist_ok=True)
    para = "Speaker one said the weather was fine today. Then the meeting moved on to budgets."
    for i in range(documents):
        (root / f"talk{i}.txt").write_text("\n\n".join(f"{para} Part {i}.{p}." for p in range(4)) + "\n")
    (root / "notes.md").write_text("# Notes\n\nFirst paragraph here.\n\n```python\nprint('keep me')\n```\n\n- item one\n- item two\n")
    cues = "".join(f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},900\nLine {n} of the subtitle.\n\n" for n in range(1, 9))
    (root / "film.srt").write_text(cues)
    vtt = "WEBVTT\n\n" + "".join(f"00:00:{n:02d}.000 --> 00:00:{n:02d}.900\nCue number {n}.\n\n" for n in range(1, 6))
    (root / "clip.vtt").write_text(vtt)
    segments = [{"start": i, "end": i + 1, "speaker": "A", "text": f"Segment {i} of the podcast."} for i in range(7)]
    (root / "pod.json").write_text(json.dumps(segments, indent=2))
    return root


def expected_output(source: Path, language: str) -> list[str]:
    document = parse_document(source.name, source.read_bytes())
    return [pseudo_translate(segment, language) for segment in document.segments]


def assert_translated(source_root: Path, out_root: Path, language: str) -> int:
    """Every source file has an output whose segments are the source's, translated once."""
    count = 0
    for source in sorted(p for p in source_root.rglob("*") if p.is_file()):
        target = out_root / language / source.relative_to(source_root)
        assert target.exists(), f"missing output {target}"
        output = parse_document(target.name, target.read_bytes())
        assert output.segments == expected_output(source, language), f"wrong translation in {target}"
        count += 1
    return count


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, SIM_KEY_ENV: "sk-test-simulator-key-0000", **(env or {})}
    return subprocess.run([sys.executable, "-m", "scribe_tui", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def popen_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    full_env = {**os.environ, SIM_KEY_ENV: "sk-test-simulator-key-0000", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "scribe_tui", *args], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.02) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)
