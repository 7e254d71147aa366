"""Latency of full-text search on a big store: every kind at once (what the search page
asks), with filters, stems, phrases and the text of documents.

    .venv/bin/python benchmarks/bench_search.py [--claims 1000000] [--entities 100000]
        [--docs 400] [--backend sqlite|postgresql|both] [--runs 30]

The store is the synthetic one of bench_scale_queries.py (built once and kept: SQLite in
$VEEDURIA_BENCH_DIR, default /tmp/veeduria-bench; PostgreSQL in `veeduria_bench_<claims>`),
plus `--docs` synthetic news documents of about 3,000 words stored with their text.
Prints p50 / p95 in ms per query; each query returns the first 8 hits of every kind with
their records and highlighted snippets, as the page does."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale_queries import bench_store, measure  # noqa: E402

from veeduria.present.web.searching import SearchForm, check_form, run_search  # noqa: E402
from veeduria.scale.synthetic import Actor, write_corpus  # noqa: E402
from veeduria.sources.readers import read_document  # noqa: E402
from veeduria.sources.store_docs import store_document  # noqa: E402
from veeduria.store import Store  # noqa: E402
from veeduria.store.models import Entity, Source  # noqa: E402


def add_documents(store: Store, n_docs: int) -> None:
    with store.reader() as s:
        have = s.scalar(select(func.count()).select_from(Source).where(Source.text_length > 5000)) or 0
        actors = [Actor(e.id, e.name, e.schema, e.foreign)
                  for e in s.scalars(select(Entity).order_by(Entity.id).limit(300))]
    if have >= n_docs:
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp), actors, n_docs, seed=7, words=3000)
        for i in range(0, len(paths), 50):
            with store.session() as s:
                for path in paths[i:i + 50]:
                    store_document(s, read_document(path), "bench")
    print(f"  stored {n_docs} documents in {time.perf_counter() - started:.0f} s", flush=True)


QUERIES = [
    ("frequent word, all kinds", {"q": "invests"}),
    ("frequent word, claims of one domain and years", {"q": "invests", "domain": "economy",
                                                       "date_from": "2010", "date_to": "2015-06"}),
    ("Spanish stem (inversiones)", {"q": "inversiones"}),
    ("two words", {"q": "port acquired"}),
    ("phrase", {"q": '"signed an agreement"'}),
    ("thesaurus (MINEM)", {"q": "MINEM"}),
    ("rare word", {"q": "zzqx nothing"}),
    ("prefix while typing", {"q": "harb"}),
    ("sector filter, accepted only", {"q": "mining", "sector": "mining"}),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        store = bench_store(backend, args.claims, args.entities)
        add_documents(store, args.docs)
        print(f"\n[{backend}] {args.claims:,} claims, {args.entities:,} entities, {args.docs} documents")
        print(f"{'query':52} {'p50 ms':>8} {'p95 ms':>8}  hits per kind")
        rng = random.Random(0)
        with store.reader() as session:
            for name, params in QUERIES:
                form = SearchForm(**params, limit=8)
                filters = check_form(form, ("accepted",))
                groups = run_search(session, form, filters, rng.choice(["en", "es"]))
                p50, p95 = measure(lambda f=form, fl=filters: run_search(session, f, fl, "en"), args.runs)
                counts = ", ".join(f"{g.kind} {g.total}{'+' if g.more else ''}" for g in groups)
                print(f"{name:52} {p50:8.1f} {p95:8.1f}  {counts}", flush=True)
        store.dispose()


if __name__ == "__main__":
    main()
