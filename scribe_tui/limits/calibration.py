"""How many tokens a request really costs, learnt from the replies' reported usage.

The shared token estimate (``documents.estimate_tokens``) reads the source text; a reply in a
non-Latin script, or a wordy model, can take several times the tokens the source suggests.
Token limits are therefore taken for a *reservation*: the estimate scaled by the largest
ratio of reported to estimated tokens seen in this process's recent replies (prompt and
reply apart), with a tenth more for replies longer than any seen so far. Before any reply
has been seen, the reply is reserved at ``INITIAL_OUT_FACTOR`` times its estimate — a Hebrew
or Chinese reply to an English source takes up to about that many tokens. When the reply
arrives, its rows are resized to the reported usage (buckets.settle), so an over-reservation
is given back at once and an under-reservation is charged.
"""

from __future__ import annotations

import math
from collections import deque

from scribe_tui.providers.base import Estimate

INITIAL_IN_FACTOR = 1.0
INITIAL_OUT_FACTOR = 4.0
HEADROOM = 1.1  # for a reply longer than any of the recent ones
REMEMBERED = 64


class TokenCalibration:
    def __init__(self, initial: tuple[float, float] = (INITIAL_IN_FACTOR, INITIAL_OUT_FACTOR),
                 headroom: float = HEADROOM) -> None:
        self.initial = initial
        self.headroom = headroom
        self._in: deque[float] = deque(maxlen=REMEMBERED)
        self._out: deque[float] = deque(maxlen=REMEMBERED)

    @property
    def factors(self) -> tuple[float, float]:
        """(prompt factor, reply factor) applied to the next reservation."""
        if not self._out:
            return self.initial
        return max(1.0, max(self._in) * self.headroom), max(1.0, max(self._out) * self.headroom)

    def reserve(self, estimate: Estimate) -> Estimate:
        """The estimate to take token limits for (characters are exact: unchanged)."""
        f_in, f_out = self.factors
        return Estimate(tokens_in=math.ceil(estimate.tokens_in * f_in), tokens_out=math.ceil(estimate.tokens_out * f_out),
                        characters=estimate.characters)

    def learn(self, estimate: Estimate, tokens_in: int, tokens_out: int) -> None:
        """One reply's reported usage against the plain estimate of its request."""
        if tokens_in <= 0 and tokens_out <= 0:
            return  # the provider reported nothing to learn from
        self._in.append(tokens_in / max(estimate.tokens_in, 1))
        self._out.append(tokens_out / max(estimate.tokens_out, 1))
