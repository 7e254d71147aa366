"""The REST API and server-rendered pages, through FastAPI's TestClient: reads over the
Peru case, writes (login, CSRF, review, upload) over an empty store. Both backends."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from veeduria.model import ClaimRecord
from veeduria.present.web import Settings, create_app
from veeduria.present.web.app import CSP
from veeduria.present.web.auth import add_user
from veeduria.store import AuditEvent, Claim, Store
from veeduria.store.search import index_claims
from veeduria.store.writer import upsert_claim

CHANCAY = "cosco-shipping-ports-chancay"


@pytest.fixture(scope="module")
def peru(peru_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(peru_store, settings=Settings())) as client:
        yield client


@pytest.fixture(scope="module")
def open_peru(peru_store: Store) -> Iterator[TestClient]:
    """A team's private instance: every reader sees candidate and rejected claims."""
    with TestClient(create_app(peru_store, settings=Settings(open_access=True))) as client:
        yield client


# --- reads -----------------------------------------------------------------------------------

def test_claims_filter_and_paginate(peru: TestClient, open_peru: TestClient) -> None:
    first = peru.get("/api/claims", params={"domain": "economy", "limit": 5}).json()
    assert first["total"] > 5 and len(first["items"]) == 5
    assert {c["domain"] for c in first["items"]} == {"economy"}
    second = peru.get("/api/claims", params={"domain": "economy", "limit": 5, "offset": 5}).json()
    assert second["total"] == first["total"]
    assert not {c["id"] for c in first["items"]} & {c["id"] for c in second["items"]}
    dates = [c["date_sort"] for c in first["items"] + second["items"] if c["date_sort"]]
    assert dates == sorted(dates, reverse=True)  # newest first

    ranged = peru.get("/api/claims", params={"date_from": "2019", "date_to": "2021", "limit": 500}).json()
    assert ranged["items"] and all("2019-01-01" <= c["date_sort"] <= "2021-12-31" for c in ranged["items"])
    assert peru.get("/api/claims", params={"status": "any", "limit": 1}).status_code == 401
    everything = open_peru.get("/api/claims", params={"status": "any", "limit": 1}).json()["total"]
    accepted = peru.get("/api/claims", params={"limit": 1}).json()["total"]
    assert everything >= accepted > ranged["total"]


def test_claims_by_entity_and_source(peru: TestClient) -> None:
    items = peru.get("/api/claims", params={"entity": CHANCAY, "limit": 100}).json()["items"]
    assert items and all(CHANCAY in {e["id"] for e in c["entities"]} for c in items)
    src = items[0]["source"]["id"]
    by_src = peru.get("/api/claims", params={"source": src, "limit": 3}).json()
    assert {c["source"]["id"] for c in by_src["items"]} == {src}


@pytest.mark.parametrize("params, fragment", [
    ({"domain": "astrology"}, "unknown domain"),
    ({"date_from": "2024-13"}, "bad date"),
    ({"limit": 100000}, "limit"),
    ({"offset": -1}, "offset"),
    ({"status": "maybe"}, "status"),
])
def test_bad_parameters_are_422_with_a_message(peru: TestClient, params: dict, fragment: str) -> None:
    res = peru.get("/api/claims", params=params)
    assert res.status_code == 422
    assert fragment in res.json()["error"]["message"]


def test_unknown_ids_are_404(peru: TestClient, open_peru: TestClient) -> None:
    assert peru.get("/api/jobs/unknown").status_code == 401  # jobs list candidates: editors only
    for url in ("/api/entities/no-such-thing", "/api/claims/no-such-claim", "/api/sources/nope",
                "/api/entities/no-such-thing/chain", "/api/jobs/unknown"):
        res = open_peru.get(url)
        assert res.status_code == 404, url
        assert "no " in res.json()["error"]["message"]
    assert peru.get("/entity/no-such-thing").status_code == 404


def test_entity_profile_has_chain_to_the_state(peru: TestClient) -> None:
    prof = peru.get(f"/api/entities/{CHANCAY}").json()
    assert prof["id"] == CHANCAY and prof["names"]
    chain = prof["chain"]
    assert chain, "COSCO's Chancay operator should have a chain of owners"
    assert chain[0]["owned"]["id"] == CHANCAY
    assert all(link["quote"] and link["source"]["id"] for link in chain)
    top = peru.get(f"/api/entities/{CHANCAY}/chain").json()["ultimate_owner"]
    assert top["schema"] == "PublicBody"
    assert sum(prof["claims_by_domain"].values()) > 0


def test_entity_search(peru: TestClient) -> None:
    hits = peru.get("/api/entities", params={"q": "Chancay"}).json()["items"]
    assert CHANCAY in [h["id"] for h in hits]
    found = peru.get("/api/search", params={"q": "Huawei"}).json()["items"]
    assert any(h["kind"] == "entity" and h["id"] == "huawei" for h in found)


