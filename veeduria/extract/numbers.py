"""Numbers as written in English and Spanish: "1.8", "2,600", "2.900", "83,15", "1,234.5"."""

from __future__ import annotations

# Thousands grouped by "," or ".", or by a space as in French and much Spanish-language
# press ("20 000", also no-break and thin spaces).
NUMBER = (r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,4})?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])"
          r"|\d{1,15}(?:[.,]\d{1,4})?")

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
    "a": 1, "an": 1, "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "veinte": 20, "cien": 100,
}


def parse_number(raw: str) -> float:
    """The value of a number with either convention for separators. A lone separator
    followed by exactly three digits groups thousands ("2,600", "2.900"); otherwise it is
    the decimal mark ("1.8", "83,15")."""
    s = "".join(raw.split())  # "20 000": the spaces only group thousands
    has_dot, has_comma = "." in s, ","in s
    if has_dot and has_comma:
        decimal = "." if s.rfind(".") > s.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        return float(s.replace(thousands, "").replace(decimal, "."))
    sep = "." if has_dot else "," if has_comma else None
    if sep is None:
        return float(s)
    groups = s.split(sep)
    if len(groups) > 2 or (len(groups[-1]) == 3 and groups[0] != "0"):
        return float(s.replace(sep, ""))
    return float(s.replace(sep, "."))
