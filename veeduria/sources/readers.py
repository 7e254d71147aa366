"""Reading any supported file (PDF, HTML, DOCX, text, Markdown) into a Document.

Each reader turns library failures into a one-line DocumentError naming the file."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from veeduria.safezip import ZipBombError, check_zip
from veeduria.sources.document import (
    DEFAULT_MAX_BYTES,
    Document,
    DocumentError,
    decode,
    looks_like_markdown,
)
from veeduria.text import link_url, markdown_to_text, sha256_bytes

SUFFIXES = {
    ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx",
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
}
PAGE_BREAK = "\n\n"
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def sniff(data: bytes, suffix: str) -> str:
    """The format from the bytes first (a PDF renamed .txt is still a PDF), then the suffix."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or (b"<html" in lowered and b"<body" in data[:65536].lower()):
        return "html"
    return SUFFIXES.get(suffix.lower(), "text")


def read_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read `path`; raise DocumentError (one line, naming the file) when it cannot be used."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise DocumentError(f"{path}: {size} bytes is over the {max_bytes}-byte limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return read_bytes(data, path.name, label=str(path))


def read_bytes(data: bytes, filename: str, *, label: str | None = None) -> Document:
    label = label or filename
    if not data.strip():
        raise DocumentError(f"{label}: empty file")
    kind = sniff(data, Path(filename).suffix)
    reader: Callable[[bytes, str], Document] = READERS[kind]
    doc = reader(data, label)
    if kind in ("html", "docx"):
        doc.text = _tidy(doc.text)
    if not doc.text.strip():
        raise DocumentError(f"{label}: no text found in the {kind.upper()} file")
    doc.filename = filename
    doc.content_hash = sha256_bytes(data)
    doc.meta.setdefault("format", kind)
    return doc


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _BLANK_RUNS.sub("\n\n", text)


def _read_text(data: bytes, label: str) -> Document:
    raw, encoding = decode(data, label)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    is_md = looks_like_markdown(raw) or label.lower().endswith((".md", ".markdown"))
    text = markdown_to_text(raw) if is_md else raw
    return Document(text=text, content_hash="",
                    meta={"format": "markdown" if is_md else "text", "encoding": encoding})


def _read_pdf(data: bytes, label: str) -> Document:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise DocumentError(f"{label}: encrypted PDF (password required)") from None
        raise DocumentError(f"{label}: corrupt or unreadable PDF ({_pdfium_reason(msg)})") from None
    try:
        if len(pdf) == 0:
            raise DocumentError(f"{label}: PDF has no pages")
        parts: list[str] = []
        pages: list[int] = []
        offset = 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            page_text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
            textpage.close()
            page.close()
            page_text = page_text.replace("\x00", "").replace("\ufffe", "").strip("\n")
            pages.append(offset)
            parts.append(page_text)
            offset += len(page_text) + len(PAGE_BREAK)
        text = PAGE_BREAK.join(parts)
        if not text.strip():
            raise DocumentError(f"{label}: PDF has no extractable text (scanned images need OCR)")
        meta = {k.lower(): v for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
    finally:
        pdf.close()
    doc = Document(text=text, content_hash="", pages=pages, meta={"format": "pdf", "pages": pages})
    doc.title = meta.get("title") or None
    doc.author = meta.get("author") or None
    doc.published = _pdf_date(meta.get("creationdate"))
    return doc


def _pdfium_reason(message: str) -> str:
    """'Failed to load document (PDFium: Data format error).' -> 'Data format error'."""
    m = re.search(r"\(PDFium:\s*([^()]*)\)", message)
    reason = m.group(1) if m else message
    return reason.strip().rstrip(".").strip() or "unknown error"


def _pdf_date(value: str | None) -> str | None:
    m = re.match(r"D?:?(\d{4})(\d{2})?(\d{2})?", value or "")
    if not m:
        return None
    year, month, day = m.groups()
    return "-".join(p for p in (year, month, day) if p)


class _HTMLText(HTMLParser):
    """Fallback HTML text: drops script, style and other non-content elements; keeps text
    (including text that looks like code) as text."""

    SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "object", "head"}
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
              "article", "blockquote", "pre", "table", "ul", "ol", "header", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title and self.title is None:
            self.title = data.strip() or None
        if not self.skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = (_SPACES.sub(" ", line).strip() for line in "".join(self.parts).split("\n"))
        return "\n\n".join(line for line in lines if line)


def _read_html(data: bytes, label: str) -> Document:
    import trafilatura

    html, encoding = decode(data, label)
    fallback = _HTMLText()
    try:
        fallback.feed(html)
        fallback.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything else means junk
        raise DocumentError(f"{label}: malformed HTML") from None
    simple = fallback.text()
    extracted = None
    try:
        extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                                include_tables=True, favor_recall=True)
    except Exception:  # noqa: BLE001 - trafilatura failing falls back to the plain parser
        extracted = None
    main = (extracted.text or "") if extracted is not None else ""
    # Trafilatura drops pages it considers too short; keep the plain text then.
    text = main if len(main) >= 0.3 * len(simple) and main.strip() else simple
    text = "\n\n".join(p.strip() for p in text.split("\n") if p.strip())
    doc = Document(text=text, content_hash="", meta={"format": "html", "encoding": encoding})
    if extracted is not None:
        doc.title = extracted.title or fallback.title
        doc.author = extracted.author or None
        doc.url = link_url(extracted.url)  # a page may claim any URL
        doc.published = extracted.date if extracted.date and re.match(r"\d{4}(-\d\d){0,2}$", extracted.date) else None
        doc.publisher = extracted.sitename or None
    else:
        doc.title = fallback.title
    return doc


def _read_docx(data: bytes, label: str) -> Document:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        check_zip(data)
    except ZipBombError as exc:
        raise DocumentError(f"{label}: refused: {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise DocumentError(f"{label}: corrupt or unreadable DOCX ({exc.__class__.__name__})") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{label}: corrupt or unreadable DOCX ({exc.__class__.__name__})") from None
    except Exception as exc:  # noqa: BLE001 - lxml and zip errors vary by damage
        raise DocumentError(f"{label}: corrupt or unreadable DOCX ({exc.__class__.__name__})") from None
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                parts.append(" | ".join(dict.fromkeys(cells)))
    props = document.core_properties
    doc = Document(text="\n\n".join(parts), content_hash="", meta={"format": "docx"})
    doc.title = props.title or None
    doc.author = props.author or None
    if props.created:
        doc.published = props.created.date().isoformat()
    return doc


READERS: dict[str, Callable[[bytes, str], Document]] = {
    "pdf": _read_pdf, "html": _read_html, "docx": _read_docx,
    "text": _read_text, "markdown": _read_text,
}
