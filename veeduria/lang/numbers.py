"""Numbers, money, percentages, dates and lists as English and Spanish write them, from
Babel's CLDR data (grouping, decimal marks, month names, currency symbols, list words).

English: US$2.6 billion, 34%, 1,250, November 2024, "A, B, and C".
Spanish: US$ 2.600 millones, 34 %, 1.250, noviembre de 2024, "A, B y C". Spanish amounts
count in *millones* up to a *billón* (10^12), as the Peruvian press writes them."""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_compact_decimal, format_decimal, get_currency_symbol

LANGS = ("en", "es")
NBSP = "\u00a0"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r} (expected one of {', '.join(LANGS)})")
    return lang


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number(value: float | None, lang: str = "en", decimals: int = 2) -> str:
    """1234567.5 -> '1,234,567.5' / '1.234.567,5'; at most `decimals` places, none trailing."""
    check_lang(lang)
    if not _finite(value):
        return ""
    return format_decimal(round(float(value), decimals), format=f"#,##0.{'#' * decimals}" if decimals else "#,##0",
                          locale=lang)


def _sig(value: float, digits: int = 3) -> float:
    """Round to `digits` significant figures (2.5678 -> 2.57)."""
    if value == 0:
        return 0.0
    return round(value, -int(math.floor(math.log10(abs(value)))) + digits - 1)


def _scaled(value: float, lang: str) -> tuple[str, str]:
    """(figure, scale word) for large values: ('2.6', 'billion') / ('2.600', 'millones')."""
    if lang == "en":
        if abs(value) < 1e6:
            return number(round(value), lang, 0), ""
        text = format_compact_decimal(_sig(value), format_type="long", locale="en", fraction_digits=2)
        figure, _, word = text.partition(" ")
        return figure, word
    if abs(value) >= 1e12:
        n = _sig(value / 1e12)
        return number(n, lang), "billón" if n == 1 else "billones"
    if abs(value) >= 1e6:
        n = _sig(value / 1e6, 4 if abs(value) >= 1e9 else 3)
        return number(n, lang), "millón" if n == 1 else "millones"
    return number(round(value), lang, 0), ""


def count(value: float | None, lang: str = "en") -> str:
    """A count: 89 -> '89', 1250 -> '1,250' / '1.250', 3e6 -> '3 million' / '3 millones'."""
    check_lang(lang)
    if not _finite(value):
        return ""
    if abs(value) >= 1e6:
        figure, word = _scaled(float(value), lang)
        return f"{figure} {word}"
    return number(value, lang)


def quantity(value: float | None, unit_text: str, lang: str = "en") -> str:
    """A count with its unit: '3 million TEU a year' / '3 millones de TEU al año'."""
    figure = count(value, lang)
    if not figure or not unit_text:
        return figure
    # Spanish puts "de" between a scale noun and what it counts: "3 millones de TEU".
    if lang == "es" and figure.endswith(("millón", "millones", "billón", "billones")):
        return f"{figure} de {unit_text}"
    return f"{figure} {unit_text}"


def currency_symbol(code: str, lang: str) -> str | None:
    """The symbol CLDR gives for `code` in `lang`; a bare '$' is written US$ (the reports
    concern several dollar countries). None when CLDR only knows the code."""
    symbol = get_currency_symbol(code, locale=lang)
    if code == "USD":
        return "US$"
    return None if symbol == code else symbol


def money(value: float | None, currency: str | None = "USD", lang: str = "en") -> str:
    """2.6e9 USD -> 'US$2.6 billion' (en) / 'US$ 2.600 millones' (es); '' when missing."""
    check_lang(lang)
    if not _finite(value):
        return ""
    code = (currency or "USD").upper()
    figure, word = _scaled(float(value), lang)
    amount = f"{figure} {word}".strip()
    symbol = currency_symbol(code, lang)
    if symbol is None:
        return f"{code} {amount}" if lang == "en" else f"{amount} {code}"
    # English glues a symbol to the figure (US$2.6); Spanish separates it (US$ 2,6).
    glue = "" if lang == "en" and not symbol[-1].isalpha() else NBSP
    return f"{symbol}{glue}{amount}"


