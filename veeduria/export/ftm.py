"""FollowTheMoney export: entities as their schemata, sources as Documents, claims as
relationship or interval entities (Ownership, UnknownLink, Event) whose `proof` is the
source Document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from followthemoney import model
from followthemoney.proxy import EntityProxy
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.export.claims import iter_claims
from veeduria.store.models import Claim, Entity, Source
from veeduria.vocab import is_negative, label, modality_word

PREFIX = "vd-"


def _id(kind: str, ref: str) -> str:
    return f"{PREFIX}{kind}-{ref}"


def entity_proxy(ent: Entity) -> EntityProxy:
    proxy = model.make_entity(ent.schema)
    proxy.id = _id("ent", ent.id)
    name_prop = "full" if ent.schema == "Address" else "name"
    proxy.add(name_prop, ent.name)
    if proxy.schema.get("alias"):
        proxy.add("alias", [n.name for n in ent.names if n.name != ent.name])
    if ent.country:
        proxy.add("country", ent.country, quiet=True)
    if ent.description and proxy.schema.get("description"):
        proxy.add("description", ent.description)
    if ent.sector and proxy.schema.get("sector"):
        proxy.add("sector", ent.sector)
    for ident in ent.identifiers:
        if proxy.schema.get("registrationNumber"):
            proxy.add("registrationNumber", f"{ident.scheme}:{ident.value}")
    return proxy


def source_proxy(src: Source) -> EntityProxy:
    proxy = model.make_entity("Document")
    proxy.id = _id("src", src.id)
    proxy.add("title", src.title or src.id)
    proxy.add("author", src.author)
    proxy.add("publisher", src.publisher)
    proxy.add("publishedAt", src.published, quiet=True)
    proxy.add("sourceUrl", src.url, quiet=True)
    proxy.add("fileName", src.filename)
    proxy.add("language", src.language, quiet=True)
    proxy.add("contentHash", src.content_hash, quiet=True)
    return proxy


def claim_proxy(claim: Claim) -> EntityProxy:
    roles = [(r.role, r.entity) for r in claim.roles]
    subject = next((e for r, e in roles if r == "subject"), roles[0][1])
    others = [e for r, e in roles if e.id != subject.id]
    if claim.predicate == "owns" and len(others) == 1:
        proxy = model.make_entity("Ownership")
        proxy.add("owner", _id("ent", subject.id))
        proxy.add("asset", _id("ent", others[0].id))
        if claim.share is not None:
            proxy.add("percentage", f"{claim.share * 100:g}")
    elif len(others) == 1:
        proxy = model.make_entity("UnknownLink")
        proxy.add("subject", _id("ent", subject.id))
        proxy.add("object", _id("ent", others[0].id))
    else:
        proxy = model.make_entity("Event")
        proxy.add("name", f"{label('predicate', claim.predicate)}: {subject.name}")
        proxy.add("involved", [_id("ent", e.id) for _, e in roles])
        if claim.place:
            proxy.add("location", claim.place)
    proxy.id = _id("claim", claim.id)
    # FtM links have no modality: say it in the role ("invests in (planned)").
    said = label("predicate", claim.predicate)
    marks = [modality_word(claim.modality, "en")] if claim.modality not in ("actual", "reported") else []
    if claim.cumulative:
        marks.append(modality_word("cumulative", "en"))
    if marks:
        said += f" ({', '.join(marks)})"
    if proxy.schema.get("role"):
        proxy.add("role", said)
    else:
        proxy.add("keywords", claim.predicate)
        for mark in marks:
            proxy.add("keywords", mark)
    proxy.add("proof", _id("src", claim.source_id))
    proxy.add("summary", claim.quote)
    if claim.date:
        proxy.add("startDate", claim.date, quiet=True)
    proxy.add("recordId", claim.id)
    if claim.source.url:
        proxy.add("sourceUrl", claim.source.url, quiet=True)
    if claim.source.publisher:
        proxy.add("publisher", claim.source.publisher)
    return proxy


def mention_proxies(src: Source, known: set[str]) -> Iterator[EntityProxy]:
    """One FtM Mention per name a document's extraction recognised (its `meta.mentions`),
    linked to the Document and, when the store holds it, to the entity it resolved to."""
    by_entity: dict[str, tuple[set[str], str | None]] = {}
    for row in (src.meta or {}).get("mentions") or []:
        try:
            _start, _end, text, entity_id, schema = row
        except (TypeError, ValueError):
            continue  # written by another version: skip rather than fail the export
        names, _ = by_entity.setdefault(str(entity_id), (set(), schema))
        names.add(str(text))
    for entity_id, (names, schema) in sorted(by_entity.items()):
        proxy = model.make_entity("Mention")
        proxy.id = _id("men", f"{src.id}-{entity_id}")
        proxy.add("document", _id("src", src.id))
        proxy.add("name", sorted(names))
        if entity_id in known:
            proxy.add("resolved", _id("ent", entity_id))
        if schema and schema in model.schemata:
            proxy.add("detectedSchema", schema, quiet=True)
        yield proxy


def iter_ftm(session: Session, statuses: tuple[str, ...] = ("accepted",)) -> Iterator[EntityProxy]:
    known = set(session.scalars(select(Entity.id).where(Entity.merged_into.is_(None))))
    for src in session.scalars(select(Source).order_by(Source.id)):
        yield source_proxy(src)
        yield from mention_proxies(src, known)
    ents = session.scalars(select(Entity).where(Entity.merged_into.is_(None)).order_by(Entity.id)
                           .options(selectinload(Entity.names), selectinload(Entity.identifiers)))
    for ent in ents:
        yield entity_proxy(ent)
    for claim in iter_claims(session, statuses=statuses):
        # FtM has no way to say a link did not exist: a denied link is left out (the JSON
        # Lines and CSV exports keep it, with its modality).
        if not is_negative(claim.modality):
            yield claim_proxy(claim)


def write_ftm(session: Session, out: IO[str], statuses: tuple[str, ...] = ("accepted",)) -> int:
    n = 0
    for proxy in iter_ftm(session, statuses):
        out.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        n += 1
    return n
