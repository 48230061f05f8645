"""What a call costs and what it will probably consume: the cost of a ``Usage`` under a
provider's ``Pricing``, and the ``Estimate`` of a request (rate-limit weights, dry runs).
Token figures come from ``scribe_tui.documents.estimate_tokens``, the one estimate every
layer shares."""

from __future__ import annotations

import dataclasses

from scribe_tui.documents import estimate_tokens
from scribe_tui.pricing import Pricing
from scribe_tui.prompt import build_messages
from scribe_tui.providers.base import Estimate, TranslationRequest, Usage

# Chat formats add a few tokens of framing per message and per reply.
_TOKENS_PER_MESSAGE = 4
_TOKENS_PER_REPLY = 3


def cost_of(pricing: Pricing, usage: Usage) -> float:
    """USD for ``usage`` at ``pricing`` (all three rates apply; unused ones are zero)."""
    return (usage.tokens_in * pricing.input_per_million_tokens
            + usage.tokens_out * pricing.output_per_million_tokens
            + usage.characters * pricing.per_million_characters) / 1_000_000


def priced(pricing: Pricing, usage: Usage) -> Usage:
    """``usage`` with its ``cost_usd`` filled in."""
    return dataclasses.replace(usage, cost_usd=cost_of(pricing, usage))


def estimate_chat(request: TranslationRequest) -> Estimate:
    """A chat-completion call: the whole prompt in, about as many tokens out as the text."""
    messages = build_messages(request)
    tokens_in = _TOKENS_PER_REPLY + sum(_TOKENS_PER_MESSAGE + estimate_tokens(message["content"]) for message in messages)
    return Estimate(tokens_in=tokens_in, tokens_out=estimate_tokens(request.text), characters=len(request.text))


def estimate_characters(request: TranslationRequest) -> Estimate:
    """A character-billed call (DeepL, Microsoft): the text's characters (DeepL does not bill
    the context); tokens as for the text alone."""
    tokens = estimate_tokens(request.text)
    return Estimate(tokens_in=tokens, tokens_out=tokens, characters=len(request.text))
