"""Each screening rule fires on a minimal case and stays silent without its evidence; rule
files are checked; users add rules by dropping YAML in a folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from veeduria.model import ClaimRecord, EntityRecord, Money, Quantity
from veeduria.screen.engine import load_rules, run_screening, screen_facts
from veeduria.screen.facts import ClaimView, EntityView, Facts
from veeduria.screen.rules import RuleError, load_rule_dirs, parse_rule
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source

ENTITIES = [
    EntityView("host", "Host Government", "PublicBody", "xx"),
    EntityView("regulator", "Port Authority", "PublicBody", "xx", "ports"),
    EntityView("congress", "Congress", "PublicBody", "xx", "legislature"),
    EntityView("fstate", "Foreign Government", "PublicBody", "yy", foreign=True),
    EntityView("firm", "Foreign Port Co", "Company", "yy", "ports", foreign=True),
    EntityView("subsidiary", "Local Port Subsidiary", "Company", "xx", "ports"),
    EntityView("telco", "Foreign Telecom", "Company", "yy", "telecom", foreign=True),
    EntityView("miner", "Foreign Miner", "Company", "yy", "mining", foreign=True),
    EntityView("local", "Local Firm", "Company", "xx", "ports"),
    EntityView("port", "Big Port", "Project", "xx", "ports"),
    EntityView("mine", "Big Mine", "Project", "xx", "mining"),
    EntityView("rail", "Rail Line", "Project", "xx", "rail"),
    EntityView("law", "Intelligence Law", "Project", "yy", "data_protection"),
    EntityView("rockets", "Rocket Launchers", "Asset", "yy", "defense"),
]


def claim(cid: str, predicate: str, roles: dict[str, str | list[str]], **kw) -> ClaimView:
    pairs = [(e, r) for r, es in roles.items() for e in ([es] if isinstance(es, str) else es)]
    kw.setdefault("quote", "a sourced statement")
    kw.setdefault("domain", "economy")
    if "amount_usd" in kw:
        kw.setdefault("amount_value", kw["amount_usd"])
        kw.setdefault("amount_currency", "USD")
    return ClaimView(id=cid, predicate=predicate, roles=pairs, **kw)


OWNED = claim("own", "owns", {"subject": "firm", "object": "subsidiary"}, share=0.6)
LAW = claim("law", "legal_obligation", {"subject": "fstate", "object": "firm", "instrument": "law"},
            qualifier="turn over data")

# rule id -> (trigger claims, expected target, near misses: variants that must stay silent)
CASES: dict[str, tuple[list[ClaimView], str, list[list[ClaimView]]]] = {
    "g2g-direct-award": (
        [claim("g2g", "procurement_method", {"subject": "host", "object": "rail", "counterparty": "fstate"},
               qualifier="government-to-government agreement instead of bidding")],
        "rail",
        [[claim("g2g", "procurement_method", {"subject": "host", "object": "rail"},
                qualifier="open international tender")]],
    ),
    "exclusivity-beyond-authority": (
        [claim("ex", "exceeded_authority", {"subject": "regulator", "object": "port", "beneficiary": "firm"},
               qualifier="exclusivity beyond its powers")],
        "firm", [],
    ),
    "exclusive-concession": (
        [claim("gc", "granted_concession", {"subject": "regulator", "object": "port", "beneficiary": "firm"},
               qualifier="exclusive use of the port")],
        "firm",
        [[claim("gc", "granted_concession", {"subject": "regulator", "object": "port", "beneficiary": "firm"},
                qualifier="a 30-year concession")]],
    ),
    "law-changed-after-the-fact": (
        [claim("cl", "changed_law", {"subject": "congress", "beneficiary": "firm", "object": "port"},
               qualifier="the exclusivity", date="2024", date_sort="2024-01-01")],
        "firm", [],
    ),
    "tax-exemption-or-sez": (
        [claim("tx", "lobbied_for", {"subject": "firm", "object": "port", "counterparty": "host"},
               qualifier="exemption from taxes"),
         claim("sez", "sought_privilege", {"subject": "firm", "counterparty": "host"},
               qualifier="a special economic zone")],
        "firm",
        [[claim("tx", "lobbied_for", {"subject": "firm", "counterparty": "host"},
                qualifier="faster customs clearance")]],
    ),
    "legal-threats-against-regulator": (
        [claim("th", "threatened_legal_action", {"subject": "firm", "object": "regulator"},
               qualifier="over rate regulation")],
        "firm",
        [[claim("th", "threatened_legal_action", {"subject": "firm", "object": "regulator"},
                modality="negated")]],
    ),
    "promised-vs-actual-investment": (
        [claim("pr", "invests_in", {"subject": "firm", "object": "port"}, amount_usd=3.5e9, modality="promised"),
         claim("ac", "invests_in", {"subject": "firm", "object": "port"}, amount_usd=1.4e9)],
        "port",
        [[claim("pr", "invests_in", {"subject": "firm", "object": "port"}, amount_usd=1.0e9, modality="promised"),
          claim("ac", "invests_in", {"subject": "firm", "object": "port"}, amount_usd=1.4e9)],
         [claim("pr", "invests_in", {"subject": "firm", "object": "port"}, amount_usd=3.5e9, modality="promised"),
          claim("ac", "invests_in", {"subject": "firm", "object": "mine"}, amount_usd=1.4e9)]],
    ),
    "host-pays-operator-gains": (
        [claim("cost", "project_cost", {"subject": "host", "object": "rail"}, amount_usd=1e10),
         claim("gain", "benefits_from", {"subject": "firm", "object": "rail"})],
        "rail",
        [[claim("cost", "project_cost", {"subject": "host", "object": "rail"}, amount_usd=1e10),
          claim("gain", "benefits_from", {"subject": "local", "object": "rail"})],
         [claim("cost", "project_cost", {"subject": "firm", "object": "rail"}, amount_usd=1e10),
          claim("gain", "benefits_from", {"subject": "firm", "object": "rail"})]],
    ),
    "jobs-to-operator-park": (
        [claim("jobs", "jobs_go_to", {"subject": "port", "beneficiary": "firm"}, modality="estimated")],
        "port",
        [[claim("jobs", "jobs_go_to", {"subject": "port", "beneficiary": "local"}, modality="negated")]],
    ),
    "corruption": (
        [claim("inv", "investigated_by", {"subject": "rockets", "object": "host"},
               qualifier="corruption investigation of the purchase"),
         claim("buy", "procured_from", {"subject": "host", "object": "firm", "instrument": "rockets"})],
        "firm",
        [[claim("inv", "investigated_by", {"subject": "rockets", "object": "host"},
                qualifier="safety review")]],
    ),
    "arbitration-cases": (
        [claim("arb", "arbitration", {"subject": "firm", "counterparty": "host"},
               quantity_value=89, quantity_unit="cases", amount_usd=8.6e7)],
        "firm", [],
    ),
    "labour-violations": (
        [claim("wages", "alleged_misconduct", {"subject": "miner", "object": "mine"}, qualifier="unpaid wages")],
        "miner",
        [[claim("wages", "alleged_misconduct", {"subject": "miner", "object": "mine"}, qualifier="tax evasion")]],
    ),
    "community-conflict": (
        [claim("cc", "community_conflict", {"subject": "miner", "object": "mine"})],
        "miner", [],
    ),
    "forced-displacement": (
        [claim("fd", "forced_displacement", {"subject": "miner", "object": "mine"}, qualifier="used explosives")],
        "miner", [],
    ),
    "quality-defects": (
        [claim("qd", "quality_defect", {"subject": "firm", "object": "host", "instrument": "rockets"},
               qualifier="jammed in combat")],
        "firm", [],
    ),
    "market-concentration": (
        [claim("ms", "market_share", {"subject": "firm"}, share=1.0, qualifier="of power distribution")],
        "firm",
        [[claim("ms", "market_share", {"subject": "firm"}, share=0.4)],
         [claim("ms", "market_share", {"subject": "local"}, share=1.0)]],
    ),
    "market-dependence": (
        [claim("ms", "market_share", {"subject": "miner"}, share=0.21, qualifier="of mining investment")],
        "miner",
        [[claim("ms", "market_share", {"subject": "miner"}, share=0.1)],
         [claim("ms", "market_share", {"subject": "miner"}, share=0.9)]],
    ),
    "data-access-under-foreign-law": (
        [LAW, claim("tel", "active_in_market", {"subject": "telco"}, sector="telecom")],
        "telco",
        [[LAW, claim("tel", "active_in_market", {"subject": "telco"}, sector="mining")],
         [claim("tel", "active_in_market", {"subject": "telco"}, sector="telecom")],
         # The law's reach follows the enacting state's country: a host firm is not bound.
         [LAW, claim("tel", "active_in_market", {"subject": "local"}, sector="telecom")]],
    ),
}


def screen(claims: list[ClaimView], rule_id: str):
    rules = [r for r in load_rules() if r.id == rule_id]
    assert rules, rule_id
    return screen_facts(Facts([*claims, OWNED], {e.id: e for e in ENTITIES}), rules)


def test_every_packaged_rule_has_a_case():
    assert {r.id for r in load_rules()} == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_minimal_case(rule_id: str):
    claims, target, _ = CASES[rule_id]
    found = screen(claims, rule_id)
    assert found, f"{rule_id} did not fire"
    assert target in {f.target_id for f in found}
    trigger_ids = {c.id for c in claims}
    for f in found:
        assert f.claim_ids and set(f.claim_ids) <= trigger_ids
        for lang in ("en", "es"):
            text = f.explanation(lang)
            assert text and "{" not in text
        assert f.to_dict()["target"] == {"id": f.target_id, "name": f.target_name}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_silent_without_evidence(rule_id: str):
    claims, _, near_misses = CASES[rule_id]
    assert screen([], rule_id) == []
    # Dropping any one trigger claim of a combination rule silences it too.
    if len(claims) > 1 and rule_id not in ("tax-exemption-or-sez", "corruption"):
        for i in range(len(claims)):
            assert screen(claims[:i] + claims[i + 1:], rule_id) == [], (rule_id, i)
    for variant in near_misses:
        assert screen(variant, rule_id) == [], (rule_id, [c.id for c in variant])


def test_subsidiary_is_foreign_and_bound_through_its_owner():
    claims = [LAW, claim("tel", "active_in_market", {"subject": "subsidiary"}, sector="ports")]
    found = screen(claims, "data-access-under-foreign-law")
    assert [f.target_id for f in found] == ["subsidiary"]


def test_promised_vs_actual_explanation_figures():
    f = screen(CASES["promised-vs-actual-investment"][0], "promised-vs-actual-investment")[0]
    assert "$3.5 billion" in f.explanation("en") and "$1.4 billion" in f.explanation("en")
    assert "$2.1 billion" in f.explanation("en") and "40%" in f.explanation("en")
    assert "US$\u00a01.400 millones" in f.explanation("es")  # the language layer's one format


def test_finding_ids_are_stable():
    a = screen(CASES["arbitration-cases"][0], "arbitration-cases")[0]
    b = screen(CASES["arbitration-cases"][0], "arbitration-cases")[0]
    assert a.id == b.id and a.id.startswith("f-")


# ----------------------------------------------------------------- rule files

RULE_YAML = """
id: paid-media
category: influence
severity: low
title: {en: Paid content in media, es: Contenido pagado en medios}
question: {en: "Did a foreign party pay for coverage?", es: "¿Una parte extranjera pagó cobertura?"}
rationale: Paid coverage presented as news misleads readers.
target: {roles: [object]}
match:
  predicates: [paid_content]
