"""Who is asking: the two roles, their tokens (read only from the environment variables the
config names), and the values derived from a token — the browser session cookie and the CSRF
token — all compared in constant time. No web framework here."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum

from scribe_tui.config import WebConfig
from scribe_tui.errors import ConfigError

SESSION_COOKIE = "scribe_session"
CSRF_HEADER = "X-CSRF-Token"
SHORT_TOKEN = 16
"""Tokens shorter than this are accepted with a warning: a guessable token guards nothing."""

_SESSION_PURPOSE = b"scribe-tui web session v1"
_CSRF_PURPOSE = b"scribe-tui web csrf v1"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"

    @property
    def can_control(self) -> bool:
        return self is Role.OPERATOR


def _derive(token: str, purpose: bytes) -> str:
    return hmac.new(token.encode(), purpose, hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Tokens:
    """The configured tokens by role (a role without a token cannot be signed in as)."""

    by_role: dict[Role, str]
    generated: bool = False  # the operator token was made at start: nothing was configured

    @classmethod
    def from_environment(cls, config: WebConfig, environ: dict[str, str] | None = None) -> Tokens:
        """Read the tokens from the variables ``config`` names; make an operator token when
        neither is set. ConfigError when both roles were given the same token."""
        env = os.environ if environ is None else environ
        by_role = {role: value for role, name in ((Role.VIEWER, config.viewer_token_env),
                                                   (Role.OPERATOR, config.operator_token_env))
                   if (value := env.get(name, "").strip())}
        if not by_role:
            return cls({Role.OPERATOR: secrets.token_urlsafe(32)}, generated=True)
        if len(by_role) == 2 and _same(by_role[Role.VIEWER], by_role[Role.OPERATOR]):
            raise ConfigError(f"{config.viewer_token_env} and {config.operator_token_env} hold the same token; "
                              "a viewer must not be able to act as operator", key="web")
        return cls(by_role)

    def short_ones(self) -> list[Role]:
        return [role for role, token in self.by_role.items() if len(token) < SHORT_TOKEN]

    def role_of_token(self, candidate: str) -> Role | None:
        """The role whose token this is; every configured token is compared, in constant time."""
        return self._match(candidate, lambda token: token)

    def role_of_session(self, cookie: str) -> Role | None:
        """The role whose session cookie value this is (changing a token ends its sessions)."""
        return self._match(cookie, session_value)

    def _match(self, candidate: str, derive) -> Role | None:  # type: ignore[no-untyped-def]
        found = None
        for role, token in self.by_role.items():
            if _same(candidate, derive(token)) and found is None:
                found = role
        return found

    def session_for(self, role: Role) -> str:
        return session_value(self.by_role[role])

    def csrf_for(self, role: Role) -> str:
        return csrf_value(self.by_role[role])

    def csrf_ok(self, role: Role, header_value: str | None) -> bool:
        return header_value is not None and _same(header_value, self.csrf_for(role))


def session_value(token: str) -> str:
    """The cookie a signed-in browser holds: derived from the token, never the token itself."""
    return _derive(token, _SESSION_PURPOSE)


def csrf_value(token: str) -> str:
    """The CSRF token a cookie-authenticated page sends back in ``X-CSRF-Token``."""
    return _derive(token, _CSRF_PURPOSE)


def bearer_token(authorization: str | None) -> str | None:
    """``Authorization: Bearer TOKEN`` → TOKEN (None when the header is absent or not Bearer)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
