"""`veeduria ingest-batch`: corpus-scale ingest on a Dask cluster, a local cluster, or in
this process, written to the store in batches (see docs/scale.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from veeduria.sources.commands import check_published
from veeduria.sources.document import DEFAULT_MAX_BYTES


def register(cli: click.Group) -> None:
    cli.add_command(ingest_batch)
    extend_ingest(cli)


def extend_ingest(cli: click.Group) -> None:
    """Give `veeduria ingest` (veeduria.sources.commands) the options --dask and --workers:
    with either, the files go through the batch path; without, the command is unchanged."""
    cmd = cli.commands.get("ingest")
    if cmd is None or cmd.callback is None or any(p.name == "scheduler" for p in cmd.params):
        return
    sequential = cmd.callback
    cmd.params += [
        click.Option(["--dask", "scheduler"], metavar="ADDRESS",
                     help="Extract on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786); "
                          "results are written in batches (see docs/scale.md)."),
        click.Option(["--workers"], type=click.IntRange(min=0), default=0,
                     help="Extract on a local Dask cluster of N worker processes."),
    ]

    def callback(*args: Any, scheduler: str | None = None, workers: int = 0, **kwargs: Any) -> Any:
        if not scheduler and not workers:
            return sequential(*args, **kwargs)
        return _ingest_on_dask(scheduler, workers, kwargs)

    cmd.callback = callback


def _ingest_on_dask(scheduler: str | None, workers: int, options: dict[str, Any]) -> None:
    from veeduria.sources.pipeline import iter_files

    if options.get("source_id") or options.get("no_extract"):
        raise click.UsageError("--source and --no-extract cannot be combined with --dask/--workers")
    # --published and --max-bytes were checked and parsed by the ingest command's options.
    max_bytes = options.get("max_bytes") or DEFAULT_MAX_BYTES
    meta = {k: options.get(k) for k in ("title", "author", "publisher", "published", "url",
                                        "language", "kind")}
    ctx = click.get_current_context().obj
    failed = run_batch(ctx.store, list(iter_files(options["paths"])), meta=meta,
                       actor=options.get("actor") or "cli", max_bytes=max_bytes,
                       scheduler=scheduler, workers=workers or None)
    if failed:
        sys.exit(1)


def run_batch(store: Any, files: list[Path], *, meta: dict[str, Any], actor: str, max_bytes: int,
              scheduler: str | None, workers: int | None, batch_docs: int | None = None) -> int:
    """Run the job and print its summary; returns the number of files that failed. Shared
    with `veeduria ingest --dask/--workers`."""
    from veeduria.scale.dask_ingest import (
        DEFAULT_BATCH_DOCS,
        JobSummary,
        dask_client,
        ingest_corpus,
    )

    def progress(s: JobSummary) -> None:
        rate = s.done / s.seconds if s.seconds else 0.0
        click.echo(f"  {s.done}/{s.files} files, {s.written.claims} claims, {len(s.errors)} errors, "
                   f"{rate:.0f} files/s", err=True)

    kwargs = {"actor": actor, "meta": meta, "max_bytes": max_bytes, "progress": progress,
              "batch_docs": batch_docs or DEFAULT_BATCH_DOCS}
    if scheduler or workers:
        where = f"scheduler {scheduler}" if scheduler else f"local cluster of {workers} worker processes"
        click.echo(f"ingesting {len(files)} files on a {where}", err=True)
        with dask_client(scheduler, workers) as client:
            summary = ingest_corpus(store, files, client=client, **kwargs)
    else:
        summary = ingest_corpus(store, files, **kwargs)
    for err in summary.errors:
        click.echo(f"error: {err}", err=True)
    for warn in summary.warnings[:20]:
        click.echo(f"warning: {warn}", err=True)
    if len(summary.warnings) > 20:
        click.echo(f"warning: ... and {len(summary.warnings) - 20} more", err=True)
    click.echo(summary.line())
    return len(summary.errors)


@click.command("ingest-batch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dask", "scheduler", metavar="ADDRESS",
              help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786).")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Start a local Dask cluster of N worker processes (0: work in this process).")
@click.option("--batch", "batch_docs", type=click.IntRange(min=1), default=None,
              help="Documents per task and write transaction (default 20).")
@click.option("--published", callback=check_published,
              help="Publication date of every document: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--publisher")
@click.option("--language", help="ISO 639-1 code of every document; detected when not given.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Skip files larger than this many bytes.")
@click.option("--actor", default="cli", show_default=True, help="Who is ingesting (audit trail).")
@click.pass_obj
def ingest_batch(ctx: Any, paths: tuple[Path, ...], scheduler: str | None, workers: int,
                 batch_docs: int | None, published: str | None, publisher: str | None,
                 language: str | None, max_bytes: int, actor: str) -> None:
    """Ingest many documents (directories recursively): extraction runs on Dask workers,
    the store is written in batches. Running it again after a failure finishes the job
    without duplicates."""
    from veeduria.sources.pipeline import iter_files

    files = list(iter_files(paths))
    meta = {"published": published, "publisher": publisher, "language": language}
    failed = run_batch(ctx.store, files, meta=meta, actor=actor, max_bytes=max_bytes,
                       scheduler=scheduler, workers=workers or None, batch_docs=batch_docs)
    if failed:
        sys.exit(1)
