"""The extractor's word lists (relations.yaml, lexicon.yaml) compiled once into regexes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from veeduria.extract.scan import Scanner

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Relation:
    predicate: str
    domain: str
    before: str = "subject"
    after: str = "object"
    modality: str | None = None
    sector: str | None = None
    preps: dict[str, str] = field(default_factory=dict)
    many_after: bool = False  # every entity after the trigger takes the `after` role
    weak: bool = False  # dropped when the sentence has a trigger that is not weak


@dataclass(frozen=True)
class Lexicon:
    relations: list[Relation]
    trigger_re: re.Pattern[str]  # group t<i> -> relations[i]
    sector_re: re.Pattern[str]  # group s<i> -> sector_names[i]
    sector_names: list[str]
    sector_domains: dict[str, str]
    modality_re: re.Pattern[str]  # group m<i> -> modality_names[i]
    modality_names: list[str]
    name_cue_re: re.Pattern[str]  # group c<i> -> cue_schemata[i], followed by a name
    cue_schemata: list[str]
    suffix_re: re.Pattern[str]
    triggers: Scanner
    sector_scanner: Scanner
    modality_scanner: Scanner
    name_cues: Scanner


# A capitalised name of up to six words, allowing lower-case joiners ("Luz del Sur").
UPPER = "A-ZÁÉÍÓÚÑÜ"
CAP_WORD = rf"[{UPPER}0-9][\w&'’.º-]*"
NAME = (rf"[{UPPER}][\w&'’.º-]*(?:[ \t]+(?:(?:de|del|la|las|los|of|the|y|and|&|for|N\.º)[ \t]+)?{CAP_WORD}){{0,5}}")


def _load(name: str) -> Any:
    with open(HERE / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _alternation(groups: list[tuple[str, list[str]]]) -> str:
    return "|".join(f"(?P<{g}>{'|'.join(p)})" for g, p in groups if p)


@cache
def lexicon() -> Lexicon:
    rel_data = _load("relations.yaml")
    lex = _load("lexicon.yaml")
    relations: list[Relation] = []
    trig_groups = []
    for i, entry in enumerate(rel_data):
        relations.append(Relation(
            predicate=entry["predicate"], domain=entry.get("domain", "economy"),
            before=entry.get("before", "subject"), after=entry.get("after", "object"),
            modality=entry.get("modality"), sector=entry.get("sector"),
            preps=dict(entry.get("preps") or {}), many_after=bool(entry.get("many_after")),
            weak=bool(entry.get("weak")),
        ))
        pats = sorted(entry.get("en", []) + entry.get("es", []), key=len, reverse=True)
        trig_groups.append((f"t{i}", pats))
    trigger_re = re.compile(rf"(?<![\w-])(?:{_alternation(trig_groups)})(?!\w)", re.IGNORECASE)

    sector_names = list(lex["sectors"])
    sector_re = re.compile(
        rf"(?<!\w)(?:{_alternation([(f's{i}', lex['sectors'][n]) for i, n in enumerate(sector_names)])})(?!\w)",
        re.IGNORECASE)
    modality_names = list(lex["modality"])
    modality_re = re.compile(
        rf"(?<!\w)(?:{_alternation([(f'm{i}', lex['modality'][n]) for i, n in enumerate(modality_names)])})(?!\w)",
        re.IGNORECASE)
    cue_schemata = []
    cue_groups = []
    for schema, by_lang in lex["name_cues"].items():
        cue_schemata.append(schema)
        cue_groups.append((f"c{len(cue_schemata) - 1}", by_lang.get("en", []) + by_lang.get("es", [])))
    # Cue words are matched case-insensitively but the name after them must be capitalised.
    name_cue_re = re.compile(
        rf"(?<!\w)(?i:{_alternation(cue_groups)})[ \t]+(?P<name>{NAME})")
    suffix_re = re.compile(rf"(?<![\w.])(?P<name>{NAME}[ \t,]+(?:{'|'.join(lex['company_suffixes'])}))(?!\w)")
    every = [p for _, pats in trig_groups for p in pats]
    return Lexicon(
        relations, trigger_re, sector_re, sector_names, dict(lex["sector_domains"]),
        modality_re, modality_names, name_cue_re, cue_schemata, suffix_re,
        triggers=Scanner(trigger_re, every),
        sector_scanner=Scanner(sector_re, [p for v in lex["sectors"].values() for p in v]),
        modality_scanner=Scanner(modality_re, [p for v in lex["modality"].values() for p in v]),
        name_cues=Scanner(name_cue_re, [p for _, pats in cue_groups for p in pats]),
    )
