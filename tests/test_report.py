"""Briefing reports: formatting, sentences, structure, citations, languages, the 'since'
filter, figures against the store, offline HTML and the PDF."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from veeduria.model import ClaimRecord, EntityRecord, Money, Quantity
from veeduria.present.report import build_report, render_html, render_markdown, render_pdf
from veeduria.present.report.areas import area_map, parse_area_map
from veeduria.present.report.i18n import (
    NBSP,
    format_count,
    format_date,
    format_money,
    format_number,
    format_percent,
    format_when,
    join_names,
)
from veeduria.present.report.sentences import claim_sentence, fill
from veeduria.store.models import Claim, ClaimEntity, Entity
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source
from veeduria.vocab import domains, predicates, sectors

SEVEN_AREAS = ["politics", "commerce", "logistics", "electricity", "digital", "influence", "security"]


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


# ------------------------------------------------------------------ i18n formatting

@pytest.mark.parametrize(("value", "en", "es"), [
    (2.6e9, "US$2.6 billion", "US$ 2 600 millones"),
    (86e6, "US$86 million", "US$ 86 millones"),
    (245e6, "US$245 million", "US$ 245 millones"),
    (1.8e9, "US$1.8 billion", "US$ 1 800 millones"),
    (1e6, "US$1 million", "US$ 1 millón"),
    (1.5e6, "US$1.5 million", "US$ 1,5 millones"),
    (15e9, "US$15 billion", "US$ 15 000 millones"),
    (750_000, "US$750,000", "US$ 750 000"),
])
def test_money_formats(value: float, en: str, es: str) -> None:
    assert format_money(value, "USD", "en") == en
    assert plain(format_money(value, "USD", "es")) == es


def test_other_currencies_and_numbers() -> None:
    assert format_money(5e8, "PEN", "en") == "S/\u00a0500 million"
    assert format_money(2e6, "XYZ", "en") == "XYZ 2 million"
    assert format_number(1234567.5, "en") == "1,234,567.5"
    assert plain(format_number(1234567.5, "es")) == "1 234 567,5"
    assert format_count(3e6, "en") == "3 million" and plain(format_count(3e6, "es")) == "3 millones"
    assert format_count(89, "es") == "89"


def test_percent_dates_and_lists() -> None:
    assert format_percent(0.34, "en") == "34%"
    assert plain(format_percent(0.34, "es")) == "34 %"
    assert plain(format_percent(0.625, "es")) == "62,5 %"
    assert format_date("2024-11", "en") == "November 2024"
    assert format_date("2024-11", "es") == "noviembre de 2024"
    assert format_date("2025-09-01", "es") == "1 de septiembre de 2025"
    assert format_date("2013", "es") == "2013"
    assert format_when("2024-11-05", "en") == "on 5 November 2024"
    assert format_when("2024-11", "es") == "en noviembre de 2024"
    assert join_names(["A", "B", "C"], "en") == "A, B and C"
    assert join_names(["A", "Ica"], "es") == "A e Ica"
    with pytest.raises(ValueError):
        format_date("2024", "fr")


def test_docs_show_the_real_formats() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "reports.md").read_text(encoding="utf-8")
    for value in (2.6e9, 86e6):
        assert format_money(value, "USD", "en") in doc and plain(format_money(value, "USD", "es")) in doc
    assert format_date("2024-11-05", "es") in doc and format_percent(0.34, "es").replace(NBSP, " ") in doc
    for area in area_map().areas:
        assert area.title["en"].split()[0].lower() in doc.lower(), area.id


# ------------------------------------------------------------------ sentences

def _claim(predicate: str, roles: dict[str, str], **values: object) -> Claim:
    """A transient claim (never stored) with named entities in roles."""
    claim = Claim(id=f"t-{predicate}", predicate=predicate, quote="q", source_id="s",
                  domain="economy", modality=values.pop("modality", "actual"), **values)
    claim.roles = [ClaimEntity(role=role, entity=Entity(id=name.lower(), schema="Company", name=name))
                   for role, name in roles.items()]
    return claim


def test_optional_segments_and_required_fields() -> None:
    fields = {"subject": "A", "object": "B", "amount": ""}
    assert fill("{subject} bought {object}[ for {amount}]", fields) == "A bought B"
    assert fill("{subject} paid {amount}", fields) is None


def test_acquisition_sentence_in_both_languages() -> None:
    c = _claim("acquired", {"subject": "Zijin", "object": "La Arena", "counterparty": "Pan American"},
               amount_value=245e6, amount_currency="USD", amount_usd=245e6, date="2024-11",
               date_precision="month")
    assert claim_sentence(c, "en").text == "In November 2024, Zijin acquired La Arena from Pan American for US$245 million."
    assert plain(claim_sentence(c, "es").text) == (
        "En noviembre de 2024, Zijin adquirió La Arena de Pan American por US$ 245 millones.")


def test_modality_variant_and_marker() -> None:
    promised = _claim("invests_in", {"subject": "Acme", "object": "Bay Port"}, amount_value=3.5e9,
                      amount_currency="USD", amount_usd=3.5e9, modality="promised")
    assert claim_sentence(promised, "en").text == "Acme promised to invest US$3.5 billion in Bay Port."
    estimated = _claim("caused_loss", {"subject": "Fleet", "object": "Peru"}, amount_value=3e8,
                       amount_currency="USD", amount_usd=3e8, modality="estimated")
    assert claim_sentence(estimated, "es").text.endswith("(estimación).")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_predicate_reads_without_empty_placeholders(lang: str) -> None:
    """Only a subject and a figure: templates fall back, and figures still reach the reader."""
    for predicate in predicates():
        c = _claim(predicate, {"subject": "Acme"}, amount_value=7e6, amount_currency="USD",
                   amount_usd=7e6, date="2021", date_precision="year")
        text = claim_sentence(c, lang).text
        assert "{" not in text and "[" not in text and "()" not in text and "  " not in text, (predicate, text)
        assert "Acme" in text and plain(format_money(7e6, "USD", lang)) in plain(text), (predicate, text)
        assert "2021" in text, (predicate, text)


def test_templates_use_known_fields() -> None:
    known = {"subject", "object", "counterparty", "instrument", "location", "beneficiary", "amount",
             "share", "quantity", "count", "date", "when", "qualifier", "label", "party"}
    for name, spec in predicates().items():
        for lang in ("en", "es"):
            for key, value in spec[lang].items():
                if key.startswith("template"):
                    for template in value if isinstance(value, list) else [value]:
                        assert set(re.findall(r"\{(\w+)\}", template)) <= known, (name, template)


# ------------------------------------------------------------------ areas (data file)

def test_area_map_lists_seven_areas_and_valid_rules() -> None:
    amap = area_map()
    assert [a.id for a in amap.areas if not a.optional] == SEVEN_AREAS
    for rule in amap.rules:
        assert rule.domains is None or rule.domains <= set(domains()), rule
        assert rule.sectors is None or rule.sectors - {None} <= set(sectors()), rule
        assert rule.predicates is None or rule.predicates <= set(predicates()), rule
    with pytest.raises(ValueError, match="unknown area"):
        parse_area_map({"areas": [{"id": "a"}], "fallback": "a", "rules": [{"area": "b"}]})


# ------------------------------------------------------------------ the Peru report

class Anchors(HTMLParser):
    """Citation anchors, notes and area sections of a rendered report."""

    def __init__(self) -> None:
        super().__init__()
        self.cites: list[tuple[str, str]] = []   # (note id, claim id of the enclosing fact)
        self.notes: dict[str, str] = {}           # note id -> claim id
        self.note_text: dict[str, list[str]] = {}
        self.areas: list[str] = []
        self._fact: list[str] = []
        self._note: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "span" and a.get("class") == "fact":
            self._fact.append(a["data-claim"] or "")
        if tag == "a" and "cite" in (a.get("class") or "") and (a.get("href") or "").startswith("#"):
            self.cites.append((a["href"][1:], self._fact[-1] if self._fact else ""))
        if tag == "li" and (a.get("id") or "").startswith("note-"):
            self._note = a["id"]
            self.notes[a["id"]] = a.get("data-claim") or ""
            self.note_text[a["id"]] = []
        if tag == "section" and a.get("data-area"):
            self.areas.append(a["data-area"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._fact:
            self._fact.pop()
        if tag == "li":
            self._note = None

    def handle_data(self, data: str) -> None:
        if self._note:
            self.note_text[self._note].append(data)


@pytest.fixture(scope="module")
def reports(peru_store) -> dict[str, object]:  # noqa: ANN001
    """The Peru report in both languages (built once per backend)."""
    out: dict[str, object] = {}
    with peru_store.reader() as session:
        for lang in ("en", "es"):
            rep = build_report(session, lang=lang, country="pe", today=dt.date(2025, 11, 1))
            out[lang] = rep
            out[f"{lang}.html"] = render_html(rep)
    return out


def _store_claims(store) -> dict[str, Claim]:  # noqa: ANN001
    with store.reader() as session:
        return {c.id: c for c in session.scalars(
            select(Claim).where(Claim.status == "accepted", Claim.country == "pe"))}


def test_report_covers_every_area(reports) -> None:  # noqa: ANN001
    for lang in ("en", "es"):
        rep = reports[lang]
        parsed = Anchors()
        parsed.feed(reports[f"{lang}.html"])
        assert [a for a in parsed.areas if a in SEVEN_AREAS] == SEVEN_AREAS
        for section in rep.areas:
            if section.id in SEVEN_AREAS:
                assert section.count > 0 and section.groups, f"{lang}: area {section.id} is empty"
        assert rep.summary and rep.notes and rep.charts


def test_every_citation_resolves_to_its_quote(peru_store, reports) -> None:  # noqa: ANN001
    claims = _store_claims(peru_store)
    for lang in ("en", "es"):
        parsed = Anchors()
        parsed.feed(reports[f"{lang}.html"])
        assert parsed.cites, "no citations"
        for note_id, fact_claim in parsed.cites:
            assert note_id in parsed.notes, f"{lang}: dangling citation #{note_id}"
            claim_id = parsed.notes[note_id]
            if fact_claim:
                assert fact_claim == claim_id, f"{lang}: sentence for {fact_claim} cites {claim_id}"
            text = html.unescape(" ".join(parsed.note_text[note_id]))
            assert claims[claim_id].quote in text, f"{lang}: note {note_id} lacks the quote"
        # Every claim in scope is stated somewhere, with a note.
        assert set(parsed.notes.values()) == set(claims)


def test_figures_match_the_store(peru_store, reports) -> None:  # noqa: ANN001
    claims = _store_claims(peru_store)
    rep = reports["en"]
    assert rep.counts["claims"] == len(claims)
    sentences = {f.claim_id: f.text for s in rep.areas for g in s.groups for f in g.facts}
    for cid, c in claims.items():
        if c.amount_value is not None:
            assert format_money(c.amount_value, c.amount_currency, "en") in sentences[cid], sentences[cid]
        if c.share is not None:
            assert format_percent(c.share, "en") in sentences[cid], sentences[cid]
    arbitration = [c for c in claims.values() if c.predicate == "arbitration" and c.quantity_value == 89]
    assert arbitration, "the case should record the 89 pending arbitration cases"
    text = sentences[arbitration[0].id]
    assert "89" in text and "US$86 million" in text
    es = {f.claim_id: f.text for s in reports["es"].areas for g in s.groups for f in g.facts}
    assert "US$ 86 millones" in plain(es[arbitration[0].id])
    # Exposure by domain: the chart's table counts what the store holds.
    with peru_store.reader() as session:
        by_domain = dict(session.execute(select(Claim.domain, func.count()).where(
            Claim.status == "accepted", Claim.country == "pe").group_by(Claim.domain)).all())
    table = next(c for c in rep.charts if c.id == "exposure-by-domain").table
    shown = {row[0]: int(row[1].replace(",", "")) for row in table.rows}
    from veeduria.vocab import label
    assert {k: v for k, v in shown.items() if v} == {label("domain", d): n for d, n in by_domain.items()}


def test_spanish_words_and_numbers(reports) -> None:  # noqa: ANN001
    es = plain(reports["es.html"])
    en = reports["en.html"]
    assert 'lang="es"' in es and "Hallazgos principales" in es and "Cadenas de propiedad" in es
    assert re.search(r"\b(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) de 20\d\d", es)
    assert "November 2024" in en and "noviembre de 2024" in es
    assert re.search(r"US\$ \d{1,3}( \d{3})* millones", es)
    assert re.search(r"\d+ %", es) and re.search(r"\d+%", en)
    # Generated amounts only (quotes and qualifiers keep their own words).
    assert not re.search(r"US\$\s?[\d ,.]+ millones", en) and not re.search(r"US\$\s?[\d ,.]+ billion", es)


def test_html_is_self_contained(reports) -> None:  # noqa: ANN001
    for lang in ("en", "es"):
        page = reports[f"{lang}.html"]
        assert not re.search(r"""(src|srcset|data)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
        assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", page, re.I)
        assert "@import" not in page and "<link" not in page and "<script" not in page
        assert "<svg" in page and "<style>" in page and "&#34;DejaVu" not in page


