"""The dashboard's calls into other stages (screening, review, ingest pipeline). Screening
reads are guarded so a failure there shows as 'not available' instead of breaking a page.
Everything returns plain JSON-ready data."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from veeduria.store.models import Claim, ClaimEntity, Entity
from veeduria.vocab import label

log = logging.getLogger("veeduria.web")
_RETRY_SECONDS = 30.0
_missing: dict[str, float] = {}


def optional(module: str, attr: str) -> Callable[..., Any] | None:
    """`module.attr` if it can be imported, else None (failures are retried every 30 s)."""
    key = f"{module}:{attr}"
    if time.monotonic() - _missing.get(key, -1e9) < _RETRY_SECONDS:
        return None
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        _missing[key] = time.monotonic()
        return None


def guarded(what: str, fn: Callable[[], Any]) -> Any:
    """Run a read from another stage; a failure there is logged and shows as 'not
    available' instead of breaking the page."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - another stage's bug must not take the dashboard down
        log.exception("%s failed", what)
        return None


def plain(obj: Any, lang: str = "en") -> Any:
    """JSON-ready form of whatever a stage returns (records with to_dict, dataclasses, ...)."""
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if hasattr(obj, "to_dict"):
        takes_lang = "lang" in inspect.signature(obj.to_dict).parameters
        return plain(obj.to_dict(lang) if takes_lang else obj.to_dict(), lang)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name), lang) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): plain(v, lang) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [plain(v, lang) for v in obj]
    if isinstance(obj, Entity):
        return {"id": obj.id, "name": obj.name, "schema": obj.schema}
    if isinstance(obj, Claim):
        return {"id": obj.id, "quote": obj.quote}
    return str(obj)


# --- screening -------------------------------------------------------------------------

def findings_available() -> bool:
    return optional("veeduria.screen.engine", "run_screening") is not None


def findings(session: Session, lang: str = "en", target_id: str | None = None) -> list[dict[str, Any]] | None:
    """Findings as dicts (None when screening is not installed)."""
    run = optional("veeduria.screen.engine", "run_screening")
    if run is None:
        return None
    result = guarded("screening", lambda: [plain(f, lang) for f in run(session, target_id=target_id)])
    if result is None:
        return None
    return [f if isinstance(f, dict) else {"title": str(f)} for f in result]


def indicators(session: Session, lang: str = "en") -> Any:
    """{"rows": [...]} per domain when the indicators module offers flat rows."""
    compute = optional("veeduria.screen.indicators", "compute")
    if compute is None:
        return None

    def run() -> Any:
        result = compute(session)
        if hasattr(result, "rows"):
            rows = plain(result.rows("domain", lang), lang)
            cols = [k for k in (rows[0] if rows else {}) if k != "key" and not k.endswith("_claims")]
            return {"rows": rows, "columns": cols}
        return plain(result, lang)

    return guarded("indicators", run)


def indicator_tables(session: Session, lang: str = "en") -> dict[str, Any] | None:
    """Indicator rows by domain, sector and year, and the stated shares per domain, for the
    indicators page (None when the indicators module is missing or offers no rows)."""
    compute = optional("veeduria.screen.indicators", "compute")
    if compute is None:
        return None

    def run() -> dict[str, Any] | None:
        result = compute(session)
        if not hasattr(result, "rows"):
            return None
        tables = {}
        for dim in ("domain", "sector", "year"):
            rows = plain(result.rows(dim, lang), lang)
            tables[dim] = [{**r, "name": r.get(dim)} for r in rows]
        shares = []
        if hasattr(result, "buckets"):
            for bucket in result.buckets("domain"):
                for item in plain(bucket.shares, lang):
                    shares.append({**item, "domain": bucket.key,
                                   "domain_label": label("domain", bucket.key, lang)})
        return {**tables, "shares": shares}

    return guarded("indicators", run)


def scorecard(session: Session, entity: Entity, lang: str = "en") -> Any:
    card = optional("veeduria.screen.scorecard", "scorecard")
    if card is None:
        return None

    takes_lang = "lang" in inspect.signature(card).parameters

    def run() -> Any:
        result = card(session, entity, lang=lang) if takes_lang else card(session, entity)
        return plain(result, lang)

    return guarded("scorecard", run)


