"""The rule engine: evaluates rules (veeduria/screen/rules/*.yaml and user folders) over
facts and returns findings, each naming its target, rule, severity and evidence claims.

Nothing here knows about a particular country or foreign state: "foreign" is the entity's
flag (or its owners'), and a law's reach is the country of the state that enacted it."""

from __future__ import annotations

import functools
import hashlib
import re
import string
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from veeduria.screen import fmt
from veeduria.screen.facts import ClaimView, Facts, load_facts
from veeduria.screen.rules import (
    COMPARE_OPS,
    SEVERITY_ORDER,
    Rule,
    TargetSpec,
    load_rule_dirs,
    rule_dirs,
)
from veeduria.text import fold
from veeduria.vocab import is_negative, label

# Claims the engine itself needs besides those rules name: ownership (chains, "foreign" through
# owners) and who operates or builds what (target walks).
SUPPORT_PREDICATES = {"owns", "operates", "builds", "procured_from", "supplies"}
PROJECT_SCHEMATA = {"Project", "Asset"}
NON_FIRM_SCHEMATA = {"PublicBody", "Person", "Address", "Territory"}
FIRM_SCHEMATA = {"Company", "Organization", "LegalEntity"}
ROLE_FIELDS = ("subject", "object", "counterparty", "instrument", "location", "beneficiary")

# target id -> clause name -> claims
Match = dict[str, dict[str, list[ClaimView]]]


def load_rules(extra_dirs: tuple[str, ...] | list[str] = ()) -> list[Rule]:
    """Packaged rules, $VEEDURIA_RULES folders and `extra_dirs` (later ids replace earlier)."""
    return load_rule_dirs(rule_dirs(tuple(extra_dirs)))


@dataclass
class Finding:
    id: str
    rule_id: str
    severity: str
    target_id: str
    target_name: str
    claim_ids: list[str]
    rule: Rule = field(repr=False)
    clause_claims: dict[str, list[str]] = field(default_factory=dict)
    # What the explanation is written from; the sentences are built on first use.
    facts: Facts | None = field(default=None, repr=False, compare=False)
    matched: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)
    _contexts: dict[str, list[dict[str, str]]] = field(default_factory=dict, repr=False, compare=False)

    def context(self, lang: str = "en") -> list[dict[str, str]]:
        """Template fields, one dict per sentence (one per claim for single-pattern rules)."""
        if lang not in self._contexts:
            self._contexts[lang] = (_contexts(self.rule, self.target_id, self.matched, self.facts, lang)
                                    if self.facts is not None else [])
        return self._contexts[lang]

    @property
    def category(self) -> str:
        return self.rule.category

    def title(self, lang: str = "en") -> str:
        return self.rule.title(lang)

    def question(self, lang: str = "en") -> str:
        return self.rule.question(lang)

    def explanation(self, lang: str = "en") -> str:
        template = self.rule.explain.get(lang) or self.rule.explain["en"]
        contexts = self.context(lang)
        shown = [tidy(_Template(ctx).format(template)) for ctx in contexts[:MAX_SENTENCES]]
        if len(contexts) > MAX_SENTENCES:
            more = len(contexts) - MAX_SENTENCES
            shown.append(f"(+{more} more)" if lang == "en" else f"(y {more} más)")
        return " ".join(shown)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule_id,
            "category": self.category,
            "title": self.title(lang),
            "question": self.question(lang),
            "severity": self.severity,
            "target": {"id": self.target_id, "name": self.target_name},
            "evidence": list(self.claim_ids),
            "explanation": self.explanation(lang),
            "rationale": self.rule.rationale_text(lang),
        }


def finding_id(rule_id: str, target_id: str) -> str:
    return "f-" + hashlib.sha256(f"{rule_id}\0{target_id}".encode()).hexdigest()[:16]


MAX_SENTENCES = 6


class _Template(string.Formatter):
    """Fills {field} and {clause.field} from a flat dict; unknown or empty fields are left
    blank (tidy() removes the empty brackets) rather than failing."""

    def __init__(self, ctx: dict[str, str]) -> None:
        self.ctx, self.missing = ctx, ""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        # "{a|b}": the first of the alternatives that has a value.
        for name in field_name.split("|"):
            value = self.ctx.get(name.strip())
            if value not in (None, ""):
                return value, field_name
        return self.missing, field_name


