"""The store's tables: sources, entities (with names and identifiers), claims (with their
entities and roles), and an audit trail. Schema changes go through Alembic migrations in
``veeduria/store/migrations``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Source(Base):
    """A document or dataset that claims cite."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="document")
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    # sha256 of the original file's bytes; lets a re-ingest recognise the document.
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The stored text (markup removed); claim offsets point into it. Deferred: it can be large.
    text: Mapped[str | None] = deferred(mapped_column(Text))
    text_length: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    case_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Entity(Base):
    """An actor, asset, project, place or instrument, typed by a FollowTheMoney schema."""

    __tablename__ = "entities"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    schema: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(8), index=True)
    sector: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Linked to the foreign state under watch (set by curators or by resolution).
    foreign: Mapped[bool] = mapped_column(Boolean, default=False)
    # State-linkage class (central_soe, private, state_organ, ...); filled by resolution.
    state_linkage: Mapped[str | None] = mapped_column(String(48))
    # When merged into another entity, the surviving entity's id.
    merged_into: Mapped[str | None] = mapped_column(String(128), index=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    case_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow,
                                                    index=True)

    def description_in(self, lang: str) -> str | None:
        """The description in `lang` where the data gives one (meta description_<lang>)."""
        return (self.meta or {}).get(f"description_{lang}") or self.description

    names: Mapped[list[EntityName]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", order_by="EntityName.id"
    )
    identifiers: Mapped[list[EntityIdentifier]] = relationship(
        back_populates="entity", cascade="all, delete-orphan"
    )


class EntityName(Base):
    """One name of an entity (the primary name is stored here too, kind='name')."""

    __tablename__ = "entity_names"
    __table_args__ = (UniqueConstraint("entity_id", "name", name="uq_entity_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16), default="alias")  # name | alias | acronym | former
    # Lower-cased, accent-folded form used for look-ups.
    normalized: Mapped[str] = mapped_column(String(512), index=True)

    entity: Mapped[Entity] = relationship(back_populates="names")


class EntityIdentifier(Base):
    __tablename__ = "entity_identifiers"
    __table_args__ = (UniqueConstraint("entity_id", "scheme", "value", name="uq_entity_ident"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256), index=True)

    entity: Mapped[Entity] = relationship(back_populates="identifiers")


class Claim(Base):
    """An n-ary sourced statement: predicate, entities with roles, figures, date, evidence."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_status_created", "status", "created_at"),
                      # Deltas (export --since) and the alert check read recent changes.
                      Index("ix_claims_updated_at", "updated_at"))

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    predicate: Mapped[str] = mapped_column(String(64), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    quote: Mapped[str] = mapped_column(Text)
    offset_start: Mapped[int | None] = mapped_column(Integer)
    offset_end: Mapped[int | None] = mapped_column(Integer)
    amount_value: Mapped[float | None] = mapped_column(Float)
    amount_currency: Mapped[str | None] = mapped_column(String(3))
    amount_usd: Mapped[float | None] = mapped_column(Float)
    amount_usd_basis: Mapped[str | None] = mapped_column(String(32))
    share: Mapped[float | None] = mapped_column(Float)
    quantity_value: Mapped[float | None] = mapped_column(Float)
    quantity_unit: Mapped[str | None] = mapped_column(String(32))
    date: Mapped[str | None] = mapped_column(String(10))
    date_precision: Mapped[str | None] = mapped_column(String(8))  # year | month | day
    # Sortable form of `date` (YYYY-MM-DD, missing parts as 01) for range queries.
    date_sort: Mapped[str | None] = mapped_column(String(10))
    place: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(64))
    modality: Mapped[str] = mapped_column(String(16), default="actual")
    qualifier: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    method: Mapped[str] = mapped_column(String(64), default="curated")
    confidence: Mapped[float] = mapped_column(Float, default=0.9)
    note: Mapped[str | None] = mapped_column(Text)
    # Host country the claim is about (ISO alpha-2), for per-country reports.
    country: Mapped[str | None] = mapped_column(String(8))
    case_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # A candidate that restates an existing claim points to it instead of duplicating it.
    duplicate_of: Mapped[str | None] = mapped_column(String(128), index=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    source: Mapped[Source] = relationship()

    def qualifier_in(self, lang: str) -> str | None:
        """The qualifier in `lang` where the data gives a translation (meta qualifier_<lang>)."""
        return (self.meta or {}).get(f"qualifier_{lang}") or self.qualifier

    @property
    def cumulative(self) -> bool:
        """The figure is a running total up to the claim's date (see vocab.is_cumulative)."""
        return bool((self.meta or {}).get("cumulative"))

    roles: Mapped[list[ClaimEntity]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimEntity.position"
    )


class ClaimEntity(Base):
    """An entity's part in a claim."""

    __tablename__ = "claim_entities"
    __table_args__ = (
        UniqueConstraint("claim_id", "entity_id", "role", name="uq_claim_entity_role"),
        Index("ix_claim_entities_entity_role", "entity_id", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"))
    role: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)

    claim: Mapped[Claim] = relationship(back_populates="roles")
    entity: Mapped[Entity] = relationship()


class AuditEvent(Base):
    """Who changed what, when: every write to claims, entities and sources leaves one."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))  # create | update | accept | reject | merge | ...
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(128))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class SearchDoc(Base):
    """Text of entities, claims, sources and passages of source texts for full-text search
    (see veeduria.store.search). SQLite mirrors each group into its own FTS5 table
    (search_fts_<entity|claim|public|source> over title, terms and tags; `public` holds the
    accepted claims); PostgreSQL keeps a generated tsvector column (tsv, not mapped here)
    with a partial GIN index per group."""

    __tablename__ = "search_docs"
    __table_args__ = (UniqueConstraint("kind", "ref_id", name="uq_search_doc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # entity | claim | source | text
    # The object's id; for a passage (kind text) "<source id>#<start offset>".
    ref_id: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # Folded words then their stems: what queries match.
    terms: Mapped[str] = mapped_column(Text, default="")
    # Filter tokens (domain, sector, country, status, dates, source).
    tags: Mapped[str] = mapped_column(Text, default="")


class LoadedCase(Base):
    """Which case version is loaded, so that loading again is recognised."""

    __tablename__ = "loaded_cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
