"""Full-text search over entities, claims, sources and the text of documents (SQLite FTS5 /
PostgreSQL tsvector).

Each search document (table `search_docs`) keeps its text three ways:

- `body`: the original text (names, quote, labels, a passage of a document), for snippets;
- `terms`: what is matched: the folded words in order (lower case, accents removed, so
  phrases match on positions) followed by their English and Spanish Snowball stems;
- `tags`: one token per filterable value (domain, sector, country, status, date, source),
  so filters are posting lists the full-text index intersects, never a scan of the matches.

Stems are computed here in Python (snowballstemmer) for both databases, so SQLite and
PostgreSQL find the same documents and accents are folded the same way on both (PostgreSQL's
`spanish` configuration keeps accents unless the `unaccent` extension is installed).

A source's text is cut into passages of about PASSAGE characters (kind `text`, ref_id
`<source id>#<start offset>`): ranking and snippets stay local and no tsvector grows past PostgreSQL's
limits. Passages are searched with, and grouped under, their source."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml
from markupsafe import Markup, escape
from sqlalchemy import and_, delete, select, text
from sqlalchemy.orm import Session, selectinload

from veeduria.store.models import Claim, ClaimEntity, Entity, SearchDoc, Source
from veeduria.text import fold
from veeduria.vocab import label

_TOKEN = re.compile(r"\w+", re.UNICODE)
# Groups shown to readers, in this order; `text` rows (passages) belong to `source`.
KIND_ORDER = ("entity", "source", "claim")
# The rows of each full-text index (migration 0006_search): `public` holds accepted claims
# only, so the common search (a reader without an editor login) needs no status filter.
INDEX_ROWS = {"entity": "kind = 'entity'", "claim": "kind = 'claim'",
              "public": "kind = 'claim' AND tags LIKE '%zztaccepted%'",
              "source": "kind IN ('source', 'text')"}
# A kind lists at most its RANK_WINDOW newest matches and ranks the RANK_TOP newest of
# them by relevance (older ones follow, newest first), so a frequent word among millions
# of claims costs the same as a rare one.
RANK_WINDOW = 2000
RANK_TOP = 400
PASSAGE = 2000
LANGS = ("en", "es")
# Which filters a kind can answer; a filter on a field a kind lacks leaves that kind out.
FIELDS = {"entity": {"sector", "country"},
          "source": {"date", "source"},
          "claim": {"domain", "sector", "country", "date", "source", "status"}}

# --- words, stems, tags ---------------------------------------------------------------------

_STEMMERS = {"en": snowballstemmer.stemmer("english"), "es": snowballstemmer.stemmer("spanish")}
_STEM_LOCK = threading.Lock()  # a Snowball stemmer object keeps state while it works


@lru_cache(maxsize=262_144)
def word_forms(word: str) -> tuple[str, tuple[str, ...]]:
    """(folded word, its stems other than itself). Spanish Snowball depends on accents
    (minería -> min, mineria -> mineri), so the stems of both spellings are kept: a query
    typed with or without accents then meets the document either way."""
    folded = fold(word).replace(" ", "")
    if len(folded) < 3 or folded.isdigit():
        return folded, ()
    lower = word.casefold()
    with _STEM_LOCK:
        stems = {fold(s.stemWord(w)).replace(" ", "") for s in _STEMMERS.values() for w in {lower, folded}}
    stems.discard(folded)
    stems.discard("")
    return folded, tuple(sorted(stems))


def terms_of(*parts: str | None) -> str:
    """The `terms` column: folded words in order, then the stems not already among them."""
    words: list[str] = []
    stems: set[str] = set()
    for part in parts:
        if not part:
            continue
        for token in _TOKEN.findall(part):
            folded, extra = word_forms(token)
            if folded:
                words.append(folded)
                stems.update(extra)
    stems.difference_update(words)
    return " ".join(words + sorted(stems))


_CODES = {"domain": "d", "sector": "s", "country": "c", "status": "t", "source": "r"}


def tag(field_name: str, value: str) -> str:
    if field_name == "source":  # any characters: a digest makes it one token
        return "zzr" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:16]
    return "zz" + _CODES[field_name] + re.sub(r"[^0-9a-z]", "", fold(value))


def date_tags(date: str | None) -> list[str]:
    """zzyYYYY, and zzmYYYYMM / zzxYYYYMMDD as far as the date is precise."""
    m = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", date or "")
    if not m:
        return []
    year, month, day = m.groups()
    out = [f"zzy{year}"]
    if month and month != "00":
        out.append(f"zzm{year}{month}")
        if day and day != "00":
            out.append(f"zzx{year}{month}{day}")
    return out


def tags_of(*, domain: str | None = None, sector: str | None = None, country: str | None = None,
            status: str | None = None, date: str | None = None, source: str | None = None) -> str:
    out = [tag(name, value) for name, value in (("domain", domain), ("sector", sector),
                                                ("country", country), ("status", status),
                                                ("source", source)) if value]
    return " ".join(out + date_tags(date))


FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def _bound(value: str, high: bool) -> dt.date:
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value.strip())
    if not m:
        raise ValueError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if day:
            return dt.date(year, int(month), int(day))
        if month:
            first = dt.date(year, int(month), 1)
            return (_next_month(first) - dt.timedelta(days=1)) if high else first
        return dt.date(year, 12, 31) if high else dt.date(year, 1, 1)
    except ValueError:
        raise ValueError(f"bad date {value!r}") from None


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def date_cover(date_from: str | None, date_to: str | None) -> list[str] | None:
    """Date tags covering [date_from, date_to] (partial dates, inclusive), fewest first:
    whole years, then whole months, then days. None when the range excludes nothing. A
    document dated only by year matches when its whole year is inside the range."""
    if not date_from and not date_to:
        return None
    lo = max(_bound(date_from, False) if date_from else FIRST_DAY, FIRST_DAY)
    hi = min(_bound(date_to, True) if date_to else LAST_DAY, LAST_DAY)
    if lo > hi:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    if lo == FIRST_DAY and hi == LAST_DAY:
        return None
    out, d = [], lo
    while d <= hi:
        if d.month == 1 and d.day == 1 and dt.date(d.year, 12, 31) <= hi:
            out.append(f"zzy{d.year}")
            d = dt.date(d.year + 1, 1, 1)
        elif d.day == 1 and _next_month(d) - dt.timedelta(days=1) <= hi:
            out.append(f"zzm{d.year}{d.month:02d}")
            d = _next_month(d)
        else:
            out.append(f"zzx{d.year}{d.month:02d}{d.day:02d}")
            d += dt.timedelta(days=1)
    return out


# --- the documents --------------------------------------------------------------------------

def _labels(kind: str, key: str | None) -> list[str]:
    return list(dict.fromkeys(label(kind, key, lang) for lang in LANGS)) if key else []


def _doc(kind: str, ref_id: str, title: str, parts: Sequence[str | None], tags: str) -> dict[str, Any]:
    body = " ".join(p for p in parts if p)
    return {"kind": kind, "ref_id": ref_id, "title": title, "body": body, "terms": terms_of(body),
            "tags": tags}


def claim_doc(values: dict[str, Any], role_names: Sequence[str]) -> dict[str, Any]:
    """The search document of a claim, from its column values (as the store holds them)."""
    meta = values.get("meta") or {}
    parts = [values["quote"], " ".join(role_names), *_labels("predicate", values["predicate"]),
             values.get("qualifier"), *(meta.get(f"qualifier_{lg}") for lg in LANGS if lg != "en"),
             values.get("place"), values.get("note"), *_labels("domain", values.get("domain")),
             *_labels("sector", values.get("sector"))]
    tags = tags_of(domain=values.get("domain"), sector=values.get("sector"),
                   country=values.get("country"), status=values.get("status") or "candidate",
                   date=values.get("date"), source=values.get("source_id"))
    return _doc("claim", values["id"], values["quote"][:200], parts, tags)


def entity_doc(ent_id: str, name: str, names: Sequence[str], *, description: str | None = None,
               meta: dict[str, Any] | None = None, sector: str | None = None,
               country: str | None = None, schema: str | None = None) -> dict[str, Any]:
    meta = meta or {}
    parts = [" ".join(names), description,
             *(meta.get(f"description_{lg}") for lg in LANGS if lg != "en"),
             *_labels("sector", sector), country, schema]
    return _doc("entity", ent_id, name, parts, tags_of(sector=sector, country=country))


def passages(text_: str, size: int = PASSAGE) -> list[tuple[int, int]]:
    """Spans of about `size` characters, cut at a paragraph break, else a sentence end,
    else a space in their second half, so a phrase is seldom cut in two."""
    spans, start, n = [], 0, len(text_)
    while start < n:
        end = min(n, start + size)
        if end < n:
            half = start + size // 2
            cut = text_.rfind("\n\n", half, end)
            if cut < 0:
                found = [m.end() for m in re.finditer(r"[.!?。]\s", text_[half:end])]
                cut = half + found[-1] if found else text_.rfind(" ", half, end)
            end = cut if cut > start else end
        if text_[start:end].strip():
            spans.append((start, end))
        start = end
    return spans


def source_docs(values: dict[str, Any], text_: str | None) -> list[dict[str, Any]]:
    """The source's own document (its metadata) and one per passage of its text."""
    sid = values["id"]
    title = values.get("title") or sid
    tags = tags_of(date=values.get("published"), source=sid)
    docs = [_doc("source", sid, title, [values.get("title"), values.get("author"),
                                       values.get("publisher"), values.get("filename")], tags)]
    for a, b in passages(text_ or ""):
        # Titled "" so that a word of the source's title does not rank every passage.
        docs.append(_doc("text", f"{sid}#{a}", "", [text_[a:b]], tags))
    return docs


