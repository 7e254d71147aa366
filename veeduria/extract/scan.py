"""Fast scanning: instead of trying a big regex at every character, try it only where a
word that can begin a match starts. Which words can begin a match is decided once per
distinct word (cached), so a long text costs one tokenising pass plus a few anchored
matches."""

from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN = re.compile(r"\w[\w-]*")
_SPLIT_AT = re.compile(r"\\s[+*]?|\[ \\t\]\+|\[\\s-\]\+|-")


def tokens(text: str) -> list[tuple[int, str]]:
    """(start, word) for every word; hyphenated words stay whole ("PRC-based")."""
    return [(m.start(), m.group()) for m in TOKEN.finditer(text)]


def first_word(fragment: str) -> str:
    """The part of a regex fragment before its first top-level space (or hyphen), i.e. what
    its first word must look like."""
    depth = 0
    i = 0
    while i < len(fragment):
        ch = fragment[i]
        if ch == "\\":
            if depth == 0 and fragment[i:i + 2] == r"\s":
                return fragment[:i] or fragment
            i += 2
            continue
        if ch in "([":
            if ch == "[" and depth == 0 and fragment[i:i + 6] in (r"[ \t]+", r"[\s-]+"):
                return fragment[:i] or fragment
            depth += 1
        elif ch in ")]":
            depth -= 1
        i += 1
    return fragment


class Scanner:
    """A compiled alternation plus the words that can begin one of its matches."""

    def __init__(self, full: re.Pattern[str], fragments: Iterable[str], flags: int = re.IGNORECASE) -> None:
        self.full = full
        firsts = sorted({first_word(f).removesuffix(r"\.").removesuffix(",?") for f in fragments}, key=len, reverse=True)
        self.first = re.compile("|".join(f"(?:{w})" for w in firsts), flags)
        self._cache: dict[str, bool] = {}

    def can_start(self, word: str) -> bool:
        hit = self._cache.get(word)
        if hit is None:
            hit = self._cache[word] = self.first.fullmatch(word) is not None
        return hit

    def scan(self, text: str, toks: list[tuple[int, str]]) -> list[re.Match[str]]:
        out: list[re.Match[str]] = []
        last_end = -1
        # can_start inlined: this loop runs once per word of the text.
        cache = self._cache
        first = self.first.fullmatch
        match = self.full.match
        for start, word in toks:
            if start < last_end:
                continue
            hit = cache.get(word)
            if hit is None:
                hit = cache[word] = first(word) is not None
            if not hit:
                continue
            m = match(text, start)
            if m is not None and m.end() > m.start():
                out.append(m)
                last_end = m.end()
        return out
