"""Screening rules as data: reading and checking the YAML files (docs/screening.md).

A rule file holds one rule (a mapping) or several (a list). Every problem is reported with
the file and rule it is in; a rule with problems is never half-loaded."""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from veeduria.vocab import MODALITIES, domains, predicates, sectors

PACKAGED_RULES = Path(__file__).parent / "rules"
SEVERITIES = ("high", "medium", "low")
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
LANGS = ("en", "es")
ROLE_NAMES = ("subject", "object", "counterparty", "instrument", "location", "beneficiary")
WALKS = ("operator", "supplier", "project")
COMPARE_OPS = {"lt": float.__lt__, "le": float.__le__, "gt": float.__gt__, "ge": float.__ge__}
COMPARE_FIELDS = ("amount_usd", "share", "quantity_value")
MAX_RULE_FILE_BYTES = 1_000_000

CLAUSE_KEYS = {
    "name", "predicates", "modality", "domains", "sectors", "keywords", "exclude_keywords",
    "share_at_least", "share_below", "amount_usd_at_least", "quantity_at_least", "roles",
    "target", "binds",
}
ENTITY_TEST_KEYS = {"foreign", "schema", "not_schema", "state_linked"}
TARGET_KEYS = {"roles", "each", "walk", "filter"}
RULE_KEYS = {"id", "category", "severity", "title", "question", "rationale", "target", "match",
             "explain"}
# Fields explanation templates may use (optionally prefixed by a clause name: "left.amount").
TEMPLATE_FIELDS = {
    "target", "count", "subject", "object", "counterparty", "instrument", "location",
    "beneficiary", "amount", "share", "quantity", "date", "year", "qualifier", "place", "sector",
    "domain", "predicate", "modality", "gap", "ratio", "entities",
}


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


@dataclass
class TargetSpec:
    roles: list[str] = field(default_factory=lambda: ["subject"])
    each: bool = False           # every entity in the first matching role, not just the first
    # Steps from the claim's entity to the target, tried in order until one applies:
    # operator (project -> who operates it), supplier (asset -> who sold or supplied it),
    # project (firm -> the project it operates or builds).
    walk: list[str] = field(default_factory=list)
    filter: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rule:
    id: str
    category: str
    severity: str
    titles: dict[str, str]
    questions: dict[str, str]
    rationale: dict[str, str]
    target: TargetSpec
    match: dict[str, Any]
    explain: dict[str, str]
    path: str = ""

    def title(self, lang: str = "en") -> str:
        return self.titles.get(lang) or self.titles["en"]

    def question(self, lang: str = "en") -> str:
        return self.questions.get(lang) or self.questions["en"]

    def rationale_text(self, lang: str = "en") -> str:
        return self.rationale.get(lang) or self.rationale.get("en", "")

    def predicates(self) -> set[str]:
        return _node_predicates(self.match)


def _node_predicates(node: dict[str, Any]) -> set[str]:
    if "all" in node or "any" in node:
        return set().union(*(_node_predicates(n) for n in node.get("all") or node.get("any")))
    if "compare" in node:
        return _node_predicates(node["compare"]["left"]) | _node_predicates(node["compare"]["right"])
    preds = set(node["predicates"])
    if node.get("binds") == "jurisdiction":
        preds.add("owns")
    return preds


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _texts(raw: Any, what: str, errs: list[str], required: bool = True) -> dict[str, str]:
    if isinstance(raw, str):
        return {"en": raw}
    if not isinstance(raw, dict):
        if required:
            errs.append(f"{what}: expected a mapping with 'en' and 'es'")
        return {}
    out = {str(k): str(v) for k, v in raw.items() if v is not None}
    for lang in LANGS if required else ():
        if not out.get(lang, "").strip():
            errs.append(f"{what}: missing '{lang}'")
    return out


def _check_entity_test(test: Any, where: str, errs: list[str]) -> None:
    if not isinstance(test, dict):
        errs.append(f"{where}: expected a mapping")
        return
    for key in set(test) - ENTITY_TEST_KEYS:
        errs.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(ENTITY_TEST_KEYS))})")


