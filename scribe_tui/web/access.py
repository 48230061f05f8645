"""Access control on each request: who it is (a Bearer header, else the session cookie), the
401 and 403 answers, and the CSRF check that cookie-authenticated control requests pass.
A request that carries an ``Authorization`` header is judged by it alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from scribe_tui.web.auth import CSRF_HEADER, SESSION_COOKIE, Role, Tokens, bearer_token


@dataclass(frozen=True)
class Caller:
    role: Role
    via: str  # bearer | cookie


def tokens_of(request: Request) -> Tokens:
    return request.app.state.web.tokens


def identify(request: Request) -> Caller | None:
    """The caller's role, or None when it brings no valid credentials."""
    tokens = tokens_of(request)
    header = request.headers.get("authorization")
    if header is not None:
        token = bearer_token(header)
        role = tokens.role_of_token(token) if token else None
        return Caller(role, "bearer") if role else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        role = tokens.role_of_session(cookie)
        return Caller(role, "cookie") if role else None
    return None


def unauthorized() -> HTTPException:
    return HTTPException(401, "authentication required: send 'Authorization: Bearer TOKEN' or sign in",
                         headers={"WWW-Authenticate": 'Bearer realm="scribe-tui"'})


def require_viewer(request: Request) -> Caller:
    caller = identify(request)
    if caller is None:
        raise unauthorized()
    return caller


def require_operator(caller: Annotated[Caller, Depends(require_viewer)], request: Request) -> Caller:
    """An operator; from a browser session also the page's CSRF token in ``X-CSRF-Token``."""
    if not caller.role.can_control:
        raise HTTPException(403, f"the {caller.role} role may only read; this needs the operator role")
    if caller.via == "cookie" and not tokens_of(request).csrf_ok(caller.role, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"missing or wrong CSRF token (send the page's token in {CSRF_HEADER})")
    return caller


Viewer = Annotated[Caller, Depends(require_viewer)]
Operator = Annotated[Caller, Depends(require_operator)]
