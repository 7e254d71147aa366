"""Links between the sentences of a paragraph (English and Spanish cues):

- a sentence that opens with a pronoun or a definite description ("It", "The company",
  "La empresa") has the previous sentence's subject as its own;
- a sentence that refers back to a deal ("this donation", "the loan", "dicho proyecto",
  "el préstamo") talks about the claim of the previous sentence: its figure belongs to that
  claim, or its actors do;
- an attribution ("According to X,", "Según X,") names a source, not an actor;
- a sentence without a date takes the last date stated earlier in its paragraph."""

from __future__ import annotations

import bisect
import re

_PARAGRAPH = re.compile(r"\n[ \t]*\n")

# An opening phrase before the subject: "In 2016, ", "On March 3, ", "Sin embargo, ".
_INTRO = (r"(?:(?:In|On|By|As\s+of|From|During|Since|Then|Later|However|Also|Meanwhile|"
          r"En|El|Durante|Desde|Luego|Además|Sin\s+embargo|Asimismo|Posteriormente)\b[^,.;]{0,40},[ \t]*)?")
ATTRIBUTION = re.compile(
    rf"{_INTRO}(?:According\s+to|As\s+reported\s+by|Según|De\s+acuerdo\s+con)\s+[^,.;]{{1,120}},[ \t]*",
    re.IGNORECASE)
# A person named by the role they hold ("The president said", "El mandatario señaló"): the
# last person named before, not the last subject.
PERSON_ROLE = (r"(?:The|This|El|La|Este|Esta|Dicho|Dicha)\s+(?:(?:Chinese|Peruvian|former|chino|peruano|"
               r"ecuatoriano|boliviano|chileno|argentino|mexicano|colombiano)\s+)?"
               r"(?:president|presidente|presidenta|mandatario|mandataria|jefe\s+de\s+Estado|minister|ministro|"
               r"ministra|prime\s+minister|premier|governor|gobernador|gobernadora|chairman|chairwoman|"
               r"executive|ejecutivo|ejecutiva|official|funcionario|funcionaria|ambassador|embajador|"
               r"embajadora|canciller|diplomat|diplomático|leader|líder|spokesman|spokeswoman|vocero|vocera|"
               r"portavoz)(?:\s+(?:chino|china|ecuatoriano|peruano|boliviano))?(?=[\s,])")
# A project named by what it is ("The railway", "La que será la cuarta central", "El proyecto"):
# the last project named before. ("Dicho proyecto", "this project" refer to the deal just told:
# see anaphor().)
PROJECT_REF = (r"(?:(?:The|El|La)\s+(?:que\s+ser[áa]\s+(?:el|la)\s+)?"
               r"(?:[\w-]+\s+){0,2}?"
               r"(?:project|plant|railway|railroad|line|port|terminal|mine|dam|bridge|highway|road|refinery|"
               r"complex|proyecto|planta|central|obra|puerto|terminal|mina|represa|puente|ferrocarril|"
               r"carretera|refiner[íi]a|complejo|tramo|yacimiento))(?=[\s,])")
CARRY = re.compile(
    _INTRO
    + r"(?P<cue>(?:It|They|Ella|Ellos)(?=\s)"
    r"|(?:The|This|That|Said)\s+(?:(?:Chinese|state-owned|Peruvian|foreign)\s+)?(?:company|firm|group|bank|corporation|"
    r"conglomerate|contractor|consortium|enterprise|lender|operator|miner)(?=[\s,])"
    r"|(?:La|Dicha|Esta)\s+(?:empresa|compañía|firma|corporación|constructora|minera|operadora|entidad)"
    r"(?:\s+(?:china|estatal|peruana|extranjera))?(?=[\s,])"
    r"|(?:El|Dicho|Este)\s+(?:banco|grupo|consorcio|prestamista|operador|conglomerado)(?:\s+(?:chino|estatal|peruano))?(?=[\s,])"
    + r"|(?P<person>" + PERSON_ROLE + r")"
    + r"|(?P<state>(?:The|This)\s+country|(?:El|Este|Su|Nuestro)\s+pa[ií]s)(?=[\s,])"
    + r"|(?P<project>" + PROJECT_REF + r"))",
    re.IGNORECASE)

_NOUNS = (
    r"donations?|grants?|gifts?|loans?|credits?|agreements?|deals?|contracts?|projects?|aid|assistance|"
    r"packages?|equipment|materials|supplies|funds|proceeds|investments?|acquisitions?|purchases?|"
    r"transactions?|protocols?|memorand(?:um|a)|MOUs?|programm?e?s?|financing|facility|"
    r"donaci[óo]n(?:es)?|donativos?|pr[ée]stamos?|cr[ée]ditos?|acuerdos?|convenios?|contratos?|"
    r"proyectos?|ayuda|asistencia|equipos|materiales|fondos|inversi[óo]n(?:es)?|adquisici[óo]n|"
    r"compra|operaci[óo]n|transacci[óo]n|programas?|memor[áa]ndum|financiamiento"
)
# A definite description counts only near the start of its sentence (where a subject is):
# "the loan" deep inside a sentence is more often new information.
_DEFINITE_REACH = 40


