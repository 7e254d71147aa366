"""Ingest throughput against the number of Dask workers, into PostgreSQL.

    .venv/bin/python benchmarks/bench_scale_ingest.py [--docs 1500] [--words 600]
        [--workers 1 2] [--scheduler tcp://host:8786]

Writes a synthetic corpus (English and Spanish news-like documents about the store's
entities) once, then for each worker count ingests it into a fresh PostgreSQL database
(the Peru case plus 2,000 made-up organisations, so the gazetteer has a realistic size)
on a local cluster of that many worker processes with one thread each: every worker
extracts and writes its own tasks (the same code path for any number of workers). Prints
documents/s and words/s per run, the load average before and after each run (other jobs
on the machine distort the figures), and the speed-up over the first run; the target on a
2-core machine is >= 1.7x with 2 workers. --repeat N runs each worker count N times
(alternating) and reports the best and the median. With --scheduler, runs once on an
existing cluster instead."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("VEEDURIA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = "veeduria_bench_ingest"


def fresh_store():  # noqa: ANN201
    from veeduria.cases.loader import load_case
    from veeduria.scale.synthetic import build_synthetic_store
    from veeduria.store import open_store

    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    eng.dispose()
    store = open_store(PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME)
    try:
        load_case(store, "pe_prc")
    except Exception as exc:  # noqa: BLE001 - the case data may be in flux; made-up names suffice
        print(f"(Peru case not loaded: {exc.__class__.__name__}: {str(exc)[:120]})")
    build_synthetic_store(store, 0, 2000, seed=3)
    return store


def warm(client) -> None:  # noqa: ANN001
    """Import the extraction code on every worker before timing (a real job amortises it)."""
    def load() -> None:
        from veeduria.extract.lexicon import lexicon
        from veeduria.scale import work  # noqa: F401

        lexicon()
    client.run(load)


def run(paths: list[Path], words: int, workers: int | None, scheduler: str | None) -> float:
    from veeduria.scale.dask_ingest import dask_client, ingest_corpus

    store = fresh_store()
    with dask_client(scheduler, workers) as client:
        n = len(client.scheduler_info()["workers"])
        warm(client)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        summary = ingest_corpus(store, paths, actor="bench", client=client)
        seconds = time.perf_counter() - started
    store.dispose()
    assert not summary.errors, summary.errors[:3]
    rate = len(paths) / seconds
    print(f"{n} worker(s): {len(paths)} docs in {seconds:.1f} s = {rate:.1f} docs/s, "
          f"{words / seconds:,.0f} words/s; {summary.written.claims:,} claims "
          f"({summary.written.claims / seconds:,.0f}/s); load average {load_before:.2f} -> "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1500)
    ap.add_argument("--words", type=int, default=600, help="words per document")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--scheduler", help="address of an existing Dask scheduler")
    ap.add_argument("--repeat", type=int, default=1, help="runs per worker count")
    args = ap.parse_args()

    from veeduria.scale.synthetic import store_actors, write_corpus

    store = fresh_store()
    actors = store_actors(store)
    store.dispose()
    with tempfile.TemporaryDirectory(prefix="veeduria-corpus-") as tmp:
        paths = write_corpus(Path(tmp), actors, args.docs, seed=11, words=args.words)
        words = sum(len(p.read_text(encoding="utf-8").split()) for p in paths)
        print(f"corpus: {len(paths)} documents, {words:,} words, {len(actors):,} entities in the store")
        if args.scheduler:
            run(paths, words, None, args.scheduler)
            return
        rates: dict[int, list[float]] = {n: [] for n in args.workers}
        for _ in range(args.repeat):
            for n in args.workers:
                rates[n].append(run(paths, words, n, None))
    base = args.workers[0]
    for n in args.workers:
        print(f"{n} worker(s): best {max(rates[n]):.1f} docs/s, median {statistics.median(rates[n]):.1f}")
    for n in args.workers[1:]:
        print(f"speed-up with {n} workers over {base}: best {max(rates[n]) / max(rates[base]):.2f}x, "
              f"median {statistics.median(rates[n]) / statistics.median(rates[base]):.2f}x")


if __name__ == "__main__":
    main()
