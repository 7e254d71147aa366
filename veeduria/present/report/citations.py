"""Numbered notes: each cited claim gets one number, in order of first citation, and its
note gives the source (title, author, publisher, date, address) and the exact quote."""

from __future__ import annotations

from dataclasses import dataclass

from veeduria.present.report.i18n import format_date
from veeduria.store.models import Claim


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
    record: str | None = None  # a dataset row, read as a record (edition, row, fields, address)


class Citations:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._numbers: dict[str, int] = {}
        self.notes: list[Note] = []

    def cite(self, claim: Claim) -> int:
        number = self._numbers.get(claim.id)
        if number is None:
            number = len(self.notes) + 1
            self._numbers[claim.id] = number
            src = claim.source
            self.notes.append(Note(
                number=number, claim_id=claim.id, quote=claim.quote, source_id=claim.source_id,
                title=(src.title if src is not None and src.title else claim.source_id),
                author=src.author if src is not None else None,
                publisher=src.publisher if src is not None else None,
                published=format_date(src.published, self.lang) if src is not None else "",
                url=src.url if src is not None else None,
                kind=src.kind if src is not None else "document",
                record=_record(claim),
            ))
        return number

    def sources(self) -> list[Note]:
        """One entry per cited source, in order of first citation (for the bibliography)."""
        seen: dict[str, Note] = {}
        for note in self.notes:
            seen.setdefault(note.source_id, note)
        return list(seen.values())


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
