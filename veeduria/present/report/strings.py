"""The report's own words (headings, labels, units) in each language, from strings.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@cache
def strings() -> dict[str, Any]:
    with open(HERE / "strings.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def t(key: str, lang: str, **values: Any) -> str:
    """The string `key` in `lang` (English when missing), with {placeholders} filled."""
    entry = strings()["text"].get(key)
    if entry is None:
        raise KeyError(f"no report string {key!r}")
    text = entry.get(lang) or entry.get("en") or ""
    return text.format(**values) if values else text
