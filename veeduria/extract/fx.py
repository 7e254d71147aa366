"""Conversion to US dollars with the dated table in fx_usd.csv (annual averages)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from veeduria.model import Money

FX_FILE = Path(__file__).with_name("fx_usd.csv")


@cache
def rates() -> dict[str, dict[int, float]]:
    table: dict[str, dict[int, float]] = {}
    with open(FX_FILE, encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in rows:
            table.setdefault(row["currency"], {})[int(row["year"])] = float(row["per_usd"])
    return table


def to_usd(value: float, currency: str, year: int | None) -> tuple[float | None, str | None]:
    """(USD value, basis). The basis names the table year used, e.g. "fx:2024"; the nearest
    year in the table stands in when `year` is outside it. Unknown currencies give (None, None)."""
    currency = currency.upper()
    if currency == "USD":
        return value, "stated"
    by_year = rates().get(currency)
    if not by_year:
        return None, None
    if year is None or year not in by_year:
        year = max(by_year) if year is None else min(by_year, key=lambda y: abs(y - year))
    return value / by_year[year], f"fx:{year}"


def money(value: float, currency: str, year: int | None) -> Money:
    usd, basis = to_usd(value, currency, year)
    return Money(value=value, currency=currency, usd=usd, usd_basis=basis)
