"""Names found from the shape of capitalised phrases, in English and Spanish:

- a phrase with an organisation word ("Bolivian Ministry of Government", "Guyana Defense
  Force", "Ministerio de Defensa del Perú") is an organisation; with a project word
  ("Seeds for the Future Program") a project;
- a title followed by a name ("Minister of Defense Jorge Nieto Montesinos", "Chinese
  Ambassador Qu Shengwu", "Rear Admiral Mario Cesar Sanchez Debernardi") gives a person,
  and an organisation after it ("Commander of the Surinamese Armed Forces");
- a name before a parenthesised title ("Pedro Pablo Kuczynski (Peruvian President)"), before
  an appositive title ("Rubén Saavedra, the Bolivian Minister of Defense"), after a title and
  a comma ("Chinese ambassador, Zhang Limin"), before a verb of travel or speech at the start
  of a sentence ("Xi Jinping travelled to"), or in a list of attendees;
- a quoted name before "program"/"project" ('Telecom Seeds for the Future' program);
- a known company followed by a country ("Huawei Bolivia": its local subsidiary).

Word lists live in lexicon.yaml (org_heads, project_heads, person_titles, not_name_words,
person_verbs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from veeduria.extract.gazetteer import Gazetteer
from veeduria.extract.lexicon import UPPER, _load

# A capitalised word; a dot only after a short abbreviation ("Co.", "Mr.", "S.A.", "L."), so
# that a phrase never runs over the end of a sentence ("the Bolivian Navy. The boats"), or
# after a longer title abbreviation ("Capt.", "Gral.", "Cnel.").
_WORD = rf"(?:(?:Capt|Cmdr|Gral|Cnel|Prof|Sgto|Brig)\.|[{UPPER}][\w'’&-]{{3,}}|[{UPPER}][\w'’&-]{{0,2}}\.?(?:[{UPPER}]\.)*)"
_JOIN = r"(?:of[ \t]+the|for[ \t]+the|of|for|on|de[ \t]+la|de[ \t]+los|de[ \t]+las|del|de|and|y|&)"
PHRASE = re.compile(rf"(?<![\w.-])(?<!\w['’]){_WORD}(?:[ \t](?:{_JOIN}[ \t])?{_WORD}){{0,15}}")  # bounded: hostile text
_JOINERS = {"of", "the", "for", "on", "de", "la", "los", "las", "del", "and", "y", "&"}
_AND = {"and", "y", "&"}
_GLUED = re.compile(r"(?<=[a-z]{3})\.(?=[A-Z])")  # "period.On November" in scraped text
_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
           "Sept", "Oct", "Nov", "Dec", "Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio",
           "Agosto", "Septiembre", "Setiembre", "Octubre", "Noviembre", "Diciembre"}


@dataclass(frozen=True)
class Words:
    org: frozenset[str]
    project: frozenset[str]
    titles: frozenset[str]
    not_name: frozenset[str]
    leading: frozenset[str]
    countries: frozenset[str]
    media: frozenset[str]
    person_verbs: re.Pattern[str]


@cache
def words() -> Words:
    lex = _load("lexicon.yaml")
    return Words(
        org=frozenset(lex["org_heads"]), project=frozenset(lex["project_heads"]),
        titles=frozenset(lex["person_titles"]),
        not_name=frozenset(lex["not_name_words"]) | frozenset(lex["countries"]) | _MONTHS,
        leading=frozenset(lex["leading_stop"]) | _MONTHS, countries=frozenset(lex["countries"]),
        media=frozenset(lex["media_heads"]),
        person_verbs=re.compile(rf"[ \t]+(?:{'|'.join(lex['person_verbs'])})\b", re.IGNORECASE),
    )


Keep = Callable[[str, str, int], None]  # (name, schema, start)
_PAREN_TITLE = re.compile(r"[ \t]*\(([^()]{0,80}(?:\([^()]*\)[^()]{0,40})?)\)")
_APPOSITIVE = re.compile(r",[ \t]+(?:the|a|an|la|el|un|una)?[ \t]*([^,;.()]{0,60})")
_TITLE_COMMA = re.compile(r"((?:[\w'’.-]+[ \t]+){0,4}[\w'’.-]+)[ \t]*,[ \t]*$")
_QUOTED = re.compile(r"['‘\"“]([^'’\"”]{3,80})['’\"”][ \t]*(?:\([^()]{0,40}\)[ \t]*)?(?:program(?:me)?|project|initiative|programa|proyecto)\b",
                     re.IGNORECASE)
_ATTENDING = re.compile(r"(?:Others[ \t]+Attending|Also[ \t]+attending|Asistentes)[ \t]*:[ \t]*", re.IGNORECASE)


def _split_words(phrase: str) -> list[str]:
    return phrase.split()


def _is_title(word: str, w: Words) -> bool:
    # "Commander-in-Chief", "Vice-Minister": the first part is the title.
    return word in w.titles or word.rstrip(",") in w.titles or word.split("-", 1)[0] in w.titles


def _name_like(word: str, w: Words, gazetteer: Gazetteer) -> bool:
    if word in w.not_name or word in w.titles or word in w.org or word in w.project:
        return False
    if word.isupper() and len(word) > 1 and not word.endswith("."):
        return False  # acronyms are not given names
    if word[0].isdigit():
        return False
    ids = gazetteer.ids_for(word)
    if ids and any(gazetteer.entities[i].schema in ("Address", "Territory", "Country") for i in ids if i in gazetteer.entities):
        return False
    return True


def _person_after_titles(tokens: list[tuple[int, str]], i: int, w: Words, gazetteer: Gazetteer) -> tuple[int, int] | None:
    """From token i (just after a title), skip title-ish words and joiners; the next run of
    name-like words (1-4, or 2-4 when not right after a title word) is the person."""
    n = len(tokens)
    last_title = i - 1
    while i < n and (tokens[i][1].lower() in _JOINERS or not _name_like(tokens[i][1], w, gazetteer)):
        if _is_title(tokens[i][1], w):
            last_title = i
        i += 1
    j = i
    while j < n and j - i < 4 and tokens[j][1].lower() not in _JOINERS and _name_like(tokens[j][1], w, gazetteer):
        j += 1
    if j == i:
        return None
    if j - i == 1 and last_title != i - 1:
        return None
    return i, j


def from_phrases(text: str, gazetteer: Gazetteer, keep: Keep) -> None:
    w = words()
    for m in PHRASE.finditer(text):
        raw = m.group()
        glued = _GLUED.search(raw)
        if glued:
            raw = raw[:glued.start()]
        _classify(text, m.start(), raw, w, gazetteer, keep)


def _tokens(raw: str, base: int) -> list[tuple[int, str]]:
    return [(base + t.start(), t.group()) for t in re.finditer(r"\S+", raw)]


_COMPANY_SUFFIX = {"Co", "Co.", "Ltd", "Ltd.", "SA", "S.A.", "S.A.C.", "S.A.A.", "Inc.", "Corp.", "LLC"}


def _classify(text: str, base: int, raw: str, w: Words, gazetteer: Gazetteer, keep: Keep) -> None:
    _classify_run(text, _tokens(raw, base), w, gazetteer, keep)


def _split_and(toks: list[tuple[int, str]], w: Words, gazetteer: Gazetteer) -> list[list[tuple[int, str]]]:
    """Split at "and" when both sides are names of their own ("Chinese Government and
    Colombia's Ministry of Defense", "Telecel Bolivia and Huawei Technologies"), not in
    "University of Trinidad and Tobago" or "Command and Monitoring Center"."""
    for k, (_, word) in enumerate(toks):
        if word in _AND and 0 < k < len(toks) - 1:
            left, right = toks[:k], toks[k + 1:]
            left_name = _has_org(left, w, gazetteer) or _known(left, gazetteer) or left[-1][1] in w.countries
            if len(left) >= 2 and len(right) >= 2 and left_name \
                    and (_has_org(first_segment(right), w, gazetteer) or _known(first_segment(right), gazetteer) or _has_title(right, w)):
                return [left, *_split_and(right, w, gazetteer)]
            if _has_title(right, w) and not _has_org(left, w, gazetteer) and len(left) >= 2:
                return [left, *_split_and(right, w, gazetteer)]
    return [toks]


def first_segment(toks: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The words before the first "of"/"de": "Oceanian Affairs" in "Oceanian Affairs of the
    Foreign Affairs Office". A name after "and" needs its own head there, or it is the second
    half of a coordinated modifier ("Bureau of American and Oceanian Affairs of ...")."""
    k = next((k for k, (_, t) in enumerate(toks) if t.lower() in _OF), len(toks))
    return toks[:k]


_OF = {"of", "de", "del"}
_ARTICLES = {"El", "La", "Los", "Las"}


def _has_title(toks: list[tuple[int, str]], w: Words) -> bool:
    return any(_is_title(t, w) for _, t in toks)


def _known(toks: list[tuple[int, str]], gazetteer: Gazetteer) -> bool:
    return any(gazetteer.ids_for(t) for _, t in toks if len(t) > 2 and t[0].isupper() and t not in ("The",))


def _has_org(toks: list[tuple[int, str]], w: Words, gazetteer: Gazetteer) -> bool:
    if any(t in w.org or t in w.project or _bare(t) in w.org for _, t in toks):
        return True
    return bool(gazetteer.ids_for(_span_text(toks)))


def _bare(word: str) -> str:
    """Without a possessive: "Community's" -> "Community"."""
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _span_text(toks: list[tuple[int, str]]) -> str:
    return " ".join(t for _, t in toks)


def _emit(text: str, toks: list[tuple[int, str]], schema: str, keep: Keep) -> None:
    while toks and (toks[-1][1].lower() in _JOINERS):
        toks = toks[:-1]
    if not toks:
        return
    start, end = toks[0][0], toks[-1][0] + len(toks[-1][1])
    keep(text[start:end], schema, start)


def _strip_leading(toks: list[tuple[int, str]], w: Words) -> list[tuple[int, str]]:
    while toks and (toks[0][1] in w.leading or toks[0][1].lower() in _JOINERS):
        if toks[0][1] in _ARTICLES and len(toks) > 1 and toks[1][1] in w.media:
            break  # a masthead keeps its article: "El Diario", "La Nación"
        toks = toks[1:]
    return toks


def _classify_run(text: str, toks: list[tuple[int, str]], w: Words, gazetteer: Gazetteer, keep: Keep) -> None:
    toks = _strip_leading(toks, w)
    if not toks:
        return
    parts = _split_and(toks, w, gazetteer)
    if len(parts) > 1:
        for part in parts:
            _classify_run(text, part, w, gazetteer, keep)
        return
    t_idx = next((k for k, (_, t) in enumerate(toks) if _is_title(t, w) and not _adjective_title(toks, k, w)), None)
    if t_idx is not None:
        _titled(text, toks, t_idx, w, gazetteer, keep)
        return
    _organisation(text, toks, w, gazetteer, keep)


def _adjective_title(toks: list[tuple[int, str]], k: int, w: Words) -> bool:
    """"General" in "Contraloría General del Estado", "Dirección General de Migraciones": a
    title word between an organisation word and "de"/"del" qualifies the organisation."""
    return 0 < k < len(toks) - 1 and toks[k - 1][1] in w.org and toks[k + 1][1] in ("de", "del")


def _titled(text: str, toks: list[tuple[int, str]], t_idx: int, w: Words, gazetteer: Gazetteer, keep: Keep) -> None:
    """A run with a title: the person after it, and an organisation after "of"/"for"."""
    if t_idx >= 2 and _has_org(toks[:t_idx], w, gazetteer):
        _organisation(text, toks[:t_idx], w, gazetteer, keep)  # "GDF Chief of Staff ..."
    person = _person_after_titles(toks, t_idx + 1, w, gazetteer)
    rest_from = t_idx + 1
    if person is not None:
        _emit(text, toks[person[0]:person[1]], "Person", keep)
        rest_from = person[1]
        # Another title later in the run ("... Chief of Staff, Brigadier General Mark Phillips").
        nxt = next((k for k in range(rest_from, len(toks)) if _is_title(toks[k][1], w)), None)
        if nxt is not None:
            _titled(text, toks[rest_from:], nxt - rest_from, w, gazetteer, keep)
            return
    for k in range(rest_from, len(toks)):
        if toks[k][1].lower() in _JOINERS and k + 1 < len(toks) and toks[k + 1][1].lower() not in _JOINERS:
            seg = toks[k + 1:]
            head = next((h for h, (_, t) in enumerate(seg) if t in w.org), None)
            if head is not None and head <= 2 and len(seg) >= 2:
                for part in _split_and(seg, w, gazetteer):  # "of the Rio Group and Andean Community"
                    _organisation(text, part, w, gazetteer, keep)
                break


def _organisation(text: str, toks: list[tuple[int, str]], w: Words, gazetteer: Gazetteer, keep: Keep) -> None:
    names = [t for _, t in toks]
    # A legal-form suffix ends a company name ("Shaanxi Baoji Special Vehicles Co Tiger").
    cut = next((k for k, t in enumerate(names) if t in _COMPANY_SUFFIX and k >= 1), None)
    if cut is not None:
        _emit(text, toks[:cut + 1], "Company", keep)
        return
    if len(names) >= 2 and names[0] in _ARTICLES and names[1] in w.media:
        _emit(text, toks, "Organization", keep)  # "El Diario", "La República"
        return
    head = next((k for k, t in enumerate(names) if _bare(t) in w.org), None)
    if head is not None:
        # "Spare Parts for the Guyana Defence Force": the name starts after "for".
        lead = next((k for k in range(head) if names[k] == "for"), None)
        if lead is not None:
            seg = _strip_leading(toks[lead + 1:], w)
            _organisation(text, seg, w, gazetteer, keep)
            return
    nested = _nested_at(names, head, w)
    if nested is not None:  # "Bureau of X Affairs of the Foreign Affairs Office of the Ministry ..."
        _organisation(text, toks[:nested], w, gazetteer, keep)
        _split_chain(text, toks[nested + 2:], w, gazetteer, keep)
        return
    if head is not None and len(names) >= 2:
        # "... of China for Free Military Assistance": a "for" clause without its own
        # organisation word is not part of the name, unless it follows the head word itself
        # ("Commission for the Civic Control of Corruption", "Agency for International ...").
        for k in range(head + 1, len(names)):
            if names[k] == "for" and k > head + 1 and not any(t in w.org or t in w.project for t in names[k + 1:]):
                toks = toks[:k]
                break
        _emit(text, toks, "Organization", keep)
    elif len(names) >= 2 and (names[-1] in w.project or names[0] in w.project and names[1].lower() in _JOINERS):
        _emit(text, toks, "Project", keep)  # "Seeds for the Future Program", "Port of Callao"
    elif len(names) == 2 and names[1] in w.countries and _known_company(names[0], gazetteer):
        _emit(text, toks, "Company", keep)  # "Huawei Bolivia"


def _split_chain(text: str, toks: list[tuple[int, str]], w: Words, gazetteer: Gazetteer, keep: Keep) -> None:
    """The rest of a nested chain: each "of the" before a headed segment starts a new name."""
    names = [t for _, t in toks]
    for k in range(1, len(names) - 2):
        right = names[k + 2:]
        seg = right[:next((j for j, t in enumerate(right) if t.lower() in _OF), len(right))]
        if names[k] == "of" and names[k + 1] == "the" and any(t in w.org for t in seg):
            _organisation(text, toks[:k], w, gazetteer, keep)
            _split_chain(text, toks[k + 2:], w, gazetteer, keep)
            return
    _organisation(text, toks, w, gazetteer, keep)


def _nested_at(names: list[str], head: int | None, w: Words) -> int | None:
    """Where "of the" first joins two organisations in a chain of three or more ("Bureau of X
    Affairs of the Foreign Affairs Office of the Ministry of Defense"): a description of
    nesting, not one name. A single link stays whole ("Joint Command of the Armed Forces")."""
    if head is None:
        return None
    links = []
    for k in range(head + 1, len(names) - 2):
        if names[k] != "of" or names[k + 1] != "the":
            continue
        right = names[k + 2:]
        seg = right[:next((j for j, t in enumerate(right) if t.lower() in _OF), len(right))]
        if any(t in w.org for t in seg):
            links.append(k)
    return links[0] if len(links) >= 2 else None


def _known_company(name: str, gazetteer: Gazetteer) -> bool:
    return any((info := gazetteer.entities.get(i)) is not None and info.schema in ("Company", "Organization")
               for i in gazetteer.ids_for(name))


def persons_from_context(text: str, gazetteer: Gazetteer, keep: Keep) -> None:
    """Names made persons by what surrounds them (a parenthesised title, an appositive, a
    speech or travel verb after a sentence-initial name, a list of attendees)."""
    w = words()
    for m in PHRASE.finditer(text):
        raw = m.group()
        toks = _tokens(raw, m.start())
        while toks and toks[0][1] in w.not_name:
            toks = toks[1:]
        if not 2 <= len(toks) <= 4 or not all(_name_like(t, w, gazetteer) for _, t in toks):
            continue
        start, end = toks[0][0], toks[-1][0] + len(toks[-1][1])
        name = text[start:end]
        if gazetteer.ids_for(name):
            continue
        after = text[end:end + 120]
        before = text[max(0, start - 60):start]
        paren = _PAREN_TITLE.match(after)
        if paren and any(_is_title(x, w) for x in paren.group(1).replace("(", " ").split()):
            keep(name, "Person", start)
            continue
        appos = _APPOSITIVE.match(after)
        if appos and any(_is_title(x.capitalize(), w) or _is_title(x, w) for x in appos.group(1).split()[:8]):
            keep(name, "Person", start)
            continue
        tc = _TITLE_COMMA.search(before)
        if tc and any(_is_title(x.capitalize(), w) for x in tc.group(1).split()):
            keep(name, "Person", start)
            continue
        line_start = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start))
        if text[line_start + 1:start].strip() in ("", ".") and w.person_verbs.match(after):
            keep(name, "Person", start)
            continue
        if _ATTENDING.search(text, max(0, start - 200), start) and re.fullmatch(r"[\s,]*(?:and\s+)?", _between_attendees(text, start)):
            keep(name, "Person", start)


