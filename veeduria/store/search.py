"""Full-text search over entities, claims and sources (SQLite FTS5 / PostgreSQL tsvector)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, selectinload

from veeduria.store.models import Claim, ClaimEntity, Entity, SearchDoc, Source
from veeduria.text import fold
from veeduria.vocab import label


def _body(*parts: str | None) -> str:
    joined = " ".join(p for p in parts if p)
    folded = fold(joined)
    # Folded copy lets PostgreSQL match accent-free queries without the unaccent extension.
    return joined if folded == joined.lower() else f"{joined} {folded}"


def _upsert(session: Session, kind: str, ref_id: str, title: str, body: str) -> None:
    doc = session.scalar(select(SearchDoc).where(SearchDoc.kind == kind, SearchDoc.ref_id == ref_id))
    if doc is None:
        session.add(SearchDoc(kind=kind, ref_id=ref_id, title=title, body=body))
    elif doc.title != title or doc.body != body:
        doc.title, doc.body = title, body


def index_entities(session: Session, ids: Iterable[str]) -> None:
    ids = list(ids)
    for i in range(0, len(ids), 500):
        rows = session.scalars(
            select(Entity).where(Entity.id.in_(ids[i:i + 500])).options(selectinload(Entity.names))
        )
        for ent in rows:
            names = " ".join(n.name for n in ent.names)
            _upsert(session, "entity", ent.id, ent.name,
                    _body(names, ent.description, ent.sector, ent.country, ent.schema))


def index_claims(session: Session, ids: Iterable[str], *, new: bool = False) -> None:
    """`new=True`: the claims were just created and have no search entry yet (skips a
    look-up per claim when ingesting many)."""
    ids = list(ids)
    for i in range(0, len(ids), 500):
        rows = session.scalars(
            select(Claim).where(Claim.id.in_(ids[i:i + 500]))
            .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity))
        )
        for claim in rows:
            names = " ".join(r.entity.name for r in claim.roles)
            body = _body(claim.quote, names, label("predicate", claim.predicate),
                         claim.qualifier, claim.place, claim.note, claim.domain, claim.sector)
            if new:
                session.add(SearchDoc(kind="claim", ref_id=claim.id, title=claim.quote[:200], body=body))
            else:
                _upsert(session, "claim", claim.id, claim.quote[:200], body)


def index_sources(session: Session, ids: Iterable[str]) -> None:
    for src in session.scalars(select(Source).where(Source.id.in_(list(ids)))):
        _upsert(session, "source", src.id, src.title or src.id,
                _body(src.title, src.author, src.publisher, src.filename))


def unindex(session: Session, kind: str, ids: Iterable[str]) -> None:
    session.execute(delete(SearchDoc).where(SearchDoc.kind == kind, SearchDoc.ref_id.in_(list(ids))))


@dataclass
class Hit:
    kind: str
    ref_id: str
    title: str
    rank: float


_TOKEN = re.compile(r"\w+", re.UNICODE)


def search(session: Session, query: str, *, kinds: Iterable[str] | None = None,
           limit: int = 20, offset: int = 0) -> list[Hit]:
    """Rank documents matching every word of `query` (the last word as a prefix)."""
    tokens = _TOKEN.findall(fold(query))
    if not tokens:
        return []
    kinds = list(kinds) if kinds else ["entity", "claim", "source"]
    kind_params = {f"k{i}": k for i, k in enumerate(kinds)}
    kind_sql = ", ".join(f":{k}" for k in kind_params)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        match = " ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*'
        sql = text(
            "SELECT d.kind, d.ref_id, d.title, bm25(search_fts, 4.0, 1.0) AS rank "
            "FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH :match AND d.kind IN ({kind_sql}) "
            "ORDER BY CASE d.kind WHEN 'entity' THEN 0 WHEN 'source' THEN 1 ELSE 2 END, rank "
            "LIMIT :limit OFFSET :offset"
        )
        params = {"match": match.strip(), "limit": limit, "offset": offset, **kind_params}
    else:
        tsq = " & ".join(tokens[:-1] + [tokens[-1] + ":*"])
        sql = text(
            "SELECT d.kind, d.ref_id, d.title, "
            "-ts_rank(to_tsvector('simple', d.title || ' ' || d.body), to_tsquery('simple', :q)) AS rank "
            "FROM search_docs d "
            "WHERE to_tsvector('simple', d.title || ' ' || d.body) @@ to_tsquery('simple', :q) "
            f"AND d.kind IN ({kind_sql}) "
            "ORDER BY CASE d.kind WHEN 'entity' THEN 0 WHEN 'source' THEN 1 ELSE 2 END, rank "
            "LIMIT :limit OFFSET :offset"
        )
        params = {"q": tsq, "limit": limit, "offset": offset, **kind_params}
    return [Hit(r.kind, r.ref_id, r.title, float(r.rank)) for r in session.execute(sql, params)]