def _check_target(raw: Any, where: str, errs: list[str]) -> TargetSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errs.append(f"{where}: expected a mapping")
        return None
    for key in set(raw) - TARGET_KEYS:
        errs.append(f"{where}: unknown key {key!r}")
    roles = [str(r) for r in _as_list(raw.get("roles", ["subject"]))]
    for r in roles:
        if r not in ROLE_NAMES:
            errs.append(f"{where}: unknown role {r!r}")
    walk = [str(w) for w in _as_list(raw.get("walk"))]
    for w in walk:
        if w not in WALKS:
            errs.append(f"{where}: walk must be one or more of {', '.join(WALKS)}")
    flt = raw.get("filter") or {}
    _check_entity_test(flt, f"{where}.filter", errs)
    return TargetSpec(roles=roles, each=bool(raw.get("each", False)), walk=walk, filter=flt)


def _check_clause(node: dict[str, Any], where: str, errs: list[str], names: set[str]) -> None:
    for key in set(node) - CLAUSE_KEYS:
        errs.append(f"{where}: unknown key {key!r}")
    preds = _as_list(node.get("predicates"))
    if not preds:
        errs.append(f"{where}: a clause needs 'predicates'")
    known = predicates()
    for p in preds:
        if p not in known:
            errs.append(f"{where}: unknown predicate {p!r}")
    node["predicates"] = [str(p) for p in preds]
    for key, vocab in (("modality", MODALITIES), ("domains", domains()), ("sectors", sectors())):
        values = [str(v) for v in _as_list(node.get(key))]
        for v in values:
            if v not in vocab:
                errs.append(f"{where}: unknown {key} value {v!r}")
        if key in node:
            node[key] = values
    for key in ("keywords", "exclude_keywords"):
        raw = node.get(key)
        if isinstance(raw, dict):  # {en: [...], es: [...]} or a flat list
            raw = [w for words in raw.values() for w in _as_list(words)]
        if key in node:
            node[key] = [str(w) for w in _as_list(raw) if str(w).strip()]
    for key in ("share_at_least", "share_below", "amount_usd_at_least", "quantity_at_least"):
        if key in node and not isinstance(node[key], int | float):
            errs.append(f"{where}: {key} must be a number")
    for role, test in (node.get("roles") or {}).items():
        if role not in ROLE_NAMES:
            errs.append(f"{where}.roles: unknown role {role!r}")
        _check_entity_test(test, f"{where}.roles.{role}", errs)
    if node.get("binds") not in (None, "jurisdiction"):
        errs.append(f"{where}: binds must be 'jurisdiction'")
    if "target" in node:
        node["target"] = _check_target(node["target"], f"{where}.target", errs)
    if node.get("name"):
        names.add(str(node["name"]))


def _check_node(node: Any, where: str, errs: list[str], names: set[str]) -> None:
    if not isinstance(node, dict):
        errs.append(f"{where}: expected a mapping")
        return
    for combo in ("all", "any"):
        if combo in node:
            parts = node[combo]
            if set(node) != {combo} or not isinstance(parts, list) or not parts:
                errs.append(f"{where}: '{combo}' takes a non-empty list and nothing else")
                return
            for i, part in enumerate(parts):
                _check_node(part, f"{where}.{combo}[{i}]", errs, names)
            return
    if "compare" in node:
        cmp = node["compare"]
        if set(node) != {"compare"} or not isinstance(cmp, dict):
            errs.append(f"{where}: 'compare' takes a mapping and nothing else")
            return
        for side in ("left", "right"):
            if not isinstance(cmp.get(side), dict):
                errs.append(f"{where}.compare: missing '{side}' clause")
                return
            cmp[side].setdefault("name", side)
            _check_clause(cmp[side], f"{where}.compare.{side}", errs, names)
        if cmp.get("field", "amount_usd") not in COMPARE_FIELDS:
            errs.append(f"{where}.compare: field must be one of {', '.join(COMPARE_FIELDS)}")
        if cmp.get("op", "lt") not in COMPARE_OPS:
            errs.append(f"{where}.compare: op must be one of {', '.join(COMPARE_OPS)}")
        return
    _check_clause(node, where, errs, names)


