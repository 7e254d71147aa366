"""Extraction of news as written: names nobody listed, amounts in the forms the press uses,
references back by role, mentions kept for every recognised name. Sentences here are written
for these tests (not taken from the evaluation set)."""

from __future__ import annotations

from veeduria.extract import EntityInfo, Gazetteer, extract
from veeduria.extract.figures import find_figures


def _gz() -> Gazetteer:
    return Gazetteer([EntityInfo("acme-mining", "Acme Mining", "Company")])


def _claims(text: str, published: str = "2021-05-10", language: str = "en"):  # noqa: ANN202
    return extract(text, {"source_id": "doc", "published": published, "language": language}, _gz())


def _names(claim, ex) -> set[str]:  # noqa: ANN001
    table = {row[3]: row[2] for row in ex.mention_table}
    return {table.get(eid, eid) for eid, _ in claim.entities}


def test_unlisted_companies_people_and_projects_are_found() -> None:
    ex = _claims("Acme Mining agreed to buy Quellaveco Holdings from Rivera Capital on Monday, the firm's "
                 "chairman Tomas Okonkwo said on Tuesday. Okonkwo said the Santa Elvira copper mine "
                 "will need new financing.")
    names = {row[2]: row[4] for row in ex.mention_table}
    assert names.get("Quellaveco Holdings") in ("Company", "Organization")
    assert names.get("Rivera Capital") in ("Company", "Organization")
    assert names.get("Tomas Okonkwo") == "Person"
    assert names.get("Santa Elvira copper mine") == "Project"


def test_capitalised_common_words_codes_and_currencies_are_not_names() -> None:
    ex = _claims("The Defense ministry bought 12 Y-12 aircraft for RMB 30 million under the Free "
                 "Assistance plan, Staff said.")
    found = {row[2] for row in ex.mention_table}
    assert not found & {"Defense", "Y-12", "RMB", "Staff", "Free Assistance"}


def test_one_claim_keeps_everyone_its_sentence_names() -> None:
    ex = _claims("Acme Mining paid $1.2 billion for a 45% stake in the Norte Grande project, "
                 "Finance Minister Laura Pradhan told reporters in Quito.")
    main = next(c for c in ex.claims if c.amount and c.amount.value == 1.2e9)
    names = _names(main, ex)
    assert {"acme-mining", "Laura Pradhan"} <= names | {e for e, _ in main.entities}
    assert main.date == "2021" and (main.meta or {}).get("date_from") == "published"


def test_untyped_link_when_no_relation_word_is_known() -> None:
    ex = _claims("Acme Mining and the Instituto Nacional de Vivienda appeared together at the forum.")
    link = [c for c in ex.claims if c.predicate == "associated_with"]
    assert link and link[0].confidence <= 0.3 and len(link[0].entities) >= 2


def test_press_money_formats() -> None:
    def money(text: str) -> list[tuple[float, str]]:
        return [(f.value, f.unit) for f in find_figures(text) if f.kind == "money"]

    assert money("una inversión de U$S 2.500 millones") == [(2.5e9, "USD")]
    assert money("un contrato por 830 mdd.") == [(8.3e8, "USD")]
    assert money("valorada en 900 millones de dólares canadienses") == [(9e8, "CAD")]
    assert money("con el banco A, por 640 millones de dólares, y con el banco B, por 210 millones.") == [
        (6.4e8, "USD"), (2.1e8, "USD")]
    # A bare amount followed by a noun is not money: "12 millones de habitantes".
    assert money("deuda de 900 millones de dólares en un país de 12 millones de habitantes") == [(9e8, "USD")]


def test_role_words_refer_back_to_the_last_person_and_project() -> None:
    text = ("Acme Mining signed a deal with President Julia Marmolejo in Lima.\n\n"
            "The president said the company would also build the Bahia Azul terminal.\n\n"
            "The terminal will cost $400 million.")
    ex = _claims(text)
    said = [c for c in ex.claims if any("refers_to" in m for m in (c.meta or {}).get("mentions", []))]
    assert said, [c.quote for c in ex.claims]
    cost = next(c for c in ex.claims if c.amount and c.amount.value == 4e8)
    assert any("bahia-azul" in eid for eid, _ in cost.entities)


def test_hostile_capitalised_text_stays_bounded() -> None:
    text = ("Alpha " * 5000) + ". " + ("A" * 100_000) + " and " + ("Beta-" * 2000)
    ex = _claims(text)
    assert len(ex.mention_table) <= 5000


def test_negation_abandonment_denial_and_running_totals() -> None:
    ex = _claims("Acme Mining did not invest in the Rio Claro smelter. Acme Mining abandoned plans to build "
                 "a port in Tumbes. Acme Mining denied paying bribes to Mayor Ana Quispe. Acme Mining has "
                 "invested $2 billion to date in the Norte Grande mine.")
    by_quote = {c.quote.split(".")[0]: c for c in ex.claims}
    assert any(c.modality == "negated" for q, c in by_quote.items() if "did not invest" in q)
    assert any(c.modality == "negated" for q, c in by_quote.items() if "abandoned" in q)
    assert any(c.modality == "denied" for q, c in by_quote.items() if "denied" in q)
    total = next(c for c in ex.claims if c.amount and c.amount.value == 2e9)
    assert total.modality == "actual" and (total.meta or {}).get("cumulative") is True