_EMPTY_BITS = [
    (re.compile(r"\(\s*(?:[;,:]\s*)*\)"), ""),        # "( ; )" -> ""
    (re.compile(r"\(\s*(?:[;,:]\s*)+"), "("),           # "(; x" -> "(x"
    (re.compile(r"(?:\s*[;,:])+\s*\)"), ")"),           # "x; )" -> "x)"
    (re.compile(r"([;,:])(?:\s*[;,:])+"), r"\1"),        # "x; ; y" -> "x; y"
    (re.compile(r"\s+([.,;:)])"), r"\1"),               # "x ." -> "x."
    (re.compile(r"\s{2,}"), " "),
]


def tidy(text: str) -> str:
    """Remove the punctuation left around fields that had no value."""
    for pattern, repl in _EMPTY_BITS:
        text = pattern.sub(repl, text)
    return text.strip()


# ---------------------------------------------------------------- entity and claim tests

def entity_passes(facts: Facts, eid: str, test: dict[str, Any]) -> bool:
    if not test:
        return True
    ent = facts.entity(eid)
    if "foreign" in test and facts.is_foreign(eid) != bool(test["foreign"]):
        return False
    if test.get("schema") and ent.schema not in test["schema"]:
        return False
    if test.get("not_schema") and ent.schema in test["not_schema"]:
        return False
    if "state_linked" in test:
        linked = ent.schema == "PublicBody" or (ent.state_linkage not in (None, "", "private"))
        if linked != bool(test["state_linked"]):
            return False
    return True


def claim_passes(node: dict[str, Any], claim: ClaimView, facts: Facts) -> bool:
    if node.get("modality") and claim.modality not in node["modality"]:
        return False
    if is_negative(claim.modality) and claim.modality not in (node.get("modality") or ()):
        return False  # "X did not ..." (or "X denies ...") never triggers a rule written for "X did ..."
    if node.get("domains") and claim.domain not in node["domains"]:
        return False
    if node.get("sectors"):
        # The claim's own sector; only a claim without one borrows its parties' sectors.
        sectors = {claim.sector} if claim.sector else {
            facts.entity(e).sector for e, r in claim.roles if r in ("subject", "object")}
        if not sectors & set(node["sectors"]):
            return False
    if node.get("keywords") or node.get("exclude_keywords"):
        text = claim.text
        if node.get("keywords") and not any(_fold(k) in text for k in node["keywords"]):
            return False
        if any(_fold(k) in text for k in node.get("exclude_keywords") or ()):
            return False
    if "share_at_least" in node and (claim.share is None or claim.share < node["share_at_least"]):
        return False
    if "share_below" in node and (claim.share is None or claim.share >= node["share_below"]):
        return False
    if "amount_usd_at_least" in node and (claim.amount_usd is None
                                          or claim.amount_usd < node["amount_usd_at_least"]):
        return False
    if "quantity_at_least" in node and (claim.quantity_value is None
                                        or claim.quantity_value < node["quantity_at_least"]):
        return False
    for role, test in (node.get("roles") or {}).items():
        if not any(entity_passes(facts, e, test or {}) for e in claim.entities(role)):
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _fold(word: str) -> str:
    return fold(word)


# ---------------------------------------------------------------- targets

def _claims_of(facts: Facts, eid: str, *preds: str) -> list[ClaimView]:
    return [c for c in facts.by_entity.get(eid, ()) if c.predicate in preds]


def _walk_step(facts: Facts, eid: str, how: str) -> list[str]:
    ent = facts.entity(eid)
    found: list[str] = []
    if how == "operator" and ent.schema in PROJECT_SCHEMATA:
        found = [s for c in _claims_of(facts, eid, "operates") if eid in c.entities("object")
                 for s in c.entities("subject")]
    elif how == "supplier" and ent.schema not in FIRM_SCHEMATA | NON_FIRM_SCHEMATA:
        # The seller in "X bought <asset> from Y", the supplier in "Y supplies <asset>".
        for c in _claims_of(facts, eid, "procured_from", "supplies"):
            if eid in c.entities("instrument"):
                found += c.entities("object" if c.predicate == "procured_from" else "subject")
    elif how == "project" and ent.schema not in PROJECT_SCHEMATA:
        found = [o for c in _claims_of(facts, eid, "operates", "builds") if eid in c.entities("subject")
                 for o in c.entities("object") if facts.entity(o).schema in PROJECT_SCHEMATA]
    return list(dict.fromkeys(found))


def walk(facts: Facts, eid: str, steps: list[str]) -> list[str]:
    """The targets reached from `eid` by the first step that leads anywhere (else `eid`)."""
    for how in steps:
        found = _walk_step(facts, eid, how)
        if found:
            return found
    return [eid]