def _check_template(text: str, names: set[str], where: str, errs: list[str]) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        errs.append(f"{where}: bad template: {exc}")
        return
    for f in fields:
        for alt in f.split("|"):  # {a|b}: first of the alternatives with a value
            prefix, _, base = alt.strip().rpartition(".")
            if base not in TEMPLATE_FIELDS or (prefix and prefix not in names):
                errs.append(f"{where}: unknown template field {{{alt.strip()}}}")


def parse_rule(raw: Any, path: str = "<rule>") -> Rule:
    """A checked Rule, or RuleError listing every problem."""
    if not isinstance(raw, dict):
        raise RuleError(f"{path}: a rule must be a mapping")
    rid = str(raw.get("id") or "")
    where = f"{path}: {rid or '(no id)'}"
    errs: list[str] = []
    if not rid or not all(ch.isalnum() or ch in "-_" for ch in rid):
        errs.append("id: required; letters, digits, '-' and '_' only")
    for key in set(raw) - RULE_KEYS:
        errs.append(f"unknown key {key!r} (allowed: {', '.join(sorted(RULE_KEYS))})")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        errs.append(f"severity must be one of {', '.join(SEVERITIES)}")
    titles = _texts(raw.get("title"), "title", errs)
    questions = _texts(raw.get("question"), "question", errs)
    explain = _texts(raw.get("explain"), "explain", errs)
    rationale = _texts(raw.get("rationale"), "rationale", errs, required=False)
    if not rationale:
        errs.append("rationale: required")
    target = _check_target(raw.get("target", {}), "target", errs) or TargetSpec()
    names: set[str] = set()
    match = raw.get("match")
    if match is None:
        errs.append("match: required")
    else:
        _check_node(match, "match", errs, names)
    for lang, text in explain.items():
        _check_template(text, names, f"explain.{lang}", errs)
    if errs:
        raise RuleError(f"{where}:\n" + "\n".join(f"  - {e}" for e in errs))
    return Rule(id=rid, category=str(raw.get("category") or "other"), severity=severity,
                titles=titles, questions=questions, rationale=rationale, target=target,
                match=match, explain=explain, path=path)


def read_rule_file(path: Path) -> list[Rule]:
    if path.stat().st_size > MAX_RULE_FILE_BYTES:
        raise RuleError(f"{path}: larger than {MAX_RULE_FILE_BYTES} bytes; not a rule file")
    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: not valid UTF-8 YAML: {exc}") from exc
    docs = doc if isinstance(doc, list) else [doc]
    rules, problems = [], []
    for raw in docs:
        try:
            rules.append(parse_rule(raw, str(path)))
        except RuleError as exc:
            problems.append(str(exc))
    if problems:
        raise RuleError("\n".join(problems))
    return rules


def rule_dirs(extra_dirs: tuple[str | Path, ...] | list[str | Path] = ()) -> list[Path]:
    """Packaged rules, then $VEEDURIA_RULES (os.pathsep-separated), then `extra_dirs`."""
    dirs = [PACKAGED_RULES]
    env = os.environ.get("VEEDURIA_RULES")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += [Path(d) for d in extra_dirs]
    return dirs


def load_rule_dirs(dirs: list[Path]) -> list[Rule]:
    """Rules from each folder in order; a later rule with the same id replaces an earlier one."""
    found: dict[str, Rule] = {}
    problems: list[str] = []
    for d in dirs:
        if not d.is_dir():
            raise RuleError(f"{d}: not a folder of rule files")
        for path in sorted([*d.glob("*.yaml"), *d.glob("*.yml")]):
            try:
                for rule in read_rule_file(path):
                    found[rule.id] = rule
            except RuleError as exc:
                problems.append(str(exc))
    if problems:
        raise RuleError(f"{len(problems)} rule file problem(s):\n" + "\n".join(problems))
    return list(found.values())
