"""Offline language detection (lingua), restricted to the languages such documents use."""

from __future__ import annotations

from functools import cache

LANGUAGES = ("ENGLISH", "SPANISH", "PORTUGUESE", "FRENCH", "CHINESE")
SAMPLE_CHARS = 4000


@cache
def _detector():  # noqa: ANN202 - lingua types are optional at import time
    from lingua import Language, LanguageDetectorBuilder

    langs = [getattr(Language, name) for name in LANGUAGES]
    # Built once per process: lingua loads its models lazily on first use.
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot tell."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    lang = _detector().detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang is not None else None
