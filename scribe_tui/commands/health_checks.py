"""The checks behind ``scribe-tui health``: configuration, job store, cache directory,
rate-limiter storage, each provider (key present, endpoint answering a cheap call) and the
supervisor. Each check returns a ``CheckResult``; none raises, none prints, none shows a key.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scribe_tui.commands.supervisor_probe import cluster, probe
from scribe_tui.config import ProviderConfig, Settings

PROVIDER_TIMEOUT_S = 5.0
DEEPL_FREE_URL = "https://api-free.deepl.com"
DEEPL_PRO_URL = "https://api.deepl.com"


@dataclass
class CheckResult:
    name: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    latency_ms: float | None = None
    informational: bool = False  # shown, never makes the whole check unhealthy

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "ok": self.ok, "summary": self.summary}
        if self.latency_ms is not None:
            data["latency_ms"] = round(self.latency_ms, 1)
        if self.details:
            data["details"] = self.details
        return data


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---- local resources --------------------------------------------------------------------------


def check_writable_dir(name: str, directory: Path) -> CheckResult:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".health-", delete=True) as handle:
            handle.write(b"ok")
            handle.flush()
        free = shutil.disk_usage(directory).free
    except OSError as exc:
        return CheckResult(name, False, f"{directory} not writable: {_error_text(exc)}")
    return CheckResult(name, True, "writable", {"path": str(directory), "free_mb": free // (1024 * 1024)})


def check_cache(settings: Settings) -> CheckResult:
    if not settings.cache.enabled:
        return CheckResult("cache", True, "disabled in the config")
    return check_writable_dir("cache", settings.cache.resolved_dir())


def check_store(data_dir: Path, open_store: Any) -> tuple[CheckResult, Any]:
    """Open the store (which applies any missing migration) and read from it; return the
    result and the open store (None when it failed)."""
    details: dict[str, Any] = {}
    try:
        store = open_store(data_dir)
        details["path"] = store.location
        jobs = sum(store.job_counts().values())
    except Exception as exc:  # any failure to open or read is exactly what this check reports
        return CheckResult("store", False, f"cannot read the job store in {data_dir}: {_error_text(exc)}", details), None
    current = details["schema"] = store.schema_version
    found = getattr(store, "migrated_from", current)
    if found == 0:
        summary = f"created (schema v{current}), {jobs} jobs"
    elif found < current:
        summary = f"migrated v{found} → v{current}, {jobs} jobs"
    else:
        summary = f"readable, schema v{current} (current), {jobs} jobs"
    details["jobs"] = jobs
    return CheckResult("store", True, summary, details), store


def check_limiter(data_dir: Path) -> CheckResult:
    """Open a file-locked pyrate-limiter SQLite bucket (as the engine uses them) in a
    scratch directory under ``<data_dir>/limits``, admit one item and count it."""
    from pyrate_limiter import Duration, Rate, RateItem, SQLiteBucket

    limits_dir = data_dir / "limits"
    scratch: str | None = None
    try:
        limits_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        scratch = tempfile.mkdtemp(prefix=".health-", dir=limits_dir)
        bucket = SQLiteBucket.init_from_file([Rate(1000, Duration.MINUTE)], table="health",
                                             db_path=str(Path(scratch) / "health.sqlite"), use_file_lock=True)
        try:
            admitted = bucket.put(RateItem("health", bucket.now(), 1))
            counted = bucket.count()
        finally:
            bucket.close()
    except Exception as exc:
        return CheckResult("limiter", False, f"rate-limit storage unusable in {limits_dir}: {_error_text(exc)}")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if not admitted or counted != 1:
        return CheckResult("limiter", False, f"a fresh SQLite bucket misbehaved (admitted={admitted}, counted={counted})")
    return CheckResult("limiter", True, "SQLite buckets usable (file-locked)", {"path": str(limits_dir)})


def check_queued_providers(store: Any, settings: Settings) -> CheckResult:
    """Queued work whose provider this configuration does not define cannot run."""
    from scribe_tui.engine.queued_providers import missing_providers

    try:
        missing = missing_providers(store, settings)
    except Exception as exc:
        return CheckResult("queued jobs", False, f"cannot read the queue: {_error_text(exc)}")
    if missing:
        return CheckResult("queued jobs", False, "; ".join(m.sentence() for m in missing),
                           {"providers": ", ".join(m.provider for m in missing)})
    return CheckResult("queued jobs", True, "every queued job's provider is configured")


def check_supervisor(store: Any, data_dir: Path, *, shared: bool = False) -> CheckResult:
    """This machine's supervisor; on a shared store also how many machines' supervisors are alive."""
    from scribe_tui.engine.cluster import supervisor_key

    try:
        state = probe(store, data_dir, key=supervisor_key(shared))
        hosts = cluster(store) if shared else []
    except Exception as exc:
        return CheckResult("supervisor", False, f"cannot read its state: {_error_text(exc)}", informational=True)
    details = state.to_json()
    summary = state.detail
    if shared:
        alive = sorted(host["host"] for host in hosts if host["alive"])
        details["hosts"] = hosts
        summary += f"; cluster: {len(alive)} supervisor(s) alive" + (f" ({', '.join(alive)})" if alive else "")
    return CheckResult("supervisor", True, summary, details, informational=True)


# ---- providers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    url: str
    headers: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    key_verified: bool = True


def deepl_base_url(provider: ProviderConfig, key: str) -> str:
    if provider.base_url:
        return provider.base_url.rstrip("/").removesuffix("/v2")
    return DEEPL_FREE_URL if key.endswith(":fx") else DEEPL_PRO_URL


def provider_probe(provider: ProviderConfig, key: str | None) -> Probe:
    """The cheapest authenticated call each kind of provider answers."""
    base = (provider.base_url or "").rstrip("/")
    if provider.kind == "openai":
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return Probe(f"{base}/models", headers)
    if provider.kind == "deepl":
        return Probe(f"{deepl_base_url(provider, key or '')}/v2/usage", {"Authorization": f"DeepL-Auth-Key {key}"})
    if provider.kind == "microsoft":
        headers = {"Ocp-Apim-Subscription-Key": key or ""}
        if provider.region:
            headers["Ocp-Apim-Subscription-Region"] = provider.region
        return Probe(f"{base}/languages", headers, {"api-version": provider.api_version or "3.0"}, key_verified=False)
    raise ValueError(f"no probe for provider kind {provider.kind!r}")


def _interpret(name: str, provider: ProviderConfig, probe_: Probe, response: httpx.Response, latency_ms: float) -> CheckResult:
    status = response.status_code
    details: dict[str, Any] = {"kind": provider.kind, "url": probe_.url, "status": status, "model": provider.model}
    label = f"provider {name}"
    if response.is_success:
        summary = "reachable, key accepted" if probe_.key_verified else "reachable (this endpoint does not verify the key)"
        if provider.kind == "deepl":
            summary += _deepl_usage(response, details)
        return CheckResult(label, True, summary, details, latency_ms)
    if status in (401, 403):
        return CheckResult(label, False, f"key rejected (HTTP {status})", details, latency_ms)
    if status == 429:
        return CheckResult(label, True, "reachable, rate limited right now (HTTP 429)", details, latency_ms)
    if status == 456:
        return CheckResult(label, False, "quota exhausted (HTTP 456)", details, latency_ms)
    if status in (404, 405) and provider.kind == "openai":
        return CheckResult(label, True, f"reachable, but GET /models is not served (HTTP {status})", details, latency_ms)
    return CheckResult(label, False, f"answered HTTP {status}", details, latency_ms)


def _deepl_usage(response: httpx.Response, details: dict[str, Any]) -> str:
    try:
        usage = response.json()
        used, limit = int(usage["character_count"]), int(usage["character_limit"])
    except (ValueError, KeyError, TypeError):
        return ""
    details.update(character_count=used, character_limit=limit)
    return f", {used:,}/{limit:,} characters used this period"


async def check_provider(name: str, provider: ProviderConfig, client: httpx.AsyncClient) -> CheckResult:
    label = f"provider {name}"
    if provider.kind == "demo":
        return CheckResult(label, True, "built-in simulator (no network needed)", {"kind": "demo", "model": provider.model})
    key = provider.api_key()
    if key is None:
        variable = provider.api_key_env or "(none: set api_key_env)"
        return CheckResult(label, False, f"API key missing: environment variable {variable} is not set",
                           {"kind": provider.kind, "api_key_env": provider.api_key_env})
    probe_ = provider_probe(provider, key)
    timeout = httpx.Timeout(min(PROVIDER_TIMEOUT_S, provider.timeout_s), connect=min(PROVIDER_TIMEOUT_S, provider.connect_timeout_s))
    started = time.perf_counter()
    try:
        response = await client.get(probe_.url, headers=probe_.headers, params=probe_.params, timeout=timeout)
    except httpx.HTTPError as exc:
        return CheckResult(label, False, f"unreachable: {_error_text(exc)[:200]}", {"kind": provider.kind, "url": probe_.url},
                           (time.perf_counter() - started) * 1000)
    return _interpret(name, provider, probe_, response, (time.perf_counter() - started) * 1000)


async def _check_all_providers(settings: Settings) -> list[CheckResult]:
    async with httpx.AsyncClient(follow_redirects=True) as client:
        tasks = [check_provider(name, provider, client) for name, provider in settings.providers.items()]
        return list(await asyncio.gather(*tasks))


def check_providers(settings: Settings) -> list[CheckResult]:
    return asyncio.run(_check_all_providers(settings))
