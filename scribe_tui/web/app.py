"""The ASGI application: the API and page routes, the shipped static files, every error as
``{"error": "..."}``, security headers on every response, and an access log that records the
path only — never a query string (``/?token=…``) nor a header."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scribe_tui import __version__
from scribe_tui.config import Settings
from scribe_tui.web import api, pages
from scribe_tui.web.auth import Tokens
from scribe_tui.web.engine_link import Engine, StoreThreads
from scribe_tui.web.live import LiveStatus

log = structlog.get_logger("scribe_tui.web")

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


@dataclass
class WebState:
    """What the routes reach through ``request.app.state.web``."""

    settings: Settings
    engine: Engine
    tokens: Tokens
    threads: StoreThreads
    live: LiveStatus


class Guard:
    """Pure ASGI middleware (streams pass straight through): adds the security headers and
    logs method, path, status and duration of each request."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info("http request", method=scope["method"], path=scope["path"], status=status,
                     duration_ms=round((time.monotonic() - started) * 1000, 1))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.url.path}"
    return _error(exc.status_code, message, exc.headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    message = "; ".join(problems) or "invalid request"
    if _body_is_not_json(request, exc):
        message += " (send the body as a JSON object with 'Content-Type: application/json')"
    return _error(400, message)


def _body_is_not_json(request: Request, exc: RequestValidationError) -> bool:
    """A body was expected but came as something other than JSON (``curl -d`` sends a form)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    expects_body = any(tuple(error.get("loc", ()))[:1] == ("body",) for error in exc.errors())
    return expects_body and content_type != "application/json"


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("request failed", path=request.url.path, error_class=type(exc).__name__, error=str(exc))
    return _error(500, f"internal error: {type(exc).__name__}")


def create_app(state: WebState) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(state.live.run(), name="scribe-web-live")
        try:
            yield
        finally:
            state.live.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="scribe-tui", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="The dashboard's JSON API. Authenticate with `Authorization: Bearer TOKEN`.")
    app.state.web = state
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    handlers: dict[Any, Any] = {StarletteHTTPException: _http_error, RequestValidationError: _invalid_request,
                                Exception: _unexpected}
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
    app.add_middleware(Guard)
    return app
