"""Watchlists: what a user (or the command line) follows. An entity can be followed with
everything it owns (directly or down a chain) and/or its chain of owners; rules, domains
and countries can be followed too."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.monitor.models import TARGET_KINDS, Watchlist, WatchTarget
from veeduria.query import OWNERSHIP_PREDICATES, ownership_chain
from veeduria.store.models import Claim, ClaimEntity, Entity

MAX_DEPTH = 8  # levels of subsidiaries followed
MAX_OWNED = 5000  # entities followed through one target, at most


class WatchError(ValueError):
    """Bad input for a watchlist; the message says what."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def get_watchlist(session: Session, name: str, user_id: int | None = None) -> Watchlist | None:
    q = select(Watchlist).where(Watchlist.name == name).options(selectinload(Watchlist.targets))
    q = q.where(Watchlist.user_id.is_(None) if user_id is None else Watchlist.user_id == user_id)
    return session.scalar(q)


def watchlists(session: Session, user_id: int | None = None, *, everyone: bool = False) -> list[Watchlist]:
    q = select(Watchlist).options(selectinload(Watchlist.targets)).order_by(Watchlist.name, Watchlist.id)
    if not everyone:
        q = q.where(Watchlist.user_id.is_(None) if user_id is None else Watchlist.user_id == user_id)
    return list(session.scalars(q))


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WatchError(f"{url!r}: a webhook must be an http(s) URL")
    return url.strip()


