"""The `veeduria report` command."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

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


class Progress:
    """Stage lines on the terminal (stderr) with the time so far. Silent for the first
    `after` seconds, so a quick report prints nothing; past that, a watcher thread prints
    the stage under way and every stage after it."""

    def __init__(self, enabled: bool = True, after: float = 2.0) -> None:
        self.enabled, self.after = enabled, after
        self.start = time.perf_counter()
        self.stage: str | None = None
        self.printed: str | None = None
        self.shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        if enabled:
            threading.Thread(target=self._watch, daemon=True).start()

    def _show(self) -> None:
        with self._lock:
            if self.stage is not None and self.printed != self.stage:
                click.echo(f"[{time.perf_counter() - self.start:5.1f}s] {self.stage}", err=True)
                self.printed, self.shown = self.stage, True

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            if time.perf_counter() - self.start >= self.after:
                self._show()

    def __call__(self, message: str) -> None:
        self.stage = message
        if self.enabled and time.perf_counter() - self.start >= self.after:
            self._show()

    def done(self) -> None:
        self._stop.set()
        if self.enabled and self.shown:
            click.echo(f"[{time.perf_counter() - self.start:5.1f}s] done", err=True)


def produce(store: Any, *, fmt: str, lang: str, progress: Any = None, charts_dir: Path | None = None,
            charts_link: str | None = None, warn: Any = None, **scope: Any) -> tuple[Any, bytes]:
    """Build and render one report: (the Report, its bytes in `fmt`). Shared by the CLI
    and the web's background report jobs. ValueError for bad options."""
    from veeduria.present.report import build_report, render_html, render_markdown, render_pdf

    step = progress or (lambda message: None)
    with store.reader() as session:
        rep = build_report(session, lang=lang, progress=step, **scope)
    if fmt == "pdf":
        step("laying out the PDF")
        data = render_pdf(rep, warn=warn)
    elif fmt == "md":
        step("writing Markdown")
        data = render_markdown(rep, charts_dir, charts_link).encode("utf-8")
    else:
        step("writing HTML")
        data = render_html(rep).encode("utf-8")
    return rep, data


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
    @click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only claims dated on or after this day.")
    @click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only claims dated on or before this day.")
    @click.option("--full", is_flag=True, help="Add every claim, by area, to the annex.")
    @click.option("-o", "--output", metavar="FILE", help="Output file (default: stdout; required for pdf).")
    @click.option("--quiet", is_flag=True, help="No progress lines on the terminal.")
    @pass_ctx
    def report(ctx: Context, country: str | None, lang: str, fmt: str | None, since: str | None,
               domains: tuple[str, ...], date_from: str | None, date_to: str | None, full: bool,
               output: str | None, quiet: bool) -> None:
        """Write a cited briefing from the store (HTML, PDF or Markdown; English or Spanish):
        at most 12 pages of findings, owners, money, conflicts and what to watch, with the
        evidence as an annex."""
        fmt = _format_for(output, fmt)
        if fmt == "pdf" and output in (None, "-"):
            fail("a PDF report needs an output file: -o FILE.pdf")
        if country and (len(country) != 2 or not country.isalpha()):
            fail(f"bad --country {country!r}: expected an ISO 3166 alpha-2 code such as PE")
        progress = Progress(enabled=not quiet)
        charts_dir = None
        if fmt == "md" and output and output != "-":
            charts_dir = Path(output).with_suffix("").with_name(Path(output).stem + "_charts")
        try:
            rep, data = produce(ctx.store, fmt=fmt, lang=lang, country=country, since=since,
                                domains=domains or None, date_from=date_from, date_to=date_to, full=full,
                                charts_dir=charts_dir, progress=progress,
                                warn=lambda m: click.echo(f"warning: {m}", err=True))
        except ValueError as exc:
            fail(str(exc))
        progress.done()
        if not rep.counts["claims"]:
            click.echo("warning: no accepted claims in scope; the report is empty", err=True)
        if output in (None, "-"):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            _write_atomic(Path(output), data)
            click.echo(f"{output}: {fmt} report, {rep.counts['claims']} claims, {len(rep.notes)} notes",
                       err=True)
