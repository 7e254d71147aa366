"""The monitor end to end, against servers started on 127.0.0.1 only: a feed item about a
company owned by a watched group is ingested once and alerts once (inbox, Atom feed, SMTP
mailbox, webhook), also after a restart and a re-run; failing feeds back off; conditional
requests, robots.txt, slow hosts and changing pages. Both backends."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from loopback import Hook, Mailbox, WebSite, start_hook, start_smtp, start_web
from sqlalchemy import func, select, update

from veeduria.cases.loader import load_case
from veeduria.cli import cli
from veeduria.monitor.models import Alert, MonitoredSource, MonitorItem, Watchlist
from veeduria.monitor.poll import Poller, PollOptions, add_source, backoff
from veeduria.store import Store, open_store
from veeduria.store.models import Claim, Source, utcnow

ROBOTS = "User-agent: *\nDisallow: /private/\n"
ARTICLE = """<!doctype html><html><head><title>Port expansion in the bay</title></head><body>
<nav>Home | World | Business</nav>
<article><h1>Port expansion in the bay</h1>
<p>Acme Port Holdings signed a US$250 million contract with the Government of Peru in March 2026
to expand Bay Port.</p>
<p>Officials said the dredging would take two years.</p></article>
<footer>Test Gazette</footer></body></html>"""


def rss(*items: tuple[str, str, str, str]) -> str:
    """An RSS 2.0 document; items are (title, link, date, summary)."""
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
                   f"<pubDate>{d}</pubDate><description>{s}</description></item>" for t, link, d, s in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test Gazette</title>'
            f"<link>http://127.0.0.1/</link><description>news</description>{body}</channel></rss>")


@pytest.fixture
def site() -> Iterator[WebSite]:
    s = WebSite()
    stop = start_web(s)
    s.put("/robots.txt", ROBOTS, content_type="text/plain")
    yield s
    stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    stop = start_smtp(box)
    yield box
    stop()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    stop = start_hook(h)
    yield h
    stop()


def run(store: Store, *args: str) -> str:
    res = CliRunner().invoke(cli, ["--db", store.url, *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def export(store: Store, tmp: Path, kind: str, *args: str) -> list[dict]:
    out = tmp / f"{kind}.jsonl"
    run(store, "export", kind, "-o", str(out), *args)
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]


FAST = ["--host-interval", "0", "--timeout", "3"]


def test_feed_item_about_a_watched_groups_company_alerts_once(
        store: Store, mini_case: Path, site: WebSite, mailbox: Mailbox, hook: Hook, tmp_path: Path) -> None:
    load_case(store, mini_case)
    article = site.url("/news/port-expansion.html")
    site.put("/news/port-expansion.html", ARTICLE)
    site.put("/feed.xml", rss(("Port expansion in the bay", article, "Tue, 01 Dec 2026 09:00:00 GMT",
                               "Acme Port Holdings signs a contract.")), content_type="application/rss+xml")
    out = run(store, "watch", "add", "Acme Group", "--chain", "--list", "acme", "--email", "desk@example.org",
              "--webhook", hook.url, "--webhook-secret", "s3cret")
    assert "follows entity Acme Group (acme-group) and what it owns" in out
    run(store, "monitor", "add", site.url("/feed.xml"), "--every", "1h", "--language", "en")
    smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", str(mailbox.port), "--smtp-from", "veeduria@example.org"]

    out = run(store, "monitor", "run", "--once", *FAST, *smtp)
    assert "1 new items" in out and "watchlist acme:" in out, out

    # Ingested with its URL, title, date and publisher; its candidate claim names the company.
    with store.reader() as s:
        src = s.scalar(select(Source).where(Source.url == article))
        assert src is not None and src.title == "Port expansion in the bay"
        assert src.published == "2026-12-01" and src.publisher == "Test Gazette" and src.kind == "news"
        claims = s.scalars(select(Claim).where(Claim.source_id == src.id, Claim.status == "candidate")).all()
        about = [c for c in claims if "acme-port" in {r.entity_id for r in c.roles}]
        assert about and "US$250 million" in about[0].quote
        alerts = s.scalars(select(Alert)).all()
    # One alert per claim about the company, each naming the source and quoting it.
    assert sorted(a.claim_id for a in alerts) == sorted(c.id for c in about)
    first = next(a for a in alerts if a.claim_id == about[0].id)
    assert first.kind == "claim" and first.reason == "Acme Port Holdings, owned by Acme Group"
    assert first.quote == about[0].quote and first.source_url == article
    assert first.source_title == "Port expansion in the bay" and first.link == f"/claim/{about[0].id}"

    def check_channels() -> None:
        # E-mail: one digest with the quote and the link to the evidence.
        assert len(mailbox.messages) == 1
        msg = mailbox.messages[0]
        assert msg["To"] == "desk@example.org" and "acme" in msg["Subject"]
        text = msg.get_payload(decode=True).decode()
        assert about[0].quote[:60] in " ".join(text.split()) and f"/claim/{about[0].id}" in text
        # Webhook: one signed call carrying the alerts.
        assert len(hook.calls) == 1
        headers, body = hook.calls[0]
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["x-veeduria-signature"] == expected
        sent = json.loads(body)
        assert sent["watchlist"]["name"] == "acme" and len(sent["alerts"]) == len(about)
        assert sent["alerts"][0]["source"]["url"] == article
        # Inbox and Atom feed.
        from veeduria.present.web import Settings, create_app

        with store.reader() as s:
            token = s.scalar(select(Watchlist.token).where(Watchlist.name == "acme"))
        with TestClient(create_app(store, settings=Settings())) as client:
            feed = client.get(f"/watch/feed/{token}.atom")
            assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
            assert client.get("/watch/feed/not-the-token-at-all.atom").status_code == 404
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(about)
        entry = [e for e in parsed.entries if about[0].id in e.link][0]
        assert about[0].quote[:40] in entry.summary and "owned by Acme Group" in entry.summary
        inbox = json.loads(run(store, "alerts", "--json"))
        assert len(inbox) == len(about) and all(not a["read"] for a in inbox)

    check_channels()

    # Restart (a new process opening the store) and run again: nothing new anywhere.
    store.dispose()
    again = open_store(store.url)
    try:
        out = run(again, "monitor", "run", "--once", "--all", *FAST, *smtp)
        assert "unchanged" in out and "new alerts" not in out
        # Re-ingest the same article by hand, and re-check from scratch: still one alert each.
        path = tmp_path / "saved-article.html"
        path.write_text(ARTICLE, encoding="utf-8")
        run(again, "ingest", str(path), "--url", article)
        with again.session() as s:
            s.execute(update(Watchlist).values(checked_until=None))
        run(again, "alerts", "check", *smtp)
        with again.reader() as s:
            assert s.scalar(select(func.count(Alert.id))) == len(about)
            assert s.scalar(select(func.count(Source.id)).where(Source.url == article)) == 1
        check_channels()
    finally:
        again.dispose()


def test_failing_feed_backs_off_and_is_reported(store: Store, site: WebSite) -> None:
    site.put("/down.xml", "", status=500)
    with store.session() as s:
        sid = add_source(s, site.url("/down.xml"), every="1h").id
    poller = Poller(store, PollOptions(interval=0, timeout=2))
    t0 = dt.datetime(2026, 12, 3, 12, 0)
    [out] = poller.run(now=t0)
    assert out.status == "error" and "HTTP 500" in out.error
    with store.reader() as s:
        src = s.get(MonitoredSource, sid)
        assert src.failures == 1 and src.next_due == t0 + dt.timedelta(hours=1) and src.lease_until is None
    assert poller.run(now=t0 + dt.timedelta(minutes=59)) == []  # not due yet
    t1 = t0 + dt.timedelta(hours=1)
    [out] = poller.run(now=t1)
    assert out.status == "error"
    with store.reader() as s:
        src = s.get(MonitoredSource, sid)
        assert src.failures == 2 and src.next_due == t1 + dt.timedelta(hours=2)  # doubled
    assert backoff(3600, 3) == dt.timedelta(hours=4) and backoff(3600, 12) == dt.timedelta(hours=24)
    listing = run(store, "monitor", "list")
    assert "FAILING x2" in listing and "HTTP 500" in listing
    # The feed recovers: the next due poll succeeds and the count resets.
    site.put("/down.xml", rss(), content_type="application/rss+xml")
    [out] = poller.run(now=t1 + dt.timedelta(hours=2))
    assert out.status == "ok", out.error
    with store.reader() as s:
        src = s.get(MonitoredSource, sid)
        assert src.failures == 0 and src.last_error is None and src.kind == "feed"
    assert "FAILING" not in run(store, "monitor", "list")


def test_broken_slow_and_disallowed(store: Store, site: WebSite) -> None:
    site.put("/broken.xml", "<?xml version='1.0'?><rss><channel><item><title>unclosed",
             content_type="application/rss+xml")
    site.put("/slow.xml", rss(), content_type="application/rss+xml", delay=2.0)
    site.put("/private/feed.xml", rss(), content_type="application/rss+xml")
    with store.session() as s:
        ids = {name: add_source(s, site.url(name), kind="feed").id
               for name in ("/broken.xml", "/slow.xml", "/private/feed.xml")}
    poller = Poller(store, PollOptions(interval=0, timeout=0.5))
    results = {o.id: o for o in poller.run()}
    assert "not a readable RSS or Atom feed" in results[ids["/broken.xml"]].error
    assert "timed out" in results[ids["/slow.xml"]].error
    assert "robots.txt" in results[ids["/private/feed.xml"]].error
    assert not site.hits("/private/feed.xml")  # never requested
    with store.reader() as s:
        assert all(s.get(MonitoredSource, i).failures == 1 for i in ids.values())


def test_conditional_requests_and_a_changing_page(store: Store, mini_case: Path, site: WebSite) -> None:
    load_case(store, mini_case)
    site.put("/about.html", ARTICLE)
    with store.session() as s:
        sid = add_source(s, site.url("/about.html")).id
    poller = Poller(store, PollOptions(interval=0, timeout=3))
    [first] = poller.run(force=True)
    assert first.status == "ok" and first.ingested == 1 and first.claims >= 1
    [second] = poller.run(force=True)
    assert second.status == "unchanged" and not second.items
    status, headers = site.hits("/about.html")[-1]
    assert status == 304 and headers.get("if-none-match") and headers.get("if-modified-since")
    site.put("/about.html", ARTICLE.replace("two years", "three years"))
    [third] = poller.run(force=True)
    assert third.ingested == 1
    with store.reader() as s:
        assert s.get(MonitoredSource, sid).kind == "page"
        assert s.scalar(select(func.count(MonitorItem.id))) == 2
        assert s.scalar(select(func.count(Source.id)).where(Source.url == site.url("/about.html"))) == 2


def test_feed_items_once_by_url_and_robots_for_articles(store: Store, site: WebSite) -> None:
    blocked = site.url("/private/story.html")
    site.put("/private/story.html", ARTICLE)
    site.put("/a.html", ARTICLE.replace("Bay Port", "the northern terminal"))
    items = [("Blocked story", blocked, "Mon, 30 Nov 2026 08:00:00 GMT", "<p>A summary from the feed only.</p>"),
             ("Story A", site.url("/a.html"), "Tue, 01 Dec 2026 08:00:00 GMT", "A")]
    site.put("/feed.xml", rss(*items), content_type="application/rss+xml", etag=False, last_modified=None)
    with store.session() as s:
        add_source(s, site.url("/feed.xml"), every="15m")
    poller = Poller(store, PollOptions(interval=0, timeout=3))
    [out] = poller.run()
    assert out.ingested == 2, [(i.url, i.status, i.note) for i in out.items]
    assert not site.hits("/private/story.html")  # robots.txt: the feed's own text is used
    note = next(i.note for i in out.items if i.url == blocked)
    assert "robots.txt" in note
    with store.reader() as s:
        text = s.scalar(select(Source.text).where(Source.url == blocked))
        assert "A summary from the feed only." in text
    # The same items again (and a copy of one under another feed): nothing is read twice.
    site.put("/feed.xml", rss(*items, ("Story B", site.url("/b.html"), "Wed, 02 Dec 2026 08:00:00 GMT", "B")),
             content_type="application/rss+xml", etag=False, last_modified=None)
    site.put("/b.html", ARTICLE.replace("Bay Port", "the northern terminal"))  # same text as /a.html
    hits_a = len(site.hits("/a.html"))
    [out] = poller.run(force=True)
    assert [i.status for i in out.items] == ["known"]  # b.html: same content as a.html
    assert len(site.hits("/a.html")) == hits_a
    with store.reader() as s:
        assert s.scalar(select(func.count(MonitorItem.id))) == 3


def test_folder_source(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "note.txt").write_text("Acme Group opened an office in Lima in 2026.", encoding="utf-8")
    out = run(store, "monitor", "add", str(folder), "--every", "10m")
    assert "(folder, every 10m)" in out
    poller = Poller(store, PollOptions(interval=0))
    [res] = poller.run()
    assert res.ingested == 1
    [res] = poller.run(force=True)
    assert not res.items
    (folder / "note.txt").write_text("Acme Group closed its office in Lima in 2027.", encoding="utf-8")
    [res] = poller.run(force=True)
    assert res.ingested == 1


def test_bad_input_is_refused_clearly(store: Store, tmp_path: Path) -> None:
    for args, msg in ((["monitor", "add", "ftp://example.org/feed"], "only http(s) URLs and folders"),
                      (["monitor", "add", str(tmp_path / "missing")], "not an http(s) URL nor an existing folder"),
                      (["monitor", "add", "http://127.0.0.1:9/x", "--every", "5s"], "at most once a minute"),
                      (["monitor", "add", "http://127.0.0.1:9/x", "--every", "often"], "not an interval"),
                      (["watch", "add", "No Such Entity Anywhere"], "no entity matches"),
                      (["watch", "add", "--domain", "astrology"], "unknown domain"),
                      (["watch", "add", "--rules", "no-such-rule"], "unknown rule"),
                      (["watch", "add", "--country", "peru"], "alpha-2"),
                      (["export", "claims", "--since", "yesterday"], "expected an ISO date")):
        res = CliRunner().invoke(cli, ["--db", store.url, *args])
        assert res.exit_code != 0 and msg in res.output, (args, res.output)
    run(store, "monitor", "add", "http://127.0.0.1:9/x")
    res = CliRunner().invoke(cli, ["--db", store.url, "monitor", "add", "http://127.0.0.1:9/x"])
    assert res.exit_code == 1 and "monitored already" in res.output


def test_ownership_change_domain_and_country_targets(store: Store, mini_case: Path) -> None:
    from veeduria.model import ClaimRecord
    from veeduria.monitor.alerts import check
    from veeduria.store.writer import upsert_claim

    load_case(store, mini_case)
    run(store, "watch", "add", "Acme Port Holdings", "--owners", "--list", "port")
    run(store, "watch", "add", "--domain", "law_enforcement", "--list", "courts")
    run(store, "watch", "add", "--country", "pe", "--list", "peru")
    assert check(store).total == 0  # what was there before the watchlists is not news
    with store.session() as s:
        upsert_claim(s, ClaimRecord(id="new-owner", predicate="owns", source_id="mini-report",
                                    quote="State Assets Agency owns 10% of Acme Port Holdings",
                                    entities=[("state-agency", "subject"), ("acme-port", "object")],
                                    domain="economy", share=0.1, status="accepted"), "t")
        upsert_claim(s, ClaimRecord(id="court-case", predicate="arbitration", source_id="other-report",
                                    quote="Bay Port is the subject of a new arbitration",
                                    entities=[("bay-port", "subject")], domain="law_enforcement",
                                    status="candidate"), "t")
    result = check(store)
    assert result.new == {"port": 1, "courts": 1, "peru": 1}
    with store.reader() as s:
        kinds = {(w, k, r) for w, k, r in s.execute(
            select(Watchlist.name, Alert.kind, Alert.reason).join(Watchlist, Watchlist.id == Alert.watchlist_id))}
    assert ("port", "ownership", "Acme Port Holdings") in kinds
    assert any(w == "courts" and k == "claim" and r.startswith("domain ") for w, k, r in kinds)
    assert any(w == "peru" and "Bay Port" in r for w, _, r in kinds)
    assert check(store).total == 0
    # Rejected claims never alert; a claim accepted later keeps its single alert.
    from veeduria.review import accept_claim

    with store.session() as s:
        accept_claim(s, "court-case", "t")
    assert check(store).total == 0


def test_deltas_since(store: Store, mini_case: Path, tmp_path: Path) -> None:
    load_case(store, mini_case)
    with store.session() as s:  # the case was loaded "yesterday"
        s.execute(update(Claim).values(updated_at=dt.datetime(2026, 1, 1), created_at=dt.datetime(2026, 1, 1)))
        from veeduria.store.models import Entity

        s.execute(update(Entity).values(updated_at=dt.datetime(2026, 1, 1)))
    mark = utcnow().replace(microsecond=0) - dt.timedelta(seconds=1)
    note = tmp_path / "note.txt"
    note.write_text("Acme Port Holdings signed a US$250 million contract with the Government of Peru "
                    "in March 2026 to expand Bay Port.", encoding="utf-8")
    run(store, "ingest", str(note))
    since = mark.isoformat() + "Z"
    claims = export(store, tmp_path, "claims", "--since", since)
    assert claims and all(c["source"]["id"].startswith("note") or c["updated_at"] >= since for c in claims)
    assert not {c["id"] for c in claims} & {"mini-own-1", "mini-operates"}
    everything = export(store, tmp_path, "claims")
    assert len(everything) > len(claims)
    with store.session() as s:
        s.execute(update(Claim).where(Claim.id == "mini-operates").values(note="checked"))
    claims2 = [c["id"] for c in export(store, tmp_path, "claims", "--since", since)]
    assert "mini-operates" in claims2  # changed, so part of the delta
    ents = [e["id"] for e in export(store, tmp_path, "entities", "--since", "2026-06-01")]
    assert "acme-port" not in ents
    assert len(export(store, tmp_path, "entities")) >= 5
    from veeduria.present.web import Settings, create_app

    # A team's private instance: deltas of candidate claims too (public readers see accepted ones).
    with TestClient(create_app(store, settings=Settings(open_access=True))) as client:
        api = client.get("/api/claims", params={"since": since, "status": "any", "limit": 500}).json()
        assert {c["id"] for c in api["items"]} == set(claims2)
        stream = client.get("/api/export/claims.jsonl", params={"since": since}).text.splitlines()
        assert {json.loads(x)["id"] for x in stream} == set(claims2)
        assert client.get("/api/claims", params={"since": "soon"}).status_code == 422
        ents_api = client.get("/api/export/entities.jsonl", params={"since": "2026-06-01"}).text.splitlines()
        assert {json.loads(x)["id"] for x in ents_api} == set(ents)
        assert client.get("/api/findings", params={"since": "2099-01-01"}).json()["items"] == []
    assert export(store, tmp_path, "findings", "--since", "2099-01-01T00:00:00+05:00") == []


def test_web_inbox_watchlists_and_admin_page(store: Store, mini_case: Path, site: WebSite) -> None:
    import re

    from veeduria.monitor.alerts import check
    from veeduria.present.web import Settings, create_app
    from veeduria.present.web.auth import add_user

    load_case(store, mini_case)
    with store.session() as s:
        add_user(s, "ana", "viewer-pass-1", "viewer")
        add_user(s, "root", "admin-pass-12", "admin")
    with TestClient(create_app(store, settings=Settings())) as client:
        assert client.get("/inbox", follow_redirects=False).status_code == 303  # login first
        token = client.get("/api/me").json()["csrf_token"]
        token = client.post("/api/login", json={"username": "ana", "password": "viewer-pass-1"},
                            headers={"X-CSRF-Token": token}).json()["csrf_token"]
        res = client.post("/watch", data={"csrf_token": token, "name": "mine", "entity": "Acme Group",
                                          "chain": "1"}, follow_redirects=False)
        assert res.status_code == 303
        bad = client.post("/watch", data={"csrf_token": token, "entity": "Nobody At All"})
        assert "no entity matches" in bad.text
        assert client.get("/admin/monitor").status_code == 403
        page = client.get("/watch").text
        assert "Acme Group" in page and "and what it owns" in page
        feed_url = re.search(r'href="(http://testserver/watch/feed/[^"]+\.atom)"', page).group(1)
        from veeduria.model import ClaimRecord
        from veeduria.store.writer import upsert_claim

        with store.session() as s:
            upsert_claim(s, ClaimRecord(id="port-news", predicate="signed_agreement", source_id="other-report",
                                        quote="Acme Port Holdings signed a deal",
                                        entities=[("acme-port", "subject")], domain="economy"), "t")
        assert check(store).new == {"mine": 1}
        inbox = client.get("/inbox").text
        assert "Acme Port Holdings, owned by Acme Group" in inbox and "/claim/port-news" in inbox
        assert re.search(r'id="nav-inbox"[^>]*>[^<]*<span class="badge"[^>]*>1<', inbox)
        api = client.get("/api/alerts").json()
        assert api["unread"] == 1 and api["items"][0]["source"]["id"] == "other-report"
        client.post("/inbox/read", data={"csrf_token": token})
        assert client.get("/api/alerts").json()["unread"] == 0
        assert len(feedparser.parse(client.get(feed_url.replace("http://testserver", "")).content).entries) == 1
        client.post("/api/logout", headers={"X-CSRF-Token": token})
        token = client.get("/api/me").json()["csrf_token"]
        token = client.post("/api/login", json={"username": "root", "password": "admin-pass-12"},
                            headers={"X-CSRF-Token": token}).json()["csrf_token"]
        assert "port-news" not in client.get("/inbox").text  # another user's watchlist
        res = client.post("/admin/monitor", data={"csrf_token": token, "location": site.url("/feed.xml"),
                                                  "every": "2h"}, follow_redirects=False)
        assert res.status_code == 303
        admin_page = client.get("/admin/monitor").text
        assert site.url("/feed.xml") in admin_page and "2h" in admin_page
        with store.session() as s:
            s.execute(update(MonitoredSource).values(failures=3, last_error="HTTP 500 Internal Server Error"))
        admin_page = client.get("/admin/monitor").text
        assert "failing (3 in a row)" in admin_page and "HTTP 500" in admin_page
        assert "only http(s) URLs" in client.post("/admin/monitor", data={"csrf_token": token,
                                                                          "location": "gopher://x"}).text


def test_findings_and_conflicts_between_sources_alert(store: Store, mini_case: Path) -> None:
    from veeduria.model import ClaimRecord, Quantity
    from veeduria.monitor.alerts import check
    from veeduria.resolve.resolver import queue_item, review_key
    from veeduria.store.writer import upsert_claim

    load_case(store, mini_case)
    run(store, "watch", "add", "Acme Group", "--chain", "--list", "group")
    run(store, "watch", "add", "--rules", "arbitration-cases", "--list", "rules")
    assert check(store).total == 0  # the arbitration finding predates both watchlists
    with store.session() as s:
        upsert_claim(s, ClaimRecord(id="more-arbitration", predicate="arbitration", source_id="other-report",
                                    quote="Acme Port Holdings faces 3 new arbitration cases",
                                    entities=[("acme-port", "subject"), ("government-of-peru", "counterparty")],
                                    quantity=Quantity(3, "cases"), domain="law_enforcement", date="2026",
                                    status="accepted"), "t")
    result = check(store)
    assert result.findings_run and result.new == {"group": 2, "rules": 1}
    with store.reader() as s:
        rows = s.execute(select(Watchlist.name, Alert).join(Watchlist, Watchlist.id == Alert.watchlist_id)).all()
    finding = [a for name, a in rows if name == "rules"][0]
    assert finding.kind == "finding" and finding.key.startswith("finding:")
    assert finding.quote == "Acme Port Holdings faces 3 new arbitration cases" and finding.source_id == "other-report"
    assert "more-arbitration" in finding.detail["evidence"] and finding.link == "/entity/acme-port"
    assert sorted(a.kind for name, a in rows if name == "group") == ["claim", "finding"]
    assert check(store).total == 0
    # Another source disagrees with a stored claim about the company: a conflict alert.
    with store.session() as s:
        queue_item(s, review_key("conflict", "imported-row", "mini-spent"), kind="conflict",
                   claim_id="mini-spent", source_id="other-report", name="Acme spent $2.9 billion on Bay Port",
                   detail={"claim": {"quote": "Acme spent $2.9 billion on Bay Port", "date": "2025",
                                     "amount": {"usd": 2.9e9}},
                           "stored": {"amount_usd": 1.4e9, "date": "2025", "quote": "spent only $1.4 billion"}})
    assert check(store).new == {"group": 1}
    with store.reader() as s:
        conflict = s.scalar(select(Alert).where(Alert.kind == "conflict"))
    assert conflict.quote == "Acme spent $2.9 billion on Bay Port" and conflict.source_id == "other-report"
    assert conflict.detail["stored_quote"] == "spent only $1.4 billion" and conflict.claim_id == "mini-spent"
    assert check(store).total == 0
    # A new claim from another source tells the same investment with another amount: the
    # claim alerts, and so does the disagreement within the event (once).
    from veeduria.model import Money

    with store.session() as s:
        upsert_claim(s, ClaimRecord(id="other-spent", predicate="invests_in", source_id="other-report",
                                    quote="Acme spent $2.9 billion on Bay Port",
                                    entities=[("acme-port", "subject"), ("bay-port", "object")],
                                    amount=Money(2.9e9, "USD", 2.9e9, "stated"), domain="economy", date="2025",
                                    status="accepted"), "t")
    assert check(store).new == {"group": 2}
    with store.reader() as s:
        event = s.scalar(select(Alert).where(Alert.kind == "conflict", Alert.claim_id == "other-spent"))
    assert event.title.startswith("Sources disagree on the amount") and event.quote == "Acme spent $2.9 billion on Bay Port"
    assert "US$1.4 billion" in event.detail["summary"] and "US$2.9 billion" in event.detail["summary"]
    assert check(store).total == 0


def test_background_loop_as_serve_runs_it(store: Store, mini_case: Path, site: WebSite) -> None:
    import time

    from veeduria.monitor.runner import start_background

    load_case(store, mini_case)
    run(store, "watch", "add", "Acme Port Holdings", "--list", "bg")
    site.put("/about.html", ARTICLE)
    with store.session() as s:
        add_source(s, site.url("/about.html"))
    thread, stop = start_background(store, options=PollOptions(interval=0, timeout=3))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with store.reader() as s:
                if s.scalar(select(func.count(Alert.id))):
                    break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    with store.reader() as s:
        assert s.scalar(select(func.count(Alert.id))) >= 1
        assert s.scalar(select(MonitoredSource.last_success)) is not None


def test_failed_items_are_retried_and_the_cap_carries_over(store: Store, site: WebSite) -> None:
    links = [site.url(f"/s/{i}.html") for i in range(3)]
    for i in range(len(links)):
        site.put(f"/s/{i}.html", ARTICLE.replace("two years", f"{i + 2} years"))
    site.put("/s/1.html", "", status=500)  # the second article fails, and the feed has no text for it
    site.put("/feed.xml", rss(*[(f"S{i}", link, f"Tue, 0{i + 1} Dec 2026 08:00:00 GMT", "") for i, link in enumerate(links)]),
             content_type="application/rss+xml")
    with store.session() as s:
        add_source(s, site.url("/feed.xml"))
    [out] = Poller(store, PollOptions(interval=0, timeout=3, max_items=2)).run()
    assert [i.status for i in out.items] == ["ingested", "error"] and "HTTP 500" in out.items[1].note
    site.put("/s/1.html", ARTICLE.replace("two years", "3 years"))
    [out] = Poller(store, PollOptions(interval=0, timeout=3, max_items=2)).run(force=True)
    assert sorted(i.url for i in out.items if i.status == "ingested") == links[1:]
    [out] = Poller(store, PollOptions(interval=0, timeout=3, max_items=2)).run(force=True)
    assert out.status == "ok" and not out.items  # everything read: the validators are kept now
    [out] = Poller(store, PollOptions(interval=0, timeout=3, max_items=2)).run(force=True)
    assert out.status == "unchanged"
