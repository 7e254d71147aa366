"""`veeduria monitor ...` (polled sources), `veeduria watch ...` (watchlists) and
`veeduria alerts ...` (the inbox on the command line)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click


def register(cli: click.Group) -> None:
    cli.add_command(monitor)
    cli.add_command(watch)
    cli.add_command(alerts)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


# --- monitor --------------------------------------------------------------------------------------

@click.group()
def monitor() -> None:
    """Monitored sources: RSS/Atom feeds, web pages and folders polled into the store."""


@monitor.command("add")
@click.argument("location", metavar="URL|DIR")
@click.option("--every", default="1h", show_default=True, help="Poll interval: 15m, 1h, 1d ...")
@click.option("--language", help="ISO 639-1 code of the items (detected when not given).")
@click.option("--kind", type=click.Choice(["auto", "feed", "page"]),
              help="A URL's kind (default: found on the first poll).")
@click.pass_obj
def monitor_add(ctx, location: str, every: str, language: str | None, kind: str | None) -> None:
    """Register a feed, a web page or a folder to poll."""
    from veeduria.monitor.poll import MonitorError, add_source, every_text

    try:
        with ctx.store.session() as s:
            src = add_source(s, location, every=every, language=language, kind=kind)
            sid, loc, kind_, secs = src.id, src.location, src.kind, src.every_seconds
    except MonitorError as exc:
        _fail(str(exc))
    click.echo(f"monitor {sid}: {loc} ({kind_}, every {every_text(secs)}); due now")


@monitor.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--errors", is_flag=True, help="Also list the items that failed.")
@click.pass_obj
def monitor_list(ctx, as_json: bool, errors: bool) -> None:
    """Monitored sources with their state: last check, items, failures and back-off."""
    from veeduria.monitor.poll import every_text, item_errors, source_rows

    with ctx.store.reader() as s:
        rows = source_rows(s)
        failed = {r["id"]: [(i.url, i.error, i.attempts) for i in item_errors(s, r["id"])]
                  for r in rows} if errors or as_json else {}
    if as_json:
        for r in rows:
            r["failed_items"] = [{"url": u, "error": e, "attempts": n} for u, e, n in failed.get(r["id"], [])]
        click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        click.echo("no monitored sources (`veeduria monitor add URL|DIR`)")
    for r in rows:
        state = "ok" if not r["failures"] else f"FAILING x{r['failures']}"
        click.echo(f"{r['id']:>3} {r['kind']:<6} every {every_text(r['every_seconds']):<4} {state:<12} "
                   f"{r['location']}")
        click.echo(f"      last check {_when(r['last_checked'])}, last success {_when(r['last_success'])}, "
                   f"next {_when(r['next_due'])}; {r['ingested']} ingested, {r['known']} already known, "
                   f"{r['item_errors']} item errors")
        if r["last_error"]:
            click.echo(f"      error: {r['last_error']}")
        for url, err, n in failed.get(r["id"], []):
            click.echo(f"      item {url}: {err} ({n} attempts)")


@monitor.command("remove")
@click.argument("ref", metavar="ID|URL|DIR")
@click.pass_obj
def monitor_remove(ctx, ref: str) -> None:
    """Stop monitoring a source (what it ingested stays)."""
    from veeduria.monitor.poll import MonitorError, remove_source

    try:
        with ctx.store.session() as s:
            loc = remove_source(s, ref).location
    except MonitorError as exc:
        _fail(str(exc))
    click.echo(f"removed {loc}")


SMTP_OPTIONS = [
    click.option("--smtp-host", help="SMTP server for e-mail digests (default: $VEEDURIA_SMTP_HOST)."),
    click.option("--smtp-port", type=int, help="Default: $VEEDURIA_SMTP_PORT or 25."),
    click.option("--smtp-from", help="Sender address (default: $VEEDURIA_SMTP_FROM)."),
    click.option("--smtp-user", help="Login (default: $VEEDURIA_SMTP_USER; password in $VEEDURIA_SMTP_PASSWORD)."),
    click.option("--smtp-starttls", is_flag=True, help="STARTTLS after connecting ($VEEDURIA_SMTP_STARTTLS=1)."),
    click.option("--base-url", envvar="VEEDURIA_BASE_URL", default="http://127.0.0.1:8000", show_default=True,
                 help="Public address of the web app, for links in e-mails, feeds and webhooks."),
]


def smtp_options(fn: Any) -> Any:
    for opt in reversed(SMTP_OPTIONS):
        fn = opt(fn)
    return fn


def smtp_settings(smtp_host: str | None, smtp_port: int | None, smtp_from: str | None,
                  smtp_user: str | None, smtp_starttls: bool) -> Any:
    from veeduria.monitor.deliver import SmtpSettings

    try:
        return SmtpSettings.from_env(host=smtp_host, port=smtp_port, sender=smtp_from, user=smtp_user,
                                     starttls=smtp_starttls)
    except ValueError as exc:
        _fail(str(exc))


def report_cycle(result: Any, echo: Any = click.echo) -> None:
    for o in result.sources:
        if o.status == "error":
            echo(f"monitor {o.id} {o.location}: FAILED: {o.error}")
        else:
            bad = [i for i in o.items if i.status == "error"]
            echo(f"monitor {o.id} {o.location}: {o.status}, {o.ingested} new items, {o.claims} candidate "
                 f"claims, {len(o.items) - o.ingested - len(bad)} already known, {len(bad)} item errors")
            for i in bad:
                echo(f"  item {i.url}: {i.note}")
    for name, n in sorted(result.alerts.new.items()):
        echo(f"watchlist {name}: {n} new alerts")
    d = result.delivery
    if d.emails or d.webhooks:
        echo(f"delivered: {d.emails} e-mail digests ({d.emailed_alerts} alerts), {d.webhooks} webhook "
             f"calls ({d.webhook_alerts} alerts)")
    for err in d.errors:
        echo(f"delivery failed: {err}")


@monitor.command("run")
@click.option("--once", is_flag=True, help="One cycle, then exit (for cron).")
@click.option("--all", "force", is_flag=True, help="Poll every source, due or not.")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds per HTTP request.")
@click.option("--host-interval", default=2.0, show_default=True,
              help="Seconds between two requests to one host.")
@click.option("--max-items", default=50, show_default=True, help="New items per source and cycle.")
@click.option("--user-agent", help="User-Agent sent (robots.txt rules are read for it).")
@smtp_options
@click.pass_obj
def monitor_run(ctx, once: bool, force: bool, timeout: float, host_interval: float, max_items: int,
                user_agent: str | None, smtp_host, smtp_port, smtp_from, smtp_user, smtp_starttls,
                base_url: str) -> None:
    """Poll the sources that are due, ingest new items, raise and deliver alerts. Without
    --once, keeps doing so until interrupted."""
    import threading

    from veeduria.monitor.poll import PollOptions
    from veeduria.monitor.runner import cycle, loop

    options = PollOptions(timeout=timeout, interval=host_interval, max_items=max_items)
    if user_agent:
        options.user_agent = user_agent
    smtp = smtp_settings(smtp_host, smtp_port, smtp_from, smtp_user, smtp_starttls)
    if once:
        result = cycle(ctx.store, options=options, smtp=smtp, base=base_url, force=force)
        report_cycle(result)
        if not result.sources:
            click.echo("no source was due")
        return
    stop = threading.Event()
    click.echo("monitor: running (Ctrl+C stops)")
    try:
        loop(ctx.store, stop, options=options, smtp=smtp, base=base_url, report=report_cycle)
    except KeyboardInterrupt:
        stop.set()


# --- watch ----------------------------------------------------------------------------------------

@click.group()
def watch() -> None:
    """Watchlists: follow entities (with what they own, or their owners), rules, domains
    or countries, and get alerts when something new touches them."""


def _user_id(session: Any, username: str | None) -> int | None:
    if not username:
        return None
    from sqlalchemy import select

    from veeduria.store.models import Base

    users = Base.metadata.tables.get("users")
    if users is None:  # the web layer's table is not loaded: read it directly
        from sqlalchemy import Column, Integer, MetaData, String, Table

        users = Table("users", MetaData(), Column("id", Integer), Column("username", String))
    uid = session.scalar(select(users.c.id).where(users.c.username == username))
    if uid is None:
        _fail(f"no user {username!r} (`veeduria user add`)")
    return uid


@watch.command("add")
@click.argument("name", required=False)
@click.option("--list", "list_name", default="default", show_default=True, help="Watchlist to add to.")
@click.option("--chain", is_flag=True, help="Also everything the entity owns, down the chain.")
@click.option("--owners", is_flag=True, help="Also the entity's chain of owners.")
@click.option("--rules", "rules", multiple=True, metavar="R", help="Follow findings of a screening rule.")
@click.option("--domain", "domains", multiple=True, metavar="D", help="Follow claims in a domain.")
@click.option("--country", "countries", multiple=True, metavar="CC", help="Follow a country (ISO alpha-2).")
@click.option("--email", help="Send e-mail digests of this watchlist's alerts here ('' stops).")
@click.option("--webhook", help="POST this watchlist's alerts (JSON, signed) to this URL ('' stops).")
@click.option("--webhook-secret", help="HMAC-SHA256 key for the webhook (default: generated).")
@click.option("--user", "username", help="Web user who owns the watchlist (their inbox shows it).")
@click.pass_obj
def watch_add(ctx, name: str | None, list_name: str, chain: bool, owners: bool, rules: tuple[str, ...],
              domains: tuple[str, ...], countries: tuple[str, ...], email: str | None,
              webhook: str | None, webhook_secret: str | None, username: str | None) -> None:
    """Follow NAME (an entity: id or name) and/or rules, domains, countries."""
    from veeduria.monitor.watch import WatchError, add_target, describe, ensure_watchlist

    if not (name or rules or domains or countries or email is not None or webhook is not None):
        _fail("name an entity, or give --rules, --domain or --country")
    if (chain or owners) and not name:
        _fail("--chain and --owners apply to an entity: name one")
    try:
        with ctx.store.session() as s:
            uid = _user_id(s, username)
            wl = ensure_watchlist(s, list_name, user_id=uid, email=email, webhook_url=webhook,
                                  webhook_secret=webhook_secret)
            added = []
            if name:
                added.append(add_target(s, wl, "entity", name, owned=chain, owners=owners))
            added += [add_target(s, wl, "rule", r) for r in rules]
            added += [add_target(s, wl, "domain", d) for d in domains]
            added += [add_target(s, wl, "country", c) for c in countries]
            lines = [describe(s, t) for t in added]
            token, secret = wl.token, wl.webhook_secret if webhook else None
    except WatchError as exc:
        _fail(str(exc))
    for line in lines:
        click.echo(f"{list_name}: follows {line}")
    click.echo(f"{list_name}: Atom feed at /watch/feed/{token}.atom")
    if secret:
        click.echo(f"{list_name}: webhook signing key {secret}")


@watch.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def watch_list(ctx, as_json: bool) -> None:
    """Watchlists, what they follow, unread alerts and their feed address."""
    from veeduria.monitor.alerts import unread_counts
    from veeduria.monitor.watch import describe, watchlists

    with ctx.store.reader() as s:
        lists = watchlists(s, everyone=True)
        unread = unread_counts(s, [w.id for w in lists])
        data = [{"id": w.id, "name": w.name, "user_id": w.user_id, "email": w.email,
                 "webhook": w.webhook_url, "feed": f"/watch/feed/{w.token}.atom",
                 "unread": unread.get(w.id, 0), "follows": [describe(s, t) for t in w.targets],
                 "checked_until": w.checked_until, "delivery_error": w.last_delivery_error}
                for w in lists]
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    if not data:
        click.echo("no watchlists (`veeduria watch add NAME`)")
    for d in data:
        owner = f", user {d['user_id']}" if d["user_id"] else ""
        click.echo(f"{d['name']} ({d['unread']} unread{owner}) feed {d['feed']}")
        for line in d["follows"]:
            click.echo(f"    {line}")
        if d["email"]:
            click.echo(f"    e-mail to {d['email']}")
        if d["webhook"]:
            click.echo(f"    webhook {d['webhook']}")
        if d["delivery_error"]:
            click.echo(f"    last delivery error: {d['delivery_error']}")


@watch.command("remove")
@click.argument("name")
@click.option("--list", "list_name", default="default", show_default=True)
@click.option("--user", "username", help="The web user who owns the watchlist.")
@click.option("--all", "whole", is_flag=True, help="Delete the whole watchlist NAME and its alerts.")
@click.pass_obj
def watch_remove(ctx, name: str, list_name: str, username: str | None, whole: bool) -> None:
    """Stop following NAME (entity, rule, domain or country) on a watchlist; with --all,
    delete the watchlist NAME."""
    from veeduria.monitor.watch import WatchError, get_watchlist, remove_target

    try:
        with ctx.store.session() as s:
            uid = _user_id(s, username)
            wl = get_watchlist(s, name if whole else list_name, uid)
            if wl is None:
                raise WatchError(f"no watchlist {name if whole else list_name!r}")
            if whole:
                s.delete(wl)
                click.echo(f"watchlist {name} deleted")
                return
            t = remove_target(s, wl, name)
            click.echo(f"{list_name}: no longer follows {t.kind} {t.value}")
    except WatchError as exc:
        _fail(str(exc))


@watch.command("feed")
@click.argument("list_name", default="default")
@click.option("--user", "username")
@click.option("--base-url", envvar="VEEDURIA_BASE_URL", default="http://127.0.0.1:8000", show_default=True)
@click.pass_obj
def watch_feed(ctx, list_name: str, username: str | None, base_url: str) -> None:
    """Print a watchlist's Atom feed (e.g. to publish it as a static file)."""
    from veeduria.monitor.deliver import atom_feed
    from veeduria.monitor.watch import get_watchlist

    with ctx.store.reader() as s:
        wl = get_watchlist(s, list_name, _user_id(s, username))
        if wl is None:
            _fail(f"no watchlist {list_name!r}")
        sys.stdout.buffer.write(atom_feed(s, wl, base_url.rstrip("/")))


