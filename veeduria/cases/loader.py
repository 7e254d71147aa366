"""Loading a case folder into the store in one transaction.

Every file is read and every record checked before anything is written; any problem
raises CaseDataError naming the file and the record, and the store is left as it was."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from veeduria.cases import case_dir
from veeduria.model import ClaimRecord, EntityRecord, Money, Quantity
from veeduria.store import Claim, LoadedCase, Source, Store
from veeduria.store.audit import record as audit
from veeduria.store.search import index_claims, index_entities, index_sources, unindex
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source
from veeduria.text import find_quote, http_url, parse_partial_date

SOURCE_FIELDS = ("kind", "title", "author", "publisher", "published", "url", "filename", "language")
# Locator details kept in Source.meta: why there is no address, the publisher's own site,
# the date of the snapshot used, and which release of a dataset.
SOURCE_META = ("no_url_reason", "publisher_url", "retrieved", "edition")


@dataclass
class Problem:
    file: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.message}"


class CaseDataError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in case data; nothing was loaded:\n{shown}{more}")


@dataclass
class CaseData:
    id: str
    title: dict[str, str]
    host_country: str
    foreign_state: str
    default_source: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)
    entities: list[EntityRecord] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)
    digest: str = ""


@dataclass
class LoadResult:
    case_id: str
    skipped: bool
    counts: dict[str, int]
    quote_warnings: list[str] = field(default_factory=list)
    conflicts_queued: int = 0  # events whose sources disagree, newly in the review queue


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, "(file)", f"not valid YAML: {exc}"))
    except OSError as exc:
        problems.append(Problem(path.name, "(file)", f"cannot read: {exc}"))
    return None


def _money(raw: Any) -> Money:
    if not isinstance(raw, dict) or "value" not in raw or "currency" not in raw:
        raise ValueError("amount needs value and currency")
    money = Money(float(raw["value"]), str(raw["currency"]), raw.get("usd"), raw.get("usd_basis"))
    if money.usd is None:
        raise ValueError(f"amount in {money.currency} needs usd and usd_basis")
    return money


def _quantity(raw: Any) -> Quantity:
    if isinstance(raw, int | float):
        return Quantity(float(raw))
    if not isinstance(raw, dict) or "value" not in raw:
        raise ValueError("quantity needs a value")
    return Quantity(float(raw["value"]), raw.get("unit"))


def _translations(raw: dict[str, Any], field_name: str) -> dict[str, str] | None:
    """`qualifier_es: ...` and the like: a field's text in other languages, kept in meta."""
    found = {k: str(v) for k, v in raw.items()
             if k.startswith(field_name + "_") and len(k) == len(field_name) + 3 and v}
    return found or None


