"""Name normalisation for matching: folding, legal forms, CJK suffixes, acronyms, variants.

Everything language- or country-specific lives in data/names.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from veeduria.text import fold

DATA = Path(__file__).parent / "data"

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_PARENS = re.compile(r"[(\[（]([^)\]）]*)[)\]）]")
_AKA = re.compile(r"^\s*(?:formerly|previously|now|ex|antes|anteriormente|a\.?k\.?a\.?|also)\s+", re.I)
_SPLITTERS = re.compile(r"\s+/\s+|;")


@dataclass(frozen=True)
class NameRules:
    legal_forms: dict[str, tuple[tuple[str, ...], ...]]  # first word -> forms, longest first
    cjk_suffixes: tuple[str, ...]
    generic_words: frozenset[str]
    generic_weight: float
    thresholds: dict[str, float]
    country_words: dict[str, str]
    country_mismatch: float


@cache
def rules() -> NameRules:
    with open(DATA / "names.yaml", encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)
    forms: dict[str, list[tuple[str, ...]]] = {}
    for form in sorted({tuple(fold(f).split()) for f in raw["legal_forms"]}, key=len, reverse=True):
        forms.setdefault(form[0], []).append(form)
    return NameRules(
        legal_forms={k: tuple(v) for k, v in forms.items()},
        cjk_suffixes=tuple(sorted(raw.get("cjk_suffixes", []), key=len, reverse=True)),
        generic_words=frozenset(fold(w) for w in raw.get("generic_words", [])),
        generic_weight=float(raw.get("generic_weight", 0.15)),
        thresholds={k: float(v) for k, v in raw["thresholds"].items()},
        country_words=_country_words(raw.get("nationality_words") or {}),
        country_mismatch=float(raw.get("country_mismatch_factor", 0.5)),
    )


def _country_words(extra: dict[str, list[str]]) -> dict[str, str]:
    """Single-word country names (FollowTheMoney's list) and nationality words -> code."""
    from followthemoney.types import registry

    words = {}
    for code, name in registry.country.names.items():
        folded = fold(str(name))
        if folded and " " not in folded and len(code) == 2:
            words[folded] = code
    for code, items in extra.items():
        for w in items:
            words[fold(str(w))] = str(code)
    return words


def countries_named(toks: tuple[str, ...] | set[str]) -> set[str]:
    table = rules().country_words
    return {table[t] for t in toks if t in table}


def _strip_cjk_suffixes(run: str) -> str:
    r = rules()
    changed = True
    while changed:
        changed = False
        for suffix in r.cjk_suffixes:
            if run.endswith(suffix) and len(run) > len(suffix) + 1:
                run = run[: -len(suffix)]
                changed = True
    return run


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    forms = rules().legal_forms
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for form in forms.get(tokens[i], ()):
            if tuple(tokens[i:i + len(form)]) == form:
                i += len(form)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out or tokens  # a name that is only a legal form keeps it


def _cjk_tokens(run: str) -> list[str]:
    """Character bigrams: Chinese and Japanese names have no spaces between words."""
    if len(run) <= 2:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=262144)
def normalize(name: str) -> str:
    """The comparison form of a name: folded, legal forms and CJK suffixes removed."""
    folded = fold(name)
    folded = _CJK.sub(lambda m: " " + _strip_cjk_suffixes(m.group(0)) + " ", folded)
    return " ".join(_strip_legal_forms(folded.split()))


def tokens(normalized: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in normalized.split():
        if _CJK.fullmatch(part):
            out.extend(_cjk_tokens(part))
        else:
            out.append(part)
    return tuple(out)


def initials(name: str) -> set[str]:
    """Acronyms a name may go by: initials of its words, with and without legal forms
    ("China National Petroleum Corporation" -> cnpc, cnp)."""
    folded = [t for t in fold(name).split() if not _CJK.fullmatch(t)]
    found = set()
    for words in (folded, _strip_legal_forms(folded)):
        content = [w for w in words if w not in {"of", "and", "the", "de", "del", "la", "y"}]
        if len(content) >= 2:
            found.add("".join(w[0] for w in content))
    return {a for a in found if len(a) >= 3}


def looks_like_acronym(name: str) -> bool:
    stripped = name.strip().strip(".")
    return (2 <= len(stripped) <= 8 and " " not in stripped
            and sum(c.isupper() for c in stripped) >= max(2, len(stripped) - 2))


def variants(name: str) -> list[str]:
    """The raw name and the names it contains: "China National Petroleum Corp. (CNPC)" gives
    the full name, the name without the bracket and "CNPC"; "A / B" gives A and B."""
    out = [name]
    for part in _SPLITTERS.split(name):
        if part.strip() and part.strip() != name.strip():
            out.append(part.strip())
    for inner in _PARENS.findall(name):
        inner = _AKA.sub("", inner).strip()
        if inner:
            out.append(inner)
    outer = _PARENS.sub(" ", name).strip()
    if outer and outer != name:
        out.append(outer)
    seen: set[str] = set()
    return [v for v in out if not (v in seen or seen.add(v))]
