"""Claims that need more than one sentence, or more than the quote: a figure in the sentence
after the deal ("The value of this donation is..."), a pronoun or description as subject
("It", "La empresa"), the paragraph's year, actors of a long sentence outside the quote, and
states named in the text as actors. Texts written here; English and Spanish."""

from __future__ import annotations

import pytest

from veeduria.extract import EntityInfo, Gazetteer, extract
from veeduria.extract.discourse import anaphor, attribution_end, carry_cue
from veeduria.extract.figures import find_figures


def _gazetteer() -> Gazetteer:
    gz = Gazetteer()
    gz.add_entity(EntityInfo("acme", "Acme Telecom", "Company"), ["Acme"])
    gz.add_entity(EntityInfo("bay-port", "Bay Port Authority", "PublicBody"))
    return gz


def _run(text: str, language: str = "en", published: str | None = None):  # noqa: ANN202
    result = extract(text, {"source_id": "t", "language": language, "published": published}, _gazetteer())
    for c in result.claims:
        assert text[c.offsets[0]:c.offsets[1]] == c.quote and len(c.quote) <= 160
        assert not c.problems(), c.problems()
        assert "_figs" not in (c.meta or {})
    return result


def _with(result, entity: str, **figure: float):  # noqa: ANN001, ANN202
    out = []
    for c in result.claims:
        if entity not in {e for e, _ in c.entities}:
            continue
        if "money" in figure and not (c.amount and c.amount.value == pytest.approx(figure["money"])):
            continue
        if "count" in figure and not (c.quantity and c.quantity.value == pytest.approx(figure["count"])):
            continue
        out.append(c)
    return out


def test_figure_in_the_next_sentence_joins_the_deal() -> None:
    text = "In 2009 Acme Telecom pledged a donation of radios. The value of this donation is 500,000 USD."
    result = _run(text)
    [claim] = _with(result, "acme", money=500_000)
    assert claim.predicate == "donated_to" and claim.date == "2009"
    assert claim.quote == text  # both sentences fit in one quote
    assert claim.meta["via"] == "this donation"


def test_figure_sentence_alone_when_both_are_too_long() -> None:
    text = ("On 3 March 2015, Acme Telecom and the Bay Port Authority signed an agreement on the modernisation "
            "of the northern container terminal and its access roads. The agreement pledged a grant of "
            "6 million RMB worth of cranes, scanners and spare parts for the terminal, to be delivered later.")
    result = _run(text)
    [claim] = _with(result, "bay-port", money=6_000_000)
    assert {e for e, _ in claim.entities} >= {"acme", "bay-port"}
    assert claim.quote.startswith("The agreement pledged") and claim.date == "2015-03-03"
    outside = [m for m in claim.meta["mentions"] if m.get("in_quote") is False]
    assert outside and all(text[m["offsets"][0]:m["offsets"][1]] == m["text"] for m in outside)


def test_actors_of_the_next_sentence_join_the_figure_claim() -> None:
    text = ("On June 11, 2009, Acme Telecom signed an RMB 18 million grant agreement. "
            "The grant proceeds were to be used to buy radios for the Bay Port Authority.")
    result = _run(text)
    claims = _with(result, "bay-port", money=18_000_000)
    assert claims and claims[0].date == "2009-06-11"


def test_pronoun_subject_and_paragraph_year() -> None:
    text = ("In 2016, Acme Telecom launched a training programme in Guyana. "
            "It provided training for six students.")
    result = _run(text)
    [claim] = _with(result, "acme", count=6)
    assert claim.date == "2016" and claim.meta.get("date_from") == "paragraph"
    mention = next(m for m in claim.meta["mentions"] if m["entity"] == "acme")
    assert mention["refers_to"] == [text.index("Acme"), text.index("Acme") + len("Acme Telecom")]


def test_no_link_across_paragraphs() -> None:
    text = "In 2009 Acme Telecom pledged a donation of radios.\n\nThe value of this donation is 500,000 USD."
    assert not _with(_run(text), "acme", money=500_000)


