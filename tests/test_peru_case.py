"""The Peru case as curated data: every quote is verbatim in the report, the figures the report
gives are all there, and the chains of owners reach the state."""

import re
from collections import Counter

import pytest
from conftest import REFDATA
from sqlalchemy import select

from veeduria.cases.loader import read_case
from veeduria.query import find_entity, ownership_chain
from veeduria.store import Claim, Source
from veeduria.text import find_quote, markdown_to_text


@pytest.fixture(scope="module")
def case():
    return read_case("pe_prc")


@pytest.fixture(scope="module")
def report_text(seed_path):
    return markdown_to_text(seed_path.read_text(encoding="utf-8"))


def report_source(case):
    return next(s for s in case.sources if s.get("publisher") == "Expediente Abierto")


def test_report_source_metadata_and_hash(case, seed_path):
    from veeduria.text import sha256_bytes

    src = report_source(case)
    assert src["author"] == "R. Evan Ellis" and str(src["published"]) == "2025-09"
    assert src["sha256"] == sha256_bytes(seed_path.read_bytes())


def test_every_report_quote_is_verbatim(case, report_text):
    src_id = report_source(case)["id"]
    missing = [c.id for c in case.claims if c.source_id == src_id and find_quote(report_text, c.quote) is None]
    assert missing == []
    assert all(len(c.quote) <= 160 for c in case.claims)


def test_dataset_quotes_are_verbatim_in_their_files(case):
    # Claims citing a third-party dataset quote a span of the file named by the source.
    for src in case.sources:
        if src.get("kind") != "dataset" or not src.get("filename"):
            continue
        path = REFDATA / src["filename"]
        if not path.is_file():
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        for c in case.claims:
            if c.source_id == src["id"]:
                assert c.quote in content, (c.id, src["filename"])


def test_all_seven_sections_have_claims(case):
    prefixes = Counter(c.id.split("-")[1] for c in case.claims if c.id.startswith("pe-"))
    for section in ("pol", "com", "log", "ele", "dig", "inf", "sec", "own"):
        assert prefixes[section] >= 3, (section, prefixes)
    assert len(case.claims) >= 150
    assert {c.domain for c in case.claims} >= {"economy", "foreign_policy", "technology", "media",
                                               "military", "law_enforcement", "academia"}


# Figures the report states, each of which must be carried by some claim.
FIGURES = [
    ("share", 0.34), ("share", 0.21), ("share", 1.0), ("share", 0.02), ("share", 0.20),
    ("usd", 1.8e9), ("usd", 245e6), ("usd", 2.6e9), ("usd", 500e6), ("usd", 3.5e9), ("usd", 1.4e9),
    ("usd", 10e9), ("usd", 15e9), ("usd", 86e6), ("usd", 8e6), ("usd", 300e6),
    ("quantity", 89), ("quantity", 15), ("quantity", 269), ("quantity", 12), ("quantity", 4),
    ("quantity", 3_000_000),
]


@pytest.mark.parametrize("kind,value", FIGURES)
def test_report_figures_are_claimed(case, kind, value):
    def has(c):
        if kind == "share":
            return c.share is not None and abs(c.share - value) < 1e-9
        if kind == "usd":
            return c.amount is not None and c.amount.usd is not None and abs(c.amount.usd - value) < 1
        return c.quantity is not None and abs(c.quantity.value - value) < 1e-9
    assert any(has(c) for c in case.claims), (kind, value)


@pytest.mark.parametrize("year", ["2009", "2013", "2017", "2019", "2020", "2021", "2022", "2024", "2025"])
def test_report_years_are_claimed(case, year):
    assert any(c.date and c.date.startswith(year) for c in case.claims)


def test_one_claim_for_cases_and_amount_two_for_promised_and_spent(case):
    arb = [c for c in case.claims if c.quantity and c.quantity.value == 89]
    assert len(arb) == 1 and arb[0].amount.usd == 86e6 and arb[0].predicate == "arbitration"
    promised = [c for c in case.claims if c.amount and c.amount.usd == 3.5e9]
    spent = [c for c in case.claims if c.amount and c.amount.usd == 1.4e9]
    assert len(promised) == 1 and len(spent) == 1 and promised[0].id != spent[0].id
    assert promised[0].modality == "promised" and spent[0].modality == "actual"


def test_entities_carry_aliases_in_several_languages(case):
    langs = Counter(lang for e in case.entities for _, lang in e.aliases)
    assert langs["es"] >= 10 and langs["zh"] >= 10
    assert len(case.entities) >= 80


def test_peru_store_loaded_and_offsets_point_at_quotes(peru_store):
    with peru_store.reader() as s:
        claims = s.scalars(select(Claim).where(Claim.offset_start.is_not(None))).all()
        assert len(claims) >= 150
        text = s.get(Source, claims[0].source_id).text
        for c in claims:
            if c.source_id == claims[0].source_id:
                span = text[c.offset_start:c.offset_end]
                assert re.sub(r"\s+", " ", span) == re.sub(r"\s+", " ", c.quote)


CHAINS = [
    ("Luz del Sur", ["China Yangtze Power", "China Three Gorges", "SASAC"]),
    ("Pluz Energía Perú", ["China Southern Power Grid International", "China Southern Power Grid", "SASAC"]),
    ("Cosco Shipping Ports Chancay Perú", ["COSCO Shipping Ports", "China COSCO Shipping", "SASAC"]),
]


@pytest.mark.parametrize("start,owners", CHAINS)
def test_chains_reach_the_state(peru_store, start, owners):
    with peru_store.reader() as s:
        ent = find_entity(s, start)
        assert ent is not None, start
        chain = ownership_chain(s, ent.id)
        got = [link.owner for link in chain]
        for owner_name, owner in zip(owners, got, strict=False):
            expected = find_entity(s, owner_name)
            assert expected is not None and owner.id == expected.id, (start, [o.name for o in got])
        assert len(got) == len(owners), (start, [o.name for o in got])
        assert all(link.claim.quote and link.claim.source_id for link in chain)
