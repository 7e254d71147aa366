"""Synthetic material for benchmarks and tests (fiction, deterministic for a given seed):

- `write_corpus`: news-like documents in English and Spanish, built from the templates in
  synthetic.yaml and a store's entities (firms investing, acquiring, signing agreements,
  going to arbitration, with money, shares, quantities and dates in each language's
  formats), one .txt file per document;
- `build_synthetic_store`: a store of millions of claims and many entities, written directly
  with the bulk writer, for query benchmarks."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from veeduria.scale.bulk import insert_ignoring_conflicts
from veeduria.store import Store
from veeduria.store.models import (
    Claim,
    ClaimEntity,
    Entity,
    EntityName,
    SearchDoc,
    Source,
    utcnow,
)
from veeduria.store.search import claim_doc, entity_doc
from veeduria.text import fold, slugify

TEMPLATES = Path(__file__).with_name("synthetic.yaml")
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "setiembre", "octubre", "noviembre", "diciembre"],
}


@cache
def templates() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    schema: str
    foreign: bool = False


@dataclass
class Cast:
    """Who can play which part in a sentence."""

    foreign: list[str]
    host: list[str]
    public: list[str]
    project: list[str]

    @classmethod
    def from_actors(cls, actors: Sequence[Actor], rng: random.Random) -> Cast:
        actors = sorted(actors, key=lambda a: a.id)
        firms = {"Company", "Organization", "LegalEntity"}
        made_up = synthetic_names(60, rng)
        cast = cls(
            foreign=[a.name for a in actors if a.foreign and a.schema in firms],
            host=[a.name for a in actors if not a.foreign and a.schema in firms],
            public=[a.name for a in actors if a.schema == "PublicBody" and not a.foreign],
            project=[a.name for a in actors if a.schema in ("Project", "Asset")],
        )
        for part, names in made_up.items():  # a store without such entities still gets a cast
            if not getattr(cast, part):
                getattr(cast, part).extend(names)
        return cast


def synthetic_names(n: int, rng: random.Random) -> dict[str, list[str]]:
    """Made-up organisation and project names: up to `n` of each kind."""
    parts = templates()["names"]

    def pick(*lists: list[str], sep: str = " ") -> list[str]:
        combos = sorted(sep.join(c) for c in itertools.product(*lists))
        return sorted(rng.sample(combos, min(n, len(combos))))

    return {"foreign": pick(parts["foreign_first"], parts["foreign_second"], parts["foreign_last"]),
            "host": pick(parts["host_second"], parts["host_first"], parts["host_last"]),
            "public": list(parts["public"]),
            "project": pick(parts["places"], parts["project"])}


def store_actors(store: Store) -> list[Actor]:
    """The store's entities (not merged), for casting documents."""
    with store.session() as s:
        rows = s.execute(select(Entity.id, Entity.name, Entity.schema, Entity.foreign)
                         .where(Entity.merged_into.is_(None)).order_by(Entity.id))
        return [Actor(r.id, r.name, r.schema, bool(r.foreign)) for r in rows]


# -- figures in each language's formats ----------------------------------------------------

def _es_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def money(rng: random.Random, lang: str) -> str:
    millions = rng.choice([rng.randint(5, 95), rng.randint(100, 990), rng.randint(1000, 9000)])
    billions = millions / 1000
    if lang == "en":
        forms = [f"US$ {millions:,} million", f"US${millions} million", f"RMB {millions} million"]
        if millions >= 1000:
            forms += [f"${billions:.1f} billion", f"€{billions:.1f}bn"]
        else:
            forms.append(f"${millions} million")
    else:
        forms = [f"US$ {_es_int(millions)} millones", f"{_es_int(millions)} millones de dólares",
                 f"S/ {millions} millones", f"US${millions} mlls"]
    return rng.choice(forms)


def share(rng: random.Random, lang: str) -> str:
    value = rng.choice([rng.randint(5, 100), round(rng.uniform(5, 99), 2)])
    text = f"{value}%" if isinstance(value, int) else f"{value:.2f}%"
    return text.replace(".", ",") if lang == "es" else text


def quantity(rng: random.Random, lang: str) -> str:
    unit, value = rng.choice([("MW", rng.randint(20, 900)), ("km", rng.randint(10, 600)),
                              ("TEU", rng.randint(50, 1500) * 1000)])
    number = f"{value:,}" if lang == "en" else _es_int(value)
    return f"{number} {unit}"


