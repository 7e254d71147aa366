"""Judgements (merge, split, undo, review), imports (conflicts, idempotence), chains by date,
designations and state linkage, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from veeduria.cases.loader import load_case
from veeduria.importers.cgit import import_cgit, parse_shares, split_investors
from veeduria.importers.common import ImportDataError
from veeduria.importers.designations import import_designations
from veeduria.model import ClaimRecord, EntityRecord, Money
from veeduria.query import find_entity, ownership_chain
from veeduria.resolve.judgements import JudgementError, decide, merge, split, undo
from veeduria.resolve.linkage import classify_all
from veeduria.resolve.models import ReviewItem
from veeduria.store.models import Claim, ClaimEntity, Entity
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source

HEADER = "Year,Month,Investor,Quantity in Millions,Share Size,Transaction Party,Sector,Subsector,Country,Region,BRI,Greenfield\n"


def _seed(store) -> None:
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "A report"}, "t")
        for eid, name, aliases, schema, country in [
            ("ctg", "China Three Gorges Corporation", ["CTG"], "Company", "cn"),
            ("luz", "Luz del Sur S.A.A.", [], "Company", "pe"),
            ("owner", "State Assets Agency", [], "PublicBody", "cn"),
            ("dup", "Three Gorges Corp", [], "Company", "cn"),
        ]:
            upsert_entity(s, EntityRecord(eid, schema, name, [(a, None) for a in aliases], country,
                                          foreign=country == "cn"), "t")
        s.flush()
        upsert_claim(s, ClaimRecord(
            id="deal", predicate="acquired", source_id="src", quote="CTG bought Luz del Sur",
            entities=[("ctg", "subject"), ("luz", "object")], domain="economy",
            amount=Money(3.59e9, "USD"), date="2019", status="accepted"), "t")
        upsert_claim(s, ClaimRecord(
            id="dup-claim", predicate="owns", source_id="src", quote="Three Gorges Corp owns it",
            entities=[("dup", "subject"), ("luz", "object")], domain="economy", status="accepted"),
            "t")


def test_merge_and_undo_restore_the_entity(store) -> None:
    _seed(store)
    with store.session() as s:
        j = merge(s, "ctg", "dup", "tester", "same company")
        jid = j.id
    with store.reader() as s:
        assert s.get(Entity, "dup").merged_into == "ctg"
        roles = {(r.entity_id, r.role) for r in s.scalars(select(ClaimEntity).where(ClaimEntity.claim_id == "dup-claim"))}
        assert roles == {("ctg", "subject"), ("luz", "object")}
        assert find_entity(s, "Three Gorges Corp").id == "ctg"
        with pytest.raises(JudgementError):
            merge(s, "ctg", "dup", "tester", "again")
    with store.session() as s:
        undo(s, jid, "tester", "they differ after all")
    with store.reader() as s:
        dup = s.get(Entity, "dup")
        assert dup.merged_into is None
        roles = {(r.entity_id, r.role) for r in s.scalars(select(ClaimEntity).where(ClaimEntity.claim_id == "dup-claim"))}
        assert roles == {("dup", "subject"), ("luz", "object")}
        assert "Three Gorges Corp" not in {n.name for n in s.get(Entity, "ctg").names}
    with store.session() as s, pytest.raises(JudgementError):
        undo(s, jid, "tester")


def test_split_and_undo(store) -> None:
    _seed(store)
    with store.session() as s:
        j = split(s, "ctg", "CTG", "tester", "CTG here is another firm", new_id="ctg-other")
        jid = j.id
    with store.reader() as s:
        assert s.get(Entity, "ctg-other").name == "CTG"
        assert "CTG" not in {n.name for n in s.get(Entity, "ctg").names}
    with store.session() as s:
        undo(s, jid, "tester")
    with store.reader() as s:
        assert s.get(Entity, "ctg-other") is None
        assert "CTG" in {n.name for n in s.get(Entity, "ctg").names}


def test_cgit_import_conflict_idempotence_and_review(store, tmp_path: Path) -> None:
    _seed(store)
    f = tmp_path / "cgit.csv"
    f.write_text(HEADER
                 + "2019.0,September,China Three Gorges,3000.0,84.0,Luz del Sur,Energy,,Peru,South America,1.0,\n"
                 + "2018.0,June,Three Gorges,100.0,,Acme Hydro,Energy,Hydro,Peru,South America,1.0,\n"
                 + "2018.0,June,Zorblax Mining,50.0,,,Metals,,Chile,South America,1.0,\n",
                 encoding="utf-8")
    with store.session() as s:
        rep = import_cgit(s, f, country="PE")
    assert rep.rows == 2 and rep.created == 1
    assert len(rep.conflicts) == 1 and rep.conflicts[0]["claim"] == "deal"
    assert rep.matched["China Three Gorges"] == "ctg"
    assert rep.matched["Three Gorges"] == "dup"  # "Three Gorges Corp" is that name exactly
    with store.reader() as s:
        item = s.scalar(select(ReviewItem).where(ReviewItem.kind == "conflict"))
        assert item.claim_id == "deal" and item.status == "open"
        imported = s.scalars(select(Claim).where(Claim.method == "import:cgit")).all()
        assert [c.status for c in imported] == ["candidate"]
        assert imported[0].quote.startswith("2018.0,June,Three Gorges,100.0")
        n_entities = s.scalar(select(func.count()).select_from(Entity))
    with store.session() as s:
        again = import_cgit(s, f, country="PE")
    assert again.created == 0 and again.unchanged == 1 and again.conflicts[0]["new"] is False
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(Entity)) == n_entities
        assert s.scalar(select(func.count()).select_from(ReviewItem)) == 1
    with store.session() as s:
        decide(s, item.id, "add", "tester", "keep both figures")
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(Claim).where(Claim.method == "import:cgit")) == 2


def test_bad_files_get_clear_errors(store, tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_bytes(b"Year,Name\n2019,\xff\xfe broken\n")
    with store.session() as s, pytest.raises(ImportDataError, match="UTF-8"):
        import_cgit(s, bad)
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with store.session() as s, pytest.raises(ImportDataError, match="missing column"):
        import_cgit(s, bad)


def test_share_and_investor_parsing() -> None:
    assert parse_shares("45%, 35%, 20%") == [0.45, 0.35, 0.2]
    assert parse_shares("63, 22, 15%") == [0.63, 0.22, 0.15]
    assert parse_shares("0.25") == [0.25] and parse_shares("84.0") == [0.84]
    assert split_investors("Minmetals, Suzhou Guoxin, and CITIC") == ["Minmetals", "Suzhou Guoxin", "CITIC"]
    assert split_investors("Yanjian Group Co., Ltd.") == ["Yanjian Group Co., Ltd."]


def test_designations_only_for_known_entities(store, tmp_path: Path) -> None:
    _seed(store)
    f = tmp_path / "1260h.csv"
    f.write_text("Name,Clean Name,Alias,Previous Name,Parent Name,Note,Start date,End date,Source Url\n"
                 "China Three Gorges Corporation (CTG),China Three Gorges Corporation,CTG,,,,2024-01-31,,\n"
                 "Nobody Known Ltd.,Nobody Known Ltd.,,,,,2021-06-03,,\n", encoding="utf-8")
    with store.session() as s:
        rep = import_designations(s, f, "dod-1260h", accept=True)
    assert rep.created == 1 and rep.unresolved == ["Nobody Known Ltd."]
    with store.reader() as s:
        c = s.scalar(select(Claim).where(Claim.predicate == "designated"))
        assert c.date == "2024-01-31" and c.method == "import:dod-1260h"
        assert {(r.entity_id, r.role) for r in c.roles} == {("ctg", "subject"), ("list-dod-1260h", "instrument")}
        assert s.scalar(select(func.count()).select_from(Entity).where(Entity.name.like("Nobody%"))) == 0


def test_chain_follows_dates_and_linkage(store, mini_case: Path) -> None:
    load_case(store, mini_case)
    with store.session() as s:
        upsert_entity(s, EntityRecord("new-owner", "Company", "New Owner Co", country="cn", foreign=True), "t")
        s.flush()
        upsert_claim(s, ClaimRecord(
            id="takeover", predicate="acquired", source_id="mini-report", quote="New Owner bought it",
            entities=[("new-owner", "subject"), ("acme-port", "object"), ("acme-group", "counterparty")],
            domain="economy", date="2022-06", status="accepted"), "t")
    with store.reader() as s:
        before = [lk.owner.id for lk in ownership_chain(s, "acme-port", at="2020")]
        after = [lk.owner.id for lk in ownership_chain(s, "acme-port", at="2023")]
        assert before == ["acme-group", "state-agency"]
        assert after == ["new-owner"]
        assert ownership_chain(s, "acme-port", at="2018") == []
    runner = CliRunner()
    from veeduria.cli import cli

    out = runner.invoke(cli, ["--db", store.url, "chain", "Acme Port Holdings", "--at", "2020"])
    assert out.exit_code == 0, out.output
    assert "Acme Group" in out.output and "State Assets Agency" in out.output
    with store.session() as s:
        result = {r.entity_id: r for r in classify_all(s, "tester", entity_ids=["acme-group", "acme-port"],
                                                         only_foreign=False)}
    # No state owner listed for the mini case: the chain is the evidence, but no SOE class.
    assert result["acme-port"].cls == "private"
    assert result["acme-port"].evidence == ["takeover"]


def test_docs_name_real_commands_and_thresholds() -> None:
    import re

    from veeduria.cli import cli
    from veeduria.resolve.normalize import rules

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "cli-resolve.md").read_text(encoding="utf-8")
    for line in re.findall(r"^veeduria ([a-z]+(?: [a-z]+)?)", text, re.M):
        parts = line.split()
        cmd = cli.commands.get(parts[0])
        assert cmd is not None, parts[0]
        if len(parts) > 1 and hasattr(cmd, "commands") and parts[1] in ("cgit", "aiddata", "designations", "decide"):
            assert parts[1] in cmd.commands
    th = rules().thresholds
    doc = (root / "docs" / "resolution.md").read_text(encoding="utf-8")
    assert f"`auto` {th['auto']:g}" in doc and f"`review` {th['review']:g}" in doc


def test_cli_import_and_review(store, tmp_path: Path) -> None:
    from veeduria.cli import cli

    _seed(store)
    f = tmp_path / "cgit.csv"
    f.write_text(HEADER + "2019.0,September,China Three Gorges,3000.0,,Luz del Sur,Energy,,Peru,South America,1.0,\n",
                 encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", store.url, "import", "cgit", str(f)])
    assert out.exit_code == 0, out.output
    assert "CONFLICT with deal" in out.output
    out = runner.invoke(cli, ["--db", store.url, "queue", "--kind", "conflict"])
    assert "conflict deal" in out.output
    out = runner.invoke(cli, ["--db", store.url, "match", "Three Gorges", "--json"])
    assert '"verdict": "auto"' in out.output
