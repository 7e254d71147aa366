"""Ingesting a corpus on a Dask cluster (or in this process, with the same functions).

The client builds the job's context once (the gazetteer of the store's entities, the
content hashes of documents already stored, the index of known claims) and scatters it to
every worker. A first pass finds each document's new names (see _on_dask), so every task
starts knowing the names its earlier documents teach, as in the sequential ingest.
Documents are partitioned into small tasks; a task reads, extracts and
writes its documents to the store in one transaction, from the worker, over the worker's
own connection (veeduria.scale.work.process_and_write): writers run in parallel and the
client does no per-row work. The client takes the task reports back in document order and
checks the duplicate links (a candidate restating a claim of an earlier document that
another worker wrote), fixing the few that differ from a sequential run.

Re-running a job is safe: documents whose content is already stored (and extracted) are
skipped by their content hash, claims are keyed by their fingerprint and inserted with
ON CONFLICT DO NOTHING, and each task is one transaction. A job that failed half-way
finishes on the second run with no duplicates."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update

from veeduria.extract import METHOD, EntityInfo
from veeduria.extract.dedupe import key_of
from veeduria.extract.from_store import gazetteer_from_store
from veeduria.scale.bulk import BatchCounts, WrittenClaim
from veeduria.scale.claim_index import EntityClaimIndex, entity_claim_index_from_store
from veeduria.scale.work import (
    DONE,
    KNOWN,
    DocResult,
    TaskReport,
    WorkContext,
    discover_names,
    process_and_write,
)
from veeduria.sources.document import DEFAULT_MAX_BYTES
from veeduria.store import Store
from veeduria.store.models import AuditEvent, Claim, Entity, Source

DEFAULT_TASK_DOCS = 20  # documents per task and write transaction: amortises scheduling and commits
DEFAULT_BATCH_DOCS = DEFAULT_TASK_DOCS  # older name


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
                meta: dict[str, Any] | None = None, actor: str = "ingest") -> WorkContext:
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
        index = entity_claim_index_from_store(session)
        stored = frozenset(session.scalars(select(Entity.id)))
    return WorkContext(gazetteer, known, max_bytes, dict(meta or {}), claim_index=index,
                       store_url=store.engine.url.render_as_string(hide_password=False), actor=actor,
                       stored_entities=stored)


def partition(paths: Sequence[str], size: int) -> list[list[str]]:
    return [list(paths[i:i + size]) for i in range(0, len(paths), size)]


def _in_process(store: Store, tasks: list[list[str]], ctx: WorkContext) -> Iterator[TaskReport]:
    for task in tasks:
        yield process_and_write(task, ctx, store)


def names_before_tasks(tasks: list[list[str]], per_doc: list[list[EntityInfo]]) -> list[list[EntityInfo]]:
    """For each task, the new entities its earlier documents find, in document order and
    each once: what a sequential run's gazetteer has learned when it reaches the task."""
    out, seen, so_far, i = [], set(), [], 0
    for task in tasks:
        out.append(list(so_far))
        for infos in per_doc[i:i + len(task)]:
            for info in infos:
                if info.id not in seen:
                    seen.add(info.id)
                    so_far.append(info)
        i += len(task)
    return out


def _on_dask(client: Any, tasks: list[list[str]], ctx: WorkContext, window: int) -> Iterator[TaskReport]:
    """Reports in task order, with at most `window` tasks in flight.

    Two passes: the first finds each document's new names (in parallel, nothing written),
    so that every task of the second starts knowing the names of the documents before it,
    as the sequential ingest would; without it a name first found in another task's
    document is unknown here, and the claims found through it differ."""
    ctx_future = client.scatter(ctx, broadcast=True, hash=False)
    pending: deque[Any] = deque()
    try:
        before: list[list[EntityInfo]] = [[] for _ in tasks]
        if len(tasks) > 1:
            found = client.gather(client.map(discover_names, tasks[:-1], ctx=ctx_future, pure=False))
            before = names_before_tasks(tasks, [infos for part in found for infos in part] + [[]] * len(tasks[-1]))
        todo = iter(zip(tasks, before, strict=True))
        for task, names in todo:
            pending.append(client.submit(process_and_write, task, ctx_future, before=names, pure=False))
            if len(pending) >= window:
                break
        while pending:
            report = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(client.submit(process_and_write, nxt[0], ctx_future, before=nxt[1], pure=False))
            yield report
    finally:
        for fut in pending:
            fut.cancel()
        ctx_future.release()


