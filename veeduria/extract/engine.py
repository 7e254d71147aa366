"""From a document's text and metadata to candidate claims: pure functions, no database.

One pass per finder over the whole text (gazetteer, new names, figures, dates, relation
triggers, sector and modality cues); the hits are then grouped by sentence and each
relation trigger (or, failing one, each figure) with entities becomes a candidate."""

from __future__ import annotations

import bisect
import dataclasses
import gc
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from veeduria.extract import discourse
from veeduria.extract.dates import DateMention, find_dates, parse_published
from veeduria.extract.figures import Figure, find_figures
from veeduria.extract.fx import money
from veeduria.extract.gazetteer import EntityInfo, Gazetteer, Mention
from veeduria.extract.lexicon import Lexicon, Relation, lexicon
from veeduria.extract.names import NewName, new_mentions
from veeduria.extract.scan import tokens
from veeduria.extract.sentences import sentence_spans
from veeduria.extract.states import keep_state
from veeduria.extract.world import world_records
from veeduria.model import ClaimRecord, EntityRecord, Quantity
from veeduria.vocab import NEGATIVE_MODALITIES, PARTY_ROLE, predicates

METHOD = "extract:rules-v1"
MAX_QUOTE = ClaimRecord.MAX_QUOTE
MAX_MENTIONS = 5000  # per document, in its meta; a bound for hostile or huge texts
PLACE_SCHEMATA = {"Address", "Territory"}
# Figures with no relation word: what they most likely state.
FALLBACK = {"share": "market_share", "money": "stated_figure", "quantity": "has_capacity"}
_FALLBACK_RELATION = {k: Relation(v, "economy") for k, v in FALLBACK.items()}
_CUMULATIVE = re.compile(r"(?<!\w)(?:to\s+date|so\s+far|thus\s+far|as\s+of\s+(?:now|today)|cumulative(?:ly)?|"
                         r"hasta\s+(?:la\s+fecha|ahora|el\s+momento)|a\s+la\s+fecha|acumulad[oa]s?|"
                         r"en\s+lo\s+que\s+va)(?!\w)", re.IGNORECASE)
# "..., pledging to invest", "..., agreeing to buy", ", con el compromiso de invertir": a
# participle clause whose subject is the sentence's first actor.
_PARTICIPLE_BEFORE = re.compile(r",\s+(?:\w+ing|comprometi[ée]ndose|acordando|prometiendo)\s+(?:to\s+|a\s+)?$",
                                re.IGNORECASE)
_SPEAKER_AFTER = re.compile(r"[\s,]*(?:\([^()]{0,40}\)\s*)?(?:,\s*(?:the|a|an|el|la)?\s*[\w\s'’-]{0,60},\s*)?"
                            r"(?:said|says|told|added|noted|stated|announced|reported|explained|wrote|dijo|afirmó|"
                            r"señaló|declaró|explicó|indicó|informó|aseguró|agregó|añadió|sostuvo|anunció)\b",
                            re.IGNORECASE)
_SPEAKER_BEFORE = re.compile(r"(?:said|says|told|reported|according\s+to|dijo|afirmó|señaló|declaró|explicó|"
                             r"indicó|informó|aseguró|agregó|añadió|sostuvo|anunció|según)\s+(?:the\s+|el\s+|la\s+|"
                             r"los\s+|las\s+)?(?:(?:diario|newspaper|periódico|agencia|agency|portal|medio|outlet)\s+)?$",
                             re.IGNORECASE)


def _is_speaker(text: str, m: Mention) -> bool:
    """Whether a mention is the source of what the sentence says, not an actor in it."""
    after = _SPEAKER_AFTER.match(text, m.end, m.end + 110)
    if after is not None and after.end() - m.end <= 110:
        rest = text[after.end():after.end() + 60]
        # "X said it would buy Y": X is still the buyer; only a speaker closing the sentence
        # or introducing someone else's act ("said authorities ordered") is left out.
        if not re.match(r"\s+(?:(?:that\s+)?(?:it|they|he|she|we|the\s+company)\b|que\s+(?:la\s+empresa|su\b))",
                        rest, re.IGNORECASE):
            return True
    return _SPEAKER_BEFORE.search(text, max(0, m.start - 40), m.start) is not None


_CREDIT_LINE = re.compile(r"\s*(?:(?:Additional\s+)?(?:Reporting|Editing|Writing|Compiled|Edited)\s+by\b|"
                          r"(?:Con\s+informaci[óo]n\s+de|Edici[óo]n\s+de|Redacci[óo]n|Por)\s*:)", re.IGNORECASE)
_POSSESSIVE_STAKE = re.compile(r"['’]s\s+(?:[\d.,]+\s*(?:%|percent|per\s+cent)\s+)?(?:\w+\s+)?"
                               r"(?:stake|shares|interest|holding|assets|unit|business|operations)\b", re.IGNORECASE)
_STAKE_IN = re.compile(r"(?:stake|shares|interest|holding|assets|operations|business)\s+in\s+(?:the\s+)?$", re.IGNORECASE)
_IN_BEFORE = re.compile(r"(?<!\w)(?:in|en)\s+(?:the\s+|el\s+)?$", re.IGNORECASE)
_FIGURE_PREDICATES = frozenset({"market_share", "stated_figure", "has_capacity", "project_cost"})
_COOCCURRENCE = Relation("associated_with", "economy")
_PARTITIVE = {"de", "of", "in", "en"}
# Between two coordinated actors: "and the Bolivian Minister of Defense", "y el embajador".
_LINKED = re.compile(r"(?<!\w)(?:worth|valued\s+at|totall?ing|amounting\s+to|valorizad[oa]\s+en|por\s+un\s+monto\s+de)\s+$",
                     re.IGNORECASE)
