"""Measure the limits layer: acquisitions per second on ONE shared SQLite bucket from 1, 2 and
4 processes (a limit far above what is reached, so nothing ever waits), and what the whole
Gateway adds per call over calling a zero-latency in-process fake provider directly — on the
cache-miss path (lookup, breaker, bulkhead, requests + tokens buckets, call, cache write) and
on the cache-hit path.

    python bench/limits.py [--seconds 3] [--calls 2000]

Everything is written under a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scribe_tui.cache import TranslationCache  # noqa: E402
from scribe_tui.config import ProviderConfig, Settings  # noqa: E402
from scribe_tui.limits.buckets import Admission, ProviderLimiter  # noqa: E402
from scribe_tui.limits.gateway import Gateway, Translated  # noqa: E402
from scribe_tui.providers.base import Estimate, TranslationRequest, TranslationResult, Usage  # noqa: E402

NEVER_BLOCKS = "100000000/minute"
ONE = Estimate(tokens_in=1, tokens_out=1, characters=1)


# ---- 1. one bucket, several processes ---------------------------------------------------------------


def _acquire_loop(data_dir: str, seconds: float, raw: bool, barrier: Any, results: Any) -> None:
    async def main() -> int:
        limiter = ProviderLimiter("bench", ProviderConfig(kind="openai", limits=[NEVER_BLOCKS]), Path(data_dir),
                                  park_after_s=60)
        kind = limiter.kinds[0]
        barrier.wait()
        count, stop_at = 0, time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            if raw:  # pyrate-limiter alone (file lock + count + insert + commit)
                ok = await kind.limiter.try_acquire_async("bench", 1, timeout=5)
            else:  # our acquire: the wait prediction read first, then the same acquisition
                ok = isinstance(await limiter.acquire(ONE), Admission)
            count += bool(ok)
        limiter.close()
        return count

    results.put(asyncio.run(main()))


def bucket_throughput(processes: int, seconds: float, raw: bool) -> float:
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as data_dir:
        barrier, results = ctx.Barrier(processes), ctx.Queue()
        procs = [ctx.Process(target=_acquire_loop, args=(data_dir, seconds, raw, barrier, results))
                 for _ in range(processes)]
        for proc in procs:
            proc.start()
        total = sum(results.get(timeout=120) for _ in procs)
        for proc in procs:
            proc.join()
    return total / seconds


# ---- 2. what the gateway adds per call ----------------------------------------------------------------


class ZeroLatencyProvider:
    name, kind, model = "bench", "openai", "bench-model"

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        return TranslationResult(text=request.text, usage=Usage(10, 10, len(request.text)), provider=self.name,
                                 model=self.model)

    def estimate(self, request: TranslationRequest) -> Estimate:
        return Estimate(tokens_in=10, tokens_out=10, characters=len(request.text))

    def cost(self, usage: Usage) -> float:
        return 0.0

    async def aclose(self) -> None:
        pass


def _requests(calls: int, distinct: bool) -> list[TranslationRequest]:
    """``calls`` requests: all different (numbered from 1), or all the same (number 0)."""
    return [TranslationRequest(text=f"Chunk number {i + 1 if distinct else 0} of the benchmark.", target_language="de")
            for i in range(calls)]


async def _per_call_us(calls: int, run: Any, requests: list[TranslationRequest]) -> float:
    started = time.perf_counter()
    for request in requests:
        await run(request)
    return (time.perf_counter() - started) / calls * 1e6


async def gateway_per_call(calls: int, limits: list[str]) -> tuple[float, float]:
    """µs per call through a fresh gateway: (cache-miss path, cache-hit path)."""
    provider = ZeroLatencyProvider()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(default_provider="bench", data_dir=Path(tmp) / "data",
                            providers={"bench": {"kind": "openai", "model": "bench-model", "api_key_env": "",
                                                 "limits": limits}})
        cache = TranslationCache(Path(tmp) / "cache", 100)
        gateway = Gateway(settings, Path(tmp) / "data", {"bench": provider}, cache=cache)

        async def through_gateway(request: TranslationRequest) -> None:
            assert isinstance(await gateway.translate("bench", request), Translated)

        await through_gateway(_requests(1, distinct=False)[0])  # opens the buckets; caches "number 0"
        miss = await _per_call_us(calls, through_gateway, _requests(calls, distinct=True))
        hit = await _per_call_us(calls, through_gateway, _requests(calls, distinct=False))
        assert cache.stats.hits >= calls
        await gateway.aclose()
        cache.close()
    return miss, hit


GATEWAY_CASES = (
    ("no limits configured", []),
    ("requests limit (1 bucket)", [NEVER_BLOCKS]),
    ("requests + tokens limits (2 buckets)", [NEVER_BLOCKS, "1000000000 tokens/minute"]),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each bucket measurement")
    parser.add_argument("--calls", type=int, default=2000, help="calls per gateway measurement")
    args = parser.parse_args()

    print(f"One shared SQLite bucket ({NEVER_BLOCKS}, file lock on), {args.seconds:g} s per row")
    print(f"{'processes':>10} {'pyrate acquire/s':>17} {'ProviderLimiter.acquire/s':>26}")
    for processes in (1, 2, 4):
        raw = bucket_throughput(processes, args.seconds, raw=True)
        ours = bucket_throughput(processes, args.seconds, raw=False)
        print(f"{processes:>10} {raw:>17,.0f} {ours:>26,.0f}")

    direct = asyncio.run(_per_call_us(args.calls, ZeroLatencyProvider().translate, _requests(args.calls, True)))
    print()
    print(f"Gateway over a zero-latency fake provider, {args.calls} sequential calls, 1 process")
    print(f"provider called directly: {direct:.1f} µs/call")
    print(f"{'limits':<38} {'miss µs/call':>13} {'overhead':>9} {'hit µs/call':>12} {'overhead':>9}")
    for label, limits in GATEWAY_CASES:
        miss, hit = asyncio.run(gateway_per_call(args.calls, limits))
        print(f"{label:<38} {miss:>13.1f} {miss - direct:>9.1f} {hit:>12.1f} {hit - direct:>9.1f}")


if __name__ == "__main__":
    main()
