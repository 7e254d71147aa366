"""Alerts: new claims (candidate or accepted), changes of ownership, screening findings and
conflicts between sources that touch something a watchlist follows.

Each check reads what changed since the watchlist's last check (with an overlap, so a
transaction that committed late is not missed); the unique (watchlist, key) pair makes
the overlap, restarts and re-ingests harmless: the same claim, finding or conflict never
alerts twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from veeduria.monitor.models import Alert, Watchlist
from veeduria.monitor.watch import Watched, ownership_edges, resolve
from veeduria.query import OWNERSHIP_PREDICATES
from veeduria.store import Store
from veeduria.store.models import Claim, ClaimEntity, Entity, Source, utcnow
from veeduria.vocab import label

OVERLAP = dt.timedelta(minutes=10)
MAX_EVENT_CLAIMS = 500  # changed claims per batch whose events are looked at for conflicts
BATCH = 2000
OWNERSHIP = set(OWNERSHIP_PREDICATES) | {"state_supervised_by"}


@dataclass
class CheckResult:
    new: dict[str, int] = field(default_factory=dict)  # watchlist name -> new alerts
    claims_read: int = 0
    findings_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.new.values())


@dataclass
class _Row:
    """What matching needs of a claim (no ORM objects: a check may read a million)."""

    id: str
    updated_at: dt.datetime
    status: str
    domain: str
    country: str | None
    duplicate_of: str | None
    roles: list[str] = field(default_factory=list)  # entity ids


_ROW_COLUMNS = (Claim.id, Claim.updated_at, Claim.status, Claim.domain, Claim.country, Claim.duplicate_of)


def _changed_claims(session: Session, since: dt.datetime) -> Iterator[list[_Row]]:
    """Claims written or changed at or after `since` (not rejected), in batches, keyset
    by (updated_at, id): a bulk ingest gives thousands of claims one timestamp."""
    last: tuple[dt.datetime, str] | None = None
    while True:
        q = select(*_ROW_COLUMNS).where(Claim.status != "rejected").order_by(Claim.updated_at, Claim.id).limit(BATCH)
        if last is None:
            q = q.where(Claim.updated_at >= since)
        else:
            q = q.where(or_(Claim.updated_at > last[0], and_(Claim.updated_at == last[0], Claim.id > last[1])))
        batch = [_Row(*r) for r in session.execute(q).all()]
        if not batch:
            return
        by_id = {r.id: r for r in batch}
        for claim_id, entity_id in session.execute(
                select(ClaimEntity.claim_id, ClaimEntity.entity_id)
                .where(ClaimEntity.claim_id.in_(list(by_id))).order_by(ClaimEntity.position)):
            by_id[claim_id].roles.append(entity_id)
        yield batch
        last = (batch[-1].updated_at, batch[-1].id)


def _row_of(claim: Claim) -> _Row:
    return _Row(claim.id, claim.updated_at, claim.status, claim.domain, claim.country, claim.duplicate_of,
                [r.entity_id for r in claim.roles])


def title_of(predicate: str, roles: list[tuple[str, str]]) -> str:
    """'Subject predicate Object' from (role, entity name) pairs."""
    what = label("predicate", predicate)
    subj = ", ".join(n for r, n in roles if r == "subject")
    obj = ", ".join(n for r, n in roles if r == "object")
    return " ".join(x for x in (subj, what, obj) if x) or what


def claim_title(claim: Claim) -> str:
    return title_of(claim.predicate, [(r.role, r.entity.name if r.entity else r.entity_id) for r in claim.roles])


def _claim_match(row: _Row, w: Watched, countries: dict[str, tuple[str, str | None]]) -> str | None:
    """Why the claim touches the watchlist, or None. `countries`: entity id -> (name,
    country), needed only when the watchlist follows countries."""
    # An entity followed by name explains the match better than one reached through ownership.
    for entity_id in sorted(row.roles, key=lambda e: e not in w.direct):
        if entity_id in w.entities:
            return w.entities[entity_id]
    if row.domain in w.domains:
        return f"domain {label('domain', row.domain)}"
    if w.countries:
        if row.country and row.country.lower() in w.countries:
            return f"country {row.country.upper()}"
        for entity_id in row.roles:
            name, country = countries.get(entity_id, (entity_id, None))
            if (country or "").lower() in w.countries:
                return f"{name} ({(country or '').upper()})"
    return None


def _entity_countries(session: Session, ids: set[str]) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 500):
        for eid, name, country in session.execute(select(Entity.id, Entity.name, Entity.country)
                                                  .where(Entity.id.in_(ordered[i:i + 500]))):
            out[eid] = (name, country)
    return out


def _claim_key(row: _Row) -> str:
    # A candidate restating a known claim is that claim: one alert for both.
    return f"claim:{row.duplicate_of or row.id}"


def _claim_alert_rows(session: Session, fresh: list[tuple[Watchlist, _Row, str]]) -> list[dict[str, Any]]:
    """The alerts' rows, read with three plain queries (a bulk import can make thousands)."""
    ids = sorted({row.id for _, row, _ in fresh})
    claims: dict[str, Any] = {}
    roles: dict[str, list[tuple[str, str, str]]] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        claims.update((c.id, c) for c in session.execute(
            select(Claim.id, Claim.predicate, Claim.status, Claim.quote, Claim.source_id, Claim.domain,
                   Claim.date, Claim.amount_usd, Claim.share).where(Claim.id.in_(part))))
        for claim_id, entity_id, role, name in session.execute(
                select(ClaimEntity.claim_id, ClaimEntity.entity_id, ClaimEntity.role, Entity.name)
                .join(Entity, Entity.id == ClaimEntity.entity_id).where(ClaimEntity.claim_id.in_(part))
                .order_by(ClaimEntity.claim_id, ClaimEntity.position)):
            roles.setdefault(claim_id, []).append((entity_id, role, name))
    src_ids = sorted({c.source_id for c in claims.values()})
    sources: dict[str, Any] = {}
    for i in range(0, len(src_ids), 500):
        sources.update((r.id, r) for r in session.execute(
            select(Source.id, Source.title, Source.url, Source.publisher, Source.published)
            .where(Source.id.in_(src_ids[i:i + 500]))))
    now = utcnow()
    rows = []
    for wl, row, why in fresh:
        c = claims.get(row.id)
        if c is None:
            continue
        src = sources.get(c.source_id)
        parts = roles.get(c.id, [])
        kind = "ownership" if c.predicate in OWNERSHIP else "claim"
        head = "Change of ownership" if kind == "ownership" else f"New {c.status} claim"
        rows.append({
            "watchlist_id": wl.id, "key": _claim_key(row), "kind": kind,
            "title": f"{head}: {title_of(c.predicate, [(r, n) for _, r, n in parts])}", "reason": why,
            "quote": c.quote, "claim_id": c.id, "source_id": c.source_id,
            "source_title": (src.title if src else None) or c.source_id, "source_url": src.url if src else None,
            "link": f"/claim/{c.id}", "created_at": now, "read_at": None, "emailed_at": None, "webhook_at": None,
            "detail": {"status": c.status, "predicate": c.predicate, "domain": c.domain, "date": c.date,
                       "amount_usd": c.amount_usd, "share": c.share,
                       "entities": [{"id": e, "name": n, "role": r} for e, r, n in parts],
                       "publisher": src.publisher if src else None,
                       "published": src.published if src else None}})
    return rows


