"""Everything a briefing says, gathered from the store into plain records that the HTML,
Markdown and PDF writers lay out. Built per language: sentences, numbers and dates are
already written for the reader."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from veeduria.present.report import charts
from veeduria.present.report.areas import AreaMap, area_map
from veeduria.present.report.citations import Citations, Note
from veeduria.present.report.i18n import (
    check_lang,
    country_name,
    format_compact_money,
    format_date,
    format_money,
    format_number,
    format_percent,
)
from veeduria.present.report.sentences import claim_sentence, entity_label, fill
from veeduria.present.report.strings import strings, t
from veeduria.query import OPERATED_SCHEMATA, ownership_chain
from veeduria.store.models import Claim, ClaimEntity, Entity
from veeduria.vocab import domains as domain_vocab
from veeduria.vocab import is_cumulative, is_negative, label, modality_word

# Claims stated as fact (preferred in the summary).
FACT_MODALITIES = ("actual", "reported")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass
class Fact:
    """One factual sentence and the note that backs it."""
    text: str
    claim_id: str
    note: int


@dataclass
class Group:
    title: str
    facts: list[Fact]


@dataclass
class AreaSection:
    id: str
    title: str
    groups: list[Group]
    count: int


@dataclass
class FindingView:
    id: str
    rule_id: str
    severity: str
    severity_label: str
    title: str
    explanation: str
    target_name: str
    evidence: list[Fact]
    rationale: str = ""

    @property
    def notes(self) -> list[int]:
        """The evidence notes, cited after the explanation (which restates their facts)."""
        return sorted({f.note for f in self.evidence})


@dataclass
class ChainView:
    entity_id: str
    entity_name: str
    path: list[str]          # names from the firm up to its ultimate owner
    links: list[Fact]


@dataclass
class Cites:
    """A table cell citing the claims an aggregate counted (one note each)."""
    claim_ids: list[str]
    notes: list[int]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str | Fact | Cites]]  # a Fact cell is shown with its citation


@dataclass
class ConflictView:
    """Where sources disagree about one event: each value cited, the decision, case notes."""
    event_id: str
    title: str
    field: str
    within_source: bool
    values: list[Fact]
    notes: list[str]
    decided: str | None = None
    sources: int = 1  # independent sources telling the event


@dataclass
class Chart:
    id: str
    title: str
    svg: str
    table: Table | None = None
    note: str | None = None


@dataclass
class Report:
    lang: str
    title: str
    subtitle: str
    generated: str
    scope: str
    method: str
    stats_text: str
    summary: list[Fact]
    findings_summary: str | None
    areas: list[AreaSection]
    findings: list[FindingView] | None          # None: screening not installed or failed
    charts: list[Chart]
    chains: list[ChainView]
    since: str | None                           # formatted date, None when not asked
    changes: list[Fact] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    sources: list[Note] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    findings_error: str | None = None
    indicators_error: str | None = None
    conflicts: list[ConflictView] = field(default_factory=list)

    def heading(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)


# ---------------------------------------------------------------------------- loading

def load_claims(session: Session, *, country: str | None = None,
                domains: tuple[str, ...] | None = None) -> list[Claim]:
    """Accepted, non-duplicate claims in scope, with their entities and sources."""
    q = (select(Claim).where(Claim.status == "accepted", Claim.duplicate_of.is_(None))
         .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity).selectinload(Entity.names),
                  selectinload(Claim.source))
         .order_by(Claim.date_sort, Claim.id))
    if country:
        q = q.where(Claim.country == country.lower())
    if domains:
        q = q.where(Claim.domain.in_(domains))
    return list(session.scalars(q))


def _since_datetime(since: str | dt.date | dt.datetime | None) -> dt.datetime | None:
    if since is None or since == "":
        return None
    if isinstance(since, dt.datetime):
        return since.replace(tzinfo=None)
    if isinstance(since, dt.date):
        return dt.datetime(since.year, since.month, since.day)
    try:
        return dt.datetime.fromisoformat(str(since).strip())
    except ValueError as exc:
        raise ValueError(f"bad --since date {since!r}: expected YYYY-MM-DD") from exc


def _sort_key(claim: Claim) -> tuple[str, str]:
    return (claim.date_sort or "9999", claim.id)


def _salience(claim: Claim) -> tuple[float, float]:
    """Bigger money, then bigger shares; counts are not comparable across units."""
    return (claim.amount_usd or 0.0, claim.share or 0.0)


# ---------------------------------------------------------------------------- building

class Builder:
    def __init__(self, session: Session, lang: str, amap: AreaMap) -> None:
        self.session = session
        self.lang = check_lang(lang)
        self.amap = amap
        self.cites = Citations(lang)
        self._sentences: dict[str, str] = {}
        # Claims whose amount an aggregate does not add: another claim of their event is
        # the one counted (docs/events.md). Set by `use_events`.
        self.not_counted: set[str] = set()
        self.events: list[Any] = []

    def use_events(self, claims: list[Claim]) -> None:
        """Group the claims into events (when resolution is installed)."""
        events = _optional("veeduria.resolve.events", "build_events")
        if events is None:
            return
        from veeduria.resolve.events import OwnershipRelations, event_judgements, member_from_claim

        self.events = events([member_from_claim(c) for c in claims], OwnershipRelations(self.session),
                             event_judgements(self.session))
        self.not_counted = {cid for ev in self.events if ev.counted is not None
                            for cid in ev.claim_ids if cid != ev.counted.id}

    def _conflict_value(self, fld: str, v: dict[str, Any]) -> str:
        """A conflicting value written the way the report's language writes it."""
        if fld == "amount" and isinstance(v.get("value"), int | float):
            return format_money(v["value"], "USD", self.lang)
        if fld == "share" and isinstance(v.get("value"), int | float):
            return format_percent(v["value"], self.lang)
        if fld == "date" and v.get("value"):
            return format_date(v["value"], self.lang)
        return str(v.get("display") or "")

    def cites_of(self, claims: list[Claim]) -> Cites:
        return Cites([c.id for c in claims], [self.cites.cite(c) for c in claims])

    def conflicts(self, claims_by_id: dict[str, Claim]) -> list[ConflictView]:
        lang = self.lang
        out = []
        for ev in self.events:
            for c in ev.conflicts:
                values = [Fact(f"{self._conflict_value(c.field, v)} ({v['source'] or v['source_id']})",
                               v["claim_id"], self.cites.cite(claims_by_id[v["claim_id"]]))
                          for v in c.values if v["claim_id"] in claims_by_id]
                decided = (t("conflict_decided", lang, actor=c.decided["actor"], reason=c.decided["reason"] or "")
                           if c.decided else None)
                out.append(ConflictView(ev.id, ev.title(lang), t(f"conflict_field_{c.field}", lang),
                                        c.within_source, values, [n["note"] for n in c.notes], decided,
                                        ev.corroboration))
        return out

    def fact(self, claim: Claim) -> Fact:
        text = self._sentences.get(claim.id)
        if text is None:
            text = self._sentences[claim.id] = claim_sentence(claim, self.lang).text
        return Fact(text, claim.id, self.cites.cite(claim))

    # -- areas
    def area_sections(self, by_area: dict[str, list[Claim]]) -> list[AreaSection]:
        sections = []
        for area in self.amap.areas:
            claims = by_area.get(area.id, [])
            if area.optional and not claims:
                continue
            by_sector: dict[str | None, list[Claim]] = defaultdict(list)
            for c in claims:
                by_sector[c.sector].append(c)
            # Largest groups first; claims without a sector last.
            order = sorted(by_sector, key=lambda s: (s is None, -len(by_sector[s]), s or ""))
            groups = [Group(label("sector", s, self.lang) if s else t("general", self.lang),
                            [self.fact(c) for c in sorted(by_sector[s], key=_sort_key)])
                      for s in order]
            sections.append(AreaSection(area.id, area.name(self.lang), groups, len(claims)))
        return sections

    def summary(self, by_area: dict[str, list[Claim]], events: set[str], per_area: int = 2) -> list[Fact]:
        """The most telling claims of each area: the largest figures, then dated events,
        stated as fact first (ownership has its own section)."""
        facts = []
        for area in self.amap.areas:
            claims = [c for c in by_area.get(area.id, []) if not is_negative(c.modality)]
            ranked = sorted(claims, key=lambda c: (c.predicate == "owns", c.modality not in FACT_MODALITIES,
                                                   tuple(-x for x in _salience(c)),
                                                   not (c.date and c.predicate in events), _sort_key(c)))
            facts.extend(self.fact(c) for c in ranked[:per_area])
        return facts

    # -- screening
    def findings(self, claims_by_id: dict[str, Claim]) -> list[FindingView] | None:
        run_screening = _optional("veeduria.screen.engine", "run_screening")
        if run_screening is None:
            return None
        views = []
        for f in run_screening(self.session):
            ids = list(getattr(f, "claim_ids", None) or [])
            in_scope = [claims_by_id[i] for i in ids if i in claims_by_id]
            if not in_scope:
                continue  # rests only on claims outside this report's scope
            severity = str(getattr(f, "severity", "info") or "info").lower()
            sev_key = f"severity_{severity}"
            rule = getattr(f, "rule", None)
            views.append(FindingView(
                id=str(getattr(f, "id", "")), rule_id=str(getattr(f, "rule_id", "")),
                severity=severity,
                severity_label=t(sev_key, self.lang) if sev_key in strings()["text"] else severity,
                title=_localised(f, "title", self.lang), explanation=_localised(f, "explanation", self.lang),
                target_name=str(getattr(f, "target_name", "") or ""),
                evidence=[self.fact(c) for c in sorted(in_scope, key=_sort_key)],
                rationale=_localised(rule, "rationale_text", self.lang) if rule is not None else "",
            ))
        views.sort(key=lambda v: (SEVERITY_ORDER.get(v.severity, 9), v.target_name, v.rule_id))
        return views

    # -- ownership
    def chains(self, claims: list[Claim]) -> list[ChainView]:
        foreign: dict[str, Entity] = {}
        for c in claims:
            for ce in c.roles:
                if ce.entity is not None and ce.entity.foreign and ce.entity.schema in (
                        "Company", "Organization", "LegalEntity"):
                    foreign.setdefault(ce.entity.id, ce.entity)
            if c.predicate in ("operates", "granted_concession") and not is_negative(c.modality):
                # A project run by a foreign firm: its chain starts at the operator.
                for ce in c.roles:
                    if ce.role == "object" and ce.entity is not None and ce.entity.schema in OPERATED_SCHEMATA:
                        foreign.setdefault(ce.entity.id, ce.entity)
        found = {eid: ownership_chain(self.session, eid) for eid in sorted(foreign)}
        found = {eid: chain for eid, chain in found.items()
                 if chain and (foreign[eid].foreign or any(lk.owner.foreign for lk in chain))}
        found = {eid: chain for eid, chain in found.items() if chain}
        # A firm that appears higher up another firm's chain is shown inside that chain.
        upstream = {link.owner.id for chain in found.values() for link in chain}
        views = []
        for eid, chain in found.items():
            if eid in upstream:
                continue
            ent = foreign[eid]
            links = []
            for link in chain:
                fields = {"owned": entity_label(link.owned, self.lang),
                          "owner": entity_label(link.owner, self.lang),
                          "share": format_percent(link.share, self.lang) if link.share is not None else "",
                          "date": format_date(link.claim.date, self.lang)}
                key = "chain_link" if link.kind in ("owner", "supervisor") else f"chain_link_{link.kind}"
                text = fill(t(key, self.lang), fields) or ""
                links.append(Fact(text[0].upper() + text[1:] + ".", link.claim.id,
                                  self.cites.cite(link.claim)))
            path = [entity_label(ent, self.lang)] + [entity_label(x.owner, self.lang) for x in chain]
            views.append(ChainView(eid, entity_label(ent, self.lang), path, links))
        views.sort(key=lambda v: (-len(v.links), v.entity_name))
        return views

    # -- indicators
    def charts(self, claims: list[Claim], cfg: dict[str, Any], indicators: Any = None,
               domains: tuple[str, ...] | None = None) -> list[Chart]:
        return [self.domain_chart(claims, indicators, domains), self.money_chart(claims, cfg),
                self.timeline(claims, cfg)]

    def domain_chart(self, claims: list[Claim], indicators: Any,
                     domains: tuple[str, ...] | None) -> Chart:
        """Exposure by domain: claims per domain (every domain, zero included), with the
        screening stage's figures (foreign firms, money invested and committed) when present."""
        lang = self.lang
        counts = Counter(c.domain for c in claims)
        keys = [d for d in domain_vocab() if not domains or d in domains]
        keys.sort(key=lambda d: (-counts.get(d, 0), d))
        bars = [charts.Bar(label("domain", d, lang), counts.get(d, 0), format_number(counts.get(d, 0), lang))
                for d in keys]
        svg = charts.bar_chart(t("chart_domains", lang), bars)
        buckets = {}
        if indicators is not None:
            buckets = {b.key: b for b in indicators.buckets("domain")}
        money = _money_by(claims, lambda c: c.domain, self.money_rules, self.not_counted)
        headers = [t("col_domain", lang), t("col_claims", lang), t("col_foreign_firms", lang),
                   t("col_invested", lang), t("col_committed", lang)]
        rows = []
        for d, bar in zip(keys, bars, strict=True):
            b = buckets.get(d)
            firms = format_number(len(b.firms), lang) if b is not None else "—"
            invested, committed = money.get(d, (0.0, 0.0))
            rows.append([bar.label, bar.caption, firms, _usd(invested, lang), _usd(committed, lang)])
        return Chart("exposure-by-domain", t("chart_domains", lang), svg, Table(headers, rows))

    @property
    def money_rules(self) -> dict[str, set[str]]:
        return _money_rules()

    def money_chart(self, claims: list[Claim], cfg: dict[str, Any]) -> Chart:
        """Money invested (stated as done) by sector and year, as a grid and a table that
        also gives the money committed (planned or promised) per sector."""
        lang = self.lang
        rules = self.money_rules
        undated = t("undated", lang)
        cells: dict[tuple[str, str], float] = defaultdict(float)
        counted: dict[tuple[str, str], list[Claim]] = defaultdict(list)
        for c in claims:
            # Each event adds once (docs/events.md): its other claims are not summed.
            if c.amount_usd and c.predicate in rules["predicates"] and c.modality in rules["invested"] \
                    and c.id not in self.not_counted:
                sector = label("sector", c.sector, lang) if c.sector else t("general", lang)
                cells[(sector, (c.date or "")[:4] or undated)] += c.amount_usd
                counted[(sector, (c.date or "")[:4] or undated)].append(c)
        title = t("chart_money", lang)
        if not cells:
            return Chart("money-by-sector-year", title, "", None, t("chart_money_empty", lang))
        totals = defaultdict(float)
        for (sector, _), v in cells.items():
            totals[sector] += v
        sectors = sorted(totals, key=lambda x: -totals[x])
        years = sorted({y for _, y in cells}, key=lambda y: (y == undated, y))
        svg = charts.grid_chart(title, sectors, years, dict(cells), lambda v: format_compact_money(v, lang))
        committed = _money_by(claims, lambda c: label("sector", c.sector, lang) if c.sector else t("general", lang),
                              rules, self.not_counted)
        # A long table (sector, year, amount) stays readable however many years there are;
        # each amount cites the claims it adds.
        rows: list[list[str | Fact | Cites]] = []
        for sector in sectors:
            for year in years:
                if cells.get((sector, year)):
                    rows.append([sector, year, _usd(cells[(sector, year)], lang),
                                 self.cites_of(counted[(sector, year)])])
            rows.append([sector, t("col_total", lang), _usd(totals[sector], lang), ""])
            if committed.get(sector, (0.0, 0.0))[1]:
                rows.append([sector, t("col_committed", lang), _usd(committed[sector][1], lang), ""])
        headers = [t("col_sector", lang), t("col_year", lang), t("col_invested", lang),
                   t("col_counted", lang)]
        return Chart("money-by-sector-year", title, svg, Table(headers, rows))

    def timeline(self, claims: list[Claim], cfg: dict[str, Any]) -> Chart:
        lang = self.lang
        events = self.key_events(claims, cfg)
        items = [charts.Event(format_date(c.date, lang), self._event_label(c), self.cites.cite(c))
                 for c in events]
        table = Table([t("col_date", lang), t("col_event", lang)],
                      [[i.date_label, self.fact(c)] for i, c in zip(items, events, strict=True)])
        return Chart("timeline", t("chart_timeline", lang),
                     charts.timeline_chart(t("chart_timeline", lang), items), table)

    def _event_label(self, claim: Claim) -> str:
        """'Subject: predicate label object', short enough for one timeline row."""
        def names(role: str) -> str:
            return ", ".join(entity_label(ce.entity, self.lang) for ce in claim.roles if ce.role == role)
        text = label("predicate", claim.predicate, self.lang)
        if names("subject"):
            text = f"{names('subject')}: {text}"
        other = names("object") or names("counterparty") or names("location") or claim.place or ""
        text = f"{text} — {other}" if other else text
        # A planned visit or a running total is charted as what it is.
        marker = modality_word(claim.modality, self.lang, "marker")
        if is_cumulative(claim.meta):
            marker = ", ".join(x for x in (marker, modality_word("cumulative", self.lang, "marker")) if x)
        return f"{text} ({marker})" if marker else text

    @staticmethod
    def key_events(claims: list[Claim], cfg: dict[str, Any]) -> list[Claim]:
        """Dated events: predicates listed as events first, then anything else dated to the
        month or day (except standing facts such as list designations); at most
        `max_events`, the most precise and largest first, then shown in date order."""
        event_predicates = set(cfg.get("event_predicates") or [])
        standing = set(cfg.get("not_events") or [])
        limit = int(cfg.get("max_events", 24))
        rank = {"day": 0, "month": 1, "year": 2}
        # A claim that something did not happen is no event ("Xi did not travel to Chancay").
        dated = [c for c in claims if c.date and c.predicate not in standing and not is_negative(c.modality)
                 and (c.predicate in event_predicates or c.date_precision in ("month", "day"))]
        dated.sort(key=lambda c: (c.predicate not in event_predicates, rank.get(c.date_precision or "year", 3),
                                  -(c.amount_usd or 0), c.date_sort or "", c.id))
        return sorted(dated[:limit], key=_sort_key)