# --- writing the index ----------------------------------------------------------------------

_COLUMNS = ("title", "body", "terms", "tags")


def _upsert(session: Session, row: dict[str, Any]) -> None:
    doc = session.scalar(select(SearchDoc).where(SearchDoc.kind == row["kind"],
                                                 SearchDoc.ref_id == row["ref_id"]))
    if doc is None:
        session.add(SearchDoc(**row))
    elif any(getattr(doc, c) != row[c] for c in _COLUMNS):
        for c in _COLUMNS:
            setattr(doc, c, row[c])


def index_entities(session: Session, ids: Iterable[str]) -> None:
    ids = list(ids)
    for i in range(0, len(ids), 500):
        rows = session.scalars(
            select(Entity).where(Entity.id.in_(ids[i:i + 500])).options(selectinload(Entity.names))
        )
        for ent in rows:
            _upsert(session, entity_doc(ent.id, ent.name, [n.name for n in ent.names],
                                        description=ent.description, meta=ent.meta,
                                        sector=ent.sector, country=ent.country, schema=ent.schema))


def claim_values_of(claim: Claim) -> dict[str, Any]:
    return {c: getattr(claim, c) for c in ("id", "quote", "predicate", "qualifier", "place", "note",
                                           "domain", "sector", "country", "status", "date",
                                           "source_id", "meta")}


