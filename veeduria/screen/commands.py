"""Commands: `veeduria screen`, `rules`, `indicators`, `network`, `exposure` and
`export findings` (docs/cli-screen.md)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click

LANG = click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True,
                    help="Language of titles and explanations.")
RULES = click.option("--rules", "rule_dirs", multiple=True, envvar="VEEDURIA_RULES",
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Extra folder of rule YAML files (repeatable; also $VEEDURIA_RULES).")


def register(cli: click.Group) -> None:
    for cmd in (screen, rules_cmd, indicators, network, exposure):
        cli.add_command(cmd)
    if "export" in cli.commands:
        cli.commands["export"].add_command(export_findings)


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None):  # noqa: ANN202
    from veeduria.export.delta import parse_since

    try:
        return parse_since(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _rules(dirs: tuple[Path, ...]):  # noqa: ANN202
    from veeduria.screen.rules import PACKAGED_RULES, RuleError, load_rule_dirs

    try:
        # $VEEDURIA_RULES already arrives through the option's envvar.
        return load_rule_dirs([PACKAGED_RULES, *dirs])
    except RuleError as exc:
        _fail(str(exc))


def _out(output: str | None):  # noqa: ANN202
    if output in (None, "-"):
        return contextlib.nullcontext(sys.stdout)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    return open(output, "w", encoding="utf-8", newline="")


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.command()
@click.argument("name", required=False)
@click.option("--deal", "deal_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Screen a proposed deal described in YAML (nothing is written).")
@LANG
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@RULES
@click.pass_obj
def screen(ctx, name: str | None, deal_file: Path | None, lang: str, as_json: bool,
           rule_dirs: tuple[Path, ...]) -> None:
    """Warning signs for a project, firm or deal: findings with evidence, chain of owners,
    money in and out, timeline. Without NAME or --deal: every finding in the store."""
    from veeduria.screen.render import findings_text, scorecard_text

    rules = _rules(rule_dirs)
    if deal_file is not None:
        from veeduria.screen.deal import DealError, read_deal, screen_deal

        try:
            doc = read_deal(deal_file)
            with ctx.store.reader() as session:
                card = screen_deal(doc, session, rules=rules, lang=lang)
        except DealError as exc:
            _fail(str(exc))
        _dump(card) if as_json else click.echo(scorecard_text(card))
        return
    with ctx.store.reader() as session:
        if name is None:
            from veeduria.screen.engine import run_screening

            found = [f.to_dict(lang) for f in run_screening(session, rules)]
            _dump(found) if as_json else click.echo(findings_text(found, lang))
            return
        from veeduria.screen.scorecard import scorecard

        try:
            card = scorecard(session, name, lang=lang, rules=rules)
        except LookupError as exc:
            _fail(str(exc))
    _dump(card) if as_json else click.echo(scorecard_text(card))


@click.command("rules")
@LANG
@RULES
def rules_cmd(lang: str, rule_dirs: tuple[Path, ...]) -> None:
    """List the screening rules in use (packaged and the user's); checks the user's files."""
    for r in sorted(_rules(rule_dirs), key=lambda r: (r.category, r.id)):
        click.echo(f"{r.id:<34} {r.severity:<7} {r.category:<15} {r.title(lang)}")


@click.command()
@click.option("--by", type=click.Choice(["domain", "sector", "year"]), default="domain",
              show_default=True)
@click.option("--format", "fmt_", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("-o", "--output", help="Output file (default: stdout).")
@click.option("--country", help="Only claims about this host country (ISO alpha-2).")
@click.option("--since", help="Only claims dated on or after YYYY[-MM[-DD]].")
@LANG
@click.pass_obj
def indicators(ctx, by: str, fmt_: str, output: str | None, country: str | None,
               since: str | None, lang: str) -> None:
    """Exposure indicators per domain, sector or year, each figure with its claims."""
    from veeduria.screen.indicators import compute
    from veeduria.screen.render import table
    from veeduria.text import parse_partial_date

    if since:
        try:
            since = parse_partial_date(since)[2]
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
    with ctx.store.reader() as session:
        ind = compute(session, country=country, since=since)
    rows = ind.rows(by, lang)
    with _out(output) as out:
        if fmt_ == "json":
            out.write(json.dumps(ind.to_dict(), indent=2, ensure_ascii=False) + "\n")
        elif fmt_ == "csv":
            from veeduria.export.csv_safe import write_dicts

            write_dicts(out, list(rows[0]) if rows else [by], rows)
        else:
            cols = [by, "claims", "foreign_firms", "committed_usd", "invested_usd", "arbitration_cases"]
            from veeduria import lang as lang_

            shown = [{**r, "committed_usd": lang_.money(r["committed_usd"], "USD", lang) or "0",
                      "invested_usd": lang_.money(r["invested_usd"], "USD", lang) or "0"} for r in rows]
            out.write(table(shown, cols) + "\n")
            shares = [(r[by], r["shares"]) for r in rows if r["shares"] and r["key"] != "total"]
            if shares:
                out.write("\nstated shares:\n" if lang == "en" else "\nparticipaciones declaradas:\n")
                for key, text in shares:
                    out.write(f"  {key}: {text}\n")
    if output not in (None, "-"):
        click.echo(f"{len(rows)} rows written to {output}", err=True)


@click.command()
@click.option("-o", "--output", help="Write the graph: FILE.graphml or FILE.gexf.")
@click.option("--path", "path_ends", nargs=2, metavar="FROM TO",
              help="Shortest paths between two actors (ids or names).")
@click.option("--top", default=15, show_default=True, help="How many central actors to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def network(ctx, output: str | None, path_ends: tuple[str, str] | None, top: int, as_json: bool) -> None:
    """The influence network: central actors, paths from foreign state organs to host
    institutions; export to GraphML or GEXF."""
    from veeduria.query import find_entity
    from veeduria.screen.network import (
        build_graph,
        centrality,
        influence_paths,
        path_edges,
        paths,
        write_graph,
    )

    with ctx.store.reader() as session:
        g = build_graph(session)
        ends = []
        for name in path_ends or ():
            ent = find_entity(session, name)
            if ent is None:
                _fail(f"no entity matches {name!r}")
            ends.append(ent.id)
    if output:
        try:
            kind = write_graph(g, output)
        except ValueError as exc:
            _fail(str(exc))
        click.echo(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges written to {output} ({kind})",
                   err=True)
    label = lambda n: g.nodes[n].get("label", n) if n in g else n  # noqa: E731
    if ends:
        try:
            found = paths(g, ends[0], ends[1])
        except KeyError as exc:
            _fail(f"{exc.args[0]} has no claims linking it to anyone")
        data = [{"path": p, "hops": path_edges(g, p)} for p in found]
        if as_json:
            _dump(data)
        elif not found:
            click.echo("no path")
        for item in data if not as_json else ():
            click.echo(" -> ".join(label(n) for n in item["path"]))
            for hop in item["hops"]:
                click.echo(f"     {label(hop['from'])} / {label(hop['to'])}: "
                           f"{', '.join(hop['predicates'])} [{', '.join(hop['claims'])}]")
        return
    central = centrality(g, top)
    routes = influence_paths(g)
    if as_json:
        _dump({"nodes": g.number_of_nodes(), "edges": g.number_of_edges(), "central": central,
               "paths": routes})
        return
    click.echo(f"{g.number_of_nodes()} actors, {g.number_of_edges()} links")
    click.echo("\nmost central actors (betweenness, degree):")
    for r in central:
        click.echo(f"  {r['betweenness']:.3f}  {r['degree']:.3f}  {r['name']}  ({r['actor_type']})")
    if routes:
        click.echo("\npaths from foreign state organs to host institutions:")
        for r in routes:
            click.echo("  " + " -> ".join(label(n) for n in r["path"]))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@LANG
@RULES
@click.pass_obj
def exposure(ctx, as_json: bool, lang: str, rule_dirs: tuple[Path, ...]) -> None:
    """Data-exposure matrix: firm x data category x legal obligation, with evidence."""
    from veeduria.screen.exposure import data_exposure
    from veeduria.screen.render import table

    with ctx.store.reader() as session:
        rows = [r.to_dict(lang) for r in data_exposure(session, _rules(rule_dirs))]
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo("no exposure found" if lang == "en" else "no se halló exposición")
        return
    shown = [{"firm": r["firm"]["name"], "data": r["category_label"],
              "obligation": "; ".join(o["text"] for o in r["obligations"])[:90],
              "evidence": " ".join(r["evidence"])} for r in rows]
    click.echo(table(shown, ["firm", "data", "obligation", "evidence"]))


@click.command("findings")
@click.option("-o", "--output", help="Output file (default: stdout).")
@LANG
@RULES
@click.option("--since", callback=_since, metavar="TIMESTAMP",
              help="Only findings with evidence written or changed since then (ISO, UTC).")
@click.pass_obj
def export_findings(ctx, output: str | None, lang: str, rule_dirs: tuple[Path, ...], since) -> None:  # noqa: ANN001
    """Findings as JSON Lines: id, rule, title, severity, target, evidence, explanation.
    With --since, only findings some of whose evidence changed since then."""
    from veeduria.export.delta import findings_since
    from veeduria.screen.engine import run_screening

    rules = _rules(rule_dirs)
    with ctx.store.reader() as session:
        found = findings_since(session, run_screening(session, rules), since)
    with _out(output) as out:
        for f in found:
            out.write(json.dumps(f.to_dict(lang), ensure_ascii=False) + "\n")
    click.echo(f"{len(found)} findings written", err=True)
