"""DeepL's account endpoints on the simulator: ``GET|POST /v2/usage`` and ``GET|POST
/v2/languages`` (``type=source|target``, from the query or a form body — the official client
sends it as a form body on a GET).

Usage counts billed characters: those in the longest ``characters`` limit's window when the
simulator has one (its amount is the limit), else all billed so far against
``deepl_character_limit``. A Pro key (one not ending ``:fx``) also gets the billing period,
``start_time``/``end_time`` (here the calendar month, UTC), and the key-level fields, as the
real Pro API sends them; Free keys get only the counts (DeepLcom/deepl-mock ``handleUsage``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from scribe_tui.languages import LANGUAGES
from scribe_tui.simulator.api_deepl import deepl_message
from scribe_tui.simulator.config import SimulatorConfig
from scribe_tui.simulator.http11 import Request, Response, json_response
from scribe_tui.simulator.windows import LimitSet

AUTH_PREFIX = "DeepL-Auth-Key "
# Targets DeepL names with a region; their plain base code is then not a target.
_REGIONAL_TARGETS = {"en": ("EN-GB", "EN-US"), "pt": ("PT-BR", "PT-PT"), "zh": ("ZH", "ZH-HANS", "ZH-HANT")}
_NO_FORMALITY = frozenset({"en", "zh", "ja", "ko", "he", "ar"})


class DeepLState(Protocol):
    config: SimulatorConfig
    limits: LimitSet

    @property
    def billed_characters(self) -> int: ...


def request_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[len(AUTH_PREFIX):] if header.startswith(AUTH_PREFIX) else None


def key_refused(config: SimulatorConfig, request: Request) -> Response | None:
    """403 when the simulator has a key and the request does not carry it."""
    expected = config.api_key
    if expected and request_key(request) != expected:
        return deepl_message(403, "Authorization failed. Please supply a valid auth_key parameter.")
    return None


def request_fields(request: Request) -> dict[str, Any]:
    """A JSON object body, else the form body and query string (first value of each)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return body if isinstance(body, dict) else {}
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True) + request.query:
        fields.setdefault(key, value)
    return fields


def billing_period(now: datetime) -> tuple[str, str]:
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def usage(state: DeepLState, request: Request) -> Response:
    refused = key_refused(state.config, request)
    if refused is not None:
        return refused
    quotas = [limit for limit in state.config.limits if limit.kind == "characters"]
    if quotas:
        limit = max(quotas, key=lambda item: item.span_s).amount
        used = state.limits.used("characters", time.monotonic())
    else:
        limit, used = state.config.deepl_character_limit, state.billed_characters
    payload: dict[str, Any] = {"character_count": used, "character_limit": limit}
    if not (request_key(request) or "").endswith(":fx"):
        start, end = billing_period(datetime.now(UTC))
        payload.update({"api_key_character_count": used, "api_key_character_limit": limit,
                        "start_time": start, "end_time": end,
                        "products": [{"product_type": "translate", "api_key_character_count": used,
                                      "character_count": used}]})
    return json_response(200, payload)


def _source_languages() -> list[dict[str, Any]]:
    bases = sorted({code.split("-")[0] for code in LANGUAGES})
    return [{"language": code.upper(), "name": LANGUAGES[code]} for code in bases]


def _target_languages() -> list[dict[str, Any]]:
    out = []
    for code in sorted({code.split("-")[0] for code in LANGUAGES}):
        for deepl_code in _REGIONAL_TARGETS.get(code, (code.upper(),)):
            name = LANGUAGES.get(deepl_code.lower(), LANGUAGES[code])
            out.append({"language": deepl_code, "name": name, "supports_formality": code not in _NO_FORMALITY})
    return out


def languages(state: DeepLState, request: Request) -> Response:
    refused = key_refused(state.config, request)
    if refused is not None:
        return refused
    kind = str(request_fields(request).get("type", "source"))
    if kind not in ("source", "target"):
        return deepl_message(400, "Parameter 'type' is invalid. 'source' and 'target' are valid values.")
    return json_response(200, _target_languages() if kind == "target" else _source_languages())


Handler = Callable[[Any, Request], Response]

ROUTES: dict[tuple[str, str], tuple[str, Handler]] = {
    ("GET", "/v2/usage"): ("deepl.usage", usage),
    ("POST", "/v2/usage"): ("deepl.usage", usage),
    ("GET", "/v2/languages"): ("deepl.languages", languages),
    ("POST", "/v2/languages"): ("deepl.languages", languages),
}
