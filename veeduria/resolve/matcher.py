"""Matching names to known entities: exact normalised names, acronyms, then weighted fuzzy
token overlap, with token blocking so that 100,000 names against 100,000 entities stays fast.

Score of a fuzzy match: a weighted mean of how much of the query's token weight the
candidate covers and how much of the candidate's weight the query covers. Token weights
are inverse document frequencies; generic words ("China", "national", "de") weigh little,
so "Three Gorges" matches "China Three Gorges Corporation" but "China Energy Engineering"
does not."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from veeduria.resolve.normalize import (
    countries_named,
    initials,
    looks_like_acronym,
    normalize,
    rules,
    tokens,
    variants,
)

SCHEMA_FAMILIES = {
    "Company": "org", "Organization": "org", "PublicBody": "org", "LegalEntity": "org",
    "Person": "person", "Project": "thing", "Asset": "thing", "Address": "place",
    "Territory": "place", "Vehicle": "vehicle", "Vessel": "vehicle", "Airplane": "vehicle",
}
# LegalEntity is the FtM parent of both people and organisations.
_ANY_FAMILY = {"LegalEntity"}
TOKEN_SIM_MIN = 0.85   # a misspelt word still counts (Najinzhao ~ Nanjinzhao)
FUZZY_CAP = 0.97       # a fuzzy match never outranks an exact one
ACRONYM_UNIQUE = 0.9
ACRONYM_SHARED = 0.75
COUNTRY_MISMATCH = 0.9
CANDIDATES_PER_VARIANT = 8
QUERY_SIDE = 0.6


@dataclass
class Candidate:
    entity_id: str
    score: float
    reason: str
    name: str = ""  # the known name that matched


@dataclass
class EntityInfo:
    schema: str
    country: str | None
    name: str


@dataclass
class Matcher:
    """An in-memory index of entity names. Build it with `add` (or `from_store`) then `match`."""

    entities: dict[str, EntityInfo] = field(default_factory=dict)
    _names: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)  # (entity, tokens, raw)
    _postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _exact: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _acronyms: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _affix: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _rejected: set[tuple[str, str]] = field(default_factory=set)  # (normalised name, entity)
    _weights: dict[str, float] = field(default_factory=dict)
    _name_weight: list[float] = field(default_factory=list)  # total token weight per name
    _dirty: bool = True

    # ----- building -----------------------------------------------------------------------
    def add(self, entity_id: str, names: Iterable[str], schema: str = "Company",
            country: str | None = None) -> None:
        names = [n for n in names if n and n.strip()]
        if not names:
            return
        if entity_id not in self.entities:
            self.entities[entity_id] = EntityInfo(schema, country, names[0])
        seen: set[str] = set()
        for raw in names:
            for var in variants(raw):
                norm = normalize(var)
                if not norm or norm in seen:
                    continue
                seen.add(norm)
                self._exact[norm].add(entity_id)
                toks = tokens(norm)
                idx = len(self._names)
                self._names.append((entity_id, toks, var))
                for tok in set(toks):
                    self._postings[tok].append(idx)
                if looks_like_acronym(var):
                    self._acronyms[norm].add(entity_id)
            for acr in initials(raw):
                self._acronyms[acr].add(entity_id)
        self._dirty = True

    def reject(self, name: str, entity_id: str) -> None:
        """A recorded no-match judgement: never propose `entity_id` for `name` again."""
        self._rejected.add((normalize(name), entity_id))

    def _prepare(self) -> None:
        if not self._dirty:
            return
        n = max(len(self._names), 1)
        generic, gw = rules().generic_words, rules().generic_weight
        self._weights = {}
        self._affix = defaultdict(set)
        for tok, post in self._postings.items():
            self._weights[tok] = gw if tok in generic else 1.0 + math.log(n / len(post))
            if len(tok) >= 5:  # keyed by length too: a typo changes it by one at most
                self._affix[f"<{tok[:4]}{len(tok)}"].add(tok)
                self._affix[f"{tok[-4:]}>{len(tok)}"].add(tok)
        for tok in generic:
            self._weights[tok] = gw
        self._unknown_weight = 1.0 + math.log(n)
        # Blocking: tokens shared by more names than this do not propose candidates.
        self._df_cap = max(100, n // 1000)
        w, unk = self._weights, self._unknown_weight
        self._name_weight = [sum(w.get(t, unk) for t in toks) for _, toks, _ in self._names]
        self._dirty = False

    def weight(self, tok: str) -> float:
        self._prepare()
        return self._weights.get(tok, self._unknown_weight)

    # ----- matching -----------------------------------------------------------------------
    def _similar_tokens(self, tok: str) -> list[tuple[str, float]]:
        """Known tokens close to an unknown one (shared 4-letter prefix or suffix)."""
        if len(tok) < 5:
            return []
        pool: set[str] = set()
        for n in (len(tok) - 1, len(tok), len(tok) + 1):
            pool.update(self._affix.get(f"<{tok[:4]}{n}", ()))
            pool.update(self._affix.get(f"{tok[-4:]}>{n}", ()))
        if not pool:
            return []
        found = process.extract(tok, list(pool), scorer=Levenshtein.normalized_similarity,
                                score_cutoff=TOKEN_SIM_MIN, limit=5)
        return [(other, sim) for other, sim, _ in found]

    def _score(self, q: tuple[str, ...], qmap: dict[str, list[tuple[str, float]]],
               idx: int) -> float:
        c = self._names[idx][1]
        cset = set(c)
        w, unk = self._weights, self._unknown_weight
        qw = q_hit = c_hit = 0.0
        best_for_c: dict[str, float] = {}
        for tok in q:
            wt = w.get(tok, unk)
            qw += wt
            if tok in cset:
                matched, sim = tok, 1.0
            else:
                matched, sim = tok, 0.0
                for other, s in qmap.get(tok, ()):
                    if other in cset and s > sim:
                        matched, sim = other, s
            if sim:
                q_hit += wt * sim
                if sim > best_for_c.get(matched, 0.0):
                    best_for_c[matched] = sim
        cw = self._name_weight[idx]
        if not qw or not cw or not q_hit:
            return 0.0
        for tok, sim in best_for_c.items():
            c_hit += w.get(tok, unk) * sim * c.count(tok)
        q_countries, c_countries = countries_named(q), countries_named(cset)
        penalty = rules().country_mismatch if (q_countries and c_countries
                                               and not q_countries & c_countries) else 1.0
        # The query found inside the candidate counts more than the reverse: "COSCO" is
        # likelier to mean "COSCO Shipping" than "COSCO Shipping" is to mean "COSCO".
        return penalty * (QUERY_SIDE * (q_hit / qw) + (1 - QUERY_SIDE) * (c_hit / cw))

    def _fuzzy(self, norm: str) -> dict[int, float]:
        q = tokens(norm)
        qmap: dict[str, list[tuple[str, float]]] = {}
        for tok in q:
            if tok not in self._postings:
                qmap[tok] = self._similar_tokens(tok)
        # Blocking: gather names sharing a (reasonably rare) token, ranked by shared weight.
        keys: list[tuple[str, float]] = []
        for tok in set(q):
            if tok in self._postings:
                keys.append((tok, 1.0))
            keys.extend(qmap.get(tok, ()))
        usable = [(t, s) for t, s in keys if len(self._postings[t]) <= self._df_cap]
        if not usable and keys:
            usable = [min(keys, key=lambda ts: len(self._postings[ts[0]]))]
        acc: dict[int, float] = {}
        get = acc.get
        for tok, sim in usable:
            w = self._weights.get(tok, self._unknown_weight) * sim
            for idx in self._postings[tok][: self._df_cap * 10]:
                acc[idx] = get(idx, 0.0) + w
        if not acc:
            return {}
        top = heapq.nlargest(CANDIDATES_PER_VARIANT, acc, key=acc.__getitem__)
        return {idx: self._score(q, qmap, idx) for idx in top}

    def match(self, name: str, schema: str | None = None, country: str | None = None,
              limit: int = 5) -> list[Candidate]:
        """Known entities `name` may refer to, best first."""
        self._prepare()
        best: dict[str, Candidate] = {}

        def offer(entity_id: str, score: float, reason: str, known: str) -> None:
            cur = best.get(entity_id)
            if cur is None or score > cur.score:
                best[entity_id] = Candidate(entity_id, round(score, 4), reason, known)

        for var in variants(name):
            norm = normalize(var)
            if not norm:
                continue
            for eid in self._exact.get(norm, ()):
                offer(eid, 1.0, "same name after normalisation", var)
            acr = norm.replace(" ", "")
            if (looks_like_acronym(var) or len(tokens(norm)) == 1) and acr in self._acronyms:
                owners = self._acronyms[acr]
                score = ACRONYM_UNIQUE if len(owners) == 1 else ACRONYM_SHARED
                for eid in owners:
                    offer(eid, score, f"acronym {var!r}", var)
            for idx, score in self._fuzzy(norm).items():
                if score > 0:
                    eid, _, known = self._names[idx]
                    offer(eid, min(score, FUZZY_CAP), "similar name", known)
        out = []
        norms = {normalize(v) for v in variants(name)} if self._rejected else set()
        family = SCHEMA_FAMILIES.get(schema or "", None)
        for cand in best.values():
            if any((n, cand.entity_id) in self._rejected for n in norms):
                continue
            info = self.entities[cand.entity_id]
            if family and info.schema not in _ANY_FAMILY and schema not in _ANY_FAMILY:
                if SCHEMA_FAMILIES.get(info.schema) != family:
                    continue
            if country and info.country and info.country.lower() != country.lower():
                cand.score = round(cand.score * COUNTRY_MISMATCH, 4)
                cand.reason += f" (country {info.country} differs)"
            out.append(cand)
        out.sort(key=lambda c: (-c.score, c.entity_id))
        return out[:limit]

    def decide(self, candidates: list[Candidate]) -> tuple[str, Candidate | None]:
        """'auto' with the winner, 'review' with the best guess, or 'none'."""
        th = rules().thresholds
        if not candidates or candidates[0].score < th["review"]:
            return "none", None
        top = candidates[0]
        runner = candidates[1].score if len(candidates) > 1 else 0.0
        if top.score >= th["auto"] and (top.score - runner >= th["margin"] or
                                         (top.score == 1.0 and runner < 1.0)):
            return "auto", top
        return "review", top

    def __len__(self) -> int:
        return len(self.entities)
