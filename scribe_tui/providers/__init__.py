"""Translation providers: one protocol, adapters for OpenAI-compatible, DeepL, Microsoft, demo."""
