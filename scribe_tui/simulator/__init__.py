"""The built-in offline simulator: an HTTP/1.1 server on loopback that speaks the OpenAI
chat-completions, DeepL v2 and Microsoft Translator v3 APIs, replies with a deterministic
pseudo-translation, and enforces configurable rate limits, quotas and injected faults.

Lines are marked with the language code the API received, lower-cased: the code from the
prompt's ``Target language: … (he).`` line (OpenAI), ``target_lang`` (DeepL: ``en-us`` for
EN-US) or ``to`` (Microsoft: ``zh-hans``). ``pseudo_translate(text, code)`` reproduces a reply.

"""

from __future__ import annotations

from scribe_tui.simulator.config import FAIL_RATE_KINDS, FAULT_KINDS, SimulatorConfig, spread_fail_rate
from scribe_tui.simulator.process import SimulatorProcess, start_simulator_process
from scribe_tui.simulator.pseudo import marker, pseudo_translate, reverse_pseudo
from scribe_tui.simulator.server import SimulatorServer, base_urls, serve

__all__ = [
    "FAIL_RATE_KINDS", "FAULT_KINDS", "SimulatorConfig", "SimulatorProcess", "SimulatorServer", "base_urls",
    "marker", "pseudo_translate", "reverse_pseudo", "serve", "spread_fail_rate", "start_simulator_process",
]
