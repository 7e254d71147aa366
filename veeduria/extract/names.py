"""Names not yet in the store, found from context: "the Chinese company X", "la empresa
estatal china X", "X S.A.", "X, a subsidiary of Y", "Full Name (ACRONYM)"."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from veeduria.extract import phrases, propernames
from veeduria.extract.gazetteer import Gazetteer, Mention
from veeduria.extract.lexicon import NAME, UPPER, lexicon
from veeduria.extract.scan import tokens
from veeduria.text import slugify

UPPER_CHARS = UPPER
# "China's Zijin Mining Group", "Beijing’s Belt and Road Initiative": the possessor is not
# part of the name.
_POSSESSOR = re.compile(r"^[\w-]+['’]s\s+(?=[A-ZÁÉÍÓÚÑ])")
_LEADING = re.compile(r"^(?:The|A|An|Un|Una|In|En|Of|De|And|Y)\s+")
_SENTENCE_END = re.compile(r"(?<=[a-zà-ÿ]{2})\.\s+|(?<=[IVX][IVX])\.\s+(?=[A-ZÁÉÍÓÚÑ¿¡])")
_ACRONYM = re.compile(rf"(?P<exp>{NAME})[ \t]+\((?P<acr>[A-ZÁÉÍÓÚÑ][A-Z0-9&ÁÉÍÓÚÑ-]{{1,9}})\)")
_LIST_NEXT = re.compile(rf",?[ \t]+(?:and[ \t]+|y[ \t]+|e[ \t]+)?(?:secondarily[ \t]+|also[ \t]+)?(?P<name>{NAME})|,[ \t]*(?P<name2>{NAME})")
_STOP = {
    "The", "This", "These", "That", "Those", "It", "In", "On", "At", "For", "With", "From", "By",
    "As", "And", "But", "Although", "Beyond", "Since", "While", "When", "However", "Indeed",
    "En", "Con", "Por", "Para", "Desde", "Según", "Aunque", "Además",
}
_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"}


@dataclass(frozen=True)
class NewName:
    name: str
    schema: str
    start: int
    end: int
    acronym: str | None = None

    @property
    def entity_id(self) -> str:
        return slugify(self.name)


# A date after a name is not part of it: "the Government of Uruguay on August 19".
_TRAILING_DATE = re.compile(
    r"\s+(?:on|in|since|until|by|el|en|desde)\s+(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|January|February|March|April|May|June|July|"
    r"August|September|October|November|December|enero|febrero|marzo|abril|mayo|junio|julio|"
    r"agosto|septiembre|setiembre|octubre|noviembre|diciembre)\b|\d).*$", re.IGNORECASE | re.DOTALL)
# A plural head joining two names is two entities, not one: "the Ministries of Defense of
# China and Ecuador", "los Ministerios de Defensa de Perú y China".
_PLURAL_PAIR = re.compile(r"^(?:Ministries|Governments|Embassies|Ministers|Armies|Navies|Armed\s+Forces|"
                          r"Ministerios|Gobiernos|Embajadas|Ministros|Fuerzas\s+Armadas)\s+(?:of|de)\s+.*\s(?:and|y)\s")


def _clean(name: str) -> str:
    name = _SENTENCE_END.split(name, 1)[0]
    name = _TRAILING_DATE.sub("", name)
    name = name.strip(" \t,;:'’")
    if name.endswith(".") and not re.search(r"(?:\b[A-Z]\.|Inc\.|Corp\.|Ltd\.|Co\.)$", name):
        name = name[:-1]
    owner = _POSSESSOR.match(name)
    if owner and not propernames.is_public_body_word(name[owner.end():].split(" ", 1)[0]):
        name = name[owner.end():]  # but "Peru's Ministry of Energy" says which ministry
    while True:
        stripped = _LEADING.sub("", name)
        if stripped == name:
            break
        name = stripped
    if name.endswith(("'s", "’s")):
        name = name[:-2]
    return name


# A stock ticker ("STGRD.UL", "601899.SS") or a wire agency's dateline tag ("(AP)"): not an actor.
_TICKER = re.compile(r"^[A-Z0-9]{1,8}\.[A-Z]{1,3}$")
_WIRES = frozenset({"AP", "AFP", "EFE", "Reuters", "DPA", "ANSA", "Bloomberg", "UPI", "IPS"})


def _usable(name: str, gazetteer: Gazetteer) -> bool:
    if len(name) < 2 or name in _STOP or name in _MONTHS or name.isdigit():
        return False
    if _TICKER.match(name) or name in _WIRES:
        return False
    if not any(ch.isalpha() for ch in name) or gazetteer.ids_for(name) or _PLURAL_PAIR.match(name):
        return False
    return name.split()[0] not in _STOP


# An all-capitals name where a lender goes: "financing from ANSA", "un préstamo de ICBC".
_LENDER_CAPS = re.compile(
    r"\b(?:financing|finance|loans?|credits?|funding|funds|grants?|financiamiento|pr[ée]stamos?|cr[ée]ditos?)"
    r"[ \t]+(?:from|by|de[ \t]+(?:parte[ \t]+de[ \t]+)?)[ \t]*(?P<name>[A-ZÁÉÍÓÚÑ]{3,}[A-Z0-9&-]*)(?![\w'’])")
_SUFFIX_WORDS = {"s", "sac", "saa", "co", "ltd", "limited", "inc", "corp", "corporation", "group",
                 "holding", "holdings", "company", "engineering", "grupo"}
_PAREN_ACRONYM = re.compile(r"\((?=[A-ZÁÉÍÓÚÑ][A-Z0-9&ÁÉÍÓÚÑ-]{1,9}\))")


def discover(text: str, gazetteer: Gazetteer, toks: list[tuple[int, str]] | None = None,
             known: list[Mention] = ()) -> list[NewName]:
    lex = lexicon()
    toks = toks if toks is not None else tokens(text)
    found: dict[str, NewName] = {}

    def keep(raw: str, schema: str, start: int, acronym: str | None = None, min_person: int = 2) -> None:
        name = _clean(raw)
        if schema == "Person":  # "General Mark Phillips and Chinese ambassador"
            name = re.split(r"\s+(?:and|y)\s+", name, maxsplit=1)[0]
            if propernames.has_org_word(name):
                schema = "Organization"  # "Rivera Capital, the firm's chairman": not a person
        elif " " in name:  # "the Ministry of Defense and China North Industries Corporation"
            name = _second_of_pair(name)
        offset = raw.find(name)
        if not name or not ("A" <= name[0] <= "Z" or name[0] in "ÁÉÍÓÚÑ") or not _usable(name, gazetteer) or name in found:
            return
        if schema == "Person" and not min_person <= len(name.split()) <= 4:
            return
        s = start + max(offset, 0)
        found[name] = NewName(name, schema, s, s + len(name), acronym)

    for m in lex.name_cues.scan(text, toks):
        schema = next((lex.cue_schemata[int(g[1:])] for g, v in m.groupdict().items()
                       if v and g.startswith("c")), "Organization")
        keep(m.group("name"), schema, m.start("name"))
        if schema == "Company":  # lists: "brands Changan, DFSK, JAC, and secondarily Jetour"
            pos = m.end("name")
            for _ in range(12):
                nxt = _LIST_NEXT.match(text, pos)
                if not nxt:
                    break
                group = "name" if nxt.group("name") else "name2"
                keep(nxt.group(group), schema, nxt.start(group))
                pos = nxt.end()
    last = -1
    for start, word in toks:
        if start <= last or word.lower() not in _SUFFIX_WORDS:
            continue
        m = lex.suffix_re.search(text, max(0, start - 120), min(len(text), start + 14))
        if m is None or m.end() <= start:
            continue
        last = m.end()
        keep(m.group("name"), "Company", m.start("name"))
    # Shapes of capitalised phrases (organisation and project words, titles, context).
    def keep_shaped(raw: str, schema: str, start: int) -> None:
        keep(raw, schema, start, min_person=1)

    phrases.from_phrases(text, gazetteer, keep_shaped)
    phrases.persons_from_context(text, gazetteer, keep_shaped)
    phrases.quoted_projects(text, keep_shaped)
    phrases.brands(text, keep_shaped)
    not_name = phrases.words().not_name
    for caps in _LENDER_CAPS.finditer(text):
        if caps.group("name") not in not_name:
            keep(caps.group("name"), "Company", caps.start("name"))
    for paren in _PAREN_ACRONYM.finditer(text):
        m = _ACRONYM.search(text, max(0, paren.start() - 120), min(len(text), paren.start() + 14))
        if m is None:
            continue
        exp, acr = _second_of_pair(_clean(m.group("exp"))), m.group("acr")
        if acr.lower() in propernames.CURRENCIES:
            continue  # "dólares canadienses (CAD)": a currency code, not an acronym of a name
        if len(exp.split()) == 1:  # "Kuomintang (KMT)": the letters in order in the word
            exp = exp if _initials_in(acr, exp) else ""
        if exp and _usable(exp, gazetteer) and exp not in found:
            found[exp] = NewName(exp, "Organization", m.start("exp") + m.group("exp").find(exp),
                                 m.start("exp") + m.group("exp").find(exp) + len(exp), acr)
    # Last, capitalised runs nothing above explained: names nobody listed.
    spans = sorted([(m.start, m.end) for m in known] + [(n.start, n.end) for n in found.values()])
    starts = [a for a, _ in spans]

    def taken(start: int, end: int) -> bool:
        i = bisect.bisect_right(starts, end) - 1
        while i >= 0 and spans[i][1] > start - 200:
            if spans[i][0] < end and start < spans[i][1]:
                return True
            i -= 1
        return False

    propernames.find(text, gazetteer, keep_shaped, taken)
    return sorted(found.values(), key=lambda n: n.start)


_CONJUNCTION = re.compile(r"\s+(?:and|y|&)\s+")


def _second_of_pair(expansion: str) -> str:
    """Only the name after "and" when both sides are organisations of their own: in "the
    Ministry of Defense and China North Industries Corporation (NORINCO)" the acronym is the
    second's. "University of Trinidad and Tobago (UTT)" stays whole."""
    parts = _CONJUNCTION.split(expansion)
    if len(parts) < 2:
        return expansion
    org = phrases.words().org
    left, right = " ".join(parts[:-1]).split(), parts[-1].split()
    right_head = right[:next((k for k, t in enumerate(right) if t.lower() in ("of", "de", "del")), len(right))]
    if len(left) >= 2 and any(t in org for t in left) and any(t in org for t in right_head):
        return parts[-1]
    return expansion


