"""Which configuration queued work needs: every enqueue remembers the config file that
defined its provider, and a run (or ``health``) whose configuration does not define the
provider of a queued job says so up front, naming the job, the provider and the file to
pass, instead of failing the job with "no usable provider"."""

from __future__ import annotations

from dataclasses import dataclass

from scribe_tui.config import Settings
from scribe_tui.errors import ConfigError
from scribe_tui.store import UNFINISHED_JOB_STATUSES, JobStore

CONTROL_KEY = "provider_config_files"


@dataclass(frozen=True)
class MissingProvider:
    provider: str
    job_ids: tuple[int, ...]
    config_file: str | None  # the file the jobs were queued with, when known

    def sentence(self) -> str:
        first, more = self.job_ids[0], len(self.job_ids) - 1
        jobs = f"job {first}" + (f" (and {more} more)" if more else "")
        hint = f"pass --config {self.config_file}" if self.config_file else "pass the --config it was queued with"
        return f"{jobs} needs provider {self.provider!r}, which this configuration does not define; {hint}"


def remember_config(store: JobStore, provider: str, settings: Settings) -> None:
    """Note which config file defined ``provider`` for the jobs just queued with it."""
    files = dict(store.get_control(CONTROL_KEY) or {})
    source = str(settings.source_file) if settings.source_file else None
    if files.get(provider) != source:
        files[provider] = source
        store.set_control(CONTROL_KEY, files)


def missing_providers(store: JobStore, settings: Settings) -> list[MissingProvider]:
    """Unfinished jobs whose provider ``settings`` does not define, grouped by provider."""
    waiting: dict[str, list[int]] = {}
    for status in UNFINISHED_JOB_STATUSES:
        for job in store.jobs(status=status):
            if job.provider not in settings.providers:
                waiting.setdefault(job.provider, []).append(job.id)
    files = store.get_control(CONTROL_KEY) or {}
    return [MissingProvider(name, tuple(sorted(ids)), files.get(name)) for name, ids in sorted(waiting.items())]


def require_queued_providers(store: JobStore, settings: Settings) -> None:
    """ConfigError (exit 2) when queued work needs a provider this configuration lacks."""
    missing = missing_providers(store, settings)
    if missing:
        raise ConfigError(missing[0].sentence())
