"""The `veeduria` command line."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import click

from veeduria.store import Store, open_store

# Sub-packages that add commands; each has a `register(cli)` function.
COMMAND_MODULES = (
    "veeduria.sources.commands",
    "veeduria.resolve.commands",
    "veeduria.screen.commands",
    "veeduria.present.commands",
    "veeduria.present.report.commands",
    "veeduria.scale.commands",
    "veeduria.monitor.commands",
)


class Context:
    def __init__(self, db: str | None) -> None:
        self.db = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


class _Group(click.Group):
    """Any command: a store that stays busy (another process writing) is one clear line
    and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        from veeduria.store.busy import busy_message, is_busy

        try:
            return super().invoke(ctx)
        except Exception as exc:
            if isinstance(exc, click.ClickException | click.exceptions.Exit | click.exceptions.Abort):
                raise
            if not is_busy(exc):
                raise
            click.echo(f"error: {busy_message(exc)}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="VEEDURIA_DB", metavar="PATH|URL",
              help="Store: an SQLite file path or SQLAlchemy URL (default: embedded SQLite in "
                   "the user data directory). Also $VEEDURIA_DB.")
@click.version_option(package_name="veeduria")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """veeduria: sourced claims about foreign state-linked investment and influence."""
    ctx.obj = Context(db)


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@cli.command()
@click.argument("cases", nargs=-1)
@click.option("--force", is_flag=True, help="Load even when the files have not changed.")
@pass_ctx
def load(ctx: Context, cases: tuple[str, ...], force: bool) -> None:
    """Load curated cases (default: every packaged case) into the store."""
    from veeduria.cases import available_cases
    from veeduria.cases.loader import CaseDataError, load_case

    for case in cases or available_cases():
        try:
            result = load_case(ctx.store, case, force=force)
        except (CaseDataError, FileNotFoundError) as exc:
            fail(str(exc))
        state = "unchanged, skipped" if result.skipped else "loaded"
        c = result.counts
        click.echo(f"{result.case_id}: {state} ({c['sources']} sources, {c['entities']} entities, "
                   f"{c['claims']} claims)")
    print_stats(ctx.store)


def print_stats(store: Store, as_json: bool = False) -> None:
    from veeduria.query import stats
    from veeduria.vocab import label

    with store.reader() as session:
        data = stats(session)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"store: {store.url}")
    click.echo(f"{data['claims']} accepted claims, {data['entities']} entities, {data['sources']} sources"
               f" (by status: {', '.join(f'{k} {v}' for k, v in sorted(data['by_status'].items()))})")
    click.echo("\nclaims by domain:")
    for key, n in data["by_domain"].items():
        click.echo(f"  {label('domain', key):<22} {n:>6}")
    click.echo("\nclaims by sector:")
    for key, n in data["by_sector"].items():
        click.echo(f"  {label('sector', key) if key != '(none)' else key:<30} {n:>6}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def stats(ctx: Context, as_json: bool) -> None:
    """Claims by domain and sector."""
    print_stats(ctx.store, as_json)


@cli.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def show(ctx: Context, name: str, as_json: bool) -> None:
    """An entity's profile: names, chain of owners, claims by domain. A NAME that fits
    several entities lists them (exit 1); give the id to choose."""
    from veeduria.present.text import profile_dict, profile_text
    from veeduria.query import find_one, profile

    with ctx.store.reader() as session:
        try:
            ent = find_one(session, name)
        except LookupError as exc:
            fail(str(exc))
        prof = profile(session, ent)
        events = _events_of(session, ent.id)
        if as_json:
            out = profile_dict(prof)
            out["events"] = [ev.to_dict() for ev in events]
            out["conflicts"] = [{"event": ev.id, **c.to_dict()} for ev in events for c in ev.conflicts]
            click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        else:
            click.echo(profile_text(prof))
            if events:
                from veeduria.resolve.events import conflict_lines

                click.echo("\nevents told by several claims (veeduria event ID):")
                for ev in events:
                    click.echo(f"  {ev.id}  {ev.title()}  [{ev.corroboration} independent source(s)]")
                    for c in ev.conflicts:
                        click.echo("\n".join(conflict_lines(c, "    ")))


def _events_of(session, entity_id: str) -> list:  # noqa: ANN001
    """The entity's events of two or more claims (empty when resolution is not installed)."""
    try:
        from veeduria.resolve.events import events_for_entities
    except ModuleNotFoundError:
        return []
    return [ev for ev in events_for_entities(session, [entity_id]) if len(ev.members) > 1]


@cli.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True)
@click.option("--kind", type=click.Choice(["entity", "claim", "source"]), multiple=True)
@click.option("--domain", help="Claims of this domain only.")
@click.option("--sector", help="Claims and entities of this sector only.")
@click.option("--country", help="Claims and entities of this country (ISO alpha-2) only.")
@click.option("--from", "date_from", help="From this date (YYYY[-MM[-DD]]; claims and sources).")
@click.option("--to", "date_to", help="Up to this date, inclusive.")
@click.option("--source", help="Claims and text of this source only.")
@click.option("--status", type=click.Choice(["accepted", "candidate", "rejected"]), multiple=True,
              help="Claims of these statuses (default: all).")