def _initials_in(acronym: str, word: str) -> bool:
    if len(acronym) < 2 or acronym[0] != word[0].upper():
        return False
    it = iter(word.lower())
    return all(ch in it for ch in acronym.lower())


def local_gazetteer(new_names: list[NewName], text: str = "", gazetteer: Gazetteer | None = None) -> Gazetteer:
    """A gazetteer of the document's new names, to find their other mentions. A person's
    single names count too where the text uses them alone ("Mahathir Mohamad ... Mahathir
    halted work", "Mauricio Macri ... Macri said"), unless two people of the document share
    the word or it names something already known."""
    from veeduria.extract.gazetteer import EntityInfo

    gz = Gazetteer(states=False)
    owners: dict[str, set[str]] = {}
    for n in new_names:
        if n.schema == "Person" and text:
            for word in n.name.split()[::len(n.name.split()) - 1 or 1]:
                if len(word) >= 3 and word[0].isupper() and not word.isupper():
                    owners.setdefault(word, set()).add(n.entity_id)
    for n in new_names:
        aliases = [n.acronym] if n.acronym else []
        if n.schema == "Person" and text:
            for word in n.name.split()[::len(n.name.split()) - 1 or 1]:
                if (owners.get(word) == {n.entity_id} and word.lower() not in propernames.common_words()
                        and not (gazetteer is not None and gazetteer.ids_for(word))
                        and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])(?!\s+[{UPPER_CHARS}])",
                                      text.replace(n.name, ""))):
                    aliases.append(word)
        gz.add_entity(EntityInfo(n.entity_id, n.name, n.schema), aliases)
    return gz


