"""Applying the metadata given on the command line (or by the caller) to a read document."""

from __future__ import annotations

from typing import Any

from veeduria.sources.document import Document
from veeduria.sources.language import detect_language
from veeduria.text import http_url, link_url, parse_partial_date

META_FIELDS = ("title", "author", "publisher", "published", "url", "language", "kind")


def apply_meta(doc: Document, meta: dict[str, Any]) -> None:
    """Given values win over the document's own; an unusable date or URL found in the file
    is dropped (a given one raises ValueError); the language is detected when unknown."""
    if meta.get("url"):
        http_url(meta["url"])  # only http(s): the URL becomes a link in reports
    for key in META_FIELDS:
        if meta.get(key):
            setattr(doc, key, meta[key])
    if doc.published:
        try:
            parse_partial_date(str(doc.published))
        except ValueError:
            if meta.get("published"):
                raise
            doc.published = None
    doc.url = http_url(doc.url) if meta.get("url") else link_url(doc.url)
    if not doc.language:
        doc.language = detect_language(doc.text)