def network_graph(session: Session, max_nodes: int = 250) -> dict[str, Any] | None:
    """{nodes, edges} from the screening network builder, when installed: isolated nodes
    dropped, the `max_nodes` best-connected kept."""
    build = optional("veeduria.screen.network", "build_graph")
    if build is None:
        return None
    graph = guarded("network", lambda: build(session))
    if graph is None or not (hasattr(graph, "nodes") and callable(graph.nodes)):
        return None
    degree = {str(n): int(d) for n, d in graph.degree(weight="weight")}
    keep = {n for n, _ in sorted(degree.items(), key=lambda kv: -kv[1])[:max_nodes] if degree[n] > 0}
    nodes = []
    for n, attrs in graph.nodes(data=True):
        if str(n) not in keep:
            continue
        a = plain(dict(attrs))
        nodes.append({**a, "id": str(n), "name": a.get("name") or a.get("label") or str(n),
                      "schema": a.get("schema"), "foreign": bool(a.get("foreign")),
                      "degree": degree[str(n)]})
    edges = []
    for x, y, attrs in graph.edges(data=True):
        if str(x) in keep and str(y) in keep:
            a = plain(dict(attrs))
            preds = a.get("predicates") or ([a["predicate"]] if a.get("predicate") else [])
            edges.append({"source": str(x), "target": str(y), "weight": a.get("weight", 1),
                          "predicates": preds, "claims": (a.get("claims") or [])[:20],
                          "label": ", ".join(label("predicate", p) for p in preds)})
    return {"nodes": nodes, "edges": edges}


# --- review ----------------------------------------------------------------------------
# Review goes through veeduria.review, which validates, audits and reindexes.

def _must_exist(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise LookupError(f"no claim with id {claim_id!r}")
    return claim


def accept(session: Session, claim_id: str, actor: str, note: str | None = None) -> None:
    from veeduria.review import accept_claim

    _must_exist(session, claim_id)
    accept_claim(session, claim_id, actor=actor, note=note)


def reject(session: Session, claim_id: str, actor: str, note: str | None = None) -> None:
    from veeduria.review import reject_claim

    _must_exist(session, claim_id)
    reject_claim(session, claim_id, actor=actor, note=note)


EDITABLE = ("quote", "date", "place", "domain", "sector", "qualifier", "note", "modality", "predicate")


def edit(session: Session, claim_id: str, changes: dict[str, Any], actor: str) -> None:
    """Apply the fields that differ from the claim's (empty text means 'none')."""
    from veeduria.review import edit_claim

    current = _must_exist(session, claim_id)
    changes = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in changes.items()}
    changes = {k: v for k, v in changes.items() if k not in EDITABLE or getattr(current, k) != v}
    if changes:
        edit_claim(session, claim_id, actor, **changes)


def candidates(session: Session, *, limit: int = 50, offset: int = 0,
               source_id: str | None = None) -> list[Claim]:
    """Candidate claims, newest first (always our own query, so it pages and filters)."""
    q = select(Claim).where(Claim.status == "candidate")
    if source_id:
        q = q.where(Claim.source_id == source_id)
    q = q.order_by(Claim.created_at.desc(), Claim.id).limit(limit).offset(offset)
    return list(session.scalars(q))


def claim_entity_ids(session: Session, claim_id: str) -> list[str]:
    return list(session.scalars(select(ClaimEntity.entity_id).where(ClaimEntity.claim_id == claim_id)))


# --- ingest ----------------------------------------------------------------------------

def upload_types(default: tuple[str, ...]) -> tuple[str, ...]:
    """File types the ingest pipeline reads."""
    from veeduria.sources.readers import SUFFIXES

    return tuple(sorted(SUFFIXES)) or default


def ingest(store: Any, path: Path, meta: dict[str, Any], actor: str, max_bytes: int) -> dict[str, Any]:
    """Read and store a document with its candidate claims."""
    from veeduria.sources.pipeline import ingest_file

    return plain(ingest_file(store, path, meta=meta, actor=actor, max_bytes=max_bytes))
