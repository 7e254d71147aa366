"""The curated tables in taxonomy.yaml (data categories, actor types, money predicates)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@cache
def taxonomy() -> dict[str, Any]:
    with open(HERE / "taxonomy.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def data_category(sector: str | None) -> dict[str, str] | None:
    return taxonomy()["data_categories"].get(sector or "")


def actor_type(schema: str | None, sector: str | None) -> str:
    table = taxonomy()["actor_types"]
    if schema != "Person" or sector == "legislature":
        by_sector = table["by_sector"].get(sector or "")
        if by_sector and schema not in ("Project", "Asset", "Address", "Territory"):
            return "legislator" if schema == "Person" else by_sector
    return table["by_schema"].get(schema or "", "other")