def compact_money(value: float, lang: str = "en") -> str:
    """Short amounts for chart labels: 2.6e9 -> '2.6B' (en) / '2600 M' (es)."""
    check_lang(lang)
    if not _finite(value):
        return ""
    return format_compact_decimal(_sig(value, 2 if abs(value) < 1e10 else 3), format_type="short",
                                  locale=lang, fraction_digits=1).replace(" ", NBSP)


def percent(share: float | None, lang: str = "en") -> str:
    """A fraction: 0.34 -> '34%' (en) / '34 %' (es)."""
    check_lang(lang)
    if not _finite(share):
        return ""
    figure = number(float(share) * 100, lang, 1)
    return f"{figure}%" if lang == "en" else f"{figure}{NBSP}%"


def _parts(date: str) -> tuple[int, int | None, int | None] | None:
    bits = str(date).strip()[:10].split("-")
    try:
        year = int(bits[0])
        month = int(bits[1]) if len(bits) > 1 else None
        day = int(bits[2]) if len(bits) > 2 else None
        if month is not None and not 1 <= month <= 12:
            return year, None, None
        if day is not None:
            dt.date(year, month or 1, day)
    except ValueError:
        return None
    return year, month, day


def date(value: str | None, lang: str = "en") -> str:
    """A partial date (YYYY, YYYY-MM, YYYY-MM-DD): 'November 2024' / 'noviembre de 2024',
    'November 5, 2024' / '5 de noviembre de 2024'. Text it cannot parse is returned as is."""
    check_lang(lang)
    if not value:
        return ""
    parts = _parts(value)
    if parts is None:
        return str(value)
    year, month, day = parts
    if month is None:
        return str(year)
    if day is None:
        return format_skeleton("yMMMM", dt.date(year, month, 1), locale=lang)
    return _babel_date(dt.date(year, month, day), "long", locale=lang)


def when(value: str | None, lang: str = "en") -> str:
    """The date with its preposition: 'in November 2024', 'on November 5, 2024', 'en 2024',
    'el 5 de noviembre de 2024'."""
    text = date(value, lang)
    if not text:
        return ""
    parts = _parts(value or "")
    has_day = parts is not None and parts[2] is not None
    if lang == "en":
        return f"on {text}" if has_day else f"in {text}"
    return f"el {text}" if has_day else f"en {text}"


def join(items: object, lang: str = "en") -> str:
    """Distinct non-empty items in order: 'A, B, and C' / 'A, B y C' (Spanish 'e' before an
    i- sound: 'Perú e Indonesia')."""
    check_lang(lang)
    seen = list(dict.fromkeys(str(i) for i in (items or ()) if i))  # type: ignore[union-attr]
    if len(seen) <= 1:
        return seen[0] if seen else ""
    text = format_list(seen, locale=lang)
    if lang == "es" and seen[-1][:1].lower() in ("i", "í") and seen[-1][:2].lower() not in ("ia", "ie", "io"):
        text = text[: -len(seen[-1]) - 3] + " e " + seen[-1]
    return text


@cache
def country_name(code: str | None, lang: str = "en") -> str:
    """ISO alpha-2 -> 'Peru' / 'Perú' (CLDR); the code when unknown."""
    if not code:
        return ""
    return Locale(lang).territories.get(code.upper(), code.upper())


@cache
def _country_lookup() -> dict[str, str]:
    """English country names (folded) -> ISO code, to translate free-text places."""
    out = {}
    for code, name in Locale("en").territories.items():
        if code.isalpha() and len(code) == 2:
            out[name.casefold()] = code
    return out


def place(text: str | None, lang: str = "en") -> str:
    """A free-text place from a claim; a bare country name is written in `lang`
    ('Peru' -> 'Perú')."""
    if not text:
        return ""
    code = _country_lookup().get(text.strip().casefold())
    return country_name(code, lang) if code else text
