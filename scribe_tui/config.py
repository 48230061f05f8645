"""Configuration: defaults < TOML file < ``SCRIBE_…`` environment < command-line flags.

``load_settings`` is the only way in; every problem comes out as one ``ConfigError`` line
that names the file (or variable), the key and what is wrong.
"""

from __future__ import annotations

import codecs
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from scribe_tui import paths
from scribe_tui.errors import ConfigError
from scribe_tui.languages import LANGUAGES, normalise
from scribe_tui.limit_spec import RateLimit, parse_limit
from scribe_tui.pricing import Pricing, default_pricing

ProviderKind = Literal["openai", "deepl", "microsoft", "demo"]

ENV_PREFIX = "SCRIBE_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChunkingConfig(_Section):
    max_tokens: int = Field(1500, ge=50, le=100_000)
    context_tokens: int = Field(200, ge=0, le=10_000)


class CacheConfig(_Section):
    enabled: bool = True
    size_limit_mb: int = Field(1024, ge=1)
    dir: Path | None = None

    def resolved_dir(self) -> Path:
        return Path(self.dir).expanduser() if self.dir else paths.default_cache_dir()


class RetryConfig(_Section):
    base_delay_s: float = Field(1.0, gt=0)
    max_delay_s: float = Field(60.0, gt=0)
    park_after_s: float = Field(300.0, gt=0, description="waits longer than this park the work")


class BreakerConfig(_Section):
    failure_threshold: int = Field(5, ge=1)
    cooldown_s: float = Field(30.0, gt=0)


class EngineConfig(_Section):
    max_workers: int = Field(4, ge=1, le=64)
    lease_s: float = Field(120.0, gt=1)
    heartbeat_s: float = Field(1.0, gt=0)
    heartbeat_timeout_s: float = Field(15.0, gt=1)
    routing: Literal["priority", "round_robin"] = "priority"
    shutdown_grace_s: float = Field(5.0, ge=0)
    store_outage_s: float = Field(60.0, gt=0)  # keep results in memory this long while the store fails


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    max_bytes: int = Field(10_000_000, ge=10_000)
    backups: int = Field(3, ge=0)


class RetentionConfig(_Section):
    days: float = Field(30.0, ge=0, description="finished jobs older than this are purged; 0 keeps everything")


class GlossaryConfig(_Section):
    file: Path | None = Field(None, description="CSV/TSV with columns source, language, target")
    source_language: str = Field("en", description="the language of the source terms, sent to DeepL and "
                                                   "Microsoft (which need it) when source_language is auto")


class QAConfig(_Section):
    on_problem: Literal["warn", "retry", "fail"] = "warn"
    min_length_ratio: float = Field(0.3, gt=0, description="a translation shorter than this × the source is suspicious")
    max_length_ratio: float = Field(3.0, gt=1, description="a translation longer than this × the source is suspicious")


class NotifyConfig(_Section):
    webhook_url: str | None = None


