"""Latency of the main read queries on a store of 1,000,000 claims (SQLite and PostgreSQL).

    .venv/bin/python benchmarks/bench_scale_queries.py [--claims 1000000] [--entities 100000]
        [--backend sqlite|postgresql|both] [--runs 40] [--explain]

The synthetic store is built once (a few minutes) and kept: SQLite in
$VEEDURIA_BENCH_DIR (default /tmp/veeduria-bench), PostgreSQL in the database
`veeduria_bench_<claims>` on $VEEDURIA_TEST_PG's server. Prints p50 / p95 per query in ms;
the target is p95 < 50 ms for each."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, selectinload

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veeduria.export.claims import iter_claims  # noqa: E402
from veeduria.query import entity_claims, find_entity, owners_of, stats  # noqa: E402
from veeduria.scale.synthetic import build_synthetic_store  # noqa: E402
from veeduria.store import Store, open_store  # noqa: E402
from veeduria.store.models import Claim, ClaimEntity, Entity  # noqa: E402
from veeduria.store.search import search  # noqa: E402

PG_ADMIN = os.environ.get("VEEDURIA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BENCH_DIR = Path(os.environ.get("VEEDURIA_BENCH_DIR", "/tmp/veeduria-bench"))


def pg_url(name: str) -> str:
    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def bench_store(backend: str, n_claims: int, n_entities: int) -> Store:
    """The benchmark store, built when missing or incomplete."""
    if backend == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        store = open_store(str(BENCH_DIR / f"queries-{n_claims}.db"))
    else:
        store = open_store(pg_url(f"veeduria_bench_{n_claims}"))
    with store.session() as s:
        have = s.scalar(select(func.count()).select_from(Claim))
    if have < n_claims:
        started = time.perf_counter()
        print(f"[{backend}] building {n_claims:,} claims, {n_entities:,} entities ...", flush=True)
        build_synthetic_store(store, n_claims, n_entities, seed=1,
                              progress=lambda n: print(f"  {n:,}", end="\r", flush=True))
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(f"[{backend}] built in {time.perf_counter() - started:.0f} s", flush=True)
    return store


def queries(session: Session, rng: random.Random) -> tuple[dict[str, Callable[[], object]], ...]:
    """The main read paths of the CLI, API and exports, with random arguments: interactive
    ones (target p95 < 50 ms) and heavy ones (aggregates, exports, worst cases), reported."""
    from veeduria.present.web.data import ClaimFilter, claim_query, list_claims

    ids = list(session.scalars(select(Entity.id).where(Entity.case_id == "synthetic").limit(5000)))
    names = list(session.scalars(select(Entity.name).where(Entity.case_id == "synthetic").limit(5000)))
    # The busiest entity: its profile pages through tens of thousands of claims.
    busiest = session.execute(select(ClaimEntity.entity_id, func.count()).group_by(ClaimEntity.entity_id)
                              .order_by(func.count().desc()).limit(1)).one()
    domains = ["economy", "technology", "foreign_policy", "military"]
    sectors = ["ports", "mining", "telecom", "finance", "trade"]
    words = ["invests", "ports", "harbour", "mining", "acquired", "huaxin", "andina"]

    def page(**kw: object) -> Callable[[], object]:
        # The API caches totals (TTLCache): a page is the query a user waits for.
        return lambda: session.scalars(
            claim_query(ClaimFilter(**kw)).order_by(Claim.date_sort.desc(), Claim.id.desc()).limit(50)
            .options(selectinload(Claim.roles).selectinload(ClaimEntity.entity),
                     selectinload(Claim.source))).all()

    def total(**kw: object) -> Callable[[], object]:
        return lambda: list_claims(session, ClaimFilter(**kw), 50, 0)

    def export_page() -> object:
        it = iter_claims(session, statuses=("accepted",))
        return [next(it) for _ in range(500)]

    interactive = {
        "find_entity (name)": lambda: find_entity(session, rng.choice(names)),
        "entity_claims (typical entity, all)": lambda: entity_claims(session, rng.choice(ids)),
        "owners_of": lambda: owners_of(session, rng.choice(ids)),
        "claims by domain, newest 50": lambda: page(domain=rng.choice(domains))(),
        "claims by sector, newest 50": lambda: page(sector=rng.choice(sectors))(),
        "claims by entity, newest 50": lambda: page(entity=rng.choice(ids))(),
        "claims by domain and years, newest 50": lambda: page(
            domain=rng.choice(domains), date_from=str(rng.randint(2000, 2020)), date_to="2025")(),
        "claims by entity, newest 50 + total": lambda: total(entity=rng.choice(ids))(),
    }
    heavy = {
        f"entity_claims (busiest entity, {busiest[1]:,} claims, first 50)":
            lambda: entity_claims(session, busiest[0], limit=50),
        "claims by busiest entity, newest 50": lambda: page(entity=busiest[0])(),
        "claims by domain, newest 50 + total (uncached count)": lambda: total(domain=rng.choice(domains))(),
        "full-text search (entities and claims, 20)": lambda: search(session, rng.choice(words), limit=20),
        "export: 500 claims (keyset page, with roles)": export_page,
        "stats (counts by domain, sector, status)": lambda: stats(session),
    }
    return interactive, heavy


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm the cache and the plan
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def explain(store: Store) -> None:
    """Query plans of the claim list and entity queries, to check the indexes are used."""
    from veeduria.present.web.data import ClaimFilter, claim_query

    with store.session() as s:
        ent = s.scalar(select(ClaimEntity.entity_id).limit(1))
        for label, q in [
            ("by domain", claim_query(ClaimFilter(domain="economy")).order_by(Claim.date_sort.desc(), Claim.id.desc()).limit(50)),
            ("by entity", claim_query(ClaimFilter(entity=ent)).order_by(Claim.date_sort.desc(), Claim.id.desc()).limit(50)),
            ("count by sector", claim_query(ClaimFilter(sector="ports")).with_only_columns(func.count(), maintain_column_froms=True).order_by(None)),
        ]:
            sql = str(q.compile(store.engine, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
            print(f"-- {label}")
            for row in s.execute(text(prefix + sql)):
                print("   ", row[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--build-only", action="store_true", help="build the stores, measure nothing")
    args = ap.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    worst = 0.0
    for backend in backends:
        store = bench_store(backend, args.claims, args.entities)
        if args.build_only:
            continue
        if args.explain:
            explain(store)
        rng = random.Random(7)
        with store.session() as s:
            total = s.scalar(select(func.count()).select_from(Claim))
            print(f"\n{backend}: {total:,} claims, "
                  f"{s.scalar(select(func.count()).select_from(Entity)):,} entities")
            interactive, heavy = queries(s, rng)
            for title, group in (("interactive (target p95 < 50 ms)", interactive),
                                 ("heavy (reported)", heavy)):
                print(f"  {title:62} {'p50 ms':>8} {'p95 ms':>8}")
                for label, fn in group.items():
                    p50, p95 = measure(fn, args.runs if group is interactive else max(5, args.runs // 4))
                    s.expunge_all()
                    if group is interactive:
                        worst = max(worst, p95)
                    print(f"    {label:60} {p50:8.1f} {p95:8.1f}", flush=True)
        store.dispose()
    print(f"\nworst interactive p95: {worst:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
