"""Reviewing candidates: list with filters, accept, reject, edit, with the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_docs import EN_PAGE1, EN_PAGE2
from sqlalchemy import select

from veeduria.cases.loader import load_case
from veeduria.cli import cli
from veeduria.review import ReviewError, accept_claim, edit_claim, list_candidates, reject_claim
from veeduria.sources.pipeline import ingest_file
from veeduria.store.models import AuditEvent, Claim, Entity, SearchDoc


@pytest.fixture
def reviewed_store(store, mini_case: Path, tmp_path: Path):  # noqa: ANN001, ANN201
    load_case(store, mini_case)
    path = tmp_path / "news.txt"
    path.write_text(EN_PAGE1 + "\n\n" + EN_PAGE2 + "\n\nThe Chinese company Nimbus Ports operates Bay Port.",
                    encoding="utf-8")
    res = ingest_file(store, path, meta={"published": "2025-06"}, actor="ingest")
    assert res.ok and res.claims >= 3
    store.test_source = res.source_id
    return store


def _events(session, claim_id: str) -> list[AuditEvent]:  # noqa: ANN001
    return list(session.scalars(select(AuditEvent).where(AuditEvent.object_id == claim_id)
                                .order_by(AuditEvent.id)))


def test_list_filters(reviewed_store) -> None:  # noqa: ANN001
    with reviewed_store.reader() as s:
        every = list_candidates(s, limit=500)
        assert every and all(c.status == "candidate" and c.duplicate_of is None for c in every)
        assert {c.source_id for c in every} == {reviewed_store.test_source}
        assert list_candidates(s, source="mini-report") == []
        mine = list_candidates(s, entity="acme-group")
        assert mine and all(any(r.entity_id == "acme-group" for r in c.roles) for c in mine)
        assert len(mine) < len(every)
        economy = list_candidates(s, domain="economy")
        assert all(c.domain == "economy" for c in economy)
        assert list_candidates(s, limit=1, offset=1)[0].id == every[1].id


def test_accept_reject_edit(reviewed_store) -> None:  # noqa: ANN001
    with reviewed_store.session() as s:
        first, second, third = list_candidates(s, limit=3)
        ids = first.id, second.id, third.id
        accept_claim(s, ids[0], "ana", note="checked against the filing")
        reject_claim(s, ids[1], "ben")
    with reviewed_store.session() as s:
        assert s.get(Claim, ids[0]).status == "accepted"
        assert s.get(Claim, ids[1]).status == "rejected"
        ev = _events(s, ids[0])[-1]
        assert (ev.actor, ev.action, ev.note) == ("ana", "accept", "checked against the filing")
        assert ev.changes == {"status": ["candidate", "accepted"]}
        assert _events(s, ids[1])[-1].actor == "ben"
        assert ids[0] not in [c.id for c in list_candidates(s, limit=500)]

        claim = edit_claim(s, ids[2], "cleo", date="2023-05", amount_value=1000, amount_currency="PEN",
                           domain="economy", qualifier="edited")
        assert claim.date == "2023-05" and claim.date_sort == "2023-05-01"
        assert claim.amount_currency == "PEN" and claim.amount_usd_basis == "fx:2023"
        assert 200 < claim.amount_usd < 300
        ev = _events(s, ids[2])[-1]
        assert ev.action == "edit" and ev.actor == "cleo" and "date" in ev.changes
        doc = s.scalar(select(SearchDoc).where(SearchDoc.kind == "claim", SearchDoc.ref_id == ids[2]))
        assert "edited" in doc.body


def test_edits_and_new_entities(reviewed_store) -> None:  # noqa: ANN001
    with reviewed_store.session() as s:
        claim = list_candidates(s, limit=1)[0]
        claim_id, before = claim.id, (claim.predicate, claim.date, claim.quote)
    for changes in ({"predicate": "no_such"}, {"share": 3}, {"date": "2024-13"},
                    {"quote": "words that are not in the source"}, {"entities": [("nobody", "subject")]},
                    {"colour": "red"}, {"domain": "astrology"}):
        with pytest.raises(ReviewError), reviewed_store.session() as s:
            edit_claim(s, claim_id, "x", **changes)
    with reviewed_store.reader() as s:
        claim = s.get(Claim, claim_id)
        assert (claim.predicate, claim.date, claim.quote) == before
    with pytest.raises(ReviewError), reviewed_store.session() as s:
        accept_claim(s, "c-missing", "x")

    # Valid quote and entity edits.
    with reviewed_store.session() as s:
        claim = next(c for c in list_candidates(s, limit=50) if c.predicate == "acquired")
        edit_claim(s, claim.id, "dan", quote="acquired 40% of Bay Port",
                   entities=[("acme-port", "subject"), ("bay-port", "object")])
    with reviewed_store.reader() as s:
        claim = s.get(Claim, claim.id)
        text = claim.source.text
        assert text[claim.offset_start:claim.offset_end] == "acquired 40% of Bay Port"
        assert [(r.entity_id, r.role) for r in claim.roles] == [("acme-port", "subject"), ("bay-port", "object")]

    # Accepting a claim confirms the entities the extractor proposed.
    with reviewed_store.session() as s:
        ent = s.get(Entity, "nimbus-ports")
        assert ent is not None and ent.meta["candidate"] is True
        claim = list_candidates(s, entity="nimbus-ports")[0]
        accept_claim(s, claim.id, "eve")
    with reviewed_store.reader() as s:
        assert "candidate" not in s.get(Entity, "nimbus-ports").meta


def _review_command() -> str:
    return "review"


def test_cli_review(reviewed_store) -> None:  # noqa: ANN001
    runner = CliRunner()
    name = _review_command()
    db = ["--db", reviewed_store.url]
    listing = runner.invoke(cli, [*db, name, "--entity", "Acme Group"])
    assert listing.exit_code == 0, listing.output
    claim_id = listing.output.split()[0]
    assert claim_id.startswith("c-") and "Acme Group" in listing.output
    out = runner.invoke(cli, [*db, name, "accept", claim_id, "--actor", "fay", "--note", "ok"])
    assert out.exit_code == 0 and "accepted by fay" in out.output
    out = runner.invoke(cli, [*db, name, "edit", claim_id, "--actor", "fay", "--date", "2024"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, [*db, name, "edit", claim_id, "--actor", "fay", "--share", "7"])
    assert out.exit_code == 1 and "outside" in out.output
    out = runner.invoke(cli, [*db, name, "reject", "c-nope", "--actor", "fay"])
    assert out.exit_code == 1 and "no claim" in out.output
    with reviewed_store.reader() as s:
        claim = s.get(Claim, claim_id)
        # The edit changed what was accepted: it is a candidate again, waiting for review.
        assert claim.status == "candidate" and claim.date == "2024"
