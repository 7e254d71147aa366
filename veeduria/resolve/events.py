"""One event, many sources. Claims of one family (an acquisition, a construction contract,
a visit, ...) that share their target and actors at compatible dates are grouped into an
event; within an event, differing actors, amounts, dates or shares are conflicts; the event
counts each independent source once; and aggregates count one figure per event, chosen by a
documented rule (docs/events.md). Rules and tolerances: veeduria/resolve/data/events.yaml.

Events are computed from the claims, not stored: what an analyst decides (merge two events,
split one, choose a value in a conflict) is kept as an undoable judgement and applied each
time the events are computed."""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.resolve.models import Judgement, ReviewItem
from veeduria.store.audit import record as audit
from veeduria.store.models import Claim, ClaimEntity, Entity, Source, utcnow
from veeduria.text import fold

DATA = Path(__file__).parent / "data" / "events.yaml"
FIELDS = ("actor", "amount", "date", "share")
PROVENANCE_ORDER = ("reviewed", "imported", "extracted")
MAX_CLAIMS = 2_000  # claims read per round for one entity's events (a state holding can name many more)

Related = Callable[[str, str], bool]


class EventError(ValueError):
    pass


@cache
def config() -> dict[str, Any]:
    with open(DATA, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def _families() -> dict[str, str]:
    return {p: name for name, fam in config()["families"].items() for p in fam["predicates"]}


def family_of(predicate: str) -> str | None:
    return _families().get(predicate)


def family_predicates() -> list[str]:
    return sorted(_families())


def provenance(method: str | None) -> str:
    """reviewed | imported | extracted, from how the claim was made."""
    m = (method or "").split(":", 1)[0]
    for cls in PROVENANCE_ORDER:
        if m in config()["provenance"][cls]:
            return cls
    return "extracted"


@dataclass
class Member:
    """A claim as the event logic sees it (built from a stored claim or a screening view)."""

    id: str
    predicate: str
    roles: list[tuple[str, str]]
    modality: str = "actual"
    date: str | None = None
    date_sort: str | None = None
    amount_usd: float | None = None
    amount_value: float | None = None
    amount_currency: str | None = None
    amount_basis: str | None = None
    share: float | None = None
    source_id: str = ""
    source_title: str | None = None
    source_key: str = ""
    method: str = "curated"
    status: str = "accepted"
    confidence: float = 0.9
    note: str | None = None
    quote: str = ""
    qualifier: str | None = None
    duplicate_of: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # entity id -> name

    @property
    def family(self) -> str | None:
        return family_of(self.predicate)

    def entities(self, *roles: str) -> set[str]:
        return {e for e, r in self.roles if r in roles}

    @property
    def subjects(self) -> set[str]:
        return self.entities("subject")

    @functools.cached_property
    def cumulative(self) -> bool:
        cum = config()["cumulative"]
        if self.modality in cum["modalities"]:
            return True
        text = fold(" ".join(x for x in (self.qualifier, self.quote) if x))
        return any(fold(w) in text for w in cum["words"])

    @property
    def provenance(self) -> str:
        return provenance(self.method)

    def rank(self) -> tuple:
        """Sort key of the counting rule: smaller is preferred."""
        precision = len(self.date or "")
        return (PROVENANCE_ORDER.index(self.provenance), self.status != "accepted",
                -self.confidence, -precision, self.id)

    def name(self, eid: str) -> str:
        return self.names.get(eid, eid)


def source_key(src: Source | None, source_id: str) -> str:
    """What makes two sources one: every edition of a dataset is its publisher's dataset,
    and a document marked as repeating another (meta origin/wire) is that origin."""
    if src is None:
        return source_id
    meta = src.meta or {}
    origin = meta.get("origin") or meta.get("wire")
    if origin:
        return f"origin:{fold(str(origin))}"
    if src.kind == "dataset" and (meta.get("dataset") or src.publisher):
        return f"dataset:{fold(str(src.publisher or meta.get('dataset')))}"
    return f"source:{src.id}"


def member_from_claim(claim: Claim, src: Source | None = None) -> Member:
    src = src if src is not None else claim.source
    return Member(
        id=claim.id, predicate=claim.predicate,
        roles=[(r.entity_id, r.role) for r in claim.roles], modality=claim.modality,
        date=claim.date, date_sort=claim.date_sort, amount_usd=claim.amount_usd,
        amount_value=claim.amount_value, amount_currency=claim.amount_currency,
        amount_basis=claim.amount_usd_basis, share=claim.share, source_id=claim.source_id,
        source_title=src.title if src is not None else None,
        source_key=source_key(src, claim.source_id), method=claim.method, status=claim.status,
        confidence=claim.confidence, note=claim.note, quote=claim.quote,
        qualifier=claim.qualifier, duplicate_of=claim.duplicate_of,
        names={r.entity_id: r.entity.name for r in claim.roles if r.entity is not None})


# --- dates, amounts ---------------------------------------------------------------------------

def _ym(date: str | None) -> tuple[int, int | None] | None:
    if not date or len(date) < 4 or not date[:4].isdigit():
        return None
    month = int(date[5:7]) if len(date) >= 7 and date[5:7].isdigit() else None
    return int(date[:4]), month


def month_gap(a: str | None, b: str | None) -> int | None:
    """Months between two partial dates; 0 when a coarser date contains the finer one."""
    x, y = _ym(a), _ym(b)
    if x is None or y is None:
        return None
    if x[1] is None or y[1] is None:
        return abs(x[0] - y[0]) * 12
    return abs((x[0] * 12 + x[1]) - (y[0] * 12 + y[1]))


def close(a: float | None, b: float | None, tolerance: float | None = None) -> bool:
    if a is None or b is None:
        return True
    tol = config()["amount_tolerance"] if tolerance is None else tolerance
    return abs(a - b) <= tol * max(abs(a), abs(b))


def _comparable(a: Member, b: Member) -> bool:
    return a.amount_usd is not None and b.amount_usd is not None and (
        (a.amount_basis or "nominal") == (b.amount_basis or "nominal"))


# --- grouping ----------------------------------------------------------------------------------

def same_event(a: Member, b: Member, related: Related) -> str | None:
    """Why `a` and `b` describe one event, or None when they do not."""
    fam_name = a.family
    if fam_name is None or fam_name != b.family:
        return None
    grouped = config()["grouped_modalities"]
    if a.modality not in grouped or b.modality not in grouped or a.cumulative != b.cumulative:
        return None
    fam = config()["families"][fam_name]
    gap = month_gap(a.date, b.date)
    if gap is not None and gap > fam["window_months"]:
        return None
    same_actor = any(related(x, y) for x in a.subjects for y in b.subjects)
    if fam.get("same_subject") and not same_actor:
        return None
    targets = fam["targets"]
    ta, tb = a.entities(*targets), b.entities(*targets)
    pa, pb = a.entities(*fam["parties"]), b.entities(*fam["parties"])
    amounts_agree = not _comparable(a, b) or close(a.amount_usd, b.amount_usd)
    if a.share is not None and b.share is not None and abs(a.share - b.share) > config()["share_tolerance"] \
            and not amounts_agree and not pa & pb:
        return None  # another tranche of the same holding
    shared = ta & tb
    if shared:
        what = ", ".join(sorted(a.name(t) for t in shared))
        if gap is None and not same_actor:
            return None
        if same_actor:
            return f"same {fam_name} of {what} by the same or a linked actor"
        if pa & pb:
            return (f"same {fam_name} of {what} with the same counterparty "
                    f"({', '.join(sorted(a.name(p) for p in pa & pb))})")
        if gap == 0 and amounts_agree:
            return f"same {fam_name} of {what} in the same period for the same amount"
        return None
    if ta and tb:
        return None  # different targets
    if not same_actor or gap is None:
        return None
    if pa & pb and gap <= fam["window_months"]:
        return (f"same actor and same counterparty ({', '.join(sorted(a.name(p) for p in pa & pb))}); "
                f"one source names no target")
    if gap == 0 and _comparable(a, b) and amounts_agree and not (pa and pb and not pa & pb):
        return "same actor, same period and amount; one source names no target"
    return None


def distinct(a: Member, b: Member) -> bool:
    """Claims that cannot be one event: of different families, naming different targets, or
    two tranches (different shares for different amounts)."""
    if a.family != b.family:
        return True
    fam = config()["families"][a.family or ""]
    ta, tb = a.entities(*fam["targets"]), b.entities(*fam["targets"])
    if ta and tb and not ta & tb:
        return True
    gap = month_gap(a.date, b.date)
    if gap is not None and gap > fam["window_months"]:
        return True
    return (a.share is not None and b.share is not None
            and abs(a.share - b.share) > config()["share_tolerance"]
            and _comparable(a, b) and not close(a.amount_usd, b.amount_usd)
            and a.id not in (b.duplicate_of or "") and b.id not in (a.duplicate_of or ""))


@dataclass
class Conflict:
    field: str
    values: list[dict[str, Any]]      # one per claim: claim_id, source_id, source, value, display
    key: str
    within_source: bool = False
    notes: list[dict[str, str]] = field(default_factory=list)
    decided: dict[str, Any] | None = None  # judgement id, claim_id, reason, actor

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "key": self.key, "within_source": self.within_source,
                "values": self.values, "notes": self.notes, "decided": self.decided}

    def summary(self) -> str:
        parts = "; ".join(f"{v['display']} ({v['source'] or v['source_id']})" for v in self.values)
        where = "one source contradicts itself" if self.within_source else "sources disagree"
        return f"{where} on the {self.field}: {parts}"


