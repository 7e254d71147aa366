"""Search, reviewed-only public pages, and pages for phones and analysts, in real headless
Chromium at 1280 and 390 px wide, in English and Spanish. Every request must stay on the
app's own host."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from veeduria.model import ClaimRecord

CHROMIUM = "/usr/bin/chromium"
CANDIDATE_QUOTE = "Chancay secret candidate for the public-view test"
WIDTHS = [1280, 390]
LANGS = ["en", "es"]
UPLOADED = ("Nota de prensa del sector\n\nEl Ministerio de Energía y Minas del Perú otorgó la "
            "concesión a la empresa Minera Andina Cobre tras una revisión técnica.\n"
            "<script>alert('x')</script> quedó como texto.\n")

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


def _serve(app) -> tuple[object, threading.Thread, str]:  # noqa: ANN001
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    return srv, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Iterator[dict[str, str]]:
    """The Peru case with its report, one candidate claim and an editor; served twice: as
    the public sees it, and as a team's private instance (open access)."""
    from veeduria.cases.loader import load_case
    from veeduria.present.web import Settings, create_app
    from veeduria.present.web.auth import add_user
    from veeduria.sources.document import read_text_file
    from veeduria.sources.store_docs import store_document
    from veeduria.store import open_store
    from veeduria.store.search import index_claims
    from veeduria.store.writer import upsert_claim

    tmp = tmp_path_factory.mktemp("e2e-pages")
    store = open_store(str(tmp / "store.db"))
    load_case(store, "pe_prc")
    with store.session() as s:
        src = store_document(s, read_text_file(seed_path), "test").source_id
        rec = ClaimRecord(predicate="operates", source_id=src, quote=CANDIDATE_QUOTE,
                          entities=[("cosco-shipping-ports-chancay", "subject")], domain="economy",
                          id="e2e-hidden-candidate", status="candidate", method="test")
        upsert_claim(s, rec, "test")
        s.flush()
        index_claims(s, ["e2e-hidden-candidate"])
        add_user(s, "editor", "editor-password", "editor")
    public = _serve(create_app(store, settings=Settings(max_upload_bytes=1024 * 1024)))
    team = _serve(create_app(store, settings=Settings(open_access=True)))
    yield {"public": public[2], "team": team[2], "source": src}
    for srv, thread, _ in (public, team):
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

    def at(self, width: int, lang: str) -> None:
        self.page.set_viewport_size({"width": width, "height": 900})
        self.go(f"/lang/{lang}?next=/")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def no_overflow(self, what: str) -> None:
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        width = self.page.viewport_size["width"]
        assert wide <= width, f"{what} is {wide}px wide at a {width}px viewport"

    def close(self) -> None:
        self.context.close()
        self.browser.close()
        self._pw.stop()


@pytest.fixture(scope="module")
def web(servers: dict[str, str]) -> Iterator[Browser]:
    b = Browser(servers["public"])
    yield b
    b.close()
    assert not b.foreign, f"requests left the machine: {b.foreign}"
    assert not b.errors, f"script errors: {b.errors}"
    assert not b.dialogs, f"a document's script ran: {b.dialogs}"


def hits(web: Browser, kind: str) -> list[str]:
    return [a.get_attribute("href") or "" for a in web.page.locator(f"#r-{kind} a.hit-title").all()]


# --- 4. search --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_search_stems_accents_groups_and_filters(web: Browser, width: int, lang: str) -> None:
    web.at(width, lang)
    web.go("/")
    box = web.page.locator("header input[name=q]")
    box.fill("minería")
    box.press("Enter")
    web.page.wait_for_url("**/search?q=*")
    # Grouped by kind, each with its count; Spanish and English words for mining both hit.
    assert web.page.locator("#r-entity .hit").count() >= 5
    assert web.page.locator("#r-claim .hit").count() >= 5
    assert "/entity/zijin-mining" in hits(web, "entity") or "/entity/jinzhao" in hits(web, "entity")
    marks = [m.lower() for m in web.page.locator(".snippet mark").all_inner_texts()]
    assert {"mining", "minería"} & set(marks), marks
    heading = web.text("#r-entity h2")
    assert heading.startswith("Entities" if lang == "en" else "Entidades")
    web.no_overflow(f"search ({lang})")

    # Filters: a domain leaves only claims, all in that domain.
    web.go("/search?q=" + quote("corrupción"))
    corruption = hits(web, "claim")
    assert "/claim/pe-log-gezhouba-corruption-charges" in corruption
    assert "/claim/pe-sec-type-90b-corruption-probe-2017" in corruption
    filters = web.page.locator("details.search-filters")
    if not filters.get_attribute("open"):
        filters.locator("summary").click()
    web.page.select_option("select[name=domain]", "law_enforcement")
    web.page.fill("input[name=date_from]", "2017")
    web.page.fill("input[name=date_to]", "2017")
    web.page.locator(".filter-actions button").click()
    web.page.wait_for_url("**domain=law_enforcement**")
    assert web.page.locator("#r-entity").count() == 0 and web.page.locator("#r-source").count() == 0
    assert hits(web, "claim") == ["/claim/pe-sec-type-90b-corruption-probe-2017"]
    web.no_overflow(f"filtered search ({lang})")

    # The acronym of the ministry finds the mining and oil sector's items.
    web.go("/search?q=MINEM")
    assert web.page.locator("#r-claim .hit").count() >= 5
    assert web.page.locator("#r-entity .hit").count() >= 5


