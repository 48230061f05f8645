"""Nothing overwritten, nothing leaked: where outputs go and which files are read, through
the real ``scribe-tui`` CLI (worker processes, the openai SDK over HTTP to the simulator,
real SQLite files in temp dirs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scribe_tui.simulator import SimulatorConfig, SimulatorServer, pseudo_translate
from scribe_tui.store import JobStore
from tests.engine_support import SIM_KEY_ENV, run_cli, write_config

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]


@pytest.fixture
def sim():
    server = SimulatorServer(SimulatorConfig(latency_ms=5)).start()
    yield server
    server.stop()


def config_for(tmp_path: Path, sim: SimulatorServer) -> Path:
    # A worker may take seconds to import the openai SDK on a loaded machine: do not let the
    # supervisor take a slow start for a hung worker.
    return write_config(tmp_path, sim_url=sim.url, workers=1, heartbeat_timeout_s=60)


def cli_in(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The CLI run from ``cwd`` (relative PATHs and -o are taken from there)."""
    env = {**os.environ, SIM_KEY_ENV: "sk-test-simulator-key-0000", **(env or {})}
    return subprocess.run([sys.executable, "-m", "scribe_tui", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def translated(text: str, language: str = "he") -> str:
    return pseudo_translate(text.strip(), language) + "\n"


def sent_texts(server: SimulatorServer) -> str:
    return "\n".join(request["body"] for request in server.stats()["recent_requests"])


def job_count(data_dir: Path) -> int:
    with JobStore.open(data_dir) as store:
        return len(store.jobs())


def test_files_with_one_name_in_two_directories_both_get_their_translation(tmp_path: Path, sim) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.txt").write_text("Hello from a.\n")
    (tmp_path / "b" / "x.txt").write_text("Hello from b.\n")
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "a/x.txt", "b/x.txt", "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["completed"] == 2
    assert (tmp_path / "out" / "he" / "a" / "x.txt").read_text() == translated("Hello from a.")
    assert (tmp_path / "out" / "he" / "b" / "x.txt").read_text() == translated("Hello from b.")
    assert not (tmp_path / "out" / "he" / "x.txt").exists()


def test_a_second_source_for_a_finished_output_is_refused_with_exit_2(tmp_path: Path, sim) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(f"Hello from {name}.\n")
    config = config_for(tmp_path, sim)
    first = cli_in(tmp_path, "--batch", "a/x.txt", "--to", "he", "--config", str(config))
    assert first.returncode == 0, first.stderr
    second = cli_in(tmp_path, "--batch", "b/x.txt", "--to", "he", "--config", str(config))
    assert second.returncode == 2, second.stderr
    assert "Traceback" not in second.stderr
    assert str(tmp_path / "a" / "x.txt") in second.stderr and str(tmp_path / "b" / "x.txt") in second.stderr
    assert (tmp_path / "out" / "he" / "x.txt").read_text() == translated("Hello from a.")  # not overwritten
    assert job_count(tmp_path / "data") == 1  # nothing was enqueued


def test_an_edited_file_while_its_old_version_is_queued_is_refused(tmp_path: Path, sim) -> None:
    source = tmp_path / "talk.txt"
    source.write_text("The first version.\n")
    config = config_for(tmp_path, sim)
    assert cli_in(tmp_path, "translate", "--async", "talk.txt", "--to", "he", "--config", str(config)).returncode == 0
    source.write_text("The second version.\n")
    again = cli_in(tmp_path, "translate", "--async", "talk.txt", "--to", "he", "--config", str(config))
    assert again.returncode == 2
    assert "older version" in again.stderr and "jobs cancel 1" in again.stderr
    # Another provider for the same document while the first job is queued: refused too.
    source.write_text("The first version.\n")
    other = cli_in(tmp_path, "translate", "--async", "talk.txt", "--to", "he", "--provider", "demo",
                   "--config", str(config))
    assert other.returncode == 2 and "would both write it" in other.stderr
    assert job_count(tmp_path / "data") == 1
    # Once the queued job is done, re-running the edited file replaces its translation.
    assert cli_in(tmp_path, "--batch", "--to", "he", "--config", str(config)).returncode == 0
    source.write_text("The second version.\n")
    rerun = cli_in(tmp_path, "--batch", "talk.txt", "--to", "he", "--config", str(config))
    assert rerun.returncode == 0, rerun.stderr
    assert (tmp_path / "out" / "he" / "talk.txt").read_text() == translated("The second version.")


def test_symlinks_inside_a_directory_are_skipped_and_a_named_one_is_followed(tmp_path: Path, sim) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "c").mkdir(parents=True)
    (tmp_path / "secret.cfg.txt").write_text("password = hunter2\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "private.txt").write_text("Private diary entry.\n")
    (corpus / "talk.txt").write_text("A public talk.\n")
    (corpus / "c" / "notes.txt").symlink_to(tmp_path / "secret.cfg.txt")
    (corpus / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "corpus", "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["completed"] == 1
    assert "skipped 2 symbolic link(s)" in proc.stderr and "notes.txt" in proc.stderr
    assert "hunter2" not in sent_texts(sim) and "diary" not in sent_texts(sim)
    assert sorted(p.name for p in (tmp_path / "out" / "he").rglob("*") if p.is_file()) == ["talk.txt"]
    # Named explicitly, a symlink is followed.
    named = cli_in(tmp_path, "--batch", "corpus/c/notes.txt", "--to", "he", "--config", str(config))
    assert named.returncode == 0, named.stderr
    assert (tmp_path / "out" / "he" / "notes.txt").read_text() == translated("password = hunter2")


def test_a_relative_output_dir_is_fixed_when_enqueued_not_when_drained(tmp_path: Path, sim) -> None:
    enqueue_dir, drain_dir = tmp_path / "here", tmp_path / "there"
    enqueue_dir.mkdir()
    drain_dir.mkdir()
    (enqueue_dir / "talk.txt").write_text("Words to translate.\n")
    config = config_for(tmp_path, sim)
    queued = cli_in(enqueue_dir, "translate", "--async", "talk.txt", "--to", "he", "-o", "rel-out",
                    "--config", str(config), "--json")
    assert queued.returncode == 0, queued.stderr
    drained = cli_in(drain_dir, "--batch", "--to", "he", "--config", str(config), "--json")
    assert drained.returncode == 0, drained.stderr
    assert (enqueue_dir / "rel-out" / "he" / "talk.txt").read_text() == translated("Words to translate.")
    assert not (drain_dir / "rel-out").exists()
    with JobStore.open(tmp_path / "data") as store:
        [job] = store.jobs()
    assert job.output_path == str(enqueue_dir / "rel-out" / "he" / "talk.txt")


def test_output_dir_retargets_jobs_that_already_exist(tmp_path: Path, sim) -> None:
    (tmp_path / "corpus").mkdir()
    for n in range(3):
        (tmp_path / "corpus" / f"t{n}.txt").write_text(f"Text number {n}.\n")
    config = config_for(tmp_path, sim)
    first = cli_in(tmp_path, "--batch", "corpus", "--to", "he", "--config", str(config), "--json")
    assert first.returncode == 0, first.stderr
    again = cli_in(tmp_path, "--batch", "corpus", "--to", "he", "--config", str(config), "--json", "-o", "second")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["requests"] == 0 and summary["completed"] == 3
    assert "3 job(s) already in the queue now write to this run's output directory" in again.stderr
    for n in range(3):
        assert (tmp_path / "second" / "he" / f"t{n}.txt").read_text() == translated(f"Text number {n}.")
        assert (tmp_path / "out" / "he" / f"t{n}.txt").exists()  # the first copy is left alone
    assert summary["output_dirs"] == [str(tmp_path / "second" / "he")]


def test_from_list_lays_out_the_whole_list_relative_to_its_common_parent(tmp_path: Path, sim) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(f"Listed in {name}.\n")
    listing = tmp_path / "jobs.csv"
    listing.write_text("path,language\na/x.txt,he\nb/x.txt,he\n")
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "translate", "--from-list", str(listing), "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "he" / "a" / "x.txt").read_text() == translated("Listed in a.")
    assert (tmp_path / "out" / "he" / "b" / "x.txt").read_text() == translated("Listed in b.")


def test_legacy_and_utf16_subtitles_are_converted_and_the_summary_says_so(tmp_path: Path, sim) -> None:
    corpus = tmp_path / "subs"
    corpus.mkdir()
    cues = "1\r\n00:00:01,000 --> 00:00:02,000\r\nCafé crème, déjà vu — naïve.\r\n\r\n" \
           "2\r\n00:00:03,000 --> 00:00:04,000\r\n“Quotes” and ‘more’ for the façade…\r\n"
    (corpus / "windows.srt").write_bytes(cues.encode("cp1252"))
    (corpus / "wide.srt").write_bytes(cues.encode("utf-16"))  # with its byte-order mark
    (corpus / "plain.srt").write_bytes(cues.encode("utf-8"))
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "subs", "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["completed"] == 3
    assert sorted((Path(item["path"]).name, item["encoding"]) for item in summary["converted"]) == [
        ("wide.srt", "utf-16-le"), ("windows.srt", "cp1252")]
    for name in ("windows.srt", "wide.srt", "plain.srt"):
        out = (tmp_path / "out" / "he" / name).read_bytes().lstrip(b"\xef\xbb\xbf").decode("utf-8")
        assert out.replace("\r\n", "\n").splitlines()[2] == pseudo_translate("Café crème, déjà vu — naïve.", "he")
    human = cli_in(tmp_path, "--batch", "subs", "--to", "de", "--config", str(config))
    assert "converted 2 file(s) to UTF-8" in human.stderr and "windows.srt (cp1252)" in human.stderr


def test_a_local_endpoints_translations_are_never_served_to_another_endpoint(tmp_path: Path) -> None:
    """Two openai-kind providers with one model name: a local server (or the simulator) and
    the real API. What the first translated must not come out of the cache for the second."""
    local, remote = (SimulatorServer(SimulatorConfig(latency_ms=5)).start() for _ in range(2))
    try:
        (tmp_path / "talk.txt").write_text("The same words for both endpoints.\n")
        second = f"""
[providers.remote]
kind = "openai"
base_url = "{remote.url}/v1/"
model = "sim-model"
api_key_env = "{SIM_KEY_ENV}"
"""
        config = write_config(tmp_path, sim_url=local.url, workers=1, heartbeat_timeout_s=60, extra=second)
        first = cli_in(tmp_path, "--batch", "talk.txt", "--to", "he", "--config", str(config), "--json")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["requests"] == 1
        other = cli_in(tmp_path, "--batch", "talk.txt", "--to", "he", "--config", str(config), "--json",
                       "--provider", "remote", "--data-dir", str(tmp_path / "data2"), "-o", str(tmp_path / "out2"))
        assert other.returncode == 0, other.stderr
        summary = json.loads(other.stdout)
        assert summary["cache_hits"] == 0 and summary["requests"] == 1
        assert remote.stats()["per_status"].get("200") == 1
        # The same endpoint again: served from the cache.
        again = cli_in(tmp_path, "--batch", "talk.txt", "--to", "he", "--config", str(config), "--json",
                       "--provider", "remote", "--data-dir", str(tmp_path / "data3"), "-o", str(tmp_path / "out3"))
        assert json.loads(again.stdout)["cache_hits"] == 1
    finally:
        local.stop()
        remote.stop()


def test_a_file_over_max_file_mb_fails_alone_with_the_reason(tmp_path: Path, sim) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "small.txt").write_text("A small talk.\n")
    (corpus / "huge.txt").write_bytes(b"word " * 300_000)  # 1.5 MB
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "docs", "--to", "he", "--config", str(config), "--json",
                  env={"SCRIBE_MAX_FILE_MB": "1"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["completed"] == 1
    [failure] = summary["failures"]
    assert failure["document"].endswith("huge.txt")
    assert "1.4 MB is over max_file_mb = 1" in failure["error"]
    assert "huge.txt" in proc.stderr and (tmp_path / "out" / "he" / "small.txt").exists()


def test_data_uris_urls_and_inline_code_are_never_sent_and_come_back_byte_identical(tmp_path: Path, sim) -> None:
    blob = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    source = (f"# Chart\n\nThe chart ![growth](data:image/png;base64,{blob}) shows it; see "
              "https://example.com/report?id=7 and run `make chart`.\n")
    (tmp_path / "report.md").write_text(source)
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "report.md", "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    sent = sent_texts(sim)
    assert blob not in sent and "example.com" not in sent and "make chart" not in sent
    out = (tmp_path / "out" / "he" / "report.md").read_text()
    assert f"(data:image/png;base64,{blob})" in out
    assert "https://example.com/report?id=7" in out and "`make chart`" in out
    assert out.startswith("# " + pseudo_translate("Chart", "he"))


def test_the_real_world_fixtures_translate_through_the_batch(tmp_path: Path, sim) -> None:
    import shutil

    from scribe_tui.documents.reader import utf8_source

    corpus = tmp_path / "fixtures"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures", corpus)
    config = config_for(tmp_path, sim)
    proc = cli_in(tmp_path, "--batch", "fixtures", "--to", "he", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    files = sorted(path.name for path in corpus.iterdir())
    assert summary["completed"] == len(files) and summary["failed"] == 0
    assert sorted(Path(item["path"]).name for item in summary["converted"]) == ["utf-16-bom.srt", "windows-1252.srt"]
    sent = sent_texts(sim)
    assert "iVBORw0KGgo" not in sent and "python3 -m venv" not in sent and "print(\\\"highlighted" not in sent
    from scribe_tui.documents import parse_document

    for name in files:
        source = parse_document(name, (corpus / name).read_bytes())
        output = parse_document(name, (tmp_path / "out" / "he" / name).read_bytes())
        assert output.template == parse_document(name, utf8_source(source, (corpus / name).read_bytes())).template
        assert output.segments == [pseudo_translate(segment, "he") if segment.strip() else segment
                                   for segment in source.segments], name
