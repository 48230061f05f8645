"""Real worker processes: what a run uses. They start from ``warm_start.worker_context()``
(forked from a preloaded fork server where there is one). A forked worker takes its
environment and working directory from its spec, as a spawned one would from its parent."""

from __future__ import annotations

import os
from dataclasses import replace

from scribe_tui.engine.channels import Channel
from scribe_tui.engine.pool import PoolBook, WorkerProcess
from scribe_tui.engine.warm_start import worker_context
from scribe_tui.engine.worker import WorkerSpec, worker_main
from scribe_tui.engine.worker_protocol import Order, WorkerMessage


class ProcessPool(PoolBook):
    def __init__(self, base_spec: WorkerSpec):
        super().__init__()
        self.ctx = worker_context()
        self.base_spec = base_spec
        self.events: Channel[WorkerMessage] = Channel.between_processes(self.ctx)

    def _new_channel(self) -> Channel[Order]:
        return Channel.between_processes(self.ctx)

    def _launch(self, worker_id: str, orders: Channel[Order]) -> WorkerProcess:
        spec = replace(self.base_spec, worker_id=worker_id, environment=dict(os.environ), cwd=os.getcwd())
        process = self.ctx.Process(target=worker_main, args=(spec, orders, self.events), name=f"scribe-{worker_id}",
                                   daemon=True)
        process.start()
        return process