def _existing_keys(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    by_list: dict[int, list[str]] = {}
    for wl_id, key in pairs:
        by_list.setdefault(wl_id, []).append(key)
    for wl_id, keys in by_list.items():
        for i in range(0, len(keys), 500):
            found.update((wl_id, k) for k in session.scalars(
                select(Alert.key).where(Alert.watchlist_id == wl_id, Alert.key.in_(keys[i:i + 500]))))
    return found


def _insert(session: Session, alert: Alert) -> bool:
    """Add the alert unless its (watchlist, key) exists; True when it is new."""
    if _existing_keys(session, {(alert.watchlist_id, alert.key)}):
        return False
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:  # another checker added it meanwhile
        return False
    return True


def _insert_many(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert alert rows (keys checked before); returns those added."""
    if not rows:
        return []
    try:
        with session.begin_nested():
            for i in range(0, len(rows), 1000):
                session.execute(insert(Alert.__table__), rows[i:i + 1000])
        return rows
    except IntegrityError:  # another checker added some meanwhile: one by one
        return [r for r in rows if _insert(session, Alert(**r))]


def _claim_alerts(session: Session, lists: list[Watchlist], watched: dict[int, Watched],
                  cutoff: dict[int, dt.datetime], batch: list[_Row], result: CheckResult) -> None:
    """Alerts for one batch of changed claims: match on ids, skip keys already alerted,
    then read the few new claims in full."""
    countries: dict[str, tuple[str, str | None]] = {}
    if any(watched[wl.id].countries for wl in lists):
        countries = _entity_countries(session, {e for r in batch for e in r.roles})
    wanted: list[tuple[Watchlist, _Row, str]] = []
    for row in batch:
        for wl in lists:
            if row.updated_at < cutoff[wl.id]:
                continue
            why = _claim_match(row, watched[wl.id], countries)
            if why is not None:
                wanted.append((wl, row, why))
    if not wanted:
        return
    _event_conflicts(session, wanted, result)
    known = _existing_keys(session, {(wl.id, _claim_key(row)) for wl, row, _ in wanted})
    seen: set[tuple[int, str]] = set()
    fresh = []
    for wl, row, why in wanted:
        pair = (wl.id, _claim_key(row))
        if pair not in known and pair not in seen:
            seen.add(pair)
            fresh.append((wl, row, why))
    if not fresh:
        return
    names = {wl.id: wl.name for wl in lists}
    for added in _insert_many(session, _claim_alert_rows(session, fresh)):
        name = names[added["watchlist_id"]]
        result.new[name] = result.new.get(name, 0) + 1


def _event_conflicts(session: Session, wanted: list[tuple[Watchlist, _Row, str]], result: CheckResult) -> None:
    """Sources that disagree about one event (amount, date, share, actor), when a changed
    claim touching a watchlist is part of it."""
    try:
        from veeduria.resolve.events import events_for_claims
    except ModuleNotFoundError:  # events not installed
        return
    ids = sorted({row.id for _, row, _ in wanted})[:MAX_EVENT_CLAIMS]
    if not ids:
        return
    events = events_for_claims(session, ids, ("accepted", "candidate"))
    found: list[tuple[Watchlist, str, str, Any, Any]] = []
    for wl, row, why in wanted:
        ev = events.get(row.id)
        for conflict in (ev.conflicts if ev is not None else []):
            if row.id in {v.get("claim_id") for v in conflict.values}:
                found.append((wl, row.id, why, ev, conflict))
    if not found:
        return
    known = _existing_keys(session, {(wl.id, f"conflict:{c.key}") for wl, _, _, _, c in found})
    claims = {c.id: c for c in session.scalars(select(Claim).where(Claim.id.in_({cid for _, cid, _, _, _ in found}))
                                               .options(selectinload(Claim.source)))}
    seen: set[tuple[int, str]] = set()
    for wl, claim_id, why, ev, conflict in found:
        pair = (wl.id, f"conflict:{conflict.key}")
        claim = claims.get(claim_id)
        if pair in known or pair in seen or claim is None:
            continue
        seen.add(pair)
        src = claim.source
        alert = Alert(watchlist_id=wl.id, key=pair[1], kind="conflict",
                      title=f"Sources disagree on the {conflict.field}: {ev.title('en')}", reason=why,
                      quote=claim.quote, claim_id=claim.id, source_id=claim.source_id,
                      source_title=(src.title if src else None) or claim.source_id,
                      source_url=src.url if src else None, link=f"/claim/{claim.id}",
                      detail={"event": ev.id, "summary": conflict.summary(), **conflict.to_dict()})
        if _insert(session, alert):
            result.new[wl.name] = result.new.get(wl.name, 0) + 1


def check(store: Store, *, rules: list[Any] | None = None, screen: bool = True) -> CheckResult:
    """Look at what changed since each active watchlist's last check and add alerts."""
    result = CheckResult()
    started = utcnow()
    with store.session() as session:
        lists = list(session.scalars(select(Watchlist).where(Watchlist.active.is_(True))
                                     .options(selectinload(Watchlist.targets))))
        lists = [wl for wl in lists if wl.targets]
        if not lists:
            return result
        edges = ownership_edges(session) if any(t.owned for wl in lists for t in wl.targets) else None
        watched = {wl.id: resolve(session, wl, edges) for wl in lists}
        # What was there before a watchlist was made is not news to it.
        cutoff = {wl.id: max(wl.created_at, (wl.checked_until or wl.created_at) - OVERLAP) for wl in lists}
        since = min(cutoff.values())
        accepted_changed = False
        for batch in _changed_claims(session, since):
            result.claims_read += len(batch)
            accepted_changed = accepted_changed or any(r.status == "accepted" for r in batch)
            _claim_alerts(session, lists, watched, cutoff, batch, result)
        _conflicts(session, lists, watched, cutoff, since, result)
        if screen and accepted_changed and any(w.entities or w.rules for w in watched.values()):
            _findings(session, lists, watched, rules, result)
        session.execute(update(Watchlist).where(Watchlist.id.in_([wl.id for wl in lists]))
                        .values(checked_until=started))
    return result


def _conflicts(session: Session, lists: list[Watchlist], watched: dict[int, Watched],
               cutoff: dict[int, dt.datetime], since: dt.datetime, result: CheckResult) -> None:
    """Imported rows that disagree with a stored claim (the resolution review queue)."""
    try:
        from veeduria.resolve.models import ReviewItem
    except ImportError:  # resolution stage not installed
        return
    items = session.scalars(select(ReviewItem).where(ReviewItem.kind == "conflict",
                                                     ReviewItem.created_at >= since)).all()
    for item in items:
        claim = session.scalar(select(Claim).where(Claim.id == item.claim_id).options(
            selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source)))
        if claim is None:
            continue
        countries = _entity_countries(session, {r.entity_id for r in claim.roles})
        stored = (item.detail or {}).get("stored") or {}
        new = (item.detail or {}).get("claim") or {}
        for wl in lists:
            if item.created_at < cutoff[wl.id]:
                continue
            why = _claim_match(_row_of(claim), watched[wl.id], countries)
            if why is None:
                continue
            alert = Alert(
                watchlist_id=wl.id, key=f"conflict:{item.key}", kind="conflict",
                title=f"Sources disagree: {claim_title(claim)}", reason=why,
                quote=(item.name or new.get("quote") or "")[:160] or None, claim_id=claim.id,
                source_id=item.source_id, source_title=item.source_id, source_url=None,
                link=f"/claim/{claim.id}",
                detail={"stored_quote": stored.get("quote") or claim.quote,
                        "stored_source": claim.source_id, "stored_amount_usd": stored.get("amount_usd"),
                        "stored_date": stored.get("date"), "new_amount_usd": (new.get("amount") or {}).get("usd"),
                        "new_date": new.get("date"), "review_item": item.id})
            if _insert(session, alert):
                result.new[wl.name] = result.new.get(wl.name, 0) + 1


def _findings(session: Session, lists: list[Watchlist], watched: dict[int, Watched],
              rules: list[Any] | None, result: CheckResult) -> None:
    """Screening findings about a followed entity or from a followed rule. A finding is
    new to a watchlist when some of its evidence changed after the watchlist was made."""
    from veeduria.screen.engine import run_screening

    result.findings_run = True
    findings = run_screening(session, rules)
    wanted = [(f, wl) for f in findings for wl in lists
              if f.target_id in watched[wl.id].entities or f.rule_id in watched[wl.id].rules]
    if not wanted:
        return
    ids = sorted({c for f, _ in wanted for c in f.claim_ids})
    changed: dict[str, dt.datetime] = {}
    for i in range(0, len(ids), 500):
        changed.update(session.execute(select(Claim.id, Claim.updated_at)
                                       .where(Claim.id.in_(ids[i:i + 500]))).all())
    for f, wl in wanted:
        latest = max((changed[c] for c in f.claim_ids if c in changed), default=None)
        if latest is None or latest <= wl.created_at:
            continue
        first = session.scalar(select(Claim).where(Claim.id.in_(f.claim_ids))
                               .options(selectinload(Claim.source)).order_by(Claim.updated_at.desc()).limit(1))
        w = watched[wl.id]
        why = w.entities.get(f.target_id) or f"rule {f.rule_id}"
        src = first.source if first is not None else None
        alert = Alert(
            watchlist_id=wl.id, key=f"finding:{f.id}", kind="finding",
            title=f"Finding ({f.severity}): {f.title('en')} — {f.target_name}", reason=why,
            quote=first.quote if first is not None else None,
            claim_id=first.id if first is not None else None,
            source_id=first.source_id if first is not None else None,
            source_title=(src.title or src.id) if src is not None else None,
            source_url=src.url if src is not None else None,
            link=f"/entity/{f.target_id}",
            detail={"rule": f.rule_id, "severity": f.severity, "target": f.target_id,
                    "evidence": list(f.claim_ids), "explanation": f.explanation("en")})
        if _insert(session, alert):
            result.new[wl.name] = result.new.get(wl.name, 0) + 1


# --- reading ----------------------------------------------------------------------------------------

def alerts_of(session: Session, watchlist_ids: list[int], *, unread: bool = False,
              limit: int = 100, offset: int = 0) -> list[Alert]:
    if not watchlist_ids:
        return []
    q = select(Alert).where(Alert.watchlist_id.in_(watchlist_ids))
    if unread:
        q = q.where(Alert.read_at.is_(None))
    return list(session.scalars(q.order_by(Alert.created_at.desc(), Alert.id.desc())
                                .limit(limit).offset(offset)))


def unread_counts(session: Session, watchlist_ids: list[int]) -> dict[int, int]:
    if not watchlist_ids:
        return {}
    return dict(session.execute(select(Alert.watchlist_id, func.count()).where(
        Alert.watchlist_id.in_(watchlist_ids), Alert.read_at.is_(None)).group_by(Alert.watchlist_id)).all())


def mark_read(session: Session, watchlist_ids: list[int], alert_ids: list[int] | None = None) -> int:
    """Mark the alerts (default: all of these watchlists') read; returns how many."""
    if not watchlist_ids:
        return 0
    q = update(Alert).where(Alert.watchlist_id.in_(watchlist_ids), Alert.read_at.is_(None))
    if alert_ids is not None:
        q = q.where(Alert.id.in_(alert_ids))
    return session.execute(q.values(read_at=utcnow())).rowcount or 0


def alert_dict(alert: Alert, base_url: str = "") -> dict[str, Any]:
    return {
        "id": alert.id, "kind": alert.kind, "title": alert.title, "reason": alert.reason,
        "quote": alert.quote, "claim_id": alert.claim_id,
        "source": {"id": alert.source_id, "title": alert.source_title, "url": alert.source_url},
        "link": (base_url.rstrip("/") + alert.link) if alert.link else None,
        "created_at": alert.created_at.isoformat() + "Z", "read": alert.read_at is not None,
        "detail": alert.detail or {},
    }


def entity_name(session: Session, entity_id: str) -> str:
    ent = session.get(Entity, entity_id)
    return ent.name if ent is not None else entity_id