# --- alerts -------------------------------------------------------------------------------------------

@click.group(invoke_without_command=True)
@click.option("--list", "list_name", help="Only this watchlist.")
@click.option("--unread", is_flag=True, help="Only unread alerts.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def alerts(click_ctx: click.Context, list_name: str | None, unread: bool, limit: int, as_json: bool) -> None:
    """The alerts inbox; `alerts check` looks for new ones, `alerts read` marks them read."""
    if click_ctx.invoked_subcommand is not None:
        return
    from veeduria.monitor.alerts import alert_dict, alerts_of
    from veeduria.monitor.watch import watchlists

    with click_ctx.obj.store.reader() as s:
        lists = [w for w in watchlists(s, everyone=True) if not list_name or w.name == list_name]
        if list_name and not lists:
            _fail(f"no watchlist {list_name!r}")
        names = {w.id: w.name for w in lists}
        found = alerts_of(s, list(names), unread=unread, limit=limit)
        rows = [{**alert_dict(a), "watchlist": names[a.watchlist_id]} for a in found]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no alerts")
    for r in rows:
        mark = " " if r["read"] else "*"
        click.echo(f"{mark}{r['id']:>5} {r['created_at'][:16]} [{r['watchlist']}] {r['title']}")
        if r["reason"]:
            click.echo(f"        why: {r['reason']}")
        if r["quote"]:
            click.echo(f"        \"{r['quote']}\"")
        src = r["source"]
        click.echo(f"        source: {src['title'] or src['id']}{'  ' + src['url'] if src['url'] else ''}")


@alerts.command("read")
@click.argument("ids", nargs=-1, type=int)
@click.option("--list", "list_name", help="Only this watchlist.")
@click.pass_obj
def alerts_read(ctx, ids: tuple[int, ...], list_name: str | None) -> None:
    """Mark alerts read (all of them, or those with these ids)."""
    from veeduria.monitor.alerts import mark_read
    from veeduria.monitor.watch import watchlists

    with ctx.store.session() as s:
        lists = [w.id for w in watchlists(s, everyone=True) if not list_name or w.name == list_name]
        n = mark_read(s, lists, list(ids) if ids else None)
    click.echo(f"{n} alerts marked read")


@alerts.command("check")
@smtp_options
@click.pass_obj
def alerts_check(ctx, smtp_host, smtp_port, smtp_from, smtp_user, smtp_starttls, base_url: str) -> None:
    """Look for new alerts (after an ingest, a review or an import) and deliver them,
    without polling sources."""
    from veeduria.monitor.alerts import check
    from veeduria.monitor.deliver import deliver
    from veeduria.monitor.runner import CycleResult

    smtp = smtp_settings(smtp_host, smtp_port, smtp_from, smtp_user, smtp_starttls)
    result = CycleResult(alerts=check(ctx.store))
    result.delivery = deliver(ctx.store, smtp, base_url)
    report_cycle(result)
    if not result.alerts.total:
        click.echo("no new alerts")
