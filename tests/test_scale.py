"""Corpus-scale ingest: the batch path (in-process and on a real dask.distributed cluster)
writes exactly what the sequential ingest writes, resumes after a failure without
duplicates, and the synthetic generator is deterministic."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import make_store
from sqlalchemy import func, inspect, select

from veeduria.cli import cli
from veeduria.extract.dedupe import ClaimIndex, ClaimKey
from veeduria.model import ClaimRecord, EntityRecord
from veeduria.query import entity_claims
from veeduria.scale import bulk
from veeduria.scale.claim_index import EntityClaimIndex
from veeduria.scale.dask_ingest import dask_client, ingest_corpus
from veeduria.scale.synthetic import (
    build_synthetic_store,
    store_actors,
    synthetic_names,
    write_corpus,
)
from veeduria.sources.pipeline import Ingestor
from veeduria.store import Store
from veeduria.store.models import AuditEvent, Claim, ClaimEntity, Entity, SearchDoc, Source
from veeduria.store.search import index_claims, index_entities, index_sources, search
from veeduria.store.writer import upsert_entity
from veeduria.text import slugify

CAST = synthetic_names(6, random.Random(3))


def seed_entities(store: Store) -> None:
    """A small cast of firms, public bodies and projects, all known to the store."""
    with store.session() as s:
        for part, schema, foreign in [("foreign", "Company", True), ("host", "Company", False),
                                      ("public", "PublicBody", False), ("project", "Project", False)]:
            for name in CAST[part][:6]:
                upsert_entity(s, EntityRecord(id=f"e-{slugify(name)}", schema=schema,
                                              name=name, foreign=foreign), "test")
    with store.session() as s:
        index_entities(s, s.scalars(select(Entity.id)).all())


def corpus(tmp: Path, store: Store, n: int = 12, seed: int = 5) -> list[Path]:
    return write_corpus(tmp / f"corpus-{seed}", store_actors(store), n, seed=seed, words=150)


def dump(store: Store) -> dict[str, Any]:
    """Everything an ingest writes, without timestamps and autoincrement ids."""
    skip = {"created_at", "updated_at"}
    with store.session() as s:
        claims = {c.id: {k: getattr(c, k) for k in Claim.__table__.columns.keys() if k not in skip}
                  for c in s.scalars(select(Claim))}
        return {
            "claims": claims,
            "roles": sorted(s.execute(select(ClaimEntity.claim_id, ClaimEntity.entity_id,
                                             ClaimEntity.role, ClaimEntity.position)).all()),
            "sources": {x.id: (x.title, x.content_hash, x.meta, x.text_length, x.language, x.filename)
                        for x in s.scalars(select(Source))},
            "entities": sorted(s.execute(select(Entity.id, Entity.name, Entity.schema, Entity.meta)).all()),
            "search": sorted(s.execute(select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.title,
                                              SearchDoc.body)).all()),
            "audit": sorted((a.object_type, a.object_id, a.action, repr(a.changes))
                            for a in s.scalars(select(AuditEvent))),
        }


def sequential(store: Store, paths: list[Path]) -> None:
    ingestor = Ingestor(store, actor="test")
    for path in paths:
        assert ingestor.ingest_path(path, {}).ok


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_entities(store)
    return store


def test_batch_ingest_writes_what_sequential_ingest_writes(seeded: Store, backend: str,
                                                           tmp_path: Path) -> None:
    paths = corpus(tmp_path, seeded, n=8)
    other, db = make_store(backend, tmp_path / "other")
    try:
        seed_entities(other)
        sequential(other, paths)
        summary = ingest_corpus(seeded, paths, actor="test", task_docs=3)
        assert summary.written.documents == len(paths) and not summary.errors
        assert summary.written.claims > len(paths)  # several candidates per document
        assert dump(seeded) == dump(other)
    finally:
        other.dispose()
        if db:
            db.drop()


def test_search_documents_match_the_indexer(seeded: Store, tmp_path: Path) -> None:
    ingest_corpus(seeded, corpus(tmp_path, seeded, n=4), actor="test")
    before = dump(seeded)["search"]
    with seeded.session() as s:
        s.execute(SearchDoc.__table__.delete())
        index_entities(s, s.scalars(select(Entity.id)).all())
        index_claims(s, s.scalars(select(Claim.id)).all())
        index_sources(s, s.scalars(select(Source.id)).all())
    assert dump(seeded)["search"] == before
    with seeded.session() as s:
        named = s.scalar(select(Entity.name).join(ClaimEntity, ClaimEntity.entity_id == Entity.id).limit(1))
        assert search(s, named, kinds=["claim"])


def test_rerun_after_failure_half_way_adds_no_duplicates(seeded: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    paths = corpus(tmp_path, seeded, n=12)
    calls = {"n": 0}
    real_insert = bulk.insert_ignoring_conflicts

    def crash_in_second_batch(conn, table, rows):  # noqa: ANN001
        if table.name == "claim_entities":
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("simulated crash while writing")
        return real_insert(conn, table, rows)

    monkeypatch.setattr(bulk, "insert_ignoring_conflicts", crash_in_second_batch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest_corpus(seeded, paths, actor="test", task_docs=4)
    monkeypatch.undo()
    with seeded.session() as s:
        # The first task's documents are in, the crashed one left nothing half-written.
        assert s.scalar(select(func.count()).select_from(Source)) == 4
        orphans = s.scalar(select(func.count()).select_from(Claim).where(
            ~Claim.id.in_(select(ClaimEntity.claim_id))))
        assert orphans == 0
    summary = ingest_corpus(seeded, paths, actor="test", task_docs=4)
    assert (summary.skipped, summary.written.documents) == (4, 8)
    again = ingest_corpus(seeded, paths, actor="test")
    assert again.skipped == 12 and again.written.documents == 0 and again.written.claims == 0

    fresh = tmp_path / "fresh"
    clean, db = make_store(seeded.dialect if seeded.dialect == "sqlite" else "postgresql", fresh)
    try:
        seed_entities(clean)
        ingest_corpus(clean, paths, actor="test")
        assert dump(seeded)["claims"] == dump(clean)["claims"]
        assert dump(seeded)["roles"] == dump(clean)["roles"]
    finally:
        clean.dispose()
        if db:
            db.drop()


def test_bad_files_are_reported_and_same_content_is_stored_once(seeded: Store, tmp_path: Path) -> None:
    paths = corpus(tmp_path, seeded, n=3)
    binary = tmp_path / "broken.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    copy = tmp_path / "copy.txt"
    copy.write_bytes(paths[0].read_bytes())
    summary = ingest_corpus(seeded, [paths[0], binary, paths[1], empty, paths[2], copy], actor="test")
    assert summary.written.documents == 3 and summary.written.unchanged == 1
    assert len(summary.errors) == 2
    assert any("broken.txt" in e for e in summary.errors) and any("empty.txt" in e for e in summary.errors)


def test_dask_local_cluster_ingest_equals_single_process_run(tmp_path: Path) -> None:
    """A real dask.distributed cluster (2 worker processes) into PostgreSQL writes exactly
    the claims (ids and content) of the sequential single-process ingest, then finishes a
    re-run without duplicates."""
    stores = []
    try:
        for name in ("dask", "single"):
            st, db = make_store("postgresql", tmp_path / name)
            stores.append((st, db))
            seed_entities(st)
        (dask_store, _), (single_store, _) = stores
        paths = corpus(tmp_path, dask_store, n=10, seed=9)
        sequential(single_store, paths)
        with dask_client(workers=2) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            summary = ingest_corpus(dask_store, paths, actor="test", client=client, task_docs=2)
            assert summary.written.documents == 10 and not summary.errors
            # Again through `veeduria ingest --dask ADDRESS`: everything is already in.
            again = CliRunner().invoke(cli, ["--db", dask_store.url, "ingest", "--dask",
                                             client.scheduler.address, str(paths[0].parent)])
            assert again.exit_code == 0, again.output
            assert "10 files: 0 stored, 10 unchanged, 0 errors" in again.output
        got, want = dump(dask_store), dump(single_store)
        assert got["claims"] and got["claims"] == want["claims"]
        assert got == want
    finally:
        for st, db in stores:
            st.dispose()
            if db:
                db.drop()


def test_corpus_generator_is_deterministic(tmp_path: Path) -> None:
    from veeduria.scale.synthetic import Actor

    actors = [Actor("a", "Huaxin Power Group", "Company", True), Actor("b", "Minera Andina S.A.", "Company"),
              Actor("c", "Ministerio de Energía y Minas", "PublicBody"), Actor("d", "Ilo Port", "Project")]
    one = [p.read_bytes() for p in write_corpus(tmp_path / "one", actors, 6, seed=4)]
    two = [p.read_bytes() for p in write_corpus(tmp_path / "two", list(reversed(actors)), 6, seed=4)]
    other = [p.read_bytes() for p in write_corpus(tmp_path / "three", actors, 6, seed=5)]
    assert one == two
    assert one != other
    en, es = one[0].decode(), one[1].decode()
    assert "Huaxin Power Group" in en + es
    assert re.search(r"\b(million|billion|bn)\b", en) and re.search(r"\b(millones|mlls)\b", es)
    assert 450 <= len(en.split()) <= 700  # about the 500 words asked for
    assert re.search(r"\b(acquired|invest|signed|arbitration|financed|build|operates|donated|holds|investigation)\b", en)


def test_entity_claim_index_answers_like_the_reference_index() -> None:
    rng = random.Random(1)
    keys = [ClaimKey(id=f"k{i}", predicate=rng.choice(["owns", "invests_in"]),
                     entities=frozenset(rng.sample("abcdefgh", rng.randint(1, 3))), source_id="s",
                     offsets=None, amount_usd=rng.choice([None, 1e6, 2e6]), share=None,
                     quantity=None, year=rng.choice([None, "2020", "2021"])) for i in range(300)]
    fast, slow = EntityClaimIndex(keys), ClaimIndex(keys)
    for i in range(200):
        ents = rng.sample("abcdefghij", rng.randint(1, 2))
        rec = ClaimRecord(predicate=rng.choice(["owns", "invests_in"]), source_id="t", quote="q",
                          entities=[(e, "subject") for e in ents], domain="economy",
                          date=rng.choice([None, "2020", "2021-05"]))
        assert fast.find(rec) == slow.find(rec), i
    mark = fast.mark()
    fast.add(ClaimKey("new", "owns", frozenset("z"), "s", None, None, None, None, "2020"))
    restating = ClaimRecord("owns", "t", "q", [("z", "subject")], "economy", date="2020")
    assert fast.find(restating) == "new"
    fast.rollback(mark)
    assert fast.find(restating) is None and len(fast) == mark


def test_synthetic_store_and_scale_indexes(store: Store) -> None:
    counts = build_synthetic_store(store, 600, 40, seed=2, chunk=250)
    assert counts == {"entities": 40, "sources": 12, "claims": 600}
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == 600
        busiest = s.execute(select(ClaimEntity.entity_id, func.count()).group_by(ClaimEntity.entity_id)
                            .order_by(func.count().desc()).limit(1)).one()
        claims = entity_claims(s, busiest[0], statuses=("accepted", "candidate", "rejected"))
        assert len(claims) == busiest[1]
        assert search(s, "invests", kinds=["claim"])
    indexes = {ix["name"] for table in ("claims", "claim_entities", "entities")
               for ix in inspect(store.engine).get_indexes(table)}
    assert {"ix_claim_entities_entity_claim", "ix_claims_status_domain_date",
            "ix_claims_status_sector_date", "ix_entities_name"} <= indexes


def test_cli_ingest_batch(seeded: Store, tmp_path: Path) -> None:
    paths = corpus(tmp_path, seeded, n=3)
    runner = CliRunner()
    db = seeded.url
    result = runner.invoke(cli, ["--db", db, "ingest-batch", str(paths[0].parent), "--published", "2024-05"])
    assert result.exit_code == 0, result.output
    assert "3 stored" in result.output
    with seeded.session() as s:
        assert set(s.scalars(select(Source.published))) == {"2024-05"}
    result = runner.invoke(cli, ["--db", db, "ingest-batch", str(paths[0].parent)])
    assert result.exit_code == 0 and "0 stored, 3 unchanged" in result.output
    bad = runner.invoke(cli, ["--db", db, "ingest-batch", str(paths[0]), "--published", "soon"])
    assert bad.exit_code != 0
