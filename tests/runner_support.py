"""Stepping the runner in a test: a clock the test moves, an in-memory provider the test
scripts (hold a chunk, fail it, block the worker's loop), and a runner over the in-process
pool — the real worker loop, gateway, job store and output writer, on threads."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scribe_tui.config import Settings, load_settings
from scribe_tui.engine import api
from scribe_tui.engine.inprocess_pool import InProcessPool
from scribe_tui.engine.provider_view import ProviderView
from scribe_tui.engine.routing import Router
from scribe_tui.engine.runner import Runner
from scribe_tui.engine.worker import WorkerSpec
from scribe_tui.providers.base import Estimate, RetryableError, TranslationRequest, TranslationResult, Usage
from tests.engine_support import write_config


class FakeClock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass
class ScriptedProvider:
    """An OpenAI-kind provider in memory: echoes the text back (a valid "translation") unless
    the test holds it, fails it a number of times, or blocks the worker's whole loop."""

    name: str = "sim"
    kind: str = "openai"
    model: str = "scripted"
    hold_all: bool = False
    failures: dict[str, int] = field(default_factory=dict)  # text fragment -> failures left
    calls: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    block_loop: threading.Event | None = None  # set: the next call blocks the loop until unblocked
    startup_gate: threading.Event | None = None  # a worker starting up waits for it (slow imports)
    loop_blocked: threading.Event = field(default_factory=threading.Event)
    unblock: threading.Event = field(default_factory=threading.Event)

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        self.calls.append(request.text)
        if self.block_loop is not None and self.block_loop.is_set():
            self.loop_blocked.set()
            self.unblock.wait(30)  # on purpose: no heartbeat leaves this worker meanwhile
        for fragment, left in self.failures.items():
            if fragment in request.text and left > 0:
                self.failures[fragment] = left - 1
                raise RetryableError("scripted failure", provider=self.name, status=500)
        while self.hold_all and not self.released.is_set():
            await asyncio.sleep(0.005)
        return TranslationResult(text=request.text, usage=Usage(10, 10, len(request.text), 0.0),
                                 provider=self.name, model=self.model)

    def release(self) -> None:
        self.released.set()
        if self.startup_gate is not None:
            self.startup_gate.set()

    def build(self) -> dict[str, ScriptedProvider]:
        """The worker's provider factory: waits at the start-up gate, if there is one."""
        if self.startup_gate is not None:
            self.startup_gate.wait(30)
        return {self.name: self}

    def calls_with(self, fragment: str) -> int:
        return sum(1 for text in self.calls if fragment in text)

    def estimate(self, request: TranslationRequest) -> Estimate:
        return Estimate(tokens_in=10, tokens_out=10, characters=len(request.text))

    def cost(self, usage: Usage) -> float:
        return 0.0

    async def aclose(self) -> None:
        return None


@dataclass
class SteppedRun:
    runner: Runner
    clock: FakeClock
    provider: ScriptedProvider
    settings: Settings
    events: list[api.Event]

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.runner.store

    def step(self) -> None:
        self.runner.step(self.clock())

    def step_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Step at the current (frozen) time until ``predicate`` holds; messages from the
        worker threads arrive in real time, so this waits for them, never for the clock."""
        deadline = time.monotonic() + timeout
        while True:
            self.step()
            if predicate():
                return
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached while stepping")
            time.sleep(0.005)

    def tick(self, seconds: float) -> None:
        """Move the clock and step once (housekeeping runs every quarter second)."""
        self.clock.advance(seconds)
        self.step()

    def task_counts(self) -> dict[str, int]:
        return {status: n for status, n in self.runner.store.task_counts().items() if n}

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [event for event in self.events if isinstance(event, kind)]


def stepped_run(tmp_path: Path, provider: ScriptedProvider, *, workers: int = 1, max_concurrency: int = 3,
                max_attempts: int = 5) -> SteppedRun:
    settings = load_settings(write_config(tmp_path, sim_url="http://127.0.0.1:9", workers=workers,
                                          max_concurrency=max_concurrency, max_attempts=max_attempts))
    data_dir = settings.resolved_data_dir()
    spec = WorkerSpec(worker_id="", settings=settings, data_dir=data_dir, provider_urls={}, read_cache=True,
                      worker_count=workers)
    pool = InProcessPool(spec, providers=lambda _spec: provider.build())
    clock = FakeClock()
    events: list[api.Event] = []
    runner = Runner(settings, pool, Router(settings, {"sim"}), ProviderView(settings, data_dir), events.append,
                    owner="test-owner", max_cost_usd=None, fixed_workers=workers, clock=clock)
    return SteppedRun(runner, clock, provider, settings, events)


def write_paragraphs(root: Path, name: str, count: int) -> Path:
    """One .txt document whose paragraphs each become their own chunk (write_config's small chunks)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text("\n\n".join(f"Paragraph {i} of {name} is long enough to be a chunk of its own: it goes on "
                                f"about the weather, the budget and the plan for next year, and it carries "
                                f"a marker, mark{i}x, that no other paragraph has." for i in range(count)) + "\n")
    return path
