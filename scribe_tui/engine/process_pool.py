"""Real worker processes (multiprocessing, spawn): what a run uses."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace

from scribe_tui.engine.channels import Channel
from scribe_tui.engine.pool import PoolBook, WorkerProcess
from scribe_tui.engine.worker import WorkerSpec, worker_main
from scribe_tui.engine.worker_protocol import Order, WorkerMessage


class ProcessPool(PoolBook):
    def __init__(self, base_spec: WorkerSpec):
        super().__init__()
        self.ctx = mp.get_context("spawn")
        self.base_spec = base_spec
        self.events: Channel[WorkerMessage] = Channel.between_processes(self.ctx)

    def _new_channel(self) -> Channel[Order]:
        return Channel.between_processes(self.ctx)

    def _launch(self, worker_id: str, orders: Channel[Order]) -> WorkerProcess:
        spec = replace(self.base_spec, worker_id=worker_id)
        process = self.ctx.Process(target=worker_main, args=(spec, orders, self.events), name=f"scribe-{worker_id}",
                                   daemon=True)
        process.start()
        return process