def index_claims(session: Session, ids: Iterable[str], *, new: bool = False) -> None:
    """`new=True`: the claims were just created and have no search entry yet (skips a
    look-up per claim when ingesting many)."""
    ids = list(ids)
    for i in range(0, len(ids), 500):
        rows = session.scalars(
            select(Claim).where(Claim.id.in_(ids[i:i + 500]))
            .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity))
        )
        for claim in rows:
            row = claim_doc(claim_values_of(claim), [r.entity.name for r in claim.roles])
            if new:
                session.add(SearchDoc(**row))
            else:
                _upsert(session, row)


def _passage_range(source_id: str) -> Any:
    # `#` then `$`: every "<id>#<n>" sorts between them, so the unique index serves the range.
    return and_(SearchDoc.kind == "text", SearchDoc.ref_id > f"{source_id}#",
                SearchDoc.ref_id < f"{source_id}$")


def index_sources(session: Session, ids: Iterable[str]) -> None:
    for src in session.scalars(select(Source).where(Source.id.in_(list(ids)))):
        values = {c: getattr(src, c) for c in ("id", "title", "author", "publisher", "filename",
                                               "published")}
        docs = source_docs(values, src.text)
        _upsert(session, docs[0])
        old = {d.ref_id: d for d in session.scalars(select(SearchDoc).where(_passage_range(src.id)))}
        for row in docs[1:]:
            have = old.pop(row["ref_id"], None)
            if have is None:
                session.add(SearchDoc(**row))
            elif any(getattr(have, c) != row[c] for c in _COLUMNS):
                for c in _COLUMNS:
                    setattr(have, c, row[c])
        for gone in old.values():
            session.delete(gone)


