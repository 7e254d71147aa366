"""Text helpers shared by every stage: markup removal, quote location, name normalisation."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
_ESCAPE = re.compile(r"\\+([\\`*_{}\[\]()#+\-.!$])")
_TRAILING_BREAK = re.compile(r"[ \t]+\n")


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown document: link targets, emphasis markers, heading marks and
    backslash escapes are removed; line structure is kept so offsets stay meaningful."""
    text = _LINK.sub(r"\1", markdown)
    text = _ESCAPE.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _TRAILING_BREAK.sub("\n", text)
    return text


def collapse_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _quote_pattern(quote: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in collapse_ws(quote).split(" ") if p]
    return re.compile(r"\s+".join(parts))


def find_quote(text: str, quote: str, hint: int | None = None) -> tuple[int, int] | None:
    """Character offsets of `quote` in `text`, treating any run of whitespace as one space.
    With several occurrences, the one nearest `hint` wins."""
    if not quote.strip():
        return None
    matches = list(_quote_pattern(quote).finditer(text))
    if not matches:
        return None
    if hint is not None:
        best = min(matches, key=lambda m: abs(m.start() - hint))
    else:
        best = matches[0]
    return best.start(), best.end()


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: the form names are compared in."""
    if not text.isascii():  # ASCII has no accents to strip (and is most text): skip the scan
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # One pass: each run of non-word characters (whitespace included) becomes one space.
    return _NON_WORD.sub(" ", text.casefold()).strip()


_NON_WORD = re.compile(r"[^\w]+")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slugify(text: str, max_len: int = 80) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:max_len].rstrip("-") or "x"


DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: str) -> tuple[str, str, str]:
    """Validate a YYYY, YYYY-MM or YYYY-MM-DD date; return (date, precision, sortable)."""
    import datetime as dt

    m = DATE_RE.match(value.strip())
    if not m:
        raise ValueError(f"bad date {value!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:  # 2024-13, 2023-02-29
        raise ValueError(f"bad date {value!r}: {exc}") from None
    precision = "day" if day else "month" if month else "year"
    return value.strip(), precision, f"{year}-{month or '01'}-{day or '01'}"


# --- hostile metadata ------------------------------------------------------------------------

_URL_FORBIDDEN = re.compile(r"[\s<>\"`\\{}|^\x00-\x1f\x7f]")


def http_url(value: str | None) -> str | None:
    """`value` stripped, when it is an absolute http(s) URL; None when empty. Anything else
    (javascript:, data:, relative paths, or characters a URL must percent-encode such as
    spaces, < and >) raises ValueError: a source URL ends up as a link in reports."""
    from urllib.parse import urlsplit

    if value is None or not str(value).strip():
        return None
    url = str(value).strip()
    if _URL_FORBIDDEN.search(url):
        raise ValueError(f"URL {url[:80]!r} has spaces or characters that must be percent-encoded")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(f"URL {url[:80]!r} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"URL {url[:80]!r} is not an http(s) URL")
    return url


def link_url(value: str | None) -> str | None:
    """For output: the URL when it is a usable http(s) link, else None (stored before the
    check existed, or written to the store by other means)."""
    try:
        return http_url(value)
    except ValueError:
        return None


# Bidirectional controls can make "report\u202etxt.exe" read as "reportexe.txt".
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible_name(name: str) -> str:
    """A file name safe to show: bidirectional and other control characters replaced by
    U+FFFD, so what a reader sees is what the name is."""
    return re.sub(r"[\x00-\x1f\x7f]", "\ufffd", _BIDI.sub("\ufffd", name))
