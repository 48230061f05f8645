"""Measure the simulator's throughput: N requests fired with httpx, C at a time from each of
P client processes, at a zero-latency simulator running in its own process.

Prints the requests/s achieved and the simulator's own CPU time per request (from
/proc/<pid>/stat), i.e. what one simulator process could serve if the clients were free —
httpx itself tops out near 1,000 requests/s per client process on a 2-core machine.

    python bench/simulator.py [--requests 4000] [--concurrency 8] [--clients 1]
                              [--endpoint openai|deepl|microsoft]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from typing import Any

import httpx

from scribe_tui.providers.base import TranslationRequest
from scribe_tui.prompt import build_messages
from scribe_tui.simulator import SimulatorConfig, start_simulator_process

TEXT = "The quick brown fox jumps over the lazy dog.\nA second line of the transcript.\n\nAnd a third one."


def request_for(endpoint: str) -> tuple[str, dict[str, Any]]:
    if endpoint == "deepl":
        return "/v2/translate", {"data": {"text": TEXT, "target_lang": "HE"}}
    if endpoint == "microsoft":
        return "/translate?api-version=3.0&to=he", {"json": [{"Text": TEXT}]}
    messages = build_messages(TranslationRequest(text=TEXT, target_language="he", context="Earlier words."))
    return "/v1/chat/completions", {"json": {"model": "demo-pseudo", "messages": messages}}


async def fire(url: str, endpoint: str, total: int, concurrency: int) -> dict[int, int]:
    path, kwargs = request_for(endpoint)
    statuses: dict[int, int] = {}
    remaining = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        async def lane() -> None:
            for _ in remaining:
                response = await client.post(path, **kwargs)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return statuses


def client_process(url: str, endpoint: str, total: int, concurrency: int, start: Any, results: Any) -> None:
    start.wait()
    results.put(asyncio.run(fire(url, endpoint, total, concurrency)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    with start_simulator_process(SimulatorConfig()) as simulator:
        share = args.requests // args.clients
        clients = [context.Process(target=client_process, args=(simulator.url, args.endpoint, share, args.concurrency,
                                                                start, results)) for _ in range(args.clients)]
        for process in clients:
            process.start()
        time.sleep(1.0)  # let the clients import before the clock starts
        cpu_before, started = cpu_seconds(simulator.pid), time.perf_counter()
        start.set()
        statuses: dict[int, int] = {}
        for _ in clients:
            for status, count in results.get().items():
                statuses[status] = statuses.get(status, 0) + count
        elapsed, server_cpu = time.perf_counter() - started, cpu_seconds(simulator.pid) - cpu_before
        for process in clients:
            process.join()
    done = sum(statuses.values())
    print(f"{done} {args.endpoint} requests from {args.clients} client process(es) x {args.concurrency} connections "
          f"in {elapsed:.2f} s: {done / elapsed:,.0f} requests/s  statuses={statuses}")
    if server_cpu > 0:
        print(f"simulator CPU: {server_cpu:.2f} s = {server_cpu / done * 1e6:.0f} µs/request "
              f"-> capacity of one simulator process ≈ {done / server_cpu:,.0f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=8, help="connections per client process")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--endpoint", choices=["openai", "deepl", "microsoft"], default="openai")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
