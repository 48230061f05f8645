"""Structured logging: JSON lines in <data_dir>/logs (0600), console only with -v, correlation
ids, keys and document text kept out of the file, rotation, and a spawned worker appending."""

from __future__ import annotations

import json
import logging
import multiprocessing
import stat

import pytest

from scribe_tui.logs import configure_logging, correlated, get_logger, log_file

OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
DEEPL_KEY = "0f2b9c4e-1111-2222-3333-444455556666:fx"
PLAIN_TOKEN = "plainSecretValue987654"
DOCUMENT_TEXT = "The quarterly figures show a confidential merger with ACME"


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _lines(data_dir) -> list[dict]:
    return [json.loads(line) for line in log_file(data_dir).read_text(encoding="utf-8").splitlines()]


def test_no_key_and_no_text_in_the_log_file(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("DEEPL_AUTH_KEY", DEEPL_KEY)
    monkeypatch.setenv("MY_SERVICE_TOKEN", PLAIN_TOKEN)
    configure_logging(tmp_path, level="debug")
    log = get_logger("scribe_tui.test")
    with correlated(job_id=7, chunk_id="7:2", worker_id="w1", provider="openai"):
        log.info("calling provider", api_key=OPENAI_KEY, text=DOCUMENT_TEXT, context=DOCUMENT_TEXT,
                 headers={"Authorization": f"Bearer {OPENAI_KEY}", "X-Other": "fine"}, tokens_in=12)
        log.warning(f"provider said: invalid key {OPENAI_KEY}")
        log.info("deepl", header=f"DeepL-Auth-Key {DEEPL_KEY}", note=f"token is {PLAIN_TOKEN}")
    logging.getLogger("some.library").error("request failed with %s", OPENAI_KEY)
    try:
        raise RuntimeError(f"bad key {OPENAI_KEY} for {DOCUMENT_TEXT[:10]}")
    except RuntimeError:
        log.exception("failed", translation=DOCUMENT_TEXT)

    raw = log_file(tmp_path).read_text(encoding="utf-8")
    for secret in (OPENAI_KEY, DEEPL_KEY, PLAIN_TOKEN, DOCUMENT_TEXT, "confidential merger"):
        assert secret not in raw
    lines = _lines(tmp_path)
    first = lines[0]
    assert (first["job_id"], first["chunk_id"], first["worker_id"], first["provider"]) == (7, "7:2", "w1", "openai")
    assert first["text_len"] == len(DOCUMENT_TEXT) and len(first["text_sha256"]) == 12
    assert first["tokens_in"] == 12 and first["headers"]["X-Other"] == "fine"
    assert first["level"] == "info" and first["process"] == "main"
    assert any(line.get("logger") == "some.library" for line in lines)
    assert "job_id" not in lines[-1]  # correlation ids end with the block
    assert "RuntimeError" in lines[-1]["exception"]


def test_file_is_private_and_console_only_with_verbose(tmp_path, capsys):
    configure_logging(tmp_path)
    get_logger("t").info("quiet event")
    assert capsys.readouterr().err == ""
    assert stat.S_IMODE(log_file(tmp_path).stat().st_mode) == 0o600
    configure_logging(tmp_path, verbose=1)
    get_logger("t").info("loud event", job_id=3)
    get_logger("t").debug("debug event")
    err = capsys.readouterr().err
    assert "loud event" in err and "job_id" in err and "debug event" not in err
    events = [line["event"] for line in _lines(tmp_path)]
    assert events.count("quiet event") == 1 and events.count("loud event") == 1  # reconfiguring does not duplicate


def test_level_filters_the_file(tmp_path):
    configure_logging(tmp_path, level="warning")
    get_logger("t").info("not kept")
    get_logger("t").warning("kept")
    assert [line["event"] for line in _lines(tmp_path)] == ["kept"]


def test_rotation_keeps_private_backups(tmp_path):
    configure_logging(tmp_path, max_bytes=2_000, backups=2)
    log = get_logger("t")
    for i in range(100):
        log.info("filler event", i=i, pad="x" * 40)
    backup = log_file(tmp_path).with_name("scribe-tui.log.1")
    assert backup.exists()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not log_file(tmp_path).with_name("scribe-tui.log.3").exists()


def _worker_process(data_dir: str) -> None:
    from pathlib import Path

    from scribe_tui.logs import configure_logging, correlated, get_logger

    configure_logging(Path(data_dir), process_name="worker-1")
    with correlated(worker_id="worker-1"):
        get_logger("scribe_tui.worker").info("worker line", text="secret text from a worker")


def test_a_spawned_worker_appends_to_the_same_file(tmp_path):
    configure_logging(tmp_path)
    get_logger("t").info("main before")
    process = multiprocessing.get_context("spawn").Process(target=_worker_process, args=(str(tmp_path),))
    process.start()
    process.join(30)
    assert process.exitcode == 0
    get_logger("t").info("main after")
    lines = _lines(tmp_path)
    assert [line["event"] for line in lines] == ["main before", "worker line", "main after"]
    assert lines[1]["process"] == "worker-1" and lines[1]["worker_id"] == "worker-1"
    assert lines[1]["pid"] != lines[0]["pid"]
    assert "secret text from a worker" not in log_file(tmp_path).read_text()
