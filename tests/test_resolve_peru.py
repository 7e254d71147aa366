"""The Peru case: CGIT and AidData Peru rows resolve to the store's entities (and none
wrongly); ownership chains reach the state; linkage classes follow. Entities are looked up
by name, as the case data is curated separately."""

from __future__ import annotations

import pytest
from conftest import BACKENDS, REFDATA, make_store
from sqlalchemy import select

from veeduria.cases.loader import load_case
from veeduria.importers.aiddata import import_aiddata
from veeduria.importers.cgit import import_cgit
from veeduria.query import find_entity, ownership_chain
from veeduria.resolve.linkage import classify_all
from veeduria.store.models import Claim, ClaimEntity

# CGIT name -> the name of the store entity it must resolve to.
CGIT_EXPECTED = {
    "Three Gorges": "China Three Gorges Corporation",
    "China Three Gorges": "China Three Gorges Corporation",
    "China Ocean Shipping (COSCO)": "China COSCO Shipping Corporation Limited",
    "COSCO": "China COSCO Shipping Corporation Limited",
    "Chinalco": "Aluminum Corporation of China",
    "Aluminum Corporation of China (Chinalco)": "Aluminum Corporation of China",
    "Minmetals": "China Minmetals Corporation",
    "China Minmetals": "China Minmetals Corporation",
    "Shougang": "Shougang Group",
    "Shougang Group": "Shougang Group",
    "CNPC": "China National Petroleum Corporation",
    "China National Petroleum Corp. (CNPC)": "China National Petroleum Corporation",
    "Luz del Sur": "Luz del Sur",
}
# Names that must not resolve to these entities.
CGIT_FORBIDDEN = {
    "China Energy Engineering": "China Three Gorges Corporation",
    "China Railway Construction": "China Railway Group Limited",
}
AIDDATA_EXPECTED = {
    "China Development Bank (CDB)": "China Development Bank",
    "Export-Import Bank of China": "Export-Import Bank of China",
    "Aluminum Corporation of China (CHINALCO)": "Aluminum Corporation of China",
    "Huawei Technologies Co., Ltd.": "Huawei Technologies Co., Ltd.",
}


CGIT_FILES = ("cgit_bluesky_2019fall/cgit_combined_df_PERU.csv",
              "cgit_thomjh_south_america/Sino_Invest_SAmerica_PERU.csv")
AIDDATA_FILES = ("aiddata_gcdf2_geo_huawei_military/final_df_PERU.csv",
                 "aiddata_gcdf2_geo_huawei_military/AidDatasGlobalHuaweiFinanceDataset_PERU.csv")


@pytest.fixture(scope="module", params=BACKENDS)
def imported(request, tmp_path_factory):
    """The Peru case loaded once per backend, with the CGIT and AidData Peru rows imported."""
    store, db = make_store(request.param, tmp_path_factory.mktemp(f"peru-resolve-{request.param}"))
    load_case(store, "pe_prc")
    reports = {}
    for rel in CGIT_FILES:
        with store.session() as s:
            reports[rel] = import_cgit(s, REFDATA / rel, country="pe")
    for rel in AIDDATA_FILES:
        with store.session() as s:
            reports[rel] = import_aiddata(s, REFDATA / rel, country="pe")
    yield store, reports
    store.dispose()
    if db:
        db.drop()


@pytest.fixture
def peru(imported):
    return imported[0]


def _id(session, name: str) -> str:
    ent = find_entity(session, name)
    assert ent is not None, f"the Peru case has no entity named {name!r}"
    return ent.id


def test_cgit_peru_rows_resolve(imported) -> None:
    peru, by_file = imported
    reports = [by_file[f] for f in CGIT_FILES]
    matched = {k: v for r in reports for k, v in r.matched.items()}
    with peru.reader() as s:
        for name, target in CGIT_EXPECTED.items():
            assert matched.get(name) == _id(s, target), name
        for name, target in CGIT_FORBIDDEN.items():
            assert matched.get(name) != _id(s, target), name
        # Every claim is sourced, a candidate, with a verbatim row span as its quote.
        claims = s.scalars(select(Claim).where(Claim.method == "import:cgit")).all()
        # Rows the case's curated claims quote are held by those claims, not stored again.
        held = sum(len(r.case_rows) for r in reports)
        assert held >= 10 and len(claims) + held >= 30 and {c.status for c in claims} == {"candidate"}
        text = (REFDATA / "cgit_bluesky_2019fall/cgit_combined_df_PERU.csv").read_text(encoding="utf-8")
        assert all(c.quote in text for c in claims if c.source_id == reports[0].source_id)
    with peru.session() as s:
        again = import_cgit(s, REFDATA / "cgit_thomjh_south_america/Sino_Invest_SAmerica_PERU.csv")
    assert again.created == 0 and not again.new_entities


def test_aiddata_peru_rows_resolve(imported) -> None:
    peru, by_file = imported
    matched = {k: v for f in AIDDATA_FILES for k, v in by_file[f].matched.items()}
    with peru.reader() as s:
        for name, target in AIDDATA_EXPECTED.items():
            assert matched.get(name) == _id(s, target), name
        cdb = _id(s, "China Development Bank")
        funded = s.scalars(select(Claim).join(ClaimEntity).where(
            ClaimEntity.entity_id == cdb, ClaimEntity.role == "subject",
            Claim.method == "import:aiddata")).all()
        assert len(funded) >= 5
        assert all(c.predicate == "finances" and c.amount_usd for c in funded)


@pytest.mark.parametrize("names", [
    ["Luz del Sur", "China Yangtze Power", "China Three Gorges Corporation", "SASAC"],
    ["Pluz Energía Perú", "China Southern Power Grid International", "China Southern Power Grid", "SASAC"],
    ["Cosco Shipping Ports Chancay Perú", "COSCO Shipping Ports", "China COSCO Shipping", "SASAC"],
])
def test_chains_reach_the_state(peru, names: list[str]) -> None:
    with peru.reader() as s:
        ids = [_id(s, n) for n in names]
        chain = ownership_chain(s, ids[0])
        assert [lk.owner.id for lk in chain][: len(ids) - 1] == ids[1:]
        assert all(lk.claim.quote and lk.claim.source_id for lk in chain)


def test_peru_linkage_classes(peru) -> None:
    with peru.session() as s:
        ids = {n: _id(s, n) for n in ("Luz del Sur", "China Three Gorges Corporation",
                                      "Cosco Shipping Ports Chancay Perú")}
        result = {r.entity_id: r for r in classify_all(s, "tester", entity_ids=list(ids.values()),
                                                         only_foreign=False)}
    for eid in ids.values():
        assert result[eid].cls == "central_soe", eid
        assert result[eid].evidence
    with peru.reader() as s:
        ent = find_entity(s, "Luz del Sur")
        assert ent.state_linkage == "central_soe"
        assert ent.meta["state_linkage"]["evidence"] == result[ent.id].evidence
