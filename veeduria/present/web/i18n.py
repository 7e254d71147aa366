"""UI strings per language, from `i18n/<lang>.yaml`; missing keys fall back to English."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

I18N_DIR = Path(__file__).parent / "i18n"
LANG_COOKIE = "lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    path = I18N_DIR / f"{lang}.yaml"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {str(k): str(v) for k, v in (yaml.safe_load(fh) or {}).items()}


@cache
def languages() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in I18N_DIR.glob("*.yaml")))


def pick(lang: str | None, default: str = "en") -> str:
    return lang if lang in languages() else default


def translate(lang: str, key: str, **values: object) -> str:
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    return text.format(**values) if values else text


def term(lang: str, prefix: str, key: str | None) -> str:
    """A vocabulary word (role, modality, schema, ...) in `lang`; the key itself when no
    catalogue has it."""
    if not key:
        return ""
    name = f"{prefix}_{key}"
    return catalogue(lang).get(name) or catalogue("en").get(name) or str(key)
