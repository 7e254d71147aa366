"""`veeduria serve` (the web dashboard and API) and `veeduria user add`."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import click


def register(cli: click.Group) -> None:
    cli.add_command(serve)
    cli.add_command(user)
    # The report commands live beside the web app; cli.py loads this module for both.
    try:
        from veeduria.present.report import commands as report_commands
    except ImportError:
        return
    report_commands.register(cli)


def _known_hashes(store) -> set[str]:  # noqa: ANN001
    from sqlalchemy import select

    from veeduria.store.models import Source

    with store.reader() as s:
        return {h for h, has_text in s.execute(select(Source.content_hash, Source.text_length))
                if h and has_text is None}


def attach_texts(store, folders: list[Path], echo=click.echo) -> int:  # noqa: ANN001
    """Ingest the files in `folders` whose sha256 matches a known source that has no text yet,
    so its claims get their offsets. Other files are left alone."""
    from veeduria.sources.document import DocumentError, read_text_file
    from veeduria.sources.store_docs import store_document

    wanted = _known_hashes(store)
    done = 0
    for folder in folders:
        if not folder.is_dir():
            echo(f"texts: {folder} is not a folder; skipped", err=True)
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            if not wanted:
                return done
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                echo(f"texts: cannot read {path}: {exc}", err=True)
                continue
            if digest not in wanted:
                continue
            try:
                doc = read_text_file(path)
            except DocumentError as exc:
                echo(f"texts: {exc}", err=True)
                continue
            with store.session() as s:
                res = store_document(s, doc, "serve")
            wanted.discard(digest)
            done += 1
            echo(f"texts: {path.name} attached to {res.source_id} ({res.located} quotes located)")
    return done


def prepare_store(store, load: bool, texts: list[Path], echo=click.echo) -> None:  # noqa: ANN001
    """Load every packaged case (skipped when unchanged) and attach known texts."""
    if not load:
        return
    from veeduria.cases import available_cases
    from veeduria.cases.loader import CaseDataError, load_case

    for case in available_cases():
        try:
            result = load_case(store, case)
        except (CaseDataError, FileNotFoundError) as exc:
            echo(f"case {case}: not loaded: {exc}", err=True)
            continue
        c = result.counts
        state = "unchanged" if result.skipped else "loaded"
        echo(f"case {result.case_id}: {state} ({c.get('claims', 0)} claims, {c.get('entities', 0)} entities)")
    if texts:
        attach_texts(store, texts, echo)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-load", is_flag=True, help="Do not load the packaged cases first.")
@click.option("--texts", "texts", multiple=True, type=click.Path(path_type=Path),
              help="Folder of source files to attach by sha256 (repeatable; default: $VEEDURIA_TEXTS).")
@click.option("--max-upload-mb", default=20, show_default=True, type=int)
@click.option("--secure-cookies", is_flag=True, help="Mark cookies Secure (behind HTTPS).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A reverse proxy (address or network) whose X-Forwarded-For is believed "
                   "(repeatable; default: $VEEDURIA_TRUSTED_PROXIES, else none).")
@click.option("--monitor", "run_monitor", is_flag=True,
              help="Also poll monitored sources and deliver alerts in the background "
                   "(SMTP settings from $VEEDURIA_SMTP_*; see docs/monitor.md).")
@click.option("--open-access", is_flag=True, envvar="VEEDURIA_OPEN_ACCESS",
              help="Show candidate and rejected claims to every reader, as to editors (a team's "
                   "private instance; default: readers without an editor login see accepted "
                   "claims only). Also $VEEDURIA_OPEN_ACCESS=1.")
@click.pass_obj
def serve(ctx, host: str, port: int, no_load: bool, texts: tuple[Path, ...], max_upload_mb: int,
          secure_cookies: bool, trusted_proxies: tuple[str, ...], run_monitor: bool,
          open_access: bool) -> None:
    """Serve the dashboard and the API (http://127.0.0.1:8000 by default)."""
    import uvicorn

    from veeduria.present.web import Settings, create_app
    from veeduria.present.web.settings import check_networks, load_secret, trusted_proxies_from_env
    from veeduria.store.db import default_db_path

    folders = list(texts) or [Path(p) for p in os.environ.get("VEEDURIA_TEXTS", "").split(os.pathsep) if p]
    store = ctx.store
    prepare_store(store, not no_load, folders)
    secret_path = (Path(store.url.removeprefix("sqlite:///")).parent if store.dialect == "sqlite"
                   else default_db_path().parent) / "web-secret.key"
    try:
        proxies = check_networks(trusted_proxies) if trusted_proxies else trusted_proxies_from_env()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--trusted-proxy") from None
    settings = Settings(secret_key=load_secret(secret_path), max_upload_bytes=max_upload_mb * 1024 * 1024,
                        secure_cookies=secure_cookies, trusted_proxies=proxies, open_access=open_access)
    app = create_app(store, settings=settings)
    stop = None
    if run_monitor:
        from veeduria.monitor.deliver import SmtpSettings
        from veeduria.monitor.runner import start_background

        base = os.environ.get("VEEDURIA_BASE_URL") or f"http://{host}:{port}"
        _, stop = start_background(store, smtp=SmtpSettings.from_env(), base=base)
        click.echo("veeduria: monitor running in the background")
    click.echo(f"veeduria: serving {store.url} at http://{host}:{port}/ (Ctrl+C stops)")
    if open_access:
        click.echo("veeduria: open access: every reader sees candidate and rejected claims")
    try:
        # proxy_headers=False: uvicorn would otherwise take the client address from
        # X-Forwarded-For of any local peer; the app decides whom to believe (client_address).
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False)
    finally:
        if stop is not None:
            stop.set()


@click.group()
def user() -> None:
    """Manage web users (roles: viewer, editor, admin)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def user_add(ctx, name: str, role: str, password_stdin: bool) -> None:
    """Create a user who can log in to the dashboard."""
    from veeduria.present.web.auth import UserError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("no terminal to ask for the password: use --password-stdin")
    try:
        with ctx.store.session() as s:
            add_user(s, name, password, role)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"user {name} added with role {role}")
