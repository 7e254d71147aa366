"""Bad input: one clear line naming the file, the batch goes on, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_docs import EN_PAGE1, HTML_EN, make_blank_pdf, make_encrypted_pdf, make_pdf
from sqlalchemy import func, select

from veeduria.sources import pipeline
from veeduria.sources.document import DocumentError
from veeduria.sources.pipeline import Ingestor
from veeduria.sources.readers import read_document
from veeduria.store.models import AuditEvent, Claim, ClaimEntity, Entity, SearchDoc, Source


def _error(path: Path, **kw) -> str:  # noqa: ANN003
    with pytest.raises(DocumentError) as info:
        read_document(path, **kw)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF")
    assert "corrupt" in _error(path)


def test_truncated_pdf(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", [EN_PAGE1]).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(good[: len(good) // 3])
    assert "PDF" in _error(path)


def test_encrypted_pdf(tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "plain.pdf", [EN_PAGE1])
    path = make_encrypted_pdf(source, tmp_path / "locked.pdf")
    assert "encrypted" in _error(path)


def test_pdf_without_text(tmp_path: Path) -> None:
    path = make_blank_pdf(tmp_path / "blank.pdf")
    assert "no extractable text" in _error(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert "empty" in _error(path)


def test_binary_file_with_text_extension(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(bytes(range(256)) * 40)
    assert "binary" in _error(path) or "not text" in _error(path)


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    assert "limit" in _error(path, max_bytes=1000)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le", "utf-8-sig"])
def test_wrong_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"nota-{encoding}.txt"
    path.write_bytes("La inversión en el Perú creció según el año.".encode(encoding))
    doc = read_document(path)
    assert doc.text.strip() == "La inversión en el Perú creció según el año."


def test_html_full_of_scripts(tmp_path: Path) -> None:
    noise = "<script>" + "var x = 'Acme Group invests $9 billion';" * 500 + "</script>"
    path = tmp_path / "page.html"
    path.write_text(HTML_EN.replace("<body>", "<body>" + noise * 20), encoding="utf-8")
    text = read_document(path).text
    assert "Acme Port Holdings operates Bay Port" in text
    assert "if (load < capacity) { expand(); }" in text
    assert "var x" not in text and "$9 billion" not in text and "document.write" not in text


def test_html_with_only_scripts(tmp_path: Path) -> None:
    path = tmp_path / "scripts.html"
    path.write_text("<html><body><script>alert(1)</script></body></html>", encoding="utf-8")
    assert "no text" in _error(path)


def test_hostile_text_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "hostile.md"
    hostile = "# T\n\n<script>alert('x')</script> Robert'); DROP TABLE sources;-- \u202e **bold** [l](javascript:alert(1))"
    path.write_text(hostile, encoding="utf-8")
    text = read_document(path).text
    assert "DROP TABLE sources" in text and "<script>" in text


def _counts(store) -> tuple[int, ...]:  # noqa: ANN001
    with store.reader() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Source, Claim, Entity, AuditEvent, SearchDoc))


def test_batch_goes_on_and_keeps_nothing_from_bad_files(store, tmp_path: Path) -> None:  # noqa: ANN001
    good = tmp_path / "good.txt"
    good.write_text(EN_PAGE1, encoding="utf-8")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.5 nonsense")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\xff" * 3000)
    ingestor = Ingestor(store, actor="t")
    results = [ingestor.ingest_path(p, {}) for p in (bad, good, binary)]
    assert [r.ok for r in results] == [False, True, False]
    assert all(len(r.errors) == 1 and str(p) in r.errors[0] for r, p in zip((results[0], results[2]), (bad, binary), strict=True))
    with store.reader() as s:
        assert s.scalars(select(Source.filename)).all() == ["good.txt"]


def test_crash_mid_ingest_leaves_nothing(store, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    first = tmp_path / "first.txt"
    first.write_text(EN_PAGE1 + " The Chinese company Nimbus Ports operates Bay Port.", encoding="utf-8")
    second = tmp_path / "second.txt"
    second.write_text("Acme Group plans to invest $2.5 billion in Bay Port by 2027.", encoding="utf-8")
    before = _counts(store)
    calls = {"n": 0}
    real = pipeline.insert_rows

    def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 2:  # the claims are in; their roles fail
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "insert_rows", failing)
    ingestor = Ingestor(store, actor="t")
    crashed = ingestor.ingest_path(first, {})
    assert not crashed.ok and "disk on fire" in crashed.errors[0] and str(first) in crashed.errors[0]
    assert calls["n"] == 2  # it did fail in the middle, after writing the source and a claim
    assert _counts(store) == before
    monkeypatch.setattr(pipeline, "insert_rows", real)
    ok = ingestor.ingest_path(second, {})
    assert ok.ok and ok.claims >= 1
    again = ingestor.ingest_path(first, {})
    assert again.ok and again.outcome == "created" and again.claims >= 1


def _docs(tmp_path: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = tmp_path / f"doc{i}.txt"
        path.write_text(f"Note {i}. Acme Group plans to invest ${i + 1}.5 billion in Bay Port by 2027.",
                        encoding="utf-8")
        paths.append(path)
    return paths


def test_failing_document_in_a_batch_rolls_back_alone(store, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Documents share a transaction, each in its own savepoint: the failing one leaves
    nothing, the others of the same batch are stored."""
    paths = _docs(tmp_path, 4)
    real = pipeline.insert_rows
    current = {"doc": None}

    def failing(conn, table, rows):  # noqa: ANN001, ANN202
        if table.name == "sources":
            current["doc"] = rows[0]["filename"]
        if table.name == "claim_entities" and current["doc"] == "doc2.txt":
            raise RuntimeError("disk on fire")  # its source and claims are written by now
        return real(conn, table, rows)

    monkeypatch.setattr(pipeline, "insert_rows", failing)
    results = list(Ingestor(store, actor="t", batch_docs=10).ingest_paths(paths, {}))
    assert [r.ok for r in results] == [True, True, False, True]
    assert "doc2.txt" in results[2].errors[0] and "disk on fire" in results[2].errors[0]
    with store.reader() as s:
        assert sorted(s.scalars(select(Source.filename))) == ["doc0.txt", "doc1.txt", "doc3.txt"]
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_type == "source")) == 3
        cited = set(s.scalars(select(Claim.source_id)))
        assert len(cited) == 3 and not any("doc2" in c for c in cited)


