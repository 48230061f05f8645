"""What translation costs: the ``Pricing`` of a provider's model (USD per million units)
and the built-in list prices used when the config gives none. A leaf, so that the
configuration and the providers both read it without importing each other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Pricing(BaseModel):
    """USD per million units; a provider's cost is computed from its reported usage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_million_tokens: float = Field(0.0, ge=0)
    output_per_million_tokens: float = Field(0.0, ge=0)
    per_million_characters: float = Field(0.0, ge=0)


# Published list prices at the time of writing; override per model in the config.
_OPENAI_MODELS: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-nano": (0.10, 0.40),
}


def default_pricing(kind: str, model: str | None) -> Pricing:
    if kind == "openai" and model in _OPENAI_MODELS:
        inp, out = _OPENAI_MODELS[model]
        return Pricing(input_per_million_tokens=inp, output_per_million_tokens=out)
    if kind == "deepl":
        return Pricing(per_million_characters=25.0)
    if kind == "microsoft":
        return Pricing(per_million_characters=10.0)
    return Pricing()
