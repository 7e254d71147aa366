"""Extraction as pure functions: figures, dates, names, claims (English and Spanish)."""

from __future__ import annotations

import pickle
import time

import pytest

from veeduria.cases.loader import read_case
from veeduria.extract import EntityInfo, Gazetteer, extract
from veeduria.extract.dates import find_dates
from veeduria.extract.figures import find_figures
from veeduria.extract.fx import to_usd
from veeduria.text import markdown_to_text


@pytest.mark.parametrize("text, value, currency", [
    ("a $1.8 billion investment", 1.8e9, "USD"),
    ("por US$ 2,600 millones", 2.6e9, "USD"),
    ("invertirá 2.900 millones de dólares", 2.9e9, "USD"),
    ("un aporte de US$143 mlls para", 143e6, "USD"),
    ("un crédito de S/ 500 millones", 500e6, "PEN"),
    ("a loan of RMB 30 million", 30e6, "CNY"),
    ("a €2bn facility", 2e9, "EUR"),
    ("for $245M plus stock", 245e6, "USD"),
    ("30 million yuan", 30e6, "CNY"),
    ("1.200 millones de soles", 1.2e9, "PEN"),
    # Other countries' dollar signs are not US dollars; codes glued to the number.
    ("equipment worth JAM$300 million", 300e6, "JMD"),
    ("a loan of TT$138,609,487", 138_609_487, "TTD"),
    ("EC$ 2.5 million for", 2.5e6, "XCD"),
    ("500 Jamaican dollars", 500, "JMD"),
    ("un aporte de Bs 300,000", 300_000, "BOB"),
    ("totalling RMB30 million (approximately", 30e6, "CNY"),
    ("cost 12 million quetzales", 12e6, "GTQ"),
])
def test_money_formats(text: str, value: float, currency: str) -> None:
    money = [f for f in find_figures(text) if f.kind == "money"]
    assert len(money) == 1, money
    assert money[0].value == pytest.approx(value)
    assert money[0].unit == currency


@pytest.mark.parametrize("text, value, approx", [
    ("34% of Peru exports", 0.34, None),
    ("adquirió el 83,15% de", 0.8315, None),
    ("Almost one in four cars", 0.25, "almost"),
    ("casi uno de cada cuatro autos", 0.25, "casi"),
    ("la mitad de las exportaciones", 0.5, None),
    ("34 por ciento del total", 0.34, None),
])
def test_shares(text: str, value: float, approx: str | None) -> None:
    shares = [f for f in find_figures(text) if f.kind == "share"]
    assert [(round(f.value, 4), f.approx) for f in shares] == [(value, approx)]


@pytest.mark.parametrize("text, value, unit", [
    ("a 269 kilometer stretch of road", 269, "km"),
    ("move 3 million TEU of cargo", 3e6, "TEU"),
    ("89 pending arbitration cases", 89, "cases"),
    ("a group of 12 Peruvian national police personnel", 12, "people"),
    ("una central de 2,000 MW", 2000, "MW"),
    ("15 operating docks", 15, "docks"),
    ("12.000 contenedores", 12000, "containers"),
])
def test_quantities(text: str, value: float, unit: str) -> None:
    qs = [f for f in find_figures(text) if f.kind == "quantity"]
    assert [(f.value, f.unit) for f in qs] == [(value, unit)]


def test_years_and_codes_are_not_quantities() -> None:
    assert find_figures("In 2017, Peru joined; 7.62 mm rifles; Block 58") == []


@pytest.mark.parametrize("text, published, expected", [
    ("In November 2024, Zijin", "2025-09", "2024-11"),
    ("noviembre de 2024", None, "2024-11"),
    ("el 13 de setiembre", "2025-09-20", "2025-09-13"),
    ("el 13 de setiembre", "2025-03", "2024-09-13"),  # a September before a March report
    ("fish lost last year", "2025-09", "2024"),
    ("el año pasado", "2025-01", "2024"),
    ("From September 1-5, 2025, the author", None, "2025-09-01"),
    ("As of September, COSCO", "2025-10", "2025-09"),
    ("since 1993", None, "1993"),
])
def test_dates(text: str, published: str | None, expected: str) -> None:
    assert [d.value for d in find_dates(text, published)] == [expected]