def unindex(session: Session, kind: str, ids: Iterable[str]) -> None:
    ids = list(ids)
    session.execute(delete(SearchDoc).where(SearchDoc.kind == kind, SearchDoc.ref_id.in_(ids)))
    if kind == "source":
        for sid in ids:
            session.execute(delete(SearchDoc).where(_passage_range(sid)))


# --- the query ------------------------------------------------------------------------------

THESAURUS = Path(__file__).resolve().parent.parent / "vocab" / "thesaurus.yaml"


@cache
def thesaurus() -> dict[str, list[str]]:
    """Folded term -> what else it stands for (names, the other language, `sector:<key>`)."""
    with open(THESAURUS, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    out: dict[str, list[str]] = {}
    for group in data.get("groups", []):
        members = [str(m) for m in group]
        for m in members:
            if not m.startswith("sector:"):
                out.setdefault(fold(m), []).extend(x for x in members if x != m)
    return out


@dataclass
class Alt:
    """One way a query part can match: a phrase of folded words (the last one may be a
    prefix), or a set of tags (any of them)."""

    words: tuple[str, ...] = ()
    prefix: bool = False
    tags: tuple[str, ...] = ()


@dataclass
class Query:
    """Parsed query: every group must match; a group matches when any of its alternatives
    does. `highlight` holds the folded words and stems a snippet marks."""

    groups: list[list[Alt]] = field(default_factory=list)
    highlight: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.groups)


_QUOTED = re.compile(r'"([^"]*)"?')


# Words a thesaurus phrase brings in that are not worth marking in a snippet on their own.
_GLUE = {"and", "the", "of", "for", "de", "del", "la", "el", "los", "las", "y", "en", "a", "s"}


def _expand(term: str) -> list[Alt]:
    alts = []
    for other in thesaurus().get(term, []):
        if other.startswith("sector:"):
            alts.append(Alt(tags=(tag("sector", other[7:]),)))
        else:
            words = tuple(fold(other).split())
            if words:
                alts.append(Alt(words))
    return alts


