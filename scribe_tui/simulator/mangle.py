"""Replies of the wrong shape, on purpose: what a careless or manipulated model sends back.

``SimulatorConfig.mangle`` names the damage done to every successful OpenAI-style reply to
a text of at least ``mangle_min_lines`` non-blank lines (so a test can let the smaller pieces
of a split chunk through):

* ``drop_line``: the last non-blank line is missing;
* ``merge_blocks``: the first blank line between blocks is gone (two segments run together);
* ``add_fence``: a code fence line comes first (it would swallow the rest of a Markdown file);
* ``add_timing``: a WebVTT timing line follows the first line (it would start a new cue);
* ``drop_placeholder``: the first ``⟦n⟧`` placeholder is missing;
* ``drop_pack_marker``: a packed request's last marker line (``⟦§n⟧``) is missing, so its
  text runs into the one before.
"""

from __future__ import annotations

import json
import re
from typing import Any

from scribe_tui.prompt import is_pack_marker
from scribe_tui.simulator.api_common import ApiCall
from scribe_tui.simulator.http11 import Response

MANGLES = ("drop_line", "merge_blocks", "add_fence", "add_timing", "drop_placeholder", "drop_pack_marker")


def mangle_text(kind: str, reply: str) -> str:
    """``reply`` damaged the way ``kind`` says."""
    lines = reply.split("\n")
    if kind == "drop_line":
        last = max((i for i, line in enumerate(lines) if line.strip()), default=None)
        return "\n".join(line for i, line in enumerate(lines) if i != last)
    if kind == "merge_blocks":
        return re.sub(r"\n[^\S\n]*\n\s*", "\n", reply, count=1)
    if kind == "add_fence":
        return "```\n" + reply
    if kind == "add_timing":
        return "\n".join([lines[0], "00:00:01.000 --> 00:00:02.000", *lines[1:]])
    if kind == "drop_placeholder":
        return re.sub(r"⟦\d+⟧", "", reply, count=1)
    if kind == "drop_pack_marker":
        last = max((i for i, line in enumerate(lines) if is_pack_marker(line)), default=None)
        return "\n".join(line for i, line in enumerate(lines) if i != last)
    raise ValueError(f"unknown mangle {kind!r}")


def mangled(response: Response, dialect: str, call: ApiCall, config: Any) -> Response:
    """The response with its translation damaged, when the config asks for it (OpenAI only)."""
    if not config.mangle or dialect != "openai" or response.status != 200:
        return response
    if sum(1 for line in call.texts[0].split("\n") if line.strip()) < config.mangle_min_lines:
        return response
    payload = json.loads(response.body)
    message = payload["choices"][0]["message"]
    message["content"] = mangle_text(config.mangle, message["content"])
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(response.status, body, response.headers, response.content_type)