_LOCATIVE = re.compile(r"(?<!\w)(?:to|in|at|from|en|a|desde|hacia)\s+(?:the\s+)?$", re.IGNORECASE)
_COORDINATED = re.compile(r"\)?(?:[ \t]*\([^()]{1,15}\))?[ \t]*,?[ \t]+(?:and|y|e|&)[ \t]+(?:(?:the|la|el|los|las)[ \t]+)?"
                          r"(?:(?:[A-ZÁÉÍÓÚÑ][\w'’.-]*|of|to|de|del|for)[ \t]+){0,8}")
_TITLE_RUN = re.compile(r"[ \t]+(?:(?:[A-ZÁÉÍÓÚÑ][\w.-]*|of|the|de|del)[ \t]+){1,6}")


def _title_gap(text: str, start: int, end: int) -> bool:
    """Only capitalised title words between an organisation and a person ("Chief of Staff Col.")."""
    from veeduria.extract.phrases import words

    if end - start > 60 or _TITLE_RUN.fullmatch(text, start, end) is None:
        return False
    return any(w in words().titles for w in text[start:end].split())


_OF_MODIFIER = re.compile(r"(?<!\w)(?:of|de|del)\s+(?:the\s+|la\s+|el\s+)?$")
_OF_GAP = re.compile(r"(?:\s*\([^()]{1,15}\))?\s+(?:of|de|del)\s+(?:the\s+|la\s+|el\s+)?")
_STOP_MANY = re.compile(r"Others\s+Attending|Also\s+attending", re.IGNORECASE)
_AGENT = {"by", "por"}
_ARTICLES = {"the", "a", "an", "el", "la", "los", "las", "un", "una"}
_SHARE_BEFORE = re.compile(r"(?:%|percent|por\s+ciento|stake|participaci[óo]n|acciones|shares)\s+(?:de|of|in|en)\s+(?:la\s+|el\s+|the\s+)?$",
                           re.IGNORECASE)


@dataclass
class DocMeta:
    source_id: str
    published: str | None = None  # YYYY[-MM[-DD]]
    language: str | None = None
    country: str | None = None
    case_id: str | None = None
    pages: list[int] | None = None  # offsets where PDF pages start

    @classmethod
    def from_dict(cls, meta: dict[str, Any]) -> DocMeta:
        return cls(**{k: meta.get(k) for k in cls.__dataclass_fields__})


@dataclass
class Extraction:
    claims: list[ClaimRecord] = field(default_factory=list)
    new_entities: list[EntityRecord] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    words: int = 0
    # Every recognised name as [start, end, text, entity id, schema], for the source's meta:
    # a document's people and companies stay findable where no claim names them.
    mention_table: list[list[Any]] = field(default_factory=list)


@dataclass
class _Trigger:
    start: int
    end: int
    relation: Relation
    text: str


