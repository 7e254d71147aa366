"""The world's PRC state-linked actors and other known parties (actors.csv, written by
scripts/build_world_gazetteer.py from curated.yaml and ../shared/refdata), loaded as data with
no curated case: Gazetteer(world=True) adds their names the store does not know, as candidate
entities listed in Gazetteer.world_ids; world_record() gives the record the extractor emits
for one it used (country, sector, and in meta the parent, state owner, linkage and source)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from veeduria.extract.gazetteer import EntityInfo
from veeduria.model import EntityRecord

HERE = Path(__file__).parent
# A final dot that is not an abbreviation's ("Co.", "S.A."): a typing habit of the source.
_ABBREVIATED = re.compile(r"(?:\b(?:Co|Inc|Ltd|Corp|Bhd|Plc|Pty|Sdn|Jr|Sr|No)|\.[A-Za-z]|\b[A-Z])\.$")


def _stray_dot(name: str) -> bool:
    return name.endswith(".") and _ABBREVIATED.search(name) is None
PREFIX = "world-"  # entity ids: never the same as a case's own ids
METHOD = "world-gazetteer"


@cache
def _load() -> tuple[tuple[EntityInfo, list[str], dict[str, Any]], ...]:
    out = []
    with open(HERE / "actors.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            ent_id = PREFIX + row["id"]
            country = row["country"].upper() or None
            info = EntityInfo(ent_id, row["name"], row["schema"], row["sector"] or None,
                              country, foreign=country == "CN")
            aliases = [a for a in row["aliases"].split(" | ") if a]
            if _stray_dot(row["name"]):
                aliases.append(row["name"][:-1])  # "RTB Bor." as the tracker wrote it
            # Text writes "China’s Ministry of Commerce" with either apostrophe.
            aliases += [n.replace("'", "’") for n in (row["name"], *aliases) if "'" in n]
            meta = {"parent": PREFIX + row["parent"] if row["parent"] else None,
                    "state_owner": row["state_owner"] or None,
                    "linkage": row["linkage"] or None,
                    "source": row["source"]}
            out.append((info, aliases, meta))
    return tuple(out)


def world_entities() -> list[tuple[EntityInfo, list[str], dict[str, Any]]]:
    """Every world actor: its facts, its other names, and meta (parent id, state owner,
    linkage class, source citation). Cached: the file is read once per process."""
    return list(_load())


@cache
def _by_id() -> dict[str, tuple[EntityInfo, list[str], dict[str, Any]]]:
    return {info.id: (info, aliases, meta) for info, aliases, meta in _load()}


def world_record(entity_id: str, found_in: str | None = None) -> EntityRecord:
    """The candidate entity record of a world actor (KeyError for an unknown id)."""
    info, aliases, meta = _by_id()[entity_id]
    return EntityRecord(
        id=info.id, schema=info.schema, name=info.name,
        aliases=[(a, "zh" if any("\u4e00" <= c <= "\u9fff" for c in a) else None) for a in aliases],
        country=info.country.lower() if info.country else None, sector=info.sector,
        foreign=info.foreign,
        meta={"candidate": True, "method": METHOD, "found_in": found_in, "kind": "world",
              **{k: v for k, v in meta.items() if v}},
    )


def world_records(used: Iterable[str], world_ids: set[str],
                  found_in: str | None = None) -> list[EntityRecord]:
    """Records for the world actors among `used` entity ids (for the extractor to emit, as
    it does for states), with each one's parents up the chain so the ownership link holds."""
    out: dict[str, EntityRecord] = {}
    for ent_id in sorted(set(used) & world_ids):
        node: str | None = ent_id
        for _ in range(10):  # bounded walk up the parent chain
            if node is None or node in out or node not in _by_id():
                break
            out[node] = world_record(node, found_in)
            node = _by_id()[node][2]["parent"]
    return list(out.values())