def check_email(address: str) -> str:
    address = address.strip()
    if not re.fullmatch(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+", address):
        raise WatchError(f"{address!r} is not an e-mail address")
    return address


def ensure_watchlist(session: Session, name: str, *, user_id: int | None = None,
                     email: str | None = None, webhook_url: str | None = None,
                     webhook_secret: str | None = None) -> Watchlist:
    """The watchlist `name` (created when missing); given delivery settings replace the old."""
    name = name.strip()
    if not name or len(name) > 200:
        raise WatchError("a watchlist needs a name of 1-200 characters")
    wl = get_watchlist(session, name, user_id)
    if wl is None:
        wl = Watchlist(name=name, user_id=user_id, token=new_token(), active=True)
        session.add(wl)
    if email is not None:
        wl.email = check_email(email) if email.strip() else None
    if webhook_url is not None:
        wl.webhook_url = check_url(webhook_url) if webhook_url.strip() else None
        if wl.webhook_url and not (webhook_secret or wl.webhook_secret):
            webhook_secret = secrets.token_urlsafe(32)
    if webhook_secret:
        wl.webhook_secret = webhook_secret
    session.flush()
    return wl


def resolve_target(session: Session, kind: str, value: str) -> str:
    """The stored value of a target: an entity's id, a known rule id, domain or country."""
    value = value.strip()
    if kind not in TARGET_KINDS:
        raise WatchError(f"kind must be one of {', '.join(TARGET_KINDS)}")
    if not value:
        raise WatchError(f"empty {kind}")
    if kind == "entity":
        from veeduria.query import find_entity

        ent = find_entity(session, value)
        if ent is None:
            raise WatchError(f"no entity matches {value!r}")
        return ent.id
    if kind == "domain":
        from veeduria.vocab import domains

        if value not in domains():
            raise WatchError(f"unknown domain {value!r}; one of: {', '.join(domains())}")
        return value
    if kind == "country":
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise WatchError(f"{value!r}: give a country as an ISO 3166 alpha-2 code such as pe")
        return value.lower()
    from veeduria.screen.engine import load_rules

    known = {r.id for r in load_rules()}
    if value not in known:
        raise WatchError(f"unknown rule {value!r}; `veeduria screen rules` lists them")
    return value


def add_target(session: Session, wl: Watchlist, kind: str, value: str, *, owned: bool = False,
               owners: bool = False) -> WatchTarget:
    stored = resolve_target(session, kind, value)
    if kind != "entity" and (owned or owners):
        raise WatchError("--chain and --owners apply to entities only")
    for t in wl.targets:
        if t.kind == kind and t.value == stored:
            t.owned, t.owners = t.owned or owned, t.owners or owners
            return t
    target = WatchTarget(kind=kind, value=stored, owned=owned, owners=owners)
    wl.targets.append(target)
    session.flush()
    return target


def remove_target(session: Session, wl: Watchlist, value: str) -> WatchTarget:
    for t in wl.targets:
        if t.value == value.strip() or t.value == value.strip().lower():
            wl.targets.remove(t)
            session.flush()
            return t
    if any(t.kind == "entity" for t in wl.targets):
        from veeduria.query import find_entity

        ent = find_entity(session, value)
        for t in wl.targets:
            if ent is not None and t.kind == "entity" and t.value == ent.id:
                wl.targets.remove(t)
                session.flush()
                return t
    raise WatchError(f"{wl.name!r} does not follow {value!r}")


# --- what a watchlist covers ---------------------------------------------------------------------

@dataclass
class Watched:
    """A watchlist resolved against the store: entity id -> why it is followed."""

    entities: dict[str, str] = field(default_factory=dict)
    direct: set[str] = field(default_factory=set)  # followed by name, not through ownership
    rules: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not (self.entities or self.rules or self.domains or self.countries)


Edges = dict[str, set[str]]


def ownership_edges(session: Session) -> Edges:
    """owner -> what it owns, from every accepted `owns` / `acquired` claim: one query
    starting from the (rare) predicates, then walked in memory for every watchlist."""
    subj = ClaimEntity.__table__.alias("subj")
    obj = ClaimEntity.__table__.alias("obj")
    q = (select(subj.c.entity_id, obj.c.entity_id)
         .select_from(Claim.__table__)
         .join(subj, (subj.c.claim_id == Claim.id) & (subj.c.role == "subject"))
         .join(obj, (obj.c.claim_id == Claim.id) & (obj.c.role == "object"))
         .where(Claim.predicate.in_(OWNERSHIP_PREDICATES), Claim.status == "accepted"))
    edges: Edges = {}
    for owner, owned in session.execute(q):
        if owner != owned:
            edges.setdefault(owner, set()).add(owned)
    return edges


def owned_by(session: Session, entity_id: str, max_depth: int = MAX_DEPTH,
             edges: Edges | None = None) -> dict[str, list[str]]:
    """Everything `entity_id` owns, directly or through subsidiaries: id -> path of owners
    from `entity_id` down to the entity's immediate owner."""
    edges = ownership_edges(session) if edges is None else edges
    paths: dict[str, list[str]] = {entity_id: []}
    frontier = [entity_id]
    for _ in range(max_depth):
        nxt = []
        for owner in frontier:
            for owned in sorted(edges.get(owner, ())):
                if owned not in paths and len(paths) < MAX_OWNED:
                    paths[owned] = [*paths[owner], owner]
                    nxt.append(owned)
        if not nxt:
            break
        frontier = nxt
    paths.pop(entity_id)
    return paths


def _names(session: Session, ids: set[str], cache: dict[str, str]) -> None:
    missing = sorted(i for i in ids if i not in cache)
    for i in range(0, len(missing), 500):
        cache.update(session.execute(select(Entity.id, Entity.name).where(Entity.id.in_(missing[i:i + 500]))).all())


def _name(session: Session, entity_id: str, cache: dict[str, str]) -> str:
    if entity_id not in cache:
        ent = session.get(Entity, entity_id)
        cache[entity_id] = ent.name if ent is not None else entity_id
    return cache[entity_id]


def resolve(session: Session, wl: Watchlist, edges: Edges | None = None) -> Watched:
    """What `wl` covers now (ownership can change: computed on every check). `edges`:
    the ownership graph, when the caller read it already."""
    out = Watched()
    names: dict[str, str] = {}
    for t in wl.targets:
        if t.kind == "rule":
            out.rules.add(t.value)
        elif t.kind == "domain":
            out.domains.add(t.value)
        elif t.kind == "country":
            out.countries.add(t.value)
        elif t.kind == "entity":
            ent = session.get(Entity, t.value)
            seen = set()
            while ent is not None and ent.merged_into and ent.id not in seen:
                seen.add(ent.id)
                ent = session.get(Entity, ent.merged_into)
            if ent is None:
                continue
            names[ent.id] = ent.name
            out.entities[ent.id] = ent.name
            out.direct.add(ent.id)
            if t.owned:
                if edges is None:
                    edges = ownership_edges(session)
                owned = owned_by(session, ent.id, edges=edges)
                _names(session, set(owned) | {e for p in owned.values() for e in p}, names)
                for owned_id, path in owned.items():
                    chain = " → ".join(_name(session, e, names) for e in reversed(path))
                    out.entities.setdefault(owned_id, f"{_name(session, owned_id, names)}, owned by {chain}")
            if t.owners:
                for link in ownership_chain(session, ent.id):
                    out.entities.setdefault(link.owner.id, f"{link.owner.name}, owner of {ent.name}")
    return out


def describe(session: Session, t: WatchTarget) -> str:
    if t.kind != "entity":
        return f"{t.kind} {t.value}"
    ent = session.get(Entity, t.value)
    text = f"entity {ent.name if ent else t.value} ({t.value})"
    extra = [w for w, on in (("and what it owns", t.owned), ("and its owners", t.owners)) if on]
    return text + (" " + " ".join(extra) if extra else "")
