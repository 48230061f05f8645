"""The simulator's request handling: routing, and the pipeline every translation call goes
through — key check, parse, size check, arrival (after ``arrival_delay_ms``), overload check,
rate limits, latency, injected fault, reply — plus the ``/_stats``, ``/_control`` and
``/_reset`` endpoints. Runs on one event loop; no locks.

Arrival is when the call is counted: a random delay of up to ``arrival_delay_ms`` before it
models a slow network or a connection waiting for a SYN retransmission, so the client's
admission and the server's count are apart by a varying amount. Every arrival is logged
(``/_stats`` ``arrivals``), refused or not. Beyond ``max_in_flight`` calls in progress the
call is answered 503 "overloaded" at once. OpenAI replies carry ``openai-processing-ms``
(arrival to reply) as the real service does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
import time
from typing import Any

from scribe_tui.simulator import api_deepl_account, api_deepl_glossaries
from scribe_tui.simulator.api_common import ApiCall, ApiError, Dialect, format_duration
from scribe_tui.simulator.api_deepl import DeepLDialect
from scribe_tui.simulator.api_microsoft import MicrosoftDialect, languages_response
from scribe_tui.simulator.api_openai import OpenAIDialect, models_response
from scribe_tui.simulator.config import FAULT_KINDS, SimulatorConfig
from scribe_tui.simulator.glossaries import GlossaryStore
from scribe_tui.simulator.http11 import DROP, Request, Response, json_response
from scribe_tui.simulator.mangle import mangled
from scribe_tui.simulator.quality_faults import spoil
from scribe_tui.simulator.stats import SimulatorStats
from scribe_tui.simulator.windows import LimitSet

DEMO_MODEL = "demo-pseudo"

_TRANSLATE_ROUTES = {("POST", "/v1/chat/completions"): "openai", ("POST", "/v2/translate"): "deepl",
                     ("POST", "/translate"): "microsoft"}
_ENDPOINT_NAMES = {
    "/v1/chat/completions": "openai.chat", "/v1/models": "openai.models", "/v2/translate": "deepl.translate",
    "/v2/usage": "deepl.usage", "/v2/languages": "deepl.languages", "/translate": "microsoft.translate",
    "/languages": "microsoft.languages",
}


def build_dialects(config: SimulatorConfig, glossaries: GlossaryStore) -> dict[str, Dialect]:
    """The three APIs as this config speaks them (its OpenAI-compatible server profile, its
    DeepL billing) over the simulator's glossary store."""
    return {"openai": OpenAIDialect(config.server_profile), "deepl": DeepLDialect(config, glossaries),
            "microsoft": MicrosoftDialect()}


