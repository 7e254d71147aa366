"""Hardening against hostile input (issue 14): source URLs, CSV formulas, decompression
bombs, paging parameters, uploads, sessions and logins, small leaks, busy stores, big
texts. Each test here failed before its fix."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import update

from veeduria.cli import cli
from veeduria.model import ClaimRecord, EntityRecord
from veeduria.present.web import Settings, create_app
from veeduria.present.web.auth import add_user
from veeduria.store import Claim, Source, Store
from veeduria.store.search import index_claims
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source

EVIL_JS = "javascript:alert(1)"
EVIL_MD = "https://example.org/a> <img src=x onerror=alert(1)> <b"

ARTICLE = ("The port of Chancay was built by COSCO Shipping Ports, which holds a 60% stake in the "
           "operator. The Peruvian partner Volcan Compania Minera holds the remaining 40%.\n\n")


def _small_store(store: Store, url: str = "https://example.org/report") -> None:
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "Test report", "publisher": "Press",
                          "published": "2025-09", "url": "https://example.org/report"}, "test")
        for eid, name in (("acme", "Acme Ports"), ("bay", "Bay Port")):
            upsert_entity(s, EntityRecord(id=eid, schema="Company", name=name, country="pe"), "test")
        s.flush()
        upsert_claim(s, ClaimRecord(id="c1", predicate="operates", quote="Acme operates Bay Port",
                                    entities=[("acme", "subject"), ("bay", "object")], domain="economy",
                                    sector="ports", date="2019", source_id="src", status="accepted",
                                    country="pe"), "test")
    if url != "https://example.org/report":
        # Written behind the checks (an older store, another tool): outputs must still be safe.
        with store.engine.begin() as conn:
            conn.execute(update(Source.__table__).values(url=url))


# --- 1. source URLs ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", [EVIL_JS, "data:text/html,<script>alert(1)</script>", "/relative/path",
                                 EVIL_MD, "https://exa mple.org/", "ftp://example.org/x", "https://"])
def test_only_http_urls_are_accepted(url: str) -> None:
    from veeduria.text import http_url

    with pytest.raises(ValueError):
        http_url(url)
    assert http_url(" https://example.org/a?b=1#c ") == "https://example.org/a?b=1#c"
    assert http_url("") is None


def test_cli_ingest_refuses_a_script_url(store: Store, tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text(ARTICLE, encoding="utf-8")
    for url in (EVIL_JS, EVIL_MD):
        res = CliRunner().invoke(cli, ["--db", store.url, "ingest", str(doc), "--url", url])
        assert res.exit_code == 2 and "--url" in res.output and "Traceback" not in res.output
    with store.reader() as s:
        assert s.query(Source).count() == 0
    ok = CliRunner().invoke(cli, ["--db", store.url, "ingest", str(doc), "--url", "https://example.org/x"])
    assert ok.exit_code == 0, ok.output


def test_pipeline_and_case_loader_refuse_script_urls(store: Store, tmp_path: Path, mini_case: Path) -> None:
    from veeduria.cases.loader import CaseDataError, load_case
    from veeduria.sources.pipeline import ingest_file

    doc = tmp_path / "a.txt"
    doc.write_text(ARTICLE, encoding="utf-8")
    res = ingest_file(store, doc, meta={"url": EVIL_JS}, actor="t")
    assert not res.ok and "http" in res.errors[0]
    sources = mini_case / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace(
        "  sha256: null\n", f"  url: \"{EVIL_JS}\"\n  sha256: null\n", 1), encoding="utf-8")
    with pytest.raises(CaseDataError, match="http"):
        load_case(store, str(mini_case))
    with store.session() as s, pytest.raises(ValueError):
        upsert_source(s, {"id": "x", "kind": "report", "title": "x", "url": EVIL_JS}, "t")


def test_html_page_claiming_a_script_url_keeps_no_url() -> None:
    from veeduria.sources.meta import apply_meta
    from veeduria.sources.readers import read_bytes

    page = (b"<html><head><title>T</title><link rel='canonical' href='javascript:alert(1)'>"
            b"<meta property='og:url' content='javascript:alert(1)'></head><body><article><p>"
            + ARTICLE.encode() * 3 + b"</p></article></body></html>")
    doc = read_bytes(page, "page.html")
    apply_meta(doc, {})
    assert doc.url is None or doc.url.startswith("http")


@pytest.mark.parametrize("url", [EVIL_JS, EVIL_MD])
def test_reports_never_link_a_script_url(store: Store, url: str) -> None:
    from veeduria.present.report import build_report, render_html, render_markdown

    _small_store(store, url)
    with store.reader() as s:
        rep = build_report(s, lang="en")
    page = render_html(rep)
    assert not re.search(r'href="\s*javascript', page, re.I)
    assert "<img src=x" not in page
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp and "script-src 'none'" in csp.group(1) and "default-src 'none'" in csp.group(1)
    md = render_markdown(rep)
    assert "<img" not in md.replace("\\<img", "")
    assert "<javascript:" not in md
    # Every autolink left in the Markdown is one http(s) URL with nothing that could end it.
    for link in re.findall(r"(?<!\\)<([^>]*)>", md):
        assert re.fullmatch(r"https?://[^\s<>\"]+", link), link


def test_reports_keep_good_urls_as_links(store: Store) -> None:
    from veeduria.present.report import build_report, render_html, render_markdown

    _small_store(store)
    with store.reader() as s:
        rep = build_report(s, lang="en")
    assert 'href="https://example.org/report"' in render_html(rep)
    assert "<https://example.org/report>" in render_markdown(rep)


# --- 2. CSV formula injection ---------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\tlead", "\rlead"]


def _formula_store(store: Store) -> None:
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "=1+1", "publisher": "@evil"}, "test")
        upsert_entity(s, EntityRecord(id="acme", schema="Company", name="=Acme()", country="pe",
                                      description="+danger"), "test")
        upsert_entity(s, EntityRecord(id="bay", schema="Company", name="-Bay", country="pe"), "test")
        s.flush()
        for i, bad in enumerate(FORMULAS):
            upsert_claim(s, ClaimRecord(id=f"c{i}", predicate="operates", quote=bad + " Acme operates Bay",
                                        entities=[("acme", "subject"), ("bay", "object")],
                                        domain="economy", place=bad, qualifier=bad, source_id="src",
                                        status="accepted", share=-0.5 if i == 0 else None), "test")


def _cells(csv_text: str) -> list[str]:
    import csv

    return [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]


def _assert_no_formula(csv_text: str) -> None:
    cells = _cells(csv_text)
    assert len(cells) > 10
    bad = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not re.fullmatch(r"-[\d.]+", c))]
    assert not bad, bad


def test_csv_exports_neutralise_formulas(store: Store, tmp_path: Path) -> None:
    _formula_store(store)
    for args in (["export", "csv"], ["export", "csv", "--entities"]):
        out = tmp_path / "x.csv"
        res = CliRunner().invoke(cli, ["--db", store.url, *args, "-o", str(out)])
        assert res.exit_code == 0, res.output
        text_out = out.read_text(encoding="utf-8")
        _assert_no_formula(text_out)
        assert "'=Acme()" in text_out
    claims = (tmp_path / "c.csv")
    CliRunner().invoke(cli, ["--db", store.url, "export", "csv", "-o", str(claims)])
    cells = _cells(claims.read_text(encoding="utf-8"))
    assert "'-2+3" in cells and "'@SUM(1,2)" in cells and "'\tlead" in cells and "-0.5" in cells
    with TestClient(create_app(store, settings=Settings())) as client:
        for url in ("/api/export/claims.csv", "/api/export/entities.csv"):
            res = client.get(url)
            assert res.status_code == 200
            _assert_no_formula(res.text)


# The child's own peak (kB): VmHWM starts afresh with exec, unlike ru_maxrss, which a child
# forked from a big test process inherits.
PEAK_KB = ("print([int(line.split()[1]) for line in open('/proc/self/status')"
           " if line.startswith('VmHWM')][0])\n")


# --- 3. decompression bombs -------------------------------------------------------------------

_CT = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       b'<Default Extension="xml" ContentType="application/xml"/></Types>')


def _docx_bomb(path: Path, xml_mb: int, *, entries: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><w:document><w:body>')
            chunk = b" " * (1024 * 1024)
            for _ in range(xml_mb):
                member.write(chunk)
            member.write(b"</w:body></w:document>")
        for i in range(entries):
            zf.writestr(f"word/media/x{i}.xml", b"<x/>")
    return path


def _lie_about_sizes(path: Path) -> None:
    """Rewrite every declared uncompressed size (local and central headers) as 1 KB."""
    import struct

    data = bytearray(path.read_bytes())
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig)
        while pos != -1:
            if struct.unpack_from("<I", data, pos + size_at)[0] not in (0xFFFFFFFF,):
                struct.pack_into("<I", data, pos + size_at, 1024)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def test_docx_bombs_are_refused_before_parsing(tmp_path: Path) -> None:
    from veeduria.sources.document import DocumentError
    from veeduria.sources.readers import read_document

    big = _docx_bomb(tmp_path / "bomb.docx", 300)
    assert big.stat().st_size < 2_000_000
    with pytest.raises(DocumentError, match="refused"):
        read_document(big)
    many = _docx_bomb(tmp_path / "many.docx", 0, entries=2500)
    with pytest.raises(DocumentError, match="entries"):
        read_document(many)


def test_docx_bomb_with_false_sizes_is_refused(tmp_path: Path) -> None:
    from veeduria.safezip import ZipBombError, check_zip
    from veeduria.sources.document import DocumentError
    from veeduria.sources.readers import read_document

    liar = _docx_bomb(tmp_path / "liar.docx", 60)
    _lie_about_sizes(liar)
    with pytest.raises(DocumentError):
        read_document(liar)
    # Also when the declared sizes are believed: the count of what comes out stops it.
    with zipfile.ZipFile(_docx_bomb(tmp_path / "ok.docx", 60)) as zf:
        assert zf.getinfo("word/document.xml").file_size > 60_000_000
    with pytest.raises(ZipBombError):
        check_zip(tmp_path / "ok.docx")


def test_bomb_memory_stays_small(tmp_path: Path) -> None:
    """A 1 GB bomb is refused in a process that never grows past 200 MB."""
    import subprocess
    import sys

    bomb = _docx_bomb(tmp_path / "gb.docx", 1024)
    code = ("import sys\nfrom veeduria.sources.readers import read_document\n"
            "from veeduria.sources.document import DocumentError\n"
            f"try:\n    read_document(__import__('pathlib').Path({str(bomb)!r}))\n"
            "except DocumentError as e:\n    print('refused', e)\n"
            + PEAK_KB)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("refused"), out.stdout + out.stderr
    assert int(lines[-1]) < 200_000, f"peak {int(lines[-1]) // 1024} MB"


def test_xlsx_bomb_is_refused(tmp_path: Path) -> None:
    from veeduria.importers.common import ImportDataError, xlsx_rows

    bomb = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            for _ in range(50):
                member.write(b"a" * (1024 * 1024))
    with pytest.raises(ImportDataError, match="refused"):
        xlsx_rows(bomb)


# --- 8. paging parameters ---------------------------------------------------------------------

@pytest.fixture
def web(store: Store) -> Iterator[tuple[Store, TestClient]]:
    """A small store with an editor ('eve'), a second editor ('ann') and a viewer ('vic')."""
    _small_store(store)
    with store.session() as s:
        upsert_claim(s, ClaimRecord(predicate="operates", source_id="src", quote="Acme operates Bay Port",
                                    entities=[("acme", "subject"), ("bay", "object")], domain="economy",
                                    id="cand-1", status="candidate", method="test"), "test")
        s.flush()
        index_claims(s, ["c1", "cand-1"])
        add_user(s, "eve", "editor-pass-1", "editor")
        add_user(s, "ann", "editor-pass-2", "editor")
        add_user(s, "vic", "viewer-pass-1", "viewer")
    with TestClient(create_app(store, settings=Settings(max_upload_bytes=64 * 1024))) as client:
        yield store, client


HUGE = "9223372036854775808"


def test_huge_offsets_are_422_everywhere(web: tuple[Store, TestClient]) -> None:
    _, client = web
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        op = methods.get("get")
        if not op or not any(p["name"] == "offset" for p in op.get("parameters", [])):
            continue
        url = path.replace("{entity_id}", "acme")
        params = {"offset": HUGE, "q": "acme"} if path.endswith("search") or path == "/api/entities" else {"offset": HUGE}
        for extra in ({}, {"offset": "-1"}, {"limit": HUGE, "offset": "0"}):
            res = client.get(url, params={**params, **extra})
            assert res.status_code == 422, (url, extra, res.status_code)
            assert "offset" in res.text or "limit" in res.text
        checked += 1
    assert checked >= 7
    for page in ("/findings", "/review"):
        assert client.get(page, params={"offset": HUGE}, follow_redirects=False).status_code in (422, 303)
    assert client.get("/findings", params={"offset": HUGE}).status_code == 422
    res = CliRunner().invoke(cli, ["--db", web[0].url, "review", "--offset", HUGE])
    assert res.exit_code == 2 and "Traceback" not in res.output


# --- 6. uploads: who and how big, before the body is read -------------------------------------

def _csrf(client: TestClient) -> str:
    return client.get("/api/me").json()["csrf_token"]


def _login(client: TestClient, user: str, password: str, **kw: object) -> str:
    res = client.post("/api/login", json={"username": user, "password": password},
                      headers={"X-CSRF-Token": _csrf(client)}, **kw)
    assert res.status_code == 200, res.text
    return res.json()["csrf_token"]


class Body:
    """A chunked multipart body that counts how much of it the server pulled."""

    def __init__(self, token: str | None, chunks: int, chunk: int = 16 * 1024) -> None:
        self.sent = 0
        self.token, self.chunks, self.chunk = token, chunks, chunk
        self.boundary = "XyZbOuNdArY"

    def __iter__(self) -> Iterator[bytes]:
        b = self.boundary
        head = ""
        if self.token:
            head += f'--{b}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.token}\r\n'
        head += f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n' \
                "Content-Type: text/plain\r\n\r\n"
        yield head.encode()
        for _ in range(self.chunks):
            self.sent += self.chunk
            yield b"a" * self.chunk
        yield f"\r\n--{b}--\r\n".encode()

    @property
    def ctype(self) -> dict[str, str]:
        return {"Content-Type": f"multipart/form-data; boundary={self.boundary}"}


@pytest.mark.parametrize("url", ["/upload", "/api/upload"])
def test_anonymous_or_forged_uploads_are_refused_unread(web: tuple[Store, TestClient], url: str) -> None:
    _, client = web
    token = _csrf(client)
    body = Body(token, chunks=200)  # 3.2 MB, the limit is 64 KB
    res = client.post(url, content=iter(body), headers=body.ctype, follow_redirects=False)
    assert res.status_code in (401, 303) and body.sent < 200 * 1024, (res.status_code, body.sent)
    _login(client, "vic", "viewer-pass-1")  # a viewer may not upload either
    body = Body(_csrf(client), chunks=200)
    assert client.post(url, content=iter(body), headers=body.ctype).status_code == 403
    assert body.sent < 200 * 1024
    # An editor whose token comes only in the form (read only after the body) is refused too.
    _login(client, "eve", "editor-pass-1")
    body = Body(_csrf(client), chunks=200)
    res = client.post(url, content=iter(body), headers=body.ctype)
    assert res.status_code == 403 and body.sent < 200 * 1024


def _asgi_post(client: TestClient, url: str, body: Body, headers: dict[str, str]) -> tuple[int, int]:
    """POST `body` chunk by chunk straight into the ASGI app; (status, chunks pulled)."""
    import asyncio

    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    raw = [(k.lower().encode(), v.encode()) for k, v in {**headers, "cookie": cookie}.items()]
    path, _, query = url.partition("?")
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": query.encode(), "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "state": {}}
    chunks = iter(body)
    pulled = 0
    status = 0

    async def receive() -> dict:
        nonlocal pulled
        part = next(chunks, None)
        pulled += 1
        return {"type": "http.request", "body": part or b"", "more_body": part is not None}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    asyncio.run(client.app(scope, receive, send))
    return status, pulled


@pytest.mark.parametrize("url", ["/upload", "/api/upload"])
def test_oversized_uploads_stop_at_the_limit(web: tuple[Store, TestClient], url: str) -> None:
    _, client = web
    token = _login(client, "eve", "editor-pass-1")
    h = {"X-CSRF-Token": token}
    # Declared too big: refused from the header alone.
    big = client.post(url, files={"file": ("big.txt", b"a" * (300 * 1024))}, headers=h)
    assert big.status_code == 413
    # Streamed without a length: cut off once past the limit (driven at the ASGI level: the
    # test client reads a whole body as soon as the app asks for its first part).
    body = Body(None, chunks=400)
    status, pulled = _asgi_post(client, url, body, {**h, **body.ctype})
    assert status == 413 and body.sent < 200 * 1024, (status, body.sent)
    # The form's way: token in the action's query string.
    ok = client.post(f"{url}?csrf_token={token}", files={"file": ("a.txt", ARTICLE.encode())},
                     follow_redirects=False)
    assert ok.status_code in (202, 303), ok.text
    # Other forms are bounded too (a login is a few fields).
    assert client.post("/login", content=b"a" * (2 * 1024 * 1024),
                       headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 413


# --- 7. sessions and logins -------------------------------------------------------------------

def _set_cookie(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set("veeduria_session", value, domain="testserver.local")


def test_a_cookie_kept_after_logout_is_no_login(web: tuple[Store, TestClient]) -> None:
    store, client = web
    token = _login(client, "eve", "editor-pass-1")
    stolen = client.cookies.get("veeduria_session")
    assert client.get("/api/me").json()["user"]["username"] == "eve"
    assert client.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
    _set_cookie(client, stolen)
    me = client.get("/api/me").json()
    assert me["user"] is None
    res = client.post("/api/claims/cand-1/accept", headers={"X-CSRF-Token": me["csrf_token"]})
    assert res.status_code == 401
    # The page form's logout ends the server-side session too.
    _login(client, "eve", "editor-pass-1")
    stolen = client.cookies.get("veeduria_session")
    page_token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    client.post("/logout", data={"csrf_token": page_token}, follow_redirects=False)
    _set_cookie(client, stolen)
    assert client.get("/api/me").json()["user"] is None
    # Revoking a user's sessions (deactivation) ends them all.
    from veeduria.present.web.auth import revoke_user_sessions
    from veeduria.present.web.models import User

    _login(client, "eve", "editor-pass-1")
    with store.session() as s:
        uid = s.query(User).filter_by(username="eve").one().id
        assert revoke_user_sessions(s, uid) == 1
    assert client.get("/api/me").json()["user"] is None


def _login_from(client: TestClient, address: str, user: str, password: str) -> int:
    client.cookies.clear()
    res = client.post("/api/login", json={"username": user, "password": password},
                      headers={"X-CSRF-Token": _csrf(client), "X-Forwarded-For": address})
    return res.status_code


def test_throttle_blocks_the_guesser_not_the_owner_or_the_office() -> None:
    from veeduria.present.web.auth import LoginThrottle

    t = LoginThrottle()
    for _ in range(10):
        assert not t.blocked("eve", "10.0.0.66")
        t.failed("eve", "10.0.0.66")
    assert t.blocked("eve", "10.0.0.66") and t.blocked("EVE ", "10.0.0.66")
    assert not t.blocked("eve", "10.0.0.7")  # the owner elsewhere
    assert not t.blocked("ann", "10.0.0.66")  # a colleague behind the same address
    # Many addresses guessing one name: the name is closed, except where its owner logs in.
    t.succeeded("eve", "10.0.0.7")
    for i in range(60):
        t.failed("eve", f"10.1.0.{i}")
    assert t.blocked("eve", "10.9.9.9") and not t.blocked("eve", "10.0.0.7")
    # One address spraying many names is stopped.
    for i in range(100):
        t.failed(f"user{i}", "10.2.0.1")
    assert t.blocked("ann", "10.2.0.1")


def test_forwarded_for_is_believed_only_from_a_configured_proxy(store: Store) -> None:
    _small_store(store)
    with store.session() as s:
        add_user(s, "eve", "editor-pass-1", "editor")
    # Not configured: rotating X-Forwarded-For does not escape the per-address limit.
    with TestClient(create_app(store, settings=Settings(trusted_proxies=()))) as client:
        codes = [_login_from(client, f"198.51.100.{i}", "eve", "wrong-pass") for i in range(12)]
        assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
        assert _login_from(client, "198.51.100.200", "ann-unknown", "wrong-pass") == 401
    # Configured (the test client's address is the proxy): each forwarded address counts alone.
    with TestClient(create_app(store, settings=Settings(trusted_proxies=("10.0.0.0/24",))),
                    client=("10.0.0.1", 1234)) as client:
        codes = [_login_from(client, "203.0.113.5", "eve", "wrong-pass") for i in range(11)]
        assert codes[-1] == 429
        assert _login_from(client, "203.0.113.9", "eve", "editor-pass-1") == 200


def test_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEEDURIA_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    assert Settings().trusted_proxies == ("10.0.0.1", "192.168.0.0/16")
    monkeypatch.setenv("VEEDURIA_TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.delenv("VEEDURIA_TRUSTED_PROXIES")
    assert Settings().trusted_proxies == ()


# --- 10. smaller leaks and surprises ----------------------------------------------------------

def _wait_job(client: TestClient, job_id: str) -> dict:
    import time

    for _ in range(400):
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_upload_job_errors_do_not_show_server_paths(web: tuple[Store, TestClient]) -> None:
    _, client = web
    token = _login(client, "eve", "editor-pass-1")
    jobs = client.app.state.jobs
    for name, data in (("broken.pdf", b"%PDF-1.4 this is not a pdf at all"), ("bin.txt", b"\x00\x01\x02" * 500),
                       ("broken.docx", b"PK\x03\x04 not a zip")):
        res = client.post("/api/upload", files={"file": (name, data)}, headers={"X-CSRF-Token": token})
        assert res.status_code == 202, res.text
        job = _wait_job(client, res.json()["id"])
        assert job["state"] == "failed" and name in job["message"], job
        dump = str(job)
        assert str(jobs.upload_dir) not in dump and "/tmp" not in dump and "upload." not in dump, dump
        page = client.get(f"/jobs/{job['id']}").text
        assert str(jobs.upload_dir) not in page


def test_pdf_error_reads_cleanly() -> None:
    from veeduria.sources.document import DocumentError
    from veeduria.sources.readers import read_bytes

    with pytest.raises(DocumentError) as err:
        read_bytes(b"%PDF-1.4 garbage garbage", "x.pdf")
    message = str(err.value)
    assert message == "x.pdf: corrupt or unreadable PDF (Data format error)", message


def test_windows_1252_text_is_reported(store: Store, tmp_path: Path) -> None:
    from veeduria.sources.pipeline import ingest_file

    doc = tmp_path / "latin.txt"
    doc.write_bytes(ARTICLE.replace("Compania", "Compa\u00f1ia").encode("cp1252"))
    res = ingest_file(store, doc, actor="t")
    assert res.ok and any("Windows-1252" in w and "UTF-8" in w for w in res.warnings), res.warnings
    utf8 = tmp_path / "utf8.txt"
    utf8.write_text(ARTICLE.replace("Compania", "Compa\u00f1ia") + "Otra vez.", encoding="utf-8")
    assert not any("UTF-8" in w for w in ingest_file(store, utf8, actor="t").warnings)
    res = CliRunner().invoke(cli, ["--db", store.url, "ingest", str(doc)])
    assert "Windows-1252" in res.output


def test_bidi_controls_in_file_names_are_neutralised(web: tuple[Store, TestClient], tmp_path: Path) -> None:
    store, client = web
    token = _login(client, "eve", "editor-pass-1")
    name = "report\u202etxt.exe.txt"
    res = client.post("/api/upload", files={"file": (name, ARTICLE.encode())}, headers={"X-CSRF-Token": token})
    assert res.status_code == 202
    assert "\u202e" not in res.json()["filename"]
    job = _wait_job(client, res.json()["id"])
    assert job["state"] == "done", job
    assert "\u202e" not in client.get(f"/jobs/{job['id']}").text
    src = job["result"]["source_id"]
    page = client.get(f"/source/{src}").text
    assert "\u202e" not in page and "\u2067" not in page
    # A name stored by the CLI is shown neutralised too.
    doc = tmp_path / "memo\u2067evil\u2069.txt"
    doc.write_text(ARTICLE + "Second copy.", encoding="utf-8")
    out = CliRunner().invoke(cli, ["--db", store.url, "ingest", str(doc)])
    assert out.exit_code == 0 and "\u2067" not in out.output
    with store.reader() as s:
        cli_src = s.query(Source).filter(Source.filename.like("memo%")).one().id
    assert "\u2067" not in client.get(f"/source/{cli_src}").text


def test_editing_an_accepted_claim_needs_a_new_review(web: tuple[Store, TestClient]) -> None:
    from veeduria.review import edit_claim
    from veeduria.store import AuditEvent

    store, client = web
    token = _login(client, "eve", "editor-pass-1")
    res = client.patch("/api/claims/c1", json={"qualifier": "container terminal"}, headers={"X-CSRF-Token": token})
    assert res.status_code == 200 and res.json()["status"] == "candidate"
    with store.reader() as s:
        event = s.query(AuditEvent).filter_by(object_id="c1", action="edit").order_by(AuditEvent.id.desc()).first()
        assert event.actor == "eve" and event.changes["status"] == ["accepted", "candidate"]
    assert client.post("/api/claims/c1/accept", headers={"X-CSRF-Token": token}).status_code == 200
    with store.session() as s:
        edit_claim(s, "c1", "cli", note="checked with the port authority")  # a curator note only
    with store.reader() as s:
        assert s.get(Claim, "c1").status == "accepted"
    res = CliRunner().invoke(cli, ["--db", store.url, "review", "edit", "c1", "--actor", "ana", "--date", "2020"])
    assert res.exit_code == 0
    with store.reader() as s:
        assert s.get(Claim, "c1").status == "candidate"


# --- 5. a busy store (SQLite's one writer) ----------------------------------------------------

def _hold_write_lock(db_file: Path):  # noqa: ANN202
    import sqlite3

    conn = sqlite3.connect(db_file, isolation_level=None, timeout=0, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.fixture
def busy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEEDURIA_SQLITE_TIMEOUT", "0.1")
    monkeypatch.setenv("VEEDURIA_BUSY_WAIT", "0.5")


def test_cli_review_says_the_store_is_busy(tmp_path: Path, busy_env: None) -> None:
    from veeduria.store import open_store

    db_file = tmp_path / "s.db"
    store = open_store(str(db_file))
    _small_store(store)
    with store.session() as s:
        s.get(Claim, "c1").status = "candidate"
    store.dispose()
    lock = _hold_write_lock(db_file)
    try:
        for args in (["review", "accept", "c1", "--actor", "ana"], ["review", "edit", "c1", "--actor", "ana",
                                                                     "--place", "Lima"]):
            res = CliRunner().invoke(cli, ["--db", str(db_file), *args])
            assert res.exit_code == 1, res.output
            assert "store is busy" in res.output and "Traceback" not in res.output
            assert res.exception is None or isinstance(res.exception, SystemExit)
        # Reading still works while the lock is held (WAL).
        assert CliRunner().invoke(cli, ["--db", str(db_file), "review"]).exit_code == 0
    finally:
        lock.rollback()
        lock.close()
    ok = CliRunner().invoke(cli, ["--db", str(db_file), "review", "accept", "c1", "--actor", "ana"])
    assert ok.exit_code == 0 and "accepted" in ok.output


def test_web_write_on_a_busy_store_is_503(tmp_path: Path, busy_env: None) -> None:
    from veeduria.store import open_store

    db_file = tmp_path / "s.db"
    store = open_store(str(db_file))
    _small_store(store)
    with store.session() as s:
        add_user(s, "eve", "editor-pass-1", "editor")
    with TestClient(create_app(store, settings=Settings())) as client:
        token = _login(client, "eve", "editor-pass-1")
        lock = _hold_write_lock(db_file)
        try:
            res = client.patch("/api/claims/c1", json={"place": "Lima"}, headers={"X-CSRF-Token": token})
            assert res.status_code == 503 and "busy" in res.json()["error"]["message"]
            assert res.headers["retry-after"]
            page = client.post("/review/c1/reject", data={"csrf_token": token})
            assert page.status_code == 503 and "busy" in page.text
            assert client.get("/api/claims/c1").status_code == 200
        finally:
            lock.rollback()
            lock.close()
        res = client.patch("/api/claims/c1", json={"place": "Lima"}, headers={"X-CSRF-Token": token})
        assert res.status_code == 200
    store.dispose()


def test_ingest_holds_no_write_lock_while_extracting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer gets in while the ingest extracts: the ingest writes only in short
    batches after extraction."""
    import sqlite3

    from veeduria.sources import pipeline
    from veeduria.store import open_store

    db_file = tmp_path / "s.db"
    store = open_store(str(db_file))
    docs = []
    for i in range(6):
        doc = tmp_path / f"d{i}.txt"
        doc.write_text(f"Report {i}. " + ARTICLE, encoding="utf-8")
        docs.append(doc)
    other_writes: list[bool] = []
    real = pipeline.Ingestor._extract

    def extracting(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        conn = sqlite3.connect(db_file, isolation_level=None, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            other_writes.append(True)
        except sqlite3.OperationalError:
            other_writes.append(False)
        finally:
            conn.close()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pipeline.Ingestor, "_extract", extracting)
    results = list(pipeline.Ingestor(store, actor="t", batch_docs=3).ingest_paths(docs, {}))
    assert all(r.ok for r in results) and len(other_writes) == 6
    assert all(other_writes), other_writes


def test_ingest_waits_for_a_busy_store(tmp_path: Path, busy_env: None) -> None:
    import threading

    from veeduria.sources.pipeline import Ingestor
    from veeduria.store import open_store

    db_file = tmp_path / "s.db"
    store = open_store(str(db_file))
    doc = tmp_path / "a.txt"
    doc.write_text(ARTICLE, encoding="utf-8")
    lock = _hold_write_lock(db_file)
    timer = threading.Timer(1.0, lambda: (lock.rollback(), lock.close()))
    timer.start()
    try:
        res = Ingestor(store, actor="t", busy_seconds=30).ingest_path(doc, {})
    finally:
        timer.join()
    assert res.ok and res.outcome == "created", res.errors
    with store.reader() as s:
        assert s.query(Source).count() == 1


# --- 4. big texts -----------------------------------------------------------------------------

def _article_text(megabytes: float, seed: int = 1) -> str:
    """Article-like paragraphs (firms, places, stakes, amounts, years), written here."""
    import random

    rnd = random.Random(seed)
    firms = ["COSCO Shipping Ports", "China Three Gorges", "Huawei Technologies", "China Railway Group",
             "Jinchuan Group", "Shougang Corporation", "Chinalco", "State Grid", "China Harbour Engineering"]
    places = ["Chancay", "Lima", "Arequipa", "Cusco", "Piura", "Callao", "Ica", "Tacna"]
    out, size, i = [], 0, 0
    while size < megabytes * 1024 * 1024:
        a, b = rnd.sample(firms, 2)
        p, y = rnd.choice(places), rnd.randint(2005, 2024)
        para = (f"In {y}, {a} agreed to invest US$ {rnd.randint(1, 900)} million in a new terminal near {p}. "
                f"The company holds a {rnd.randint(10, 90)}% stake in the operator, while {b} signed a "
                f"contract worth US$ {rnd.randint(5, 500)} million for the works in {p}. Paragraph {i}.\n\n")
        out.append(para)
        size += len(para)
        i += 1
    return "".join(out)


def test_chunks_cut_at_paragraphs_and_cover_the_text() -> None:
    from veeduria.sources.chunks import chunk_spans

    text = _article_text(0.3)
    spans = list(chunk_spans(text, 50_000))
    assert spans[0][0] == 0 and spans[-1][1] == len(text) and len(spans) > 5
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(0 < end - start <= 50_000 for start, end in spans)
    assert all(text[end - 2:end] == "\n\n" for _, end in spans[:-1])
    # No paragraph breaks at all: cut at sentences, never past the limit.
    flat = text.replace("\n\n", " ")
    assert all(end - start <= 50_000 for start, end in chunk_spans(flat, 50_000))


def test_chunked_extraction_keeps_offsets_and_short_texts_unchanged(seed_path: Path) -> None:
    from veeduria.extract import DocMeta, Gazetteer, extract
    from veeduria.sources.chunks import extract_chunked
    from veeduria.sources.document import read_text_file

    text = read_text_file(seed_path).text
    meta = DocMeta(source_id="seed")
    whole = extract(text, meta, Gazetteer())
    same, capped = extract_chunked(text, meta, Gazetteer())
    assert not capped and [c.fingerprint() for c in same.claims] == [c.fingerprint() for c in whole.claims]
    pieces, _ = extract_chunked(text, meta, Gazetteer(), chunk_chars=6000, context=3000)
    assert pieces.claims
    for c in pieces.claims:
        assert re.sub(r"\s+", " ", text[c.offsets[0]:c.offsets[1]]) == re.sub(r"\s+", " ", c.quote)
    shared = {c.fingerprint() for c in pieces.claims} & {c.fingerprint() for c in whole.claims}
    assert len(shared) >= 0.75 * len(whole.claims)
    few, capped = extract_chunked(text, meta, Gazetteer(), chunk_chars=6000, max_candidates=10)
    assert capped and len(few.claims) == 10


def test_a_20_mb_text_stays_under_500_mb(tmp_path: Path) -> None:
    import subprocess
    import sys

    from veeduria.sources.chunks import MAX_CANDIDATES

    big = tmp_path / "big.txt"
    big.write_text(_article_text(20), encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom veeduria.store import open_store\n"
            "from veeduria.sources.pipeline import Ingestor\n"
            f"st = open_store({str(tmp_path / 's.db')!r})\n"
            f"r = Ingestor(st, actor='t').ingest_path(Path({str(big)!r}), {{}})\n"
            "print(r.ok, r.claims, r.duplicates, '|'.join(r.warnings[:1]))\n"
            + PEAK_KB)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    lines = out.stdout.strip().splitlines()
    assert lines and lines[0].startswith("True"), out.stdout + out.stderr[-2000:]
    ok, claims, _, warning = lines[0].split(" ", 3)
    assert int(claims) == MAX_CANDIDATES and "stopped at" in warning
    assert int(lines[-1]) < 500 * 1024, f"peak {int(lines[-1]) // 1024} MB"


# --- 9. parallel ingest writes what the sequential ingest writes -------------------------------

ARTICLES = [
    "Andes Lithium Holdings, a subsidiary of Tianqi Lithium, signed an agreement with the Government of "
    "Colombia in March 2023 to develop a lithium project in Cauca. Andes Lithium Holdings will invest "
    "US$ 350 million in the first phase.\n\nThe Colombian Ministry of Mines said the project would start "
    "production in 2026. Andes Lithium Holdings will build the first lithium plant in Colombia, with a "
    "loan from China Development Bank.",
    "In 2022 Sinohydro Corporation won a US$ 1.2 billion contract to build the Bogota metro viaduct for the "
    "Government of Colombia. Sinohydro Corporation is owned by Power Construction Corporation of China, a "
    "state-owned enterprise.",
    "The Government of Colombia and China Harbour Engineering Company signed a memorandum on the port of "
    "Buenaventura in 2024. Andes Lithium Holdings also announced a new office in Bogota, and Tianqi Lithium "
    "holds 51% of Andes Lithium Holdings.",
    "Ecuador's government awarded Sinohydro Corporation the Coca Codo Sinclair dam repairs in 2021, worth "
    "US$ 90 million. The Government of Ecuador owns the dam through Celec EP, and Power Construction "
    "Corporation of China guaranteed the works.",
    "China Development Bank lent US$ 200 million to Andes Lithium Holdings in 2024 for the plant in Cauca, "
    "and Colombia granted the company a water licence.",
]


def _real_corpus(folder: Path, seed_path: Path, parts: int = 6) -> list[Path]:
    """The seed report cut into parts at paragraphs, and short articles written for this test
    (new firms, new countries, names first found in an earlier document)."""
    folder.mkdir(parents=True, exist_ok=True)
    paras = [p for p in re.split(r"\n\s*\n", seed_path.read_text(encoding="utf-8")) if p.strip()]
    size = len(paras) // parts + 1
    paths = []
    for i, text in enumerate(ARTICLES):
        paths.append(folder / f"article-{i}.txt")
        paths[-1].write_text(text + "\n", encoding="utf-8")
    for i in range(parts):
        paths.append(folder / f"seed-part-{i}.txt")
        paths[-1].write_text("\n\n".join(paras[i * size:(i + 1) * size]) + "\n", encoding="utf-8")
    return sorted(paths)


def _dump(store: Store) -> dict:
    from test_scale import dump

    return dump(store)


def test_batch_ingest_of_real_text_writes_what_sequential_writes(backend: str, tmp_path: Path,
                                                                 seed_path: Path) -> None:
    from conftest import make_store

    from veeduria.scale.dask_ingest import ingest_corpus
    from veeduria.sources.pipeline import Ingestor

    paths = _real_corpus(tmp_path / "docs", seed_path)
    stores = [make_store(backend, tmp_path / name) for name in ("seq", "batch")]
    try:
        (seq, _), (batch, _) = stores
        ingestor = Ingestor(seq, actor="t")
        assert all(ingestor.ingest_path(p, {}).ok for p in paths)
        summary = ingest_corpus(batch, paths, actor="t", task_docs=3)
        assert not summary.errors and summary.written.documents == len(paths)
        want, got = _dump(seq), _dump(batch)
        assert "state-colombia" in {e[0] for e in want["entities"]}
        assert got == want
    finally:
        for st, db in stores:
            st.dispose()
            if db:
                db.drop()


def test_two_workers_write_what_one_process_writes(backend: str, tmp_path: Path, seed_path: Path) -> None:
    """`veeduria ingest --workers 2` of real text on a fresh store: the same claims, entities,
    search documents and audit events as `veeduria ingest`."""
    from conftest import make_store

    _real_corpus(tmp_path / "docs", seed_path)
    stores = [make_store(backend, tmp_path / name) for name in ("one", "two")]
    try:
        (one, _), (two, _) = stores
        res = CliRunner().invoke(cli, ["--db", one.url, "ingest", str(tmp_path / "docs")])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(cli, ["--db", two.url, "ingest", "--workers", "2", str(tmp_path / "docs")])
        assert res.exit_code == 0 and "Traceback" not in res.output, res.output
        want, got = _dump(one), _dump(two)
        assert len(want["claims"]) > 50 and "state-colombia" in {e[0] for e in want["entities"]}
        assert got == want
        # Names first found in an earlier document, in another task, are the same entities.
        ids = {e[0] for e in got["entities"]}
        assert "andes-lithium-holdings" in ids or any("andes-lithium" in i for i in ids)
    finally:
        for st, db in stores:
            st.dispose()
            if db:
                db.drop()
