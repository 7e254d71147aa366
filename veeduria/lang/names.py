"""How a sentence names an entity: its display name in the reader's language, with the
article the language needs ("the Port of Chancay", "el Puerto de Chancay", "la República
Popular China") and whether it takes a plural verb.

Curated names live in the entity's data (`name_en`, `name_es`, `plural` in a case's
entities.yaml, kept in Entity.meta). A display name may start with its article in lower
case; `bare` drops it for lists, headings and chain paths. Without a curated name the
entity's primary name is used as is: an alias is never promoted to the actor's name (a
subsidiary's alias such as "Huawei del Perú" must not stand for the parent)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ARTICLES = {"en": ("the", "a", "an"), "es": ("el", "la", "los", "las", "un", "una")}
_ARTICLE_RE = {lang: re.compile(rf"^(?:{'|'.join(words)})\s+(?=\S)") for lang, words in ARTICLES.items()}


@dataclass(frozen=True)
class Mention:
    """An entity as a sentence names it."""
    text: str            # with its article when the language needs one
    plural: bool = False

    @property
    def bare(self) -> str:
        return bare(self.text)

    def __str__(self) -> str:
        return self.text


def bare(text: str) -> str:
    """The name without a leading lower-case article: 'el Puerto de Chancay' -> 'Puerto de
    Chancay'. Capitalised articles belong to the name ('El Peruano', 'La República')."""
    for pattern in _ARTICLE_RE.values():
        stripped = pattern.sub("", text, count=1)
        if stripped != text:
            return stripped
    return text


def mention(name: str, meta: dict[str, Any] | None, lang: str) -> Mention:
    """The entity named in `lang` from its primary name and its meta (name_<lang>, plural)."""
    meta = meta or {}
    text = meta.get(f"name_{lang}") or name
    plural = meta.get("plural")
    if isinstance(plural, dict):
        plural = plural.get(lang)
    return Mention(str(text), bool(plural))


def entity_mention(entity: Any, lang: str) -> Mention:
    """Mention of a store Entity or a screening EntityView (anything with name and meta)."""
    if entity is None:
        return Mention("")
    if isinstance(entity, dict):  # an API-style record
        return mention(str(entity.get("name") or ""), entity.get("meta"), lang)
    return mention(entity.name, getattr(entity, "meta", None), lang)


def entity_label(entity: Any, lang: str) -> str:
    """The entity's name in `lang` for lists and headings (no article)."""
    return entity_mention(entity, lang).bare


def capitalise(text: str) -> str:
    """Upper-case the first letter only ('la República…' -> 'La República…')."""
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
        if not ch.isspace() and ch not in "\"'“«¿¡(":
            return text
    return text
