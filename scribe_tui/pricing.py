"""Built-in list prices (USD per million units) used when the config gives none."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scribe_tui.config import Pricing

# Published list prices at the time of writing; override per model in the config.
_OPENAI_MODELS: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-nano": (0.10, 0.40),
}


def default_pricing(kind: str, model: str | None) -> Pricing:
    from scribe_tui.config import Pricing

    if kind == "openai" and model in _OPENAI_MODELS:
        inp, out = _OPENAI_MODELS[model]
        return Pricing(input_per_million_tokens=inp, output_per_million_tokens=out)
    if kind == "deepl":
        return Pricing(per_million_characters=25.0)
    if kind == "microsoft":
        return Pricing(per_million_characters=10.0)
    return Pricing()