def _between_attendees(text: str, start: int) -> str:
    """What lies between the previous attendee (or the colon) and this name."""
    k = start
    while k > 0 and text[k - 1] in " \t,":
        k -= 1
    if k > 0 and text[k - 1] == ":":
        return text[k:start]
    # Previous token must be a name ending a list item.
    prev = text[max(0, k - 40):k]
    if re.search(rf"{_WORD}$", prev) and "," in text[k:start]:
        return text[k:start]
    return "x"


def quoted_projects(text: str, keep: Keep) -> None:
    for m in _QUOTED.finditer(text):
        name = m.group(1).strip()
        if name[:1].isupper():
            keep(name, "Project", m.start(1))


# "20 Dong Feng EQ-2100 trucks", "13 FAW YQ-6100YH buses", "eight Higer KLQ 810 buses",
# "(Iveco brand": a maker's name before a model code, or before "brand".
_BRAND = re.compile(
    rf"(?:\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty)[ \t]+"
    rf"(?:[a-z][\w-]{{0,30}}[ \t]+){{0,2}}(?P<b1>[{UPPER}][\w-]{{1,30}}(?:[ \t][{UPPER}][a-z]{{1,30}})?)[ \t]+"
    rf"(?=[A-Z]{{1,5}}[ -]?\d|[A-Z]{{2,}}[ \t]+[A-Z]?\d)"
    rf"|(?<![\w-])(?P<b2>[{UPPER}][\w-]{{1,30}})[ \t]+[Bb]rand\b)")


def brands(text: str, keep: Keep) -> None:
    w = words()
    for m in _BRAND.finditer(text):
        group = "b1" if m.group("b1") else "b2"
        name = m.group(group)
        if name.split()[0] in w.not_name or name.split()[0] in w.titles:
            continue
        keep(name, "Company", m.start(group))
