"""Read-side questions over the store: find an entity, its profile, its chain of owners,
statistics. Shared by the CLI, the API and reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from veeduria.store.models import Claim, ClaimEntity, Entity, EntityName, Source
from veeduria.store.search import search
from veeduria.text import fold
from veeduria.vocab import NEGATIVE_MODALITIES

STATE_OWNER_SCHEMATA = {"PublicBody"}
# Projects and assets are seldom said to be owned; they are operated or held under a
# concession. Their chain to the state starts with that operator (or concessionaire).
OPERATED_SCHEMATA = ("Project", "Asset", "Vessel", "Airplane", "Vehicle")
OPERATOR_LINKS = (("operates", "subject"), ("granted_concession", "beneficiary"))
# A link that did not happen or has not happened yet is no link.
NOT_A_LINK = (*NEGATIVE_MODALITIES, "planned", "promised")
PLACE_SCHEMATA = ("Address", "Territory")


class AmbiguousName(LookupError):
    """A name that fits several entities ("Chancay": a town and a port)."""

    def __init__(self, name: str, candidates: list[Entity]) -> None:
        self.name, self.candidates = name, candidates
        listed = "\n".join(f"  {e.id:<40} {e.schema:<13} {e.name}" for e in candidates)
        super().__init__(f"{name!r} fits {len(candidates)} entities; name one by its id:\n{listed}")


def _survivor(session: Session, ent: Entity | None) -> Entity | None:
    while ent is not None and ent.merged_into:
        ent = session.get(Entity, ent.merged_into)
    return ent


def name_candidates(session: Session, name: str, limit: int = 12) -> list[Entity]:
    """Every entity a name could mean: an id means itself; else the entities with that exact
    (folded) name or alias. When those are all places, projects and assets named after the
    place are candidates too ("Chancay": the town, the Port of Chancay), as long as the rest
    of their name is short ("port of", "mina de"). No exact match: no candidates (callers
    then try full-text search)."""
    ent = session.get(Entity, name)
    if ent is not None:
        return [_survivor(session, ent)]  # type: ignore[list-item]
    key = fold(name)
    if not key:
        return []
    found: dict[str, Entity] = {}
    for e in session.scalars(select(Entity).join(EntityName).where(EntityName.normalized == key)
                             .order_by(Entity.id)):
        e = _survivor(session, e)
        if e is not None:
            found.setdefault(e.id, e)
    if found and all(e.schema in PLACE_SCHEMATA for e in found.values()):
        words = key.split()
        like = select(EntityName.entity_id, EntityName.normalized).join(Entity).where(
            Entity.schema.in_(OPERATED_SCHEMATA), EntityName.normalized.like(f"%{key}%"))
        for eid, normalized in session.execute(like.limit(200)):
            tokens = normalized.split()
            at = next((i for i in range(len(tokens)) if tokens[i:i + len(words)] == words), None)
            if at is None or len(tokens) - len(words) > 3:
                continue
            e = _survivor(session, session.get(Entity, eid))
            if e is not None:
                found.setdefault(e.id, e)
    return list(found.values())[:limit]


def find_one(session: Session, name: str) -> Entity:
    """The one entity a name means: AmbiguousName when several fit (list them to the user),
    LookupError when none does. Full-text search is the last resort, as in find_entity."""
    found = name_candidates(session, name)
    if len(found) > 1:
        raise AmbiguousName(name, found)
    ent = found[0] if found else find_entity(session, name)
    if ent is None:
        raise LookupError(f"no entity matches {name!r}")
    return ent


def find_entity(session: Session, name: str) -> Entity | None:
    """By id, then by exact (folded) name or alias, then by full-text search."""
    ent = session.get(Entity, name)
    if ent is None:
        key = fold(name)
        ent = session.scalar(
            select(Entity).join(EntityName).where(EntityName.normalized == key)
            .order_by((EntityName.kind != "name"), Entity.id).limit(1)
        )
    if ent is None:
        hits = search(session, name, kinds=["entity"], limit=1)
        ent = session.get(Entity, hits[0].ref_id) if hits else None
    while ent is not None and ent.merged_into:
        ent = session.get(Entity, ent.merged_into)
    return ent


def entity_claims(session: Session, entity_id: str, *, statuses: tuple[str, ...] = ("accepted",),
                  limit: int | None = None) -> list[Claim]:
    # IN (subquery) rather than JOIN + DISTINCT: PostgreSQL cannot DISTINCT over JSON
    # columns, and the semi-join lets both databases stop early under a LIMIT.
    q = (select(Claim)
         .where(Claim.id.in_(select(ClaimEntity.claim_id).where(ClaimEntity.entity_id == entity_id)))
         .where(Claim.status.in_(statuses))
         .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity),
                  selectinload(Claim.source))
         .order_by(Claim.domain, Claim.date_sort, Claim.id))
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


@dataclass
class OwnershipLink:
    owner: Entity
    owned: Entity
    claim: Claim

    @property
    def share(self) -> float | None:
        return self.claim.share

    @property
    def kind(self) -> str:
        """owner | supervisor | operator | concessionaire: how the link holds the entity."""
        return {"state_supervised_by": "supervisor", "operates": "operator",
                "granted_concession": "concessionaire"}.get(self.claim.predicate, "owner")

    def verb(self, lang: str = "en") -> str:
        return LINK_VERBS[self.kind][0 if lang == "en" else 1]

    def when(self, lang: str = "en") -> str:
        """'since 2019-01' for an ownership, 'as of 2025' for an operator (the claim says
        who runs it at that date, not since when)."""
        if not self.claim.date:
            return ""
        word = ("as of" if lang == "en" else "a") if self.kind == "operator" else (
            "since" if lang == "en" else "desde")
        return f"{word} {self.claim.date}"


LINK_VERBS = {"owner": ("owned by", "propiedad de"), "supervisor": ("supervised by", "supervisada por"),
              "operator": ("operated by", "operado por"),
              "concessionaire": ("under a concession to", "en concesión a")}


OWNERSHIP_PREDICATES = ("owns", "acquired")
CONTROL = 0.5


def _in_force(claim: Claim, at: str | None) -> bool:
    return not (at and claim.date_sort and claim.date_sort[: len(at)] > at)


RARE_PREDICATE = 5000


LinkCache = dict[tuple[str, tuple[str, ...], str, str], list[tuple[Claim, str]]]


def _links(session: Session, entity_id: str, predicates: tuple[str, ...], owner_role: str,
           owned_role: str, cache: LinkCache | None = None) -> list[tuple[Claim, str]]:
    key = (entity_id, predicates, owner_role, owned_role)
    if cache is not None and key in cache:
        return cache[key]
    found = _query_links(session, entity_id, predicates, owner_role, owned_role)
    if cache is not None:
        cache[key] = found
    return found


def _query_links(session: Session, entity_id: str, predicates: tuple[str, ...], owner_role: str,
                 owned_role: str) -> list[tuple[Claim, str]]:
    owner = ClaimEntity.__table__.alias("owner")
    owned = ClaimEntity.__table__.alias("owned")
    q = (select(Claim, owner.c.entity_id)
         .join(owned, (owned.c.claim_id == Claim.id) & (owned.c.role == owned_role))
         .join(owner, (owner.c.claim_id == Claim.id) & (owner.c.role == owner_role))
         .where(owned.c.entity_id == entity_id, Claim.predicate.in_(predicates),
                Claim.status == "accepted", Claim.modality.not_in(NOT_A_LINK))
         .options(selectinload(Claim.source), selectinload(Claim.roles)))
    if owned_role == "subject":
        # An entity can be the subject of a great many claims (a state holding company);
        # when the predicates are rare, start from their claims instead.
        ids = session.scalars(select(Claim.id).where(Claim.predicate.in_(predicates),
                                                     Claim.status == "accepted")
                              .limit(RARE_PREDICATE + 1)).all()
        if not ids:
            return []
        if len(ids) <= RARE_PREDICATE:
            q = q.where(Claim.id.in_(ids))
    return list(session.execute(q).all())


def owners_of(session: Session, entity_id: str, at: str | None = None,
              cache: LinkCache | None = None) -> list[OwnershipLink]:
    """Accepted `owns` and `acquired` claims whose object is the entity, in force at date `at`
    (YYYY...): a link dated after `at` is not yet in force, and a controlling acquisition
    ends the links dated before it (as does naming their owner as the seller). Where no
    ownership is recorded, `state_supervised_by` links stand in (the supervisor as owner),
    and for a project or asset its operators and concessionaires (operators_of).
    Negated, denied, planned and promised claims are no links."""
    owned = session.get(Entity, entity_id)
    if owned is None:
        return []
    rows = [(c, o) for c, o in _links(session, entity_id, OWNERSHIP_PREDICATES, "subject", "object",
                                      cache) if _in_force(c, at)]
    if not rows:
        rows = [(c, o) for c, o in _links(session, entity_id, ("state_supervised_by",), "object",
                                          "subject", cache) if _in_force(c, at)]
    if not rows and owned.schema in OPERATED_SCHEMATA:
        return operators_of(session, owned, at, cache)
    acquisitions = [c for c, _ in rows if c.predicate == "acquired"
                    and (c.share is None or c.share >= CONTROL)]
    latest = max((c.date_sort or "" for c in acquisitions), default="")
    sellers = {(r.entity_id, c.date_sort or "") for c in acquisitions for r in c.roles
               if r.role == "counterparty"}
    links = []
    for claim, owner_id in rows:
        when = claim.date_sort or ""
        if claim.predicate != "acquired" and latest and when < latest:
            continue  # superseded by a later controlling acquisition
        if any(s == owner_id and when <= d for s, d in sellers):
            continue  # sold
        owner = session.get(Entity, owner_id)
        while owner is not None and owner.merged_into:
            owner = session.get(Entity, owner.merged_into)
        if owner is not None and owner.id != entity_id:
            links.append(OwnershipLink(owner, owned, claim))
    # Controlling stake first (unknown share counts as control), then the latest.
    # An owner that is itself owned by another of the owners is the immediate parent: it
    # comes first among equal stakes (CSGI before CSG when both are said to own Pluz).
    owner_ids = {link.owner.id for link in links}
    intermediate = {link.owner.id for link in links if len(owner_ids) > 1 and owner_ids & {
        o for _, o in _links(session, link.owner.id, OWNERSHIP_PREDICATES, "subject", "object", cache)}}
    links.sort(key=lambda link: link.claim.date_sort or "", reverse=True)
    links.sort(key=lambda link: (-(link.share if link.share is not None else 1.0),
                                 link.owner.id not in intermediate))
    return links


def operators_of(session: Session, asset: Entity, at: str | None = None,
                 cache: LinkCache | None = None) -> list[OwnershipLink]:
    """Who runs a project or asset: subjects of accepted `operates` claims and beneficiaries
    of `granted_concession` claims about it, one link per operator (its latest claim).
    An operator owned by another of the operators comes first: it is the nearer one (the
    port's local company before the group that controls it), then the best attested."""
    by_operator: dict[str, list[Claim]] = {}
    for predicate, role in OPERATOR_LINKS:
        for claim, op_id in _links(session, asset.id, (predicate,), role, "object", cache):
            if _in_force(claim, at):
                by_operator.setdefault(op_id, []).append(claim)
    links: list[OwnershipLink] = []
    for op_id, claims in by_operator.items():
        op = _survivor(session, session.get(Entity, op_id))
        if op is None or op.id == asset.id or any(lk.owner.id == op.id for lk in links):
            continue
        # Cite the operation itself before the concession, the latest first.
        latest = max(claims, key=lambda c: (c.predicate == "operates", c.date_sort or "", c.id))
        links.append(OwnershipLink(op, asset, latest))
    if len(links) > 1:
        ids = {lk.owner.id for lk in links}
        upstream = {lk.owner.id: {o.owner.id for o in ownership_chain(session, lk.owner.id, at)} & ids
                    for lk in links}
        support = {lk.owner.id: len(by_operator.get(lk.owner.id, [])) for lk in links}
        # The nearest operator is owned (up its chain) by the others, so has the most of them upstream.
        links.sort(key=lambda lk: (-len(upstream[lk.owner.id]), -support[lk.owner.id],
                                   lk.owner.name))
    return links


def ownership_chain(session: Session, entity_id: str, at: str | None = None,
                    max_depth: int = 12) -> list[OwnershipLink]:
    """The chain of controlling owners from the entity up to its ultimate owner."""
    chain: list[OwnershipLink] = []
    seen = {entity_id}
    current = entity_id
    cache: LinkCache = {}  # each level's owners were already read for the level below
    for _ in range(max_depth):
        links = owners_of(session, current, at, cache)
        if not links:
            break
        top = links[0]
        if top.owner.id in seen:
            break
        chain.append(top)
        seen.add(top.owner.id)
        current = top.owner.id
    return chain


@dataclass
class Profile:
    entity: Entity
    chain: list[OwnershipLink]
    claims_by_domain: dict[str, list[Claim]] = field(default_factory=dict)
    owners: list[OwnershipLink] = field(default_factory=list)
    subsidiaries: list[tuple[Entity, Claim]] = field(default_factory=list)


def subsidiaries_of(session: Session, entity_id: str, limit: int | None = 500) -> list[tuple[Entity, Claim]]:
    """Entities the entity is said to own (accepted `owns` claims), largest stake first;
    at most `limit` of them (a state holding company can own thousands)."""
    subj = ClaimEntity.__table__.alias("subj")
    obj = ClaimEntity.__table__.alias("obj")
    q = (select(Claim, Entity)
         .join(subj, (subj.c.claim_id == Claim.id) & (subj.c.role == "subject"))
         .join(obj, (obj.c.claim_id == Claim.id) & (obj.c.role == "object"))
         .join(Entity, Entity.id == obj.c.entity_id)
         .where(subj.c.entity_id == entity_id, obj.c.entity_id != entity_id,
                Claim.predicate == "owns", Claim.status == "accepted")
         .order_by(Claim.share.desc().nulls_last(), Entity.name, Claim.id))
    if limit:
        q = q.limit(limit)
    return [(ent, claim) for claim, ent in session.execute(q).all()]


def profile(session: Session, entity: Entity) -> Profile:
    prof = Profile(entity, ownership_chain(session, entity.id))
    prof.owners = owners_of(session, entity.id)
    prof.subsidiaries = subsidiaries_of(session, entity.id)
    for claim in entity_claims(session, entity.id):
        prof.claims_by_domain.setdefault(claim.domain, []).append(claim)
    return prof


def stats(session: Session, status: str | None = "accepted") -> dict[str, object]:
    q = select(Claim.domain, Claim.sector, func.count()).group_by(Claim.domain, Claim.sector)
    if status:
        q = q.where(Claim.status == status)
    by_domain: Counter[str] = Counter()
    by_sector: Counter[str] = Counter()
    for domain, sector, n in session.execute(q):
        by_domain[domain] += n
        by_sector[sector or "(none)"] += n
    by_status = dict(session.execute(select(Claim.status, func.count()).group_by(Claim.status)).all())
    return {
        "claims": sum(by_domain.values()),
        "by_status": by_status,
        "entities": session.scalar(select(func.count()).select_from(Entity)),
        "sources": session.scalar(select(func.count()).select_from(Source)),
        "by_domain": dict(by_domain.most_common()),
        "by_sector": dict(by_sector.most_common()),
    }
