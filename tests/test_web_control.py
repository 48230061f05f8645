"""One engine: ``serve`` next to a ``--batch`` already running on the data directory attaches
to it as a monitor, and an operator's cancel over HTTP reaches that batch through the store —
the job ends cancelled, the batch says so in its summary and writes no output for it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from scribe_tui.store import JobStore
from tests.engine_support import popen_cli
from tests.web_support import OPERATOR, TOKEN_ENV, VIEWER, cli_env, serve_process, wait_for, write_config, write_documents


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.timeout(300)  # a batch and serve, each spawning workers
def test_an_operator_cancels_a_job_of_a_running_batch(tmp_path: Path) -> None:
    names = [f"episode{n:02d}.txt" for n in range(8)]
    write_documents(tmp_path / "docs", names, paragraphs=1)
    config = write_config(tmp_path, latency_ms=1500)  # two chunks in flight at a time: the batch takes ~6 s
    batch = popen_cli("--batch", str(tmp_path / "docs"), "--to", "he", "--config", str(config), "--json",
                      env=cli_env())
    store = JobStore.open(tmp_path / "data")
    try:
        wait_for(lambda: store.get_control("supervisor") and len(store.jobs()) == len(names), "the batch to run",
                 timeout=60)
        last = max(job.id for job in store.jobs())
        with serve_process("--config", str(config), env=TOKEN_ENV) as serve, \
                httpx.Client(base_url=serve.url, timeout=10) as client:
            status = client.get("/api/status", headers=bearer(VIEWER)).json()
            assert status["supervisor"]["mode"] == "monitor" and status["supervisor"]["alive"] is True
            assert store.job(last).status == "queued"
            refused = client.post(f"/api/jobs/{last}/cancel", headers=bearer(VIEWER))
            assert refused.status_code == 403 and store.job(last).status == "queued"
            answer = client.post(f"/api/jobs/{last}/cancel", headers=bearer(OPERATOR))
            assert answer.status_code == 200 and answer.json()["job"]["status"] == "cancelled"
            assert store.job(last).status == "cancelled"
            out, err = batch.communicate(timeout=90)
            code, serve_err = serve.interrupt()
        assert code == 130, serve_err
        summary = json.loads(out)
        assert batch.returncode == 0, err  # a cancelled job is not a failure
        assert summary["cancelled"] == 1 and summary["completed"] == len(names) - 1
        assert store.job(last).status == "cancelled" and store.job(last).output_path
        assert not Path(store.job(last).output_path).exists()
    finally:
        store.close()
        if batch.poll() is None:
            batch.kill()
            batch.communicate(timeout=10)
