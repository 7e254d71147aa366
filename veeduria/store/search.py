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
KIND_ORDER = ("entity", "source", "claim")
# Ranking looks at no more than this many candidates per kind (the newest first), so a
# frequent word among millions of claims costs the same as a rare one.
RANK_WINDOW = 2000


def search(session: Session, query: str, *, kinds: Iterable[str] | None = None,
           limit: int = 20, offset: int = 0) -> list[Hit]:
    """Documents matching every word of `query` (the last word as a prefix): entities
    first, then sources, then claims, each kind ranked by relevance."""
    tokens = _TOKEN.findall(fold(query))
    if not tokens:
        return []
    wanted = [k for k in KIND_ORDER if kinds is None or k in set(kinds)]
    dialect = session.get_bind().dialect.name
    hits: list[Hit] = []
    need = offset + limit
    for kind in wanted:
        if len(hits) >= need:
            break
        hits.extend(_search_kind(session, dialect, kind, tokens, need - len(hits)))
    return hits[offset:need]


def _search_kind(session: Session, dialect: str, kind: str, tokens: list[str], limit: int) -> list[Hit]:
    if dialect == "sqlite":
        table = f"search_fts_{kind}"
        match = (" ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*').strip()
        # The rowid of the RANK_WINDOW-th newest match bounds the ranked set; FTS5 applies a
        # rowid range inside the index, so ranking never walks every match.
        floor = session.execute(
            text(f"SELECT rowid FROM {table} WHERE {table} MATCH :match "
                 "ORDER BY rowid DESC LIMIT 1 OFFSET :skip"),
            {"match": match, "skip": RANK_WINDOW - 1},
        ).scalar() or 0
        sql = text(
            f"SELECT d.kind, d.ref_id, d.title, m.rank FROM ("
            f"  SELECT rowid, bm25({table}, 4.0, 1.0) AS rank FROM {table} "
            f"  WHERE {table} MATCH :match AND rowid >= :floor ORDER BY rank LIMIT :limit"
            f") m JOIN search_docs d ON d.id = m.rowid ORDER BY m.rank, d.id"
        )
        params = {"match": match, "limit": limit, "floor": floor}
    else:
        sql = text(
            "SELECT d.kind, d.ref_id, d.title, -ts_rank(d.tsv, to_tsquery('simple', :q)) AS rank "
            "FROM search_docs d WHERE d.id IN ("
            "  SELECT id FROM search_docs WHERE kind = :kind AND tsv @@ to_tsquery('simple', :q) "
            "  ORDER BY id DESC LIMIT :window) "
            "ORDER BY rank, d.id LIMIT :limit"
        )
        params = {"q": " & ".join(tokens[:-1] + [tokens[-1] + ":*"]), "kind": kind,
                  "limit": limit, "window": RANK_WINDOW}
    return [Hit(r.kind, r.ref_id, r.title, float(r.rank)) for r in session.execute(sql, params)]
