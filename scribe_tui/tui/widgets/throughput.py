"""The Throughput panel: chunks/min and tokens/min over the last minutes as sparklines,
next to the configured request limit, and the ETA for the queue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from scribe_tui.durations import human_duration
from scribe_tui.engine.api import Snapshot
from scribe_tui.store import OPEN_TASK_STATUSES
from scribe_tui.tui import formatting


def _latest(values: tuple[float, ...]) -> float:
    return values[-1] if values else 0.0


def chunks_line(snapshot: Snapshot) -> str:
    limit = snapshot.rate_limit_per_min
    limit_text = f" · limit {formatting.count(limit)}/min" if limit else " · no limit"
    peak = max(snapshot.chunks_per_min, default=0.0)
    rate = snapshot.rate_per_min if snapshot.rate_per_min is not None else _latest(snapshot.chunks_per_min)
    return f"chunks/min {formatting.count(rate)} · peak {formatting.count(peak)}{limit_text}"


def tokens_line(snapshot: Snapshot) -> str:
    peak = max(snapshot.tokens_per_min, default=0.0)
    return f"tokens/min {formatting.count(_latest(snapshot.tokens_per_min))} · peak {formatting.count(peak)}"


def eta_line(snapshot: Snapshot) -> str:
    left = sum(snapshot.chunk_counts.get(status, 0) for status in OPEN_TASK_STATUSES)
    eta = "-" if snapshot.eta_s is None else human_duration(snapshot.eta_s)
    if snapshot.eta_binding and snapshot.eta_s:
        eta += f" (limited by {snapshot.eta_binding})"
    if snapshot.paused:
        eta = "- (paused)"
    spend = formatting.usd(float(snapshot.totals.get("cost_usd", 0.0)))
    waiting = "".join(f" · {line}" for line in snapshot.waiting)
    return f"ETA {eta} · {formatting.count(left)} chunks left · spent {spend}{waiting}"


class ThroughputPanel(Vertical):
    DEFAULT_CSS = """
    ThroughputPanel { height: auto; }
    ThroughputPanel Sparkline { height: 1; margin-bottom: 1; }
    ThroughputPanel Static { height: 1; }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._chunks_line = Static(id="chunks-line")
        self._chunks_spark = Sparkline([], id="chunks-spark")
        self._tokens_line = Static(id="tokens-line")
        self._tokens_spark = Sparkline([], id="tokens-spark")
        self._eta_line = Static(id="eta-line")

    def compose(self) -> ComposeResult:
        yield self._chunks_line
        yield self._chunks_spark
        yield self._tokens_line
        yield self._tokens_spark
        yield self._eta_line

    def show(self, snapshot: Snapshot) -> None:
        self._chunks_line.update(chunks_line(snapshot))
        self._tokens_line.update(tokens_line(snapshot))
        self._eta_line.update(eta_line(snapshot))
        _set_data(self._chunks_spark, list(snapshot.chunks_per_min))
        _set_data(self._tokens_spark, list(snapshot.tokens_per_min))


def _set_data(spark: Sparkline, data: list[float]) -> None:
    if list(spark.data or []) != data:
        spark.data = data
