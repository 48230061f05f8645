"""Counters for one run of the supervisor: what the batch summary and the UI totals show."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class RunTotals:
    started: float = field(default_factory=time.time)
    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    cache_hits: int = 0
    chunks_done: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_usd: float = 0.0
    worker_restarts: int = 0

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests, "rate_limited": self.rate_limited, "retries": self.retries,
            "cache_hits": self.cache_hits, "chunks_done": self.chunks_done, "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out, "characters": self.characters, "cost_usd": round(self.cost_usd, 6),
            "worker_restarts": self.worker_restarts, "duration_s": round(time.time() - self.started, 3),
        }
