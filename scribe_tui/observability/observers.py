"""What a front end hangs on a running supervisor besides its own display: the Prometheus
exporter (``--metrics-port``) and the webhook notifier (``[notify] webhook_url``)."""

from __future__ import annotations

import threading
from typing import Any

import structlog

from scribe_tui.config import Settings
from scribe_tui.errors import UsageError

log = structlog.get_logger("scribe_tui.observability.observers")

SNAPSHOT_EVERY_S = 2.0


class Observers:
    def __init__(self, supervisor: Any, settings: Settings):
        self.supervisor = supervisor
        self.exporter: Any = None
        self.notifier: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if settings.metrics_port is not None:
            self._start_exporter(settings.metrics_port)
        if settings.notify.webhook_url:
            from scribe_tui.observability.webhooks import Notifier

            self.notifier = Notifier(settings.notify.webhook_url)
            supervisor.add_listener(self.notifier.observe)

    def _start_exporter(self, port: int) -> None:
        from scribe_tui.observability.prometheus import MetricsExporter

        self.exporter = MetricsExporter(port)
        try:
            bound = self.exporter.start()
        except OSError as exc:
            raise UsageError(f"--metrics-port {port}: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
        log.info("prometheus metrics", url=f"http://127.0.0.1:{bound}/metrics")
        self.supervisor.add_listener(self.exporter.observe)
        self._thread = threading.Thread(target=self._refresh, name="scribe-metrics", daemon=True)
        self._thread.start()

    def _refresh(self) -> None:
        while not self._stop.wait(SNAPSHOT_EVERY_S):
            try:
                self.exporter.update(self.supervisor.snapshot())
            except Exception:  # metrics must never break a run
                log.exception("metrics refresh failed")

    def batch_finished(self, summary: dict[str, Any]) -> None:
        if self.notifier is None:
            return
        from scribe_tui.observability.webhooks import BatchSummary

        self.notifier.batch_finished(BatchSummary(
            completed=summary["completed"], failed=summary["failed"], cancelled=summary["cancelled"],
            duration_s=summary["duration_s"], cost_usd=summary["cost_usd"], documents=summary["documents"],
            chunks=summary["chunks"]))

    def close_exporter(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.exporter is not None:
            self.exporter.close()
            self.exporter = None

    def close(self) -> None:
        self.close_exporter()
        if self.notifier is not None:
            self.notifier.close(timeout=10)
            self.notifier = None
