"""CLI commands of the resolution stage: match, merge, split, undo, review, chain, linkage,
and the dataset importers (import cgit | aiddata | designations)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

ACTOR = click.option("--actor", default="cli", show_default=True, help="Who decides (audit trail).")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def register(cli: click.Group) -> None:
    for cmd in (match, merge, split, undo, judgements, review, chain, linkage, event, events_cmd):
        cli.add_command(cmd)
    group = cli.commands.get("import")
    if not isinstance(group, click.Group):
        group = import_group
        cli.add_command(import_group)
    for cmd in (import_cgit_cmd, import_aiddata_cmd, import_designations_cmd):
        group.add_command(cmd)


@click.command()
@click.argument("name")
@click.option("--schema", help="FtM schema of the thing named (Company, Person, ...).")
@click.option("--country", help="ISO alpha-2 country the name belongs to.")
@click.option("--limit", default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def match(ctx, name: str, schema: str | None, country: str | None, limit: int, as_json: bool) -> None:
    """Known entities a name may refer to, with scores and reasons."""
    from veeduria.resolve.resolver import matcher_from_store

    with ctx.store.reader() as session:
        m = matcher_from_store(session)
        cands = m.match(name, schema=schema, country=country, limit=limit)
        verdict, _ = m.decide(cands)
    if as_json:
        click.echo(json.dumps({"name": name, "verdict": verdict,
                               "candidates": [c.__dict__ for c in cands]}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{name!r}: {verdict}")
    for c in cands:
        click.echo(f"  {c.score:.3f}  {c.entity_id:<40} {c.reason} ({c.name})")


@click.command()
@click.argument("keep")
@click.argument("drop")
@click.option("--reason", required=True, help="Why they are the same (kept with the judgement).")
@ACTOR
@click.pass_obj
def merge(ctx, keep: str, drop: str, reason: str, actor: str) -> None:
    """Merge entity DROP into KEEP (claims and names move; undo restores them)."""
    from veeduria.resolve.judgements import JudgementError
    from veeduria.resolve.judgements import merge as do_merge

    try:
        with ctx.store.session() as session:
            j = do_merge(session, keep, drop, actor, reason)
            click.echo(f"judgement {j.id}: merged {drop} into {keep} "
                       f"({len(j.data['moved_roles']) + len(j.data['deleted_roles'])} claim roles)")
    except JudgementError as exc:
        _fail(str(exc))


@click.command()
@click.argument("entity")
@click.argument("name")
@click.option("--reason", required=True)
@click.option("--new-id", help="Id of the new entity (default: from the name).")
@click.option("--claim", "claims", multiple=True, help="Claim to move to the new entity (repeatable).")
@ACTOR
@click.pass_obj
def split(ctx, entity: str, name: str, reason: str, new_id: str | None, claims: tuple[str, ...],
          actor: str) -> None:
    """Split NAME (and optionally some claims) off ENTITY into a new entity."""
    from veeduria.resolve.judgements import JudgementError
    from veeduria.resolve.judgements import split as do_split

    try:
        with ctx.store.session() as session:
            j = do_split(session, entity, name, actor, reason, new_id=new_id, claim_ids=list(claims))
            click.echo(f"judgement {j.id}: {name!r} split from {entity} into {j.other_id}")
    except JudgementError as exc:
        _fail(str(exc))


@click.command()
@click.argument("judgement_id", type=int)
@click.option("--reason")
@ACTOR
@click.pass_obj
def undo(ctx, judgement_id: int, reason: str | None, actor: str) -> None:
    """Undo a judgement (merge, split, match, no-match)."""
    from veeduria.resolve.judgements import JudgementError
    from veeduria.resolve.judgements import undo as do_undo

    try:
        with ctx.store.session() as session:
            j = do_undo(session, judgement_id, actor, reason)
            click.echo(f"judgement {j.id} ({j.kind}) undone")
    except JudgementError as exc:
        _fail(str(exc))


@click.command()
@click.option("--entity", help="Only judgements about this entity.")
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def judgements(ctx, entity: str | None, limit: int) -> None:
    """Recorded judgements, newest first."""
    from sqlalchemy import or_, select

    from veeduria.resolve.models import Judgement

    with ctx.store.reader() as session:
        q = select(Judgement).order_by(Judgement.id.desc()).limit(limit)
        if entity:
            q = q.where(or_(Judgement.entity_id == entity, Judgement.other_id == entity))
        for j in session.scalars(q):
            state = f" [undone {j.undone_at:%Y-%m-%d} by {j.undone_by}]" if j.undone_at else ""
            what = j.other_id or j.name or ""
            click.echo(f"{j.id:>5} {j.at:%Y-%m-%d %H:%M} {j.kind:<8} {j.entity_id} {what} "
                       f"by {j.actor}: {j.reason or ''}{state}")


@click.group("queue", invoke_without_command=True)
@click.option("--kind", type=click.Choice(["match", "conflict"]))
@click.option("--status", default="open", show_default=True,
              type=click.Choice(["open", "resolved", "dismissed"]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def review(cctx: click.Context, kind: str | None, status: str, as_json: bool) -> None:
    """The resolution queue: uncertain matches and import conflicts."""
    if cctx.invoked_subcommand:
        return
    from sqlalchemy import select

    from veeduria.resolve.models import ReviewItem

    with cctx.obj.store.reader() as session:
        q = select(ReviewItem).where(ReviewItem.status == status).order_by(ReviewItem.id)
        if kind:
            q = q.where(ReviewItem.kind == kind)
        items = list(session.scalars(q))
    if as_json:
        click.echo(json.dumps([{k: getattr(i, k) for k in ("id", "kind", "status", "name", "entity_id",
                                                           "claim_id", "source_id", "candidates", "detail")}
                               for i in items], ensure_ascii=False, indent=2, default=str))
        return
    if not items:
        click.echo(f"no {status} review items")
    for i in items:
        if i.kind == "match":
            cands = ", ".join(f"{c['entity_id']} {c['score']:.2f}" for c in (i.candidates or [])[:3])
            click.echo(f"{i.id:>5} match    {i.name!r} (now {i.entity_id}) ~ {cands}")
        elif (i.detail or {}).get("event"):
            d = i.detail or {}
            click.echo(f"{i.id:>5} conflict event {d['event']} ({d.get('title', '')}): {i.name}")
            for n in d.get("notes") or []:
                click.echo(f"        note [{n['claim_id']}]: {n['note']}")
        else:
            stored = (i.detail or {}).get("stored", {})
            new = (i.detail or {}).get("claim", {})
            click.echo(f"{i.id:>5} conflict {i.claim_id}: stored {stored.get('amount_usd')} in "
                       f"{stored.get('date')} vs imported "
                       f"{(new.get('amount') or {}).get('usd')} in {new.get('date')}: {i.name}")


@review.command("decide")
@click.argument("item_id", type=int)
@click.argument("decision", type=click.Choice(["match", "no_match", "dismiss", "add", "choose"]))
@click.option("--entity", help="For match: the entity the name refers to.")
@click.option("--claim", "claim_id", help="For choose (an event's conflict): the claim whose value stands.")
@click.option("--reason", required=True)
@ACTOR
@click.pass_obj
def review_decide(ctx, item_id: int, decision: str, entity: str | None, claim_id: str | None,
                  reason: str, actor: str) -> None:
    """Settle a review item (match ENTITY, no_match, dismiss; add for an import conflict row;
    choose --claim for a conflict within an event)."""
    from veeduria.resolve.events import EventError
    from veeduria.resolve.judgements import JudgementError, decide

    try:
        with ctx.store.session() as session:
            made = decide(session, item_id, decision, actor, reason, entity_id=entity,
                          claim_id=claim_id)
            click.echo(f"review item {item_id}: {decision}"
                       + (f" (judgements {', '.join(str(j.id) for j in made)})" if made else ""))
    except (JudgementError, EventError) as exc:
        _fail(str(exc))


def chain_dict(links) -> list[dict]:  # noqa: ANN001
    return [{"owner": {"id": lk.owner.id, "name": lk.owner.name},
             "owned": {"id": lk.owned.id, "name": lk.owned.name}, "share": lk.share,
             "predicate": lk.claim.predicate, "link": lk.kind, "date": lk.claim.date, "claim": lk.claim.id,
             "quote": lk.claim.quote, "source": lk.claim.source_id,
             "source_title": lk.claim.source.title if lk.claim.source else None}
            for lk in links]


@click.command()
@click.argument("name")
@click.option("--at", "at", help="Chain as it stood on this date (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def chain(ctx, name: str, at: str | None, as_json: bool) -> None:
    """An entity's chain of controlling owners up to its ultimate owner, with evidence. A
    project or asset starts from its operator or concessionaire. A NAME that fits several
    entities lists them (exit 1); give the id to choose."""
    from veeduria.query import find_one, ownership_chain
    from veeduria.text import parse_partial_date

    if at:
        try:
            parse_partial_date(at)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--at") from None
    with ctx.store.reader() as session:
        try:
            ent = find_one(session, name)
        except LookupError as exc:
            _fail(str(exc))
        links = ownership_chain(session, ent.id, at)
        if as_json:
            click.echo(json.dumps({"entity": {"id": ent.id, "name": ent.name}, "at": at,
                                   "state_linkage": ent.state_linkage, "chain": chain_dict(links)},
                                  ensure_ascii=False, indent=2))
            return
        click.echo(f"{ent.name} ({ent.id})" + (f" as of {at}" if at else "")
                   + (f"; state linkage: {ent.state_linkage}" if ent.state_linkage else ""))
        if not links:
            click.echo("  no owner recorded")
        for lk in links:
            share = f" {lk.share * 100:g}%" if lk.share is not None else ""
            since = f" {lk.when()}" if lk.claim.date else ""
            click.echo(f"  <- {lk.verb()} {lk.owner.name} ({lk.owner.id}){share}{since}")
            click.echo(f"     \"{lk.claim.quote}\" [{lk.claim.source.title or lk.claim.source_id}]")


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every entity, not only foreign ones.")
@click.option("--json", "as_json", is_flag=True)
@ACTOR
@click.pass_obj
def linkage(ctx, names: tuple[str, ...], everything: bool, as_json: bool, actor: str) -> None:
    """Classify foreign entities by state linkage (stored with the evidence) and print it."""
    from veeduria.query import find_entity
    from veeduria.resolve.linkage import classify_all

    with ctx.store.session() as session:
        ids = None
        if names:
            ids = []
            for n in names:
                ent = find_entity(session, n)
                if ent is None:
                    _fail(f"no entity matches {n!r}")
                ids.append(ent.id)
        results = classify_all(session, actor, only_foreign=not (everything or names), entity_ids=ids)
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2))
        return
    for r in results:
        click.echo(f"{r.entity_id:<44} {r.cls:<24} evidence: {', '.join(r.evidence) or '-'}")


@click.group("import")
def import_group() -> None:
    """Import published datasets and lists as candidate claims."""


def _print_report(report, as_json: bool) -> None:  # noqa: ANN001
    if as_json:
        click.echo(json.dumps(report.__dict__, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"source {report.source_id}: {report.summary()}")
    for c in report.conflicts:
        click.echo(f"  CONFLICT with {c['claim']} (stored {c['stored']}, file {c['imported']}); "
                   f"review item {c['review_item']}: {c['row']}")
    for name in report.review:
        click.echo(f"  review: {name!r}")
    if report.unresolved:
        click.echo(f"  not in the store ({len(report.unresolved)}): "
                   + "; ".join(report.unresolved[:30]) + (" ..." if len(report.unresolved) > 30 else ""))
    for err in report.errors[:20]:
        click.echo(f"  skipped: {err}", err=True)


def _run(ctx, fn, *args, as_json: bool = False, **kwargs) -> None:  # noqa: ANN001
    from veeduria.importers.common import ImportDataError

    try:
        with ctx.store.session() as session:
            report = fn(session, *args, **kwargs)
    except ImportDataError as exc:
        _fail(f"{exc} (nothing was imported)")
    _print_report(report, as_json)


FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
ACCEPT = click.option("--accept", is_flag=True, help="Store the claims as accepted, not candidates.")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")


@click.command("cgit")
@FILE
@click.option("--country", help="Only rows about this host country (ISO alpha-2, e.g. PE).")
@ACCEPT
@JSON
@click.pass_obj
def import_cgit_cmd(ctx, file: Path, country: str | None, accept: bool, as_json: bool) -> None:
    """AEI China Global Investment Tracker table (CSV)."""
    from veeduria.importers.cgit import import_cgit

    _run(ctx, import_cgit, file, country=country, accept=accept, as_json=as_json)


@click.command("aiddata")
@FILE
@click.option("--country", help="Only projects in this recipient country (ISO alpha-2).")
@ACCEPT
@JSON
@click.pass_obj
def import_aiddata_cmd(ctx, file: Path, country: str | None, accept: bool, as_json: bool) -> None:
    """AidData GCDF 2.0 workbook/CSV, the geocoded final_df, or the GCOF aiddf table."""
    from veeduria.importers.aiddata import import_aiddata

    _run(ctx, import_aiddata, file, country=country, accept=accept, as_json=as_json)


@click.command("designations")
@FILE
@click.option("--list", "list_id", required=True, help="dod-1260h | fcc | ndaa-889 | ndaa-1286 | sasac")
@ACCEPT
@JSON
@click.pass_obj
def import_designations_cmd(ctx, file: Path, list_id: str, accept: bool, as_json: bool) -> None:
    """A designation list: only entities the store knows (confidently) are designated."""
    from veeduria.importers.designations import import_designations

    _run(ctx, import_designations, file, list_id, accept=accept, as_json=as_json)


@click.command("event")
@click.argument("event_id")
@click.option("--merge", "merge_with", help="Merge this other event into it.")
@click.option("--split", "split_claims", multiple=True, help="Move this claim out into its own event (repeatable).")
@click.option("--decide", "field", type=click.Choice(["actor", "amount", "date", "share"]),
              help="Settle the event's conflict on this field (with --claim).")
@click.option("--claim", "claim_id", help="With --decide: the claim whose value stands.")
@click.option("--reason", help="Why (required for --merge, --split, --decide).")
@click.option("--json", "as_json", is_flag=True)
@ACTOR
@click.pass_obj
def event(ctx, event_id: str, merge_with: str | None, split_claims: tuple[str, ...], field: str | None,
          claim_id: str | None, reason: str | None, as_json: bool, actor: str) -> None:
    """One event: its claims and why they were grouped, independent sources, the figure
    counted, and where sources disagree. --merge, --split and --decide record judgements."""
    from veeduria.resolve import events as E

    acting = bool(merge_with or split_claims or field)
    if acting and not (reason or "").strip():
        _fail("--reason is required to merge, split or decide")
    if field and not claim_id:
        _fail("--decide needs --claim (the claim whose value stands)")
    try:
        with (ctx.store.session() if acting else ctx.store.reader()) as session:
            ev = E.get_event(session, event_id)
            if merge_with:
                j = E.merge_events(session, ev, E.get_event(session, merge_with), actor, reason or "")
                click.echo(f"judgement {j.id}: merged {merge_with} into {ev.id}")
            elif split_claims:
                j = E.split_event(session, ev, list(split_claims), actor, reason or "")
                click.echo(f"judgement {j.id}: {', '.join(split_claims)} split from {ev.id}")
            elif field:
                j = E.decide_conflict(session, ev, field, claim_id or "", actor, reason or "")
                click.echo(f"judgement {j.id}: {field} of {ev.id} decided for {claim_id}")
            if acting:
                session.flush()
                ev = E.get_event(session, ev.id if not split_claims else ev.id)
            if as_json:
                click.echo(json.dumps(ev.to_dict(), ensure_ascii=False, indent=2, default=str))
            else:
                click.echo("\n".join(E.event_lines(session, ev)))
    except E.EventError as exc:
        _fail(str(exc))


@click.command("events")
@click.argument("name", required=False)
@click.option("--all", "everything", is_flag=True, help="Also events told by a single claim.")
@click.option("--conflicts", is_flag=True, help="Only events whose sources disagree.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def events_cmd(ctx, name: str | None, everything: bool, conflicts: bool, as_json: bool) -> None:
    """Events (about entity NAME): claims of several sources grouped as one event, with
    corroboration and conflicts. Without --all, only events of two or more claims."""
    from veeduria.query import find_entity
    from veeduria.resolve import events as E

    with ctx.store.reader() as session:
        if name:
            ent = find_entity(session, name)
            if ent is None:
                _fail(f"no entity matches {name!r}")
            found = E.events_for_entities(session, [ent.id])
        else:
            found = E.all_events(session)
    if not everything and not name:
        found = [ev for ev in found if len(ev.members) > 1]
    if conflicts:
        found = [ev for ev in found if ev.conflicts]
    if as_json:
        click.echo(json.dumps([ev.to_dict() for ev in found], ensure_ascii=False, indent=2, default=str))
        return
    if not found:
        click.echo("no events")
    for ev in found:
        flags = f"; {len(ev.conflicts)} conflict(s): {', '.join(c.field for c in ev.conflicts)}" if ev.conflicts else ""
        amount = f"; counted {E._money(ev.amount_usd)}" if ev.amount_usd is not None else ""
        click.echo(f"{ev.id}  {ev.title()}  [{len(ev.members)} claims, {ev.corroboration} "
                   f"independent source(s){amount}{flags}]")
