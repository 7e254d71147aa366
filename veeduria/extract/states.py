"""Sovereign states named in the text (states.yaml), as actors: "China donates military
supplies to Guyana", "signed an agreement with Costa Rica". The gazetteer adds the names the
store does not know to its regex (Gazetteer.state_ids); the extractor keeps a match only
when it stands alone and emits a candidate entity (schema PublicBody) for it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from veeduria.extract.gazetteer import EntityInfo, Mention
from veeduria.extract.lexicon import _load
from veeduria.text import slugify

# A capitalised word right before ("iNews Guyana", "University of Guyana") or after
# ("Trinidad and Tobago Guardian", "Panama City") makes the state part of a longer name.
_STOPS = ("The|A|An|In|On|At|To|From|For|By|With|And|Of|Between|During|Since|Under|As|That|This|"
          "En|A|De|Del|Con|Por|Para|Desde|Entre|Y|Que|Según|Durante|Hacia|Sobre")
_PART_OF_NAME_BEFORE = re.compile(rf"(?<![\w'’-])(?!(?:{_STOPS})\b)\w*[A-Z]\w*[ \t]+(?:(?:of|de)[ \t]+(?:the[ \t]+|la[ \t]+)?)?$")
_PART_OF_NAME_AFTER = re.compile(r"[ \t]+[A-Z][a-z]")


@dataclass(frozen=True)
class States:
    by_surface: dict[str, str]  # name as written -> iso code
    display: dict[str, str]  # iso code -> display name


@cache
def states() -> States:
    by_surface: dict[str, str] = {}
    display = {}
    for code, names in _load("states.yaml").items():
        display[code] = names[0]
        for name in names:
            by_surface[name] = code
    return States(by_surface, display)


def state_entity(code: str) -> EntityInfo:
    name = states().display[code]
    return EntityInfo(f"state-{slugify(name)}", name, "PublicBody", None, code.upper(), False)


def keep_state(text: str, m: Mention) -> bool:
    """Whether a gazetteer match of a state name stands alone (not "iNews Guyana",
    "Auditor General of Guyana", "Panama City")."""
    if not m.text[:1].isupper() or m.text.isupper():
        return False  # "colombia.com", "BOLIVIA Y CHINA AMPLIAN ...": a word or a headline
    return not (_PART_OF_NAME_BEFORE.search(text, max(0, m.start - 40), m.start)
                or _PART_OF_NAME_AFTER.match(text, m.end))
