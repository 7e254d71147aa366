"""A gazetteer of known entity names, matched in one pass with a trie-shaped regex.

The object is plain data (names and entity facts) so it pickles cheaply to Dask workers;
the compiled regex is rebuilt lazily on the other side."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from veeduria.text import fold

# Names this short (or written in capitals) only match with the same capitalisation:
# "APN" the regulator, not "apn" in a URL; "Honor" the brand, not "honor" the word.
_CASE_SENSITIVE_LEN = 6


@dataclass(frozen=True)
class EntityInfo:
    id: str
    name: str
    schema: str
    sector: str | None = None
    country: str | None = None
    foreign: bool = False


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    entity_id: str
    candidates: tuple[str, ...] = ()  # other entities sharing this name
    new: bool = False  # found from context, not in the store
    # Set on a pronoun or description standing for an earlier mention ("It", "La empresa"):
    # text and entity are the earlier mention's, these are its offsets.
    antecedent: tuple[int, int] | None = None


def strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    return fold(text)


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of `words` (already lower-cased), longest first, shaped as a
    trie so the engine never retries shared prefixes."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            atom = r"\s+" if ch == " " else re.escape(ch)
            branches.append(atom + emit(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            body = f"(?:{body})?"
        return body

    return emit(trie)


_MAX_RECENT = 2000


def _compile(surfaces: Iterable[str]) -> re.Pattern[str]:
    lowered = {s.lower() for s in surfaces}
    body = _trie_regex(sorted(lowered)) if lowered else r"(?!x)x"
    # Boundaries: no word character on either side; "PRC-2188" is a radio model, not the PRC.
    return re.compile(rf"(?<!\w)(?:{body})(?!\w|-\d)", re.IGNORECASE)


class Gazetteer:
    """Known names -> entities. `find(text)` returns non-overlapping mentions, longest first."""

    def __init__(self, entities: Iterable[EntityInfo] = (),
                 names: Iterable[tuple[str, str]] = (), states: bool = True,
                 world: bool = False) -> None:
        self.entities: dict[str, EntityInfo] = {}
        # Sovereign states (states.yaml) whose names the store does not know join the big
        # regex when it is compiled: candidate entities, listed here by id.
        self.with_states = states
        self.state_ids: set[str] = set()
        # Likewise the world's PRC state-linked actors and other known parties
        # (veeduria/extract/world/actors.csv), listed by id in world_ids.
        self.with_world = world
        self.world_ids: set[str] = set()
        self._by_key: dict[str, list[str]] = {}
        self._surfaces: set[str] = set()
        self._regex: re.Pattern[str] | None = None
        # Names added after the big regex was compiled (an ingest batch learning each
        # document's new names) go to a small second regex instead of recompiling the big one.
        self._recent: set[str] = set()
        self._recent_regex: re.Pattern[str] | None = None
        self._upper_cache: set[str] | None = None
        for info in entities:
            self.entities[info.id] = info
            self.add_name(info.name, info.id)
        for name, ent_id in names:
            self.add_name(name, ent_id)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_regex"] = None
        state["_recent_regex"] = None
        state["_recent"] = set()
        state["_upper_cache"] = None
        return state

    def __len__(self) -> int:
        return len(self._by_key)

    def add_entity(self, info: EntityInfo, aliases: Iterable[str] = ()) -> None:
        self.entities[info.id] = info
        for name in (info.name, *aliases):
            self.add_name(name, info.id)

    def add_name(self, name: str, entity_id: str) -> None:
        name = " ".join(name.split())
        key = _key(name)
        if len(key) < 2 or not any(ch.isalpha() for ch in name):
            return
        ids = self._by_key.setdefault(key, [])
        if entity_id not in ids:
            ids.append(entity_id)
        for variant in {name, strip_accents(name)}:
            if variant not in self._surfaces:
                self._surfaces.add(variant)
                self._upper_cache = None
                if self._regex is not None and len(self._recent) < _MAX_RECENT:
                    self._recent.add(variant)
                    self._recent_regex = None
                else:
                    self._regex = None

    def ids_for(self, name: str) -> list[str]:
        return list(self._by_key.get(_key(name), ()))

    @property
    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            if self.with_states:
                self._add_states()
            if self.with_world:
                self._add_world()
            self._regex = _compile(self._surfaces)
            self._recent = set()
            self._recent_regex = None
        return self._regex

    def _add_states(self) -> None:
        from veeduria.extract.states import state_entity, states

        known = states()
        owners: dict[str, str | None] = {}
        # Plain names ("Serbia", "EE.UU.") then government phrases ("the Serbian government",
        # "gobierno serbio"). A name the store knows is the store's. When the store knows the
        # state itself (a public body of that country named "Peru"), its government phrases
        # are that entity's too, and its other plain names are left to the store (they would
        # bypass keep_state's checks: "US $4.8 million"); otherwise they stand for a
        # candidate state entity.
        government = [(s, c, True) for s, c in known.government.items()]
        for surface, code, is_government in [*((s, c, False) for s, c in known.by_surface.items()),
                                             *government]:
            if code not in owners:
                owners[code] = self._store_state(code)
            owner = owners[code]
            ids = self._by_key.get(_key(surface))
            if ids and state_entity(code).id not in ids and (owner is None or owner not in ids):
                continue  # another entity of the store answers to this name
            if owner is not None and not is_government:
                continue
            if owner is None:
                info = state_entity(code)
                self.entities.setdefault(info.id, info)
                self.state_ids.add(info.id)
                owner = info.id
            self.add_name(surface, owner)

    def _store_state(self, code: str) -> str | None:
        from veeduria.extract.states import state_entity, states

        candidate = state_entity(code).id
        for name in (states().display[code], *states().spanish.get(code, ())):
            for ent_id in self._by_key.get(_key(name)) or ():
                info = self.entities.get(ent_id)
                if ent_id != candidate and info is not None and info.schema == "PublicBody" \
                        and (info.country or code).lower() == code:
                    return ent_id
        return None

    def _add_world(self) -> None:
        from veeduria.extract.world import world_entities

        for info, aliases, _meta in world_entities():
            for surface in (info.name, *aliases):
                ids = self._by_key.get(_key(surface))
                if ids and info.id not in ids:
                    continue  # the store's own entity (or an earlier world entity) wins
                self.entities.setdefault(info.id, info)
                self.world_ids.add(info.id)
                self.add_name(surface, info.id)

    def _case_ok(self, found: str) -> bool:
        if len(found) >= _CASE_SENSITIVE_LEN and not found.isupper():
            return True
        found = " ".join(found.split())
        if found in self._surfaces:
            return True
        # "COSCO" for the alias "Cosco": capitals are an acceptable way to write a name.
        return found.isupper() and len(found) >= 4 and found in self._upper

    @property
    def _upper(self) -> set[str]:
        if self._upper_cache is None:
            self._upper_cache = {s.upper() for s in self._surfaces}
        return self._upper_cache

    def _matches(self, text: str) -> list[re.Match[str]]:
        found = list(self.regex.finditer(text))
        if not self._recent:
            return found
        if self._recent_regex is None:
            self._recent_regex = _compile(self._recent)
        extra = list(self._recent_regex.finditer(text))
        if not extra:
            return found
        # Longest match first where the two regexes overlap, as one regex would choose.
        merged = sorted(found + extra, key=lambda m: (m.start(), -m.end()))
        out: list[re.Match[str]] = []
        for m in merged:
            if out and m.start() < out[-1].end():
                continue
            out.append(m)
        return out

    def find(self, text: str) -> list[Mention]:
        mentions = []
        for m in self._matches(text):
            found = m.group()
            if not self._case_ok(found):
                continue
            ids = self._by_key.get(_key(found))
            if not ids:
                continue
            end = self._overlapping_end(text, m, ids[0])
            if end != m.end():
                found = text[m.start():end]
            mentions.append(Mention(m.start(), end, found, ids[0], tuple(ids[1:])))
        return mentions

    def _overlapping_end(self, text: str, m: re.Match[str], entity_id: str) -> int:
        """Where a mention ends once an overlapping alias of the same entity is joined:
        "President Xi Jinping" = "President Xi" + "Xi Jinping"."""
        end = m.end()
        if end + 1 >= len(text) or text[end] != " " or not text[end + 1].isupper():
            return end
        last = m.group().rfind(" ")
        if last < 0:
            return end
        longer = self.regex.match(text, m.start() + last + 1)
        if longer is None or longer.end() <= end:
            return end
        ids = self._by_key.get(_key(longer.group()))
        return longer.end() if ids and ids[0] == entity_id else end
