"""A document read from a file: text (markup removed) and metadata. Pure data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veeduria.text import markdown_to_text, sha256_bytes, slugify

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class DocumentError(ValueError):
    """A file that cannot be read as a document; the message names the file."""


@dataclass
class Document:
    text: str
    content_hash: str
    filename: str | None = None
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    published: str | None = None
    url: str | None = None
    language: str | None = None
    kind: str = "document"
    pages: list[int] | None = None  # character offset where each page starts (PDF)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def source_id(self) -> str:
        base = slugify(self.title or Path(self.filename or "document").stem, 60)
        return f"{base}-{self.content_hash[:8]}"


_MD_SIGNS = re.compile(r"(\]\([^)]*\)|^#{1,6} |\*\*\S)", re.MULTILINE)


def looks_like_markdown(text: str) -> bool:
    return len(_MD_SIGNS.findall(text)) >= 3


# Encodings a text is read in only when it is not valid UTF-8 (or UTF-16): a guess, which
# the ingest result reports so that wrong accented letters can be traced.
GUESSED_ENCODINGS = ("windows-1252", "latin-1")


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else UTF-16 with BOM, else Windows-1252/Latin-1 when the
    bytes are plausibly text; binary data is refused."""
    return decode(data, name)[0]


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding used): as decode_text, also saying which encoding was used."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf16 = _bomless_utf16(data)
        if utf16 is not None:
            return utf16
        raise DocumentError(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        text, encoding = data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    controls = sum(1 for ch in text[:10000] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > max(5, len(text[:10000]) // 100):
        raise DocumentError(f"{name}: not text in any supported encoding")
    return text, encoding


def encoding_warning(label: str, encoding: str | None) -> str | None:
    """The note for an ingest result when the text's encoding was guessed."""
    if encoding in GUESSED_ENCODINGS:
        return (f"{label}: not valid UTF-8; read as {'Windows-1252' if encoding == 'windows-1252' else 'Latin-1'}"
                " (check accented letters; save the file as UTF-8 to be sure)")
    return None


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a byte-order mark: text in Latin script has a zero in every other
    byte. Anything else with zeros is binary."""
    head = data[:4096]
    if len(head) < 4 or len(data) % 2:
        return None
    even_zeros = head[0::2].count(0) / (len(head) / 2)
    odd_zeros = head[1::2].count(0) / (len(head) / 2)
    encoding = "utf-16-le" if odd_zeros > 0.3 and even_zeros < 0.05 else (
        "utf-16-be" if even_zeros > 0.3 and odd_zeros < 0.05 else None)
    if encoding is None:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    sample = text[:2000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f")
    # Real prose has spaces and mostly ASCII letters; a repeated binary pattern does not.
    spaces = sum(1 for ch in sample if ch.isspace())
    ascii_share = sum(1 for ch in sample if ch.isascii()) / max(1, len(sample))
    if controls > 2 or spaces < len(sample) / 50 or ascii_share < 0.5:
        return None
    return text, encoding


def read_text_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """A .txt or .md file. Markdown markup is removed (also from .txt files that are
    evidently Markdown) so that quotes and offsets refer to the words a reader sees."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{path}: {size} bytes is over the {max_bytes}-byte limit")
    data = path.read_bytes()
    if not data.strip():
        raise DocumentError(f"{path}: empty file")
    raw, encoding = decode(data, str(path))
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    is_md = path.suffix.lower() in {".md", ".markdown"} or looks_like_markdown(raw)
    text = markdown_to_text(raw) if is_md else raw
    return Document(text=text, content_hash=sha256_bytes(data), filename=path.name,
                    meta={"format": "markdown" if is_md else "text", "encoding": encoding})