explain: {en: "{target} carried paid content ({qualifier}).", es: "{target} publicó contenido pagado ({qualifier})."}
"""


def test_user_rule_folder_adds_a_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "paid.yaml").write_text(RULE_YAML, encoding="utf-8")
    rules = load_rules([tmp_path])
    assert "paid-media" in {r.id for r in rules}
    monkeypatch.setenv("VEEDURIA_RULES", str(tmp_path))
    assert "paid-media" in {r.id for r in load_rules()}


@pytest.mark.parametrize("broken, message", [
    ("severity: urgent", "severity"),
    ("match: {predicates: [no_such_predicate]}", "unknown predicate"),
    ("match: {predicates: [paid_content], sectors: [nowhere]}", "unknown sectors"),
    ("explain: {en: '{target} {nonsense}', es: x}", "unknown template field"),
    ("title: {en: only english}", "missing 'es'"),
    ("target: {roles: [boss]}", "unknown role"),
    ("colour: red", "unknown key"),
])
def test_bad_rules_are_rejected_with_a_clear_message(tmp_path: Path, broken: str, message: str):
    import yaml

    raw = yaml.safe_load(RULE_YAML)
    raw.update(yaml.safe_load(broken))
    with pytest.raises(RuleError, match=message):
        parse_rule(raw, "user.yaml")


def test_unreadable_rule_files(tmp_path: Path):
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe not utf-8 \x00")
    with pytest.raises(RuleError, match="bad.yaml"):
        load_rule_dirs([tmp_path])
    (tmp_path / "bad.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(RuleError, match="not valid UTF-8 YAML"):
        load_rule_dirs([tmp_path])
    with pytest.raises(RuleError, match="not a folder"):
        load_rule_dirs([tmp_path / "missing"])


# ----------------------------------------------------------------- through the store

def _record(e: EntityView) -> EntityRecord:
    return EntityRecord(id=e.id, schema=e.schema, name=e.name, country=e.country, sector=e.sector,
                        foreign=e.foreign)


def _claim_record(c: ClaimView, status: str = "accepted") -> ClaimRecord:
    return ClaimRecord(
        id=c.id, predicate=c.predicate, source_id="src", quote=c.quote, entities=c.roles,
        domain=c.domain, sector=c.sector, modality=c.modality, qualifier=c.qualifier,
        share=c.share, date=c.date, status=status,
        amount=Money(c.amount_value, c.amount_currency) if c.amount_value is not None else None,
        quantity=Quantity(c.quantity_value, c.quantity_unit) if c.quantity_value is not None else None)


def test_rules_fire_through_the_store(store):
    """Every case written with the store's writer; accepted claims fire, candidates do not."""
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "Minimal cases"}, "test")
        for e in ENTITIES:
            upsert_entity(s, _record(e), "test")
        s.flush()
        upsert_claim(s, _claim_record(OWNED), "test")
        for rule_id, (claims, _, _) in CASES.items():
            for c in claims:
                upsert_claim(s, _claim_record(replace(c, id=f"{rule_id}:{c.id}")), "test")
        upsert_claim(s, _claim_record(claim("cand", "forced_displacement", {"subject": "telco"}),
                                      status="candidate"), "test")
    with store.reader() as s:
        found = run_screening(s)
        only_firm = run_screening(s, target_id="firm")
    fired = {f.rule_id for f in found}
    assert fired == set(CASES)
    assert "telco" not in {f.target_id for f in found if f.rule_id == "forced-displacement"}
    assert only_firm and {f.target_id for f in only_firm} == {"firm"}


def test_docs_list_every_packaged_rule():
    doc = (Path(__file__).resolve().parent.parent / "docs/screening.md").read_text(encoding="utf-8")
    for rule in load_rules():
        assert f"| `{rule.id}` | {rule.severity} |" in doc, rule.id
