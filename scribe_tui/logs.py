"""Structured logging: structlog JSON lines appended to ``<data_dir>/logs/scribe-tui.log``
(0600, rotated by the main process), a readable console on stderr only with ``-v``,
correlation ids through ``structlog.contextvars``, and a processor that keeps API keys
and document text out of every line.

Every process (the main one and each spawned worker) calls ``configure_logging`` once;
all append to the same file. Only the main process rotates it; workers reopen the file
when it has been rotated under them (``WatchedFileHandler``).
"""

from __future__ import annotations

import hashlib
import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

from scribe_tui.paths import ensure_private_dir

LOG_FILE_NAME = "scribe-tui.log"
REDACTED = "[redacted]"

CORRELATION_FIELDS = ("job_id", "chunk_id", "task_id", "worker_id", "provider", "document_id")
TEXT_FIELDS = frozenset({"text", "source", "translation", "context", "source_text", "translated_text", "prompt", "messages"})
_SECRET_FIELD_RE = re.compile(r"key|authorization|token|secret|password|credential", re.IGNORECASE)
_SECRET_VALUE_RE = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}"                              # OpenAI-style keys
    r"|DeepL-Auth-Key\s+\S+"                               # DeepL authorization header
    r"|Bearer\s+[A-Za-z0-9_\-.=:+/]{8,}"                   # any bearer token
    r"|Ocp-Apim-Subscription-Key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9]{8,})",
    re.IGNORECASE,
)
_SECRET_ENV_RE = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)
_NOISY_LIBRARIES = ("httpx", "httpcore", "openai", "hpack", "asyncio", "urllib3", "filelock")
_HANDLER_MARK = "_scribe_tui_handler"


# ---- redaction --------------------------------------------------------------------------------


def _secret_env_values() -> tuple[str, ...]:
    """Values of environment variables that look like secrets (named *KEY*, *TOKEN*, …)."""
    values = {value for name, value in os.environ.items() if _SECRET_ENV_RE.search(name) and len(value) >= 8}
    return tuple(sorted(values, key=len, reverse=True))


class Redactor:
    """structlog processor: masks keys, drops document text (keeping its length and hash)."""

    def __init__(self, secret_values: tuple[str, ...] = ()):
        self.secret_values = secret_values

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for name in list(event_dict):
            if name in TEXT_FIELDS:
                self._replace_text(event_dict, name)
                continue
            event_dict[name] = self._clean(name, event_dict[name], depth=0)
        return event_dict

    def _replace_text(self, event_dict: MutableMapping[str, Any], name: str) -> None:
        value = event_dict.pop(name)
        if isinstance(value, str):
            event_dict[f"{name}_len"] = len(value)
            event_dict[f"{name}_sha256"] = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:12]
        elif hasattr(value, "__len__"):
            event_dict[f"{name}_len"] = len(value)

    def _clean(self, name: str, value: Any, *, depth: int) -> Any:
        if isinstance(value, str):
            if _is_secret_field(name):
                return REDACTED
            return self.scrub(value)
        if depth < 3 and isinstance(value, dict):
            return {k: (self._text_summary(v) if k in TEXT_FIELDS else self._clean(str(k), v, depth=depth + 1))
                    for k, v in value.items()}
        if depth < 3 and isinstance(value, (list, tuple)):
            return [self._clean(name, item, depth=depth + 1) for item in value]
        return value

    @staticmethod
    def _text_summary(value: Any) -> str:
        return f"<{len(value)} chars>" if isinstance(value, str) else "<omitted>"

    def scrub(self, text: str) -> str:
        """Mask secret-looking substrings and the values of secret environment variables."""
        for secret in self.secret_values:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _SECRET_VALUE_RE.sub(REDACTED, text)