class SimulatorApp:
    """State of one simulator: its config, limit windows, fault RNG and stats."""

    def __init__(self, config: SimulatorConfig):
        self._initial = config
        self.reset()

    def reset(self) -> None:
        """Back to the starting config with empty windows, fresh counters and the seeded RNG."""
        self.config = self._initial
        self.limits = LimitSet(self.config.limits)
        self.stats = SimulatorStats(self.config.admissions_kept, self.config.requests_kept)
        self.glossaries = GlossaryStore()
        self.dialects = build_dialects(self.config, self.glossaries)
        self._active = 0  # calls past their arrival and not yet answered
        self._seed_rngs(self.config.seed)

    def _seed_rngs(self, seed: int) -> None:
        self._fault_rng = random.Random(seed)
        self._latency_rng = random.Random(seed + 1)
        self._arrival_rng = random.Random(seed + 2)

    def change(self, changes: dict[str, Any]) -> SimulatorConfig:
        """Apply a subset of the config at runtime (``POST /_control``)."""
        self.config = self.config.with_changes(changes)
        self.dialects = build_dialects(self.config, self.glossaries)
        if "limits" in changes:
            self.limits = LimitSet(self.config.limits)
        if "seed" in changes:
            self._seed_rngs(self.config.seed)
        return self.config

    @property
    def billed_characters(self) -> int:
        """Characters billed by every admitted call so far (DeepL's usage without a quota)."""
        return self.stats.characters

    # ---- routing -----------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        path = request.path
        api = _TRANSLATE_ROUTES.get((request.method, path))
        if api is not None:
            return await self._tracked(_ENDPOINT_NAMES[path], request, self._translate(self.dialects[api], request))
        if path.startswith("/_"):
            return await self._control_endpoint(request)
        if request.method == "GET" and path == "/v1/models":
            return await self._tracked("openai.models", request, self._models(request))
        account = api_deepl_account.ROUTES.get((request.method, path))
        if account is not None:
            endpoint, handler = account
            return await self._tracked(endpoint, request, _ready(handler(self, request)))
        if api_deepl_glossaries.is_glossary_path(path):
            return await self._tracked("deepl.glossaries", request,
                                       _ready(api_deepl_glossaries.handle(self, request)))
        if request.method == "GET" and path == "/languages":
            return await self._tracked("microsoft.languages", request, _ready(languages_response(request)))
        if path in _ENDPOINT_NAMES:
            return json_response(405, {"error": {"message": f"method {request.method} not allowed on {path}"}})
        return json_response(404, {"error": {"message": f"no such endpoint: {request.method} {path}"}})

    async def _tracked(self, endpoint: str, request: Request, work: Any) -> Response:
        self.stats.begin(endpoint, request)
        response: Response | None = None
        try:
            response = await work
            return response
        finally:
            self.stats.end(None if response is None or response is DROP else response.status)

    # ---- the translation pipeline -------------------------------------------------------
    async def _translate(self, dialect: Dialect, request: Request) -> Response:
        config = self.config
        if config.api_key and not dialect.authorised(request, config.api_key):
            return dialect.unauthorised(request)
        try:
            call = dialect.parse(request)
        except ApiError as exc:
            return exc.response
        if config.max_input_chars is not None and call.input_chars > config.max_input_chars:
            truncate = getattr(dialect, "truncated", None)  # a server that cuts the prompt instead of refusing
            cut = truncate(call, config.max_input_chars) if truncate is not None else None
            if cut is None:
                return dialect.too_long(call, config.max_input_chars)
            call = cut
        if config.arrival_delay_ms:
            await self._sleep_ms(self._arrival_rng.uniform(0.0, config.arrival_delay_ms))
        now = time.monotonic()
        self.stats.arrived(now)
        if config.max_in_flight is not None and self._active >= config.max_in_flight:
            self.stats.faults["overloaded"] += 1
            return dialect.server_error(503)
        call = self._scaled(call)
        weights = {"requests": 1, "tokens": call.total_tokens, "characters": call.characters}
        decision = self.limits.admit(weights, now)
        while not decision.admitted and getattr(dialect, "queues_when_busy", False) and not decision.is_quota:
            await asyncio.sleep(decision.retry_after_s)  # a queueing server (vLLM, LM Studio) waits its turn
            now = time.monotonic()
            decision = self.limits.admit(weights, now)
        if not decision.admitted:
            return self._refused(dialect, call, decision.limit, decision.retry_after_s, now)  # type: ignore[arg-type]
        self.stats.admitted(now, call.characters)
        self._active += 1
        try:
            await self._sleep_ms(self._latency_ms())
            response = await self._reply_or_fault(dialect, call)
        finally:
            self._active -= 1
        if _profile(dialect) == "openai" and response.status == 200:  # OpenAI's own service says it, others do not
            processing = f"{(time.monotonic() - now) * 1000:.0f}"
            response = dataclasses.replace(response, headers=[*response.headers, ("openai-processing-ms", processing)])
        return response

    def _scaled(self, call: ApiCall) -> ApiCall:
        """The call with its reply's tokens times ``reply_token_factor`` (a long-winded model)."""
        factor = self.config.reply_token_factor
        if factor == 1.0 or not call.completion_tokens:
            return call
        return dataclasses.replace(call, completion_tokens=math.ceil(call.completion_tokens * factor))

    def accept_connection(self, open_connections: int) -> bool:
        """False when a new connection must be reset: ``max_connections`` are open already."""
        limit = self.config.max_connections
        if limit is not None and open_connections >= limit:
            self.stats.faults["reset"] += 1
            return False
        return True

    def _refused(self, dialect: Dialect, call: ApiCall, limit: Any, retry_after_s: float, now: float) -> Response:
        if limit.is_quota:
            self.stats.quota_exhausted += 1
            return dialect.quota_exhausted(call, limit.kind, retry_after_s)
        self.stats.rate_limited += 1
        self.stats.refusals.append(now)
        return dialect.rate_limited(call, limit.kind, retry_after_s, self._limit_headers(now))

    async def _reply_or_fault(self, dialect: Dialect, call: ApiCall) -> Response:
        fault = self._draw_fault()
        if fault is not None:
            self.stats.faults[fault] += 1
        if fault == "drop":
            return DROP
        if fault in ("http_500", "http_503"):
            return dialect.server_error(int(fault[-3:]), call)
        if fault == "malformed":
            return dialect.malformed(call, self._fault_rng.randrange(2))
        if fault == "quota":
            return dialect.quota_exhausted(call, "requests", None)
        if fault == "slow":
            await self._sleep_ms(self.config.slow_ms)
        response = mangled(dialect.success(call, self._limit_headers(time.monotonic())), dialect.name, call, self.config)
        response, spoiled = spoil(response, dialect.name, call, self.config, self.stats.faults["quality"])
        self.stats.faults["quality"] += int(spoiled)
        return response

    def _draw_fault(self) -> str | None:
        if self.config.fault_total() <= 0:
            return None
        draw = self._fault_rng.random()
        for kind in FAULT_KINDS:
            draw -= getattr(self.config, kind)
            if draw < 0:
                return kind
        return None

    def _latency_ms(self) -> float:
        jitter = self.config.jitter_ms
        offset = self._latency_rng.uniform(-jitter, jitter) if jitter else 0.0
        return max(self.config.latency_ms + offset, 0.0)

    @staticmethod
    async def _sleep_ms(ms: float) -> None:
        if ms > 0:
            await asyncio.sleep(ms / 1000)

    def _limit_headers(self, now: float) -> list[tuple[str, str]]:
        headers = []
        for kind in ("requests", "tokens"):
            status = self.limits.status(kind, now)
            if status is None:
                continue
            limit, remaining, reset_s = status
            headers += [(f"x-ratelimit-limit-{kind}", str(limit.amount)),
                        (f"x-ratelimit-remaining-{kind}", str(remaining)),
                        (f"x-ratelimit-reset-{kind}", format_duration(reset_s))]
        return headers

    # ---- other API endpoints ---------------------------------------------------------------
    async def _models(self, request: Request) -> Response:
        dialect = self.dialects["openai"]
        if self.config.api_key and not dialect.authorised(request, self.config.api_key):
            return dialect.unauthorised(request)
        return models_response(DEMO_MODEL)

    # ---- control ------------------------------------------------------------------------------
    async def _control_endpoint(self, request: Request) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/_stats"):
            return json_response(200, self.stats.to_json())
        if route == ("GET", "/_health"):
            return json_response(200, {"ok": True})
        if route == ("POST", "/_reset"):
            self.reset()
            return json_response(200, {"config": self.config.to_json()})
        if route == ("GET", "/_control"):
            return json_response(200, {"config": self.config.to_json()})
        if route == ("POST", "/_control"):
            return self._apply_control(request)
        return json_response(404, {"error": {"message": f"no such endpoint: {request.method} {request.path}"}})

    def _apply_control(self, request: Request) -> Response:
        try:
            changes = json.loads(request.body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("the body must be a JSON object of settings")
            config = self.change(changes)
        except (ValueError, TypeError) as exc:
            return json_response(400, {"error": {"message": str(exc)}})
        return json_response(200, {"config": config.to_json()})


async def _ready(response: Response) -> Response:
    """A synchronous handler's reply, as the awaitable ``_tracked`` expects."""
    return response


def _profile(dialect: Dialect) -> str | None:
    profile = getattr(dialect, "profile", None)
    return getattr(profile, "name", None)