def jurisdiction_bound(facts: Facts, claim: ClaimView) -> list[str]:
    """Entities a legal obligation reaches: those it names as object, and every entity whose
    country (or an owner's country) is that of the enacting state or instrument."""
    countries = {facts.entity(e).country for e, r in claim.roles
                 if r in ("subject", "instrument") and facts.entity(e).country}
    named = claim.entities("object")
    reached = [eid for c in sorted(countries) for eid in facts.entities_of_country(c)]
    return list(dict.fromkeys([*named, *reached]))


def claim_targets(facts: Facts, claim: ClaimView, spec: TargetSpec, node: dict[str, Any]) -> list[str]:
    if node.get("binds") == "jurisdiction":
        found = jurisdiction_bound(facts, claim)
    else:
        found = []
        for role in spec.roles:
            ents = claim.entities(role)
            if ents:
                found = ents if spec.each else ents[:1]
                break
    out = [t for eid in found for t in walk(facts, eid, spec.walk)]
    return [t for t in dict.fromkeys(out) if entity_passes(facts, t, spec.filter)]


# ---------------------------------------------------------------- evaluation

def _clause(node: dict[str, Any], default: TargetSpec, facts: Facts, name: str) -> Match:
    spec = node.get("target") or default
    if not spec.filter and default.filter:  # a clause's own target keeps the rule's filter
        spec = TargetSpec(spec.roles, spec.each, spec.walk, default.filter)
    out: Match = defaultdict(lambda: defaultdict(list))
    seen: set[tuple[str, str]] = set()
    for pred in node["predicates"]:
        for claim in facts.by_predicate.get(pred, []):
            if claim_passes(node, claim, facts):
                for t in claim_targets(facts, claim, spec, node):
                    if (t, claim.id) not in seen:
                        seen.add((t, claim.id))
                        out[t][name].append(claim)
    return out


def _merge(into: Match, other: Match, targets: set[str] | None = None) -> None:
    for t, clauses in other.items():
        if targets is not None and t not in targets:
            continue
        slot = into.setdefault(t, defaultdict(list))
        for name, claims in clauses.items():
            have = {id(c) for c in slot[name]}
            slot[name].extend(c for c in claims if id(c) not in have)


def evaluate(node: dict[str, Any], default: TargetSpec, facts: Facts, path: str = "m") -> Match:
    if "any" in node:
        out: Match = {}
        for i, part in enumerate(node["any"]):
            _merge(out, evaluate(part, default, facts, f"{path}.{i}"))
        return out
    if "all" in node:
        parts = [evaluate(part, default, facts, f"{path}.{i}") for i, part in enumerate(node["all"])]
        common = set.intersection(*(set(p) for p in parts))
        out = {}
        for p in parts:
            _merge(out, p, common)
        return out
    if "compare" in node:
        cmp = node["compare"]
        left = _clause(cmp["left"], default, facts, cmp["left"].get("name", "left"))
        right = _clause(cmp["right"], default, facts, cmp["right"].get("name", "right"))
        fieldname, op = cmp.get("field", "amount_usd"), COMPARE_OPS[cmp.get("op", "lt")]
        lname, rname = cmp["left"].get("name", "left"), cmp["right"].get("name", "right")
        out = {}
        for t in set(left) & set(right):
            pairs = [(a, b) for a in left[t][lname] for b in right[t][rname]
                     if getattr(a, fieldname) is not None and getattr(b, fieldname) is not None
                     and op(float(getattr(a, fieldname)), float(getattr(b, fieldname)))]
            if pairs:
                # The pair that is least favourable to the finding (largest figures on both
                # sides): when sources disagree, the explanation and evidence stay conservative.
                a, b = max(pairs, key=lambda p: (float(getattr(p[0], fieldname)),
                                                 float(getattr(p[1], fieldname))))
                out[t] = {lname: [a], rname: [b], "_compare": [fieldname]}
        return out
    return _clause(node, default, facts, node.get("name") or path)


# ---------------------------------------------------------------- explanations

