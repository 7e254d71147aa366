"""Numbers, money, percentages and dates written the way each language writes them.

English: US$2.6 billion, 34%, 1,250, November 2024.
Spanish: US$ 2 600 millones, 34 %, 1250 → "1 250", noviembre de 2024 (thousands
separated by a no-break space, decimal comma, amounts in *millones*)."""

from __future__ import annotations

import math
from functools import cache

LANGS = ("en", "es")
NBSP = "\u00a0"

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
}

# How a currency is written before the figure; English glues US$ to the number.
CURRENCY_SYMBOLS = {"USD": "US$", "EUR": "€", "CNY": "CN¥", "PEN": "S/", "GBP": "£", "BRL": "R$"}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r} (expected one of {', '.join(LANGS)})")
    return lang


def _trim(digits: str, dec: str) -> str:
    """Drop trailing zeros of a decimal part: 2.50 -> 2.5, 3.00 -> 3."""
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return digits.replace(".", dec)


def _group(int_part: str, sep: str) -> str:
    out = []
    while len(int_part) > 3:
        out.insert(0, int_part[-3:])
        int_part = int_part[:-3]
    out.insert(0, int_part)
    return sep.join(out)


def format_number(value: float, lang: str = "en", decimals: int = 2) -> str:
    """1234567.5 -> '1,234,567.5' (en) / '1 234 567,5' (es). At most `decimals` places."""
    check_lang(lang)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    sign = "-" if value < 0 else ""
    text = f"{abs(value):.{decimals}f}"
    int_part, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if lang == "en":
        body = _group(int_part, ",") + (f".{frac}" if frac else "")
    else:
        body = _group(int_part, NBSP) + (f",{frac}" if frac else "")
    return sign + body


def _sig(value: float, digits: int = 3) -> float:
    """Round to `digits` significant figures (2.5678 -> 2.57)."""
    if value == 0:
        return 0.0
    return round(value, -int(math.floor(math.log10(abs(value)))) + digits - 1)


def _scaled_en(value: float) -> str:
    for div, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= div:
            return f"{format_number(_sig(value / div), 'en')} {word}"
    return format_number(round(value), "en", 0)


def _scaled_es(value: float) -> str:
    # Spanish counts in millones up to a billón (10^12): 2 600 millones, not "2,6 mil millones".
    if abs(value) >= 1e12:
        n = _sig(value / 1e12)
        return f"{format_number(n, 'es')} {'billón' if n == 1 else 'billones'}"
    if abs(value) >= 1e6:
        n = _sig(value / 1e6, 4 if abs(value) >= 1e9 else 3)
        return f"{format_number(n, 'es')} {'millón' if n == 1 else 'millones'}"
    return format_number(round(value), "es", 0)


def format_count(value: float, lang: str = "en") -> str:
    """A count: 89 -> '89', 1250 -> '1,250' / '1 250', 3e6 -> '3 million' / '3 millones'."""
    check_lang(lang)
    if abs(value) >= 1e6:
        return _scaled_en(value) if lang == "en" else _scaled_es(value)
    return format_number(value, lang)


def format_money(value: float | None, currency: str | None = "USD", lang: str = "en") -> str:
    """2.6e9 USD -> 'US$2.6 billion' (en) / 'US$ 2 600 millones' (es)."""
    check_lang(lang)
    if value is None:
        return ""
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    figure = _scaled_en(value) if lang == "en" else _scaled_es(value)
    if symbol is None:
        return f"{code} {figure}".strip() if lang == "en" else f"{figure} {code}".strip()
    if lang == "en" and code == "USD":
        return f"{symbol}{figure}"
    return f"{symbol}{NBSP}{figure}"


def format_percent(share: float | None, lang: str = "en") -> str:
    """A fraction: 0.34 -> '34%' (en) / '34 %' (es)."""
    check_lang(lang)
    if share is None:
        return ""
    number = format_number(share * 100, lang, 1)
    return f"{number}%" if lang == "en" else f"{number}{NBSP}%"


def format_date(date: str | None, lang: str = "en") -> str:
    """A partial date (YYYY, YYYY-MM, YYYY-MM-DD): 'November 2024' / 'noviembre de 2024',
    '5 November 2024' / '5 de noviembre de 2024'. Text it cannot parse is returned as is."""
    check_lang(lang)
    if not date:
        return ""
    parts = str(date).strip()[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else None
        day = int(parts[2]) if len(parts) > 2 else None
    except ValueError:
        return str(date)
    if month is None or not 1 <= month <= 12:
        return str(year)
    name = MONTHS[lang][month - 1]
    if lang == "en":
        return f"{day} {name} {year}" if day else f"{name} {year}"
    return f"{day} de {name} de {year}" if day else f"{name} de {year}"


def format_when(date: str | None, lang: str = "en") -> str:
    """The date with its preposition: 'in November 2024', 'on 5 November 2024', 'en 2024',
    'el 5 de noviembre de 2024'."""
    text = format_date(date, lang)
    if not text:
        return ""
    has_day = str(date).count("-") == 2
    if lang == "en":
        return f"on {text}" if has_day else f"in {text}"
    return f"el {text}" if has_day else f"en {text}"


def join_names(names: list[str], lang: str = "en") -> str:
    """['A', 'B', 'C'] -> 'A, B and C' / 'A, B y C'."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    word = "and" if lang == "en" else ("e" if names[-1][:1].lower() == "i" else "y")
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


@cache
def country_name(code: str | None, lang: str = "en") -> str:
    """ISO alpha-2 -> 'Peru' / 'Perú' (from Babel's CLDR data); the code when unknown."""
    if not code:
        return ""
    try:
        from babel import Locale

        return Locale(lang).territories.get(code.upper(), code.upper())
    except Exception:  # noqa: BLE001 - a missing locale must not stop a report
        return code.upper()


def format_compact_money(value: float, lang: str = "en") -> str:
    """Short amounts for chart labels: 2.6e9 -> '2.6bn' (en) / '2 600 M' (es)."""
    check_lang(lang)
    if lang == "en":
        for div, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(value) >= div:
                return f"{format_number(_sig(value / div, 2 if value < 10 * div else 3), 'en', 1)}{suffix}"
        return format_number(round(value), "en", 0)
    if abs(value) >= 1e6:
        return f"{format_number(_sig(value / 1e6, 4 if value >= 1e9 else 2), 'es', 1)}{NBSP}M"
    return format_number(round(value), "es", 0)
