"""Reviewing candidate claims: list, accept, reject, edit. Every decision leaves an audit
event (who, when, what) and refreshes the claim's search entry. Used by the CLI and the
web dashboard."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from veeduria.extract.fx import to_usd
from veeduria.store.audit import record as audit
from veeduria.store.models import Claim, ClaimEntity, Entity, Source
from veeduria.store.search import index_claims
from veeduria.text import find_quote, parse_partial_date
from veeduria.vocab import MODALITIES, domains, predicates, sectors

EDITABLE = (
    "predicate", "domain", "sector", "date", "place", "modality", "qualifier", "note", "quote",
    "amount_value", "amount_currency", "share", "quantity_value", "quantity_unit", "confidence",
    "entities",
)


class ReviewError(ValueError):
    """A review action that cannot be applied (unknown claim, invalid edit)."""


def list_candidates(session: Session, *, source: str | None = None, domain: str | None = None,
                    entity: str | None = None, limit: int = 50, offset: int = 0,
                    include_duplicates: bool = False) -> list[Claim]:
    """Candidate claims awaiting review, in document order. Candidates that restate a known
    claim (duplicate_of set) are left out unless asked for."""
    q = (select(Claim).where(Claim.status == "candidate")
         .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))
    if not include_duplicates:
        q = q.where(Claim.duplicate_of.is_(None))
    if source:
        q = q.where(Claim.source_id == source)
    if domain:
        q = q.where(Claim.domain == domain)
    if entity:
        q = q.where(Claim.id.in_(select(ClaimEntity.claim_id).where(ClaimEntity.entity_id == entity)))
    q = q.order_by(Claim.source_id, Claim.offset_start, Claim.id).limit(limit).offset(offset)
    return list(session.scalars(q))


def _get(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ReviewError(f"no claim with id {claim_id!r}")
    return claim


def _decide(session: Session, claim_id: str, actor: str, status: str, note: str | None) -> Claim:
    if not actor or not actor.strip():
        raise ReviewError("an actor (who decides) is required")
    claim = _get(session, claim_id)
    old = claim.status
    claim.status = status
    if status == "accepted":
        _confirm_entities(session, claim, actor)
    audit(session, actor, "accept" if status == "accepted" else "reject", "claim", claim.id,
          {"status": [old, status]}, note=note)
    session.flush()
    index_claims(session, [claim.id])
    return claim


def _confirm_entities(session: Session, claim: Claim, actor: str) -> None:
    """Entities the extractor proposed become ordinary entities once a claim using them is
    accepted."""
    for role in claim.roles:
        ent = session.get(Entity, role.entity_id)
        if ent is not None and (ent.meta or {}).get("candidate"):
            ent.meta = {k: v for k, v in ent.meta.items() if k != "candidate"} | {"confirmed_by": actor}
            flag_modified(ent, "meta")
            audit(session, actor, "accept", "entity", ent.id, {"candidate": [True, False]})


def accept_claim(session: Session, claim_id: str, actor: str, note: str | None = None) -> Claim:
    """Accept a claim: it joins the store's accepted claims."""
    return _decide(session, claim_id, actor, "accepted", note)


def reject_claim(session: Session, claim_id: str, actor: str, note: str | None = None) -> Claim:
    return _decide(session, claim_id, actor, "rejected", note)


# Fields an edit may change without sending an accepted claim back to review: the curator's
# note says something about the claim, not what the claim states.
UNREVIEWED_FIELDS = {"note"}