def test_crash_mid_batch_keeps_committed_batches_only(store, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A crash (not an error the ingest can report) in the third batch: the first two
    batches are in, in full; nothing of the third; running again stores the rest."""
    paths = _docs(tmp_path, 7)
    real = pipeline.insert_rows
    seen: list[str] = []

    def crashing(conn, table, rows):  # noqa: ANN001, ANN202
        if table.name == "sources":
            seen.append(rows[0]["filename"])
            if rows[0]["filename"] == "doc5.txt":
                raise KeyboardInterrupt
        return real(conn, table, rows)

    monkeypatch.setattr(pipeline, "insert_rows", crashing)
    done = []
    with pytest.raises(KeyboardInterrupt):
        for res in Ingestor(store, actor="t", batch_docs=2).ingest_paths(paths, {}):
            done.append(res)
    assert [r.path for r in done] == [str(p) for p in paths[:4]] and all(r.ok for r in done)
    with store.reader() as s:
        # doc4 was written in the crashed batch before doc5 failed: rolled back with it.
        assert sorted(s.scalars(select(Source.filename))) == [f"doc{i}.txt" for i in range(4)]
        orphans = s.scalar(select(func.count()).select_from(Claim).where(
            ~Claim.id.in_(select(ClaimEntity.claim_id))))
        assert orphans == 0
    monkeypatch.setattr(pipeline, "insert_rows", real)
    again = list(Ingestor(store, actor="t", batch_docs=2).ingest_paths(paths, {}))
    assert [r.outcome for r in again] == ["unchanged"] * 4 + ["created"] * 3
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(Source)) == 7
