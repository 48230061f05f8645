"""Request packing (``pack_max_chunks``): the packed layout, and through the real path (the
``scribe-tui`` CLI, worker processes, the openai SDK over HTTP to the simulator): fewer
requests for many small documents, the same outputs and cache keys as without packing, and a
mangled packed reply whose chunks are retried alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe_tui.prompt import build_messages, can_pack, pack_texts, unpack_reply
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.simulator import SimulatorConfig, SimulatorServer, pseudo_translate
from scribe_tui.simulator.mangle import mangle_text
from tests.engine_support import write_config
from tests.test_batch_outputs import cli_in

pytestmark = pytest.mark.timeout(180)

TEXTS = ["Hello there.", "Line a\nLine b", "A ⟦1⟧ placeholder."]


def test_a_packed_reply_is_cut_back_into_its_texts() -> None:
    packed = pack_texts(TEXTS)
    assert packed.startswith("⟦§1⟧\nHello there.\n\n⟦§2⟧\n")
    assert unpack_reply(pseudo_translate(packed, "de"), 3) == [pseudo_translate(text, "de") for text in TEXTS]
    system = build_messages(TranslationRequest(text=packed, target_language="de"))[0]["content"]
    assert "marker line" in system and "⟦1⟧ stand for" in system
    assert not can_pack("⟦§1⟧\nsomething") and can_pack("an ordinary ⟦1⟧ text")


@pytest.mark.parametrize(("reply", "wanted"), [
    (mangle_text("drop_pack_marker", pack_texts(TEXTS)), ["Hello there.", None, None]),  # 3 runs into 2
    (pack_texts(TEXTS).replace("⟦§2⟧", "⟦§1⟧"), [None, None, "A ⟦1⟧ placeholder."]),  # a marker twice
    (pack_texts(TEXTS).replace("⟦§3⟧\n", "⟦§3⟧\n\n"), TEXTS),  # blank lines around a part are no damage
    ("no markers at all", [None, None, None]),
])
def test_a_part_is_taken_only_between_its_own_markers(reply: str, wanted: list[str | None]) -> None:
    assert unpack_reply(reply, 3) == wanted


def test_pack_max_chunks_is_refused_where_the_prompt_cannot_carry_the_layout() -> None:
    from pydantic import ValidationError

    from scribe_tui.config import ProviderConfig

    assert ProviderConfig(kind="openai", pack_max_chunks=8).pack_max_chunks == 8
    with pytest.raises(ValidationError, match="pack_max_chunks works with openai and demo providers"):
        ProviderConfig(kind="deepl", pack_max_chunks=8)


def _corpus(root: Path, count: int) -> Path:
    corpus = root / "docs"
    corpus.mkdir()
    for number in range(count):
        (corpus / f"line{number:02}.txt").write_text(f"Subtitle line number {number} says hello.\n")
    return corpus


def _batch(tmp_path: Path, config: Path, *extra: str) -> dict:
    proc = cli_in(tmp_path, "--batch", "docs", "--to", "de", "--config", str(config), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_packing_sends_fewer_requests_with_the_same_outputs_and_cache_keys(tmp_path: Path) -> None:
    sim = SimulatorServer(SimulatorConfig(latency_ms=50)).start()
    try:
        _corpus(tmp_path, 12)
        config = write_config(tmp_path, sim_url=sim.url, workers=1, heartbeat_timeout_s=60,
                              provider_keys="pack_max_chunks = 6")
        summary = _batch(tmp_path, config)
        assert summary["completed"] == 12 and summary["failed"] == 0
        assert summary["requests"] < 12  # without packing: 12
        for number in range(12):
            out = (tmp_path / "out" / "de" / f"line{number:02}.txt").read_text()
            assert out == pseudo_translate(f"Subtitle line number {number} says hello.", "de") + "\n"
        assert any("⟦§2⟧" in request["body"] for request in sim.stats()["recent_requests"])
        # The same chunks without packing, in a fresh store: every one is a cache hit.
        config.write_text(config.read_text().replace("pack_max_chunks = 6", ""))
        again = _batch(tmp_path, config, "--data-dir", str(tmp_path / "data2"), "-o", str(tmp_path / "out2"))
        assert again["cache_hits"] == 12 and again["requests"] == 0
    finally:
        sim.stop()


def test_a_mangled_packed_reply_is_retried_chunk_by_chunk(tmp_path: Path) -> None:
    sim = SimulatorServer(SimulatorConfig(latency_ms=50, mangle="drop_pack_marker", mangle_min_lines=3)).start()
    try:
        _corpus(tmp_path, 8)
        config = write_config(tmp_path, sim_url=sim.url, workers=1, heartbeat_timeout_s=60,
                              provider_keys="pack_max_chunks = 4")
        summary = _batch(tmp_path, config)
        assert summary["completed"] == 8 and summary["failed"] == 0 and summary["retries"] == 0
        bodies = [request["body"] for request in sim.stats()["recent_requests"]]
        assert any("⟦§2⟧" in body for body in bodies)  # packed requests were sent, and mangled
        assert summary["requests"] > sum(1 for body in bodies if "⟦§2⟧" in body)  # the lost parts went alone
        for number in range(8):
            out = (tmp_path / "out" / "de" / f"line{number:02}.txt").read_text()
            assert out == pseudo_translate(f"Subtitle line number {number} says hello.", "de") + "\n"
    finally:
        sim.stop()


async def test_the_packer_packs_what_waits_together_and_leaves_out_a_cancelled_chunk() -> None:
    import asyncio

    from scribe_tui.engine.packer import Packer

    class Gateway:
        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        async def translate(self, provider, request, *, attempt, validate):
            self.calls.append([request.text])
            return request.text.upper()

        async def translate_packed(self, provider, requests, *, attempts, validates):
            self.calls.append([request.text for request in requests])
            return [request.text.upper() for request in requests]

    gateway = Gateway()
    packer = Packer(gateway, pack_sizes={"sim": 3}, linger_s=0.05)

    def send(text: str) -> asyncio.Task:
        request = TranslationRequest(text=text, target_language="de")
        assert packer.packs("sim", request)
        return asyncio.create_task(packer.translate("sim", request, attempt=0, validate=None))

    first = [send(text) for text in ("a", "b", "c", "d", "e")]
    await asyncio.sleep(0)
    first[4].cancel()  # "e" waits in an open pack: it is left out
    assert await asyncio.gather(*first[:4]) == ["A", "B", "C", "D"]
    assert gateway.calls == [["a", "b", "c"], ["d"]]
    assert not packer.packs("sim", TranslationRequest(text="x", target_language="de", context="before"))
    assert not packer.packs("other", TranslationRequest(text="x", target_language="de"))
