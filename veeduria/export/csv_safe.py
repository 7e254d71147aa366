"""CSV cells that spreadsheets show as text, never run as formulas (OWASP "CSV injection").
Every CSV the project writes (exports, API downloads, indicator tables) goes through here."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import IO, Any

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: text starting with a formula character gets a
    leading single quote. Numbers stay numbers (a negative share is not a formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose text cells are neutralised by safe_cell: every CSV we write goes
    through this one class."""

    def __init__(self, out: IO[str]) -> None:
        self._w = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._w.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_dicts(out: IO[str], fieldnames: list[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Header and rows like csv.DictWriter (extra keys ignored), through safe_cell."""
    writer = SafeWriter(out)
    writer.writerow(fieldnames)
    writer.writerows([row.get(k) for k in fieldnames] for row in rows)
