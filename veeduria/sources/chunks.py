"""Extraction of a long text in bounded pieces, so that memory does not grow with the file.

The text is cut on paragraph boundaries (else line, sentence or word boundaries) into
pieces of at most CHUNK_CHARS characters; veeduria.extract's public `extract` runs on each
piece and the offsets it reports are shifted back into the whole text. A sentence never
spans two pieces (pieces end at a paragraph or sentence end), so each claim is found in
its own piece as it would be in the whole text. A name first seen in one piece is new in
the next one too, as it is in a single pass: the new entities are merged by id.

Candidates per document are capped at MAX_CANDIDATES: past that, a document is a book or
a dump, not something a reviewer goes through claim by claim; the result says so."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from veeduria.extract import DocMeta, Extraction, Gazetteer, extract
from veeduria.extract.engine import MAX_MENTIONS

CHUNK_CHARS = 100_000
CONTEXT_CHARS = 20_000  # read again before each piece (see extract_chunked)
MAX_CANDIDATES = 5_000

_BOUNDARIES = (re.compile(r"\n[ \t]*\n"), re.compile(r"\n"), re.compile(r"[.!?。]\s"), re.compile(r"\s"))


def count_words(text: str) -> int:
    """Words in `text`, without building a list of them (a big file has millions)."""
    return sum(1 for _ in _WORD.finditer(text))


_WORD = re.compile(r"\S+")


def chunk_spans(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, int]]:
    """(start, end) pieces covering `text`, each at most `size` characters, cut at the last
    paragraph break before the limit (else line break, sentence end, space, or the limit)."""
    start, n = 0, len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            window_start = start + size // 2  # never cut a piece to less than half
            for pattern in _BOUNDARIES:
                last = None
                for m in pattern.finditer(text, window_start, end):
                    last = m
                if last is not None:
                    end = last.end()
                    break
        yield start, end
        start = end


def _shift(value: Any, delta: int, key: str = "") -> Any:
    """Offsets inside claim metadata ("offsets", "date_offsets", ...), moved by `delta`."""
    if isinstance(value, dict):
        return {k: _shift(v, delta, k) for k, v in value.items()}
    if isinstance(value, list | tuple) and key.endswith("offsets") and len(value) == 2 \
            and all(isinstance(x, int) for x in value):
        return type(value)(x + delta for x in value)
    if isinstance(value, list):
        return [_shift(v, delta, key) for v in value]
    return value


def _context_start(text: str, start: int, context: int) -> int:
    if start == 0 or context <= 0:
        return start
    lo = max(0, start - context)
    m = _BOUNDARIES[0].search(text, lo, start)
    return m.end() if m else lo


def extract_chunked(text: str, meta: DocMeta, gazetteer: Gazetteer, *, chunk_chars: int = CHUNK_CHARS,
                    context: int = CONTEXT_CHARS,
                    max_candidates: int = MAX_CANDIDATES) -> tuple[Extraction, bool]:
    """(extraction of the whole text, whether the candidate cap cut it short). A text that
    fits one piece is extracted in one call, exactly as before."""
    if len(text) <= chunk_chars:
        found = extract(text, meta, gazetteer)
        capped = len(found.claims) > max_candidates
        if capped:
            found.claims = found.claims[:max_candidates]
        return found, capped
    out = Extraction()
    new_ids: set[str] = set()
    for start, end in chunk_spans(text, chunk_chars):
        # Each piece is read with up to `context` characters before it (cut at a paragraph),
        # so names, acronyms and references introduced just before are understood; only the
        # claims whose quote starts inside the piece itself are kept.
        begin = _context_start(text, start, context)
        pages = [p - begin for p in meta.pages] if meta.pages else None
        found = extract(text[begin:end], dataclasses.replace(meta, pages=pages), gazetteer)
        for rec in found.new_entities:
            if rec.id not in new_ids:
                new_ids.add(rec.id)
                out.new_entities.append(rec)
        room = MAX_MENTIONS - len(out.mention_table)
        out.mention_table.extend([[row[0] + begin, row[1] + begin, *row[2:]]
                                  for row in found.mention_table if row[0] + begin >= start][:max(0, room)])
        for claim in found.claims:
            if claim.offsets and claim.offsets[0] + begin < start:
                continue  # in the context: the previous piece has it
            if begin:
                if claim.offsets:
                    claim.offsets = (claim.offsets[0] + begin, claim.offsets[1] + begin)
                if claim.meta:
                    claim.meta = _shift(claim.meta, begin)
            out.claims.append(claim)
            if len(out.claims) >= max_candidates:
                return out, True
        out.words += found.words
    return out, False
