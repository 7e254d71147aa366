"""`veeduria ingest`: store documents (and, where extraction is available, their candidates)."""

from __future__ import annotations

from pathlib import Path

import click

from veeduria.sources.document import DocumentError, read_text_file
from veeduria.sources.store_docs import store_document
from veeduria.text import parse_partial_date


def register(cli: click.Group) -> None:
    cli.add_command(ingest)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--title")
@click.option("--author")
@click.option("--publisher")
@click.option("--published", help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--url")
@click.option("--language", help="ISO 639-1 code (en, es, ...).")
@click.option("--actor", default="cli", show_default=True, help="Who is ingesting (audit trail).")
@click.pass_obj
def ingest(ctx, paths: tuple[Path, ...], title, author, publisher, published, url, language, actor) -> None:
    """Store text or Markdown documents; claims citing them get their offsets."""
    if published:
        try:
            parse_partial_date(published)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--published") from None
    errors = 0
    for path in paths:
        try:
            doc = read_text_file(path)
        except DocumentError as exc:
            click.echo(f"error: {exc}", err=True)
            errors += 1
            continue
        doc.title, doc.author, doc.publisher = title, author, publisher
        doc.published, doc.url, doc.language = published, url, language
        with ctx.store.session() as session:
            res = store_document(session, doc, actor)
        click.echo(f"{path}: {res.outcome} as {res.source_id}; {res.located} claim quotes located")
        for claim_id, quote in res.missing_quotes:
            click.echo(f"  quote not found: {claim_id}: {quote!r}", err=True)
    if errors:
        raise SystemExit(1)