def edit_claim(session: Session, claim_id: str, actor: str, **changes: Any) -> Claim:
    """Change fields of a claim (see EDITABLE). `entities` is a list of (entity_id, role).
    A new quote must be found verbatim in the source's text (offsets follow). Amounts are
    converted to USD again. An accepted claim whose statement changes goes back to
    candidate (the audit event records it). Raises ReviewError on invalid values, changing
    nothing."""
    if not actor or not actor.strip():
        raise ReviewError("an actor (who edits) is required")
    note = changes.pop("note_for_audit", None)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ReviewError(f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})")
    claim = _get(session, claim_id)
    values = {k: v for k, v in changes.items() if k != "entities"}
    predicate = values.get("predicate", claim.predicate)
    spec = predicates().get(predicate)
    if spec is None:
        raise ReviewError(f"unknown predicate {predicate!r}")
    if "domain" in values and values["domain"] not in domains():
        raise ReviewError(f"unknown domain {values['domain']!r}")
    if values.get("sector") and values["sector"] not in sectors():
        raise ReviewError(f"unknown sector {values['sector']!r}")
    if "modality" in values and values["modality"] not in MODALITIES:
        raise ReviewError(f"unknown modality {values['modality']!r}")
    for key in ("amount_value", "share", "quantity_value", "confidence"):
        if values.get(key) is not None:
            try:
                values[key] = float(values[key])
            except (TypeError, ValueError):
                raise ReviewError(f"{key} must be a number, not {values[key]!r}") from None
    if values.get("share") is not None and not 0 <= values["share"] <= 1:
        raise ReviewError(f"share {values['share']} outside [0, 1]")
    if values.get("confidence") is not None and not 0 <= values["confidence"] <= 1:
        raise ReviewError(f"confidence {values['confidence']} outside [0, 1]")
    if "date" in values:
        if values["date"]:
            try:
                date, precision, sort = parse_partial_date(str(values["date"]))
            except ValueError as exc:
                raise ReviewError(str(exc)) from None
            values.update(date=date, date_precision=precision, date_sort=sort)
        else:
            values.update(date=None, date_precision=None, date_sort=None)
    if "quote" in values:
        quote = str(values["quote"] or "").strip()
        if not quote or len(quote) > 160:
            raise ReviewError("a quote needs 1 to 160 characters")
        text = session.scalar(select(Source.text).where(Source.id == claim.source_id))
        if text:
            span = find_quote(text, quote, hint=claim.offset_start)
            if span is None:
                raise ReviewError("the quote is not in the source's text")
            values["offset_start"], values["offset_end"] = span
        values["quote"] = quote
    if {"amount_value", "amount_currency", "date"} & set(values):
        value = values.get("amount_value", claim.amount_value)
        currency = (values.get("amount_currency") or claim.amount_currency or "USD").upper()
        if value is not None:
            if len(currency) != 3 or not currency.isalpha():
                raise ReviewError(f"bad currency {currency!r}")
            date = values.get("date", claim.date)
            usd, basis = to_usd(value, currency, int(date[:4]) if date else None)
            values.update(amount_currency=currency, amount_usd=usd, amount_usd_basis=basis)
    new_roles = None
    if "entities" in changes:
        new_roles = [(str(e), str(r)) for e, r in changes["entities"]]
        if not new_roles:
            raise ReviewError("a claim needs at least one entity")
        for ent_id, role in new_roles:
            if session.get(Entity, ent_id) is None:
                raise ReviewError(f"unknown entity {ent_id!r}")
            if role not in spec["roles"]:
                raise ReviewError(f"role {role!r} not allowed for {predicate}")
    elif "predicate" in values:
        bad = [r.role for r in claim.roles if r.role not in spec["roles"]]
        if bad:
            raise ReviewError(f"roles {', '.join(bad)} not allowed for {predicate}; edit entities too")
    diff: dict[str, Any] = {}
    for key, new in values.items():
        old = getattr(claim, key)
        if old != new:
            diff[key] = [old, new]
            setattr(claim, key, new)
    if new_roles is not None:
        old_roles = [(r.entity_id, r.role) for r in claim.roles]
        if old_roles != new_roles:
            diff["entities"] = [[list(x) for x in old_roles], [list(x) for x in new_roles]]
            claim.roles.clear()
            session.flush()
            for pos, (ent_id, role) in enumerate(dict.fromkeys(new_roles)):
                claim.roles.append(ClaimEntity(entity_id=ent_id, role=role, position=pos))
    if claim.status == "accepted" and set(diff) - UNREVIEWED_FIELDS:
        # What was accepted is not what the claim now says: it needs a new review.
        diff["status"] = [claim.status, "candidate"]
        claim.status = "candidate"
    if diff:
        audit(session, actor, "edit", "claim", claim.id, diff, note=note)
        session.flush()
        index_claims(session, [claim.id])
    return claim