def parse_query(raw: str) -> Query:
    """Words all required; "quoted phrases" match in order; the last bare word also matches
    as a prefix (search as you type); each word also matches by its English and Spanish
    stems, and by what the thesaurus says it stands for."""
    q = Query()
    phrases = [fold(p).split() for p in _QUOTED.findall(raw)]
    bare = [w for w in _TOKEN.findall(_QUOTED.sub(" ", raw))]
    for words in phrases:
        if words:
            q.groups.append([Alt(tuple(words))] + _expand(" ".join(words)))
            q.highlight.update(words)
    whole = fold(" ".join(bare))
    if len(bare) > 1 and whole in thesaurus():  # a multi-word name the thesaurus knows
        q.groups.append([Alt(tuple(whole.split()))] + _expand(whole))
        q.highlight.update(whole.split())
        bare = []
    for i, word in enumerate(bare):
        folded, stems = word_forms(word)
        if not folded:
            continue
        prefix = i == len(bare) - 1 and not phrases and len(folded) >= 2 and not folded.isdigit()
        alts = [Alt((folded,), prefix=prefix)] + [Alt((s,)) for s in stems] + _expand(folded)
        q.groups.append(alts)
        q.highlight.add(folded)
        q.highlight.update(stems)
        if prefix:
            q.prefixes.add(folded)
    for group in q.groups:
        for alt in group[1:]:  # what the thesaurus added
            if len(alt.words) == 1:
                q.highlight.update(word_forms(alt.words[0])[1])
            q.highlight.update(w for w in alt.words if w not in _GLUE)
    return q


def _fts5(q: Query, filters: list[list[str]]) -> str:
    def alt(a: Alt) -> str:
        if a.tags:
            return "tags : (" + " OR ".join(a.tags) + ")"
        phrase = " ".join(a.words)
        return "{title terms} : " + f'"{phrase}"' + ("*" if a.prefix else "")
    parts = ["(" + " OR ".join(alt(a) for a in g) + ")" for g in q.groups]
    parts += ["tags : (" + " OR ".join(f) + ")" for f in filters]
    return " AND ".join(parts)


def _tsquery(q: Query, filters: list[list[str]]) -> str:
    def alt(a: Alt) -> str:
        if a.tags:
            return " | ".join(a.tags)
        # Weight D is the text (terms), A the filter tags: a typed word never meets a tag.
        words = [f"{w}:D" for w in a.words if w]
        last = words[-1][:-2] + (":*D" if a.prefix else ":D")
        return " <-> ".join(words[:-1] + [last])
    parts = ["(" + " | ".join(f"({alt(a)})" for a in g) + ")" for g in q.groups]
    parts += ["(" + " | ".join(f) + ")" for f in filters]
    return " & ".join(parts)


@dataclass
class Filters:
    """What a search is narrowed to; `statuses` is the claims a reader may see."""

    domain: str | None = None
    sector: str | None = None
    country: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    source: str | None = None
    statuses: tuple[str, ...] | None = None

    def fields(self) -> set[str]:
        out = {name for name in ("domain", "sector", "country", "source") if getattr(self, name)}
        if self.date_from or self.date_to:
            out.add("date")
        if self.statuses is not None:
            out.add("status")
        return out

    def public(self, kind: str) -> bool:
        """Accepted claims only: searched in their own index, without a status filter."""
        return kind == "claim" and self.statuses == ("accepted",)

    def tag_sets(self, kind: str) -> list[list[str]] | None:
        """One any-of list per filter the kind answers; None when the kind is filtered out.
        A status restriction only concerns claims: other kinds have no status."""
        wanted = self.fields() - ({"status"} if kind != "claim" else set())
        if not wanted <= FIELDS[kind]:
            return None
        out = [[tag(name, getattr(self, name))] for name in ("domain", "sector", "country", "source")
               if getattr(self, name)]
        cover = date_cover(self.date_from, self.date_to)
        if cover is not None:
            out.append(cover)
        if kind == "claim" and self.statuses is not None and not self.public(kind):
            out.append([tag("status", s) for s in self.statuses] or ["zztnone"])
        return out


@dataclass
class Hit:
    kind: str
    ref_id: str
    title: str
    rank: float  # position in its kind's order (0 = best)
    body: str = ""
    # For a source found by its text: the passage's start offset in the text.
    at: int | None = None


@dataclass
class KindResult:
    kind: str
    total: int  # matches found, at most RANK_WINDOW (then `more` is true)
    more: bool
    hits: list[Hit]


