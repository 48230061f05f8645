"""``--max-cost``: the spend cap of one run. Before a chunk is sent its estimated cost is
reserved; a chunk is dispatched only while spend + reservations + its own estimate stay within
the cap. A reply replaces its reservation by what it really cost, and estimates are scaled by
the largest actual/estimate ratio seen so far, so spend ends within the cap plus at most what
the chunks already in flight cost beyond their estimates.

The cap is per run: it counts what this run's requests cost (cache hits are free), not what
earlier runs spent on the same data directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scribe_tui.config import Settings
from scribe_tui.pricing import Pricing
from scribe_tui.providers.accounting import cost_of, estimate_characters, estimate_chat
from scribe_tui.providers.base import TranslationRequest, Usage

CHARACTER_KINDS = ("deepl", "microsoft")
MAX_CORRECTION = 20.0


def estimated_cost(kind: str, price: Pricing, request: TranslationRequest) -> float:
    """What one chunk probably costs: the whole prompt in and about the text's length out
    (chat models), or the text's characters (DeepL, Microsoft: context is not billed)."""
    estimate = estimate_characters(request) if kind in CHARACTER_KINDS else estimate_chat(request)
    return cost_of(price, Usage(tokens_in=estimate.tokens_in, tokens_out=estimate.tokens_out,
                                characters=estimate.characters))


@dataclass
class Budget:
    cap_usd: float
    settings: Settings
    spent_usd: float = 0.0
    correction: float = 1.0  # the largest actual / estimate seen (≥ 1)
    reached: bool = False
    _reserved: dict[int, tuple[float, float]] = field(default_factory=dict)  # task id → (reserved, raw estimate)

    @property
    def reserved_usd(self) -> float:
        return sum(reserved for reserved, _ in self._reserved.values())

    @property
    def in_flight(self) -> int:
        return len(self._reserved)

    def try_reserve(self, task_id: int, provider: str, request: TranslationRequest) -> bool:
        """Reserve the chunk's estimated cost; False when it does not fit under the cap."""
        config = self.settings.providers[provider]
        raw = estimated_cost(config.kind, config.price(), request)
        reserve = raw * self.correction
        if self.spent_usd + self.reserved_usd + reserve > self.cap_usd:
            if not self._reserved:
                self.reached = True  # nothing in flight will free room: the cap is reached
            return False
        self._reserved[task_id] = (reserve, raw)
        return True

    def settle(self, task_id: int, cost_usd: float) -> None:
        """A chunk's request ended: its real cost replaces its reservation."""
        self.spent_usd += cost_usd
        _, raw = self._reserved.pop(task_id, (0.0, 0.0))
        if raw > 0 and cost_usd > 0:
            self.correction = min(MAX_CORRECTION, max(self.correction, cost_usd / raw))

    def forget(self, task_ids: Iterable[int]) -> None:
        """Chunks that will never report (their worker died): drop their reservations."""
        for task_id in task_ids:
            self._reserved.pop(task_id, None)

    def keep_only(self, live_task_ids: set[int]) -> None:
        for task_id in [t for t in self._reserved if t not in live_task_ids]:
            del self._reserved[task_id]

    def stopped_message(self) -> str:
        return f"stopped: --max-cost ${self.cap_usd:g} reached (${self.spent_usd:.4f} spent)"
