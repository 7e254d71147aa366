"""The dashboard in real headless Chromium (Playwright): reading, switching language,
logging in, reviewing, uploading. Every request must stay on the app's own host."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from veeduria.model import ClaimRecord

CHROMIUM = "/usr/bin/chromium"
CHANCAY = "cosco-shipping-ports-chancay"

if not Path(CHROMIUM).exists():
    if os.environ.get("VEEDURIA_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing and VEEDURIA_REQUIRE_BROWSER=1")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); set VEEDURIA_REQUIRE_BROWSER=1 "
                "to make this an error", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Iterator[str]:
    import uvicorn

    from veeduria.cases.loader import load_case
    from veeduria.present.web import Settings, create_app
    from veeduria.present.web.auth import add_user
    from veeduria.sources.document import read_text_file
    from veeduria.sources.store_docs import store_document
    from veeduria.store import open_store
    from veeduria.store.search import index_claims
    from veeduria.store.writer import upsert_claim

    tmp = tmp_path_factory.mktemp("e2e")
    store = open_store(str(tmp / "store.db"))
    load_case(store, "pe_prc")
    with store.session() as s:
        src = store_document(s, read_text_file(seed_path), "test").source_id
        rec = ClaimRecord(predicate="operates", source_id=src, quote="Chancay port candidate for e2e",
                          entities=[(CHANCAY, "subject")], domain="economy", id="e2e-candidate",
                          status="candidate", method="test")
        upsert_claim(s, rec, "test")
        s.flush()
        index_claims(s, ["e2e-candidate"])
        add_user(s, "editor", "editor-password", "editor")
    app = create_app(store, settings=Settings(max_upload_bytes=1024 * 1024))
    port = free_port()
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


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.host = urlparse(base).netloc
        self.foreign: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self._pw = sync_api.sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"])
        self.context = self.browser.new_context()
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route) -> None:  # noqa: ANN001
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == self.host:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def _dialog(self, dialog) -> None:  # noqa: ANN001
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def close(self) -> None:
        self.context.close()
        self.browser.close()
        self._pw.stop()


@pytest.fixture(scope="module")
def web(server: str) -> Iterator[Browser]:
    b = Browser(server)
    yield b
    b.close()
    assert not b.foreign, f"requests left the machine: {b.foreign}"
    assert not b.errors, f"script errors: {b.errors}"


def test_overview(web: Browser) -> None:
    web.go("/")
    assert web.page.locator("h1").inner_text() == "Overview"
    assert web.page.locator("svg.chart rect.bar").count() >= 3
    assert web.page.locator("li.claim").count() >= 5


def test_search_chancay_and_open_cosco(web: Browser) -> None:
    web.go("/")
    web.page.fill("header input[name=q]", "Chancay")
    web.page.press("header input[name=q]", "Enter")
    web.page.wait_for_url("**/search?q=Chancay")
    link = web.page.locator(f'a[href="/entity/{CHANCAY}"]').first
    assert link.is_visible()
    link.click()
    web.page.wait_for_url(f"**/entity/{CHANCAY}")
    chain = web.page.locator("#chain")
    assert chain.locator(".chain-link").count() >= 2
    assert "COSCO SHIPPING Ports" in chain.inner_text()
    findings = web.page.locator("#findings li.finding")
    assert findings.count() >= 1


def test_network_draws_and_opens(web: Browser) -> None:
    web.go("/network")
    web.page.wait_for_selector("#network[data-ready]")
    assert int(web.page.get_attribute("#network", "data-ready")) > 10
    assert web.page.locator("#network-svg circle.node").count() > 10
    before = web.page.get_attribute("#network-svg", "viewBox")
    web.page.mouse.move(500, 300)
    web.page.mouse.wheel(0, 400)
    for _ in range(50):  # the CSP forbids string evaluation, so poll from here
        if web.page.get_attribute("#network-svg", "viewBox") != before:
            break
        web.page.wait_for_timeout(50)
    assert web.page.get_attribute("#network-svg", "viewBox") != before
    node = web.page.locator("#network-svg circle.node").first
    target = node.get_attribute("data-id")
    node.click()
    web.page.wait_for_url(f"**/entity/{target}")


def test_switch_to_spanish_and_back(web: Browser) -> None:
    web.go("/timeline")
    web.page.click("#lang-es")
    web.page.wait_for_url("**/timeline")
    assert web.page.locator("h1").inner_text().startswith("Cronología")
    web.go("/")
    assert web.page.locator("h1").inner_text() == "Resumen"
    web.page.click("#lang-en")
    assert web.page.locator("h1").inner_text() == "Overview"


LAYOUT_PAGES = ["/", "/search?q=Chancay", f"/entity/{CHANCAY}", "/entity/las-bambas", "/timeline",
                "/network", "/findings", "/indicators", "/docs", "/login"]


@pytest.mark.parametrize("width", [1280, 390])
def test_no_horizontal_overflow(web: Browser, width: int) -> None:
    web.page.set_viewport_size({"width": width, "height": 900})
    try:
        for lang in ("en", "es"):
            web.go(f"/lang/{lang}?next=/")
            for path in LAYOUT_PAGES:
                web.go(path)
                wide = web.page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, f"{path} ({lang}) is {wide}px wide at a {width}px viewport"
    finally:
        web.go("/lang/en?next=/")
        web.page.set_viewport_size({"width": 1280, "height": 720})


def test_overview_puts_domains_findings_and_claims_first(web: Browser) -> None:
    web.page.set_viewport_size({"width": 1280, "height": 900})
    web.go("/")
    for section in ("#domains", "#top-findings", "#latest"):
        top = web.page.locator(section).bounding_box()
        assert top is not None and top["y"] < 900, f"{section} starts below the fold"
    assert web.page.locator("#domains tbody tr").count() >= 5
    web.page.set_viewport_size({"width": 1280, "height": 720})


def test_fonts_cover_chinese_names(web: Browser) -> None:
    web.go("/")
    family = web.page.evaluate("getComputedStyle(document.body).fontFamily")
    for name in ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"):
        assert name in family


def test_login_and_accept_a_candidate(web: Browser) -> None:
    web.go("/review")
    web.page.wait_for_url("**/login?next=/review")
    web.page.fill("input[name=username]", "editor")
    web.page.fill("input[name=password]", "editor-password")
    web.page.click("#login-form button[type=submit]")
    web.page.wait_for_url("**/review")
    item = web.page.locator("#cand-e2e-candidate")
    assert item.is_visible()
    item.locator("button.accept").click()
    web.page.wait_for_load_state()
    assert web.page.locator("#cand-e2e-candidate").count() == 0
    web.go(f"/entity/{CHANCAY}")
    # Long domains fold their older claims behind "show more": the claim is on the page.
    accepted = web.page.locator("#claims #claim-e2e-candidate")
    assert accepted.count() == 1
    assert "Chancay port candidate for e2e" in (accepted.text_content() or "")


def upload(web: Browser, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    web.go("/upload")
    web.page.set_input_files("#upload-file", str(path))
    web.page.click("#upload-form button[type=submit]")
    web.page.wait_for_url("**/jobs/*")
    web.page.wait_for_selector("#job[data-state=done], #job[data-state=failed]")
    state = web.page.locator("#job-state").inner_text()
    assert state == "done", web.page.locator("#job-message").inner_text()


def test_upload_shows_candidates(web: Browser, tmp_path: Path) -> None:
    from veeduria.present.web.integrations import optional

    upload(web, tmp_path, "news.txt",
           "Port news from Lima\n\nIn March 2025, China Three Gorges Corporation acquired a 20% stake "
           "in Chaglla for US$ 150 million.\nHuawei signed an agreement with the Government of Peru in "
           "2024 to build a data centre in Lima.\n")
    if optional("veeduria.sources.pipeline", "ingest_file") is None:
        pytest.skip("candidate extraction (veeduria.sources.pipeline) is not installed")
    assert web.page.locator("#job-candidates li").count() >= 1
    assert "Huawei" in web.page.locator("#job-candidates").inner_text()


def test_uploaded_script_is_shown_as_text(web: Browser, tmp_path: Path) -> None:
    payload = "<script>alert('pwned')</script><img src=x onerror=alert('img')>"
    upload(web, tmp_path, "hostile.txt", f"A hostile document\n\n{payload}\nThe end.\n")
    web.page.click("#job-source a")
    web.page.wait_for_url("**/source/*")
    text = web.page.locator("#doc-text").inner_text()
    assert "<script>alert('pwned')</script>" in text
    assert web.page.locator("#doc-text script, #doc-text img").count() == 0
    web.page.wait_for_timeout(300)
    assert web.dialogs == []


def test_no_foreign_requests_so_far(web: Browser) -> None:
    assert web.foreign == []
