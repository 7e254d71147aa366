"""The controlled vocabularies (predicates, domains, sectors), declared as YAML data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent

MODALITIES = ("actual", "planned", "promised", "alleged", "reported", "estimated", "negated",
              "denied")
# The claim says the thing did not happen or is not so ("negated": the source says it;
# "denied": a party denies it). Such a claim is never a fact, an event or a sum.
NEGATIVE_MODALITIES = ("negated", "denied")
# Done or said to be done: what counts as an event on a timeline.
FACTUAL_MODALITIES = ("actual", "reported", "estimated", "alleged")
STATUSES = ("candidate", "accepted", "rejected")
ENTITY_SCHEMATA = (
    "Company", "Organization", "PublicBody", "Person", "Project", "Asset", "Address",
    "Territory", "Vehicle", "Airplane", "Vessel", "LegalEntity",
)


def is_negative(modality: str | None) -> bool:
    return modality in NEGATIVE_MODALITIES


def is_cumulative(meta: dict[str, Any] | None) -> bool:
    """A figure that is a running total up to the claim's date ("$1.4 billion spent to date",
    "as of 2025"), not an amount that changed hands at that date. Kept in the claim's meta
    (`cumulative: true` in case files) so it combines with any modality."""
    return bool((meta or {}).get("cumulative"))


def _load(name: str) -> dict[str, Any]:
    with open(HERE / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# An entity the evidence names as taking part, where the text does not say in which role
# (a third party in the sentence, a minister announcing a deal). Every predicate allows it,
# so a claim keeps everyone its quote involves without guessing a role.
PARTY_ROLE = "party"


@cache
def predicates() -> dict[str, Any]:
    table = _load("predicates")
    for spec in table.values():
        if PARTY_ROLE not in spec.setdefault("roles", []):
            spec["roles"].append(PARTY_ROLE)
    return table


@cache
def domains() -> dict[str, dict[str, str]]:
    return _load("domains")


@cache
def sectors() -> dict[str, dict[str, str]]:
    return _load("sectors")


@cache
def modality_words() -> dict[str, dict[str, dict[str, str]]]:
    return _load("modalities")


def modality_word(key: str | None, lang: str = "en", part: str = "label") -> str:
    """A modality's (or 'cumulative''s) label, marker, prefix or as_of pattern in `lang`."""
    entry = modality_words().get(key or "actual", {})
    return (entry.get(lang) or entry.get("en") or {}).get(part, key or "" if part == "label" else "")


def template_variants(spec: dict[str, Any], modality: str | None, *, cumulative: bool = False,
                      plural: bool = False) -> tuple[list[str], bool]:
    """The templates of one predicate and language to try for a claim, in order, and whether
    they were written for its modality. When they were not (a plain template stands in),
    the caller must mark the sentence (a prefix for a negative claim, else a marker)."""
    def listed(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    modality = modality or "actual"
    if cumulative and modality in ("actual", "reported", "estimated") and spec.get("template_cumulative"):
        return listed(spec["template_cumulative"]), True
    variant = listed(spec.get(f"template_{modality}"))
    if variant:
        return variant, True
    default = (plural and spec.get("template_plural")) or spec.get("template")
    return listed(default), modality in ("actual", "reported")


def label(kind: str, key: str | None, lang: str = "en") -> str:
    """Human label of a domain, sector or predicate in `lang` (falls back to the key)."""
    if not key:
        return ""
    table = {"domain": domains, "sector": sectors}.get(kind)
    if table is not None:
        return table().get(key, {}).get(lang, key)
    if kind == "predicate":
        return predicates().get(key, {}).get(lang, {}).get("label", key)
    raise KeyError(kind)