def test_markdown_has_a_footnote_for_every_reference(reports, tmp_path: Path) -> None:  # noqa: ANN001
    text = render_markdown(reports["es"], tmp_path / "charts")
    refs = set(re.findall(r"\[\^(\d+)\](?!:)", text))
    defs = set(re.findall(r"^\[\^(\d+)\]:", text, re.M))
    assert refs and refs == defs
    assert (tmp_path / "charts" / "timeline.svg").is_file()
    assert "## Hallazgos por área" in text


def _pdf_text(pdf: bytes, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    from pypdf import PdfReader

    reader = PdfReader(path)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    else:
        text = "".join(p.extract_text() for p in reader.pages)
    return len(reader.pages), re.sub(r"\s+", "", text)


def test_pdf_renders_with_text(peru_store, tmp_path: Path) -> None:  # noqa: ANN001
    if peru_store.dialect != "sqlite":
        pytest.skip("layout does not depend on the backend; rendered once, on SQLite")
    with peru_store.reader() as session:
        rep = build_report(session, lang="es", country="pe", domains=("military", "law_enforcement"))
    pages, text = _pdf_text(render_pdf(rep), tmp_path)
    assert pages > 1
    assert "Hallazgosporárea" in text and "Cooperaciónenseguridad" in text
    assert "Notas" in text and rep.notes[0].quote.replace(" ", "")[:30] in text


@pytest.mark.slow
def test_full_pdf_report(peru_store, reports, tmp_path: Path) -> None:  # noqa: ANN001
    if peru_store.dialect != "sqlite":
        pytest.skip("layout does not depend on the backend; rendered once, on SQLite")
    pages, text = _pdf_text(render_pdf(reports["en"]), tmp_path)
    assert pages > 20
    for section in ("Politicalrelationship", "Commerceandextractivesectors", "Ownershipchains",
                    "Timelineofkeyevents", "US$86million"):
        assert section in text, section


# ------------------------------------------------------------------ 'since' and the command

def _write_small_case(store) -> None:  # noqa: ANN001
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "Test report", "publisher": "Press",
                          "published": "2025-09", "url": "https://example.org/report"}, "test")
        for eid, name, foreign in (("acme", "Acme Ports", True), ("gov", "Government of Peru", False),
                                   ("bay", "Bay Port", False)):
            upsert_entity(s, EntityRecord(id=eid, schema="Company", name=name, country="pe",
                                          foreign=foreign), "test")
        s.flush()
        base = {"source_id": "src", "status": "accepted", "country": "pe"}
        upsert_claim(s, ClaimRecord(id="old-claim", predicate="operates", quote="Acme operates Bay Port",
                                    entities=[("acme", "subject"), ("bay", "object")], domain="economy",
                                    sector="ports", date="2019", **base), "test")
        upsert_claim(s, ClaimRecord(id="new-claim", predicate="arbitration", quote="89 cases worth $86 million",
                                    entities=[("acme", "subject"), ("gov", "counterparty")],
                                    domain="law_enforcement", amount=Money(86e6, "USD"),
                                    quantity=Quantity(89, "cases"), date="2025-09", **base), "test")
        s.flush()
        s.get(Claim, "old-claim").created_at = dt.datetime(2020, 1, 1)
        s.get(Claim, "new-claim").created_at = dt.datetime(2025, 10, 1)


