"""End to end through real processes: `scribe-tui --batch` with worker processes, the real
openai SDK over HTTP to the simulator, real SQLite files. Crashes, storms and interrupts."""

from __future__ import annotations

import json
import re
import os
import signal
import time
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer
from scribe_tui.store import JobStore
from tests.engine_support import assert_translated, make_corpus, popen_cli, run_cli, write_config
from tests.strict_server import StrictServer

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]


@pytest.fixture
def sim():
    server = SimulatorServer(SimulatorConfig(latency_ms=20)).start()
    yield server
    server.stop()


def successes(server: SimulatorServer) -> int:
    return int(server.stats()["per_status"].get("200", 0))


def chunk_total(data_dir: Path) -> int:
    store = JobStore.open(data_dir)
    try:
        return sum(job.chunks_total for job in store.jobs())
    finally:
        store.close()


def test_batch_translates_a_mixed_corpus_exactly_once(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = make_corpus(tmp_path / "corpus")
    config = write_config(tmp_path, sim_url=sim.url)
    proc = run_cli("--batch", str(corpus), "--to", "he,de", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    for key in ("completed", "failed", "cancelled", "documents", "chunks", "cache_hits", "requests", "retries",
                "rate_limited", "duration_s", "tokens_in", "tokens_out", "cost_usd"):
        assert key in summary
    files = len(list(corpus.iterdir()))
    assert summary["completed"] == 2 * files and summary["failed"] == 0
    assert summary["documents"] == files
    for language in ("he", "de"):
        assert assert_translated(corpus, tmp_path / "out", language) == files
    chunks = chunk_total(tmp_path / "data")
    assert summary["chunks"] == chunks > 2 * files  # several chunks per document
    assert successes(sim) == chunks == summary["requests"]  # every chunk paid for exactly once
    assert 1 < sim.stats()["max_in_flight"] <= 8  # max_concurrency holds across both worker processes
    assert summary["tokens_in"] > 0 and summary["cost_usd"] > 0
    # Formats intact: timestamps and numbering of the subtitles are byte-identical.
    src_lines = (corpus / "film.srt").read_text().splitlines()
    out_lines = (tmp_path / "out" / "he" / "film.srt").read_text().splitlines()
    assert [l for l in src_lines if "-->" in l or l.isdigit()] == [l for l in out_lines if "-->" in l or l.isdigit()]
    assert "print('keep me')" in (tmp_path / "out" / "he" / "notes.md").read_text()

    # A rerun of the finished batch is free: nothing is sent again.
    again = run_cli("--batch", str(corpus), "--to", "he,de", "--config", str(config), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["requests"] == 0
    assert successes(sim) == chunks


def test_fresh_queue_rerun_is_served_from_the_cache(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=2)
    config = write_config(tmp_path, sim_url=sim.url)
    first = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
    assert first.returncode == 0, first.stderr
    paid = successes(sim)
    fresh = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json",
                    "--data-dir", str(tmp_path / "fresh-data"), "-o", str(tmp_path / "out2"))
    assert fresh.returncode == 0, fresh.stderr
    summary = json.loads(fresh.stdout)
    assert summary["requests"] == 0 and summary["cache_hits"] == summary["chunks"] > 0
    assert successes(sim) == paid
    assert_translated(corpus, tmp_path / "out2", "he")
    no_cache = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json", "--no-cache",
                       "--data-dir", str(tmp_path / "third-data"), "-o", str(tmp_path / "out3"))
    assert json.loads(no_cache.stdout)["requests"] == summary["chunks"]


def test_sigkill_of_the_whole_run_resumes_paying_only_for_in_flight(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=150)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=12)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=4, workers=2)
        proc = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config))
        deadline = time.time() + 60
        while successes(server) < 15 and time.time() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        time.sleep(0.5)
        paid_before = successes(server)
        rerun = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
        assert rerun.returncode == 0, rerun.stderr
        chunks = chunk_total(tmp_path / "data")
        assert_translated(corpus, tmp_path / "out", "he")
        # Only chunks in flight at the kill (at most max_concurrency) could be paid twice.
        assert successes(server) <= chunks + 4
        assert paid_before < chunks
    finally:
        server.stop()