@pytest.mark.parametrize("width", WIDTHS)
def test_search_pages_through_one_kind(web: Browser, width: int) -> None:
    web.at(width, "en")
    web.go("/search?q=" + quote("minería"))
    web.page.locator("#r-claim p.more a").click()
    web.page.wait_for_url("**kind=claim**")
    first = hits(web, "claim")
    assert len(first) == 25
    web.page.locator("nav.pager a[rel=next]").click()
    web.page.wait_for_url("**offset=25**")
    second = hits(web, "claim")
    assert second and not set(first) & set(second)
    web.no_overflow("search page 2")


def test_uploaded_document_found_by_a_phrase_of_its_body(web: Browser, tmp_path: Path) -> None:
    web.at(1280, "en")
    web.go("/login?next=/upload")
    web.page.fill("input[name=username]", "editor")
    web.page.fill("input[name=password]", "editor-password")
    web.page.click("#login-form button[type=submit]")
    web.page.wait_for_url("**/upload")
    path = tmp_path / "nota.txt"
    path.write_text(UPLOADED, encoding="utf-8")
    web.page.set_input_files("#upload-file", str(path))
    web.page.click("#upload-form button[type=submit]")
    web.page.wait_for_url("**/jobs/*")
    web.page.wait_for_selector("#job[data-state=done], #job[data-state=failed]")
    assert web.text("#job-state") == "done"
    source_url = web.page.locator("#job-source a[href^=\"/source/\"]").get_attribute("href")
    web.page.locator("form[action=\"/logout\"] button").first.click()
    web.page.wait_for_load_state()
    for lang in LANGS:
        for width in WIDTHS:
            web.at(width, lang)
            for query in ('"Ministerio de Energía y Minas"', "ministerio de energia y minas", "ENERGÍA MINAS"):
                web.go("/search?q=" + quote(query))
                found = [h for h in hits(web, "source") if h.split("?")[0] == source_url]
                assert found, (query, hits(web, "source"))
                snippet = web.page.locator(f'#r-source .hit:has(a[href="{found[0]}"]) .snippet')
                assert {"Energía", "Minas"} <= set(snippet.locator("mark").all_inner_texts())
            web.no_overflow(f"search for the upload ({lang})")
            # The hit opens the document at the first match, the search's words marked.
            web.page.locator(f'#r-source a.hit-title[href="{found[0]}"]').click()
            web.page.wait_for_url("**#hit")
            assert web.page.locator("#doc-text mark.search-hit#hit").is_visible()
            assert web.page.locator("#doc-text mark.search-hit").count() >= 2
            web.no_overflow(f"source with the search marked ({lang})")
    # The document's markup is text in the snippet, never markup.
    web.go("/search?q=" + quote("alert quedó texto"))
    snippet = web.page.locator(f'#r-source .hit:has(a[href^="{source_url}?"]) .snippet')
    assert "<script>" in snippet.inner_text() and snippet.locator("script").count() == 0


def test_search_api_answers_the_same(web: Browser, servers: dict[str, str]) -> None:
    res = web.page.request.get(servers["public"] + "/api/search?q=" + quote("corrupción") + "&kind=claim")
    data = res.json()
    assert [g["kind"] for g in data["groups"]] == ["claim"]
    assert "pe-log-gezhouba-corruption-charges" in {i["id"] for i in data["items"]}
    bad = web.page.request.get(servers["public"] + "/api/search?q=x&date_from=2020-13")
    assert bad.status == 422


# --- 5. public by default means reviewed -----------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_public_sees_accepted_claims_only(web: Browser, servers: dict[str, str], width: int, lang: str) -> None:
    web.at(width, lang)
    web.go("/search?q=" + quote("secret candidate"))
    assert web.page.locator("#r-claim").count() == 0
    web.go("/entity/cosco-shipping-ports-chancay")
    assert CANDIDATE_QUOTE not in web.page.content()
    web.go(f"/source/{servers['source']}")
    assert CANDIDATE_QUOTE not in web.page.content()
    web.go("/timeline")
    assert CANDIDATE_QUOTE not in web.page.content()
    assert web.page.request.get(servers["public"] + "/claim/e2e-hidden-candidate").status == 404
    exported = web.page.request.get(servers["public"] + "/api/export/claims.jsonl").text()
    statuses = {json.loads(line)["status"] for line in exported.splitlines()}
    assert statuses == {"accepted"}
    network = web.page.request.get(servers["public"] + "/api/network?entity=cosco-shipping-ports-chancay").json()
    assert network["nodes"]
    # A team's private instance shows the candidate, marked as such.
    team = web.browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = team.new_page()
        page.goto(servers["team"] + f"/lang/{lang}?next=/")
        page.goto(servers["team"] + "/search?q=" + quote("secret candidate"))
        item = page.locator("#r-claim .hit")
        assert item.count() == 1
        assert item.locator(".tag-candidate").inner_text() == ("candidate" if lang == "en" else "candidata")
    finally:
        team.close()