def test_findings_indicators_network(peru: TestClient) -> None:
    findings = peru.get("/api/findings").json()
    assert set(findings) >= {"available", "items", "total"}
    ind = peru.get("/api/indicators").json()
    assert sum(v["claims"] for v in ind["claims_by_domain"].values()) == \
        peru.get("/api/claims", params={"limit": 1}).json()["total"]
    net = peru.get("/api/network").json()
    ids = {n["id"] for n in net["nodes"]}
    assert net["edges"] and all(e["source"] in ids and e["target"] in ids for e in net["edges"])
    around = peru.get("/api/network", params={"entity": CHANCAY}).json()
    assert CHANCAY in {n["id"] for n in around["nodes"]}


def test_source_text_and_highlights(peru: TestClient) -> None:
    src = peru.get("/api/claims", params={"entity": CHANCAY, "limit": 1}).json()["items"][0]["source"]["id"]
    meta = peru.get(f"/api/sources/{src}").json()
    assert meta["has_text"] and any(c["offsets"] for c in meta["claims"])
    text = peru.get(f"/api/sources/{src}/text")
    assert text.headers["content-type"].startswith("text/plain") and len(text.text) == meta["text_length"]
    page = peru.get(f"/source/{src}").text
    assert page.count("<mark") >= 10
    # The highlighted words are the claim's quote, at its offsets.
    claim = next(c for c in meta["claims"] if c["offsets"])
    start, end = claim["offsets"]
    assert re.sub(r"\s+", " ", text.text[start:end]) == re.sub(r"\s+", " ", claim["quote"])


def test_exports_stream_every_claim(peru: TestClient, open_peru: TestClient) -> None:
    total = open_peru.get("/api/claims", params={"status": "any", "limit": 1}).json()["total"]
    lines = open_peru.get("/api/export/claims.jsonl").text.splitlines()
    assert len(lines) == total and json.loads(lines[0])["quote"]
    # Public exports hold reviewed claims only.
    accepted = peru.get("/api/claims", params={"limit": 1}).json()["total"]
    public = [json.loads(x) for x in peru.get("/api/export/claims.jsonl").text.splitlines()]
    assert len(public) == accepted and {c["status"] for c in public} == {"accepted"}
    assert peru.get("/api/export/claims.jsonl", params={"status": "candidate"}).status_code == 401
    csv_text = peru.get("/api/export/claims.csv").text
    assert csv_text.startswith("id,predicate,subject")
    ftm = [json.loads(x) for x in peru.get("/api/export/ftm.jsonl").text.splitlines()]
    assert {"Company", "PublicBody"} <= {x["schema"] for x in ftm}


def test_pages_render_with_security_headers(peru: TestClient) -> None:
    for url in ("/", "/search?q=Chancay", f"/entity/{CHANCAY}", "/timeline", "/network", "/docs",
                "/login", "/timeline?domain=economy", "/entity/las-bambas", "/findings",
                "/findings?severity=high", "/indicators"):
        res = peru.get(url)
        assert res.status_code == 200, url
        assert res.headers["content-security-policy"] == CSP
        assert res.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in res.text, f"{url} has an inline script"
        assert not re.search(r'(src|href)="(https?:)?//', res.text), f"{url} loads something remote"
    assert "unsafe-inline" not in CSP
    entity = peru.get(f"/entity/{CHANCAY}").text
    assert "COSCO SHIPPING Ports" in entity  # its owner, in the chain
    search = peru.get("/search", params={"q": "Chancay"}).text
    assert f'href="/entity/{CHANCAY}"' in search


def test_overview_formats_money_and_shows_findings_and_claims(peru: TestClient) -> None:
    peru.get("/lang/en")
    page = peru.get("/").text
    domains = page[page.index('id="domains"'):page.index('id="per-year"')]
    # Money as people write it, never raw floats or digit runs.
    assert not re.search(r"\d{1,3}(,\d{3}){2,}|\b0\.0\b", domains), "raw money in the domain table"
    if "US$" in domains:
        assert re.search(r"US\$[\d.]+ (million|billion)", domains)
    assert page.count('<li class="claim') >= 5
    assert 'id="top-findings"' in page


def test_findings_show_evidence_quotes_not_ids(peru: TestClient) -> None:
    findings = peru.get("/api/findings").json()
    if not findings["available"] or not findings["items"]:
        pytest.skip("screening is not installed")
    page = peru.get("/findings").text
    assert 'class="ev-quote"' in page
    evidence = re.findall(r'<ul class="evidence">(.*?)</ul>', page, re.S)
    assert evidence and all("“" in block for block in evidence)


