"""Cited briefing reports from the store: HTML, PDF and Markdown, in English and Spanish.

    with store.reader() as session:
        report = build_report(session, lang="es", country="pe")
    html = render_html(report)
"""

from veeduria.present.report.build import Report, build_report
from veeduria.present.report.markdown import render_markdown
from veeduria.present.report.render import render_html, render_pdf

__all__ = ["Report", "build_report", "render_html", "render_markdown", "render_pdf"]
