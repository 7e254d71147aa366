"""Names nobody listed and no cue introduced: the last pass of name discovery.

News names far more companies, people, projects and places than any gazetteer holds, and
most of them arrive with no "the company X" in front. In English and Spanish running text a
capitalised word inside a sentence is almost always part of a name; what is left is to drop
the capitalised words that are not names (titles, months, demonyms, sentence openers), to
find where a name stops, and to guess its kind from its own words and its neighbours:

- a word of an organisation ("Bank", "Society", "Ministerio") makes an organisation, a public
  body when it is a ministry, court, regulator or congress;
- an infrastructure noun after or before it ("the Jama mine", "la represa Misicuni") makes
  a project, named with the noun;
- a title before it, a verb of speech after it, or its last word used alone elsewhere in
  the text ("Mauricio Macri ... Macri said") makes a person;
- "in", "en", "near" before a single word makes a place;
- anything else is a legal entity of unknown kind, for an analyst to type.

Pure functions over the text; the word lists are data in lexicon.yaml."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from veeduria.extract.gazetteer import Gazetteer
from veeduria.extract.lexicon import UPPER, _load

Keep = Callable[[str, str, int], None]

# A capitalised word (letters, digits, hyphens, apostrophes, an inner dot as in "S.A.") or an
# all-capitals acronym; joiners may link two of them inside one name.
_CAP = rf"[{UPPER}][\w'’&-]{{0,39}}(?:\.(?=[{UPPER}])[\w'’&-]{{1,20}})?(?![\w'’&-])"
_JOIN = r"(?:of|for|on|de|del|de[ \t]+la|de[ \t]+las|de[ \t]+los|la|y|and|&|e)"
_RUN = re.compile(rf"(?<![\w'’-]){_CAP}(?:[ \t]+(?:{_JOIN}[ \t]+)?{_CAP}){{0,7}}")
_DATELINE = re.compile(r"\s*(?:,|\(|[-–—]\s)")
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{1,3}|IX|X)$")
# Where a sentence (or a quotation, a list item) starts, the first word is capitalised anyway.
_OPENERS = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[\"“«(¿¡—–-]\s*)$")


@cache
def _lists() -> dict[str, frozenset[str]]:
    lex = _load("lexicon.yaml")
    pn = lex["proper_names"]
    return {
        "org": frozenset(w.lower() for w in lex["org_heads"]) | frozenset(pn["org_words"]),
        "public": frozenset(pn["public_body_words"]),
        "infra": frozenset(pn["infrastructure_nouns"]),
        "titles": frozenset(w.lower().rstrip(".") for w in lex["person_titles"]) | frozenset(pn["role_words"]),
        "skip": frozenset(pn["not_names"]),
        "demonyms": frozenset(pn["demonyms"]),
        "speech": frozenset(pn["speech_verbs"]),
        "place_preps": frozenset(pn["place_prepositions"]),
        "modifiers": frozenset(pn["infrastructure_modifiers"]),
    }


def common_words() -> frozenset[str]:
    """Common English and Spanish words (lower case): see common_words.txt."""
    return _common()


@cache
def _common() -> frozenset[str]:
    path = Path(__file__).with_name("common_words.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w and not w.startswith("#"))


# ISO 4217 and everyday currency words: written in capitals, never an actor.
CURRENCIES = frozenset({"rmb", "usd", "eur", "cny", "pen", "gbp", "jpy", "brl", "ars", "clp",
                        "cop", "mxn", "bob", "crc", "ves", "uyu", "pyg", "gcl", "cad", "aud", "sgd",
                        "hkd", "twd", "kes", "myr", "idr", "inr", "huf", "rsd", "zar", "ngn", "aoa",
                        "etb", "xaf", "krw", "rub", "try", "thb", "vnd", "chf", "sek", "nok", "dkk",
                        "peso", "pesos", "bolivianos", "soles", "reais", "yuan", "renminbi", "dollars",
                        "euros"})
# Capitalised terms of economics that are not actors.
_NOT_NAME_PHRASES = frozenset({"producto interno bruto", "producto bruto interno", "gross domestic product",
                               "inversión extranjera directa", "foreign direct investment"})


def is_public_body_word(word: str) -> bool:
    return _bare(word) in _lists()["public"]


def has_org_word(name: str) -> bool:
    """Whether a name holds a word of an organisation or public body ("Capital", "Bank")."""
    lists = _lists()
    return any(_bare(w) in lists["org"] or _bare(w) in lists["public"] for w in name.split())


def _bare(word: str) -> str:
    return word.lower().strip("'’.,")


def _headline(line: str) -> bool:
    """A title-case line with no sentence punctuation: a headline, not running text."""
    words = line.split()
    if len(words) < 3 or line.rstrip().endswith((".", "?", "!", ":")):
        return False
    caps = sum(1 for w in words if w[:1].isupper())
    return caps / len(words) > 0.6


def find(text: str, gazetteer: Gazetteer, keep: Keep, taken: Callable[[int, int], bool]) -> None:
    """Report every capitalised run not yet taken (by a known or a cued name) as a name of
    the kind its shape suggests. `taken(start, end)` says whether a span is already named."""
    lists = _lists()
    surnames = _reused_last_words(text)
    for line_start, line in _lines(text):
        if _headline(line):
            continue
        for m in _RUN.finditer(line):
            start = line_start + m.start()
            sentence_start = _OPENERS.search(text, max(0, start - 3), start) is not None or start == 0
            if m.start() == 0 and m.group().isupper() and _DATELINE.match(line, m.end()):
                continue  # "BELGRADE, April 14 (Reuters) -": where the story was filed
            if _PORTFOLIO_BEFORE.search(text, max(0, start - 30), start):
                continue  # "el ministro de Transporte y Comunicaciones": a portfolio, not a name
            for part_start, part in _split_coordination(m.group(), lists, gazetteer):
                _one(text, start + part_start, part, sentence_start and part_start == 0,
                     gazetteer, keep, taken, surnames, lists)


def _one(text: str, start: int, run: str, sentence_start: bool, gazetteer: Gazetteer, keep: Keep,
         taken: Callable[[int, int], bool], surnames: set[str], lists: dict[str, frozenset[str]]) -> None:
    words = run.split()
    # Titles, demonyms, months in front are not part of the name; nor, at the start of a
    # sentence, an article ("La empresa"), which inside a sentence belongs to it ("La Paz").
    lead = 0
    if sentence_start and len(words) > 1 and _bare(words[0]) in _common() and not gazetteer.ids_for(words[0]):
        lead = 1  # "Fue la Sociedad X", "Last Saturday": a capitalised first word of a sentence
    while lead < len(words) and (_bare(words[lead]) in lists["titles"] or _bare(words[lead]) in lists["demonyms"]
                                 or ("-" in words[lead] and _bare(words[lead]).split("-", 1)[0] in lists["demonyms"])
                                 or ((sentence_start or lead > 0) and _bare(words[lead]) in lists["skip"])):
        lead += 1
    titled = any(_bare(w) in lists["titles"] for w in words[:lead])
    words = words[lead:]
    while words and (_not_name(words[-1], lists) or _bare(words[-1]) in _JOINERS):
        words.pop()
    if not words:
        return
    if _PORTFOLIO_BEFORE.search(text, max(0, start - 30), start):
        return  # "el ministro de Transporte y Comunicaciones": a portfolio, not a body's name
    if _bare(words[0]) in _PLURAL_HEADS:
        return  # "the Ministries of Defense of China and Ecuador": two bodies, named by the states
    name = " ".join(words)
    n_start = text.find(name, start, start + len(run))
    if n_start < 0:
        return
    if taken(n_start, n_start + len(name)) or gazetteer.ids_for(name) or name.lower() in _NOT_NAME_PHRASES:
        return
    if lead == 0 and sentence_start and len(words) == 1 and not words[0].isupper():
        return  # one capitalised word opening a sentence: any word could be there
    if not _name_shaped(words, lists) and not titled:
        return
    kind, name, n_start = _classify(text, name, n_start, titled, surnames, lists)
    if kind:
        keep(name, kind, n_start)


def _name_shaped(words: list[str], lists: dict[str, frozenset[str]]) -> bool:
    """Whether capitalised words can be a name: no model codes ("Y-12", "NJ5036"), no
    currency; one word alone must be a rare word or an acronym, not a capitalised common
    word ("Defense", "Staff"); several common words need an organisation, public-body or
    infrastructure word among them ("Continental Gold", "High Court", not "Spare Parts")."""
    bare = [_bare(w) for w in words]
    if any(ch.isdigit() for w in words for ch in w) or any(b in CURRENCIES for b in bare):
        return False
    common = _common()
    content = [b for b in bare if b not in _JOINERS]
    if len(content) == 1:
        word = words[0] if len(words) == 1 else next(w for w in words if _bare(w) == content[0])
        if word.isupper():
            return len(word) >= 2 and _ROMAN.match(word) is None
        return content[0] not in common and content[0] not in lists["org"] and content[0] not in lists["public"]
    if all(b in common for b in content):
        return any(b in lists["org"] or b in lists["public"] or b in lists["infra"] for b in content) or any(
            w.isupper() and len(w) > 1 for w in words)
    return True


_PORTFOLIO_BEFORE = re.compile(r"(?<![\w])(?:minist(?:ro|ra|er)s?|secretari[oa]|secretary|viceministr[oa]|"
                               r"titular|cartera)\s+(?:de|del|of|for)\s+(?:la\s+|el\s+|the\s+)?$")
_PLURAL_HEADS = frozenset({"ministries", "governments", "embassies", "ministers", "companies", "firms",
                           "banks", "ministerios", "gobiernos", "embajadas", "ministros", "empresas",
                           "bancos", "fuerzas"})
_AND = re.compile(r"[ \t]+(?:and|y|e|&)[ \t]+")


def _split_coordination(run: str, lists: dict[str, frozenset[str]],
                        gazetteer: Gazetteer | None = None) -> list[tuple[int, str]]:
    """"BYD and Tsingshan" is two names; "China Road and Bridge Corporation" is one: the part
    after "and" ends with an organisation word the part before lacks."""
    out: list[tuple[int, str]] = []
    pos = 0
    for m in _AND.finditer(run):
        left, right = run[pos:m.start()], run[m.end():]
        left_org = any(_bare(w) in lists["org"] for w in left.split())
        right_words = right.split()
        joined = (not left_org and not left.isupper() and right_words
                  and _bare(right_words[min(len(right_words) - 1, 1)]) in lists["org"])
        pair = f"{left.split()[-1] if left.split() else ''}{m.group()}{right_words[0] if right_words else ''}"
        if m.group().strip() == "&" or joined or (gazetteer is not None and gazetteer.ids_for(pair)):
            continue  # "Trinidad and Tobago Minister of Finance": a known name holds the "and"
        out.append((pos, left))
        pos = m.end()
    out.append((pos, run[pos:]))
    return out


_JOINERS = frozenset({"of", "for", "on", "de", "del", "la", "las", "los", "y", "and", "&", "e"})


def _not_name(word: str, lists: dict[str, frozenset[str]]) -> bool:
    bare = _bare(word)
    return (bare in lists["skip"] or bare in lists["titles"] or bare in lists["demonyms"]
            or bare.split("-", 1)[0] in lists["demonyms"] and "-" in bare)  # "Chinese-sponsored"


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _reused_last_words(text: str) -> set[str]:
    """Capitalised words that also stand alone: a surname used again ("Macri said")."""
    counts: dict[str, int] = {}
    for m in re.finditer(rf"(?<![\w'’-])[{UPPER}][a-zà-ÿ'’-]+", text):
        counts[m.group()] = counts.get(m.group(), 0) + 1
    return {w for w, n in counts.items() if n >= 2}


_FOLLOWING = re.compile(r"[ \t]+((?:[a-záéíóúñ-]+(?:[ \t]+|\b)){1,3})")
# Words between an infrastructure noun and the name it introduces.
_NAMING = frozenset({"conocida", "conocido", "como", "known", "as", "called", "named", "llamada", "llamado",
                     "denominada", "denominado", "nuclear", "hidroeléctrica", "hidroelectrica", "de", "del",
                     "agua", "the", "el", "la", "so-called", "termoeléctrica", "solar", "eólica"})


def _classify(text: str, name: str, start: int, titled: bool, surnames: set[str],
              lists: dict[str, frozenset[str]]) -> tuple[str | None, str, int]:
    words = [_bare(w) for w in name.split()]
    end = start + len(name)
    # "the Jama mine", "the RTB Bor copper complex", "Jakarta-Bandung high-speed railway"
    following = _FOLLOWING.match(text, end)
    if following:
        for k, word in enumerate(following.group(1).split()):
            if word in lists["infra"]:
                return "Project", text[start:end] + " " + " ".join(following.group(1).split()[:k + 1]), start
            if word not in lists["modifiers"]:
                break
    # "la represa Misicuni", "el ferrocarril Bulo Bulo-Montero", "proyecto Buriticá"
    before = text[max(0, start - 60):start].lower().split()
    while before and (before[-1] in _NAMING or before[-1] in lists["modifiers"]):
        before.pop()  # "la planta nuclear conocida como", "the so-called"
    if before and before[-1].strip(",") in lists["infra"]:
        return "Project", name, start
    if any(w in lists["public"] for w in words):
        return "PublicBody", name, start
    if any(w in lists["org"] for w in words):
        return "Organization", name, start
    if all(w.isupper() for w in name.split()) or any(w.isupper() and len(w) > 1 for w in name.split()):
        return "Organization", name, start
    tail = text[end:end + 40].lower()
    person_cue = titled or any(tail.lstrip(" ,").startswith(v) for v in lists["speech"])
    if 2 <= len(words) <= 4 and (person_cue or name.split()[-1] in surnames) and not any(
            _ROMAN.match(w) for w in name.split()):
        return "Person", name, start
    if len(words) == 1 and person_cue and titled:
        return "Person", name, start
    prev = text[max(0, start - 12):start].lower().split()
    if len(words) == 1 and prev and prev[-1] in lists["place_preps"]:
        return "Address", name, start
    return "LegalEntity", name, start