def _optional(module: str, name: str) -> Any:
    """A function from a stage that may not be installed yet (None when it is missing)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return getattr(mod, name, None)


def _localised(obj: Any, attr: str, lang: str) -> str:
    value = getattr(obj, attr, "")
    if callable(value):
        try:
            return str(value(lang) or "")
        except TypeError:
            return str(value() or "")
    return str(value or "")


def build_report(session: Session, *, lang: str = "en", country: str | None = None,
                 since: str | dt.date | None = None, domains: tuple[str, ...] | None = None,
                 today: dt.date | None = None, amap: AreaMap | None = None) -> Report:
    """Gather a whole briefing in `lang` from the store."""
    import yaml

    from veeduria.present.report.areas import AREAS_FILE

    lang = check_lang(lang)
    since_at = _since_datetime(since)
    amap = amap or area_map()
    with open(AREAS_FILE, encoding="utf-8") as fh:
        timeline_cfg = yaml.safe_load(fh).get("indicators") or {}
    claims = load_claims(session, country=country, domains=domains)
    b = Builder(session, lang, amap)
    b.use_events(claims)

    by_area: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        by_area[amap.area_of(c)].append(c)

    countries = Counter(c.country for c in claims if c.country)
    host = (country or (countries.most_common(1)[0][0] if len(countries) == 1 else "")).lower()
    entities = {ce.entity_id: ce.entity for c in claims for ce in c.roles if ce.entity is not None}
    foreign_countries = Counter(e.country for e in entities.values() if e.foreign and e.country
                                and e.country != host)
    foreign = foreign_countries.most_common(1)[0][0] if foreign_countries else ""
    if host and foreign:
        title = t("report_title", lang, foreign=country_name(foreign, lang), country=country_name(host, lang))
    else:
        title = t("report_title_any", lang)
    scope = t("scope_domains", lang, domains=", ".join(label("domain", d, lang) for d in domains)) \
        if domains else t("scope_all", lang)

    summary = b.summary(by_area, set(timeline_cfg.get("event_predicates") or []))
    areas = b.area_sections(by_area)
    claims_by_id = {c.id: c for c in claims}
    findings_error = None
    try:
        findings = b.findings(claims_by_id)
    except Exception as exc:  # noqa: BLE001 - a failing stage must not lose the whole briefing
        findings, findings_error = None, f"{exc.__class__.__name__}: {exc}"
    chains = b.chains(claims)
    compute_indicators = _optional("veeduria.screen.indicators", "compute")
    indicators, indicators_error = None, None
    if compute_indicators is not None:
        try:
            indicators = compute_indicators(session, country=country)
        except Exception as exc:  # noqa: BLE001 - the charts below do not depend on it
            indicators_error = f"{exc.__class__.__name__}: {exc}"
    chart_list = b.charts(claims, timeline_cfg, indicators, domains)
    conflicts = b.conflicts(claims_by_id)
    changes: list[Fact] = []
    if since_at is not None:
        changed = [c for c in claims if c.created_at is not None and c.created_at >= since_at]
        changes = [b.fact(c) for c in sorted(changed, key=lambda c: (c.created_at, c.id))]

    findings_summary = None
    if findings:
        high = sum(1 for f in findings if f.severity in ("critical", "high"))
        findings_summary = t("summary_findings", lang, n=format_number(len(findings), lang),
                             high=format_number(high, lang))
    sources = {c.source_id for c in claims}
    counts = {"claims": len(claims), "sources": len(sources), "entities": len(entities),
              "foreign_entities": sum(1 for e in entities.values() if e.foreign)}
    today = today or dt.date.today()
    return Report(
        lang=lang, title=title, subtitle=t("report_subtitle", lang),
        generated=t("generated", lang, date=format_date(today.isoformat(), lang)),
        scope=t("filters", lang, scope=scope), method=t("method", lang),
        stats_text=t("summary_stats", lang, **{k: format_number(v, lang) for k, v in counts.items()}),
        summary=summary, findings_summary=findings_summary, areas=areas, findings=findings,
        charts=chart_list, chains=chains,
        since=format_date(since_at.date().isoformat(), lang) if since_at else None,
        changes=changes, notes=b.cites.notes, sources=b.cites.sources(), counts=counts,
        findings_error=findings_error, indicators_error=indicators_error, conflicts=conflicts,
    )


def _money_rules() -> dict[str, set[str]]:
    """Which claims count as money invested or committed: the screening stage's taxonomy
    when installed (so both agree), else the same defaults."""
    taxonomy = _optional("veeduria.screen.taxonomy", "taxonomy")
    money = (taxonomy() or {}).get("money", {}) if taxonomy is not None else {}
    return {"predicates": set(money.get("investment_predicates") or ("invests_in", "acquired")),
            "invested": set(money.get("invested_modalities") or ("actual",)),
            "committed": set(money.get("committed_modalities") or ("planned", "promised"))}


def _money_by(claims: list[Claim], key: Any, rules: dict[str, set[str]],
              skip: set[str] | None = None) -> dict[str, tuple[float, float]]:
    """USD invested and committed per key (each event once: `skip` holds the claims whose
    event counts another claim's figure)."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for c in claims:
        if not c.amount_usd or c.predicate not in rules["predicates"] or c.id in (skip or ()):
            continue
        if c.modality in rules["invested"]:
            out[key(c)][0] += c.amount_usd
        elif c.modality in rules["committed"]:
            out[key(c)][1] += c.amount_usd
    return {k: (v[0], v[1]) for k, v in out.items()}


def _usd(value: float, lang: str, zero: str = "—") -> str:
    return format_money(value, "USD", lang) if value else zero
