"""`veeduria ingest` (documents -> sources + candidate claims) and `veeduria review`."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click

from veeduria.sources.document import DEFAULT_MAX_BYTES
from veeduria.store.busy import wait_budget, with_retry
from veeduria.text import http_url, parse_partial_date, visible_name

# Seconds a review decision waits for a busy store (an ingest writing) before saying so.
INTERACTIVE_WAIT = 20.0


def register(cli: click.Group) -> None:
    cli.add_command(ingest)
    cli.add_command(review)


def check_published(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Option callback: a publication date must be YYYY, YYYY-MM or YYYY-MM-DD."""
    if value:
        try:
            parse_partial_date(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def check_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Option callback: a source URL must be an absolute http(s) URL."""
    try:
        return http_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def parse_size(_ctx: click.Context, _param: click.Parameter, value: str | int) -> int:
    """Option callback for --max-bytes."""
    return value if isinstance(value, int) else _size(value)


def _size(value: str) -> int:
    """'50M', '200k', '1G' or a number of bytes."""
    raw = value.strip().upper().removesuffix("B")
    factor = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(raw[-1:], 1)
    try:
        return int(float(raw[:-1] if factor > 1 else raw) * factor)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a size (e.g. 50M, 200k, 1048576)") from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--title")
@click.option("--author")
@click.option("--publisher")
@click.option("--published", callback=check_published,
              help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--url", callback=check_url, help="The source's address (http or https only).")
@click.option("--language", help="ISO 639-1 code (en, es, ...); detected when not given.")
@click.option("--kind", type=click.Choice(["report", "news", "document", "web", "public_record"]),
              help="What kind of source this is.")
@click.option("--source", "source_id", metavar="ID",
              help="Attach the file's text to this existing source (one file only).")
@click.option("--max-bytes", default=str(DEFAULT_MAX_BYTES), show_default=True, callback=parse_size,
              help="Skip files larger than this (accepts 50M, 200k).")
@click.option("--no-extract", is_flag=True, help="Store the documents without extracting claims.")
@click.option("--actor", default="cli", show_default=True, help="Who is ingesting (audit trail).")
@click.pass_obj
def ingest(ctx, paths: tuple[Path, ...], title, author, publisher, published, url, language, kind,
           source_id, max_bytes, no_extract, actor) -> None:
    """Store documents (PDF, HTML, DOCX, TXT, Markdown; directories recursively) and their
    candidate claims. Claims that already cite a document get their quote offsets."""
    from veeduria.sources.pipeline import Ingestor, iter_files

    files = list(iter_files(paths))
    if source_id and len(files) != 1:
        raise click.BadParameter("--source attaches exactly one file", param_hint="--source")
    meta = {"title": title, "author": author, "publisher": publisher, "published": published,
            "url": url, "language": language, "kind": kind, "source": source_id}
    ingestor = Ingestor(ctx.store, actor=actor, max_bytes=max_bytes, extract=not no_extract)
    totals = {"documents": 0, "words": 0, "claims": 0, "duplicates": 0, "entities": 0, "errors": 0}
    quiet = len(files) > 1
    show_bar = quiet and sys.stderr.isatty()
    bar_cm = (click.progressbar(files, label="ingesting", file=sys.stderr, show_pos=True,
                                item_show_func=lambda p: p.name if p else "")
              if show_bar else nullcontext(files))
    with bar_cm as iterator:
        # Documents are committed in batches; each result comes once its batch is in.
        for res in ingestor.ingest_paths(iterator, meta):
            path = visible_name(res.path)
            for err in res.errors:
                click.echo(f"error: {visible_name(err)}", err=True)
            for warn in res.warnings[:5]:
                click.echo(f"warning: {visible_name(warn)}", err=True)
            if not res.ok:
                totals["errors"] += 1
                continue
            totals["documents"] += 1
            totals["words"] += res.words
            totals["claims"] += res.claims
            totals["duplicates"] += res.duplicates
            totals["entities"] += res.entities
            if not quiet:
                extra = f"; {res.located} claim quotes located" if res.located else ""
                click.echo(f"{path}: {res.outcome} as {res.source_id} ({res.language or '?'}, "
                           f"{res.words} words, {res.claims} candidate claims, "
                           f"{res.duplicates} restating known claims){extra}")
    click.echo(f"{totals['documents']} documents, {totals['words']} words, {totals['claims']} candidate "
               f"claims ({totals['duplicates']} restating known claims), {totals['entities']} new "
               f"entities, {totals['errors']} errors")
    if totals["errors"]:
        raise SystemExit(1)


def _fmt_figure(claim) -> str:  # noqa: ANN001
    parts = []
    if claim.amount_value is not None:
        parts.append(f"{claim.amount_value:,.0f} {claim.amount_currency}")
    if claim.share is not None:
        parts.append(f"{claim.share:.1%}")
    if claim.quantity_value is not None:
        parts.append(f"{claim.quantity_value:g} {claim.quantity_unit or ''}".strip())
    return ", ".join(parts)


@click.group(invoke_without_command=True)
@click.option("--source", help="Only candidates from this source id.")
@click.option("--domain", help="Only candidates in this domain.")
@click.option("--entity", help="Only candidates naming this entity (id or name).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, type=click.IntRange(0, 10_000_000))
@click.option("--duplicates", is_flag=True, help="Include candidates that restate known claims.")
@click.pass_context
def review(click_ctx: click.Context, source, domain, entity, limit, offset, duplicates) -> None:
    """List candidate claims; `review accept|reject|edit ID` decides on one."""
    if click_ctx.invoked_subcommand is not None:
        return
    from veeduria.query import find_entity
    from veeduria.review import list_candidates

    store = click_ctx.obj.store
    with store.reader() as session:
        entity_id = None
        if entity:
            ent = find_entity(session, entity)
            if ent is None:
                click.echo(f"error: no entity matches {entity!r}", err=True)
                raise SystemExit(1)
            entity_id = ent.id
        claims = list_candidates(session, source=source, domain=domain, entity=entity_id,
                                 limit=limit, offset=offset, include_duplicates=duplicates)
        if not claims:
            click.echo("no candidate claims")
        for c in claims:
            names = ", ".join(f"{r.entity.name} ({r.role})" for r in c.roles)
            figure = _fmt_figure(c)
            click.echo(f"{c.id}  {c.predicate}  [{c.domain}{'/' + c.sector if c.sector else ''}]"
                       f"{'  ' + figure if figure else ''}{'  ' + c.date if c.date else ''}"
                       f"  {c.modality}  conf {c.confidence:.2f}"
                       + (f"  duplicate of {c.duplicate_of}" if c.duplicate_of else ""))
            click.echo(f"    {names}")
            click.echo(f"    \"{' '.join(c.quote.split())}\"  ({c.source_id}@{c.offset_start})")


def _decide(ctx, action: str, claim_id: str, actor: str, note: str | None) -> None:  # noqa: ANN001
    from veeduria.review import ReviewError, accept_claim, reject_claim

    fn = accept_claim if action == "accept" else reject_claim

    def decide() -> str:
        with ctx.store.session() as session:
            return fn(session, claim_id, actor, note=note).status

    try:
        status = with_retry(decide, wait_budget(INTERACTIVE_WAIT))
    except ReviewError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{claim_id}: {status} by {actor}")


@review.command("accept")
@click.argument("claim_id")
@click.option("--actor", required=True, help="Who decides (audit trail).")
@click.option("--note")
@click.pass_obj
def review_accept(ctx, claim_id: str, actor: str, note: str | None) -> None:
    """Accept a candidate claim."""
    _decide(ctx, "accept", claim_id, actor, note)


@review.command("reject")
@click.argument("claim_id")
@click.option("--actor", required=True, help="Who decides (audit trail).")
@click.option("--note")
@click.pass_obj
def review_reject(ctx, claim_id: str, actor: str, note: str | None) -> None:
    """Reject a candidate claim."""
    _decide(ctx, "reject", claim_id, actor, note)


@review.command("edit")
@click.argument("claim_id")
@click.option("--actor", required=True, help="Who edits (audit trail).")
@click.option("--predicate")
@click.option("--domain")
@click.option("--sector")
@click.option("--date", help="YYYY, YYYY-MM or YYYY-MM-DD ('' clears).")
@click.option("--place")
@click.option("--modality")
@click.option("--qualifier")
@click.option("--quote", help="A new verbatim quote (<= 160 characters) from the source.")
@click.option("--amount", "amount_value", type=float)
@click.option("--currency", "amount_currency")
@click.option("--share", type=float, help="Fraction in [0, 1].")
@click.option("--quantity", "quantity_value", type=float)
@click.option("--unit", "quantity_unit")
@click.option("--confidence", type=float)
@click.option("--claim-note", "claim_note", help="The claim's curator note.")
@click.option("--entity", "entities", multiple=True, metavar="ID:ROLE",
              help="Replace the entities (repeatable), e.g. --entity huawei:subject.")
@click.option("--note", help="Why (kept in the audit trail).")
@click.pass_obj
def review_edit(ctx, claim_id: str, actor: str, entities: tuple[str, ...], claim_note: str | None,
                note: str | None, **fields) -> None:
    """Edit a claim's fields."""
    from veeduria.review import ReviewError, edit_claim

    changes = {k: v for k, v in fields.items() if v is not None}
    if claim_note is not None:
        changes["note"] = claim_note
    if entities:
        try:
            changes["entities"] = [tuple(e.rsplit(":", 1)) for e in entities]
            if any(len(pair) != 2 for pair in changes["entities"]):
                raise ValueError
        except ValueError:
            click.echo("error: --entity takes ID:ROLE", err=True)
            raise SystemExit(1) from None
    if not changes:
        click.echo("error: nothing to change", err=True)
        raise SystemExit(1)
    def edit() -> str:
        with ctx.store.session() as session:
            return edit_claim(session, claim_id, actor, note_for_audit=note, **changes).status

    try:
        status = with_retry(edit, wait_budget(INTERACTIVE_WAIT))
    except ReviewError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{claim_id}: edited by {actor} ({', '.join(sorted(changes))}); status {status}")
