"""Target language codes scribe-tui accepts, their English names and text direction."""

from __future__ import annotations

from scribe_tui.errors import UsageError

LANGUAGES: dict[str, str] = {
    "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "cs": "Czech",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "en-gb": "English (UK)",
    "en-us": "English (US)", "es": "Spanish", "et": "Estonian", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay",
    "nb": "Norwegian Bokmål", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese",
    "pt-br": "Portuguese (Brazil)", "pt-pt": "Portuguese (Portugal)", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "yi": "Yiddish", "zh": "Chinese",
    "zh-hans": "Chinese (Simplified)", "zh-hant": "Chinese (Traditional)",
}

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "yi"})


def normalise(code: str) -> str:
    return code.strip().lower().replace("_", "-")


def parse_languages(value: str) -> list[str]:
    """Parse ``"he,de,en"`` into known codes, in order, without repeats; else UsageError."""
    codes: list[str] = []
    for raw in value.split(","):
        code = normalise(raw)
        if not code:
            continue
        if code not in LANGUAGES:
            raise UsageError(f"--to: unknown language code {raw.strip()!r} (known: {', '.join(sorted(LANGUAGES))})")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise UsageError("--to: give at least one language code, e.g. --to he,de")
    return codes


def language_name(code: str) -> str:
    return LANGUAGES.get(normalise(code), code)


def is_rtl(code: str) -> bool:
    return normalise(code).split("-")[0] in RTL_LANGUAGES