def test_no_dates_in_money_or_words() -> None:
    assert find_dates("$2,009 million may be spent", "2025") == []


def test_fx_basis_records_the_year() -> None:
    usd, basis = to_usd(500e6, "PEN", 2024)
    assert basis == "fx:2024" and 120e6 < usd < 150e6
    assert to_usd(1.0, "CNY", 1990)[1] == "fx:2005"  # nearest year in the table
    assert to_usd(1.0, "XYZ", 2024) == (None, None)


SPANISH = ("Lima, 20 de marzo. La empresa estatal china Huaxin Energía adquirió el 83,15% de "
           "Distribuidora Andina S.A. por US$ 2,600 millones en noviembre de 2024. El año pasado, "
           "la minera china Minera Kunlun invirtió 2.900 millones de dólares en el Perú.")


def test_spanish_acquisition() -> None:
    gz = Gazetteer([EntityInfo("government-of-peru", "Government of Peru", "PublicBody")],
                   [("Perú", "government-of-peru")])
    result = extract(SPANISH, {"source_id": "s", "published": "2025-03-20", "language": "es"}, gz)
    acq = [c for c in result.claims if c.predicate == "acquired"]
    assert len(acq) == 1
    c = acq[0]
    assert c.share == pytest.approx(0.8315)
    assert c.amount.value == pytest.approx(2.6e9) and c.amount.usd == pytest.approx(2.6e9)
    assert c.date == "2024-11"
    assert ("huaxin-energia", "subject") in c.entities
    assert ("distribuidora-andina-s-a", "object") in c.entities
    inv = [c for c in result.claims if c.predicate == "invests_in"]
    assert inv and inv[0].date == "2024" and inv[0].amount.value == pytest.approx(2.9e9)
    assert ("government-of-peru", "object") in inv[0].entities
    new = {e.name: e.schema for e in result.new_entities}
    assert new["Huaxin Energía"] == "Company" and new["Minera Kunlun"] == "Company"
    for claim in result.claims:
        assert SPANISH[claim.offsets[0]:claim.offsets[1]] == claim.quote


@pytest.fixture(scope="module")
def peru_gazetteer() -> Gazetteer:
    case = read_case("pe_prc")
    gz = Gazetteer()
    for e in case.entities:
        gz.add_entity(EntityInfo(e.id, e.name, e.schema, e.sector, e.country, e.foreign),
                      [n for n, _ in e.aliases])
    return gz


@pytest.fixture(scope="module")
def seed_text(seed_path) -> str:  # noqa: ANN001
    return markdown_to_text(seed_path.read_text(encoding="utf-8"))


def test_seed_report_extraction(peru_gazetteer: Gazetteer, seed_text: str) -> None:
    result = extract(seed_text, {"source_id": "ellis", "published": "2025-09", "language": "en"},
                     peru_gazetteer)
    claims = result.claims
    assert len(claims) > 50
    for c in claims:
        assert c.problems() == [], (c.quote, c.problems())
        assert len(c.quote) <= 160
        assert seed_text[c.offsets[0]:c.offsets[1]] == c.quote

    def find(pred) -> list:  # noqa: ANN001
        return [c for c in claims if pred(c)]

    jinzhao = find(lambda c: c.amount and c.amount.value == pytest.approx(1.8e9))
    assert jinzhao and jinzhao[0].amount.currency == "USD" and jinzhao[0].modality == "planned"
    assert ("jinzhao", "subject") in jinzhao[0].entities and jinzhao[0].sector == "mining"
    assert find(lambda c: c.share == pytest.approx(0.34) and c.date == "2024")
    road = find(lambda c: c.quantity and c.quantity.unit == "km" and c.quantity.value == 269)
    assert road and any(e == "china-railway-no10" for e, _ in road[0].entities)
    zijin = find(lambda c: c.predicate == "acquired" and ("zijin-mining", "subject") in c.entities)
    assert zijin and zijin[0].date == "2024-11"
    sinopec = find(lambda c: c.amount and c.amount.value == pytest.approx(2.6e9))
    assert sinopec and sinopec[0].predicate == "acquired" and sinopec[0].date == "2013"
    fish = find(lambda c: c.amount and c.amount.value == pytest.approx(3e8))
    assert fish and fish[0].date == "2024"  # "last year" in a September 2025 report
    mentioned = {m.entity_id for m in result.mentions}
    assert {"huawei", "chancay-port", "jinzhao", "zijin-mining"} <= mentioned
    assert any(m.text == "COSCO" for m in result.mentions)