def when(rng: random.Random, lang: str) -> str:
    year, month, day = rng.randint(2005, 2025), rng.randint(1, 12), rng.randint(1, 28)
    name = MONTHS[lang][month - 1]
    if lang == "en":
        return rng.choice([f"in {name} {year}", f"on {day} {name} {year}", f"in {year}"])
    return rng.choice([f"en {name} de {year}", f"el {day} de {name} de {year}", f"en {year}"])


def _fill(template: str, rng: random.Random, lang: str, cast: Cast, places: list[str]) -> str:
    slots = {
        "foreign": lambda: rng.choice(cast.foreign), "host": lambda: rng.choice(cast.host),
        "public": lambda: rng.choice(cast.public), "project": lambda: rng.choice(cast.project),
        "money": lambda: money(rng, lang), "share": lambda: share(rng, lang),
        "qty": lambda: quantity(rng, lang), "when": lambda: when(rng, lang),
        "place": lambda: rng.choice(places),
    }
    out = template
    for key, make in slots.items():  # fixed order: the same seed gives the same text
        while "{" + key + "}" in out:
            out = out.replace("{" + key + "}", make(), 1)
    return out[0].upper() + out[1:]


def document(rng: random.Random, lang: str, cast: Cast, words: int) -> str:
    """A title and paragraphs of about `words` words: one event per 3 to 5 sentences."""
    t = templates()
    places = t["names"]["places"]
    lines = [_fill(rng.choice(t["titles"][lang]), rng, lang, cast, places), ""]
    count = 0
    while count < words:
        sentences = [_fill(rng.choice(t["events"][lang]), rng, lang, cast, places)]
        sentences += [rng.choice(t["filler"][lang]) for _ in range(rng.randint(2, 4))]
        rng.shuffle(sentences)
        paragraph = " ".join(sentences)
        count += len(paragraph.split())
        lines += [paragraph, ""]
    return "\n".join(lines)


def write_corpus(folder: Path, actors: Sequence[Actor], n_docs: int, *, seed: int = 0,
                 words: int = 500, languages: Sequence[str] = ("en", "es")) -> list[Path]:
    """Write `n_docs` text documents to `folder`; the same arguments give the same files."""
    rng = random.Random(seed)
    cast = Cast.from_actors(actors, rng)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_docs):
        lang = languages[i % len(languages)]
        path = folder / f"doc-{i:06d}-{lang}.txt"
        path.write_text(document(rng, lang, cast, words), encoding="utf-8")
        paths.append(path)
    return paths


# -- a store of millions of claims ---------------------------------------------------------

# (predicate, domain, sector) of the claims a synthetic store holds; each has subject and object.
CLAIM_KINDS = [
    ("invests_in", "economy", "ports"), ("acquired", "economy", "power_distribution"),
    ("owns", "economy", "mining"), ("operates", "economy", "ports"),
    ("builds", "economy", "construction"), ("finances", "economy", "finance"),
    ("supplies", "technology", "telecom"), ("donated_to", "foreign_policy", "health"),
    ("trained", "military", "defense"), ("member_of", "foreign_policy", "diplomacy"),
    ("trade_flow", "economy", "trade"), ("market_share", "technology", "consumer_electronics"),
]
STATUS_WEIGHTS = [("accepted", 70), ("candidate", 25), ("rejected", 5)]


def _claim_id(seed: int, i: int) -> str:
    return "c-" + hashlib.sha256(f"synthetic:{seed}:{i}".encode()).hexdigest()[:20]


