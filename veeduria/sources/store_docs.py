"""Storing a read document as a source, and attaching offsets to claims that cite it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.sources.document import Document
from veeduria.store.models import Claim, Source
from veeduria.store.search import index_sources
from veeduria.store.writer import upsert_source
from veeduria.text import find_quote


@dataclass
class StoredDocument:
    source_id: str
    outcome: str  # created | updated | unchanged
    located: int = 0
    missing_quotes: list[tuple[str, str]] = field(default_factory=list)  # (claim id, quote)


class UnknownSourceError(LookupError):
    """`--source ID` named a source that is not in the store."""


def store_document(session: Session, doc: Document, actor: str,
                   source_id: str | None = None) -> StoredDocument:
    """Insert the document, or attach its text to the source already known by its content
    hash (e.g. a curated source) or named by `source_id`; then locate the quotes of every
    claim citing it."""
    if source_id is not None:
        existing = session.get(Source, source_id)
        if existing is None:
            raise UnknownSourceError(f"no source with id {source_id!r}")
    else:
        existing = session.scalar(select(Source).where(Source.content_hash == doc.content_hash)
                                  .order_by(Source.created_at).limit(1))
    given = {"title": doc.title, "author": doc.author, "publisher": doc.publisher,
             "published": doc.published, "url": doc.url, "language": doc.language}
    if existing is not None:
        values = {"id": existing.id, "text": doc.text, "text_length": len(doc.text),
                  "filename": existing.filename or doc.filename}
        # Metadata the user passed fills gaps; curated metadata is not overwritten.
        values.update({k: v for k, v in given.items() if v and not getattr(existing, k)})
        if existing.meta is None and doc.meta:
            values["meta"] = doc.meta
        if not existing.content_hash:
            values["content_hash"] = doc.content_hash
    else:
        values = {"id": doc.source_id, "kind": doc.kind, "filename": doc.filename,
                  "content_hash": doc.content_hash, "text": doc.text, "text_length": len(doc.text),
                  "meta": doc.meta or None, **given}
    src, outcome = upsert_source(session, values, actor)
    session.flush()
    index_sources(session, [src.id])
    result = StoredDocument(src.id, outcome)
    for claim in session.scalars(select(Claim).where(Claim.source_id == src.id)):
        span = find_quote(doc.text, claim.quote, hint=claim.offset_start)
        if span is None:
            result.missing_quotes.append((claim.id, claim.quote))
            continue
        if (claim.offset_start, claim.offset_end) != span:
            claim.offset_start, claim.offset_end = span
        result.located += 1
    return result
