"""The store on both backends: migrations, transactions, full-text search, audit trail."""

import pytest
from sqlalchemy import func, select

from veeduria.model import ClaimRecord, EntityRecord, Money
from veeduria.store import AuditEvent, Claim, Entity, open_store, resolve_url
from veeduria.store.search import index_claims, index_entities, search
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source


def _seed(session):
    upsert_source(session, {"id": "s1", "title": "Source one", "kind": "report"}, "t")
    upsert_entity(session, EntityRecord("acme", "Company", "Acme Minería S.A.",
                                        aliases=[("Acme Mining", "en"), ("阿克米", "zh")]), "t")
    upsert_entity(session, EntityRecord("peru", "PublicBody", "Government of Peru"), "t")
    session.flush()


def test_migrations_create_tables(store):
    names = set(store.table_names())
    assert {"sources", "entities", "entity_names", "claims", "claim_entities", "audit_events",
            "search_docs", "alembic_version"} <= names


def test_reopening_is_harmless(backend, tmp_path, store):
    # Running migrations again on a migrated store changes nothing.
    again = open_store(store.url)
    assert set(again.table_names()) == set(store.table_names())
    again.dispose()


def test_failed_transaction_leaves_store_unchanged(store):
    with store.session() as s:
        _seed(s)
    with pytest.raises(RuntimeError):
        with store.session() as s:
            upsert_entity(s, EntityRecord("other", "Company", "Other Co"), "t")
            s.flush()
            raise RuntimeError("boom")
    with store.reader() as s:
        assert s.get(Entity, "other") is None
        assert s.scalar(select(func.count()).select_from(Entity)) == 2


def test_claim_roundtrip_and_audit(store):
    rec = ClaimRecord(predicate="invests_in", source_id="s1", quote="invests $500 million",
                      entities=[("acme", "subject"), ("peru", "counterparty")], domain="economy",
                      amount=Money(5e8, "USD"), date="2025-09", status="accepted")
    with store.session() as s:
        _seed(s)
        assert upsert_claim(s, rec, "alice") == "created"
    with store.session() as s:
        assert upsert_claim(s, rec, "alice") == "unchanged"
        rec.confidence = 0.5
        assert upsert_claim(s, rec, "bob") == "updated"
    with store.reader() as s:
        claim = s.get(Claim, rec.fingerprint())
        assert claim.amount_usd == 5e8 and claim.amount_usd_basis == "stated"
        assert claim.date_precision == "month" and claim.date_sort == "2025-09-01"
        assert [(r.entity_id, r.role) for r in claim.roles] == [("acme", "subject"), ("peru", "counterparty")]
        events = s.scalars(select(AuditEvent).where(AuditEvent.object_id == claim.id)
                           .order_by(AuditEvent.id)).all()
        assert [(e.actor, e.action) for e in events] == [("alice", "create"), ("bob", "update")]
        assert events[1].changes["confidence"] == [0.9, 0.5]


def test_full_text_search_is_accent_insensitive(store):
    with store.session() as s:
        _seed(s)
        index_entities(s, ["acme", "peru"])
    with store.reader() as s:
        assert [h.ref_id for h in search(s, "mineria")] == ["acme"]
        assert [h.ref_id for h in search(s, "acme min")] == ["acme"]
        assert [h.ref_id for h in search(s, "perú")] == ["peru"]
        assert search(s, "nothing-like-this") == []
        assert search(s, "'; DROP TABLE claims; --") == []


def test_claims_searchable_by_quote(store):
    rec = ClaimRecord(predicate="operates", source_id="s1", quote="operates the Toromocho mine",
                      entities=[("acme", "subject")], domain="economy", status="accepted")
    with store.session() as s:
        _seed(s)
        upsert_claim(s, rec, "t")
        s.flush()
        index_claims(s, [rec.fingerprint()])
    with store.reader() as s:
        hits = search(s, "toromocho", kinds=["claim"])
        assert [h.ref_id for h in hits] == [rec.fingerprint()]


def test_resolve_url_forms(tmp_path, monkeypatch):
    monkeypatch.delenv("VEEDURIA_DB", raising=False)
    assert resolve_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("VEEDURIA_DB", str(tmp_path / "env.db"))
    assert resolve_url(None).endswith("env.db")