def _claim_fields(claims: list[ClaimView], facts: Facts, lang: str) -> dict[str, str]:
    j = lambda items: fmt.join(items, lang)  # noqa: E731
    out = {role: j(facts.name(e, lang) for c in claims for e in c.entities(role))
           for role in ROLE_FIELDS}
    out["entities"] = j(facts.name(e, lang) for c in claims for e, _ in c.roles)
    out["amount"] = j(fmt.money(c.amount_value, c.amount_currency, lang) for c in claims)
    out["share"] = j(fmt.share(c.share, lang) for c in claims)
    out["quantity"] = j(f"{fmt.number(c.quantity_value, lang)} {c.quantity_unit or ''}".strip()
                        for c in claims if c.quantity_value is not None)
    out["date"] = j(c.date or "" for c in claims)
    out["year"] = j(c.year or "" for c in claims)
    out["qualifier"] = j(c.qualifier_in(lang) or "" for c in claims)
    out["place"] = j(c.place or "" for c in claims)
    out["sector"] = j(fmt.sector(c.sector, lang) for c in claims)
    out["domain"] = j(fmt.domain(c.domain, lang) for c in claims)
    out["predicate"] = j(label("predicate", c.predicate, lang) for c in claims)
    out["modality"] = j(c.modality for c in claims)
    out["count"] = str(len(claims))
    return out


def _context(target: str, clauses: dict[str, list[Any]], facts: Facts, lang: str) -> dict[str, str]:
    compare = clauses.get("_compare")
    named = {k: v for k, v in clauses.items() if not k.startswith("_")}
    every = list(dict.fromkeys(c for cs in named.values() for c in cs))
    ctx = _claim_fields(every, facts, lang)
    for name, claims in named.items():
        for key, value in _claim_fields(claims, facts, lang).items():
            ctx[f"{name}.{key}"] = value
    ctx["target"] = facts.name(target, lang)
    if compare:
        (_, lclaims), (_, rclaims) = list(named.items())[:2]
        a, b = getattr(lclaims[0], compare[0]), getattr(rclaims[0], compare[0])
        if compare[0] == "amount_usd":
            ctx["gap"] = fmt.money(abs(b - a), "USD", lang)
        elif compare[0] == "share":
            ctx["gap"] = fmt.share(abs(b - a), lang)
        else:
            ctx["gap"] = fmt.number(abs(b - a), lang)
        ctx["ratio"] = fmt.share(a / b, lang) if b else ""
    return ctx


def _combines(node: dict[str, Any]) -> bool:
    """Whether a match joins several claims into one statement (all / compare)."""
    if "all" in node or "compare" in node:
        return True
    return any(_combines(n) for n in node.get("any", ()))


def _contexts(rule: Rule, target: str, clauses: dict[str, list[Any]], facts: Facts,
              lang: str) -> list[dict[str, str]]:
    """One sentence per claim for single-pattern rules (several claims read better apart);
    one sentence for the whole match when the rule combines claims."""
    if _combines(rule.match):
        return [_context(target, clauses, facts, lang)]
    out = []
    for name, claims in clauses.items():
        if name.startswith("_"):
            continue
        for c in sorted(claims, key=lambda c: (c.date_sort or "", c.id)):
            out.append(_context(target, {name: [c]}, facts, lang))
    return out


# ---------------------------------------------------------------- entry points

def screen_facts(facts: Facts, rules: list[Rule], *, target_id: str | None = None) -> list[Finding]:
    """Findings of every rule over `facts`; with `target_id`, only those about that entity."""
    findings = []
    for rule in rules:
        for target, clauses in evaluate(rule.match, rule.target, facts).items():
            if target_id is not None and target != target_id:
                continue
            named = {k: v for k, v in clauses.items() if not k.startswith("_")}
            claim_ids = list(dict.fromkeys(c.id for cs in named.values() for c in cs))
            if not claim_ids:
                continue  # no finding stands without evidence
            findings.append(Finding(
                id=finding_id(rule.id, target), rule_id=rule.id, severity=rule.severity,
                target_id=target, target_name=facts.name(target), claim_ids=claim_ids, rule=rule,
                facts=facts, matched=dict(clauses),
                clause_claims={k: [c.id for c in v] for k, v in named.items()},
            ))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.rule_id, f.target_name.casefold()))
    return findings


def needed_predicates(rules: list[Rule]) -> set[str]:
    return set().union(*(r.predicates() for r in rules)) | SUPPORT_PREDICATES if rules else set()


def run_screening(session: Session, rules: list[Rule] | None = None, *,
                  target_id: str | None = None, facts: Facts | None = None) -> list[Finding]:
    """Screen the store's accepted claims with `rules` (default: load_rules())."""
    rules = load_rules() if rules is None else rules
    if facts is None:
        facts = load_facts(session, predicates=needed_predicates(rules))
    return screen_facts(facts, rules, target_id=target_id)
