"""The controlled vocabularies (predicates, domains, sectors), declared as YAML data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent

MODALITIES = ("actual", "planned", "promised", "alleged", "reported", "estimated", "negated")
STATUSES = ("candidate", "accepted", "rejected")
ENTITY_SCHEMATA = (
    "Company", "Organization", "PublicBody", "Person", "Project", "Asset", "Address",
    "Territory", "Vehicle", "Airplane", "Vessel", "LegalEntity",
)


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
