"""Sovereign states named in the text (states.yaml, generated from Babel's locale data by
scripts/build_states.py), as actors: "China donates military supplies to Guyana", "signed an
agreement with Costa Rica", "the Serbian government", "el gobierno peruano". The gazetteer
adds the names the store does not know to its regex (Gazetteer.state_ids); the extractor keeps
a match only when it stands alone and emits a candidate entity (schema PublicBody) for it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from veeduria.extract.gazetteer import EntityInfo, Mention, strip_accents
from veeduria.extract.lexicon import _load
from veeduria.text import slugify

# A capitalised word right before ("iNews Guyana", "University of Guyana") or after
# ("Trinidad and Tobago Guardian", "Panama City") makes the state part of a longer name.
_STOPS = ("The|A|An|In|On|At|To|From|For|By|With|And|Of|Between|During|Since|Under|As|That|This|"
          "En|A|De|Del|Con|Por|Para|Desde|Entre|Y|Que|Según|Durante|Hacia|Sobre")
_PART_OF_NAME_BEFORE = re.compile(rf"(?<![\w'’-])(?!(?:{_STOPS})\b)\w*[A-Z]\w*[ \t]+(?:(?:of|de)[ \t]+(?:the[ \t]+|la[ \t]+)?)?$")
_PART_OF_NAME_AFTER = re.compile(r"[ \t]+[A-Z][a-z]")
# "gobierno peruano", "government of Kenya": a government named by its state, any case.
_GOVERNMENT = re.compile(r"(?i)gobierno|government")
# "US$ 4.8 million", "US $4.8 million", "U.S. dollars": a currency, not the state.
_CURRENCY_AFTER = re.compile(r"[ \t]?(?:\$|(?i:dollars?|dólar(?:es)?)\b)")
_DIGIT_AFTER = re.compile(r"[ \t]?\d")  # "US 4.8 million"; but "granted Bolivia 50 million"


@dataclass(frozen=True)
class States:
    by_surface: dict[str, str]  # name as written -> iso code
    display: dict[str, str]  # iso code -> display name
    # "Serbian government", "gobierno de Serbia", "gobierno serbio" -> iso code
    government: dict[str, str]
    demonyms: dict[str, str]  # folded adjective, any gender and number -> iso code
    spanish: dict[str, tuple[str, ...]]  # iso code -> Spanish name


def _spanish_forms(masc: str) -> list[str]:
    """serbio -> serbio, serbia, serbios, serbias; francés -> francesa, franceses, ...;
    costarricense -> costarricenses; iraní -> iraníes; belga -> belgas."""
    if masc.endswith("o"):
        stem = masc[:-1]
        return [masc, stem + "a", stem + "os", stem + "as"]
    if masc.endswith(("és", "án", "ín", "ón")):
        stem = masc[:-2] + strip_accents(masc[-2])
        last = masc[-1]
        return [masc, f"{stem}{last}a", f"{stem}{last}es", f"{stem}{last}as"]
    if masc.endswith(("í", "ú")):
        return [masc, masc + "es", masc + "s"]
    if masc.endswith(("a", "e")):
        return [masc, masc + "s"]
    if masc.endswith("l"):  # español
        return [masc, masc + "a", masc + "es", masc + "as"]
    return [masc, masc + "es"]  # kosovar, kirguís: same in both genders


def _government_surfaces(en: str, es: str, also: list[str], en_adj: str | None,
                         es_adj: str | None, article: str | None) -> list[str]:
    out = [f"{en} government", f"government of {en}", f"{en}'s government", f"{en}’s government",
           f"gobierno de {es}"]
    if en.startswith(("United", "Republic", "Democratic", "Czech", "Dominican", "Central")) \
            or en.endswith("s"):
        out.append(f"government of the {en}")  # the United States, the Philippines
    if article:  # "Gobierno del Perú", "gobierno de los Estados Unidos"
        out.append(f"gobierno {'del' if article == 'el' else 'de ' + article} {es}")
    for abbr in also:
        if abbr.replace(".", "").replace(" ", "").isupper():  # "US government", "gobierno de EE.UU."
            out += [f"{abbr} government", f"gobierno de {abbr}"]
    if en_adj:
        out.append(f"{en_adj} government")
    if es_adj:
        out.append(f"gobierno {es_adj}")
    return out


@cache
def states() -> States:
    by_surface: dict[str, str] = {}
    display = {}
    government: dict[str, str] = {}
    demonyms: dict[str, str] = {}
    spanish: dict[str, tuple[str, ...]] = {}
    raw = _load("demonyms.yaml")
    for code, names in _load("states.yaml").items():
        display[code] = names["en"]
        spanish[code] = (names["es"],)
        for name in (names["en"], names["es"], *names["also"]):
            by_surface[name] = code
        en_adj, es_adj, article = ([*raw.get(code, []), None, None, None])[:3]
        for surface in _government_surfaces(names["en"], names["es"], names["also"],
                                            en_adj, es_adj, article):
            government.setdefault(surface, code)
        if en_adj:
            demonyms.setdefault(_fold(en_adj), code)
        if es_adj:
            for form in _spanish_forms(es_adj):
                demonyms.setdefault(_fold(form), code)
    unknown = set(raw) - set(display)
    if unknown:
        raise ValueError(f"demonyms.yaml: codes not in states.yaml: {sorted(unknown)}")
    return States(by_surface, display, government, demonyms, spanish)


def _fold(word: str) -> str:
    return strip_accents(word).lower().strip()


def state_for_demonym(word: str) -> str | None:
    """ISO code of the state a nationality adjective names, any gender and number, with or
    without accents: "serbio", "serbias", "Kenyan", "peruanos" -> "rs", "rs", "ke", "pe"."""
    return states().demonyms.get(_fold(word))


def state_entity(code: str) -> EntityInfo:
    name = states().display[code]
    return EntityInfo(f"state-{slugify(name)}", name, "PublicBody", None, code.upper(), False)


def keep_state(text: str, m: Mention) -> bool:
    """Whether a gazetteer match of a state name stands alone (not "iNews Guyana",
    "Auditor General of Guyana", "Panama City")."""
    if _GOVERNMENT.match(m.text) or m.text.endswith(("government", "Government")):
        # "the government of Kenya", "el gobierno serbio": the phrase is the actor; only a
        # longer capitalised name around it ("Government of Kenya Gazette") makes it a part.
        return not _PART_OF_NAME_AFTER.match(text, m.end)
    if not m.text[:1].isupper():
        return False  # "colombia.com": a word
    if _CURRENCY_AFTER.match(text, m.end) or (
            (m.text.isupper() or "." in m.text) and _DIGIT_AFTER.match(text, m.end)):
        return False
    if m.text.isupper() and m.text not in states().by_surface:
        return False  # "BOLIVIA Y CHINA AMPLIAN ...": a headline; "US", "DRC" are names
    return not (_PART_OF_NAME_BEFORE.search(text, max(0, m.start - 40), m.start)
                or _PART_OF_NAME_AFTER.match(text, m.end))