@pass_ctx
def search(ctx: Context, text: tuple[str, ...], limit: int, kind: tuple[str, ...], domain: str | None,
           sector: str | None, country: str | None, date_from: str | None, date_to: str | None,
           source: str | None, status: tuple[str, ...]) -> None:
    """Full-text search over entities, claims and sources with their text: case and accents
    ignored, English and Spanish word forms, "quoted phrases". Each hit shows where the
    words are, «marked»."""
    import html

    from veeduria.store.search import Filters, date_cover, parse_query, snippet
    from veeduria.store.search import search as run_search
    from veeduria.vocab import domains, sectors

    if domain and domain not in domains():
        raise click.BadParameter(f"unknown domain {domain!r}; one of: {', '.join(domains())}",
                                 param_hint="--domain")
    if sector and sector not in sectors():
        raise click.BadParameter(f"unknown sector {sector!r}", param_hint="--sector")
    try:
        date_cover(date_from, date_to)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to") from None
    filters = Filters(domain=domain, sector=sector, country=country.upper() if country else None,
                      date_from=date_from, date_to=date_to, source=source, statuses=status or None)
    query = " ".join(text)
    with ctx.store.reader() as session:
        hits = run_search(session, query, kinds=kind or None, limit=limit, filters=filters)
    if not hits:
        click.echo("no matches")
    q = parse_query(query)
    for hit in hits:
        where = f" (text at {hit.at})" if hit.at is not None else ""
        click.echo(f"{hit.kind:<7} {hit.ref_id:<44} {hit.title[:90]}{where}")
        shown = snippet(hit.body, q, width=160)
        if shown:
            plain = html.unescape(str(shown).replace("<mark>", "«").replace("</mark>", "»"))
            click.echo(f"        {' '.join(plain.split())}")


@cli.group()
def export() -> None:
    """Write claims, entities or findings to files."""


def _open_out(output: str | None):
    if output in (None, "-"):
        return open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    return open(output, "w", encoding="utf-8", newline="")


STATUS_OPTION = click.option(
    "--status", "statuses", multiple=True, type=click.Choice(["candidate", "accepted", "rejected"]),
    help="Only claims with this status (repeatable; default: all for claims/csv, accepted for ftm).")


def check_since(_ctx: click.Context, _param: click.Parameter, value: str | None):  # noqa: ANN201
    """Option callback: --since is an ISO date or timestamp (UTC unless it has an offset)."""
    from veeduria.export.delta import parse_since

    try:
        return parse_since(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


SINCE_OPTION = click.option(
    "--since", callback=check_since, metavar="TIMESTAMP",
    help="Only what was written or changed since then (ISO date or time, UTC; e.g. 2026-12-01T08:00Z).")


@export.command("claims")
@click.option("-o", "--output", help="Output file (default: stdout).")
@STATUS_OPTION
@click.option("--domain")
@SINCE_OPTION
@pass_ctx
def export_claims(ctx: Context, output: str | None, statuses: tuple[str, ...], domain: str | None,
                  since) -> None:  # noqa: ANN001
    """Claims as JSON Lines (shared/spec/claims-jsonl.md)."""
    from veeduria.export.claims import write_claims_jsonl

    with ctx.store.reader() as session, _open_out(output) as out:
        n = write_claims_jsonl(session, out, statuses=statuses or None, domain=domain, since=since)
    click.echo(f"{n} claims written", err=True)


@export.command("entities")
@click.option("-o", "--output", help="Output file (default: stdout).")
@SINCE_OPTION
@pass_ctx
def export_entities(ctx: Context, output: str | None, since) -> None:  # noqa: ANN001
    """Entities as JSON Lines (id, schema, names, country, linkage, updated_at)."""
    from veeduria.export.delta import write_entities_jsonl

    with ctx.store.reader() as session, _open_out(output) as out:
        n = write_entities_jsonl(session, out, since)
    click.echo(f"{n} entities written", err=True)


@export.command("ftm")
@click.option("-o", "--output", help="Output file (default: stdout).")
@STATUS_OPTION
@pass_ctx
def export_ftm(ctx: Context, output: str | None, statuses: tuple[str, ...]) -> None:
    """FollowTheMoney entities as JSON Lines (`ftm validate` accepts them)."""
    from veeduria.export.ftm import write_ftm

    with ctx.store.reader() as session, _open_out(output) as out:
        n = write_ftm(session, out, statuses or ("accepted",))
    click.echo(f"{n} FtM entities written", err=True)


@export.command("csv")
@click.option("-o", "--output", help="Output file (default: stdout).")
@click.option("--entities", is_flag=True, help="Entities instead of claims.")
@STATUS_OPTION
@pass_ctx
def export_csv(ctx: Context, output: str | None, entities: bool, statuses: tuple[str, ...]) -> None:
    """Claims (or entities) as CSV for spreadsheets."""
    from veeduria.export.tables import write_claims_csv, write_entities_csv

    with ctx.store.reader() as session, _open_out(output) as out:
        n = write_entities_csv(session, out) if entities else write_claims_csv(session, out, statuses or None)
    click.echo(f"{n} rows written", err=True)


def _register_plugins() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # that stage is not installed yet
            raise
        module.register(cli)


_register_plugins()


def main() -> None:
    cli(prog_name="veeduria")


if __name__ == "__main__":
    main()