def new_mentions(text: str, gazetteer: Gazetteer, known: list[Mention],
                 toks: list[tuple[int, str]] | None = None
                 ) -> tuple[list[Mention], list[NewName], list[Mention]]:
    """Mentions of new names that do not overlap known mentions, except that a new name
    may contain known ones ("Huawei Andes Training Center"): those known mentions come
    back third, to be dropped."""
    names = discover(text, gazetteer, toks, known)
    if not names:
        return [], [], []
    local = local_gazetteer(names, text, gazetteer)
    known = sorted(known, key=lambda m: (m.start, m.end))
    spans = [(m.start, m.end) for m in known]
    import bisect

    starts = [s for s, _ in spans]
    out = []
    covered: set[int] = set()  # known mentions inside a longer new name ("Huawei Bolivia")
    for m in local.find(text):
        i = bisect.bisect_right(starts, m.start) - 1
        if i >= 0 and spans[i][1] > m.start and not (spans[i][0] >= m.start and spans[i][1] <= m.end):
            continue
        j = bisect.bisect_left(starts, m.start)
        inside = []
        clash = False
        while j < len(starts) and starts[j] < m.end:
            if spans[j][1] <= m.end:
                inside.append(j)
            else:
                clash = True
            j += 1
        if clash or (i >= 0 and spans[i][1] > m.start and i not in inside and spans[i][0] < m.start):
            continue
        covered.update(inside)
        out.append(Mention(m.start, m.end, m.text, m.entity_id, new=True))
    used = {m.entity_id for m in out}
    dropped = [known[k] for k in sorted(covered)] if covered else []
    return out, [n for n in names if n.entity_id in used], dropped
