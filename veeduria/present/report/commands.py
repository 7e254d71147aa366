"""The `veeduria report` command."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

FORMATS = ("html", "pdf", "md")


def _format_for(output: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = Path(output).suffix.lower().lstrip(".") if output and output != "-" else ""
    return {"htm": "html", "markdown": "md"}.get(suffix, suffix) if suffix in (*FORMATS, "htm", "markdown") else "html"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so a failure leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(cli: click.Group) -> None:
    from veeduria.cli import Context, fail, pass_ctx
    from veeduria.vocab import domains as domain_vocab

    @cli.command()
    @click.option("--country", metavar="CC", help="Host country (ISO alpha-2, e.g. PE); default: every claim.")
    @click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True)
    @click.option("--format", "fmt", type=click.Choice(FORMATS),
                  help="Output format (default: from the file name, else html).")
    @click.option("--since", metavar="YYYY-MM-DD",
                  help="Add a 'what changed' section listing claims added on or after this date.")
    @click.option("--domain", "domains", multiple=True, type=click.Choice(sorted(domain_vocab())),
                  help="Only claims in this domain (repeatable).")
    @click.option("-o", "--output", metavar="FILE", help="Output file (default: stdout; required for pdf).")
    @pass_ctx
    def report(ctx: Context, country: str | None, lang: str, fmt: str | None, since: str | None,
               domains: tuple[str, ...], output: str | None) -> None:
        """Write a cited briefing from the store (HTML, PDF or Markdown; English or Spanish)."""
        from veeduria.present.report import build_report, render_html, render_markdown, render_pdf

        fmt = _format_for(output, fmt)
        if fmt == "pdf" and output in (None, "-"):
            fail("a PDF report needs an output file: -o FILE.pdf")
        if country and (len(country) != 2 or not country.isalpha()):
            fail(f"bad --country {country!r}: expected an ISO 3166 alpha-2 code such as PE")
        with ctx.store.reader() as session:
            try:
                rep = build_report(session, lang=lang, country=country, since=since,
                                   domains=domains or None)
            except ValueError as exc:
                fail(str(exc))
        if not rep.counts["claims"]:
            click.echo("warning: no accepted claims in scope; the report is empty", err=True)
        if fmt == "pdf":
            data = render_pdf(rep, warn=lambda m: click.echo(f"warning: {m}", err=True))
        elif fmt == "md":
            charts_dir = None
            if output and output != "-":
                charts_dir = Path(output).with_suffix("").with_name(Path(output).stem + "_charts")
            data = render_markdown(rep, charts_dir).encode("utf-8")
        else:
            data = render_html(rep).encode("utf-8")
        if output in (None, "-"):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            _write_atomic(Path(output), data)
            click.echo(f"{output}: {fmt} report, {rep.counts['claims']} claims, {len(rep.notes)} notes",
                       err=True)
