"""Ingesting a corpus on a Dask cluster (or in this process, with the same functions).

The client builds the job's context once (the gazetteer of the store's entities, the
content hashes of documents already stored) and scatters it to every worker. Documents are
partitioned into small tasks; workers read and extract (veeduria.scale.work); the client
takes the results back in document order and writes them in batches with the bulk writer.

Re-running a job is safe: documents whose content is already stored (and extracted) are
skipped by their content hash, claims are keyed by their fingerprint and inserted with
ON CONFLICT DO NOTHING, and each batch is one transaction. A job that failed half-way
finishes on the second run with no duplicates."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from veeduria.extract import METHOD
from veeduria.extract.from_store import gazetteer_from_store
from veeduria.scale.bulk import BatchCounts, BulkWriter
from veeduria.scale.claim_index import entity_claim_index_from_store
from veeduria.scale.work import DONE, KNOWN, DocResult, WorkContext, process_batch
from veeduria.sources.document import DEFAULT_MAX_BYTES
from veeduria.store import Store
from veeduria.store.models import Source

DEFAULT_TASK_DOCS = 16  # documents per Dask task: amortises scheduling, keeps tasks short
DEFAULT_BATCH_DOCS = 200  # documents per write transaction


@dataclass
class JobSummary:
    files: int = 0
    written: BatchCounts = field(default_factory=BatchCounts)
    skipped: int = 0  # already in the store (same content), not extracted again
    fallback: int = 0  # known sources without extraction, handed to the sequential ingest
    words: int = 0  # words of the documents extracted in this run
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.written.documents + self.written.unchanged + self.skipped + self.fallback + len(self.errors)

    def line(self) -> str:
        w = self.written
        return (f"{self.files} files: {w.documents} stored, {self.skipped + w.unchanged} unchanged, "
                f"{len(self.errors)} errors; {self.words} words, {w.claims} candidate claims "
                f"({w.duplicates} restating known claims), {w.entities} new entities "
                f"in {self.seconds:.1f} s")


Progress = Callable[[JobSummary], None]


def job_context(store: Store, *, max_bytes: int = DEFAULT_MAX_BYTES,
                meta: dict[str, Any] | None = None) -> WorkContext:
    """The gazetteer and what is already stored, read once for the whole job."""
    with store.session() as session:
        gazetteer = gazetteer_from_store(session)
        known: dict[str, str] = {}
        for content_hash, src_meta in session.execute(
                select(Source.content_hash, Source.meta).where(Source.content_hash.is_not(None))):
            marker = (src_meta or {}).get("extraction") or {}
            done = marker.get("content_hash") == content_hash and marker.get("method") == METHOD
            if done or known.get(content_hash) != DONE:
                known[content_hash] = DONE if done else KNOWN
    return WorkContext(gazetteer, known, max_bytes, dict(meta or {}))


def partition(paths: Sequence[str], size: int) -> list[list[str]]:
    return [list(paths[i:i + size]) for i in range(0, len(paths), size)]


def _in_process(tasks: list[list[str]], ctx: WorkContext) -> Iterator[list[DocResult]]:
    for task in tasks:
        yield process_batch(task, ctx)


def _on_dask(client: Any, tasks: list[list[str]], ctx: WorkContext, window: int) -> Iterator[list[DocResult]]:
    """Results in task order, with at most `window` tasks in flight so that a slow writer
    does not let results pile up in memory."""
    ctx_future = client.scatter(ctx, broadcast=True, hash=False)
    pending: deque[Any] = deque()
    todo = iter(tasks)
    try:
        for task in todo:
            pending.append(client.submit(process_batch, task, ctx_future, pure=False))
            if len(pending) >= window:
                break
        while pending:
            results = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(client.submit(process_batch, nxt, ctx_future, pure=False))
            yield results
    finally:
        for fut in pending:
            fut.cancel()
        ctx_future.release()


def ingest_corpus(store: Store, paths: Sequence[Path | str], *, actor: str, client: Any = None,
                  meta: dict[str, Any] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                  task_docs: int = DEFAULT_TASK_DOCS, batch_docs: int = DEFAULT_BATCH_DOCS,
                  progress: Progress | None = None) -> JobSummary:
    """Ingest the files `paths` (in this order) with extraction on `client`'s workers (a
    dask.distributed Client), or in this process when `client` is None. Never raises for bad
    input; store errors (and exceptions raised by `progress`) propagate after the batches
    already written are committed."""
    started = time.perf_counter()
    files = [str(p) for p in paths]
    summary = JobSummary(files=len(files))
    ctx = job_context(store, max_bytes=max_bytes, meta=meta)
    with store.session() as session:
        index = entity_claim_index_from_store(session)
    names = {ent_id: info.name for ent_id, info in ctx.gazetteer.entities.items()}
    writer = BulkWriter(store, index, names, actor=actor)
    tasks = partition(files, task_docs)
    if client is None:
        stream = _in_process(tasks, ctx)
    else:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        stream = _on_dask(client, tasks, ctx, window=max(4, 3 * workers))
    batch: list[DocResult] = []

    def flush() -> None:
        if batch:
            summary.written.add(writer.write(batch))
            batch.clear()
            summary.seconds = time.perf_counter() - started
            if progress:
                progress(summary)

    for results in stream:
        for res in results:
            summary.warnings.extend(res.warnings)
            if res.status == "error":
                summary.errors.append(res.error or f"{res.path}: failed")
            elif res.status == DONE:
                summary.skipped += 1
            elif res.status == KNOWN:
                flush()
                _sequential(store, res, summary, actor=actor, meta=meta, max_bytes=max_bytes)
            else:
                summary.words += res.words
                batch.append(res)
        if len(batch) >= batch_docs:
            flush()
    flush()
    summary.seconds = time.perf_counter() - started
    if progress:
        progress(summary)
    return summary


def _sequential(store: Store, res: DocResult, summary: JobSummary, *, actor: str,
                meta: dict[str, Any] | None, max_bytes: int) -> None:
    """A file whose content is a known source never extracted (e.g. a curated source): the
    sequential ingest attaches its text and locates the quotes citing it."""
    from veeduria.sources.pipeline import ingest_file

    result = ingest_file(store, res.path, meta=meta, actor=actor, max_bytes=max_bytes)
    summary.fallback += 1
    summary.warnings.extend(result.warnings)
    summary.errors.extend(result.errors)
    summary.words += result.words if result.ok else 0


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Client on the scheduler at `scheduler`, or on a local cluster of `workers`
    processes with one thread each (extraction is pure Python: threads would share the GIL)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
        yield client