def search_kinds(session: Session, query: str | Query, *, kinds: Iterable[str] | None = None,
                 filters: Filters | None = None, limit: int = 20, offset: int = 0
                 ) -> dict[str, KindResult]:
    """Each kind's matches (its RANK_WINDOW newest, the RANK_TOP newest ranked by
    relevance), with their count and the page [offset, offset + limit). Sources found by
    several passages appear once, with their best passage."""
    q = query if isinstance(query, Query) else parse_query(query)
    filters = filters or Filters()
    out: dict[str, KindResult] = {}
    if not q:
        return out
    dialect = session.get_bind().dialect.name
    for kind in KIND_ORDER:
        if kinds is not None and kind not in set(kinds):
            continue
        tag_sets = filters.tag_sets(kind)
        if tag_sets is None:
            continue
        index = "public" if filters.public(kind) else kind
        ranked, more = _ranked(session, dialect, index, q, tag_sets)
        page = ranked[offset:offset + limit]
        out[kind] = KindResult(kind, len(ranked), more, _load_hits(session, kind, page))
    return out


def search(session: Session, query: str, *, kinds: Iterable[str] | None = None,
           limit: int = 20, offset: int = 0, filters: Filters | None = None) -> list[Hit]:
    """Documents matching every word of `query`: entities first, then sources, then claims,
    each kind ranked by relevance (one list, for callers wanting the best few)."""
    hits: list[Hit] = []
    need = offset + limit
    q = parse_query(query)
    for kind in KIND_ORDER:
        if len(hits) >= need:
            break
        res = search_kinds(session, q, kinds=[kind] if kinds is None or kind in set(kinds) else [],
                           filters=filters, limit=need - len(hits))
        if kind in res:
            hits.extend(res[kind].hits)
    return hits[offset:need]


def _ranked(session: Session, dialect: str, index: str, q: Query,
            tag_sets: list[list[str]]) -> tuple[list[int], bool]:
    """Row ids of the RANK_WINDOW newest matches in the order shown: the RANK_TOP newest
    ranked by relevance, then the older ones newest first; and whether there were more
    matches than the window. Ranking reads each candidate's positions, so it is kept to a
    few hundred rows; listing the window reads row ids only. Sources keep one row each
    (their metadata or their best passage)."""
    keyed = index == "source"
    if dialect == "sqlite":
        table = f"search_fts_{index}"
        match = _fts5(q, tag_sets)
        newest = f"SELECT rowid FROM {table} WHERE {table} MATCH :match ORDER BY rowid DESC LIMIT :n"
        if keyed:  # the passages' source ids come with the row ids, in the same statement
            newest = (f"SELECT d.id, d.kind, d.ref_id FROM ({newest}) m JOIN search_docs d ON d.id = m.rowid "
                      "ORDER BY d.id DESC")
        rows = session.execute(text(newest), {"match": match, "n": RANK_WINDOW + 1}).all()
    else:
        tsq = _tsquery(q, tag_sets)
        # The index's own predicate, word for word, so the planner can use that index.
        rows = session.execute(
            text(f"SELECT id{', kind, ref_id' if keyed else ''} FROM search_docs WHERE {INDEX_ROWS[index]} "
                 "AND tsv @@ to_tsquery('simple', :q) ORDER BY id DESC LIMIT :n"),
            {"q": tsq, "n": RANK_WINDOW + 1}).all()
    more, rows = len(rows) > RANK_WINDOW, rows[:RANK_WINDOW]
    if not rows:
        return [], False
    ids = [r[0] for r in rows]
    top = ids[:RANK_TOP]
    if dialect == "sqlite":
        # FTS5 applies the rowid range inside the index: only the top rows are ranked.
        ranked = [r[0] for r in session.execute(
            text(f"SELECT rowid, bm25({table}, 4.0, 1.0, 0.0) AS rank FROM {table} "
                 f"WHERE {table} MATCH :match AND rowid >= :lo ORDER BY rank, rowid DESC"),
            {"match": match, "lo": top[-1]})]
    else:
        ranked = [r[0] for r in session.execute(
            text("SELECT id FROM search_docs WHERE id = ANY(:ids) "
                 "ORDER BY ts_rank(tsv, to_tsquery('simple', :q)) DESC, id DESC"),
            {"q": tsq, "ids": top})]
    order = ranked + ids[RANK_TOP:]
    if keyed:
        keys = {r[0]: (r[2].rsplit("#", 1)[0] if r[1] == "text" else r[2]) for r in rows}
        seen: set[str] = set()
        order = [i for i in order if not (keys[i] in seen or seen.add(keys[i]))]
    return order, more


