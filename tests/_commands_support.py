"""Shared set-up for the operator-command tests: an isolated environment (no real user
dirs, no SCRIBE_ variables), a config file in tmp_path, and a job store populated through
its own API with documents, jobs in every interesting state, metrics and a worker."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from scribe_tui.cli import main
from scribe_tui.store import ChunkSpec, JobStore, MetricRow, TaskDone, TaskFail

REPO = Path(__file__).resolve().parents[1]


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point every platformdirs location into tmp_path and drop SCRIBE_ variables."""
    for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    for name in list(os.environ):
        if name.startswith("SCRIBE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[cache]\ndir = "{tmp_path / "cache"}"\n\n{extra}', encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object]:
    code, out, err = run_cli(capsys, *argv, "--json")
    return code, json.loads(out)


def run_subprocess(args: list[str], env_extra: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIBE_")}
    env.update(env_extra or {})
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "scribe_tui", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO)


@dataclass
class Populated:
    data_dir: Path
    docs_dir: Path
    doc_a: int  # a.txt, 3 chunks
    doc_b: int  # b.srt, 2 chunks
    a_he: int  # completed (3/3)
    a_de: int  # processing (1/3 done)
    b_he: int  # failed (a chunk failed fatally)
    unreadable: int  # failed job of an unreadable document
    now: float


def _document(store: JobStore, path: Path, n_chunks: int, fmt: str) -> int:
    path.write_text("\n".join(f"line {i} of {path.name}" for i in range(n_chunks)), encoding="utf-8")
    source = path.read_bytes()
    chunks = [ChunkSpec(idx=i, text=f"line {i} of {path.name}", context="", token_estimate=10) for i in range(n_chunks)]
    return store.add_document(str(path), source, hashlib.sha256(source).hexdigest(), fmt, chunks)


def _done(task_id: int, provider: str = "demo") -> TaskDone:
    return TaskDone(task_id=task_id, translation="תרגום", provider=provider, model="demo-pseudo",
                    tokens_in=10, tokens_out=12, characters=20, cost_usd=0.001)


def populate(tmp_path: Path) -> Populated:
    data_dir, docs_dir = tmp_path / "data", tmp_path / "docs"
    docs_dir.mkdir()
    now = time.time()
    with JobStore.open(data_dir) as store:
        doc_a = _document(store, docs_dir / "a.txt", 3, "txt")
        doc_b = _document(store, docs_dir / "b.srt", 2, "srt")
        out = str(tmp_path / "out")
        a_he = store.enqueue(doc_a, "he", "demo", "demo-pseudo", output_path=out).job_id
        a_de = store.enqueue(doc_a, "de", "demo", "demo-pseudo", output_path=out).job_id
        b_he = store.enqueue(doc_b, "he", "demo", "demo-pseudo", output_path=out).job_id
        leased = store.lease("w1", 100, 60)
        by_job: dict[int, list[int]] = {}
        for task in sorted(leased, key=lambda t: (t.job_id, t.chunk_index)):
            by_job.setdefault(task.job_id, []).append(task.task_id)
        results = [_done(t) for t in by_job[a_he]] + [_done(by_job[a_de][0])]
        results.append(TaskFail(task_id=by_job[b_he][0], error_class="ChunkRejected", message="HTTP 400: bad request"))
        store.record_results(results, max_attempts=5)
        store.release("w1", by_job[a_de][1:] + by_job[b_he][1:])
        store.complete_job(a_he, str(tmp_path / "out" / "he" / "a.txt"))
        unreadable = store.add_failed_job(str(docs_dir / "gone.txt"), "he", "demo", "demo-pseudo",
                                          "cannot read: permission denied", output_path=out)
        store.record_metrics(_metrics(now))
    return Populated(data_dir, docs_dir, doc_a, doc_b, a_he, a_de, b_he, unreadable, now)


def _metrics(now: float) -> list[MetricRow]:
    def row(ts: float, provider: str, outcome: str, ms: float, **kw: object) -> MetricRow:
        return MetricRow(ts=ts, provider=provider, model="m", outcome=outcome, duration_ms=ms, **kw)  # type: ignore[arg-type]

    return [
        row(now - 60, "demo", "ok", 100, tokens_in=10, tokens_out=12, characters=20, cost_cents=0.1),
        row(now - 50, "demo", "ok", 200, tokens_in=10, tokens_out=12, characters=20, cost_cents=0.1),
        row(now - 40, "demo", "ok", 300, tokens_in=10, tokens_out=12, characters=20, cost_cents=0.1),
        row(now - 30, "demo", "rate_limited", 50, status_code=429, error_class="RateLimited"),
        row(now - 20, "demo", "error", 5000, status_code=500, error_class="RetryableError"),
        row(now - 10, "demo", "cached", 0, tokens_in=10, tokens_out=12),
        row(now - 15, "openai", "ok", 800, tokens_in=100, tokens_out=120, characters=300, cost_cents=2.5),
        row(now - 2 * 3600, "demo", "ok", 100, tokens_in=1000, tokens_out=1000, characters=5000, cost_cents=50),
    ]
