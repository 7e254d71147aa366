"""Report downloads from the dashboard in headless Chromium: the form at 1280 and 390 px
in both languages, the background job, and the file (PDF, HTML, Markdown)."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    if os.environ.get("VEEDURIA_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing and VEEDURIA_REQUIRE_BROWSER=1")
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from veeduria.cases.loader import load_case
    from veeduria.present.web import Settings, create_app
    from veeduria.store import open_store

    store = open_store(str(tmp_path_factory.mktemp("web-report") / "store.db"))
    load_case(store, "pe_prc")
    app = create_app(store, settings=Settings())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    store.dispose()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[tuple[object, list[str]]]:
    host = urlparse(server).netloc
    foreign: list[str] = []
    pw = sync_api.sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])

    def route(r) -> None:  # noqa: ANN001
        url = urlparse(r.request.url)
        if url.scheme in ("data", "blob") or url.netloc == host:
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    yield chromium, foreign, route
    chromium.close()
    pw.stop()
    assert not foreign, f"requests left the machine: {foreign}"


def _page(browser, server: str, width: int, lang: str):  # noqa: ANN001, ANN202
    chromium, _, route = browser
    context = chromium.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    context.add_cookies([{"name": "lang", "value": lang, "url": server}])
    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(120_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _request_report(page, server: str, fmt: str, lang: str, domain: str | None = None,  # noqa: ANN001
                    date_from: str | None = None):  # noqa: ANN202
    page.goto(server + "/report")
    page.check(f'input[name="lang"][value="{lang}"]')
    page.check(f'input[name="format"][value="{fmt}"]')
    if domain:
        page.check(f'input[name="domain"][value="{domain}"]')
    if date_from:
        page.fill('input[name="from"]', date_from)
    page.click('#report-form button[type="submit"]')
    page.wait_for_url("**/report/jobs/*")
    page.wait_for_selector("#report-ready:not([hidden])")
    with page.expect_download() as info:
        page.click("#report-download")
    return info.value


@pytest.mark.parametrize(("width", "lang"), [(1280, "en"), (390, "es")])
def test_report_pdf_download(browser, server: str, width: int, lang: str, tmp_path: Path) -> None:  # noqa: ANN001
    from pypdf import PdfReader

    context, page, errors = _page(browser, server, width, lang)
    try:
        page.goto(server + "/report")
        heading = page.locator("h1").inner_text()
        assert heading == {"en": "Download a report", "es": "Descargar un informe"}[lang]
        # The form fits the phone screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        download = _request_report(page, server, "pdf", lang)
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        assert path.suffix == ".pdf" and path.read_bytes()[:5] == b"%PDF-"
        pages = [(p.extract_text() or "").replace("\n", " ") for p in PdfReader(io.BytesIO(path.read_bytes())).pages]
        annex = {"en": "Annex A. Evidence", "es": "Anexo A. Evidencia"}[lang]
        first_annex = next(i for i, text in enumerate(pages) if text.lstrip().startswith(annex))
        assert first_annex <= 12, f"briefing of {first_annex} pages"
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize(("fmt", "lang"), [("md", "es"), ("html", "en")])
def test_report_filtered_by_domain_and_date(browser, server: str, fmt: str, lang: str, tmp_path: Path) -> None:  # noqa: ANN001
    context, page, errors = _page(browser, server, 1280, lang)
    try:
        download = _request_report(page, server, fmt, lang, domain="military", date_from="2020-01-01")
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        text = path.read_text(encoding="utf-8")
        assert path.suffix == f".{fmt}"
        if fmt == "md":
            assert text.startswith("# ") and "## Anexo A. Evidencia" in text
            assert "Afirmaciones fechadas desde el 1 de enero de 2020." in text
            assert "dominios Defensa" in text
        else:
            assert '<html lang="en">' in text and "Claims dated from January 1, 2020 on." in text
        assert not errors, errors
    finally:
        context.close()


def test_bad_report_options_say_why(server: str) -> None:
    import httpx

    with httpx.Client(base_url=server) as client:
        page = client.get("/report")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        bad = client.post("/report", data={"csrf_token": token, "lang": "en", "format": "pdf", "from": "2024-13-01"})
        assert bad.status_code == 422 and "2024-13-01" in bad.text
        missing = client.get("/api/reports/nope")
        assert missing.status_code == 404


@pytest.mark.parametrize("width", [1280, 390])
def test_spanish_pages_name_entities_in_spanish_and_locate_sources(browser, server: str, width: int) -> None:  # noqa: ANN001
    context, page, errors = _page(browser, server, width, "es")
    try:
        page.goto(server + "/entity/chancay-port")
        assert page.locator("h1").inner_text() == "Puerto de Chancay"
        assert "Puerto de aguas profundas" in page.locator(".lede").inner_text()
        page.goto(server + "/entity/huawei")
        assert page.locator("h1").inner_text() == "Huawei"  # never the subsidiary's alias
        # A dataset source links to the exact file; a public record says why it has no address.
        page.goto(server + "/source/us-dod-1260h-opensanctions")
        href = page.locator("a.source-url").get_attribute("href")
        assert href.startswith("https://github.com/opensanctions/opensanctions/blob/")
        page.goto(server + "/source/pr-mmg-annual-report-2024")
        assert "sin dirección pública" in page.locator(".url.none").inner_text()
        assert page.locator("a.publisher-url").get_attribute("href") == "https://www.hkexnews.hk/"
        assert not errors, errors
    finally:
        context.close()