def _load_hits(session: Session, kind: str, page: list[int]) -> list[Hit]:
    if not page:
        return []
    rows = {d.id: d for d in session.scalars(select(SearchDoc).where(SearchDoc.id.in_(page)))}
    hits = []
    for rank, rid in enumerate(page):
        d = rows.get(rid)
        if d is None:
            continue
        if d.kind == "text":
            ref, at = d.ref_id.rsplit("#", 1)
            hits.append(Hit("source", ref, "", float(rank), d.body, at=int(at)))
        else:
            hits.append(Hit(kind, d.ref_id, d.title, float(rank), d.body))
    # A passage's title is the source's, read from the source.
    missing = [h for h in hits if h.at is not None]
    if missing:
        titles = {sid: title for sid, title in session.execute(
            select(Source.id, Source.title).where(Source.id.in_([h.ref_id for h in missing])))}
        for h in missing:
            h.title = titles.get(h.ref_id) or h.ref_id
    return hits


# --- snippets -------------------------------------------------------------------------------

def _matches(token: str, q: Query) -> bool:
    folded, stems = word_forms(token)
    if folded in q.highlight or any(folded.startswith(p) for p in q.prefixes):
        return True
    return any(s in q.highlight for s in stems)


def snippet(text_: str | None, q: Query, width: int = 220) -> Markup | None:
    """About `width` characters of `text_` around its first match, every matching word in
    <mark>; everything else escaped. None when nothing in the text matches."""
    if not text_:
        return None
    first = next((m for m in _TOKEN.finditer(text_) if _matches(m.group(), q)), None)
    if first is None:
        return None
    start = max(0, first.start() - width // 3)
    if start:
        space = text_.find(" ", start, first.start())
        start = space + 1 if space >= 0 else start
    end = min(len(text_), start + width)
    if end < len(text_):
        space = text_.rfind(" ", max(first.end(), start + width // 2), end)
        end = space if space > 0 else end
    out = [Markup("…") if start else Markup("")]
    pos = start
    # Only the window's words are looked at again, not the whole text.
    for m in _TOKEN.finditer(text_, first.start(), end):
        if not _matches(m.group(), q):
            continue
        out.append(escape(text_[pos:m.start()]))
        out.append(Markup("<mark>") + escape(m.group()) + Markup("</mark>"))
        pos = m.end()
    out.append(escape(text_[pos:end]))
    if end < len(text_):
        out.append(Markup("…"))
    return Markup("").join(out)


def mark_words(text_: str, q: Query, state: dict[str, bool] | None = None) -> Markup:
    """All of `text_`, escaped, with every word matching `q` in <mark class="search-hit">;
    the first mark (across calls sharing `state`) gets id="hit", for a link to land on."""
    state = state if state is not None else {}
    out, pos = [], 0
    for m in _TOKEN.finditer(text_):
        if not _matches(m.group(), q):
            continue
        out.append(escape(text_[pos:m.start()]))
        anchor = "" if state.get("anchored") else ' id="hit"'
        state["anchored"] = True
        out.append(Markup(f'<mark class="search-hit"{anchor}>') + escape(m.group()) + Markup("</mark>"))
        pos = m.end()
    out.append(escape(text_[pos:]))
    return Markup("").join(out)
