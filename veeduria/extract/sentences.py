"""Sentence boundaries that survive abbreviations ("U.S.", "S.A.", "Dr.") and page breaks
in the middle of a sentence."""

from __future__ import annotations

import re

_BREAK = re.compile(r"(?<=[.!?])[\"'”’)\]]*(?:[ \t]+|[ \t]*\n(?![ \t]*\n)[ \t]*)|\n[ \t]*\n\s*")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "sr", "sra", "srta", "jr", "gen", "gral", "col", "lt", "capt",
    "u.s", "s.a", "s.a.c", "s.a.a", "co", "inc", "ltd", "corp", "no", "n.º", "nº", "vs", "etc",
    "approx", "dept", "av", "ing", "lic", "prof", "sta", "e.g", "i.e", "p", "pp", "art",
}


def sentence_spans(text: str, max_len: int = 2000) -> list[tuple[int, int]]:
    """(start, end) of each sentence. Very long runs without punctuation are cut every
    `max_len` characters so hostile input cannot make one giant sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for m in _BREAK.finditer(text):
        end = m.start()
        nxt = m.end()
        if nxt >= n:
            break
        follower = text[nxt]
        if "\n" in m.group() and m.group().count("\n") >= 2 and text[end - 1:end] not in ".!?;:":
            # A blank line inside a sentence (page break): keep going if it continues in lower case.
            if follower.islower():
                continue
        else:
            if follower.islower() or follower in ",;:":
                continue
            word = text[max(start, end - 12):end - 1].rsplit(None, 1)
            last = word[-1].lower() if word else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
        _emit(spans, text, start, end, max_len)
        start = nxt
    _emit(spans, text, start, n, max_len)
    return spans


def _emit(spans: list[tuple[int, int]], text: str, start: int, end: int, max_len: int) -> None:
    while end - start > max_len:
        cut = text.rfind(" ", start + max_len // 2, start + max_len)
        cut = cut if cut > start else start + max_len
        spans.append((start, cut))
        start = cut
    if text[start:end].strip():
        spans.append((start, end))