def test_ctrl_c_exits_130_and_the_next_run_resumes(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=200)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=10)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=3, workers=1)
        proc = popen_cli("--batch", str(corpus), "--to", "de", "--config", str(config))
        deadline = time.time() + 60
        while successes(server) < 5 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        store = JobStore.open(tmp_path / "data")
        try:
            counts = store.task_counts()
            assert counts.get("leased", 0) == 0  # leases released on the way out
            assert counts.get("done", 0) >= 5 and counts.get("queued", 0) > 0
        finally:
            store.close()
        rerun = run_cli("--batch", "--config", str(config), "--json")  # no PATH: resume the queue
        assert rerun.returncode == 0, rerun.stderr
        assert_translated(corpus, tmp_path / "out", "de")
        assert successes(server) <= chunk_total(tmp_path / "data") + 3
    finally:
        server.stop()


def test_second_supervisor_on_the_same_data_dir_exits_2(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorConfig(latency_ms=5000)).start()  # outlasts a CLI start-up under load
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=6)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=2, workers=1)
        first = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config))
        deadline = time.time() + 30
        while successes(server) < 1 and time.time() < deadline:
            time.sleep(0.05)
        second = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config))
        assert second.returncode == 2
        assert "already running" in second.stderr and "Traceback" not in second.stderr
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    finally:
        server.stop()


def test_unreadable_document_fails_alone(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=1)
    (corpus / "broken.srt").write_text("1\nnot a timestamp\nhello\n")
    (corpus / "noise.txt").write_bytes(bytes(range(0x80, 0x100)) * 3)  # no text encoding fits
    (corpus / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))  # converted, not refused
    (corpus / "picture.png").write_bytes(b"\x89PNG\r\n")
    config = write_config(tmp_path, sim_url=sim.url)
    proc = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 1
    summary = json.loads(proc.stdout)
    assert summary["failed"] == 2 and summary["completed"] == summary["jobs"] - 2
    reasons = " ".join(f["error"] for f in summary["failures"])
    assert "UTF-8" in reasons and "broken.srt" in " ".join(f["document"] for f in summary["failures"])
    assert [Path(item["path"]).name for item in summary["converted"]] == ["latin1.txt"]
    assert "Traceback" not in proc.stderr


def test_parked_daily_quota_is_not_a_failure(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(5):
        (corpus / f"doc{i}.txt").write_text(f"Short document number {i}.\n")
    config = write_config(tmp_path, sim_url=sim.url, limits=("3/day",))
    proc = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["completed"] == 3 and summary["failed"] == 0
    assert summary["unfinished"] == 2 and summary["parked"] == 2
    assert successes(sim) == 3


def _request_costs(data_dir: Path) -> list[float]:
    import sqlite3

    with sqlite3.connect(data_dir / "jobs.db") as db:
        return [cents / 100 for (cents,) in db.execute("SELECT cost_cents FROM metrics WHERE outcome = 'ok'")]


@pytest.fixture
def slow_sim():
    server = SimulatorServer(SimulatorConfig(latency_ms=150)).start()  # several chunks in flight at the cap
    yield server
    server.stop()


def test_max_cost_holds_spend_within_the_cap_plus_the_chunks_in_flight(tmp_path: Path, slow_sim: SimulatorServer) -> None:
    """issue 16 item 4 / issue 17 item 4: each chunk's estimated cost is reserved before it is
    sent, so the run ends within the cap plus what the chunks in flight cost beyond their
    estimate (at most max_concurrency chunks); the rest stays queued, not "parked"."""
    corpus = make_corpus(tmp_path / "corpus", documents=6)
    in_flight_cap = 4
    config = write_config(tmp_path, sim_url=slow_sim.url, max_concurrency=in_flight_cap, workers=1,
                          provider_extra='[providers.sim.pricing.sim-model]\ninput_per_million_tokens = 10.0\n'
                                         'output_per_million_tokens = 10.0\n')
    cap = 0.01
    proc = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json", "--max-cost", str(cap))
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)
    costs = _request_costs(tmp_path / "data")
    assert len(costs) >= 3 and summary["unfinished"] > 0 and summary["failed"] == 0
    spent = summary["cost_usd"]
    assert spent == pytest.approx(sum(costs), abs=1e-6)
    # the upper bound: the cap plus the chunks that were in flight when it was reached
    assert spent <= cap + in_flight_cap * max(costs)
    # and the reservation keeps it within one chunk's estimate error of the cap (without it,
    # every chunk in flight when the cap was crossed lands on top of it)
    assert spent <= cap + max(costs) / 2, (spent, costs)
    assert summary["stopped"] == f"stopped: --max-cost ${cap:g} reached (${spent:.4f} spent)"
    assert summary["max_cost_usd"] == cap and summary["parked"] == 0


