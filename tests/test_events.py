"""One event, many sources (docs/events.md): with the Peru case loaded and every CGIT file
in the shared refdata imported, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BACKENDS, REFDATA, SPEC, make_store
from sqlalchemy import select

from veeduria.cases.loader import load_case
from veeduria.importers.cgit import import_cgit
from veeduria.importers.common import datasets
from veeduria.resolve import events as E
from veeduria.resolve.judgements import undo
from veeduria.resolve.models import ReviewItem
from veeduria.store.models import Claim, ClaimEntity

PETROBRAS_REPORT = "pe-com-sinopec-petrobras-2013"
PETROBRAS_CGIT = "pe-own-cnpc-petrobras-peru-cgit-2013"
CHANCAY_TO_DATE = "pe-log-chancay-spent-1-4bn"
CHANCAY_PART = "pe-own-cosco-chancay-investment-cgit-2020"


def cgit_files() -> list[Path]:
    files = sorted(REFDATA.glob("cgit_*/*.csv"))
    if not files:
        pytest.fail(f"no CGIT files under {REFDATA}; set $VEEDURIA_SHARED")
    return files


@pytest.fixture(scope="module", params=BACKENDS)
def peru(request, tmp_path_factory):
    """The Peru case with all CGIT files imported (Peru rows), once per backend."""
    store, db = make_store(request.param, tmp_path_factory.mktemp(f"events-{request.param}"))
    load_case(store, "pe_prc")
    reports = {}
    for f in cgit_files():
        with store.session() as s:
            reports[f.name] = import_cgit(s, f, country="pe")
    yield store, reports
    store.dispose()
    if db:
        db.drop()


def _event(session, claim_id: str) -> E.Event:
    ev = E.events_for_claims(session, [claim_id]).get(claim_id)
    assert ev is not None, f"{claim_id} is in no event"
    return ev


def test_petrobras_purchase_is_one_event_with_its_conflict_and_note(peru) -> None:
    store, _ = peru
    with store.reader() as s:
        ev = _event(s, PETROBRAS_REPORT)
        assert {PETROBRAS_REPORT, PETROBRAS_CGIT} <= set(ev.claim_ids)
        assert ev.reasons and all(r["reason"] for r in ev.reasons)
        fields = {c.field: c for c in ev.conflicts}
        assert {"actor", "amount"} <= set(fields)
        actors = {v["display"] for v in fields["actor"].values}
        assert any("Petrochemical" in a for a in actors) and any("Petroleum" in a for a in actors)
        amounts = {v["value"] for v in fields["amount"].values}
        assert {2.6e9, 2.89e9} <= amounts
        # Each value names its source, and the curated note on this very conflict is shown.
        assert all(v["source"] for v in fields["amount"].values)
        assert any("Sinopec" in n["note"] and "CNPC" in n["note"] for n in fields["actor"].notes)
        # Report and tracker are two independent sources; tracker editions count once.
        assert ev.corroboration == 2
        # It is queued for review as a conflict.
        keys = set(s.scalars(select(ReviewItem.key).where(ReviewItem.kind == "conflict")))
        assert fields["amount"].key in keys and fields["actor"].key in keys


def test_boluarte_trip_dated_twice_by_one_source_is_flagged(peru) -> None:
    store, _ = peru
    with store.reader() as s:
        ev = _event(s, "pe-pol-boluarte-prc-trip-2024-05")
        assert "pe-log-boluarte-china-trip-2024-06" in ev.claim_ids
        date = next(c for c in ev.conflicts if c.field == "date")
        assert date.within_source and {v["value"] for v in date.values} == {"2024-05", "2024-06"}


def test_indicators_count_the_petrobras_purchase_once(peru) -> None:
    from veeduria.screen.indicators import compute

    store, _ = peru
    with store.reader() as s:
        ind = compute(s)
        year = next(b for b in ind.buckets("year") if b.key == "2013")
        oil = next(b for b in ind.buckets("sector") if b.key == "petroleum")
    for bucket in (year, oil):
        counted = [c for c in bucket.invested_usd.claim_ids if c in (PETROBRAS_REPORT, PETROBRAS_CGIT)]
        assert len(counted) == 1, bucket.key
        # The value counted is one source's figure, never the sum of both (US$5.49 billion).
        petrobras = sum(v for v in (2.6e9, 2.89e9) if (v == 2.89e9) == (counted[0] == PETROBRAS_CGIT))
        assert bucket.invested_usd.value < 5.49e9 - 1e6
        assert bucket.invested_usd.same_event[counted[0]]  # cites the other source's claim
        assert petrobras in (2.6e9, 2.89e9)
    # With no decision, the better-established claim is counted (docs/events.md).
    assert year.invested_usd.claim_ids.count(PETROBRAS_CGIT) == 1


def test_chancay_spending_is_not_total_plus_part(peru) -> None:
    from veeduria.screen.scorecard import scorecard

    store, _ = peru
    with store.reader() as s:
        ev = _event(s, CHANCAY_TO_DATE)
        assert ev.parts.get(CHANCAY_PART) == CHANCAY_TO_DATE
        assert ev.counted is not None and ev.counted.id == CHANCAY_TO_DATE
        card = scorecard(s, "Port of Chancay")
    actual = card["money"]["totals_usd"]["in"].get("actual")
    assert actual == pytest.approx(1.4e9)  # not 1.4bn + 780m
    rows = {r["claim_id"]: r for r in card["money"]["in"]}
    assert rows[CHANCAY_PART]["counted"] is False and rows[CHANCAY_TO_DATE]["counted"] is True


def test_cgit_rows_read_right(peru) -> None:
    store, reports = peru
    sellers = {k for k, v in datasets()["cgit"]["parties"].items() if v == "seller"}
    with store.reader() as s:
        rows = s.scalars(select(Claim).where(Claim.method == "import:cgit")).all()
        assert rows
        for c in rows:
            party = (c.meta or {}).get("party")
            roles = {r.role: r.entity_id for r in c.roles}
            if party in sellers:
                assert (c.meta or {}).get("party_role") == "counterparty", c.quote
                assert "object" not in roles or roles["object"] not in {
                    r.entity_id for r in c.roles if r.role == "counterparty"}
            # Evidence is a readable record with the edition and its address.
            rec = c.meta["record"]
            assert rec["edition"] and rec["url"].startswith("https://") and rec["row"] and rec["fields"]
        # "63, 22, 15%" is split per party.
        split = [c for c in rows if (c.meta or {}).get("shares_by_party")]
        assert any(sorted(c.meta["shares_by_party"].values()) == [0.15, 0.22, 0.63] for c in split)
        # No row names Petrobras, Glencore, Odebrecht or Volcan as what was invested in.
        obj = select(ClaimEntity.entity_id).where(ClaimEntity.role == "object",
                                                  ClaimEntity.claim_id.in_([c.id for c in rows]))
        assert not {"petrobras", "glencore", "odebrecht", "volcan"} & set(s.scalars(obj))
    # The rows the case was curated from match its claims instead of being added again.
    combined = reports["cgit_combined_df_PERU.csv"]
    held = {cid for ids in combined.case_rows.values() for cid in ids}
    assert {PETROBRAS_CGIT, "pe-own-minmetals-las-bambas-cgit-2014", "pe-own-ctg-chaglla-cgit-2018",
            "pe-own-cosco-acquires-chancay-stake-2019"} <= held
    # Other editions restate the case's claims (same event, counted once).
    with store.reader() as s:
        restating = set(s.scalars(select(Claim.duplicate_of).where(
            Claim.method == "import:cgit", Claim.duplicate_of.is_not(None))))
    assert PETROBRAS_CGIT in restating and "pe-own-minmetals-las-bambas-cgit-2014" in restating


def test_split_merge_decide_and_undo(store) -> None:
    load_case(store, "pe_prc")
    with store.session() as s:
        ev = _event(s, PETROBRAS_REPORT)
        j = E.split_event(s, ev, [PETROBRAS_REPORT], "tester", "two different deals")
        s.flush()
        assert _event(s, PETROBRAS_REPORT).claim_ids == [PETROBRAS_REPORT]
        undo(s, j.id, "tester", "same deal after all")
        s.flush()
        ev = _event(s, PETROBRAS_REPORT)
        assert PETROBRAS_CGIT in ev.claim_ids
        with pytest.raises(E.EventError):
            E.decide_conflict(s, ev, "amount", "not-a-member", "tester", "x")
        d = E.decide_conflict(s, ev, "amount", PETROBRAS_REPORT, "tester", "the report is the source under study")
        s.flush()
        ev = _event(s, PETROBRAS_REPORT)
        amount = next(c for c in ev.conflicts if c.field == "amount")
        assert amount.decided and amount.decided["claim_id"] == PETROBRAS_REPORT
        assert ev.counted.id == PETROBRAS_REPORT and E.counted_rule(ev) == "decided conflict"
        item = s.scalar(select(ReviewItem).where(ReviewItem.key == amount.key))
        assert item.status == "resolved"
        undo(s, d.id, "tester")
        s.flush()
        assert _event(s, PETROBRAS_REPORT).counted.id == PETROBRAS_CGIT
        # Merging two unrelated events is recorded and shows in the grouping.
        other = _event(s, "pe-own-minmetals-las-bambas-cgit-2014")
        m = E.merge_events(s, _event(s, PETROBRAS_REPORT), other, "tester", "test merge")
        s.flush()
        assert "pe-own-minmetals-las-bambas-cgit-2014" in _event(s, PETROBRAS_REPORT).claim_ids
        undo(s, m.id, "tester")
        s.flush()
        assert "pe-own-minmetals-las-bambas-cgit-2014" not in _event(s, PETROBRAS_REPORT).claim_ids


def test_cli_event_events_queue_and_export(store, tmp_path: Path) -> None:
    from veeduria.cli import cli

    load_case(store, "pe_prc")
    run = CliRunner()
    out = run.invoke(cli, ["--db", store.url, "events", "--conflicts"])
    assert out.exit_code == 0, out.output
    assert "ev-pe-com-sinopec-petrobras-2013" in out.output
    out = run.invoke(cli, ["--db", store.url, "event", "ev-pe-com-sinopec-petrobras-2013"])
    assert out.exit_code == 0 and "sources disagree on the amount" in out.output
    assert "cjcallag/bluesky" in out.output and "Year 2013" in out.output  # a readable record
    out = run.invoke(cli, ["--db", store.url, "queue", "--kind", "conflict"])
    assert "event ev-pe-com-sinopec-petrobras-2013" in out.output and "note [" in out.output
    out = run.invoke(cli, ["--db", store.url, "show", "Petrobras Energía Perú"])
    assert "sources disagree on the actor" in out.output
    out = run.invoke(cli, ["--db", store.url, "event", "ev-pe-com-sinopec-petrobras-2013", "--decide",
                           "amount", "--claim", PETROBRAS_REPORT])
    assert out.exit_code != 0 and "--reason" in out.output
    out = run.invoke(cli, ["--db", store.url, "event", "ev-nope"])
    assert out.exit_code != 0 and "no event" in out.output
    dest = tmp_path / "claims.jsonl"
    assert run.invoke(cli, ["--db", store.url, "export", "claims", "-o", str(dest)]).exit_code == 0
    rows = {r["id"]: r for r in map(json.loads, dest.read_text(encoding="utf-8").splitlines())}
    assert rows[PETROBRAS_REPORT]["corroboration"] == 2
    assert rows[PETROBRAS_REPORT]["event"] == "ev-pe-com-sinopec-petrobras-2013"
    assert {c["field"] for c in rows[PETROBRAS_REPORT]["conflicts"]} >= {"actor", "amount"}
    assert rows[PETROBRAS_CGIT]["record"]["edition"]
    schema_file = SPEC / "claim.schema.json"
    if schema_file.is_file():
        import jsonschema

        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        for r in list(rows.values())[:300]:
            jsonschema.validate(r, schema)


def test_web_event_page_and_api(store) -> None:
    from fastapi.testclient import TestClient

    from veeduria.present.web.app import create_app

    load_case(store, "pe_prc")
    client = TestClient(create_app(store))
    page = client.get("/event/ev-pe-com-sinopec-petrobras-2013")
    assert page.status_code == 200 and "Sources disagree" in page.text and "Case note" in page.text
    assert "Sources disagree" in client.get("/entity/petrobras-energia-peru").text
    data = client.get("/api/events/ev-pe-com-sinopec-petrobras-2013").json()
    assert data["corroboration"] == 2 and {c["field"] for c in data["conflicts"]} >= {"actor", "amount"}
    assert client.get("/api/events/ev-nope").status_code == 404
    listed = client.get("/api/events", params={"conflicts": True}).json()
    assert any(e["id"] == "ev-pe-com-sinopec-petrobras-2013" for e in listed["items"])
    claim = client.get(f"/api/claims/{PETROBRAS_REPORT}").json()
    assert claim["corroboration"] == 2 and claim["event"]["id"] == "ev-pe-com-sinopec-petrobras-2013"
    ent = client.get("/api/entities/petrobras-energia-peru").json()
    assert any(c["field"] == "amount" for c in ent["conflicts"])


def test_report_counts_once_cites_and_shows_conflicts(store) -> None:
    from veeduria.present.report.build import Cites, build_report
    from veeduria.present.report.markdown import render_markdown

    load_case(store, "pe_prc")
    with store.reader() as s:
        r = build_report(s, lang="en")
        es = build_report(s, lang="es")
    fields = {(c.event_id, c.field) for c in r.conflicts}
    assert ("ev-pe-com-sinopec-petrobras-2013", r.heading("conflict_field_amount")) in fields
    petrobras = next(c for c in r.conflicts if c.event_id == "ev-pe-com-sinopec-petrobras-2013")
    assert {f.claim_id for f in petrobras.values} == {PETROBRAS_REPORT, PETROBRAS_CGIT}
    assert any("Sinopec" in n for n in petrobras.notes)
    money = next(ch for ch in r.charts if ch.id == "money-by-sector-year")
    cells = {(row[0], row[1]): row for row in money.table.rows}
    oil = next(v for (sector, year), v in cells.items() if year == "2013" and "Oil" in sector)
    assert oil[2] == "US$2.89 billion"  # once, not US$5.49 billion
    assert isinstance(oil[3], Cites) and oil[3].claim_ids == [PETROBRAS_CGIT]
    md = render_markdown(r)
    assert "## Where sources disagree" in md and "Record: China Global Investment Tracker" in md
    assert any("2\xa0890 millones" in f.text for c in es.conflicts for f in c.values)


def test_indicator_figure_links_to_claims_counted(store) -> None:
    from fastapi.testclient import TestClient

    from veeduria.present.web.app import create_app

    load_case(store, "pe_prc")
    client = TestClient(create_app(store))
    assert "/indicators/year/2013/invested_usd" in client.get("/indicators").text
    page = client.get("/indicators/year/2013/invested_usd")
    assert page.status_code == 200
    assert f"/claim/{PETROBRAS_CGIT}" in page.text or PETROBRAS_CGIT in page.text
    assert "Same event, not added" in page.text and f"/claim/{PETROBRAS_REPORT}" in page.text
    assert client.get("/indicators/year/2013/nonsense").status_code == 404


def test_reimport_queues_each_disagreement_once(peru) -> None:
    store, _ = peru
    with store.reader() as s:
        before = s.scalars(select(ReviewItem).where(ReviewItem.kind == "conflict")).all()
    with store.session() as s:
        again = import_cgit(s, REFDATA / "cgit_thomjh_south_america/Sino_Invest_SAmerica_PERU.csv", country="pe")
    assert again.created == 0
    with store.reader() as s:
        after = s.scalars(select(ReviewItem).where(ReviewItem.kind == "conflict")).all()
        assert len(after) == len(before)
        petrobras = [i for i in after if (i.detail or {}).get("event") == "ev-pe-com-sinopec-petrobras-2013"]
        assert sorted(i.detail["field"] for i in petrobras) == ["actor", "amount"]
