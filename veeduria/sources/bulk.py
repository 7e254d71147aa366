"""Bulk inserts for ingest: on SQLite, one driver-level executemany of plain tuples.

SQLAlchemy's executemany builds a parameter dict per row and runs every value through
its type machinery; with tens of rows per document and a dozen columns per row, that is
more Python than SQLite's own work. Here the statement and the columns' bind processors
(the same ones SQLAlchemy uses: JSON serialisation, DateTime formatting) are looked up
once per table and column set, and each row becomes a tuple. Other databases, and any
row set that leaves out a column with a Python-side default, take the SQLAlchemy path,
so the stored values are the same either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, DateTime, Dialect, Table, insert
from sqlalchemy.types import TypeEngine

_Plan = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
# Per dialect (the bind processors depend on the engine's JSON serialiser), per table
# and column set.
_plans: WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], _Plan | None]] = WeakKeyDictionary()


def _processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    process = type_._cached_bind_processor(dialect)  # noqa: SLF001 - SQLAlchemy's own conversion
    if process is None or not isinstance(type_, DateTime):
        return process
    # A batch's rows share one timestamp: format it once, not once per row and column.
    # (value, formatted) swapped as one tuple, so threads sharing the engine never mix them.
    last: list[tuple[Any, Any]] = [(object(), None)]

    def remember(value: Any) -> Any:  # noqa: ANN401
        seen, formatted = last[0]
        if seen is not value:
            formatted = process(value)
            last[0] = (value, formatted)
        return formatted

    return remember


def _plan(conn: Connection, table: Table, keys: tuple[str, ...]) -> _Plan | None:
    dialect = conn.dialect
    plans = _plans.setdefault(dialect, {})
    cache_key = (table.name, keys)
    if cache_key in plans:
        return plans[cache_key]
    plan: _Plan | None = None
    given = set(keys)
    missing_defaults = [c for c in table.columns if c.name not in given and c.default is not None]
    if given <= set(table.columns.keys()) and not missing_defaults:
        columns = [table.columns[k] for k in keys]
        processors = tuple(_processor(c.type, dialect) for c in columns)
        names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
        sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        plan = (sql, keys, processors)
    plans[cache_key] = plan
    return plan


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in one executemany."""
    if not rows:
        return
    plan = _plan(conn, table, tuple(rows[0])) if conn.dialect.name == "sqlite" else None
    if plan is None:
        conn.execute(insert(table), rows)
        return
    sql, keys, processors = plan
    if not any(processors):
        params = [tuple(row[k] for k in keys) for row in rows]
    else:
        pairs = tuple(zip(keys, processors, strict=True))
        # Processors see None too, as in SQLAlchemy (JSON stores None as 'null').
        params = [tuple(row[k] if p is None else p(row[k]) for k, p in pairs) for row in rows]
    if conn.in_transaction():
        # Straight to the driver inside the transaction SQLAlchemy opened: its execution
        # context costs more per call than a document's few rows take to insert.
        conn.connection.driver_connection.executemany(sql, params)
    else:
        conn.exec_driver_sql(sql, params)