def test_attribution_is_not_an_actor() -> None:
    text = ("On April 4, 2017, Acme Telecom donated radios to Guyana. According to the Bay Port Authority, "
            "the donated equipment includes 31 pieces of equipment.")
    result = _run(text)
    [claim] = _with(result, "acme", count=31)
    assert "bay-port" not in {e for e, _ in claim.entities}
    assert "state-guyana" in {e for e, _ in claim.entities} and claim.date == "2017-04-04"


def test_spanish_cues() -> None:
    text = ("En 2019, la empresa estatal china Minera Andina del Sur adquirió la mina Tambo Grande. "
            "La empresa invirtió 90 millones de dólares en su ampliación. "
            "Dicho proyecto requerirá un préstamo de 40 millones de dólares.")
    result = _run(text, "es")
    invest = [c for c in result.claims if c.predicate == "invests_in" and c.amount]
    assert invest and invest[0].date == "2019"
    assert ("minera-andina-del-sur", "subject") in invest[0].entities
    assert _with(result, "minera-andina-del-sur", money=40_000_000)


def test_long_sentence_keeps_its_date_and_actors_outside_the_quote() -> None:
    text = ("On October 6, 2009, the Bay Port Authority of the Northern Coastal Region officially took "
            "delivery of a batch of logistical materials and spare parts worth RMB 10 million from "
            "Acme Telecom.")
    result = _run(text)
    claims = _with(result, "acme", money=10_000_000)
    assert claims and claims[0].date == "2009-10-06"


def test_states_are_actors_unless_part_of_a_name() -> None:
    text = ("On October 25th, 2007, Acme Telecom signed an agreement with Costa Rica. "
            "According to iNews Guyana, the Panama City office opened.")
    result = _run(text)
    ids = {e for c in result.claims for e, _ in c.entities}
    assert "state-costa-rica" in ids
    names = {m.text for m in result.mentions}
    assert "Guyana" not in names and "Panama" not in names
    [state] = [e for e in result.new_entities if e.id == "state-costa-rica"]
    assert state.schema == "PublicBody" and state.country == "CR" and not state.problems()


def test_store_names_win_over_built_in_states() -> None:
    gz = Gazetteer()
    gz.add_entity(EntityInfo("government-of-peru", "Government of Peru", "PublicBody"), ["Peru"])
    result = extract("Acme signed an agreement with Peru in 2020.", {"source_id": "t"}, gz)
    assert "state-peru" not in gz.state_ids
    assert all(m.entity_id != "state-peru" for m in result.mentions)


@pytest.mark.parametrize("text, expected", [
    ("The value of this donation is 500,000 USD.", "this donation"),
    ("El préstamo asciende a 350 millones.", "El préstamo"),
    ("Dicho proyecto requerirá más fondos.", "Dicho proyecto"),
    ("The Agreement on Free Military Assistance was signed.", None),  # a name, not a reference
    ("Acme said that in the coming years it will sign the loan.", None),  # too far from the start
])
def test_anaphor_cues(text: str, expected: str | None) -> None:
    found = anaphor(text, (0, len(text)))
    assert (text[found[0]:found[1]] if found else None) == expected


def test_carry_and_attribution_cues() -> None:
    text = "In 2016, the company signed."
    start, end = carry_cue(text, (0, len(text)))
    assert text[start:end] == "the company"
    assert carry_cue("Acme signed.", (0, 12)) is None
    text = "Según el ministro Pérez, la empresa firmó."
    assert text[attribution_end(text, (0, len(text))):].startswith("la empresa")


@pytest.mark.parametrize("text, value, currency", [
    ("signed an RMB  279,875,675 loan", 279_875_675, "CNY"),
    ("amounting to 5 million Chinese yuan", 5e6, "CNY"),
    ("a 100 million Colombian Peso gift", 1e8, "COP"),
    ("300 millones de pesos mexicanos", 3e8, "MXN"),
])
def test_more_currency_spellings(text: str, value: float, currency: str) -> None:
    [fig] = [f for f in find_figures(text) if f.kind == "money"]
    assert fig.value == pytest.approx(value) and fig.unit == currency


def test_document_number_is_not_a_year() -> None:
    from veeduria.extract.dates import find_dates

    assert [d.value for d in find_dates("Agreement NO: 2012 A-075, signed in 2013")] == ["2013"]