def _entity_meta(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Translated descriptions plus the display names sentences use (`name_en`, `name_es`,
    with their article) and `plural` (the name takes a plural verb)."""
    meta: dict[str, Any] = {**(_translations(raw, "description") or {}), **(_translations(raw, "name") or {})}
    if raw.get("plural"):
        meta["plural"] = True
    return meta or None


def _claim_meta(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Translations of the qualifier and the place, and `cumulative: true` for a running total to date."""
    meta: dict[str, Any] = {**(_translations(raw, "qualifier") or {}), **(_translations(raw, "place") or {})}
    flag = raw.get("cumulative")
    if flag is not None:
        if not isinstance(flag, bool):
            raise ValueError(f"cumulative must be true or false, not {flag!r}")
        if flag:
            meta["cumulative"] = True
    return meta or None


def read_case(case: str | Path) -> CaseData:
    """Parse and check a case folder without touching any store."""
    folder = case_dir(str(case))
    problems: list[Problem] = []
    hasher = hashlib.sha256()
    files = [folder / "case.yaml", folder / "sources.yaml", folder / "entities.yaml"]
    files += sorted((folder / "claims").glob("*.yaml")) if (folder / "claims").is_dir() else []
    for f in files:
        if f.is_file():
            hasher.update(f.name.encode() + b"\0" + f.read_bytes())

    meta = _read_yaml(folder / "case.yaml", problems) or {}
    for key in ("id", "host_country", "foreign_state"):
        if key not in meta:
            problems.append(Problem("case.yaml", "(case)", f"missing {key}"))
    data = CaseData(id=str(meta.get("id", folder.name)), title=meta.get("title") or {},
                    host_country=str(meta.get("host_country", "")).lower(),
                    foreign_state=str(meta.get("foreign_state", "")).lower(),
                    default_source=meta.get("default_source"), digest=hasher.hexdigest())

    source_ids: set[str] = set()
    for i, raw in enumerate(_read_yaml(folder / "sources.yaml", problems) or []):
        rid = str(raw.get("id") or f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        if not isinstance(raw, dict) or not raw.get("id"):
            problems.append(Problem("sources.yaml", rid, "a source needs an id"))
            continue
        if raw["id"] in source_ids:
            problems.append(Problem("sources.yaml", rid, "duplicate source id"))
        if not raw.get("url") and not raw.get("no_url_reason"):
            problems.append(Problem("sources.yaml", rid, "give the source's url or say why there is none (no_url_reason)"))
        if raw.get("publisher_url") and not str(raw["publisher_url"]).startswith(("https://", "http://")):
            problems.append(Problem("sources.yaml", rid, "publisher_url must be an http(s) address"))
        try:
            http_url(raw.get("url"))
        except ValueError as exc:
            problems.append(Problem("sources.yaml", rid, str(exc)))
        if raw.get("published"):
            try:
                parse_partial_date(str(raw["published"]))
            except ValueError as exc:
                problems.append(Problem("sources.yaml", rid, str(exc)))
        source_ids.add(raw["id"])
        data.sources.append(raw)

    known: set[str] = set()
    for i, raw in enumerate(_read_yaml(folder / "entities.yaml", problems) or []):
        rid = str(raw.get("id") or f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        if not isinstance(raw, dict) or not raw.get("id"):
            problems.append(Problem("entities.yaml", rid, "an entity needs an id"))
            continue
        if rid in known:
            problems.append(Problem("entities.yaml", rid, "duplicate entity id"))
        aliases = []
        for a in raw.get("aliases") or []:
            if isinstance(a, str):
                aliases.append((a, None))
            elif isinstance(a, dict) and a.get("name"):
                aliases.append((str(a["name"]), a.get("lang")))
            else:
                problems.append(Problem("entities.yaml", rid, f"bad alias {a!r}"))
        rec = EntityRecord(
            id=rid, schema=str(raw.get("schema", "")), name=str(raw.get("name") or ""),
            aliases=aliases, country=(str(raw["country"]).lower() if raw.get("country") else None),
            sector=raw.get("sector"), description=raw.get("description"),
            identifiers={str(k): str(v) for k, v in (raw.get("identifiers") or {}).items()},
            foreign=bool(raw.get("foreign", False)),
            meta=_entity_meta(raw),
        )
        problems.extend(Problem("entities.yaml", rid, m) for m in rec.problems())
        known.add(rid)
        data.entities.append(rec)

    claim_ids: set[str] = set()
    for path in files[3:]:
        doc = _read_yaml(path, problems)
        if doc is None:
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
            problems.append(Problem(path.name, "(file)", "expected a mapping with a 'claims' list"))
            continue
        file_source = doc.get("source") or data.default_source
        for i, raw in enumerate(doc["claims"]):
            rid = str(raw.get("id") or f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            if not isinstance(raw, dict) or not raw.get("id"):
                problems.append(Problem(path.name, rid, "a claim needs an id"))
                continue
            if rid in claim_ids:
                problems.append(Problem(path.name, rid, "duplicate claim id"))
            claim_ids.add(rid)
            try:
                ents = [(str(e["entity"]), str(e.get("role", "subject"))) for e in raw.get("entities") or []]
                rec = ClaimRecord(
                    id=rid, predicate=str(raw.get("predicate", "")),
                    source_id=str(raw.get("source") or file_source or ""),
                    quote=str(raw.get("quote") or ""), entities=ents,
                    domain=str(raw.get("domain", "")), sector=raw.get("sector"),
                    amount=_money(raw["amount"]) if raw.get("amount") is not None else None,
                    share=float(raw["share"]) if raw.get("share") is not None else None,
                    quantity=_quantity(raw["quantity"]) if raw.get("quantity") is not None else None,
                    date=str(raw["date"]) if raw.get("date") is not None else None,
                    place=raw.get("place"), modality=str(raw.get("modality", "actual")),
                    qualifier=raw.get("qualifier"), status="accepted", method="curated",
                    confidence=float(raw.get("confidence", 0.9)), note=raw.get("note"),
                    country=data.host_country or None, case_id=data.id,
                    meta=_claim_meta(raw),
                )
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(Problem(path.name, rid, f"malformed: {exc}"))
                continue
            if rec.source_id not in source_ids:
                problems.append(Problem(path.name, rid, f"unknown source {rec.source_id!r}"))
            problems.extend(Problem(path.name, rid, m) for m in rec.problems(known))
            data.claims.append(rec)
    if problems:
        raise CaseDataError(problems)
    return data


def _adopt_ingested_twin(session, src: Source, actor: str) -> None:
    """The document was ingested before its case was loaded, under an id of its own: move its
    text and its claims to the curated source and drop the twin."""
    twin = session.scalar(select(Source).where(Source.content_hash == src.content_hash,
                                               Source.id != src.id, Source.text.is_not(None)))
    if twin is None:
        return
    src.text, src.text_length = twin.text, twin.text_length
    src.filename = src.filename or twin.filename
    src.meta = src.meta or twin.meta
    moved = list(session.scalars(select(Claim).where(Claim.source_id == twin.id)))
    for claim in moved:
        claim.source_id = src.id
    session.flush()
    audit(session, actor, "merge", "source", twin.id, {"into": src.id, "claims": len(moved)})
    unindex(session, "source", [twin.id])
    session.delete(twin)
    session.flush()


def load_case(store: Store, case: str | Path, *, actor: str = "loader", force: bool = False) -> LoadResult:
    """Load (or update) a case. Loading the same files again changes nothing."""
    data = read_case(case)
    counts = {"sources": len(data.sources), "entities": len(data.entities), "claims": len(data.claims)}
    with store.session() as session:
        loaded = session.get(LoadedCase, data.id)
        if loaded is not None and loaded.digest == data.digest and not force:
            return LoadResult(data.id, True, counts)
        actor = f"{actor}:{data.id}"
        texts: dict[str, str | None] = {}
        for raw in data.sources:
            values = {k: raw.get(k) for k in SOURCE_FIELDS}
            values["published"] = str(values["published"]) if values["published"] else None
            values.update(id=raw["id"], case_id=data.id, content_hash=raw.get("sha256"))
            values["kind"] = values["kind"] or "document"
            values["meta"] = {k: str(raw[k]) for k in SOURCE_META if raw.get(k)} or None
            # A re-load keeps text attached by ingest; case files never carry text.
            src, _ = upsert_source(session, values, actor)
            if src.text is None and values["content_hash"]:
                _adopt_ingested_twin(session, src, actor)
            texts[raw["id"]] = src.text
        for rec in data.entities:
            upsert_entity(session, rec, actor, case_id=data.id)
        session.flush()
        problems: list[Problem] = []
        for rec in data.claims:
            text = texts.get(rec.source_id)
            if text:
                span = find_quote(text, rec.quote)
                if span is None:
                    problems.append(Problem(rec.source_id, rec.id or "", "quote not found in the source's text: "
                                            f"{rec.quote!r}"))
                rec.offsets = span
            upsert_claim(session, rec, actor)
        if problems:
            raise CaseDataError(problems)
        # Claims dropped from the files leave the store too.
        current = {c.id for c in data.claims}
        gone = [c for c in session.scalars(select(Claim).where(Claim.case_id == data.id, Claim.method == "curated"))
                if c.id not in current]
        for c in gone:
            audit(session, actor, "delete", "claim", c.id, note="removed from case data")
            session.delete(c)
        unindex(session, "claim", [c.id for c in gone])
        session.flush()
        index_sources(session, [s["id"] for s in data.sources])
        index_entities(session, [e.id for e in data.entities])
        index_claims(session, [c.id for c in data.claims])
        if loaded is None:
            session.add(LoadedCase(id=data.id, digest=data.digest, counts=counts))
        else:
            loaded.digest, loaded.counts = data.digest, counts
        session.flush()
        # Sources that disagree about one event go to the review queue.
        from veeduria.resolve.events import sync_conflicts

        queued = sync_conflicts(session)
    return LoadResult(data.id, False, counts, conflicts_queued=queued)