# --- 6. pages for phones and analysts --------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_source_page_readable(web: Browser, servers: dict[str, str], width: int, lang: str) -> None:
    web.at(width, lang)
    web.go(f"/source/{servers['source']}")
    text = web.page.locator("#doc-text")
    box = text.bounding_box()
    assert box is not None and box["width"] >= min(width, 1280) * 0.6, box
    # About a normal line length per line: the 22,000-character report is not a ribbon.
    chars = len(text.inner_text())
    assert box["height"] < chars * 2.5, f"{box['height']}px for {chars} characters"
    web.no_overflow(f"source page ({lang})")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_network_neighbourhood_first(web: Browser, width: int, lang: str) -> None:
    web.at(width, lang)
    web.go("/network")
    web.page.wait_for_selector("#network[data-ready]")
    focus = web.page.get_attribute("#network", "data-focus")
    assert focus, "no entity selected"
    near = int(web.page.get_attribute("#network", "data-ready") or 0)
    assert 2 <= near
    assert web.page.locator("#network-svg .node-g.focus").count() == 1
    assert web.page.locator(".legend .dot-focus").count() == 1
    web.no_overflow(f"network ({lang})")
    # Find a node: it and its neighbours light up.
    name = web.page.locator("#network-svg .node-g:not(.focus) circle").first.get_attribute("aria-label") or ""
    web.page.fill("#network-find", name[:8])
    web.page.wait_for_selector("#network-svg.hovering")
    assert web.page.locator("#network-svg .node-g.near").count() >= 2
    # Two steps out: more nodes, the second ring marked.
    web.go(f"/network?entity={quote(focus)}&hops=2")
    web.page.wait_for_selector("#network[data-ready]")
    assert int(web.page.get_attribute("#network", "data-ready") or 0) >= near
    # The whole graph on demand.
    web.page.locator("a.net-mode").click()
    web.page.wait_for_url("**/network?all=1")
    web.page.wait_for_selector("#network[data-ready]")
    assert int(web.page.get_attribute("#network", "data-ready") or 0) > near
    assert web.page.get_attribute("#network", "data-focus") == ""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_findings_filter_and_group(web: Browser, width: int, lang: str) -> None:
    web.at(width, lang)
    web.go("/findings")
    all_items = web.page.locator("ul.findings > li").count()
    assert web.page.locator("li.finding-group").count() >= 1, "findings on one quote are not grouped"
    group = web.page.locator("li.finding-group").first
    assert group.locator(".group-findings > li").count() >= 2
    assert group.locator(".evidence li").count() >= 1
    web.no_overflow(f"findings ({lang})")
    # By rule.
    web.page.select_option("select[name=rule]", "corruption")
    web.page.locator(".findings-filters button").click()
    web.page.wait_for_url("**rule=corruption**")
    titles = web.page.locator(".finding-title").all_inner_texts()
    assert titles and len(set(titles)) == 1
    # By entity, domain and severity.
    for name, value in (("entity", "gezhouba"), ("domain", "law_enforcement"), ("severity", "high")):
        web.go(f"/findings?{name}={value}")
        shown = web.page.locator("ul.findings > li").count()
        assert 1 <= shown <= all_items, name
    web.go("/findings?entity=gezhouba")
    assert "Gezhouba" in web.text("ul.findings")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_overview_domain_table_not_clipped(web: Browser, width: int, lang: str) -> None:
    web.at(width, lang)
    web.go("/")
    panel = web.page.locator("#domains").bounding_box()
    assert panel is not None
    cells = web.page.locator("#domains table td, #domains table th")
    assert cells.count() >= 20
    for cell in cells.all():
        if not cell.is_visible():
            continue
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= panel["x"] + panel["width"] + 0.5, cell.inner_text()
    wrap = web.page.locator("#domains .table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth")
    money = web.page.locator("#domains td.money").first.inner_text()
    assert "US$" in money or "—" in money


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("width", WIDTHS)
def test_timeline_readable_and_marks_source_year(web: Browser, width: int, lang: str) -> None:
    web.at(width, lang)
    web.go("/timeline")
    chart = web.page.locator("svg.timeline-chart:visible")
    assert chart.count() == 1
    labels = chart.locator("text.lbl")
    assert labels.count() >= 3
    for label in labels.all():
        box = label.bounding_box()
        assert box is not None and box["height"] >= 9, f"axis label {box} too small to read"
    # Claims dated only by their source's year: a lighter segment, a legend and their own list.
    assert chart.locator("rect.bar-source-year").count() >= 1
    legend = web.text("section.panel .legend")
    assert ("source's year" if lang == "en" else "año de la fuente") in legend
    assert web.page.locator(".source-year-claims").count() >= 1
    web.no_overflow(f"timeline ({lang})")