@dataclass
class Event:
    id: str
    family: str
    members: list[Member]
    reasons: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)  # claim id -> to-date claim covering it
    counted: Member | None = None
    judgements: list[int] = field(default_factory=list)

    @property
    def claim_ids(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def sources(self) -> list[str]:
        """Independent sources (editions of one dataset, or repeats of one story, are one)."""
        return sorted({m.source_key for m in self.members})

    @property
    def corroboration(self) -> int:
        return len(self.sources)

    @property
    def date(self) -> str | None:
        return self.counted.date if self.counted else None

    @property
    def amount_usd(self) -> float | None:
        return self.counted.amount_usd if self.counted else None

    def title(self, lang: str = "en") -> str:
        m = self.counted or self.members[0]
        fam = config()["families"][self.family]
        who = ", ".join(sorted({m.name(e) for e in m.subjects})) or "?"
        if any(c.field == "actor" for c in self.conflicts):  # name every actor the sources give
            who = " / ".join(dict.fromkeys(", ".join(sorted(x.name(e) for e in x.subjects))
                                           for x in self.members if x.subjects and x.id not in self.parts))
        what = ", ".join(sorted({m.name(e) for e in m.entities(*fam["targets"])})
                         or sorted({m.name(e) for e in m.entities(*fam["parties"])})) or ""
        from veeduria.vocab import label

        return f"{who}: {label('predicate', m.predicate, lang)}" + (f" {what}" if what else "") + \
            (f" ({m.date})" if m.date else "")

    def to_dict(self) -> dict[str, Any]:
        c = self.counted
        return {
            "id": self.id, "family": self.family, "title": self.title(),
            "claims": self.claim_ids, "reasons": self.reasons,
            "corroboration": self.corroboration, "sources": self.sources,
            "conflicts": [x.to_dict() for x in self.conflicts],
            "parts": self.parts,
            "counted": ({"claim_id": c.id, "amount_usd": c.amount_usd, "date": c.date,
                         "rule": counted_rule(self)} if c else None),
        }


def _event_id(members: list[Member]) -> str:
    # The anchor is the best-established claim with the smallest id: imports joining an
    # event later do not change its id.
    best = min(PROVENANCE_ORDER.index(m.provenance) for m in members)
    anchor = min(m.id for m in members if PROVENANCE_ORDER.index(m.provenance) == best)
    if len(anchor) <= 100:
        return f"ev-{anchor}"
    return "evh-" + hashlib.sha256(anchor.encode()).hexdigest()[:24]


class _Union:
    def __init__(self, ids: Iterable[str]) -> None:
        self.parent = {i: i for i in ids}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _candidate_pairs(members: list[Member]) -> Iterable[tuple[Member, Member]]:
    """Pairs worth testing: same family, sharing an entity (sorted by date within a bucket)."""
    buckets: dict[tuple[str, str], list[Member]] = defaultdict(list)
    for m in members:
        fam = m.family
        if fam is None:
            continue
        for eid in {e for e, _ in m.roles}:
            buckets[(fam, eid)].append(m)
    seen: set[tuple[str, str]] = set()
    for items in buckets.values():
        items.sort(key=lambda m: (m.date_sort or "", m.id))
        for i, a in enumerate(items):
            for b in items[i + 1:i + 200]:
                key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                if key not in seen:
                    seen.add(key)
                    yield a, b


def build_events(members: list[Member], related: Related,
                 judgements: list[Judgement] | None = None) -> list[Event]:
    """Group claims into events (each claim of an event family is in exactly one event)."""
    members = [m for m in members if m.family is not None]
    by_id = {m.id: m for m in members}
    edges: dict[tuple[str, str], str] = {}
    for a, b in _candidate_pairs(members):
        why = same_event(a, b, related)
        if why:
            edges[(a.id, b.id)] = why
    for m in members:
        if m.duplicate_of and m.duplicate_of in by_id:
            edges[(m.id, m.duplicate_of)] = "restates the other claim (found a duplicate on import)"
    # A to-date figure includes the earlier figures of its actor for the same target.
    parts: dict[str, str] = {}
    by_target: dict[tuple[str, str], list[Member]] = defaultdict(list)
    for m in members:
        if m.modality == "actual" and not m.cumulative:
            for t in m.entities(*config()["families"][m.family or ""]["targets"]):
                by_target[(m.family or "", t)].append(m)
    for c in members:
        if not c.cumulative or c.modality not in config()["grouped_modalities"]:
            continue
        fam = config()["families"][c.family or ""]
        near = {m.id: m for t in c.entities(*fam["targets"]) for m in by_target[(c.family or "", t)]}
        for m in near.values():
            if not any(related(x, y) for x in c.subjects for y in m.subjects):
                continue
            if m.date_sort and c.date_sort and m.date_sort <= c.date_sort:
                parts[m.id] = c.id
                edges[(m.id, c.id)] = (f"dated before the figure to date of {c.id}, "
                                       "which includes it")
    # Analysts' judgements, oldest first: a split cuts links, a merge adds one.
    cuts: list[tuple[set[str], set[str]]] = []
    for j in sorted(judgements or [], key=lambda j: j.id):
        data = j.data or {}
        if j.kind == "event_split":
            moved, rest = set(data.get("claims", [])), set(data.get("rest", []))
            cuts.append((moved, rest))
            for a, b in [k for k in edges if (k[0] in moved and k[1] in rest) or (k[1] in moved and k[0] in rest)]:
                del edges[(a, b)]
        elif j.kind == "event_merge":
            left, right = set(data.get("claims_a", [])), set(data.get("claims_b", []))
            cuts = [(x, y) for x, y in cuts if not ((x & left and y & right) or (x & right and y & left))]
            a = next((i for i in sorted(left) if i in by_id), None)
            b = next((i for i in sorted(right) if i in by_id), None)
            if a and b:
                edges[(a, b)] = f"merged by {j.actor}: {j.reason or ''}".strip()
    uf = _Union(by_id)
    comps: dict[str, list[Member]] = {m.id: [m] for m in members}
    forced = {k for k, why in edges.items() if why.startswith(("merged by", "restates", "dated before"))}

    def order(item: tuple[tuple[str, str], str]) -> tuple:
        (a, b), _ = item
        return (item[0] not in forced, month_gap(by_id[a].date, by_id[b].date) or 0, a, b)

    # Closest pairs join first; two claims that cannot be one event (different targets,
    # different tranches) keep their groups apart even when a third claim resembles both.
    for (a, b), _ in sorted(edges.items(), key=order):
        if any((a in x and b in y) or (a in y and b in x) for x, y in cuts):
            continue
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        if (a, b) not in forced and any(distinct(x, y) for x in comps[ra] for y in comps[rb]):
            continue
        joined = comps.pop(ra) + comps.pop(rb)
        uf.join(a, b)
        comps[uf.find(a)] = joined
    groups: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        groups[uf.find(m.id)].append(m)
    events = []
    for items in groups.values():
        items.sort(key=lambda m: (m.date_sort or "", m.id))
        ids = {m.id for m in items}
        ev = Event(id=_event_id(items), family=items[0].family or "", members=items)
        ev.reasons = [{"claims": f"{a} + {b}", "a": a, "b": b, "reason": why}
                      for (a, b), why in sorted(edges.items()) if a in ids and b in ids
                      and uf.find(a) == uf.find(b)]
        ev.parts = {k: v for k, v in parts.items() if k in ids and v in ids}
        ev.conflicts = find_conflicts(ev, related)
        _apply_decisions(ev, judgements or [])
        ev.counted = choose_counted(ev)
        events.append(ev)
    events.sort(key=lambda e: (e.date or "", e.id))
    return events


# --- conflicts ---------------------------------------------------------------------------------

def _money(value: float | None) -> str:
    if value is None:
        return ""
    for div, word in ((1e9, "billion"), (1e6, "million")):
        if abs(value) >= div:
            return f"US${value / div:,.3g} {word}"
    return f"US${value:,.0f}"


def _conflict_key(ev: Event, fld: str, ids: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(["event-conflict", fld, *sorted(ids)]).encode()).hexdigest()[:40]


def find_conflicts(ev: Event, related: Related) -> list[Conflict]:
    """Differing actors, amounts beyond tolerance, dates or shares among an event's claims
    (a to-date figure and the parts it includes are not compared)."""
    ids = set(ev.claim_ids)
    # A claim restating another member (a later edition's row) adds no value of its own.
    ms = [m for m in ev.members if m.id not in ev.parts and m.duplicate_of not in ids]
    if len(ms) < 2:
        return []
    out = []

    def add(fld: str, involved: list[Member], display: Callable[[Member], str],
            value: Callable[[Member], Any]) -> None:
        values = [{"claim_id": m.id, "source_id": m.source_id, "source": m.source_title,
                   "value": value(m), "display": display(m), "quote": m.quote} for m in involved]
        notes = [{"claim_id": m.id, "note": m.note} for m in ev.members if m.note]
        # Keyed by the best-established claim giving each value: the same disagreement
        # found again (after another import) is the same review item.
        firsts: dict[str, Member] = {}
        for m in sorted(involved, key=lambda m: m.rank()):
            firsts.setdefault(repr(value(m)), m)
        out.append(Conflict(fld, values, _conflict_key(ev, fld, (m.id for m in firsts.values())),
                            within_source=len({m.source_id for m in involved}) == 1, notes=notes))

    actors = [m for m in ms if m.subjects]
    if any(not any(related(x, y) for x in a.subjects for y in b.subjects)
           for i, a in enumerate(actors) for b in actors[i + 1:]):
        add("actor", actors, lambda m: ", ".join(sorted(m.name(e) for e in m.subjects)),
            lambda m: sorted(m.subjects))
    money = [m for m in ms if m.amount_usd is not None]
    if any(_comparable(a, b) and not close(a.amount_usd, b.amount_usd)
           for i, a in enumerate(money) for b in money[i + 1:]):
        add("amount", money, lambda m: _money(m.amount_usd), lambda m: m.amount_usd)
    dated = [m for m in ms if _ym(m.date)]
    if any(month_gap(a.date, b.date) for i, a in enumerate(dated) for b in dated[i + 1:]):
        add("date", dated, lambda m: m.date or "", lambda m: m.date)
    shares = [m for m in ms if m.share is not None]
    tol = config()["share_tolerance"]
    if any(abs((a.share or 0) - (b.share or 0)) > tol for i, a in enumerate(shares) for b in shares[i + 1:]):
        add("share", shares, lambda m: f"{(m.share or 0) * 100:g}%", lambda m: m.share)
    return out


def _apply_decisions(ev: Event, judgements: list[Judgement]) -> None:
    ids = set(ev.claim_ids)
    for j in sorted(judgements, key=lambda j: j.id):
        if j.kind in ("event_merge", "event_split"):
            data = j.data or {}
            touched = set(data.get("claims", [])) | set(data.get("claims_a", [])) | set(data.get("claims_b", []))
            if touched & ids:
                ev.judgements.append(j.id)
            continue
        if j.kind != "conflict" or j.other_id not in ids:
            continue
        for c in ev.conflicts:
            if c.field == j.name and any(v["claim_id"] == j.other_id for v in c.values):
                c.decided = {"judgement": j.id, "claim_id": j.other_id, "reason": j.reason,
                             "actor": j.actor, "at": str(j.at)[:19]}
                ev.judgements.append(j.id)


def choose_counted(ev: Event) -> Member | None:
    """The claim whose figure the event contributes: a decided amount conflict first, then
    the latest figure to date, then reviewed over imported over extracted (then confidence,
    then the finer date)."""
    by_id = {m.id: m for m in ev.members}
    for c in ev.conflicts:
        if c.field == "amount" and c.decided and c.decided["claim_id"] in by_id:
            return by_id[c.decided["claim_id"]]
    cumulative = [m for m in ev.members if m.cumulative and m.amount_usd is not None]
    if cumulative:
        # The latest figure to date; among equally dated ones, the best established.
        return max(sorted(cumulative, key=lambda m: m.rank()), key=lambda m: m.date_sort or "")
    with_amount = [m for m in ev.members if m.amount_usd is not None and m.id not in ev.parts]
    pool = with_amount or [m for m in ev.members if m.id not in ev.parts] or ev.members
    return min(pool, key=lambda m: m.rank())


def counted_rule(ev: Event) -> str:
    c = ev.counted
    if c is None:
        return ""
    if any(x.field == "amount" and x.decided and x.decided["claim_id"] == c.id for x in ev.conflicts):
        return "decided conflict"
    if c.cumulative and ev.parts:
        return "figure to date (includes the earlier figures)"
    if len(ev.members) == 1:
        return "only claim"
    return f"{c.provenance} claim preferred"


# --- from the store ------------------------------------------------------------------------

class OwnershipRelations:
    """Two entities are related when equal or one is in the other's chain of owners."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._chains: dict[str, set[str]] = {}

    def chain(self, eid: str) -> set[str]:
        if eid not in self._chains:
            from veeduria.query import ownership_chain

            self._chains[eid] = {lk.owner.id for lk in ownership_chain(self.session, eid)}
        return self._chains[eid]

    def __call__(self, a: str, b: str) -> bool:
        return a == b or b in self.chain(a) or a in self.chain(b)


def event_judgements(session: Session) -> list[Judgement]:
    return list(session.scalars(select(Judgement).where(
        Judgement.kind.in_(("event_merge", "event_split", "conflict")),
        Judgement.undone_at.is_(None)).order_by(Judgement.id)))


def _members(session: Session, q) -> list[Member]:  # noqa: ANN001 - a select of Claim
    claims = list(session.scalars(q.options(
        selectinload(Claim.roles).selectinload(ClaimEntity.entity), selectinload(Claim.source))))
    merged = _survivors(session, {r.entity_id for c in claims for r in c.roles
                                  if r.entity is not None and r.entity.merged_into})
    out = []
    for c in claims:
        m = member_from_claim(c)
        if merged:
            m.roles = [(merged.get(e, e), r) for e, r in m.roles]
            m.names.update({merged[e]: session.get(Entity, merged[e]).name for e in merged if e in m.names})
        out.append(m)
    return out


def _survivors(session: Session, ids: set[str]) -> dict[str, str]:
    out = {}
    for eid in ids:
        ent = session.get(Entity, eid)
        while ent is not None and ent.merged_into:
            ent = session.get(Entity, ent.merged_into)
        if ent is not None and ent.id != eid:
            out[eid] = ent.id
    return out


def _base(statuses: tuple[str, ...]):  # noqa: ANN202
    return (select(Claim).where(Claim.predicate.in_(family_predicates()),
                                Claim.status.in_(statuses)).order_by(Claim.id))


def all_events(session: Session, statuses: tuple[str, ...] = ("accepted",)) -> list[Event]:
    return build_events(_members(session, _base(statuses)), OwnershipRelations(session),
                        event_judgements(session))


def events_for_entities(session: Session, entity_ids: Iterable[str],
                        statuses: tuple[str, ...] = ("accepted",)) -> list[Event]:
    """The events whose claims name one of the entities (read with their neighbours: claims
    naming the same targets and counterparties)."""
    ids = set(entity_ids)
    if not ids:
        return []
    first = _members(session, _base(statuses).where(Claim.id.in_(
        select(ClaimEntity.claim_id).where(ClaimEntity.entity_id.in_(ids)))).limit(MAX_CLAIMS))
    around = ids | {e for m in first for e, r in m.roles if r != "subject"} \
        | {e for m in first for e in m.subjects}
    members = _members(session, _base(statuses).where(Claim.id.in_(
        select(ClaimEntity.claim_id).where(ClaimEntity.entity_id.in_(around)))).limit(MAX_CLAIMS))
    judgements = event_judgements(session)
    # Claims an analyst merged into these events may name none of the entities.
    loaded = {m.id for m in members}
    extra: set[str] = set()
    for j in judgements:
        if j.kind == "event_merge":
            both = set((j.data or {}).get("claims_a", [])) | set((j.data or {}).get("claims_b", []))
            if both & loaded:
                extra |= both - loaded
    if extra:
        members += _members(session, _base(statuses).where(Claim.id.in_(sorted(extra))))
    events = build_events(members, OwnershipRelations(session), judgements)
    return [ev for ev in events if any(ids & {e for e, _ in m.roles} for m in ev.members)]


def events_for_claims(session: Session, claim_ids: Iterable[str],
                      statuses: tuple[str, ...] = ("accepted",)) -> dict[str, Event]:
    """claim id -> its event, for claims of an event family."""
    ids = set(claim_ids)
    ents = set(session.scalars(select(ClaimEntity.entity_id).where(ClaimEntity.claim_id.in_(ids))))
    out = {}
    for ev in events_for_entities(session, ents, statuses):
        for cid in ev.claim_ids:
            if cid in ids:
                out[cid] = ev
    return out


def get_event(session: Session, event_id: str, statuses: tuple[str, ...] = ("accepted",)) -> Event:
    """An event by id; an id whose anchor claim has joined another event leads there."""
    if event_id.startswith("ev-"):
        anchor = event_id[3:]
        if session.get(Claim, anchor) is None:
            raise EventError(f"no event {event_id!r}")
        found = events_for_claims(session, [anchor], statuses).get(anchor)
        if found is not None:
            return found
    elif event_id.startswith("evh-"):
        for ev in all_events(session, statuses):
            if ev.id == event_id:
                return ev
    raise EventError(f"no event {event_id!r}")


def conflicts_of(events: Iterable[Event]) -> list[tuple[Event, Conflict]]:
    return [(ev, c) for ev in events for c in ev.conflicts]


# --- judgements ------------------------------------------------------------------------------

def merge_events(session: Session, a: Event, b: Event, actor: str, reason: str) -> Judgement:
    if a.id == b.id:
        raise EventError("cannot merge an event with itself")
    if a.family != b.family:
        raise EventError(f"cannot merge a {a.family} event with a {b.family} event")
    j = Judgement(kind="event_merge", entity_id=a.id, other_id=b.id, actor=actor, reason=reason,
                  data={"claims_a": a.claim_ids, "claims_b": b.claim_ids})
    session.add(j)
    audit(session, actor, "merge", "event", a.id, {"merged": b.id}, note=reason)
    session.flush()
    return j


def split_event(session: Session, ev: Event, claim_ids: list[str], actor: str, reason: str) -> Judgement:
    moved = [c for c in claim_ids if c in ev.claim_ids]
    if not moved or len(moved) != len(set(claim_ids)):
        raise EventError(f"claims not in event {ev.id}: {', '.join(sorted(set(claim_ids) - set(ev.claim_ids)))}")
    rest = [c for c in ev.claim_ids if c not in moved]
    if not rest:
        raise EventError("a split must leave at least one claim in the event")
    j = Judgement(kind="event_split", entity_id=ev.id, other_id=None, actor=actor, reason=reason,
                  data={"claims": moved, "rest": rest})
    session.add(j)
    audit(session, actor, "split", "event", ev.id, {"claims": moved}, note=reason)
    session.flush()
    return j


def decide_conflict(session: Session, ev: Event, fld: str, claim_id: str, actor: str, reason: str,
                    review_item_id: int | None = None) -> Judgement:
    """Choose which claim's value stands in a conflict (kept with the reason; undoable)."""
    conflict = next((c for c in ev.conflicts if c.field == fld), None)
    if conflict is None:
        raise EventError(f"event {ev.id} has no conflict on the {fld}")
    value = next((v for v in conflict.values if v["claim_id"] == claim_id), None)
    if value is None:
        raise EventError(f"claim {claim_id!r} is not one of the conflicting claims: "
                         + ", ".join(v["claim_id"] for v in conflict.values))
    if not reason.strip():
        raise EventError("a decision needs a reason")
    item = session.scalar(select(ReviewItem).where(ReviewItem.key == conflict.key))
    if item is not None and review_item_id is None:
        review_item_id = item.id
    j = Judgement(kind="conflict", entity_id=ev.id, other_id=claim_id, name=fld, actor=actor,
                  reason=reason, review_item_id=review_item_id,
                  data={"claims": ev.claim_ids, "key": conflict.key, "value": value["display"]})
    session.add(j)
    if item is not None and item.status == "open":
        item.status, item.resolved_at, item.resolved_by, item.note = "resolved", utcnow(), actor, reason
    audit(session, actor, "decide", "event", ev.id, {"field": fld, "claim": claim_id}, note=reason)
    session.flush()
    return j


def sync_conflicts(session: Session, events: list[Event] | None = None) -> int:
    """Put every undecided conflict in the review queue (once: keyed by its claims)."""
    from veeduria.resolve.resolver import queue_item

    events = all_events(session) if events is None else events
    created = 0
    for ev, c in conflicts_of(events):
        if c.decided:
            continue
        _, new = queue_item(session, c.key, kind="conflict", claim_id=c.values[0]["claim_id"],
                            source_id=c.values[0]["source_id"], name=c.summary(),
                            detail={"event": ev.id, "title": ev.title(), **c.to_dict()})
        created += new
    return created


# --- text -------------------------------------------------------------------------------------

def conflict_lines(c: Conflict, indent: str = "  ") -> list[str]:
    """A "sources disagree" block: each source and its value, the decision, curated notes."""
    head = "one source contradicts itself" if c.within_source else "sources disagree"
    lines = [f"{indent}{head} on the {c.field}:"]
    for v in c.values:
        mark = " <- decided" if c.decided and c.decided["claim_id"] == v["claim_id"] else ""
        lines.append(f"{indent}  - {v['display']}: {v['source'] or v['source_id']} [{v['claim_id']}]{mark}")
    if c.decided:
        lines.append(f"{indent}  decided by {c.decided['actor']} (judgement {c.decided['judgement']}): "
                     f"{c.decided['reason']}")
    for n in c.notes:
        lines.append(f"{indent}  note [{n['claim_id']}]: {n['note']}")
    return lines


def evidence_line(m: Member, src: Source | None = None, meta: dict[str, Any] | None = None) -> str:
    """A claim's evidence: a dataset row as a readable record with its address, else the quote."""
    from veeduria.importers.common import claim_record, record_text

    rec = claim_record(meta, src.kind if src else None, m.source_title, src.filename if src else None,
                       m.quote)
    return record_text(rec) if rec else f'"{m.quote}" ({m.source_title or m.source_id})'


def event_lines(session: Session, ev: Event) -> list[str]:
    c = ev.counted
    lines = [f"{ev.id}  {ev.title()}",
             f"  {len(ev.members)} claims from {ev.corroboration} independent source(s)"]
    if c is not None and c.amount_usd is not None:
        lines.append(f"  counted once as {_money(c.amount_usd)} ({counted_rule(ev)}; claim {c.id})")
    lines.append("  claims:")
    for m in ev.members:
        claim = session.get(Claim, m.id)
        src = claim.source if claim is not None else None
        figs = ", ".join(x for x in (_money(m.amount_usd), f"{m.share * 100:g}%" if m.share is not None else "") if x)
        part = f" (included in {ev.parts[m.id]})" if m.id in ev.parts else ""
        lines.append(f"   - {m.date or '----'} {', '.join(sorted(m.name(e) for e in m.subjects))} "
                     f"[{m.id}] {figs}{part}")
        lines.append(f"       {evidence_line(m, src, claim.meta if claim is not None else None)}")
    if ev.reasons:
        lines.append("  grouped because:")
        lines.extend(f"   - {r['a']} + {r['b']}: {r['reason']}" for r in ev.reasons)
    for conflict in ev.conflicts:
        lines.extend(conflict_lines(conflict))
    if ev.judgements:
        lines.append(f"  judgements: {', '.join(str(j) for j in ev.judgements)} (undo with `veeduria undo ID`)")
    return lines