def test_gazetteer_pickles(peru_gazetteer: Gazetteer, seed_text: str) -> None:
    copy = pickle.loads(pickle.dumps(peru_gazetteer))
    assert copy._regex is None or copy is not peru_gazetteer
    assert [m.entity_id for m in copy.find(seed_text)] == [m.entity_id for m in peru_gazetteer.find(seed_text)]


@pytest.mark.parametrize("text, expected", [
    ("6,960,000 out of the approximate 10 million Bolivianos", [(6_960_000, "BOB"), (10e6, "BOB")]),
    ("between 5 and 10 million yuan", [(5e6, "CNY"), (10e6, "CNY")]),
    # A year or a plain small number does not become money.
    ("in 2012 and $5 million", [(5e6, "USD")]),
    ("signed 3 agreements worth $5 million", [(5e6, "USD")]),
])
def test_bare_number_shares_the_currency(text: str, expected: list[tuple[float, str]]) -> None:
    money = [(f.value, f.unit) for f in find_figures(text) if f.kind == "money"]
    assert money == expected


def test_overlapping_aliases_make_one_mention() -> None:
    gz = Gazetteer()
    gz.add_entity(EntityInfo("xi-jinping", "Xi Jinping", "Person"), ["President Xi"])
    found = gz.find("President Xi Jinping and President Evo Morales met. President Xi left.")
    assert [(m.text, m.entity_id) for m in found] == [("President Xi Jinping", "xi-jinping"),
                                                      ("President Xi", "xi-jinping")]


def test_names_drop_dates_and_split_plural_pairs() -> None:
    gz = Gazetteer([EntityInfo("state-uy", "Uruguay", "Country"), EntityInfo("state-ec", "Ecuador", "Country")])
    text = ("The agreement was accepted by the Government of Uruguay on August 19, 2003. "
            "On March 21, 2006, the Ministries of Defense of China and Ecuador signed an agreement.")
    names = {m.text for m in extract(text, {"source_id": "x"}, gz).mentions}
    assert "Government of Uruguay" in names and not any("August" in n for n in names)
    assert not any(n.startswith("Ministries") for n in names) and "Ecuador" in names


def test_of_modifier_is_not_the_actor() -> None:
    gz = Gazetteer([EntityInfo("pla", "People's Liberation Army", "PublicBody"),
                    EntityInfo("gdf", "Guyana Defence Force", "PublicBody"),
                    EntityInfo("state-cn", "China", "Country")])
    text = ("On August 21, 2014, a conference between the Guyana Defence Force (GDF) and the People's "
            "Liberation Army (PLA) of China commenced with the signing of an aid agreement.")
    claims = extract(text, {"source_id": "x"}, gz).claims
    assert any({"pla", "gdf"} <= {e for e, _ in c.entities} for c in claims), [c.entities for c in claims]


def test_short_names_need_their_case() -> None:
    gz = Gazetteer([EntityInfo("honor", "Honor", "Company"), EntityInfo("apn", "APN", "PublicBody")])
    assert [m.entity_id for m in gz.find("Honor phones; with honor; apn; the APN")] == ["honor", "apn"]