def test_since_lists_only_claims_added_after(store) -> None:  # noqa: ANN001
    _write_small_case(store)
    with store.reader() as session:
        rep = build_report(session, lang="en", since="2025-01-01")
        none = build_report(session, lang="es", since="2026-01-01")
        without = build_report(session, lang="en")
    assert [f.claim_id for f in rep.changes] == ["new-claim"]
    assert rep.since == "1 January 2025"
    assert none.changes == [] and none.since == "1 de enero de 2026"
    assert without.since is None and 'id="changes"' not in render_html(without)
    page = render_html(rep)
    section = page[page.index('id="changes"'):page.index('id="notes"')]
    assert "US$86 million" in section and "Acme Ports operates" not in section
    # The source's address is a link in the notes, not a fetched resource.
    assert 'href="https://example.org/report"' in page


def test_report_command(store, tmp_path: Path) -> None:  # noqa: ANN001
    from veeduria.cli import cli

    _write_small_case(store)
    runner = CliRunner()
    out = tmp_path / "brief.md"
    result = runner.invoke(cli, ["--db", store.url, "report", "--country", "PE", "--lang", "es",
                                 "--since", "2025-01-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# ") and "Qué cambió desde el 1 de enero de 2025" in text
    assert (tmp_path / "brief_charts" / "exposure-by-domain.svg").is_file()
    html_out = runner.invoke(cli, ["--db", store.url, "report", "--domain", "economy"])
    assert html_out.exit_code == 0 and "<!DOCTYPE html>" in html_out.output
    assert "US$86 million" not in html_out.output  # the arbitration claim is law_enforcement
    bad = runner.invoke(cli, ["--db", store.url, "report", "--since", "last week"])
    assert bad.exit_code == 1 and "bad --since" in bad.output
    no_file = runner.invoke(cli, ["--db", store.url, "report", "--format", "pdf"])
    assert no_file.exit_code == 1 and "-o FILE" in no_file.output
