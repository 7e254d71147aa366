"""Monitor speed, on loopback only: `python benchmarks/bench_monitor.py [--items N] [--claims N]`.

1. Polling: a feed of N article pages served on 127.0.0.1, each fetched, read, extracted
   and stored (SQLite, the small test case loaded), no per-host delay.
2. Alert check: a watchlist following an entity and all it owns, against a synthetic
   store of N claims all changed since the watchlist was made (the worst case: the whole
   store is news), SQLite."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from loopback import WebSite, start_web  # noqa: E402

from veeduria.cases.loader import load_case  # noqa: E402
from veeduria.monitor.alerts import check  # noqa: E402
from veeduria.monitor.poll import Poller, PollOptions, add_source  # noqa: E402
from veeduria.monitor.watch import add_target, ensure_watchlist  # noqa: E402
from veeduria.store import open_store  # noqa: E402

ARTICLE = ("<!doctype html><html><head><title>Item {i}</title></head><body><article><h1>Item {i}</h1>"
           "<p>Acme Port Holdings signed a US${m} million contract with the Government of Peru in "
           "March 2026 to expand Bay Port.</p><p>Acme Group said on day {i} that dredging would take "
           "{y} years and cost {m} million dollars.</p></article></body></html>")


def bench_poll(n: int, tmp: Path) -> None:
    site = WebSite()
    stop = start_web(site)
    site.put("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    items = []
    for i in range(n):
        site.put(f"/a/{i}.html", ARTICLE.format(i=i, m=100 + i, y=2 + i % 5))
        items.append(f"<item><title>Item {i}</title><link>{site.url(f'/a/{i}.html')}</link>"
                     f"<pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate></item>")
    site.put("/feed.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>Bench</title>"
             + "".join(items) + "</channel></rss>", content_type="application/rss+xml")
    store = open_store(str(tmp / "poll.db"))
    load_case(store, ROOT / "tests" / "data" / "mini_case")
    with store.session() as s:
        add_source(s, site.url("/feed.xml"))
    started = time.perf_counter()
    [out] = Poller(store, PollOptions(interval=0, max_items=n)).run()
    took = time.perf_counter() - started
    again = time.perf_counter()
    Poller(store, PollOptions(interval=0, max_items=n)).run(force=True)
    took_again = time.perf_counter() - again
    stop()
    store.dispose()
    print(f"poll: {out.ingested} items ({out.claims} candidate claims) in {took:.2f} s = "
          f"{out.ingested / took:.1f} items/s; second poll (304) {took_again * 1000:.0f} ms")


def bench_check(n_claims: int, tmp: Path) -> None:
    from sqlalchemy import func, select, update

    from veeduria.monitor.models import Alert, Watchlist
    from veeduria.scale.synthetic import build_synthetic_store
    from veeduria.store.models import ClaimEntity

    store = open_store(str(tmp / "check.db"))
    build_synthetic_store(store, n_claims, max(1000, n_claims // 20), seed=1)
    with store.session() as s:
        busiest = s.execute(select(ClaimEntity.entity_id, func.count()).group_by(ClaimEntity.entity_id)
                            .order_by(func.count().desc()).limit(1)).one()
        wl = ensure_watchlist(s, "bench")
        add_target(s, wl, "entity", busiest[0], owned=True)
        s.execute(update(Watchlist).values(created_at=dt.datetime(2000, 1, 1)))
    started = time.perf_counter()
    result = check(store, screen=False)
    took = time.perf_counter() - started
    again = time.perf_counter()
    second = check(store, screen=False)
    took_again = time.perf_counter() - again
    with store.reader() as s:
        alerts = s.scalar(select(func.count(Alert.id)))
    store.dispose()
    print(f"check: {result.claims_read} changed claims read, {alerts} alerts, in {took:.2f} s "
          f"({result.claims_read / took:,.0f} claims/s); next check with nothing new: "
          f"{took_again * 1000:.0f} ms ({second.total} alerts)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--claims", type=int, default=100_000)
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_poll(args.items, Path(tmp))
        bench_check(args.claims, Path(tmp))


if __name__ == "__main__":
    main()