def test_max_cost_is_per_run_and_says_so(tmp_path: Path, sim: SimulatorServer) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=6)
    config = write_config(tmp_path, sim_url=sim.url, max_concurrency=2, workers=1,
                          provider_extra='[providers.sim.pricing.sim-model]\ninput_per_million_tokens = 10.0\n')
    first = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--max-cost", "0.005")
    assert first.returncode == 1, first.stderr
    lines = first.stderr.splitlines()
    stopped = [line for line in lines if line.startswith("stopped: --max-cost $0.005 reached ($")]
    assert len(stopped) == 1 and "caps each run's spend" in stopped[0], first.stderr
    assert not any("parked" in line for line in lines), first.stderr
    second = run_cli("--batch", "--config", str(config), "--json", "--max-cost", "0.005")
    summary = json.loads(second.stdout)
    assert 0 < summary["cost_usd"] <= 0.005 + max(_request_costs(tmp_path / "data"))  # a new run, a new cap


def test_dry_run_reports_without_enqueueing(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", documents=3)
    config = write_config(tmp_path)
    proc = run_cli("--batch", str(corpus), "--to", "he,de", "--config", str(config), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["documents"] == len(list(corpus.iterdir())) and report["chunks"] > 0
    assert report["plans"][0]["requests"] == 2 * report["chunks"]
    assert not (tmp_path / "data" / "jobs.db").exists()


def _sixty_short_documents(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(60):
        (corpus / f"doc{i:02}.txt").write_text(f"Short document number {i}.\n")
    return corpus


def _busiest(arrivals: list[float], span_s: float) -> int:
    times = sorted(arrivals)
    return max(sum(1 for t in times[i:] if t < start + span_s) for i, start in enumerate(times))


def test_four_worker_processes_at_the_simulators_limit_with_arrival_delays_see_no_429(tmp_path: Path) -> None:
    """Four real worker processes share the limit; the simulator counts each request after a
    random delay of up to a second (as a new connection waiting for a SYN retransmission
    would). What the client sent, by the server's own arrival log, never exceeds the
    configured limit in any window, and the run reached it."""
    server = SimulatorServer(SimulatorConfig(latency_ms=20, arrival_delay_ms=1000, limits=("20/2s",))).start()
    try:
        config = write_config(tmp_path, sim_url=server.url, limits=("20/2s",), workers=4, max_concurrency=20)
        proc = run_cli("--batch", str(_sixty_short_documents(tmp_path)), "--to", "he", "--config", str(config), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["rate_limited"] == 0
        stats = server.stats()
    finally:
        server.stop()
    assert stats["rate_limited"] == 0 and len(stats["arrivals"]) == 60
    assert _busiest(stats["arrivals"], 2.0) == 20  # at the limit, never over it


def test_four_worker_processes_at_the_strict_servers_limit_see_no_429(tmp_path: Path) -> None:
    """The same against the independent strict server (HTTP/1.0, accept backlog 5, its own
    sliding window counted at arrival): nothing the client sent was over the limit."""
    with StrictServer(requests=20, window_s=2.0, latency_s=0.02) as server:
        config = write_config(tmp_path, sim_url=server.url, limits=("20/2s",), workers=4, max_concurrency=20)
        proc = run_cli("--batch", str(_sixty_short_documents(tmp_path)), "--to", "he", "--config", str(config), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["rate_limited"] == 0
    assert server.refused == 0 and len(server.arrivals) == 60
    assert server.busiest_window() == 20


def test_dry_run_prints_a_true_lower_bound_and_the_expected_time(tmp_path: Path, sim: SimulatorServer) -> None:
    """issue 17 item 3: 25 requests under "10/3s" need two refills after the burst of ten, so
    no run can take less than 6 s (the old estimate, 25/10 windows × 3 s = 7.5 s, was beaten by
    real runs); after a run the expected time uses the measured latency."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(25):
        (corpus / f"line{i:02d}.txt").write_text(f"Sentence number {i}.\n")
    config = write_config(tmp_path, sim_url=sim.url, limits=("10/3s",), workers=1, heartbeat_timeout_s=60)
    before = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--dry-run", "--json")
    assert before.returncode == 0, before.stderr
    plan = json.loads(before.stdout)["plans"][0]
    assert plan["requests"] == 25 and plan["time_bound_s"] == 6.0 and plan["binding"] == "10/3s"
    assert plan["expected_s"] is None  # an openai-kind endpoint's latency is not known before a run
    run = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
    assert run.returncode == 0, run.stderr
    arrivals = sim.stats()["arrivals"]
    assert len(arrivals) == 25
    assert max(arrivals) - min(arrivals) >= plan["time_bound_s"] - 0.25  # a true lower bound
    after = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--dry-run")
    line = next(line for line in after.stdout.splitlines() if line.strip().startswith("time:"))
    assert "limited by 10/3s" in line and "no run can take less than 6.0s" in line, line
    expected_s = float(line.split("expected ")[1].split("s ")[0])
    assert 6.0 <= expected_s <= (max(arrivals) - min(arrivals)) * 1.3 + 1.5, (line, max(arrivals) - min(arrivals))


PROGRESS = re.compile(r"^\[\s*([\d.]+)s\] chunks (\d+)/(\d+) \(this run (\d+), (\d+)/min(?:, ETA ([^)]*?)(?: \(limited by ([^)]*\)?)\))?)?\)")


def _progress_lines(stderr: str) -> list[tuple[float, int, int, int, int, str | None, str | None]]:
    out = []
    for line in stderr.splitlines():
        match = PROGRESS.match(line)
        if match:
            t, done, total, this_run, rate, eta, binding = match.groups()
            out.append((float(t), int(done), int(total), int(this_run), int(rate), eta, binding))
    return out


def _seconds(text: str) -> float:
    minutes, _, rest = text.rpartition("m")
    return (float(minutes) * 60 if minutes else 0.0) + float(rest.rstrip("s") or 0)


def test_batch_eta_comes_from_the_binding_limit_and_a_resume_is_not_speed(tmp_path: Path, sim: SimulatorServer) -> None:
    """issue 17 items 1–2: under "10/2s" the ETA is the time the window needs for what is left,
    named ("limited by 10/2s"), and it holds against the run's real end; after a resume the
    chunks done before are in the totals but not in this run's count or rate."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc in range(3):  # 20 one-paragraph chunks each: a resume finds jobs half done
        (corpus / f"talk{doc}.txt").write_text("\n\n".join(
            f"Paragraph {i} of talk {doc} says something about the weather, the budget, the long meeting "
            f"that followed and everything the committee decided afterwards." for i in range(20)) + "\n")
    config = write_config(tmp_path, sim_url=sim.url, limits=("10/2s",), workers=1, heartbeat_timeout_s=60,
                          max_tokens=50,
                          provider_extra='[providers.sim.pricing.sim-model]\ninput_per_million_tokens = 10.0\n')
    first = run_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--max-cost", "0.004")
    assert first.returncode == 1, first.stderr  # part of the work, the rest stays queued
    with JobStore.open(tmp_path / "data") as store:
        jobs = store.jobs()
        total = sum(job.chunks_total for job in jobs)
        done_before = sum(job.chunks_done for job in jobs)
    assert total == 60 and 0 < done_before < 60
    second = run_cli("--batch", "--config", str(config))
    assert second.returncode == 0, second.stderr
    lines = _progress_lines(second.stderr)
    assert len(lines) >= 2, second.stderr
    finished_at = lines[-1][0]
    assert lines[-1][1:4] == (60, 60, 60 - done_before) or lines[-1][2] < 60  # whole jobs in scope
    assert lines[0][1] - lines[0][3] == done_before  # the chunks done before are in the totals only
    for t, done, total, this_run, rate, eta, binding in lines[:-1]:
        assert this_run == done - done_before and rate <= 10 * 30 * 1.2  # never the old run's chunks as speed
        assert this_run == done - lines[0][1] + lines[0][3]
        if eta is None or done == total or this_run == 0:  # workers still starting: no reply to go by yet
            continue
        assert binding == "10/2s", second.stderr
        # the ETA holds against the real end: never later than it by more than a window and a
        # reply or two, and (a loaded machine only slows a run down) not far earlier either
        predicted_end, left = t + _seconds(eta), finished_at - t
        assert predicted_end <= finished_at + 2 + 1.5, second.stderr
        assert predicted_end >= finished_at - max(2 + 1.5, 0.5 * left), second.stderr


def test_in_flight_counts_requests_on_the_wire_and_waiting_says_for_what(tmp_path: Path, sim: SimulatorServer) -> None:
    """issue 17 item 2: with "2/4s" and room for 8 in flight, the worker holds 8 chunks but only
    2 requests are on the wire; the store (status, the TUI, the web) says 2 in flight, the
    worker "waiting", and status says "waiting for 2/4s (next slot in N s)"."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(8):
        (corpus / f"line{i}.txt").write_text(f"Sentence number {i}.\n")
    config = write_config(tmp_path, sim_url=sim.url, limits=("2/4s",), workers=1, heartbeat_timeout_s=60)
    proc = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config))
    seen_in_flight, states, waiting = [], set(), []
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not waiting:
            time.sleep(0.3)
            if not (tmp_path / "data" / "jobs.db").exists():
                continue
            with JobStore.open(tmp_path / "data") as store:
                rows = store.workers()
            seen_in_flight += [row.in_flight for row in rows]
            states |= {row.state for row in rows}
            if "waiting" in states and successes(sim) >= 2:
                status = run_cli("status", "--json", "--config", str(config))
                waiting = json.loads(status.stdout)["waiting"]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert seen_in_flight and max(seen_in_flight) <= 2, seen_in_flight
    assert "waiting" in states
    assert waiting and re.fullmatch(r"waiting for 2/4s \(next slot in [0-4] s\)", waiting[0]), waiting


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _session_members(session_id: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session_id and fields[0] != "Z":
                members.append(int(entry))
    return members


def test_workers_exit_within_2_s_of_a_sigkilled_supervisor(tmp_path: Path) -> None:
    """SIGKILL gives the supervisor no chance to stop its workers: they must notice alone,
    or they keep sending (and paying for) chunks the next run sends again."""
    server = SimulatorServer(SimulatorConfig(latency_ms=1000)).start()
    proc = None
    worker_pids: list[int] = []
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=6)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=4, workers=2)
        proc = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (tmp_path / "data" / "jobs.db").exists():
                store = JobStore.open(tmp_path / "data")
                try:
                    worker_pids = [row.pid for row in store.workers() if row.pid]
                finally:
                    store.close()
            if len(worker_pids) == 2 and server.stats()["in_flight"] >= 2:
                break
            time.sleep(0.1)
        assert len(worker_pids) == 2 and all(_alive(pid) for pid in worker_pids)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.monotonic()
        while any(_alive(pid) for pid in worker_pids) and time.monotonic() - killed < 10:
            time.sleep(0.02)
        gone_after = time.monotonic() - killed
        assert gone_after <= 2.0, f"workers outlived the supervisor by {gone_after:.1f} s"
        while _session_members(proc.pid) and time.monotonic() - killed < 10:
            time.sleep(0.05)
        assert _session_members(proc.pid) == []  # nothing else of the run is left behind either
    finally:
        for pid in worker_pids + (_session_members(proc.pid) if proc else []):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        server.stop()


def _limit_file_size(pid: int, size: int) -> None:
    """A full disk for one process: any write past ``size`` bytes fails (EFBIG; SQLite says
    'disk I/O error'). Only the soft limit moves, so it can be lifted again unprivileged."""
    import resource

    resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


def test_a_full_disk_for_a_while_loses_no_result_and_the_run_completes(tmp_path: Path) -> None:
    """Results pulled from the workers while the store cannot be written are kept and
    recorded once it can: nothing is dropped, so nothing is sent again."""
    import resource

    server = SimulatorServer(SimulatorConfig(latency_ms=300)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=12)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=4, workers=1)
        proc = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
        deadline = time.monotonic() + 90
        while (successes(server) < 4 or server.stats()["in_flight"] < 2) and time.monotonic() < deadline:
            time.sleep(0.01)
        _limit_file_size(proc.pid, 0)
        full_at = successes(server)
        time.sleep(2.0)  # workers finish what they hold; the supervisor cannot record it
        assert successes(server) > full_at  # results did arrive during the outage
        _limit_file_size(proc.pid, resource.RLIM_INFINITY)
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        summary = json.loads(stdout)
        assert summary["completed"] == summary["jobs"] == len(list(corpus.iterdir()))
        assert successes(server) == chunk_total(tmp_path / "data")  # no result dropped, no chunk sent twice
        assert_translated(corpus, tmp_path / "out", "he")
    finally:
        server.stop()


def test_a_disk_that_stays_full_stops_the_run_with_exit_1_and_one_line(tmp_path: Path) -> None:
    """Past engine.store_outage_s the run stops cleanly — no hang, no traceback — and the
    next run finishes the work, paying only for what was never translated."""
    server = SimulatorServer(SimulatorConfig(latency_ms=300)).start()
    try:
        corpus = make_corpus(tmp_path / "corpus", documents=12)
        config = write_config(tmp_path, sim_url=server.url, max_concurrency=4, workers=1)
        config.write_text(config.read_text().replace("[engine]\n", "[engine]\nstore_outage_s = 2\n"))
        proc = popen_cli("--batch", str(corpus), "--to", "he", "--config", str(config), "--json")
        deadline = time.monotonic() + 90
        while successes(server) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        _limit_file_size(proc.pid, 0)
        full_at = time.monotonic()
        stdout, stderr = proc.communicate(timeout=60)
        stopped_after = time.monotonic() - full_at
        assert proc.returncode == 1, stderr
        assert "Traceback" not in stderr
        reasons = [line for line in stderr.splitlines() if line.startswith("scribe-tui: error:")]
        assert len(reasons) == 1 and "job store could not be written" in reasons[0], stderr
        assert stopped_after < 2 + 2 + 15  # the outage allowance, a retry, the shutdown grace and start-up slack
        assert json.loads(stdout)["completed"] < len(list(corpus.iterdir()))
        paid = successes(server)
        rerun = run_cli("--batch", "--config", str(config), "--json")
        assert rerun.returncode == 0, rerun.stderr
        assert_translated(corpus, tmp_path / "out", "he")
        assert successes(server) <= chunk_total(tmp_path / "data") + 4  # the cache had what was paid for
        assert successes(server) >= paid
    finally:
        server.stop()
