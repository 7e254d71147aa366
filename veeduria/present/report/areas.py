"""Which report area a claim belongs to, by the ordered rules in areas.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from veeduria.store.models import Claim

AREAS_FILE = Path(__file__).parent / "areas.yaml"


@dataclass(frozen=True)
class Area:
    id: str
    title: dict[str, str]
    optional: bool = False

    def name(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id


@dataclass(frozen=True)
class Rule:
    area: str
    predicates: frozenset[str | None] | None
    sectors: frozenset[str | None] | None
    domains: frozenset[str | None] | None

    def matches(self, claim: Claim) -> bool:
        return ((self.predicates is None or claim.predicate in self.predicates)
                and (self.sectors is None or claim.sector in self.sectors)
                and (self.domains is None or claim.domain in self.domains))


@dataclass(frozen=True)
class AreaMap:
    areas: tuple[Area, ...]
    rules: tuple[Rule, ...]
    fallback: str

    def area_of(self, claim: Claim) -> str:
        for rule in self.rules:
            if rule.matches(claim):
                return rule.area
        return self.fallback


def _set(value: object) -> frozenset[str | None] | None:
    """A rule condition; None (YAML null) inside it stands for 'no value'."""
    return frozenset(None if v is None else str(v) for v in value) if isinstance(value, list) else None


def parse_area_map(data: dict) -> AreaMap:
    """Build and check an area map from its YAML form."""
    areas = tuple(Area(str(a["id"]), dict(a.get("title") or {}), bool(a.get("optional")))
                  for a in data.get("areas") or [])
    ids = {a.id for a in areas}
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        if raw.get("area") not in ids:
            raise ValueError(f"areas rule #{i + 1}: unknown area {raw.get('area')!r}")
        rules.append(Rule(raw["area"], _set(raw.get("predicates")), _set(raw.get("sectors")),
                          _set(raw.get("domains"))))
    fallback = str(data.get("fallback") or "")
    if fallback not in ids:
        raise ValueError(f"areas: fallback {fallback!r} is not an area")
    return AreaMap(areas, tuple(rules), fallback)


@cache
def area_map(path: Path = AREAS_FILE) -> AreaMap:
    with open(path, encoding="utf-8") as fh:
        return parse_area_map(yaml.safe_load(fh))
