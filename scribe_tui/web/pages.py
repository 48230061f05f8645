"""The browser's side: the dashboard page for a signed-in caller, the login form otherwise
(HTTP 401), signing in once with the form or ``/?token=…`` (an HttpOnly, SameSite=Lax session
cookie, then a redirect that drops the token from the address bar), and signing out.

Lax rather than Strict: a link to the dashboard from a chat or a mail opens it signed in.
What that lets a cross-site top-level GET do is read a page its origin cannot see; every
change is a POST, which carries the cookie only from this origin and needs the CSRF token."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from scribe_tui.web.access import identify, tokens_of
from scribe_tui.web.auth import SESSION_COOKIE

STATIC_DIR = Path(__file__).with_name("static")
SESSION_DAYS = 7
MAX_FORM_BYTES = 4096

router = APIRouter(include_in_schema=False)


def login_page(error: str = "", status_code: int = 401) -> HTMLResponse:
    template = Template((STATIC_DIR / "login.html").read_text(encoding="utf-8"))
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(template.substitute(error=message), status_code=status_code,
                        headers={"WWW-Authenticate": 'Bearer realm="scribe-tui"'})


def signed_in(request: Request, token: str) -> Response:
    """Sign the browser in with ``token``: the session cookie, and back to the page."""
    tokens = tokens_of(request)
    role = tokens.role_of_token(token)
    if role is None:
        return login_page("That token is not valid.")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, tokens.session_for(role), max_age=SESSION_DAYS * 86400, path="/",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.get("/")
async def index(request: Request, token: str | None = None) -> Response:
    if token is not None:
        return signed_in(request, token.strip())
    if identify(request) is None:
        return login_page()
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.post("/login")
async def login(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return login_page("That token is not valid.")
    fields = parse_qs(body.decode("utf-8", "replace"))
    return signed_in(request, (fields.get("token") or [""])[0].strip())


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