def test_spanish_labels_and_money(peru: TestClient) -> None:
    peru.get("/lang/es")
    try:
        entity = peru.get(f"/entity/{CHANCAY}").text
        assert '<span class="role">sujeto</span>' in entity or '<span class="role">objeto</span>' in entity
        assert ">subject<" not in entity
        overview = peru.get("/").text
        if "US$" in overview:
            assert "millones" in overview
        assert "Afirmaciones por año" in overview
    finally:
        peru.get("/lang/en")


def test_spanish_switch_persists_in_a_cookie(peru: TestClient) -> None:
    res = peru.get("/lang/es", params={"next": "/timeline"}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/timeline"
    assert "Cronología" in peru.get("/timeline").text
    assert peru.get("/lang/en", params={"next": "https://evil.example/"}, follow_redirects=False) \
        .headers["location"] == "/"
    assert "Timeline" in peru.get("/timeline").text


def test_docs_page_is_offline(peru: TestClient) -> None:
    spec = peru.get("/openapi.json").json()
    assert "/api/claims" in spec["paths"] and "/api/entities/{entity_id}/chain" in spec["paths"]
    docs = peru.get("/docs").text
    assert "/api/claims" in docs and "cdn" not in docs.lower()


def test_project_map_places_a_project(peru: TestClient) -> None:
    page = peru.get("/entity/las-bambas").text
    assert 'class="land"' in page and 'class="pin"' in page


# --- writes ----------------------------------------------------------------------------------

@pytest.fixture
def writable(store: Store, mini_case) -> Iterator[tuple[Store, TestClient]]:
    """The mini case, one candidate claim, an editor and a viewer."""
    from veeduria.cases.loader import load_case

    load_case(store, str(mini_case))
    rec = ClaimRecord(predicate="operates", source_id="mini-report", quote="Acme runs the Bay Port",
                      entities=[("acme-port", "subject"), ("bay-port", "object")], domain="economy",
                      id="cand-1", status="candidate", method="test")
    with store.session() as s:
        upsert_claim(s, rec, "test")
        s.flush()
        index_claims(s, ["cand-1"])
        add_user(s, "eve", "editor-pass-1", "editor")
        add_user(s, "vic", "viewer-pass-1", "viewer")
    with TestClient(create_app(store, settings=Settings(max_upload_bytes=4096))) as client:
        yield store, client


def csrf(client: TestClient) -> str:
    return client.get("/api/me").json()["csrf_token"]


def login(client: TestClient, user: str, password: str) -> str:
    res = client.post("/api/login", json={"username": user, "password": password},
                      headers={"X-CSRF-Token": csrf(client)})
    assert res.status_code == 200, res.text
    return res.json()["csrf_token"]


def status_of(store: Store, claim_id: str) -> str:
    with store.reader() as s:
        return s.get(Claim, claim_id).status


def test_writes_need_login_role_and_csrf(writable: tuple[Store, TestClient]) -> None:
    store, client = writable
    assert client.post("/api/claims/cand-1/accept", headers={"X-CSRF-Token": csrf(client)}).status_code == 401
    # Logging in needs the token too.
    bad = client.post("/api/login", json={"username": "eve", "password": "editor-pass-1"},
                      headers={"X-CSRF-Token": "forged"})
    assert bad.status_code == 403
    wrong = client.post("/api/login", json={"username": "eve", "password": "nope-nope"},
                        headers={"X-CSRF-Token": csrf(client)})
    assert wrong.status_code == 401
    token = login(client, "vic", "viewer-pass-1")
    assert client.post("/api/claims/cand-1/accept", headers={"X-CSRF-Token": token}).status_code == 403
    token = login(client, "eve", "editor-pass-1")
    assert client.post("/api/claims/cand-1/accept").status_code == 403  # no token
    assert status_of(store, "cand-1") == "candidate"
    ok = client.post("/api/claims/cand-1/accept", headers={"X-CSRF-Token": token}, json={"note": "checked"})
    assert ok.status_code == 200 and status_of(store, "cand-1") == "accepted"
    with store.reader() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.object_id == "cand-1")
                          .order_by(AuditEvent.id.desc())).first()
        assert event.actor == "eve"
    assert client.post("/api/claims/missing/reject", headers={"X-CSRF-Token": token}).status_code == 404


