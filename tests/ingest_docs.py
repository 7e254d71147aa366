"""Small documents the ingest tests write themselves (PDF, DOCX, HTML; English and Spanish)."""

from __future__ import annotations

from pathlib import Path

EN_PAGE1 = ("Acme Port Holdings acquired 40% of Bay Port for $120 million in March 2024. "
            "The deal was signed in Lima.")
EN_PAGE2 = "Acme Group plans to invest $2.5 billion in Bay Port by 2027, the firm said last year."
ES_TEXT = ("La empresa estatal china Acme Port Holdings invertirá US$ 300 millones en el Puerto de "
           "la Bahía en 2026. El año pasado, Acme Group firmó un convenio con el Gobierno del Perú.")
HTML_EN = """<!doctype html><html><head><title>Acme expands in Peru</title>
<script>var tracker = "Acme Group acquired everything for $999 billion";</script>
<style>p { color: red }</style></head><body>
<script>document.write("Bay Port was sold for $1 trillion")</script>
<article><h1>Acme expands in Peru</h1>
<p>Acme Port Holdings operates Bay Port since November 2024 and handles 1.5 million TEU a year.</p>
<p>Engineers wrote: if (load < capacity) { expand(); } on the whiteboard.</p>
<script>alert("Acme Group invests $5 billion")</script>
<p>Acme Group owns 60% of Acme Port Holdings, according to filings seen this week.</p>
</article><noscript>Enable JavaScript</noscript></body></html>"""


def make_pdf(path: Path, pages: list[str], title: str = "Acme report") -> Path:
    import weasyprint

    body = "".join(f'<p style="page-break-after: always">{p}</p>' for p in pages)
    html = f"<html><head><title>{title}</title><meta name=author content='Test Author'></head><body>{body}</body></html>"
    weasyprint.HTML(string=html).write_pdf(str(path))
    return path


def make_docx(path: Path, paragraphs: list[str], title: str = "Memo sobre Acme") -> Path:
    import datetime as dt

    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    document.core_properties.title = title
    document.core_properties.author = "Autora de prueba"
    document.core_properties.created = dt.datetime(2025, 3, 20)
    document.save(str(path))
    return path


def make_encrypted_pdf(source: Path, path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(source)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_blank_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path
