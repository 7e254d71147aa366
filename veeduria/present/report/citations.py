"""Numbered notes: each cited claim gets one number, in order of first citation, and its
note gives the source (title, author, publisher, date, address or the reason there is
none, retrieval date, edition, and for a dataset the row) and the exact quote."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from veeduria.lang import date as format_date
from veeduria.store.models import Claim, Source


@dataclass
class Note:
    number: int
    claim_id: str
    quote: str
    source_id: str
    title: str
    author: str | None
    publisher: str | None
    published: str  # formatted for the language, '' when unknown
    url: str | None
    kind: str
    no_url_reason: str | None = None
    publisher_url: str | None = None
    retrieved: str = ""   # formatted date of the snapshot used
    edition: str | None = None
    row: int | None = None  # data row of a dataset (header excluded), 1-based
    record: str | None = None  # a dataset row, read as a record (edition, row, fields, address)


def _source_fields(src: Source | None, source_id: str, lang: str) -> dict:
    meta = (src.meta or {}) if src is not None else {}
    return dict(
        source_id=source_id,
        title=(src.title if src is not None and src.title else source_id),
        author=src.author if src is not None else None,
        publisher=src.publisher if src is not None else None,
        published=format_date(src.published, lang) if src is not None else "",
        url=src.url if src is not None else None,
        kind=src.kind if src is not None else "document",
        no_url_reason=meta.get("no_url_reason"), publisher_url=meta.get("publisher_url"),
        retrieved=format_date(meta.get("retrieved"), lang), edition=meta.get("edition"),
    )


class Citations:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._numbers: dict[str, int] = {}
        self.notes: list[Note] = []
        self._sources: dict[str, Note] = {}
        self._lines: dict[str, list[int]] = {}

    def _row(self, claim: Claim) -> int | None:
        """The data row a dataset claim's quote sits on (line 1 is the header)."""
        src = claim.source
        if src is None or src.kind != "dataset" or claim.offset_start is None:
            return None
        if src.id not in self._lines:
            text = src.text or ""
            self._lines[src.id] = [i for i, ch in enumerate(text) if ch == "\n"]
        return bisect_right(self._lines[src.id], claim.offset_start) or None

    def cite(self, claim: Claim) -> int:
        number = self._numbers.get(claim.id)
        if number is None:
            number = len(self.notes) + 1
            self._numbers[claim.id] = number
            note = Note(number=number, claim_id=claim.id, quote=claim.quote, record=_record(claim),
                        row=self._row(claim), **_source_fields(claim.source, claim.source_id, self.lang))
            self.notes.append(note)
            self._sources.setdefault(claim.source_id, note)
        return number

    def cite_source(self, claim: Claim) -> Note:
        """The bibliography entry of a claim's source (charts cite sources, not claims)."""
        if claim.source_id not in self._sources:
            self._sources[claim.source_id] = Note(number=0, claim_id="", quote="",
                                                  **_source_fields(claim.source, claim.source_id, self.lang))
        return self._sources[claim.source_id]

    def sources(self) -> list[Note]:
        """One entry per cited source, in order of first citation (for the bibliography)."""
        return list(self._sources.values())


def _record(claim: Claim) -> str | None:
    try:
        from veeduria.importers.common import claim_record, record_text
    except ModuleNotFoundError:  # the importers are not installed
        return None
    src = claim.source
    if src is None or src.kind != "dataset":
        return None
    rec = claim_record(claim.meta, src.kind, src.title, src.filename, claim.quote)
    return record_text(rec) if rec else None