def test_review_page_forms(writable: tuple[Store, TestClient]) -> None:
    store, client = writable
    assert client.get("/review", follow_redirects=False).status_code == 303  # to the login page
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    res = client.post("/login", data={"username": "eve", "password": "editor-pass-1", "next": "/review",
                                      "csrf_token": token}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/review"
    review = client.get("/review").text
    assert 'id="cand-cand-1"' in review
    token = re.search(r'name="csrf_token" value="([^"]+)"', review).group(1)
    assert client.post("/review/cand-1/reject", data={"csrf_token": "x"}).status_code == 403
    edit = client.post("/review/cand-1/edit", data={"csrf_token": token, "quote": "Acme runs the Bay Port",
                                                    "date": "2023-05", "domain": "economy", "place": "Lima"},
                       follow_redirects=False)
    assert edit.status_code == 303
    with store.reader() as s:
        claim = s.get(Claim, "cand-1")
        assert (claim.date, claim.date_sort, claim.place) == ("2023-05", "2023-05-01", "Lima")
    res = client.post("/review/cand-1/reject", data={"csrf_token": token}, follow_redirects=False)
    assert res.status_code == 303 and status_of(store, "cand-1") == "rejected"


def test_edit_validates(writable: tuple[Store, TestClient]) -> None:
    store, client = writable
    token = login(client, "eve", "editor-pass-1")
    bad = client.patch("/api/claims/cand-1", json={"domain": "astrology"}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 422 and "astrology" in bad.json()["error"]["message"]
    good = client.patch("/api/claims/cand-1", json={"qualifier": "container terminal"},
                        headers={"X-CSRF-Token": token})
    assert good.status_code == 200 and good.json()["qualifier"] == "container terminal"


def wait_job(client: TestClient, job_id: str) -> dict:
    for _ in range(200):
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_upload_limits_and_escaping(writable: tuple[Store, TestClient]) -> None:
    store, client = writable
    files = {"file": ("evil.txt", b"<script>alert(1)</script> A harmless line about ports.\n")}
    assert client.post("/api/upload", files=files, headers={"X-CSRF-Token": csrf(client)}).status_code == 401
    token = login(client, "eve", "editor-pass-1")
    h = {"X-CSRF-Token": token}
    assert client.post("/api/upload", files={"file": ("x.exe", b"MZ...")}, headers=h).status_code == 415
    assert client.post("/api/upload", files={"file": ("big.txt", b"a" * 5000)}, headers=h).status_code == 413
    assert client.post("/api/upload", files={"file": ("empty.txt", b"")}, headers=h).status_code == 422
    res = client.post("/api/upload", files=files, data={"title": "Evil <b>doc</b>"}, headers=h)
    assert res.status_code == 202
    job = wait_job(client, res.json()["id"])
    assert job["state"] == "done", job
    page = client.get(f"/source/{job['result']['source_id']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<b>doc</b>" not in page


def test_tampered_session_is_anonymous(writable: tuple[Store, TestClient]) -> None:
    _, client = writable
    login(client, "eve", "editor-pass-1")
    assert client.get("/api/me").json()["user"]["username"] == "eve"
    cookie = client.cookies.get("veeduria_session")
    client.cookies.set("veeduria_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    assert client.get("/api/me").json()["user"] is None


def test_user_add_command(store: Store) -> None:
    from veeduria.cli import cli

    runner = CliRunner()
    args = ["--db", store.url, "user", "add", "ana", "--role", "admin", "--password-stdin"]
    res = runner.invoke(cli, args, input="a-long-password\n")
    assert res.exit_code == 0, res.output
    again = runner.invoke(cli, args, input="a-long-password\n")
    assert again.exit_code == 1 and "exists" in again.output
    short = runner.invoke(cli, ["--db", store.url, "user", "add", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least" in short.output
    with TestClient(create_app(store)) as client:
        assert login(client, "ana", "a-long-password")
        assert client.get("/users").status_code == 200


def test_docs_list_only_real_endpoints(peru: TestClient) -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "web.md").read_text(encoding="utf-8")
    documented = {re.sub(r"\{\w+\}", "{id}", m.split("?")[0]) for m in re.findall(r"`(/api/[^`\s]*)`", doc)}
    paths = {re.sub(r"\{\w+\}", "{id}", p) for p in peru.get("/openapi.json").json()["paths"]}
    assert len(documented) > 15
    assert documented <= paths, documented - paths


def test_fast_claim_rows_match_the_orm_rendering(peru_store: Store, open_peru: TestClient) -> None:
    from veeduria.present.web.data import claim_dict

    items = open_peru.get("/api/claims", params={"status": "any", "limit": 40, "offset": 10}).json()["items"]
    assert len(items) == 40
    with peru_store.reader() as s:
        for item in items:
            assert item == json.loads(json.dumps(claim_dict(s.get(Claim, item["id"]))))


def test_profile_chain_equals_ownership_chain(peru_store: Store, peru: TestClient) -> None:
    from veeduria.query import ownership_chain

    for ent in (CHANCAY, "luz-del-sur", "las-bambas", "huawei"):
        got = [link["owner"]["id"] for link in peru.get(f"/api/entities/{ent}").json()["chain"]]
        with peru_store.reader() as s:
            assert got == [link.owner.id for link in ownership_chain(s, ent)], ent