def test_hostile_text_is_bounded(peru_gazetteer: Gazetteer) -> None:
    hostile = ("A" * 100_000 + " $" * 5000 + "9" * 5000 + " 1,1,1,1,1," * 2000 + "\u202e\x00 "
               + "China " * 5000 + "(" * 3000 + "Acme S.A. " * 500)
    start = time.perf_counter()
    result = extract(hostile, {"source_id": "x", "published": "2025"}, peru_gazetteer)
    assert time.perf_counter() - start < 10
    for c in result.claims:
        assert len(c.quote) <= 160 and hostile[c.offsets[0]:c.offsets[1]] == c.quote


def test_word_lists_use_the_vocabulary() -> None:
    from veeduria.extract.lexicon import lexicon
    from veeduria.vocab import domains, predicates, sectors

    lex = lexicon()
    for rel in lex.relations:
        spec = predicates()[rel.predicate]
        assert rel.domain in domains()
        # ("after" defaults to object; roles a predicate lacks are dropped at extraction)
        assert {rel.before, *rel.preps.values()} <= set(spec["roles"]) | {"location"}, rel
    assert set(lex.sector_names) <= set(sectors())
    assert set(lex.sector_domains) <= set(sectors()) and set(lex.sector_domains.values()) <= set(domains())


@pytest.mark.parametrize(("text", "present", "absent"), [
    # a head word followed by "for" keeps its clause
    ("A complaint was filed by the Agency for the Protection of Rivers last week.",
     {"Agency for the Protection of Rivers"}, {"Agency"}),
    # "and" inside a modifier is not two names; a chain of "of the" links is several
    ("Major Ana Ruiz of the Bureau of Pacific and Andean Matters of the Regional Planning Office "
     "of the Ministry of Transport of Chile arrived.",
     {"Ana Ruiz", "Bureau of Pacific and Andean Matters", "Regional Planning Office",
      "Ministry of Transport of Chile"}, {"Bureau of Pacific"}),
    # a single "of the" link stays one name
    ("The Joint Staff of the Naval Forces met.", {"Joint Staff of the Naval Forces"}, set()),
    # a masthead keeps its article; a title abbreviation before a name
    ("El Comercio reported that Lt. Mario Quispe Rojas signed.", {"El Comercio", "Mario Quispe Rojas"}, {"Mario"}),
    # "General" between a Spanish head and "de" qualifies the organisation, in quotes too
    ("Según la 'Superintendencia General de Aduanas' el envío llegó.",
     {"Superintendencia General de Aduanas"}, set()),
    # possessive heads and coordinated organisations after a title
    ("Ministers of the Lima Group and Pacific Alliance's members met.", {"Lima Group", "Pacific Alliance"},
     {"Lima Group and Pacific Alliance"}),
    # an acronym after a pair belongs to the second name
    ("Peru's Ministry of Energy and Northern Grid Corporation (NGC) signed a deal.",
     {"Peru's Ministry of Energy", "Northern Grid Corporation"}, {"Peru's Ministry of Energy and Northern Grid Corporation"}),
    # all capitals where a lender goes; a brand in capitals
    ("The plan received financing from KORBANK and 30 TIANMA Brand Trucks.", {"KORBANK", "TIANMA"}, {"Trucks"}),
])
def test_general_name_shapes(text: str, present: set[str], absent: set[str]) -> None:
    from veeduria.extract.names import discover

    names = {n.name for n in discover(text, Gazetteer([EntityInfo("state-cl", "Chile", "Country")]))}
    assert present <= names and not absent & names, names


def test_organisation_before_a_title_does_not_stop_coordination() -> None:
    gz = Gazetteer([EntityInfo("state-pe", "Peru", "Country")])
    text = ("On 3 May 2019, Ambassador Wu Tianlan and Coast Guard Chief of Staff Capt. Rosa Vilca Paz "
            "signed a training agreement.")
    claims = extract(text, {"source_id": "x", "published": "2019"}, gz).claims
    signed = [c for c in claims if c.predicate == "signed_agreement"]
    assert signed and {"wu-tianlan", "rosa-vilca-paz"} <= {e for e, _ in signed[0].entities}, \
        [(c.predicate, c.entities) for c in claims]