def _is_secret_field(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith("_env") or lowered.startswith(("tokens_", "token_count")) or lowered.endswith(("_tokens", "tokens")):
        return False
    return bool(_SECRET_FIELD_RE.search(name))


# ---- handlers ---------------------------------------------------------------------------------


def _open_private_append(path: str, encoding: str | None) -> Any:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.chmod(path, 0o600)
    return os.fdopen(fd, "a", encoding=encoding or "utf-8")


class _QuietOnFailure:
    """A log line that cannot be written (disk full) is dropped: logging's default prints a
    traceback to stderr, over the progress display or the TUI, for every line."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        return None


class PrivateRotatingFileHandler(_QuietOnFailure, logging.handlers.RotatingFileHandler):
    """Rotating handler whose files are created 0600 and opened with O_APPEND."""

    def _open(self) -> Any:
        return _open_private_append(self.baseFilename, self.encoding)


class PrivateWatchedFileHandler(_QuietOnFailure, logging.handlers.WatchedFileHandler):
    """Append-only handler for worker processes: reopens the file after the main process rotates it."""

    def _open(self) -> Any:
        return _open_private_append(self.baseFilename, self.encoding)


def log_file(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / LOG_FILE_NAME


def _file_handler(path: Path, *, rotate: bool, max_bytes: int, backups: int) -> logging.Handler:
    ensure_private_dir(path.parent)
    if rotate:
        return PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    return PrivateWatchedFileHandler(path, encoding="utf-8")


def _shared_processors(process_name: str, redactor: Redactor) -> list[Any]:
    def add_process(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event_dict.setdefault("process", process_name)
        event_dict.setdefault("pid", os.getpid())
        return event_dict

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_process,
        redactor,
    ]


def _formatter(renderer: Any, shared: list[Any], redactor: Redactor) -> structlog.stdlib.ProcessorFormatter:
    # Exceptions are rendered to a string first, then scrubbed like any other field.
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            renderer,
        ],
    )


def _remove_previous_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()


def configure_logging(
    data_dir: Path,
    *,
    verbose: int = 0,
    level: str = "info",
    process_name: str = "main",
    max_bytes: int = 10_000_000,
    backups: int = 3,
) -> None:
    """Send structlog (and stdlib) logs to the JSON log file, and to stderr with ``-v``.

    ``verbose`` 1 shows info on stderr, 2 or more shows debug. Calling it again replaces
    the handlers it installed before (safe in tests and in each worker process).
    """
    file_level = getattr(logging, level.upper(), logging.INFO)
    console_level = logging.DEBUG if verbose >= 2 else logging.INFO
    redactor = Redactor(_secret_env_values())
    shared = _shared_processors(process_name, redactor)

    root = logging.getLogger()
    _remove_previous_handlers(root)
    handler = _file_handler(log_file(data_dir), rotate=process_name == "main", max_bytes=max_bytes, backups=backups)
    handler.setLevel(file_level)
    handler.setFormatter(_formatter(structlog.processors.JSONRenderer(), shared, redactor))
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    levels = [file_level]
    if verbose > 0:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(console_level)
        colors = bool(getattr(sys.stderr, "isatty", lambda: False)())
        console.setFormatter(_formatter(structlog.dev.ConsoleRenderer(colors=colors), shared, redactor))
        setattr(console, _HANDLER_MARK, True)
        root.addHandler(console)
        levels.append(console_level)
    root.setLevel(min(levels))
    for name in _NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 3 else logging.WARNING)

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


# ---- correlation ids --------------------------------------------------------------------------


def bind_correlation(**ids: Any) -> None:
    """Attach correlation ids (job_id, chunk_id, worker_id, provider, …) to every later line."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v is not None})


def clear_correlation(*names: str) -> None:
    """Forget the given correlation ids, or all of them when none are named."""
    if names:
        structlog.contextvars.unbind_contextvars(*names)
    else:
        structlog.contextvars.clear_contextvars()


@contextmanager
def correlated(**ids: Any) -> Iterator[None]:
    """Bind correlation ids for the duration of a block (asyncio-task and thread safe)."""
    with structlog.contextvars.bound_contextvars(**{k: v for k, v in ids.items() if v is not None}):
        yield


def get_logger(name: str | None = None, **initial: Any) -> Any:
    return structlog.get_logger(name, **initial)
