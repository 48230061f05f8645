"""Commands a front end gives the engine, carried out through the job store so that a
supervisor in this process and one in another process obey them the same way."""

from __future__ import annotations

from pathlib import Path

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.cluster import host_key, is_shared, supervisor_key
from scribe_tui.paths import ensure_private_dir
from scribe_tui.store import JobStoreAPI, PerThreadStores


class StoreCommands:
    """The SupervisorAPI commands, over a per-thread job store connection."""

    attached = True

    def __init__(self, settings: Settings):
        self.settings = settings
        self.data_dir = settings.resolved_data_dir()
        ensure_private_dir(self.data_dir)
        self._stores = PerThreadStores(self.data_dir, settings.store_url)

    @property
    def store(self) -> JobStoreAPI:
        """This thread's connection (SQLite connections stay on the thread that made them)."""
        return self._stores.get()

    def enqueue(self, paths: list[Path], languages: list[str], *, priority: int = 0,
                provider: str | None = None, output_dir: Path | None = None) -> api.EnqueueReport:
        from scribe_tui.engine.intake import enqueue_paths

        report, _ = enqueue_paths(self.store, self.settings, paths, languages, priority=priority,
                                  provider=provider, output_dir=output_dir)
        return report

    def retry(self, job_ids: list[int] | None = None) -> int:
        return len(self.store.retry(job_ids))

    def cancel(self, job_ids: list[int]) -> list[int]:
        return self.store.cancel(job_ids)

    def change_priority(self, job_id: int, delta: int) -> None:
        self.store.change_priority(job_id, delta)

    def pause(self, host: str | None = None) -> None:
        """Stop dispatching: everywhere, or (on a shared store) on one machine only."""
        self.store.set_control(self._key("paused", host), True)

    def resume(self, host: str | None = None) -> None:
        self.store.set_control(self._key("paused", host), False)

    @property
    def paused(self) -> bool:
        shared = is_shared(self.settings.store_url)
        return bool(self.store.get_control("paused", False)) or (shared and bool(self.store.get_control(host_key("paused"))))

    def scale_to(self, workers: int, host: str | None = None) -> int:
        """Worker processes per supervisor: on every machine, or on one (``host``)."""
        workers = max(1, min(workers, self.settings.engine.max_workers * 4))
        self.store.set_control(self._key("target_workers", host), workers)
        return workers

    def scale(self, delta: int) -> int:
        info = self.store.get_control(supervisor_key(is_shared(self.settings.store_url))) or {}
        return self.scale_to(int(info.get("target_workers", 1)) + delta)

    def _key(self, key: str, host: str | None) -> str:
        return key if host is None or not is_shared(self.settings.store_url) else host_key(key, host)

    def poll_events(self, timeout: float = 0.1) -> list[api.Event]:
        return []

    def snapshot(self) -> api.Snapshot:
        from scribe_tui.engine.snapshot import build_snapshot

        return build_snapshot(self.store, self.settings, self.data_dir, runner=None, attached=self.attached)

    def close(self) -> None:
        self._stores.close_current()
