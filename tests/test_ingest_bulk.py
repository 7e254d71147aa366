"""The ingest's bulk insert stores exactly what SQLAlchemy's executemany stores."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, text

from veeduria.sources.bulk import bulk_insert
from veeduria.store import Store
from veeduria.store.models import AuditEvent, SearchDoc


def _events(object_id: str, at: dt.datetime) -> list[dict]:
    return [
        {"at": at, "actor": "t", "action": "create", "object_type": "claim", "object_id": object_id,
         "changes": {"quote": "US$ 2,600 millones", "share": 0.34, "nested": {"a": [1, None]}}, "note": None},
        {"at": at, "actor": "t", "action": "create", "object_type": "claim", "object_id": object_id,
         "changes": None, "note": "ñandú"},
        {"at": at + dt.timedelta(seconds=1), "actor": "t", "action": "create", "object_type": "claim",
         "object_id": object_id, "changes": {}, "note": None},
    ]


def test_bulk_insert_matches_sqlalchemy(store: Store) -> None:
    at = dt.datetime(2025, 9, 1, 12, 30, 5, 123456)
    with store.session() as s:
        conn = s.connection()
        conn.execute(insert(AuditEvent.__table__), _events("orm", at))
        bulk_insert(conn, AuditEvent.__table__, _events("bulk", at))
        bulk_insert(conn, SearchDoc.__table__, [{"kind": "claim", "ref_id": "c1", "title": "T", "body": "Chancay"}])
        bulk_insert(conn, AuditEvent.__table__, [])  # nothing to do
    with store.session() as s:
        def rows(object_id: str) -> list[tuple]:
            return [tuple(r) for r in s.execute(
                select(AuditEvent.at, AuditEvent.changes, AuditEvent.note)
                .where(AuditEvent.object_id == object_id).order_by(AuditEvent.id))]

        assert rows("bulk") == rows("orm")
        assert rows("bulk")[0][0] == at
        # A None for a JSON column is stored the same way by both (JSON null, not SQL NULL).
        nulls = {oid: s.execute(text("SELECT count(*) FROM audit_events WHERE changes IS NULL "
                                     "AND object_id = :o"), {"o": oid}).scalar() for oid in ("orm", "bulk")}
        assert nulls["orm"] == nulls["bulk"]
        assert s.scalar(select(SearchDoc.body).where(SearchDoc.ref_id == "c1")) == "Chancay"
