"""API latency on a store of 1,000,000 synthetic claims.

    .venv/bin/python benchmarks/bench_api.py [--claims 1000000] [--requests 3000] [--threads 4]

Builds an SQLite store (bulk insert through SQLAlchemy core), serves it with uvicorn on a
free loopback port, and fires entity and claim queries from client threads (httpx).
Prints p50/p95/p99 per query kind and overall; the target is p95 < 50 ms. Claim-list
totals are cached for a few seconds by the app, so the first (cold) request of each kind
is shown apart."""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

from veeduria.store import open_store
from veeduria.store.models import Claim, ClaimEntity, Entity, EntityName, Source, utcnow
from veeduria.vocab import domains, sectors

BATCH = 20_000


def build(db: Path, n_claims: int, n_entities: int, n_sources: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    store = open_store(str(db))
    doms, secs = list(domains()), list(sectors())
    now = utcnow()
    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(insert(Source), [
            {"id": f"s-{i:04d}", "kind": "report", "title": f"Synthetic report {i}", "published": "2024",
             "created_at": now, "updated_at": now} for i in range(n_sources)])
        ents = [{"id": f"e-{i:05d}", "schema": "Company" if i % 10 else "PublicBody",
                 "name": f"Entity {i}", "foreign": i % 3 == 0, "created_at": now, "updated_at": now}
                for i in range(n_entities)]
        conn.execute(insert(Entity), ents)
        conn.execute(insert(EntityName), [{"entity_id": e["id"], "name": e["name"], "kind": "name",
                                           "normalized": e["name"].lower()} for e in ents])
        claims, roles = [], []
        for i in range(n_claims):
            year = rng.randint(2000, 2025)
            month = rng.randint(1, 12)
            cid = f"c-{i:07d}"
            # The first claims give every entity an owner: the PublicBody heading its group of
            # ten owns it (chains like a company under its state owner). The rest link random
            # entities to their group's head.
            owns = i < n_entities and i % 10 != 0
            if owns:
                subject, other = (i // 10) * 10, i
            else:
                subject = rng.randrange(n_entities)
                other = (subject // 10) * 10
                if other == subject:
                    other = (subject + 1) % n_entities
            claims.append({
                "id": cid, "predicate": "owns" if owns else rng.choice(["invests_in", "operates", "builds"]),
                "source_id": f"s-{rng.randrange(n_sources):04d}",
                "quote": f"Synthetic quote number {i} about entity {subject}",
                "date": f"{year}-{month:02d}", "date_precision": "month", "date_sort": f"{year}-{month:02d}-01",
                "domain": rng.choice(doms), "sector": rng.choice(secs), "modality": "actual",
                "status": "accepted" if owns or rng.random() < 0.9 else rng.choice(["candidate", "rejected"]),
                "method": "synthetic", "confidence": 0.9, "share": 0.6 if owns else None,
                "amount_value": rng.randint(1, 5000) * 1e6, "amount_currency": "USD",
                "created_at": now, "updated_at": now,
            })
            roles.append({"claim_id": cid, "entity_id": f"e-{subject:05d}", "role": "subject", "position": 0})
            roles.append({"claim_id": cid, "entity_id": f"e-{other:05d}", "role": "object", "position": 1})
            if len(claims) >= BATCH:
                conn.execute(insert(Claim), claims)
                conn.execute(insert(ClaimEntity), roles)
                claims, roles = [], []
        if claims:
            conn.execute(insert(Claim), claims)
            conn.execute(insert(ClaimEntity), roles)
    if store.dialect == "sqlite":
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.dispose()
    print(f"built {n_claims:,} claims, {n_entities:,} entities in {time.perf_counter() - t0:.1f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: Path) -> tuple[str, object]:
    import uvicorn

    from veeduria.present.web import Settings, create_app

    app = create_app(open_store(str(db)), settings=Settings())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def workload(rng: random.Random, n_entities: int) -> tuple[str, str]:
    e = f"e-{rng.randrange(n_entities):05d}"
    doms, secs = list(domains()), list(sectors())
    kind = rng.choice(["entity", "entity_claims", "claims_domain", "claims_entity", "claims_sector_dates",
                       "claims_page"])
    url = {
        "entity": f"/api/entities/{e}",
        "entity_claims": f"/api/entities/{e}/claims?limit=20",
        "claims_domain": f"/api/claims?domain={rng.choice(doms)}&limit=50",
        "claims_entity": f"/api/claims?entity={e}&limit=50",
        "claims_sector_dates": f"/api/claims?sector={rng.choice(secs)}&date_from=2010&date_to=2015&limit=50",
        "claims_page": f"/api/claims?limit=50&offset={rng.randrange(0, 1000, 50)}",
    }[kind]
    return kind, url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--db", type=Path, help="Reuse (or build into) this SQLite file.")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="veeduria-bench-")
    db = args.db or Path(tmp.name) / "bench.db"
    if not db.exists():
        build(db, args.claims, args.entities, args.sources)
    base, server = serve(db)
    rng = random.Random(1)

    with httpx.Client(base_url=base, timeout=30) as client:
        cold: dict[str, float] = {}
        for kind, url in [workload(random.Random(i), args.entities) for i in range(40)]:
            if kind not in cold:
                t = time.perf_counter()
                client.get(url).raise_for_status()
                cold[kind] = (time.perf_counter() - t) * 1000

    jobs = [workload(rng, args.entities) for _ in range(args.requests)]
    results: dict[str, list[float]] = {}
    inside: dict[str, list[float]] = {}
    lock = threading.Lock()
    errors = []

    def worker(chunk: list[tuple[str, str]]) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for kind, url in chunk:
                t = time.perf_counter()
                res = client.get(url)
                ms = (time.perf_counter() - t) * 1000
                if res.status_code != 200:
                    errors.append((url, res.status_code))
                app_ms = float(res.headers.get("server-timing", "app;dur=nan").split("dur=")[1])
                with lock:
                    results.setdefault(kind, []).append(ms)
                    inside.setdefault(kind, []).append(app_ms)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(jobs[i::args.threads],)) for i in range(args.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    server.should_exit = True

    print(f"\n{args.requests} requests, {args.threads} client threads, {wall:.1f} s "
          f"({args.requests / wall:.0f} req/s); errors: {len(errors)}")
    print("client-observed latency (includes queueing behind other requests), and the time")
    print("spent inside the app (Server-Timing header):")
    print(f"{'query':<22}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'cold ms':>9}"
          f"{'app p50':>9}{'app p95':>9}")
    everything, everything_app = [], []
    for kind, values in sorted(results.items()):
        everything += values
        everything_app += inside[kind]
        print(f"{kind:<22}{len(values):>6}{pct(values, 50):>9.1f}{pct(values, 95):>9.1f}"
              f"{pct(values, 99):>9.1f}{cold.get(kind, float('nan')):>9.1f}"
              f"{pct(inside[kind], 50):>9.1f}{pct(inside[kind], 95):>9.1f}")
    p95 = pct(everything, 95)
    print(f"{'all':<22}{len(everything):>6}{statistics.median(everything):>9.1f}{p95:>9.1f}"
          f"{pct(everything, 99):>9.1f}{'':>9}{pct(everything_app, 50):>9.1f}{pct(everything_app, 95):>9.1f}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"target p95 < 50 ms: {'met' if p95 < 50 else 'NOT met'}")
    if errors:
        print("errors:", errors[:5])
        sys.exit(1)


if __name__ == "__main__":
    main()