def _bucket(starts: list[int], items: Iterable[Any]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for item in items:
        i = bisect.bisect_right(starts, item.start) - 1
        if i >= 0:
            out.setdefault(i, []).append(item)
    return out


def extract(text: str, meta: DocMeta | dict[str, Any], gazetteer: Gazetteer) -> Extraction:
    """Candidate claims found in `text`. Deterministic: the same input gives the same claims
    (and claim fingerprints) on every run and every worker."""
    if isinstance(meta, dict):
        meta = DocMeta.from_dict(meta)
    # Many small short-lived objects and no reference cycles: the cyclic collector only
    # costs time here (about a fifth on long texts).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _extract(text, meta, gazetteer)
    finally:
        if was_enabled:
            gc.enable()


def _extract(text: str, meta: DocMeta, gazetteer: Gazetteer) -> Extraction:
    lex = lexicon()
    toks = tokens(text)
    known = gazetteer.find(text)
    if gazetteer.state_ids:
        known = [m if m.entity_id not in gazetteer.state_ids else dataclasses.replace(m, new=True)
                 for m in known if m.entity_id not in gazetteer.state_ids or keep_state(text, m)]
    if gazetteer.world_ids:
        known = [dataclasses.replace(m, new=True) if m.entity_id in gazetteer.world_ids else m for m in known]
    fresh, new_names, covered = new_mentions(text, gazetteer, known, toks)
    if covered:
        gone = {id(m) for m in covered}
        known = [m for m in known if id(m) not in gone]
    mentions = sorted(known + fresh, key=lambda m: m.start)
    figures = find_figures(text, toks)
    dates = find_dates(text, meta.published, toks)
    triggers = [_Trigger(m.start(), m.end(), lex.relations[int(m.lastgroup[1:])], m.group())
                for m in lex.triggers.scan(text, toks) if m.lastgroup]
    sectors = [(m.start(), lex.sector_names[int(m.lastgroup[1:])])
               for m in lex.sector_scanner.scan(text, toks) if m.lastgroup]
    modalities = [(m.start(), lex.modality_names[int(m.lastgroup[1:])])
                  for m in lex.modality_scanner.scan(text, toks) if m.lastgroup]

    spans = sentence_spans(text)
    starts = [s for s, _ in spans]
    by_mention = _bucket(starts, mentions)
    by_figure = _bucket(starts, figures)
    by_date = _bucket(starts, dates)
    by_trigger = _bucket(starts, triggers)
    by_sector = _bucket(starts, (_At(p, v) for p, v in sectors))
    by_modality = _bucket(starts, (_At(p, v) for p, v in modalities))

    entities = dict(gazetteer.entities)
    for n in new_names:
        entities[n.entity_id] = EntityInfo(n.entity_id, n.name, n.schema)
    builder = _Builder(text, meta, entities, lex)
    builder.state_ids = gazetteer.state_ids
    result = Extraction(mentions=mentions, words=_count_words(text))
    paragraphs = discourse.paragraph_starts(text)
    sentences: dict[int, _Sentence] = {}
    para_date: DateMention | None = None
    prev: _Sentence | None = None
    # The last person, state and project named: news names them in one paragraph and
    # refers to them by role in the next ("El mandatario", "the railway").
    recent: dict[str, Mention] = {}
    recent_orgs: list[Mention] = []  # the last companies named, the latest last
    for i, span in enumerate(spans):
        para = discourse.paragraph_of(paragraphs, span[0])
        if prev is not None and prev.paragraph != para:
            para_date, prev = None, None
        sent_dates = by_date.get(i, [])
        sent_mentions = by_mention.get(i, [])
        sent_figs_all = by_figure.get(i, [])
        if _CREDIT_LINE.match(text, span[0], span[1]):
            continue  # "Reporting by X; editing by Y": who wrote the story, not who did anything
        if not sent_mentions and not sent_figs_all:
            para_date = sent_dates[-1] if sent_dates else para_date
            continue
        sent = _Sentence(i, span, para)
        # An attribution matters only when a name opens the sentence.
        body = (discourse.attribution_end(text, span)
                if sent_mentions and sent_mentions[0].start - span[0] < 130 else None)
        if body is not None:
            # "According to X, ...": X is the source of what follows, not an actor in it.
            sent_mentions = [m for m in sent_mentions if m.start >= body]
        cue = discourse.carry(text, span, body) if prev is not None or recent else None
        if cue is not None and not any(m.start < cue[1] for m in sent_mentions):
            # "It provided training...", "La empresa adquirió...": the previous subject;
            # "El mandatario señaló...": the last person named; "the country": the last state.
            ante = (recent.get(cue[2]) if cue[2] != "subject"
                    else prev.subject if prev is not None and prev.index == i - 1 else None)
            if ante is not None:
                sent_mentions = [Mention(cue[0], cue[1], ante.text, ante.entity_id, new=ante.new,
                                         antecedent=(ante.start, ante.end))] + sent_mentions
        if recent_orgs:
            sent_mentions = _with_company_references(text, span, sent_mentions, recent_orgs)
        sent.mentions = sent_mentions
        sent.figures = [f for f in sent_figs_all if not _inside_any(f, sent_mentions)]
        sent_trigs = [t for t in by_trigger.get(i, []) if not _trigger_in_name(t, sent_mentions)]
        if any(t.relation.weak for t in sent_trigs) and not all(t.relation.weak for t in sent_trigs):
            sent_trigs = [t for t in sent_trigs if not t.relation.weak]
        sent.triggers = sent_trigs
        if sent_mentions and (sent.figures or sent_trigs):
            sent.claims = builder.sentence(
                span, sent_mentions, sent.figures, sent_trigs, sent_dates,
                by_sector.get(i, []), by_modality.get(i, []), para_date)
        if not sent.claims:
            sent.claims = builder.cooccurrence(span, sent_mentions, sent_dates, by_sector.get(i, []),
                                               by_modality.get(i, []), para_date)
        sent.date = _sentence_date(sent_dates, sent.figures) or para_date
        sent.subject = _subject_of(sent, entities)
        if prev is not None and prev.index == i - 1 and (sent.figures or prev.figures):
            sent.anaphor = discourse.anaphor(text, span, body)
            if sent.anaphor is not None:
                _link(builder, prev, sent, by_sector.get(i, []), by_modality.get(i, []))
        sentences[i] = sent
        for m in sent_mentions:
            info = entities.get(m.entity_id)
            if info is not None and m.antecedent is None:
                if info.schema == "Person":
                    recent["person"] = m
                elif m.entity_id.startswith("state-") or m.entity_id in gazetteer.state_ids:
                    recent["state"] = m
                elif info.schema in ("Project", "Asset"):
                    recent["project"] = m
                elif info.schema in ("Company", "Organization", "LegalEntity"):
                    recent_orgs = [o for o in recent_orgs if o.entity_id != m.entity_id][-3:] + [m]
        result.claims.extend(sent.claims)
        para_date = sent_dates[-1] if sent_dates else para_date
        prev = sent
    for c in result.claims:
        (c.meta or {}).pop("_figs", None)
    used = {eid for c in result.claims for eid, _ in c.entities}
    result.new_entities = [_entity_record(n, meta) for n in new_names if n.entity_id in used]
    result.new_entities += [_state_record(entities[eid], meta) for eid in sorted(used & gazetteer.state_ids)]
    # Reference data, not a discovery of this document: no `found_in`, so every ingest path
    # (and every order of documents) writes the same record.
    result.new_entities += world_records(used, gazetteer.world_ids)
    result.mention_table = [[m.start, m.end, m.text, m.entity_id,
                             entities[m.entity_id].schema if m.entity_id in entities else None]
                            for m in mentions[:MAX_MENTIONS]]
    return result


def _with_company_references(text: str, span: tuple[int, int], mentions: list[Mention],
                             recent_orgs: list[Mention]) -> list[Mention]:
    """Mentions for "la empresa china", "the company", "las empresas" inside the sentence,
    standing for the last company (or two) named before, unless one is named here already
    right before the phrase."""
    added = []
    for start, end, count in discourse.company_references(text, span):
        if any(m.start < end and start < m.end for m in mentions):
            continue
        for ante in recent_orgs[-count:]:
            if ante.start >= start:
                continue
            added.append(Mention(start, end, ante.text, ante.entity_id, new=ante.new,
                                 antecedent=(ante.start, ante.end)))
    if not added:
        return mentions
    return sorted(mentions + added, key=lambda m: m.start)


@dataclass
class _Sentence:
    index: int
    span: tuple[int, int]
    paragraph: int
    mentions: list[Mention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    triggers: list[_Trigger] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)
    anaphor: tuple[int, int] | None = None
    date: DateMention | None = None
    subject: Mention | None = None


def _sentence_date(dates: list[DateMention], figures: list[Figure]) -> DateMention | None:
    dates = [d for d in dates if not any(f.start <= d.start < f.end for f in figures)]
    return dates[0] if dates else None


def _subject_of(sent: _Sentence, entities: dict[str, EntityInfo]) -> Mention | None:
    """The sentence's subject: of its first claim with a relation word, else its first actor."""
    for c in sent.claims:
        if c.meta and c.meta.get("trigger"):
            subject = next((eid for eid, role in c.entities if role == "subject"), None)
            found = next((m for m in sent.mentions if m.entity_id == subject), None)
            if found is not None:
                return found
    for m in sent.mentions:
        info = entities.get(m.entity_id)
        if info is None or info.schema not in PLACE_SCHEMATA:
            return m
    return None


def _main_claim(claims: list[ClaimRecord]) -> ClaimRecord | None:
    """The claim a later sentence most likely refers back to: one with a relation word and
    the most entities, the earliest on a tie."""
    best = None
    for c in claims:
        if not (c.meta and c.meta.get("trigger")):
            continue
        if best is None or len(c.entities) > len(best.entities):
            best = c
    return best


def _link(builder: _Builder, prev: _Sentence, sent: _Sentence, sectors: list[_At],
          modalities: list[_At]) -> None:
    """`sent` refers back to the deal of `prev` ("The value of this donation is 500,000 USD",
    "The grant proceeds were to be used ... for the Bolivian Armed Forces")."""
    used_here = {start for c in sent.claims for start in (c.meta or {}).get("_figs", ())}
    loose = [f for f in sent.figures if f.start not in used_here]
    target = _main_claim(prev.claims)
    if loose and target is not None:
        # This sentence's figures complete the previous sentence's claim.
        for fig in loose:
            rec = builder.linked(target, fig, sent, prev)
            if rec is not None:
                sent.claims.append(rec)
    actors = [m for m in sent.mentions if m.antecedent is None and not builder._is_place(m)]
    used_before = {start for c in prev.claims for start in (c.meta or {}).get("_figs", ())}
    for fig in prev.figures:
        # Only the previous sentence's own claims: not ones it borrowed from further back.
        holders = [c for c in prev.claims if fig.start in (c.meta or {}).get("_figs", ())
                   and "linked_offsets" not in (c.meta or {})]
        if holders and actors:
            # The previous sentence's figure claim gains this sentence's actors.
            for c in holders:
                builder.add_context_actors(c, actors, sent)
        elif not holders and fig.start not in used_before and (own := _main_claim(sent.claims)) is not None:
            # A figure the previous sentence could not attach to anyone belongs to this
            # sentence's claim; the quote is the figure's sentence.
            rec = builder.linked(own, fig, prev, sent)
            if rec is not None:
                sent.claims.append(rec)


@dataclass(frozen=True)
class _At:
    start: int
    value: str


def _count_words(text: str) -> int:
    return len(text.split())


def _inside_any(fig: Figure, mentions: list[Mention]) -> bool:
    return any(m.start <= fig.start and fig.end <= m.end for m in mentions)


def _trigger_in_name(trig: _Trigger, mentions: list[Mention]) -> bool:
    # "Confucius Institute at Ricardo Palma University" is a name, not a relation word,
    # unless the trigger is the name's own modifier ("COSCO-controlled").
    return any(m.start <= trig.start and trig.end <= m.end for m in mentions)


def _state_record(info: EntityInfo, meta: DocMeta) -> EntityRecord:
    return EntityRecord(id=info.id, schema=info.schema, name=info.name, country=info.country,
                        meta={"candidate": True, "method": METHOD, "found_in": meta.source_id, "kind": "state"})


def _entity_record(n: NewName, meta: DocMeta) -> EntityRecord:
    return EntityRecord(
        id=n.entity_id, schema=n.schema, name=n.name,
        aliases=[(n.acronym, None)] if n.acronym else [],
        meta={"candidate": True, "method": METHOD, "found_in": meta.source_id},
    )


class _Builder:
    def __init__(self, text: str, meta: DocMeta, entities: dict[str, EntityInfo], lex: Lexicon) -> None:
        self.text = text
        self.meta = meta
        self.entities = entities
        self.lex = lex
        self.pub = parse_published(meta.published)
        self.preds = predicates()
        self.state_ids: set[str] = set()

    # -- one sentence -------------------------------------------------------------------
    def sentence(self, span: tuple[int, int], mentions: list[Mention], figures: list[Figure],
                 triggers: list[_Trigger], dates: list[DateMention], sectors: list[_At],
                 modalities: list[_At], para_date: DateMention | None = None) -> list[ClaimRecord]:
        dates = [d for d in dates if not any(f.start <= d.start < f.end for f in figures)]
        self.para_date = para_date
        self.sent_mentions = mentions
        # "agreed to buy X's stake in Y": "stake in" repeats the purchase; one claim, the verb's.
        kept: list[_Trigger] = []
        for trig in triggers:
            if not any(k.relation.predicate == trig.relation.predicate and trig.start - k.end <= 80
                       for k in kept):
                kept.append(trig)
        triggers = kept
        claims: list[ClaimRecord] = []
        groups: dict[int, list[Figure]] = {i: [] for i in range(len(triggers))}
        orphans: list[Figure] = []
        for fig in figures:
            if not triggers:
                orphans.append(fig)
                continue
            i = min(range(len(triggers)), key=lambda k: _distance(triggers[k], fig))
            rel_i = triggers[i].relation
            first = i if i == 0 else next(k for k in range(i + 1) if triggers[k].relation is rel_i)
            if first != i and triggers[first].end <= fig.start:
                # "presented Colombia with a 100 million Colombian Peso gift": the noun
                # repeats the verb's relation; the figure belongs to the verb's claim.
                i = first
            if _LINKED.search(self.text, max(0, fig.start - 16), fig.start):
                # "a loan agreement worth $2.1 million for the purchase of": the figure
                # belongs to what comes before "worth", not to the nearest word after it.
                earlier = [k for k in range(len(triggers)) if triggers[k].end <= fig.start]
                if earlier:
                    i = max(earlier, key=lambda k: triggers[k].end)
            groups[i].append(fig)
        for i, trig in enumerate(triggers):
            rel = trig.relation
            figs = groups[i]
            if rel.predicate == "trade_flow" and any(f.kind == "share" for f in figs):
                rel = Relation("market_share", rel.domain, preps=rel.preps)
            claims.extend(self._claims_for(span, trig.start, trig.end, trig.text, rel, figs, mentions,
                                           dates, sectors, modalities, real_trigger=True))
        for fig in orphans:
            rel = _FALLBACK_RELATION[fig.kind]
            claims.extend(self._claims_for(span, fig.start, fig.end, None, rel, [fig], mentions,
                                           dates, sectors, modalities, real_trigger=False))
        # Two words for one relation ("firmó un memorándum") make one claim.
        unique: dict[tuple[Any, ...], ClaimRecord] = {}
        for c in claims:
            key = (c.predicate, tuple(sorted(c.entities)), c.amount and c.amount.value, c.share,
                   c.quantity and c.quantity.value, c.date)
            unique.setdefault(key, c)
        return list(unique.values())

    def cooccurrence(self, span: tuple[int, int], mentions: list[Mention], dates: list[DateMention],
                     sectors: list[_At], modalities: list[_At],
                     para_date: DateMention | None) -> list[ClaimRecord]:
        """A sentence naming two or more actors with no relation word we know: one untyped
        link between them (low confidence), so that who appears with whom is not lost."""
        actors = [m for m in mentions if not self._is_place(m)]
        if len({m.entity_id for m in mentions}) < 2 or not actors:
            return []
        self.para_date = para_date
        self.sent_mentions = mentions
        first = actors[0]
        rec = self._record(span, first.start, first.end, None, _COOCCURRENCE, [(first, "subject")], [],
                           dates, sectors, modalities, real_trigger=False)
        if rec is None:
            return []
        rec.confidence = 0.3
        return [rec]

    def _claims_for(self, span: tuple[int, int], t_start: int, t_end: int, t_text: str | None,
                    rel: Relation, figs: list[Figure], mentions: list[Mention],
                    dates: list[DateMention], sectors: list[_At], modalities: list[_At],
                    real_trigger: bool) -> list[ClaimRecord]:
        if rel.predicate in _FIGURE_PREDICATES and not figs:
            return []  # "market share" with no share: the word was not about a figure
        roles = self._roles(rel, t_start, t_end, mentions)
        if not roles:
            return []
        by_kind: dict[str, list[Figure]] = {"money": [], "share": [], "quantity": []}
        for f in figs:
            by_kind[f.kind].append(f)
        n = max(1, *(len(v) for v in by_kind.values()))
        out = []
        for k in range(n):
            chosen = [v[k] for v in by_kind.values() if k < len(v)]
            rec = self._record(span, t_start, t_end, t_text, rel, roles, chosen, dates, sectors,
                               modalities, real_trigger)
            if rec is not None:
                out.append(rec)
        return out

    def _roles(self, rel: Relation, t_start: int, t_end: int,
               mentions: list[Mention]) -> list[tuple[Mention, str]]:
        allowed = self.preds.get(rel.predicate, {}).get("roles", [])
        text = self.text
        # Who says it is not who does it: "..., Glencore Xstrata said", "informó el Diario
        # Financiero", "the minister, X, said that". Speakers join the claim as parties.
        mentions = [m for m in mentions if not _is_speaker(text, m)] or mentions
        before = [m for m in mentions if m.start < t_start or (m.start <= t_start and m.end > t_start)]
        after = [m for m in mentions if m.start >= t_end and (m.start - t_end <= 160 or self._prep_before(m, t_end) in rel.preps)]
        chosen: list[tuple[Mention, str]] = []
        taken: set[str] = set()

        def add(m: Mention, role: str) -> None:
            if m.entity_id in taken:
                return
            info = self.entities.get(m.entity_id)
            if info is not None and info.schema in PLACE_SCHEMATA:
                role = "location"
            elif role != "subject" and _IN_BEFORE.search(text, max(0, m.start - 8), m.start) and (
                    m.entity_id.startswith("state-") or m.entity_id in self.state_ids):
                # "assets in Peru", "operaciones en Chile": where, not what
                role = "location" if "location" in allowed else PARTY_ROLE
            if role not in allowed:
                return
            taken.add(m.entity_id)
            chosen.append((m, role))

        # A participle clause (", granting the latter 30 million RMB") has the sentence's
        # subject: the first actor of the sentence; the nearest one is then the object.
        actors = [m for m in before if not self._is_place(m) and not _LOCATIVE.search(text, max(0, m.start - 8), m.start)]
        if actors and len(actors) > 1 and (
                (text[max(0, t_start - 2):t_start] == ", " and text[t_start:t_end].lower().endswith("ing"))
                or _PARTICIPLE_BEFORE.search(text, max(0, t_start - 40), t_start)):
            add(actors[0], rel.before)
            add(actors[-1], rel.after)
            before = []
        # Nearest actor before the trigger; possessive modifiers ("China's Zijin"), places
        # and names after "to"/"in" ("travelled to Peru, Lima and met") give way to a
        # closer or more specific actor.
        for m in reversed(before):
            if _LOCATIVE.search(text, max(0, m.start - 8), m.start) and any(o is not m for o in actors):
                continue
            nxt = text[m.end:m.end + 3]
            if nxt.startswith(("'s", "’s")) and any(o.start - m.end <= 4 and o.start > m.end for o in before):
                continue
            if self._is_place(m) and any(not self._is_place(o) for o in before if o is not m):
                continue
            # "the People's Liberation Army (PLA) of China signed": "of China" modifies the
            # name before it, which is the actor.
            if _OF_MODIFIER.search(text, max(0, m.start - 12), m.start) and any(
                    o.end <= m.start and _OF_GAP.fullmatch(text, o.end, m.start) for o in before):
                continue
            add(m, rel.before)
            # Coordinated actors share the role: "the Chinese Government and the Government
            # of Bolivia signed", "Ambassador Liang Yu and the Minister of Defense X signed".
            k = before.index(m)
            while k > 0:
                prev, cur = before[k - 1], before[k]
                gap = _COORDINATED.match(text, prev.end, cur.start)
                if prev.entity_id == cur.entity_id and cur.start - prev.end <= 2:
                    k -= 1  # "the People's Liberation Army (PLA)": the same actor
                    continue
                if gap is None and _title_gap(text, prev.end, cur.start):
                    # "X and Defense Force Chief of Staff Col. Y signed": the organisation
                    # only describes Y; the coordination goes on past it.
                    k -= 1  # (the organisation takes no role itself)
                    continue
                if gap is None or gap.end() != cur.start:
                    break
                k -= 1
                if not self._is_place(prev):
                    add(prev, rel.before)
            break
        first_after = True
        last_after: Mention | None = None
        for m in after:
            word = self._prep_before(m, t_end)
            if word in _AGENT and word not in rel.preps and "subject" in allowed:
                # Passive voice: "work on a road ... by China Rail", "adquirida por X".
                for k, (prev, prev_role) in enumerate(chosen):
                    if prev_role == "subject":
                        chosen[k] = (prev, rel.after if rel.after in allowed else prev_role)
                add(m, "subject")
            elif word in rel.preps:
                role = rel.preps[word]
                # "83,15% de Y" / "a 40% stake of Y": Y is what the share is of.
                if word in _PARTITIVE and _SHARE_BEFORE.search(text, max(t_end, m.start - 40), m.start):
                    role = rel.after
                add(m, role)
            elif first_after or rel.many_after and not _STOP_MANY.search(text, t_end, m.start):
                add(m, rel.after)
                first_after = False
            elif last_after is not None and (c := _COORDINATED.match(text, last_after.end, m.start)) and c.end() == m.start:
                # "between the Ministry of Defense of Peru and the Ministry of ... of China"
                role = next((r for x, r in chosen if x is last_after), None)
                if role is not None:
                    add(m, role)
            last_after = m if any(x is m for x, _ in chosen) else last_after
        if chosen and not any(r == "subject" for _, r in chosen) and "subject" in allowed:
            m, role = chosen[0]
            if role != "location":
                chosen[0] = (m, "subject")
        if rel.predicate == "acquired" and "counterparty" in allowed:
            chosen = self._seller_by_possessive(chosen, after, allowed)
        return chosen

    def _seller_by_possessive(self, chosen: list[tuple[Mention, str]], after: list[Mention],
                              allowed: list[str]) -> list[tuple[Mention, str]]:
        """"buy Glencore's stake in Las Bambas": the owner of the stake sells it, and what
        the stake is in is what is bought."""
        text = self.text
        out = list(chosen)
        for k, (m, role) in enumerate(out):
            if role == "subject" or not _POSSESSIVE_STAKE.match(text, m.end):
                continue
            out[k] = (m, "counterparty")
            target = next((o for o in after if o.start > m.end
                           and _STAKE_IN.search(text, max(m.end, o.start - 30), o.start)), None)
            if target is not None and "object" in allowed:
                out = [(x, "object" if x is target else r) for x, r in out]
                if not any(x is target for x, _ in out):
                    out.append((target, "object"))
        return out

    def _prep_before(self, m: Mention, floor: int) -> str:
        """The word before a mention, skipping an article: "to the Royal Bahamas..." -> "to"."""
        words = self.text[max(floor, m.start - 16):m.start].split()
        while len(words) > 1 and words[-1].lower() in _ARTICLES:
            words.pop()
        return words[-1].lower() if words else ""

    def _is_place(self, m: Mention) -> bool:
        info = self.entities.get(m.entity_id)
        return info is not None and info.schema in PLACE_SCHEMATA

    def _published_year(self, meta: dict[str, Any]) -> str | None:
        """A news report with no date for what it tells is most likely telling what happened
        in its year of publication; the claim says that its date was inferred so."""
        if self.pub is None:
            return None
        meta["date_from"] = "published"
        return str(self.pub[0])

    def _with_parties(self, rel: Relation, roles: list[tuple[Mention, str]]) -> list[tuple[Mention, str]]:
        """Everyone else the sentence names joins the claim: places as its location, the
        rest as parties whose role the wording does not settle."""
        allowed = self.preds.get(rel.predicate, {}).get("roles", [])
        taken = {m.entity_id for m, _ in roles}
        out = list(roles)
        for m in self.sent_mentions:
            if m.entity_id in taken:
                continue
            taken.add(m.entity_id)
            out.append((m, "location" if self._is_place(m) and "location" in allowed else PARTY_ROLE))
        return out

    def _record(self, span: tuple[int, int], t_start: int, t_end: int, t_text: str | None,
                rel: Relation, roles: list[tuple[Mention, str]], figs: list[Figure],
                dates: list[DateMention], sectors: list[_At], modalities: list[_At],
                real_trigger: bool) -> ClaimRecord | None:
        roles = self._with_parties(rel, roles)
        anchor = (t_start, t_end)
        date = min(dates, key=lambda d: _dist_span((d.start, d.end), anchor), default=None)
        core = [anchor] + [(f.start, f.end) for f in figs]
        extras = [(m.start, m.end) for m, _ in roles]
        q_start, q_end = _quote_window(self.text, span, core, extras, date)
        if figs:
            figs = [f for f in figs if q_start <= f.start and f.end <= q_end]
            if not figs:
                return None
        if not any(q_start <= m.start and m.end <= q_end for m, _ in roles):
            return None  # at least one actor must be in the evidence itself
        # Actors of the same sentence outside the quote (long sentences) stay in the claim,
        # marked as context; so does the sentence's date, or else the paragraph's.
        date_from = "quote"
        if date is not None and not (q_start <= date.start and date.end <= q_end):
            date_from = "sentence"
        if date is None and self.para_date is not None:
            date, date_from = self.para_date, "paragraph"
        amount = share = quantity = None
        qualifier_parts: list[str] = []
        year = int(date.value[:4]) if date else (self.pub[0] if self.pub else None)
        for f in figs:
            if f.kind == "money":
                amount = money(f.value, f.unit or "USD", year)
            elif f.kind == "share":
                share = f.value
            else:
                quantity = Quantity(f.value, f.unit)
            if f.approx:
                qualifier_parts.append(f"{f.approx} ({self.text[f.start:f.end]})")
        sector = self._sector(sectors, anchor, roles)
        domain = rel.domain
        if sector in self.lex.sector_domains and domain != "law_enforcement":
            domain = self.lex.sector_domains[sector]
        modality = self._modality(modalities, anchor, rel)
        in_quote = sum(1 for m, _ in roles if q_start <= m.start and m.end <= q_end)
        confidence = (0.35 + (0.15 if real_trigger else 0) + (0.1 if len(roles) > 1 else 0) + (0.1 if figs else 0)
                      - (0.05 if in_quote < len(roles) else 0))
        meta: dict[str, Any] = {
            "trigger": t_text, "language": self.meta.language,
            "mentions": [_mention_meta(m, q_start, q_end) for m, _ in roles],
            "_figs": [f.start for f in figs],
        }
        if figs and _CUMULATIVE.search(self.text, q_start, q_end):
            meta["cumulative"] = True  # "$1.4 billion spent to date": a running total, not one outlay
        if date is not None:
            meta["date_text"] = self.text[date.start:date.end]
            if date_from != "quote":
                meta["date_from"] = date_from
                meta["date_offsets"] = [date.start, date.end]
            if date.relative:
                meta["date_resolved_from"] = self.meta.published
        if self.meta.pages:
            meta["page"] = bisect.bisect_right(self.meta.pages, q_start)
        places = [m.text for m, r in roles if r == "location"]
        return ClaimRecord(
            predicate=rel.predicate, source_id=self.meta.source_id, quote=self.text[q_start:q_end],
            entities=[(m.entity_id, r) for m, r in roles], domain=domain, offsets=(q_start, q_end),
            amount=amount, share=share, quantity=quantity, date=date.value if date else self._published_year(meta),
            place=places[0] if places else None, sector=sector, modality=modality,
            qualifier="; ".join(qualifier_parts) or None, status="candidate", method=METHOD,
            confidence=round(min(confidence, 0.8), 2), country=self.meta.country,
            case_id=self.meta.case_id, meta=meta,
        )

    # -- across two sentences -----------------------------------------------------------
    def linked(self, target: ClaimRecord, fig: Figure, fig_sent: Any, other: Any) -> ClaimRecord | None:
        """`target`'s relation and entities with a figure stated in a neighbouring sentence
        ("... pledged a donation. The value of this donation is 500,000 USD"). The quote is
        the figure's sentence, or both sentences when they fit; entities outside it are
        context, with their offsets."""
        text = self.text
        first, second = sorted((fig_sent.span, other.span))
        both = _trimmed(text, (first[0], second[1]))
        if both[1] - both[0] <= MAX_QUOTE:
            q_start, q_end = both
        else:
            core = [(fig.start, fig.end)]
            extras = [fig_sent.anaphor] if fig_sent.anaphor else []
            extras += [(t.start, t.end) for t in sorted(fig_sent.triggers, key=lambda t: _distance(t, fig))[:1]]
            q_start, q_end = _quote_window(text, fig_sent.span, core, extras, None)
        if not (q_start <= fig.start and fig.end <= q_end):
            return None
        date = fig_sent.date or other.date
        year = int(date.value[:4]) if date else (self.pub[0] if self.pub else None)
        amount = money(fig.value, fig.unit or "USD", year) if fig.kind == "money" else None
        share = fig.value if fig.kind == "share" else None
        quantity = Quantity(fig.value, fig.unit) if fig.kind == "quantity" else None
        old = target.meta or {}
        mentions = []
        for m in old.get("mentions", []):
            m = dict(m)
            start, end = m.get("offsets") or _find_offsets(text, m["text"], target.offsets)
            if not (q_start <= start and end <= q_end):
                m["in_quote"] = False
                m["offsets"] = [start, end]
            else:
                m.pop("in_quote", None)
                m.pop("offsets", None)
            mentions.append(m)
        meta: dict[str, Any] = {
            "trigger": old.get("trigger"), "language": self.meta.language, "mentions": mentions,
            "linked_offsets": list(target.offsets) if target.offsets else None,
            "via": text[fig_sent.anaphor[0]:fig_sent.anaphor[1]] if fig_sent.anaphor else
                   text[other.anaphor[0]:other.anaphor[1]] if other.anaphor else None,
            "_figs": [fig.start],
        }
        if date is not None:
            meta["date_text"] = text[date.start:date.end]
            if not (q_start <= date.start and date.end <= q_end):
                meta["date_from"] = "context"
                meta["date_offsets"] = [date.start, date.end]
        if self.meta.pages:
            meta["page"] = bisect.bisect_right(self.meta.pages, q_start)
        return dataclasses.replace(
            target, quote=text[q_start:q_end], offsets=(q_start, q_end), amount=amount, share=share,
            quantity=quantity, date=date.value if date else target.date,
            qualifier=f"{fig.approx} ({text[fig.start:fig.end]})" if fig.approx else None,
            confidence=round(max(0.3, (target.confidence or 0.5) - 0.1), 2),
            entities=list(target.entities), meta=meta)

    def add_context_actors(self, claim: ClaimRecord, actors: list[Mention], sent: Any) -> None:
        """Actors of the next sentence that refers back to `claim`'s deal ("The grant
        proceeds were to be used ... for the Bolivian Armed Forces") join it as context."""
        allowed = self.preds.get(claim.predicate, {}).get("roles", [])
        role = next((r for r in ("beneficiary", "object", "counterparty") if r in allowed), None)
        if role is None:
            return
        taken = {eid for eid, _ in claim.entities}
        meta = claim.meta if claim.meta is not None else {}
        for m in actors:
            if m.entity_id in taken:
                continue
            taken.add(m.entity_id)
            claim.entities.append((m.entity_id, role))
            entry = _mention_meta(m, *claim.offsets) if claim.offsets else {"text": m.text, "entity": m.entity_id}
            entry["via"] = self.text[sent.anaphor[0]:sent.anaphor[1]] if sent.anaphor else None
            meta.setdefault("mentions", []).append(entry)
            claim.confidence = round(max(0.3, (claim.confidence or 0.5) - 0.05), 2)

    def _sector(self, sectors: list[_At], anchor: tuple[int, int], kept: list[tuple[Mention, str]]) -> str | None:
        if sectors:
            return min(sectors, key=lambda s: abs(s.start - anchor[0])).value
        for m, _ in kept:
            info = self.entities.get(m.entity_id)
            if info is not None and info.sector:
                return info.sector
        return None

    def _modality(self, modalities: list[_At], anchor: tuple[int, int], rel: Relation) -> str:
        near = [m for m in modalities if anchor[0] - 60 <= m.start <= anchor[1] + 20]
        negative = [m for m in near if m.value in NEGATIVE_MODALITIES]
        if negative:  # "abandoned plans to build": the plan is off, whatever is nearer
            return min(negative, key=lambda m: abs(m.start - anchor[0])).value
        if near:
            return min(near, key=lambda m: abs(m.start - anchor[0])).value
        return rel.modality or "actual"


def _mention_meta(m: Mention, q_start: int, q_end: int) -> dict[str, Any]:
    # Whether the name was new to the store is left out: it depends on what the ingest job had
    # learned before this document, and one process and a cluster must write the same claim.
    entry: dict[str, Any] = {"text": m.text, "entity": m.entity_id}
    if not (q_start <= m.start and m.end <= q_end):
        entry["in_quote"] = False
        entry["offsets"] = [m.start, m.end]
    if m.antecedent is not None:
        entry["refers_to"] = list(m.antecedent)
    return entry


def _find_offsets(text: str, name: str, within: tuple[int, int] | None) -> tuple[int, int]:
    lo, hi = within or (0, len(text))
    at = text.find(name, lo, hi)
    return (at, at + len(name)) if at >= 0 else (lo, hi)


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _distance(trig: _Trigger, fig: Figure) -> int:
    return _dist_span((trig.start, trig.end), (fig.start, fig.end))


def _dist_span(a: tuple[int, int], b: tuple[int, int]) -> int:
    if a[1] <= b[0]:
        return b[0] - a[1]
    if b[1] <= a[0]:
        return a[0] - b[1]
    return 0


def _quote_window(text: str, sentence: tuple[int, int], core: list[tuple[int, int]],
                  extras: list[tuple[int, int]], date: DateMention | None) -> tuple[int, int]:
    """The evidence: the whole sentence when it fits in MAX_QUOTE characters, else the
    shortest window around the trigger and figures, widened to take in entities and the
    date while it still fits, cut at word boundaries."""
    s_start, s_end = sentence
    while s_end > s_start and text[s_end - 1].isspace():
        s_end -= 1
    while s_start < s_end and text[s_start].isspace():
        s_start += 1
    if s_end - s_start <= MAX_QUOTE:
        return s_start, s_end
    lo = min(a for a, _ in core)
    hi = max(b for _, b in core)
    if hi - lo > MAX_QUOTE:
        hi = lo + MAX_QUOTE
    optional = sorted(extras, key=lambda e: _dist_span(e, (lo, hi)))
    if date is not None:
        optional.insert(1, (date.start, date.end))
    for a, b in optional:
        if max(hi, b) - min(lo, a) <= MAX_QUOTE:
            lo, hi = min(lo, a), max(hi, b)
    # Widen to word boundaries within the sentence, alternately on each side.
    room = MAX_QUOTE - (hi - lo)
    left = max(s_start, lo - room // 2)
    right = min(s_end, hi + (room - (lo - left)))
    left = max(s_start, min(left, lo - (MAX_QUOTE - (right - lo) - (hi - lo) - (hi - lo)) if False else left))
    while left < lo and not (left == s_start or text[left - 1].isspace()):
        left += 1
    while right > hi and not (right == s_end or text[right].isspace() or text[right] in ",;:"):
        right -= 1
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right
