"""Name normalisation and matching, without a store."""

from __future__ import annotations

import pytest

from veeduria.resolve.matcher import Matcher
from veeduria.resolve.normalize import initials, normalize, variants


def test_normalize_removes_legal_forms_and_cjk_suffixes() -> None:
    assert normalize("Cosco Shipping Ports Chancay Perú S.A.") == "cosco shipping ports chancay peru"
    assert normalize("Minera Las Bambas S.A.C.") == "minera las bambas"
    assert normalize("China Yangtze Power Co., Ltd.") == "china yangtze power"
    assert normalize("中国长江三峡集团有限公司") == normalize("中国长江三峡集团") == "中国长江三峡"
    assert normalize("S.A.") == "s a"  # a name that is only a legal form keeps it


def test_variants_and_initials() -> None:
    v = variants("China National Petroleum Corp. (CNPC)")
    assert "CNPC" in v and "China National Petroleum Corp." in v
    assert "cnpc" in initials("China National Petroleum Corporation")
    assert "Enel Distribución Perú" in variants("Pluz Energía Perú (formerly Enel Distribución Perú)")


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    m = Matcher()
    m.add("ctg", ["China Three Gorges Corporation", "中国长江三峡集团"], "Company", "cn")
    m.add("cypc", ["China Yangtze Power Co., Ltd.", "Yangtze Power"], "Company", "cn")
    m.add("mofcom", ["China Ministry of Defense"], "PublicBody", "cn")
    m.add("mindef", ["Peru Ministry of Defense"], "PublicBody", "pe")
    m.add("minmetals", ["China Minmetals Corporation"], "Company", "cn")
    m.add("cnpc", ["China National Petroleum Corporation"], "Company", "cn")
    m.add("jinzhao", ["Jinzhao Mining Peru S.A.", "Nanjinzhao"], "Company", "pe")
    m.add("crg", ["China Railway Group Limited", "CREC"], "Company", "cn")
    return m


@pytest.mark.parametrize(("name", "expected"), [
    ("Three Gorges", "ctg"),
    ("中国长江三峡集团有限公司", "ctg"),
    ("China Yangtze Power Co. (CYPC)", "cypc"),
    ("Minmetals", "minmetals"),
    ("CNPC", "cnpc"),
    ("Najinzhao", "jinzhao"),  # misspelt in one CGIT edition
    ("Chinese Ministry of National Defense", "mofcom"),
])
def test_confident_matches(matcher: Matcher, name: str, expected: str) -> None:
    verdict, top = matcher.decide(matcher.match(name))
    assert verdict == "auto" and top is not None and top.entity_id == expected


@pytest.mark.parametrize(("name", "wrong"), [
    ("China Energy Engineering", "ctg"),
    ("China Railway Construction", "crg"),
    ("Chinese Ministry of National Defense", "mindef"),
])
def test_no_wrong_matches(matcher: Matcher, name: str, wrong: str) -> None:
    verdict, top = matcher.decide(matcher.match(name))
    assert not (verdict == "auto" and top is not None and top.entity_id == wrong)
    assert all(c.entity_id != wrong or c.score < 0.72 for c in matcher.match(name))


def test_schema_filter_and_rejection(matcher: Matcher) -> None:
    assert matcher.match("Three Gorges", schema="Person") == []
    m = Matcher()
    m.add("a", ["Acme Holdings"], "Company")
    assert m.match("Acme")[0].entity_id == "a"
    m.reject("Acme", "a")
    assert m.match("Acme") == []
