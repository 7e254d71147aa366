"""Figures in running text: money, shares and quantities with units (English and Spanish).

Each finder scans the whole text once with one compiled regex and returns Figure spans;
the caller assigns them to sentences."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from veeduria.extract.numbers import NUMBER, WORD_NUMBERS, parse_number
from veeduria.extract.scan import tokens


@dataclass(frozen=True)
class Figure:
    kind: str  # money | share | quantity
    start: int
    end: int
    value: float
    unit: str | None = None  # currency code for money, unit for quantities
    approx: str | None = None  # "almost", "more than", "up to"...


# --- money ----------------------------------------------------------------------------

_CURRENCY_PREFIX = {
    "us$": "USD", "u.s.$": "USD", "usd": "USD", "$": "USD", "us $": "USD", "$us": "USD",
    "s/": "PEN", "s/.": "PEN", "pen": "PEN", "rmb": "CNY", "cny": "CNY", "¥": "CNY",
    "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "r$": "BRL", "brl": "BRL",
    # Dollar signs of other countries: the letters decide ("JAM$300 million" is not USD).
    "jam$": "JMD", "ja$": "JMD", "j$": "JMD", "jmd": "JMD", "tt$": "TTD", "ttd": "TTD",
    "ec$": "XCD", "xcd": "XCD", "gy$": "GYD", "g$": "GYD", "gyd": "GYD", "bds$": "BBD", "bbd$": "BBD",
    "bbd": "BBD", "bz$": "BZD", "bzd": "BZD", "bsd": "BSD", "hk$": "HKD", "hkd": "HKD",
    "nz$": "NZD", "bs": "BOB", "bs.": "BOB", "u$s": "USD", "u$d": "USD", "c$": "CAD", "ca$": "CAD",
    "cad": "CAD", "a$": "AUD", "aud": "AUD", "s$": "SGD", "sgd": "SGD",
}
_CURRENCY_WORD = {
    "dollars": "USD", "dólares": "USD", "dolares": "USD", "usd": "USD", "us dollars": "USD",
    "soles": "PEN", "nuevos soles": "PEN", "pen": "PEN", "yuan": "CNY", "renminbi": "CNY",
    "rmb": "CNY", "cny": "CNY", "yuanes": "CNY", "bolivianos": "BOB", "euros": "EUR", "eur": "EUR", "reais": "BRL", "reales": "BRL",
    "pounds": "GBP", "libras": "GBP", "euro": "EUR",
    # Dollars of other countries, named after the word: never US dollars.
    "dólares canadienses": "CAD", "dolares canadienses": "CAD", "canadian dollars": "CAD",
    "dólares australianos": "AUD", "dolares australianos": "AUD", "australian dollars": "AUD",
    "singapore dollars": "SGD", "hong kong dollars": "HKD", "new taiwan dollars": "TWD",
    "dólares de hong kong": "HKD", "dólares de singapur": "SGD",
    # Other currencies news about any host country states.
    "kenyan shillings": "KES", "shillings": "KES", "chelines": "KES", "ringgit": "MYR",
    "rupiah": "IDR", "rupees": "INR", "rupias": "INR", "forints": "HUF", "forint": "HUF",
    "dinars": "RSD", "dinares": "RSD", "rand": "ZAR", "naira": "NGN", "kwanza": "AOA",
    "kwanzas": "AOA", "birr": "ETB", "francs": "XAF", "francos": "XAF", "yen": "JPY", "yenes": "JPY",
    "won": "KRW", "rubles": "RUB", "rublos": "RUB", "lira": "TRY", "liras": "TRY", "baht": "THB",
    "dong": "VND",
    # Written with the issuing country's adjective: "5 million Chinese yuan", "100 million
    # Colombian Peso", "pesos colombianos".
    "chinese yuan": "CNY", "colombian pesos": "COP", "colombian peso": "COP", "pesos colombianos": "COP",
    "mexican pesos": "MXN", "mexican peso": "MXN", "pesos mexicanos": "MXN", "chilean pesos": "CLP",
    "chilean peso": "CLP", "pesos chilenos": "CLP", "argentine pesos": "ARS", "pesos argentinos": "ARS",
    "brazilian reais": "BRL", "jamaican dollars": "JMD", "trinidad and tobago dollars": "TTD",
    "tt dollars": "TTD", "east caribbean dollars": "XCD", "guyanese dollars": "GYD", "guyana dollars": "GYD",
    "barbados dollars": "BBD", "barbadian dollars": "BBD", "belize dollars": "BZD", "bahamian dollars": "BSD",
    "uruguayan pesos": "UYU", "pesos uruguayos": "UYU", "dominican pesos": "DOP", "pesos dominicanos": "DOP",
    "cuban pesos": "CUP", "quetzales": "GTQ", "quetzals": "GTQ", "lempiras": "HNL", "córdobas": "NIO",
    "cordobas": "NIO", "colones": "CRC", "guaraníes": "PYG", "guaranies": "PYG", "guaranis": "PYG",
    "bolívares": "VES", "bolivares": "VES", "bolivars": "VES",
    "jmd": "JMD", "ttd": "TTD", "xcd": "XCD", "gyd": "GYD", "bbd": "BBD", "bzd": "BZD", "uyu": "UYU",
    "dop": "DOP", "gtq": "GTQ", "hnl": "HNL", "nio": "NIO", "crc": "CRC", "pyg": "PYG", "ves": "VES",
    "cop": "COP", "mxn": "MXN", "clp": "CLP", "ars": "ARS", "bob": "BOB",
}
_SCALE = {
    "thousand": 1e3, "k": 1e3, "mil": 1e3,
    "million": 1e6, "millions": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6, "mm": 1e6, "mill": 1e6,
    "mills": 1e6, "mll": 1e6, "mlls": 1e6, "millón": 1e6, "millon": 1e6, "millones": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "bln": 1e9,
    "mil millones": 1e9, "millardos": 1e9, "millardo": 1e9,
    "trillion": 1e12, "billón": 1e12, "billones": 1e12, "tn": 1e12,
}
_PREFIX = (r"US\s?\$|U\$[SD]|U\.S\.\s?\$|\$US|USD|C\$|CA\$|A\$|S\$|S/\.?|PEN|RMB|CNY|¥|€|EUR|£|GBP|R\$|BRL|"
           r"(?<![A-Za-z])(?:JAM|JA|J|TT|EC|GY|G|BDS|BBD|BZ|HK|NZ)\$|"
           r"(?<![A-Za-z])(?:JMD|TTD|XCD|GYD|BBD|BZD|BSD|HKD)|(?<![A-Za-z])(?-i:Bs)\.?|\$")
_SCALE_RE = (r"mil\s+millones|millardos?|millones|mill[oó]n|billones|bill[oó]n|trillion|"
             r"billions?|millions?|thousand|mlls?\.?|mills?\.?|mln|mn|bln|bn|tn|MM|[MBK]|k")
_WORD = (r"(?:nuevos\s+)?soles|d[oó]lares\s+(?:canadienses|australianos|de\s+(?:hong\s+kong|singapur))|"
         r"(?:Canadian|Australian|Singapore|Hong\s+Kong|New\s+Taiwan)\s+dollars|"
         r"d[oó]lares(?:\s+estadounidenses)?|(?:US\s+)?dollars|"
         r"(?:Kenyan\s+)?shillings|chelines|ringgit|rupiah|rupees|rupias|forints?|dinars|dinares|rand|naira|"
         r"kwanzas?|birr|francs|francos|yen(?:es)?|rubles|rublos|liras?|baht|euro|(?:Chinese\s+)?yuan(?:es)?|renminbi|bolivianos|euros|"
         r"(?:Brazilian\s+)?reais|reales|pounds|libras|(?:Colombian|Mexican|Chilean|Argentine)\s+pesos?|"
         r"pesos\s+(?:colombianos|mexicanos|chilenos|argentinos|uruguayos|dominicanos)|"
         r"(?:Jamaican|Trinidad\s+and\s+Tobago|TT|East\s+Caribbean|Guyanese|Guyana|Barbados|Barbadian|Belize|Bahamian)\s+dollars|"
         r"(?:Uruguayan|Dominican|Cuban)\s+pesos|quetzal(?:e)?s|lempiras|c[oó]rdobas|colones|guaran[ií](?:e)?s|bol[ií]var(?:e)?s|"
         r"USD|PEN|RMB|CNY|EUR|COP|MXN|CLP|ARS|BOB|JMD|TTD|XCD|GYD|BBD|BZD|UYU|DOP|GTQ|HNL|NIO|CRC|PYG|VES")
_APPROX = (r"(?:almost|nearly|about|around|approximately|roughly|over|more\s+than|"
           r"less\s+than|up\s+to|at\s+least|casi|cerca\s+de|alrededor\s+de|aproximadamente|"
           r"m[aá]s\s+de|menos\s+de|hasta|unos|unas|al\s+menos)")
_APPROX_BEFORE = re.compile(rf"(?<!\w){_APPROX}\s+$", re.IGNORECASE)


def _approx(text: str, start: int) -> tuple[str | None, int]:
    """Hedge words right before a figure ("almost", "más de"): (words, their start)."""
    m = _APPROX_BEFORE.search(text, max(0, start - 24), start)
    if m is None:
        return None, start
    return re.sub(r"\s+", " ", text[m.start():start].strip().lower()), m.start()


def _number_tokens(toks: list[tuple[int, str]]) -> list[int]:
    return [start for start, word in toks if word[0].isdigit()]

MONEY_RE = re.compile(
    r"(?:"
    # $1.8 billion, US$ 2,600 millones, S/ 500 millones, RMB 30 million, €2bn, $245M
    rf"(?P<pre>{_PREFIX})\s{{0,2}}(?P<n1>{NUMBER})(?:\s?(?P<s1>{_SCALE_RE})(?![\w$]))?"
    rf"(?:\s+(?:de\s+)?(?P<w1>{_WORD})\b)?"
    r"|"
    # 2.900 millones de dólares, 30 million yuan, 500 mil soles
    rf"(?<![\w$.,])(?P<n2>{NUMBER})\s?(?:(?P<s2>{_SCALE_RE})\s+)?(?:de\s+)?(?P<w2>{_WORD})\b"
    r")",
    re.IGNORECASE,
)


def _scale(raw: str | None) -> float:
    if not raw:
        return 1.0
    key = re.sub(r"\s+", " ", raw.rstrip(".").lower())
    return _SCALE.get(key, 1.0)


_PREFIX_BEFORE = re.compile(rf"(?:{_PREFIX})\s{{0,2}}$", re.IGNORECASE)


def _anchored(regex: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    last = -1
    for pos in starts:
        if pos < last:
            continue
        m = regex.match(text, pos)
        if m is not None:
            out.append(m)
            last = m.end()
    return out


def find_money(text: str, toks: list[tuple[int, str]] | None = None,
               digits: list[int] | None = None) -> list[Figure]:
    toks = toks if toks is not None else tokens(text)
    starts = []
    for pos in digits if digits is not None else _number_tokens(toks):
        pre = _PREFIX_BEFORE.search(text, max(0, pos - 7), pos)
        starts.append(pre.start() if pre else pos)
    # A currency code glued to its number is one word: "RMB30 million".
    glued = [pos for pos, word in toks if word[:3] in _GLUED_CODES and word[3:4].isdigit()]
    if glued:
        starts = sorted(starts + glued)
    out = []
    for m in _anchored(MONEY_RE, text, starts):
        if m.group("n1"):
            raw_scale = m.group("s1")
            # Single letters only count in capitals ("$245M", not "$5 m"): lower-case
            # "m" or "b" is more often a unit or a word.
            if (raw_scale and len(raw_scale) == 1 and raw_scale.islower() and raw_scale != "k"
                    and text[m.end("n1"):m.start("s1")] != ""):
                raw_scale = None  # but "$380m", glued to its number, is the British million
            pre = re.sub(r"\s+", " ", m.group("pre").lower())
            currency = _CURRENCY_PREFIX.get(pre.replace(" ", ""), _CURRENCY_PREFIX.get(pre, "USD"))
            if m.group("w1"):
                currency = _CURRENCY_WORD.get(_word_key(m.group("w1")), currency)
            number, end = m.group("n1"), m.end()
            if raw_scale is None and m.group("s1"):
                end = m.end("n1")
            if not raw_scale and not m.group("w1") and _CUT_SCALE.match(text, end):
                continue  # "$1.3 billi": a scale word cut off (clipped text); the value is unknown
        elif m.group("n2"):
            raw_scale = m.group("s2")
            currency = _CURRENCY_WORD.get(_word_key(m.group("w2")), "USD")
            number, end = m.group("n2"), m.end()
        else:
            continue
        try:
            value = parse_number(number) * _scale(raw_scale)
        except ValueError:
            continue
        if value <= 0 or value > 1e15:
            continue
        approx, start = _approx(text, m.start())
        out.append(Figure("money", start, end, value, currency, approx))
    out += _abbreviated_dollars(text, starts, out)
    out = _with_shared_currency(text, sorted(out, key=lambda f: f.start))
    return _with_currency_after(text, out)


# Mexican and Central American press: "1,420 mdd" (millones de dólares), "3 mmdd" (miles de
# millones de dólares); the comma is a thousands separator there.
_MDD = re.compile(rf"(?P<n>{NUMBER})\s?(?P<u>mmdd|mdd|mdp)\b", re.IGNORECASE)


def _abbreviated_dollars(text: str, starts: list[int], found: list[Figure]) -> list[Figure]:
    taken = {f.start for f in found}
    out = []
    for m in _anchored(_MDD, text, starts):
        if m.start() in taken:
            continue
        try:
            number = parse_number(m.group("n"))
        except ValueError:
            continue
        unit = m.group("u").lower()
        if unit == "mdp":
            continue  # millones de pesos: the country is not said
        value = number * (1e9 if unit == "mmdd" else 1e6)
        approx, start = _approx(text, m.start())
        out.append(Figure("money", start, m.end(), value, "USD", approx))
    return out


# A bare scaled number later in the sentence of a money figure takes its currency: "con el
# Banco X, por 1.395 millones de dólares, y con el Banco Y, por 1.832 millones". Not when a
# noun follows ("18 millones de habitantes").
_BARE_SCALED = re.compile(
    rf"(?<![\w$.,])(?P<n>{NUMBER})\s?(?P<s>mil\s+millones|millones|million|billion|bn)\b"
    r"(?!\s*(?:de\s+|of\s+)?[A-Za-zÁÉÍÓÚáéíóúñ$€£])", re.IGNORECASE)


def _with_currency_after(text: str, money: list[Figure]) -> list[Figure]:
    if not money:
        return money
    extra = []
    for i, fig in enumerate(money):
        limit = money[i + 1].start if i + 1 < len(money) else min(len(text), fig.end + 220)
        stop = text.find(". ", fig.end, limit)
        limit = stop if stop >= 0 else limit
        for m in _BARE_SCALED.finditer(text, fig.end, limit):
            try:
                value = parse_number(m.group("n")) * _scale(m.group("s"))
            except ValueError:
                continue
            if re.fullmatch(r"(?:19|20)\d\d", m.group("n")) or not 0 < value <= 1e15:
                continue
            approx, start = _approx(text, m.start())
            extra.append(Figure("money", start, m.end(), value, fig.unit, approx))
    if not extra:
        return money
    return sorted(money + extra, key=lambda f: f.start)


_CUT_SCALE = re.compile(r"\s?(?:bil|mil|tho|tri)[a-z]*(?![\w])", re.IGNORECASE)
_GLUED_CODES = {"RMB", "USD", "CNY", "EUR", "PEN", "GBP", "BRL"}
# A bare number joined to a money figure takes its currency (and its scale when it has
# none): "6,960,000 out of 10 million Bolivianos", "between 5 and 10 million yuan".
_SHARED_BEFORE = re.compile(
    rf"(?<![\w$.,])(?P<n>{NUMBER})(?:\s?(?P<s>million|billion|thousand|millones|mil\s+millones))?"
    r"\s+(?:out\s+of|of|and|or|to|y|o|a|de)\s+(?:(?:the|a|an|total|its|their|approximate|estimated|some|el|un|total\s+de)\s+){0,3}$",
    re.IGNORECASE)


def _with_shared_currency(text: str, money: list[Figure]) -> list[Figure]:
    extra = []
    previous_end = 0
    for fig in money:
        m = _SHARED_BEFORE.search(text, max(previous_end, fig.start - 60), fig.start)
        previous_end = fig.end
        if m is None:
            continue
        raw = m.group("n")
        try:
            number = parse_number(raw)
        except ValueError:
            continue
        if re.fullmatch(r"(?:19|20)\d\d", raw):  # a year: "in 2012 and $5 million"
            continue
        scale = _scale(m.group("s")) if m.group("s") else 1.0
        if scale == 1.0 and "," not in raw and "." not in raw:
            # "5 and 10 million yuan": the small number shares the scale too.
            whole = text[fig.start:fig.end].lower()
            scale = next((v for k, v in (("billion", 1e9), ("million", 1e6), ("millones", 1e6))
                          if k in whole), 1.0)
            if scale == 1.0:
                continue
        value = number * scale
        if value <= 0 or value > 1e15:
            continue
        extra.append(Figure("money", m.start("n"), m.end("s") if m.group("s") else m.end("n"),
                            value, fig.unit, None))
    if not extra:
        return money
    return sorted(money + extra, key=lambda f: f.start)


def _word_key(word: str) -> str:
    key = re.sub(r"\s+", " ", word.lower())
    if key.startswith("d") and "estadounidenses" in key:
        return "dólares"
    if key.endswith("dollars") and key not in _CURRENCY_WORD:
        return "dollars"
    return key


def _norm(raw: str | None) -> str | None:
    return re.sub(r"\s+", " ", raw.lower()) if raw else None


# --- shares ---------------------------------------------------------------------------

_FRACTION_WORDS = {
    "half": 0.5, "a half": 0.5, "one half": 0.5, "la mitad": 0.5, "mitad": 0.5,
    "a third": 1 / 3, "one third": 1 / 3, "one-third": 1 / 3, "un tercio": 1 / 3,
    "two thirds": 2 / 3, "two-thirds": 2 / 3, "dos tercios": 2 / 3,
    "a quarter": 0.25, "one quarter": 0.25, "one-quarter": 0.25, "un cuarto": 0.25,
    "una cuarta parte": 0.25, "three quarters": 0.75, "three-quarters": 0.75, "tres cuartos": 0.75,
}
_SMALL = "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))
_FRACTIONS_RE = "|".join(sorted((re.escape(k).replace(r"\ ", r"\s+") for k in _FRACTION_WORDS),
                                key=len, reverse=True))
SHARE_RE = re.compile(
    r"(?:"
    rf"(?<![\w.,])(?P<pct>\d{{1,3}}(?:[.,]\d{{1,3}})?)\s?(?:%|percent\b|per\s+cent\b|por\s+ciento\b)"
    rf"|\b(?P<num>{_SMALL}|\d{{1,2}})\s+(?:in|out\s+of|of\s+every|de\s+cada|en)\s+(?P<den>{_SMALL}|\d{{1,3}})\b"
    rf"|\b(?P<frac>{_FRACTIONS_RE})\s+(?:of|de)\b"
    r")",
    re.IGNORECASE,
)


def _word_or_int(raw: str) -> float | None:
    raw = raw.lower()
    if raw.isdigit():
        return float(raw)
    return WORD_NUMBERS.get(raw)


_SHARE_STARTERS = set(WORD_NUMBERS) | {"half", "la", "mitad", "una", "three", "tres", "dos", "two", "un", "one"}


_CHANGE_BEFORE = re.compile(
    r"(?<!\w)(?:gr[eo]w(?:s|n|ing)?|rose|rise[sn]?|rising|increas\w*|fell|fall(?:s|en|ing)?|drop\w*|declin\w*|"
    r"jump\w*|surg\w*|climb\w*|slid\w*|plung\w*|up|down|crec\w*|aument\w*|ca[ey]\w*|baj\w*|subi\w*|"
    r"disminu\w*|repunt\w*)\s+(?:by\s+|en\s+|un\s+|a\s+|some\s+|about\s+|around\s+|casi\s+|cerca\s+de\s+)*$",
    re.IGNORECASE)


def find_shares(text: str, toks: list[tuple[int, str]] | None = None,
                starts: list[int] | None = None) -> list[Figure]:
    if starts is None:
        toks = toks if toks is not None else tokens(text)
        starts = [pos for pos, word in toks if word[0].isdigit() or word.lower() in _SHARE_STARTERS]
    out = []
    for m in _anchored(SHARE_RE, text, starts):
        if _CHANGE_BEFORE.search(text, max(0, m.start() - 30), m.start()):
            continue  # "expected to grow by 13%": a change, not a share of anything
        if m.group("pct"):
            value = parse_number(m.group("pct").replace(",", ".")) / 100
            end = m.end()
        elif m.group("num"):
            num, den = _word_or_int(m.group("num")), _word_or_int(m.group("den"))
            if not num or not den or num >= den or m.group("num").lower() in ("a", "an", "un"):
                continue
            value, end = num / den, m.end("den")
        else:
            value = _FRACTION_WORDS[re.sub(r"\s+", " ", m.group("frac").lower())]
            end = m.end("frac")
        if not 0 < value <= 1:
            continue
        approx, start = _approx(text, m.start())
        out.append(Figure("share", start, end, round(value, 6), None, approx))
    return out


# --- quantities -----------------------------------------------------------------------

UNITS = {
    "km": "km", "kms": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km",
    "kilometres": "km", "kilómetro": "km", "kilómetros": "km", "kilometros": "km",
    "mw": "MW", "megawatt": "MW", "megawatts": "MW", "megavatios": "MW", "gw": "GW",
    "gigawatts": "GW", "kv": "kV", "teu": "TEU", "teus": "TEU",
    "container": "containers", "containers": "containers", "contenedor": "containers",
    "contenedores": "containers", "case": "cases", "cases": "cases", "caso": "cases", "casos": "cases",
    "people": "people", "persons": "people", "personas": "people", "personnel": "people",
    "workers": "people", "trabajadores": "people", "employees": "people", "empleados": "people",
    "students": "people", "estudiantes": "people", "journalists": "people", "periodistas": "people",
    "officers": "people", "oficiales": "people", "officials": "people", "funcionarios": "people",
    "congresspeople": "people", "congressmen": "people", "congresistas": "people",
    "scholarships": "scholarships", "becas": "scholarships",
    "hectares": "ha", "hectáreas": "ha", "hectareas": "ha", "ha": "ha",
    "tons": "t", "tonnes": "t", "toneladas": "t", "tn": "t",
    "docks": "docks", "muelles": "docks", "berths": "docks", "amarraderos": "docks",
    "jobs": "jobs", "empleos": "jobs", "puestos de trabajo": "jobs",
    "vehicles": "vehicles", "vehículos": "vehicles", "trucks": "vehicles", "camiones": "vehicles",
    "motorcycles": "vehicles", "motocicletas": "vehicles", "buses": "vehicles", "cameras": "cameras",
    "cámaras": "cameras", "hospitals": "hospitals", "hospitales": "hospitals",
    "projects": "projects", "proyectos": "projects", "companies": "companies", "empresas": "companies",
    "years": "years", "años": "years", "computers": "computers", "computadoras": "computers",
    "laptops": "computers", "tablets": "computers", "ambulances": "vehicles",
    "ambulancias": "vehicles", "radios": "radios", "boats": "boats", "patrol boats": "boats", "barrels": "barrels", "barriles": "barrels",
    "pieces": "items", "piezas": "items", "items": "items",
    "access points": "access points", "hotspots": "access points", "puntos de acceso": "access points",
    "base stations": "base stations", "estaciones base": "base stations", "antennas": "antennas", "antenas": "antennas",
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
QUANTITY_RE = re.compile(
    rf"(?<![\w$.,/%])(?P<n>{NUMBER}|{_SMALL})(?:\s?(?P<s>million|millones|thousand|mil)\b)?"
    # up to three words between the number and the unit: "12 Peruvian national police personnel"
    r"(?:[\s-]+(?P<mid>(?:(?!de\b|of\b|and\b|y\b)[A-Za-zÀ-ÿ][\w-]{0,20}\s+){0,3}?))?"
    rf"[\s-]?(?P<u>{_UNIT_RE})(?![\w])",
    re.IGNORECASE,
)
# Any other count: a number and the plural noun it counts ("350 embarcaciones", "three
# drilling rigs", "300,000 ounces"): the noun is the unit.
COUNTED_RE = re.compile(
    rf"(?<![\w$.,/%])(?P<n>{NUMBER}|{_SMALL})(?:\s?(?P<s>million|millones|thousand|mil)\b)?"
    r"(?P<mid>)[\s-](?:de\s+)?(?P<u>[a-záéíóúñ]{3,}(?:s|es))\b(?![\s-]*(?:%|percent|por\s+ciento))",
    re.IGNORECASE)
_NOT_COUNTED = frozenset({"años", "years", "días", "days", "meses", "months", "weeks", "semanas", "hours",
                          "horas", "minutes", "minutos", "times", "veces", "dollars", "dólares", "dolares",
                          "pesos", "euros", "soles", "reais", "yuan", "yuanes", "millones", "billones",
                          "millions", "billions", "thousands", "miles", "percent", "points", "puntos",
                          "others", "otros", "otras", "shares", "acciones", "decades", "décadas"})


def _counted_nouns(text: str, starts: list[int]) -> list[re.Match[str]]:
    return [m for m in _anchored(COUNTED_RE, text, starts)
            if m.group("u")[0].islower() and not m.group("n")[0].isupper()  # "dos Funcionários": a name
            and m.group("u").lower() not in _NOT_COUNTED and m.group("u").lower() not in UNITS
            and not (m.group("n").isdigit() and _YEARISH.match(m.group("n")))]


_YEARISH = re.compile(r"(?:19|20)\d\d$")
_MODEL_BEFORE = re.compile(r"\b[A-Z]{2,5}[ -]$")


def find_quantities(text: str, toks: list[tuple[int, str]] | None = None,
                    starts: list[int] | None = None) -> list[Figure]:
    if starts is None:
        toks = toks if toks is not None else tokens(text)
        starts = [pos for pos, word in toks if word[0].isdigit() or word.lower() in WORD_NUMBERS]
    out = []
    for m in _anchored(QUANTITY_RE, text, starts) + _counted_nouns(text, starts):
        raw = m.group("n")
        unit_raw = m.group("u")
        unit = UNITS.get(unit_raw.lower()) or (unit_raw.lower() if m.re is COUNTED_RE else None)
        if unit is None:
            continue
        # Short units only in their written case: "MW", "km", not "Ha" in a name.
        if len(unit_raw) <= 3 and unit_raw.lower() not in ("km", "mw", "gw", "kv", "teu", "ha", "tn") :
            continue
        if unit_raw in ("HA", "Ha", "Tn", "TN"):
            continue
        if _MODEL_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue  # "KLQ 810 buses": part of a model code
        if raw.isdigit() and _YEARISH.match(raw) and (m.group("mid") or unit in ("years", "people")):
            continue  # "2024 APEC cases" - a year, not a count
        value = _word_or_int(raw) if raw.isalpha() else None
        if raw.isalpha():
            if value is None or raw.lower() in ("a", "an", "un", "una", "uno"):
                continue
        else:
            try:
                value = parse_number(raw)
            except ValueError:
                continue
        value *= {"million": 1e6, "millones": 1e6, "thousand": 1e3, "mil": 1e3}.get((m.group("s") or "").lower(), 1)
        approx, start = _approx(text, m.start("n"))
        out.append(Figure("quantity", start, m.end(), value, unit, approx))
    return out


_WORD_FLAGS: dict[str, int] = {}  # word -> 1 (may start a share) | 2 (may start a quantity)


def _starts(toks: list[tuple[int, str]]) -> tuple[list[int], list[int], list[int]]:
    """Where each finder may match, in one pass over the words: digits, share starters
    ("half", "one"), number words ("six")."""
    digits: list[int] = []
    share_words: list[int] = []
    number_words: list[int] = []
    flags = _WORD_FLAGS
    for pos, word in toks:
        if word[0].isdigit():
            digits.append(pos)
            continue
        f = flags.get(word)
        if f is None:
            low = word.lower()
            f = (1 if low in _SHARE_STARTERS else 0) | (2 if low in WORD_NUMBERS else 0)
            if len(flags) < 200_000:
                flags[word] = f
        if f:
            if f & 1:
                share_words.append(pos)
            if f & 2:
                number_words.append(pos)
    return digits, sorted(digits + share_words), sorted(digits + number_words)


def find_figures(text: str, toks: list[tuple[int, str]] | None = None) -> list[Figure]:
    """Money, shares and quantities, without overlaps (money wins over a quantity)."""
    toks = toks if toks is not None else tokens(text)
    digits, share_starts, quantity_starts = _starts(toks)
    money = find_money(text, toks, digits)
    shares = find_shares(text, toks, share_starts)
    quantities = find_quantities(text, toks, quantity_starts)
    taken = [(f.start, f.end) for f in money + shares]
    taken.sort()
    result = money + shares
    starts = [s for s, _ in taken]
    for q in quantities:
        i = bisect.bisect_right(starts, q.end) - 1
        if i >= 0 and taken[i][1] > q.start:
            continue
        result.append(q)
    result.sort(key=lambda f: f.start)
    return result
