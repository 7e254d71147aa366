"""Dates in English and Spanish, resolved against the document's publication date:
"November 2024", "13 de setiembre", "September 1-5, 2025", "last year", "el año pasado"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from veeduria.extract.scan import tokens

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_RELATIVE = {
    "last year": -1, "the previous year": -1, "the year before": -1, "this year": 0,
    "next year": 1, "el año pasado": -1, "el pasado año": -1, "el año anterior": -1,
    "este año": 0, "el presente año": 0, "el próximo año": 1, "el año próximo": 1,
    "el proximo año": 1, "el año que viene": 1,
}
_RELATIVE_RE = "|".join(sorted((re.escape(k).replace(r"\ ", r"\s+") for k in _RELATIVE), key=len, reverse=True))

DATE_RE = re.compile(
    r"(?:"
    # 2024-11-14
    rf"\b(?P<iso>{_YEAR})-(?P<iso_m>[01]\d)(?:-(?P<iso_d>[0-3]\d))?\b"
    # 13 de setiembre (de 2024) / 13 November 2024
    rf"|\b(?P<d1>[0-3]?\d)(?:\s+de)?\s+(?P<m1>{_MONTH})\b\.?(?:,?\s+(?:de\s+|del\s+)?(?P<y1>{_YEAR})\b)?"
    # November 14, 2024 / September 1-5, 2025 / November 2024 / noviembre de 2024
    rf"|\b(?P<m2>{_MONTH})\b\.?\s+(?:(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?(?:\s?[-–]\s?[0-3]?\d)?,?\s+)?(?:de\s+|del\s+)?(?P<y2>{_YEAR})\b"
    # in September / as of September / desde marzo (month of an unstated year)
    rf"|\b(?:in|as\s+of|since|by|until|through|early|late|mid|en|desde|hasta|a\s+partir\s+de|a\s+fines\s+de|a\s+inicios\s+de)\s+(?P<m3>{_MONTH})\b(?!\s+\d)"
    # last year / el año pasado
    rf"|\b(?P<rel>{_RELATIVE_RE})\b"
    # a bare year: in 2024, since 1993, 2009 FTA
    rf"|(?<![\w$€£¥/.,-])(?P<y4>{_YEAR})(?![\w%.,]?\d)(?!\s?%)"
    r")",
    re.IGNORECASE,
)
_NUMBER_SIGN = re.compile(r"(?:\b(?:No|NO|Nº|N°|Nr)\.?:?|#)[ \t]*$")
# Lower-case English month names that are ordinary words.
_AMBIGUOUS = {"may", "mar", "jan", "sep", "oct", "dec", "nov", "jun", "jul", "aug", "feb", "apr"}


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    value: str  # YYYY, YYYY-MM or YYYY-MM-DD
    relative: bool = False  # resolved against the publication date


def parse_published(published: str | None) -> tuple[int, int | None] | None:
    m = re.match(r"(\d{4})(?:-(\d{2}))?", published or "")
    return (int(m.group(1)), int(m.group(2)) if m.group(2) else None) if m else None


def _month_ok(raw: str) -> bool:
    key = raw.lower().rstrip(".")
    return not (key in _AMBIGUOUS and raw[0].islower()) and not (key == "may" and raw == "May" and False)


_STARTERS = set(MONTHS) | {
    "in", "as", "since", "by", "until", "through", "early", "late", "mid", "en", "desde", "hasta",
    "a", "last", "the", "this", "next", "el", "este",
}


_WORD_OK: dict[str, bool] = {}  # word -> may start a date (cached: this runs once per word)


def _candidates(text: str, toks: list[tuple[int, str]]) -> Iterator[re.Match[str]]:
    last = -1
    ok = _WORD_OK
    for pos, word in toks:
        if pos < last:
            continue
        hit = ok.get(word)
        if hit is None:
            hit = word[0].isdigit() or word.lower() in _STARTERS
            if len(ok) < 200_000:
                ok[word] = hit
        if not hit:
            continue
        m = DATE_RE.match(text, pos)
        if m is not None:
            last = m.end()
            yield m


def find_dates(text: str, published: str | None = None,
               toks: list[tuple[int, str]] | None = None) -> list[DateMention]:
    pub = parse_published(published)
    out: list[DateMention] = []
    for m in _candidates(text, toks if toks is not None else tokens(text)):
        g = m.groupdict()
        try:
            if g["iso"]:
                value = g["iso"] + "-" + g["iso_m"] + (("-" + g["iso_d"]) if g["iso_d"] else "")
                out.append(DateMention(m.start(), m.end(), value))
            elif g["m1"]:
                if not _month_ok(g["m1"]):
                    continue
                month, day = MONTHS[g["m1"].lower()], int(g["d1"])
                if not 1 <= day <= 31:
                    continue
                year, relative = _year_for(g["y1"], month, pub)
                if year is None:
                    continue
                out.append(DateMention(m.start(), m.end(), f"{year}-{month:02d}-{day:02d}", relative))
            elif g["m2"]:
                if not _month_ok(g["m2"]):
                    continue
                month = MONTHS[g["m2"].lower()]
                day = int(g["d2"]) if g["d2"] else None
                value = f"{g['y2']}-{month:02d}" + (f"-{day:02d}" if day and 1 <= day <= 31 else "")
                out.append(DateMention(m.start(), m.end(), value))
            elif g["m3"]:
                if not _month_ok(g["m3"]) or g["m3"][0].islower() and g["m3"].lower() in MONTHS and g["m3"].lower() in (
                        "march", "may"):
                    continue
                month = MONTHS[g["m3"].lower()]
                year, _ = _year_for(None, month, pub)
                if year is None:
                    continue
                out.append(DateMention(m.start("m3"), m.end(), f"{year}-{month:02d}", True))
            elif g["rel"]:
                if pub is None:
                    continue
                key = re.sub(r"\s+", " ", g["rel"].lower())
                out.append(DateMention(m.start(), m.end(), str(pub[0] + _RELATIVE[key]), True))
            elif g["y4"]:
                if _NUMBER_SIGN.search(text, max(0, m.start() - 6), m.start()):
                    continue  # "Agreement NO: 2012 A-075": a document number, not a year
                out.append(DateMention(m.start(), m.end(), g["y4"]))
        except (KeyError, ValueError):
            continue
    return out


def _year_for(raw_year: str | None, month: int, pub: tuple[int, int | None] | None) -> tuple[int | None, bool]:
    """The stated year, else the publication year (the year before when the month comes
    after the publication month: "in November" in a March report is last November)."""
    if raw_year:
        return int(raw_year), False
    if pub is None:
        return None, True
    year, pub_month = pub
    if pub_month is not None and month > pub_month:
        year -= 1
    return year, True