class DuplicateLinks:
    """The duplicate links a sequential run would give, decided in document order on the
    client from the claims each writer reports; links a writer could not know (the
    restated claim was written by another worker) are corrected in the store."""

    def __init__(self, index: EntityClaimIndex) -> None:
        self.index = index
        self.fixed = 0  # links corrected so far

    def check(self, store: Store, written: list[WrittenClaim]) -> int:
        """Returns the change in the number of duplicates."""
        fixes: dict[str, str | None] = {}
        net = 0
        for claim in written:
            want = self.index.find(claim.record)
            if want == claim.id:
                want = None
            if want is None:
                self.index.add(key_of(claim.record, claim.id))
            if want != claim.duplicate_of:
                fixes[claim.id] = want
                net += (want is not None) - (claim.duplicate_of is not None)
        if fixes:
            self._apply(store, fixes)
        self.fixed += len(fixes)
        return net

    @staticmethod
    def _apply(store: Store, fixes: dict[str, str | None]) -> None:
        """Three statements for a task's fixes: the claims, then their creation events
        (read, amended as the sequential ingest would have written them, written back)."""
        claims, events = Claim.__table__, AuditEvent.__table__
        with store.engine.begin() as conn:
            conn.execute(update(claims).where(claims.c.id == bindparam("claim_id"))
                         .values(duplicate_of=bindparam("dup")),
                         [{"claim_id": cid, "dup": dup} for cid, dup in fixes.items()])
            rows = conn.execute(select(events.c.id, events.c.object_id, events.c.changes).where(
                events.c.object_type == "claim", events.c.action == "create",
                events.c.object_id.in_(list(fixes)))).all()
            amended = []
            for event_id, claim_id, changes in rows:
                changes = {k: v for k, v in (changes or {}).items() if k != "duplicate_of"}
                if fixes[claim_id]:
                    changes["duplicate_of"] = fixes[claim_id]
                amended.append({"event_id": event_id, "new_changes": changes})
            if amended:
                conn.execute(update(events).where(events.c.id == bindparam("event_id"))
                             .values(changes=bindparam("new_changes")), amended)


def ingest_corpus(store: Store, paths: Sequence[Path | str], *, actor: str, client: Any = None,
                  meta: dict[str, Any] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                  task_docs: int = DEFAULT_TASK_DOCS, batch_docs: int | None = None,
                  progress: Progress | None = None) -> JobSummary:
    """Ingest the files `paths` (in this order), on `client`'s workers (a
    dask.distributed Client), or in this process when `client` is None. Each task of
    `task_docs` documents (`batch_docs` is an older name for it) is one write transaction.
    Never raises for bad input; store errors (and exceptions raised by `progress`)
    propagate after the tasks already written are committed."""
    started = time.perf_counter()
    files = [str(p) for p in paths]
    summary = JobSummary(files=len(files))
    ctx = job_context(store, max_bytes=max_bytes, meta=meta, actor=actor)
    tasks = partition(files, batch_docs or task_docs)
    links = None
    if client is None:
        stream = _in_process(store, tasks, ctx)  # one writer, in order: its links are final
    else:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        # The client's own copy of the index (the workers' copies learn only their claims).
        with store.session() as session:
            links = DuplicateLinks(entity_claim_index_from_store(session))
        stream = _on_dask(client, tasks, ctx, window=max(4, 3 * workers))
    for report in stream:
        summary.written.add(report.counts)
        if links is not None:
            summary.written.duplicates += links.check(store, report.written)
        for res in report.results:
            summary.warnings.extend(res.warnings)
            if res.status == "error":
                summary.errors.append(res.error or f"{res.path}: failed")
            elif res.status == DONE:
                summary.skipped += 1
            elif res.status == KNOWN:
                _sequential(store, res, summary, actor=actor, meta=meta, max_bytes=max_bytes)
            else:
                summary.words += res.words
        summary.seconds = time.perf_counter() - started
        if progress:
            progress(summary)
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
