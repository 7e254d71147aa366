"""Ingesting PDF, DOCX, HTML and text into the store with candidate claims."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_docs import EN_PAGE1, EN_PAGE2, ES_TEXT, HTML_EN, make_docx, make_pdf
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from veeduria.cases.loader import load_case
from veeduria.cli import cli
from veeduria.sources.pipeline import Ingestor, ingest_file
from veeduria.store.models import AuditEvent, Claim, Entity, Source


def _claims(store, source_id: str) -> list[Claim]:  # noqa: ANN001
    with store.reader() as s:
        return list(s.scalars(select(Claim).where(Claim.source_id == source_id)
                              .options(selectinload(Claim.roles))))


def _text(store, source_id: str) -> str:  # noqa: ANN001
    with store.reader() as s:
        return s.scalar(select(Source.text).where(Source.id == source_id))


def test_pdf_docx_html_in_two_languages(store, mini_case: Path, tmp_path: Path) -> None:  # noqa: ANN001
    load_case(store, mini_case)
    pdf = make_pdf(tmp_path / "report.pdf", [EN_PAGE1, EN_PAGE2])
    docx_path = make_docx(tmp_path / "memo.docx", [ES_TEXT])
    html = tmp_path / "news.html"
    html.write_text(HTML_EN, encoding="utf-8")
    ingestor = Ingestor(store, actor="tester")

    res = ingestor.ingest_path(pdf, {"published": "2025-06"})
    assert res.ok and res.outcome == "created" and res.language == "en", res.errors
    text = _text(store, res.source_id)
    claims = _claims(store, res.source_id)
    assert res.claims == len(claims) > 0
    for c in claims:
        assert text[c.offset_start:c.offset_end] == c.quote and len(c.quote) <= 160
        assert c.status == "candidate" and c.method.startswith("extract")
    acq = [c for c in claims if c.predicate == "acquired"]
    assert acq and acq[0].share == 0.4 and acq[0].amount_usd == 120e6 and acq[0].date == "2024-03"
    assert {r.entity_id for r in acq[0].roles} >= {"acme-port", "bay-port"}
    plan = [c for c in claims if c.amount_value == 2.5e9]
    assert plan and plan[0].modality == "planned" and plan[0].meta["page"] == 2
    with store.reader() as s:
        src = s.get(Source, res.source_id)
        assert src.title == "Acme report" and src.author == "Test Author"
        assert src.meta["pages"][0] == 0 and len(src.meta["pages"]) == 2

    res = ingestor.ingest_path(docx_path, {})
    assert res.ok and res.language == "es", res.errors
    with store.reader() as s:
        src = s.get(Source, res.source_id)
        assert src.title == "Memo sobre Acme" and src.published == "2025-03-20"
    claims = _claims(store, res.source_id)
    inv = [c for c in claims if c.predicate == "invests_in"]
    assert inv and inv[0].amount_value == 300e6 and inv[0].date == "2026"
    signed = [c for c in claims if c.predicate == "signed_agreement"]
    assert signed and signed[0].date == "2024"  # "el año pasado" in a March 2025 memo

    res = ingestor.ingest_path(html, {"published": "2025-01-10"})
    assert res.ok, res.errors
    text = _text(store, res.source_id)
    assert "if (load < capacity)" in text
    assert "tracker" not in text and "$999 billion" not in text and "trillion" not in text
    claims = _claims(store, res.source_id)
    assert not any(c.amount_value in (999e9, 1e12, 5e9) for c in claims)
    assert any(c.predicate == "operates" and c.quantity_value == 1.5e6 for c in claims)


def test_same_document_again_changes_nothing(store, mini_case: Path, tmp_path: Path) -> None:  # noqa: ANN001
    load_case(store, mini_case)
    path = tmp_path / "note.txt"
    path.write_text(EN_PAGE1 + "\n\n" + EN_PAGE2, encoding="utf-8")
    first = ingest_file(store, path, meta={}, actor="a")
    with store.reader() as s:
        counts = (s.scalar(select(func.count(Claim.id))), s.scalar(select(func.count(AuditEvent.id))),
                  s.scalar(select(func.count(Source.id))))
    second = ingest_file(store, path, meta={}, actor="a")
    assert first.ok and second.ok and second.outcome == "unchanged" and second.claims == 0
    assert second.source_id == first.source_id
    with store.reader() as s:
        assert counts == (s.scalar(select(func.count(Claim.id))), s.scalar(select(func.count(AuditEvent.id))),
                          s.scalar(select(func.count(Source.id))))


def test_restating_a_known_claim_links_to_it(store, mini_case: Path, tmp_path: Path) -> None:  # noqa: ANN001
    load_case(store, mini_case)
    path = tmp_path / "restates.txt"
    path.write_text("Acme Group owns 60% of Acme Port Holdings, a filing shows.", encoding="utf-8")
    res = ingest_file(store, path, meta={"published": "2025"}, actor="a")
    assert res.ok and res.duplicates >= 1
    with store.reader() as s:
        dup = s.scalars(select(Claim).where(Claim.source_id == res.source_id,
                                            Claim.duplicate_of.is_not(None))).all()
    assert [d.duplicate_of for d in dup] == ["mini-own-1"]


def test_attach_text_to_a_named_source(store, mini_case: Path, tmp_path: Path) -> None:  # noqa: ANN001
    load_case(store, mini_case)
    path = tmp_path / "other.txt"
    path.write_text("Acme Group is supervised by the State Assets Agency.", encoding="utf-8")
    res = ingest_file(store, path, meta={"source": "other-report"}, actor="a")
    assert res.ok and res.source_id == "other-report" and res.located == 1
    with store.reader() as s:
        assert s.get(Claim, "mini-own-2").offset_start == 0
    bad = ingest_file(store, path, meta={"source": "no-such-source"}, actor="a")
    assert not bad.ok and "no-such-source" in bad.errors[0] and str(path) in bad.errors[0]


@pytest.mark.slow
def test_seed_report_attaches_to_curated_source(store, seed_path: Path) -> None:  # noqa: ANN001
    load_case(store, "pe_prc")
    res = ingest_file(store, seed_path, meta={}, actor="a")
    assert res.ok and res.source_id == "ellis-2025-peru-active-neutrality" and res.located > 50
    assert res.claims > 50 and res.duplicates > 5
    with store.reader() as s:
        curated = s.scalars(select(Claim).where(Claim.method == "curated",
                                                Claim.source_id == res.source_id)).all()
        assert all(c.offset_start is not None for c in curated)
        dups = s.scalars(select(Claim).where(Claim.duplicate_of.is_not(None))).all()
        for d in dups:
            assert s.get(Claim, d.duplicate_of).predicate == d.predicate
        assert s.scalar(select(func.count(Entity.id)).where(Entity.id == "jinzhao")) == 1


def test_cli_ingest_directory_with_summary(store, mini_case: Path, tmp_path: Path) -> None:  # noqa: ANN001
    load_case(store, mini_case)
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text(EN_PAGE1, encoding="utf-8")
    (docs / "sub" / "b.md").write_text("# Nota\n\n" + ES_TEXT, encoding="utf-8")
    (docs / "sub" / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a pdf at all")
    (docs / "ignored.bin").write_bytes(b"\x00\x01")
    result = CliRunner().invoke(cli, ["--db", store.url, "ingest", str(docs), "--actor", "ana"])
    assert result.exit_code == 1, result.output
    assert "broken.pdf" in result.output and "corrupt" in result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("2 documents,") and summary.endswith("1 errors")
    with store.reader() as s:
        assert s.scalar(select(func.count(Source.id)).where(Source.filename.in_(["a.txt", "b.md"]))) == 2
        assert s.scalar(select(func.count(Source.id)).where(Source.filename == "broken.pdf")) == 0