def synthetic_entity_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    names = synthetic_names(max(20, n // 10), rng)
    pool = names["foreign"] + names["host"] + names["project"]
    schemata = ["Company"] * len(names["foreign"]) + ["Company"] * len(names["host"]) + ["Project"] * len(names["project"])
    rows = []
    for i in range(n):
        k = i % len(pool)
        base = pool[k] if i < len(pool) else f"{pool[k]} {i // len(pool) + 1}"
        rows.append({"id": f"syn-{slugify(base, 60)}", "schema": schemata[k], "name": base,
                     "country": "CN" if k < len(names["foreign"]) else "PE",
                     "sector": rng.choice([s for _, _, s in CLAIM_KINDS]), "description": None,
                     "foreign": k < len(names["foreign"]), "state_linkage": None,
                     "merged_into": None, "meta": None, "case_id": "synthetic"})
    return rows


def build_synthetic_store(store: Store, n_claims: int, n_entities: int, *, seed: int = 0,
                          chunk: int = 20_000, search: bool = True,
                          progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Add `n_entities` entities and `n_claims` claims (two entities each, one source per
    50 claims, realistic spread of dates, statuses, figures, and a few very busy entities)
    to `store`, in bulk. Writes no audit events: this is benchmark material, not evidence."""
    rng = random.Random(seed)
    now = utcnow()
    entities = synthetic_entity_rows(n_entities, seed)
    ids = [e["id"] for e in entities]
    names = {e["id"]: e["name"] for e in entities}
    n_sources = max(1, n_claims // 50)
    sources = [{"id": f"syn-src-{seed}-{i:07d}", "kind": "document", "title": f"Synthetic report {i}",
                "language": "en" if i % 2 else "es", "published": f"{2005 + i % 21}-{1 + i % 12:02d}",
                "content_hash": hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(),
                "case_id": "synthetic", "created_at": now, "updated_at": now} for i in range(n_sources)]
    with store.engine.begin() as conn:
        for i in range(0, len(entities), chunk):
            part = entities[i:i + chunk]
            insert_ignoring_conflicts(conn, Entity.__table__, [{**e, "created_at": now, "updated_at": now} for e in part])
            insert_ignoring_conflicts(conn, EntityName.__table__, [
                {"entity_id": e["id"], "name": e["name"], "lang": None, "kind": "name",
                 "normalized": fold(e["name"])[:512]} for e in part])
            if search:
                insert_ignoring_conflicts(conn, SearchDoc.__table__, [
                    entity_doc(e["id"], e["name"], [e["name"]], sector=e["sector"], country=e["country"],
                               schema=e["schema"]) for e in part])
        for i in range(0, len(sources), chunk):
            insert_ignoring_conflicts(conn, Source.__table__, sources[i:i + chunk])
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    with store.session() as s:  # resume an interrupted build: chunks are whole transactions
        have = s.scalar(select(func.count()).select_from(Claim).where(Claim.case_id == "synthetic"))
    done = min(have, n_claims) // chunk * chunk
    while done < n_claims:
        rng = random.Random(f"{seed}:{done}")  # per chunk, so a resumed build is the same
        claims, roles, docs = [], [], []
        for i in range(done, min(n_claims, done + chunk)):
            predicate, domain, sector = rng.choice(CLAIM_KINDS)
            # Popularity falls off like a power law: a few entities are in very many claims.
            subject = ids[min(len(ids) - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.3 else rng.choice(ids)
            obj = rng.choice(ids)
            year, month = rng.randint(2000, 2025), rng.randint(1, 12)
            precision = rng.choice(["year", "month", "month", "day"])
            date = {"year": f"{year}", "month": f"{year}-{month:02d}"}.get(precision, f"{year}-{month:02d}-{rng.randint(1, 28):02d}")
            usd = round(rng.lognormvariate(17, 2), 0) if rng.random() < 0.4 else None
            quote = f"{names[subject]} {predicate.replace('_', ' ')} {names[obj]} ({date})"[:160]
            claim_id = _claim_id(seed, i)
            claims.append({
                "id": claim_id, "predicate": predicate, "source_id": sources[i % n_sources]["id"],
                "quote": quote, "offset_start": None, "offset_end": None,
                "amount_value": usd, "amount_currency": "USD" if usd else None, "amount_usd": usd,
                "amount_usd_basis": "stated" if usd else None,
                "share": round(rng.random(), 3) if predicate in ("owns", "acquired", "market_share") else None,
                "quantity_value": None, "quantity_unit": None, "date": date,
                "date_precision": precision, "date_sort": (date + "-01-01")[:10] if precision != "day" else date,
                "place": None, "domain": domain, "sector": sector, "modality": "actual",
                "qualifier": None, "status": rng.choice(statuses), "method": "synthetic",
                "confidence": 0.9, "note": None, "country": "PE", "case_id": "synthetic",
                "duplicate_of": None, "meta": None, "created_at": now, "updated_at": now,
            })
            roles.append({"claim_id": claim_id, "entity_id": subject, "role": "subject", "position": 0})
            if obj != subject:
                roles.append({"claim_id": claim_id, "entity_id": obj, "role": "object", "position": 1})
            if search:
                docs.append(claim_doc(claims[-1], []))
        with store.engine.begin() as conn:
            insert_ignoring_conflicts(conn, Claim.__table__, claims)
            insert_ignoring_conflicts(conn, ClaimEntity.__table__, roles)
            insert_ignoring_conflicts(conn, SearchDoc.__table__, docs)
        done += len(claims)
        if progress:
            progress(done)
    return {"entities": len(entities), "sources": n_sources, "claims": n_claims}
