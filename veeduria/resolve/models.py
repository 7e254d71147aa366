"""Tables of the resolution stage: judgements (merge, split, match, no-match; undoable) and
the review queue (uncertain matches and import conflicts). Migration: 0002_resolve."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from veeduria.store.models import Base, utcnow

JUDGEMENT_KINDS = ("merge", "split", "match", "no_match", "event_merge", "event_split", "conflict")
REVIEW_KINDS = ("match", "conflict")
REVIEW_STATUSES = ("open", "resolved", "dismissed")


class Judgement(Base):
    """A decision about entity identity (or about events: event_merge, event_split, and
    conflict, where entity_id is the event, other_id the chosen claim, name the field), with
    who, when and why. `data` keeps what the
    decision changed, so that `undo` can put it back."""

    __tablename__ = "resolve_judgements"
    __table_args__ = (Index("ix_resolve_judgements_entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    # merge: the survivor; split: the entity split from; match/no_match: the entity judged.
    entity_id: Mapped[str] = mapped_column(String(128))
    # merge: the entity merged away; split: the new entity.
    other_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # match/no_match/split: the name judged.
    name: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    review_item_id: Mapped[int | None] = mapped_column(Integer)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(128))


class ReviewItem(Base):
    """Something a person should look at: a name that matched uncertainly, or an imported
    row that disagrees with a stored claim. `key` makes re-imports add nothing."""

    __tablename__ = "resolve_review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    name: Mapped[str | None] = mapped_column(Text)
    # match: the (candidate) entity the name was given; conflict: the stored claim.
    entity_id: Mapped[str | None] = mapped_column(String(128))
    claim_id: Mapped[str | None] = mapped_column(String(128))
    source_id: Mapped[str | None] = mapped_column(String(128))
    candidates: Mapped[list[Any] | None] = mapped_column(JSON)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