def paragraph_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _PARAGRAPH.finditer(text)]


def paragraph_of(starts: list[int], pos: int) -> int:
    return bisect.bisect_right(starts, pos) - 1


def _body_start(text: str, start: int, end: int) -> int:
    head = text[start:min(end, start + 8)]
    return start + len(head) - len(head.lstrip())


_ATTRIBUTION_WORDS = ("ccording", "eported by", "egún", "cuerdo con")
_CARRY_FIRST = frozenset((
    "it they ella ellos the this that said la dicha esta el dicho este su nuestro in on by as from during since then "
    "later however also meanwhile en durante desde luego además sin asimismo posteriormente").split())
_NOUN_RE = re.compile(r"(?<!\w)(?:" + _NOUNS + r")(?!\w)", re.IGNORECASE)
_DETERMINER_BEFORE = re.compile(
    r"(?<!\w)(?:(?P<dem>this|that|these|those|said|such|este|esta|estos|estas|ese|esa|esos|esas|dich[oa]s?|"
    r"tal(?:es)?)|(?P<def>the|el|la|los|las))\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)


def attribution_end(text: str, span: tuple[int, int]) -> int | None:
    """End of an opening "According to X," in the sentence, or None."""
    start = _body_start(text, *span)
    head = text[start:start + 80]
    if not any(w in head for w in _ATTRIBUTION_WORDS):
        return None  # cheap test first: most sentences have no attribution
    m = ATTRIBUTION.match(text, start, span[1])
    return m.end() if m else None


def carry_cue(text: str, span: tuple[int, int], body: int | None = None) -> tuple[int, int] | None:
    """Span of a subject pronoun or definite description opening the sentence, or None."""
    found = carry(text, span, body)
    return (found[0], found[1]) if found else None


def carry(text: str, span: tuple[int, int], body: int | None = None) -> tuple[int, int, str] | None:
    """Like carry_cue, with what the cue stands for: "person" (a role: "the president"),
    "state" ("the country", "el país"), "project" ("the railway", "la central") or
    "subject" (a pronoun, "the company")."""
    start = body if body is not None else _body_start(text, *span)
    first = text[start:start + 14].split(None, 1)
    if not first or first[0].lower().rstrip(",") not in _CARRY_FIRST:
        return None
    m = CARRY.match(text, start, span[1])
    if not m:
        return None
    kind = next((k for k in ("person", "state", "project") if m.group(k)), "subject")
    return m.start("cue"), m.end("cue"), kind


def anaphor(text: str, span: tuple[int, int], body: int | None = None) -> tuple[int, int] | None:
    """Span of a phrase referring back to a deal ("this donation", "the loan"), or None."""
    body = body if body is not None else _body_start(text, *span)
    for noun in _NOUN_RE.finditer(text, body, span[1]):
        det = _DETERMINER_BEFORE.search(text, max(body, noun.start() - 40), noun.start())
        if det is None:
            continue
        if det.group("dem"):
            return det.start(), noun.end()
        if det.start() - body > _DEFINITE_REACH:
            return None  # past the subject position: later nouns are further still
        if noun.group()[0].islower():
            return det.start(), noun.end()
    return None


# A company named by what it is inside a sentence ("... de la empresa china por un valor de",
# "the Chinese firm will"): the last company named. Not when a name follows ("la empresa china
# CAMC": an apposition, the name itself is there). Plural forms stand for the last two.
_ORG_REF = re.compile(
    r"(?<![\w-])(?:(?P<one>(?:the|la|el|esta|este|dicha|dicho)\s+(?:(?:chinese|state-owned|state|foreign|"
    r"mining|construction|chin[oa]|estatal|extranjer[oa]|minera|constructora|asi[áa]tic[oa])\s+)?"
    r"(?:company|firm|group|contractor|miner|empresa|compa[ñn][íi]a|firma|constructora|minera|grupo)"
    r"(?:\s+(?:chin[oa]|estatal|asi[áa]tic[oa]))?)"
    r"|(?P<two>(?:the\s+two|both|las\s+dos|ambas|las)\s+(?:(?:chinese|chinas)\s+)?"
    r"(?:companies|firms|groups|empresas|compa[ñn][íi]as|firmas)(?:\s+chinas)?))"
    r"(?![\w-])(?!\s*,?\s*[A-ZÁÉÍÓÚÑ])",
    re.IGNORECASE)


def company_references(text: str, span: tuple[int, int]) -> list[tuple[int, int, int]]:
    """(start, end, how many companies) of each reference to companies named before."""
    return [(m.start(), m.end(), 2 if m.group("two") else 1)
            for m in _ORG_REF.finditer(text, span[0], span[1])]