class WebConfig(_Section):
    """``scribe-tui serve``: where it listens, and the environment variables holding its tokens
    (the tokens themselves are never read from the file)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    viewer_token_env: str = Field("SCRIBE_VIEWER_TOKEN", min_length=1)
    operator_token_env: str = Field("SCRIBE_OPERATOR_TOKEN", min_length=1)


class ProviderConfig(_Section):
    kind: ProviderKind
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    limits: list[RateLimit] = Field(default_factory=list)
    max_concurrency: int = Field(10, ge=1, le=1000)
    quota_reset_day: int = Field(1, ge=1, le=31, description="billing day of the month when monthly quotas reset")
    quota_from_s: float = Field(86_400.0, gt=0, description="limits this long or longer are calendar quotas")
    timeout_s: float = Field(60.0, gt=0)
    connect_timeout_s: float = Field(5.0, gt=0)
    fallback_providers: list[str] = Field(default_factory=list)
    region: str | None = None
    api_version: str | None = None  # microsoft: the Translator API version ("3.0" unless set)
    temperature: float = Field(0.0, ge=0, le=2)
    # several small chunks (no context, same language) in one request when they wait together;
    # 1: never. For OpenAI-compatible and demo providers, whose prompt carries the packed layout.
    pack_max_chunks: int = Field(1, ge=1, le=100)
    pricing: dict[str, Pricing] = Field(default_factory=dict)
    # demo simulator knobs (kind = "demo")
    latency_ms: int = Field(300, ge=0)
    jitter_ms: int = Field(50, ge=0)
    fail_rate: float = Field(0.0, ge=0, le=1)
    server_limits: list[RateLimit] | None = None

    @field_validator("limits", "server_limits", mode="before")
    @classmethod
    def _parse_limits(cls, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, str):  # one limit, or several separated by commas (from SCRIBE_… variables)
            value = [part for part in value.split(",") if part.strip()]
        out = []
        for item in value:
            out.append(item if isinstance(item, RateLimit) else parse_limit(item))
        return out

    @model_validator(mode="after")
    def _defaults_per_kind(self) -> ProviderConfig:
        defaults: dict[str, dict[str, Any]] = {
            "openai": {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini", "api_key_env": "OPENAI_API_KEY"},
            "deepl": {"api_key_env": "DEEPL_AUTH_KEY"},
            "microsoft": {"base_url": "https://api.cognitive.microsofttranslator.com", "api_key_env": "AZURE_TRANSLATOR_KEY",
                          "api_version": "3.0"},
            "demo": {"model": "demo-pseudo"},
        }[self.kind]
        for key, value in defaults.items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        if self.pack_max_chunks > 1 and self.kind not in ("openai", "demo"):
            raise ValueError(f"pack_max_chunks works with openai and demo providers (their prompt carries the "
                             f"packed layout), not {self.kind}")
        return self

    def limits_of(self, kind: str) -> list[RateLimit]:
        return sorted(limit for limit in self.limits if limit.kind == kind)

    @property
    def needs_key(self) -> bool:
        """False for the demo and for keyless local servers (``api_key_env = ""``)."""
        return self.kind != "demo" and bool(self.api_key_env)

    def api_key(self) -> str | None:
        """The key from the variable named by ``api_key_env`` (never from the file)."""
        if self.kind == "demo" or not self.api_key_env:
            return None
        return os.environ.get(self.api_key_env) or None

    def price(self) -> Pricing:
        if self.model and self.model in self.pricing:
            return self.pricing[self.model]
        if "default" in self.pricing:
            return self.pricing["default"]
        return default_pricing(self.kind, self.model)


BUILT_IN_PROVIDERS: dict[str, dict[str, Any]] = {"demo": {"kind": "demo", "limits": ["600/minute"]}}


def _default_providers() -> dict[str, ProviderConfig]:
    return {name: ProviderConfig(**values) for name, values in BUILT_IN_PROVIDERS.items()}


class _EnvSource(EnvSettingsSource):
    """``SCRIBE_…`` variables; a value that is not JSON is kept as the plain string it is, so
    ``SCRIBE_PROVIDERS__DEMO__LIMITS=60/minute`` reads as one limit instead of failing to decode."""

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)  # type: ignore[arg-type]
        except ValueError:
            return value


def _built_in_layer(file_data: dict[str, Any]) -> dict[str, Any]:
    """The built-in providers the file does not define: the lowest source, so that a
    ``SCRIBE_PROVIDERS__DEMO__…`` override merges with the defaults instead of replacing them."""
    defined = file_data.get("providers") if isinstance(file_data.get("providers"), dict) else {}
    return {"providers": {name: dict(values) for name, values in BUILT_IN_PROVIDERS.items() if name not in defined}}


class Settings(BaseSettings):
    """Everything scribe-tui can be configured with; see ``config.example.toml``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    default_provider: str = "demo"
    workers: int | Literal["auto"] = "auto"
    max_attempts: int = Field(5, ge=1, le=100)
    output_dir: Path = Path("translated")
    # a bigger file fails alone at enqueue; SQLite keeps a value of at most 1 GB
    max_file_mb: float = Field(50.0, gt=0, le=900, description="a bigger file fails alone at enqueue")
    data_dir: Path | None = None
    store_url: str | None = None  # postgresql://… : one queue and one set of limits for several machines
    source_language: str = "auto"
    source_encoding: str | None = None  # for sources neither UTF-8 nor BOM-marked; None: detect
    retranslate_po: bool = False  # .po: send entries that already hold a translation too
    priorities: dict[str, int] = Field(default_factory=lambda: {"he": 10, "de": 5, "en": 0})
    chunking: ChunkingConfig = ChunkingConfig()
    cache: CacheConfig = CacheConfig()
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    engine: EngineConfig = EngineConfig()
    log: LogConfig = LogConfig()
    notify: NotifyConfig = NotifyConfig()
    web: WebConfig = WebConfig()
    retention: RetentionConfig = RetentionConfig()
    glossary: GlossaryConfig = GlossaryConfig()
    qa: QAConfig = QAConfig()
    metrics_port: int | None = Field(None, ge=0, le=65535)
    keymap: dict[str, str] = Field(default_factory=dict,
                                   description="TUI key binding id -> key(s), e.g. retry = 'ctrl+r'")
    providers: dict[str, ProviderConfig] = Field(default_factory=_default_providers)
    _source_file: Path | None = PrivateAttr(default=None)  # the TOML file these came from, if any

    @property
    def source_file(self) -> Path | None:
        """The config file these settings were read from (absolute), None for defaults only."""
        return self._source_file

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() != "auto":
            try:
                value = int(value)
            except ValueError:
                raise ValueError("workers must be a positive integer or 'auto'") from None
        if isinstance(value, int) and value < 1:
            raise ValueError("workers must be at least 1")
        return value

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://… URL (leave it unset for the SQLite file in the data dir)")
        return value.strip()

    @field_validator("source_encoding")
    @classmethod
    def _source_encoding(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return codecs.lookup(value.strip()).name
        except LookupError:
            raise ValueError(f"unknown encoding {value.strip()!r} (a Python codec name such as cp1252, "
                             "latin-1 or shift_jis)") from None

    @field_validator("priorities")
    @classmethod
    def _priorities(cls, value: dict[str, int]) -> dict[str, int]:
        out = {}
        for code, prio in value.items():
            if normalise(code) not in LANGUAGES:
                raise ValueError(f"unknown language code {code!r}")
            out[normalise(code)] = prio
        return out

    @field_validator("providers", mode="before")
    @classmethod
    def _kind_from_name(cls, value: Any) -> Any:
        """A provider named after a kind (``openai``, ``deepl``, …) is of that kind unless told."""
        if isinstance(value, dict):
            kinds = ProviderKind.__args__  # type: ignore[attr-defined]
            value = {name: ({"kind": name, **body} if isinstance(body, dict) and "kind" not in body and name in kinds
                            else body) for name, body in value.items()}
        return value

    @model_validator(mode="after")
    def _check_providers(self) -> Settings:
        providers = dict(self.providers)
        if "demo" not in providers:
            providers["demo"] = _default_providers()["demo"]
            object.__setattr__(self, "providers", providers)
        if self.default_provider not in providers:
            raise ValueError(f"default_provider: unknown provider {self.default_provider!r}"
                             f" (configured: {', '.join(sorted(providers))})")
        for name, provider in providers.items():
            for fallback in provider.fallback_providers:
                if fallback not in providers:
                    raise ValueError(f"providers.{name}.fallback_providers names unknown provider {fallback!r}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_data = _FILE_DATA.get()
        return (init_settings, _EnvSource(settings_cls), InitSettingsSource(settings_cls, init_kwargs=file_data),
                InitSettingsSource(settings_cls, init_kwargs=_built_in_layer(file_data)))

    # ---- derived locations -------------------------------------------------------------
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else paths.default_data_dir()

    def provider(self, name: str | None = None) -> ProviderConfig:
        name = name or self.default_provider
        try:
            return self.providers[name]
        except KeyError:
            raise ConfigError(f"unknown provider {name!r} (configured: {', '.join(self.providers)})", key="provider") from None

    def language_priority(self, language: str) -> int:
        return self.priorities.get(normalise(language), 0)

    def require_api_keys(self, provider_names: list[str]) -> None:
        """Raise ConfigError naming the variable of the first needed provider without a key."""
        for name in provider_names:
            provider = self.provider(name)
            if provider.needs_key and provider.api_key() is None:
                raise ConfigError(
                    f"environment variable {provider.api_key_env} is not set "
                    f"(needed by provider {name!r}, kind {provider.kind})",
                    key=f"providers.{name}.api_key_env",
                )

    def providers_for(self, name: str | None = None) -> list[str]:
        """The provider and its fallbacks, in order, without repeats."""
        order: list[str] = []
        queue = [name or self.default_provider]
        while queue:
            current = queue.pop(0)
            if current in order:
                continue
            order.append(current)
            queue.extend(self.provider(current).fallback_providers)
        return order


_FILE_DATA: ContextVar[dict[str, Any]] = ContextVar("scribe_config_file_data", default={})


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", source=str(path)) from None


def _env_name_for(loc: tuple[Any, ...]) -> str | None:
    """The SCRIBE_… variable that set the key at ``loc`` (or a key inside it, or its parent)."""
    parts = [str(part).upper() for part in loc if not isinstance(part, int)]
    keys = {key.upper(): key for key in os.environ if key.upper().startswith(ENV_PREFIX)}
    for length in range(len(parts), 0, -1):
        name = ENV_PREFIX + "__".join(parts[:length])
        inside = length >= len(parts) - 1  # the key itself or its parent section, set key by key
        for upper, key in sorted(keys.items()):
            if upper == name or (inside and upper.startswith(name + "__")):
                return key
    return None


SECRET_KEYS = ("store_url",)


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(part for part in error.get("loc", ()) if part not in ("function-after[_defaults_per_kind(), ProviderConfig]",))
    key = ".".join(str(part) for part in loc)
    message = error.get("msg", "invalid value")
    if error.get("type") == "extra_forbidden":
        message = "unknown key"
    if error.get("type") == "missing" and loc[-1:] == ("kind",):
        message = "kind is required (openai, deepl, microsoft or demo)"
    message = message.removeprefix("Value error, ")
    secret = key in SECRET_KEYS  # a URL may carry a password: never echo it
    if error.get("type") not in ("extra_forbidden", "missing") and "input" in error and not secret \
            and not isinstance(error["input"], (dict, list)):
        message = f"{message} (got {error['input']!r})"
    return key, message


# Settings that command-line flags set, and the flag to name when their value is wrong.
FLAG_NAMES = {"default_provider": "--provider", "workers": "--workers", "output_dir": "--output-dir",
              "data_dir": "--data-dir", "metrics_port": "--metrics-port", "store_url": "--store",
              "source_encoding": "--encoding"}


def _flag_for(key_or_message: str, flags: dict[str, Any]) -> str | None:
    for setting, flag in FLAG_NAMES.items():
        if setting in flags and (key_or_message == setting or key_or_message.startswith((setting + " ", setting + ":"))):
            return flag
    return None


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Load the settings; ``overrides`` are the command-line flags (None means not given)."""
    explicit = config_file is not None
    path = Path(config_file).expanduser() if explicit else paths.default_config_file()
    if explicit and not path.exists():
        raise ConfigError("config file not found", source=str(path))
    data = read_config_file(path) if path.exists() else {}
    flags = {key: value for key, value in overrides.items() if value is not None}
    token = _FILE_DATA.set(data)
    try:
        settings = Settings(**flags)
        settings._source_file = path.resolve() if path.exists() else None
        return settings
    except SettingsError as exc:  # a source could not be read at all (pydantic-settings' own message)
        raise ConfigError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                          source="environment SCRIBE_…") from None
    except ValidationError as exc:
        key, message = _describe(exc.errors()[0])
        flag = _flag_for(key or message, flags)
        env = _env_name_for(exc.errors()[0].get("loc", ()))
        if flag:
            raise ConfigError(message.removeprefix("default_provider: "), source=flag) from None
        source = f"environment {env}" if env else (str(path) if path.exists() else "settings")
        raise ConfigError(message, source=source, key=key or None) from None
    finally:
        _FILE_DATA.reset(token)
