"""Modality on the way out: negated, denied, planned, promised and cumulative claims are
written, shown, charted, screened and exported as what they are, in English and Spanish,
on SQLite and PostgreSQL (the Peru case, and a small store written here)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient

from veeduria.cases.loader import CaseDataError, read_case
from veeduria.cli import cli
from veeduria.model import ClaimRecord, EntityRecord, Money
from veeduria.present.report import build_report, render_markdown
from veeduria.present.report.sentences import claim_sentence
from veeduria.present.web import Settings, create_app
from veeduria.query import ownership_chain
from veeduria.screen import fmt
from veeduria.screen.engine import claim_passes
from veeduria.screen.facts import ClaimView, Facts, claim_view, load_facts
from veeduria.screen.indicators import compute
from veeduria.screen.network import graph_from_facts
from veeduria.screen.scorecard import scorecard
from veeduria.store.models import Claim
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source
from veeduria.vocab import MODALITIES, modality_word, predicates, template_variants

XI = "pe-log-xi-did-not-travel-to-chancay"
ANCON = "pe-log-jobs-not-to-ancon"
SPENT = "pe-log-chancay-spent-1-4bn"
NO_MORE = "pe-log-chancay-no-further-commitment"


def run(store, *args: str, ok: bool = True):  # noqa: ANN001, ANN201
    result = CliRunner().invoke(cli, ["--db", store.url, *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _sentences(store, claim_id: str) -> dict[str, str]:  # noqa: ANN001
    with store.reader() as s:
        c = s.get(Claim, claim_id)
        names = {r.entity_id: r.entity.name for r in c.roles}
        view = claim_view(c)
        return {**{lang: claim_sentence(c, lang).text for lang in ("en", "es")},
                **{f"screen.{lang}": fmt.sentence(view, names.__getitem__, lang) for lang in ("en", "es")}}


# --- vocabulary ------------------------------------------------------------------------------

def test_every_modality_has_words_in_both_languages() -> None:
    for key in (*MODALITIES, "cumulative"):
        for lang in ("en", "es"):
            assert modality_word(key, lang), (key, lang)
    for key in ("negated", "denied"):
        assert modality_word(key, "en", "prefix") and modality_word(key, "es", "prefix")
    assert modality_word("cumulative", "es", "as_of").format(date="x") == "hasta x"


def test_template_variants_say_when_the_caller_must_mark() -> None:
    visited = predicates()["visited"]["en"]
    assert template_variants(visited, "negated")[1] is True
    assert "did not" in template_variants(visited, "negated")[0][0]
    # No variant for "denied" or "promised": the plain template, to be marked by the caller.
    assert template_variants(visited, "denied") == (template_variants(visited, "actual")[0], False)
    assert template_variants(visited, "promised")[1] is False
    invests = predicates()["invests_in"]["es"]
    assert "había invertido" in template_variants(invests, "actual", cumulative=True)[0][0]
    # A planned total is still planned: the cumulative variant is for figures stated as done.
    assert "prevé" in template_variants(invests, "planned", cumulative=True)[0][0]


def test_a_denial_without_its_own_template_is_never_written_as_a_fact() -> None:
    """Every predicate, in both languages: a negated or denied claim starts with its prefix
    or uses a template made for it; a planned one carries its marker."""
    for key, spec in predicates().items():
        roles = [(f"e-{r}", r) for r in spec["roles"]]
        for modality in ("negated", "denied", "planned"):
            view = ClaimView(id="x", predicate=key, roles=roles, modality=modality, date="2024-11")
            for lang in ("en", "es"):
                text = fmt.sentence(view, lambda e: e.upper(), lang)
                own_template = bool(spec.get(lang, {}).get(f"template_{modality}"))
                if own_template:
                    continue
                if modality == "planned":
                    assert text.endswith(f"({modality_word('planned', lang, 'marker')})"), (key, text)
                else:
                    assert text.startswith(modality_word(modality, lang, "prefix")), (key, text)


def test_cumulative_must_be_a_boolean(mini_case: Path) -> None:
    path = next((mini_case / "claims").glob("*.yaml"))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["claims"][0]["cumulative"] = "to date"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseDataError, match="cumulative must be true or false"):
        read_case(mini_case)
    doc["claims"][0]["cumulative"] = True
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert read_case(mini_case).claims[0].meta["cumulative"] is True


# --- the Peru case ---------------------------------------------------------------------------

def test_case_records_the_modalities(peru_store) -> None:  # noqa: ANN001
    with peru_store.reader() as s:
        assert s.get(Claim, XI).modality == "negated"
        assert s.get(Claim, ANCON).modality == "negated"
        spent = s.get(Claim, SPENT)
        assert spent.modality == "actual" and spent.cumulative and spent.date == "2025-09"
        assert not s.get(Claim, NO_MORE).cumulative


def test_sentences_write_the_modality_in_both_languages(peru_store) -> None:  # noqa: ANN001
    xi = _sentences(peru_store, XI)
    for key in ("en", "screen.en"):
        assert "Xi Jinping did not visit Chancay" in xi[key] and "did not travel" in xi[key]
        assert "visited" not in xi[key]
    for key in ("es", "screen.es"):
        assert "no visitó Chancay" in xi[key] and "no viajó" in xi[key]
        assert not re.search(r"(?<!no )visitó", xi[key])
    ancon = _sentences(peru_store, ANCON)
    assert "are not expected to go to" in ancon["en"] and "no irían a" in ancon["es"]
    assert "are likely to go to" not in ancon["en"] + ancon["screen.en"]
    spent = _sentences(peru_store, SPENT)
    assert spent["en"].startswith("As of September 2025, ") and "had invested" in spent["en"]
    assert "(cumulative to date)" in spent["en"] and "In September 2025" not in spent["en"]
    assert spent["es"].startswith("Hasta septiembre de 2025, ") and "había invertido" in spent["es"]
    assert "(acumulado a la fecha)" in spent["es"] and "En septiembre" not in spent["es"]
    assert "(cumulative to date)" in spent["screen.en"] and "acumulado a la fecha" in spent["screen.es"]
    no_more = _sentences(peru_store, NO_MORE)
    assert "did not invest" not in no_more["en"] and "no concrete commitment" in no_more["en"]


def test_show_marks_the_denial(peru_store) -> None:  # noqa: ANN001
    out = run(peru_store, "show", "xi-jinping").output
    block = out[out.index("visited [DID NOT HAPPEN]"):]
    assert "Xi Jinping did not visit Chancay" in block.split('"In the end')[0]
    assert "Xi Jinping visited Chancay" not in out
    port = run(peru_store, "show", "chancay-port").output
    assert "[CUMULATIVE TO DATE]" in port and "As of September 2025" in port
    data = json.loads(run(peru_store, "show", "xi-jinping", "--json").output)
    by_id = {c["id"]: c for cs in data["claims"].values() for c in cs}
    assert by_id[XI]["modality"] == "negated"


def test_exports_keep_modality_and_cumulative(peru_store, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "claims.jsonl"
    run(peru_store, "export", "claims", "-o", str(out))
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows[XI]["modality"] == "negated" and rows[XI]["cumulative"] is False
    assert rows[SPENT]["cumulative"] is True and rows[SPENT]["modality"] == "actual"
    table = tmp_path / "claims.csv"
    run(peru_store, "export", "csv", "-o", str(table))
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))}
    assert rows[XI]["modality"] == "negated" and rows[SPENT]["cumulative"] == "True"
    ftm = tmp_path / "ftm.jsonl"
    run(peru_store, "export", "ftm", "-o", str(ftm))
    proxies = {p["id"]: p for p in map(json.loads, ftm.read_text(encoding="utf-8").splitlines())}
    assert not any(XI in pid for pid in proxies)  # FtM cannot say a link did not exist
    spent = next(p for pid, p in proxies.items() if pid.endswith(SPENT))
    assert "cumulative to date" in json.dumps(spent["properties"])


@pytest.fixture(scope="module")
def peru(peru_store) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(create_app(peru_store, settings=Settings())) as client:
        yield client


def test_pages_and_api_show_the_denial(peru: TestClient) -> None:
    page = peru.get("/entity/xi-jinping").text
    assert "Xi Jinping did not visit Chancay" in page and "tag-neg" in page and "pred-neg" in page
    assert "Xi Jinping visited Chancay" not in page
    peru.cookies.set("lang", "es")
    try:
        page = peru.get("/entity/xi-jinping").text
        assert "no visitó Chancay" in page and "no ocurrió" in page
        port = peru.get("/entity/chancay-port").text
        assert "Hasta septiembre de 2025" in port and "acumulado a la fecha" in port
    finally:
        peru.cookies.delete("lang")
    source_page = peru.get("/source/ellis-2025-peru-active-neutrality").text  # the claim's page
    assert "Xi Jinping did not visit Chancay" in source_page and "tag-neg" in source_page
    one = peru.get(f"/api/claims/{XI}").json()
    assert one["modality"] == "negated" and "did not visit" in one["text"]
    assert one["modality_label"] == "did not happen"
    items = peru.get("/api/claims", params={"entity": "chancay-port", "limit": 200}).json()["items"]
    flags = {c["id"]: c["cumulative"] for c in items}
    assert flags[SPENT] is True and flags[NO_MORE] is False


def test_timeline_counts_no_denials(peru: TestClient, peru_store) -> None:  # noqa: ANN001
    from veeduria.present.web.data import claims_per_year

    with peru_store.reader() as s:
        per_year = dict(claims_per_year(s))
        dated_2024 = [c for c in s.query(Claim).filter(Claim.status == "accepted",
                                                      Claim.date_sort.like("2024%"))]
    negative = [c for c in dated_2024 if c.modality in ("negated", "denied")]
    assert negative and per_year["2024"] == len(dated_2024) - len(negative)
    page = peru.get("/timeline").text  # still listed, and marked
    assert "Xi Jinping did not visit Chancay" in page


def test_report_writes_and_charts_the_modality(peru_store) -> None:  # noqa: ANN001
    with peru_store.reader() as session:
        for lang in ("en", "es"):
            rep = build_report(session, lang=lang, country="pe", today=dt.date(2025, 11, 1))
            md = render_markdown(rep)
            timeline = next(c for c in rep.charts if c.id == "timeline")
            assert not any(XI in str(row) for row in timeline.table.rows)
            if lang == "en":
                assert "Xi Jinping visited Chancay" not in md and "Xi Jinping: visited — Chancay" not in md
                assert "As of September 2025" in md and "cumulative to date" in md
            else:
                assert "Presidente Xi visitó" not in md
                assert "Hasta septiembre de 2025" in md and "acumulado a la fecha" in md


def test_a_running_total_is_not_added_to_other_amounts(peru_store) -> None:  # noqa: ANN001
    with peru_store.reader() as s:
        totals = scorecard(s, "chancay-port")["money"]["totals_usd"]["in"]
        spent = s.get(Claim, SPENT).amount_usd
    assert totals["cumulative"] == pytest.approx(spent)
    # The total to date is counted once and absorbs its parts (the CGIT $780m row).
    assert totals.get("actual", 0) == pytest.approx(spent)


def test_screening_and_network_ignore_denials(peru_store) -> None:  # noqa: ANN001
    with peru_store.reader() as s:
        facts = load_facts(s)
    g = graph_from_facts(facts)
    assert not any(XI in d["claims"] for _, _, d in g.edges(data=True))
    xi = facts.by_id[XI]
    assert not claim_passes({"predicates": ["visited"]}, xi, facts)
    assert claim_passes({"predicates": ["visited"], "modality": ["negated"]}, xi, facts)


# --- a small store: denied claims, money and links --------------------------------------------

def _small(store) -> None:  # noqa: ANN001
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "A report"}, "t")
        for eid, schema, name, foreign in [("firm", "Company", "Dragon Mining", True),
                                           ("mine", "Project", "Cerro Azul mine", False),
                                           ("state", "PublicBody", "State Assets Office", True)]:
            upsert_entity(s, EntityRecord(eid, schema, name, country="cn" if foreign else "pe",
                                          foreign=foreign), "t")
        s.flush()
        for cid, predicate, modality, amount, ents in [
            ("paid", "invests_in", "actual", 100e6, [("firm", "subject"), ("mine", "object")]),
            ("not-paid", "invests_in", "negated", 900e6, [("firm", "subject"), ("mine", "object")]),
            ("denied-paid", "invests_in", "denied", 700e6, [("firm", "subject"), ("mine", "object")]),
            ("denied-owner", "owns", "denied", None, [("state", "subject"), ("firm", "object")]),
        ]:
            upsert_claim(s, ClaimRecord(
                id=cid, predicate=predicate, source_id="src", quote=f"quote {cid}", entities=ents,
                domain="economy", sector="mining", modality=modality, date="2024",
                amount=Money(amount, "USD") if amount else None, status="accepted", country="pe"), "t")


def test_denied_claims_are_no_money_and_no_owner(store) -> None:  # noqa: ANN001
    _small(store)
    with store.reader() as s:
        ind = compute(s).to_dict()["total"]
        assert ind["invested_usd"]["value"] == pytest.approx(100e6)
        assert ownership_chain(s, "firm") == []
        text = claim_sentence(s.get(Claim, "denied-paid"), "en").text
        assert text.startswith("Denied: In 2024, Dragon Mining invested US$700 million")
        es = claim_sentence(s.get(Claim, "denied-paid"), "es").text
        assert es.startswith("Desmentido: ")
        money = scorecard(s, "mine")["money"]
        assert {r["claim_id"] for r in money["in"]} == {"paid", "not-paid", "denied-paid"}
        assert money["totals_usd"]["in"] == {"actual": pytest.approx(100e6)}
    facts = Facts([ClaimView(id="d", predicate="invests_in", roles=[("firm", "subject")],
                             modality="denied")])
    assert not claim_passes({"predicates": ["invests_in"]}, facts.claims[0], facts)
