"""Writing a built report as self-contained HTML, as Markdown, or as PDF (WeasyPrint lays
out the same HTML with the print styles)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from veeduria.present.report.build import Report
from veeduria.text import link_url

HERE = Path(__file__).parent


# A report is a file opened from disk or mailed around: no script may ever run in it, and
# it loads nothing (styles are inline, charts are inline SVG).
REPORT_CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "font-src data:; object-src 'none'; base-uri 'none'; form-action 'none'")


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["link_url"] = link_url  # only http(s) URLs become links
    return env


def render_html(report: Report) -> str:
    css = (HERE / "report.css").read_text(encoding="utf-8")
    return _env().get_template("report.html").render(r=report, css=css, csp=REPORT_CSP)


def _offline_fetcher(url: str, *args, **kwargs):  # noqa: ANN002, ANN003
    """WeasyPrint's resource fetcher, refusing the network: a report is built offline."""
    if url.startswith(("http://", "https://", "ftp://")):
        raise ValueError(f"network access refused while rendering the PDF: {url}")
    from weasyprint import default_url_fetcher

    return default_url_fetcher(url, *args, **kwargs)


class _MissingGlyphs(logging.Filter):
    """Counts WeasyPrint's one-line-per-character font warnings instead of printing them."""

    def __init__(self) -> None:
        super().__init__()
        self.chars: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ".notdef glyph" in message:
            self.chars.add(message.rsplit("(", 1)[-1].rstrip(")"))
            return False
        return True


def render_pdf(report: Report | str, warn: Callable[[str], None] | None = None) -> bytes:
    """PDF bytes of the report (or of ready HTML). Characters no installed font can draw
    are reported once through `warn`."""
    from weasyprint import HTML

    html = report if isinstance(report, str) else render_html(report)
    logger = logging.getLogger("weasyprint")
    missing = _MissingGlyphs()
    logger.addFilter(missing)
    try:
        pdf = HTML(string=html, url_fetcher=_offline_fetcher).write_pdf()
    finally:
        logger.removeFilter(missing)
    if missing.chars and warn is not None:
        warn(f"{len(missing.chars)} distinct characters have no installed font and show as boxes "
             "in the PDF (for Chinese names install a CJK font, e.g. fonts-noto-cjk)")
    return pdf
