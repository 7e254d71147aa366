"""Search on both backends: stems in English and Spanish, accents and case, phrases,
document text, filters, pagination, snippets (escaped), and what anonymous readers see."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from veeduria.model import ClaimRecord
from veeduria.present.web import Settings, create_app
from veeduria.sources.document import Document
from veeduria.sources.store_docs import store_document
from veeduria.store import Store
from veeduria.store.search import (
    Filters,
    date_cover,
    index_claims,
    parse_query,
    passages,
    search,
    search_kinds,
    snippet,
    terms_of,
)
from veeduria.store.writer import upsert_claim

BODY = ("Informe de campo\n\nEl Ministerio de Energía y Minas aprobó la ampliación de la mina "
        "tras denuncias de corrupción en la licitación. " + "Texto de relleno sobre otros asuntos. " * 120
        + "\n\nAl final, el proyecto minero <b>Tía María</b> quedó suspendido.")


def _doc(text: str, title: str = "Field report on a mine") -> Document:
    return Document(kind="document", filename="field.txt", content_hash=hashlib.sha256(title.encode()).hexdigest(),
                    text=text, title=title, published="2023-05-02", language="es")


FIELD = _doc(BODY).source_id


@pytest.fixture
def loaded(store: Store, mini_case) -> Store:
    from veeduria.cases.loader import load_case

    load_case(store, str(mini_case))
    with store.session() as s:
        store_document(s, _doc(BODY), "test")
        rec = ClaimRecord(predicate="operates", source_id="mini-report", quote="Acme secretly runs the Bay Port",
                          entities=[("acme-port", "subject"), ("bay-port", "object")], domain="economy",
                          id="cand-secret", status="candidate", method="test", date="2021")
        upsert_claim(s, rec, "test")
        s.flush()
        index_claims(s, ["cand-secret"])
    return store


def kinds(res) -> dict[str, list[str]]:  # noqa: ANN001
    return {k: [h.ref_id for h in r.hits] for k, r in res.items() if r.hits}


def test_terms_hold_folded_words_then_stems() -> None:
    terms = terms_of("La minería y la corrupción")
    assert terms.startswith("la mineria y la corrupcion")
    assert " min " in f" {terms} "  # Spanish stem of minería, accents folded after stemming


def test_document_text_found_by_phrase_words_and_accents(loaded: Store) -> None:
    with loaded.reader() as s:
        for query in ('"Ministerio de Energía y Minas"', "ministerio de energia y minas", "MINISTERIO ENERGÍA",
                      "corrupcion", "corrupción", "minero"):
            res = search_kinds(s, query)
            assert FIELD in kinds(res).get("source", []), query
        # The hit says where in the text it is, and the words are marked.
        hit = search_kinds(s, '"Energía y Minas"')["source"].hits[0]
        assert hit.at == 0
        marked = str(snippet(hit.body, parse_query('"Energía y Minas"')))
        assert "<mark>Energía</mark>" in marked and "<mark>Minas</mark>" in marked
        # A phrase is not a bag of words.
        assert FIELD not in kinds(search_kinds(s, '"Minas y Energía"')).get("source", [])
        # The last passage is found too, and its markup stays text.
        far = search_kinds(s, "Tía María")["source"].hits[0]
        assert far.at and far.at > 2000
        shown = str(snippet(far.body, parse_query("Tía María")))
        assert "&lt;b&gt;<mark>Tía</mark>" in shown and "<b>" not in shown


def test_stems_and_thesaurus_across_languages(loaded: Store) -> None:
    with loaded.reader() as s:
        # Port / ports / puerto: the entity Acme Port Holdings and the project Bay Port.
        assert {"acme-port", "bay-port"} <= set(kinds(search_kinds(s, "puertos")).get("entity", []))
        assert "bay-port" in kinds(search_kinds(s, "ports")).get("entity", [])
        # An acronym the thesaurus knows finds the document that spells it out.
        assert FIELD in kinds(search_kinds(s, "MINEM")).get("source", [])
        assert search_kinds(s, "zzdeconomy") == {} or not kinds(search_kinds(s, "zzdeconomy"))


def test_filters_narrow_each_kind(loaded: Store) -> None:
    with loaded.reader() as s:
        everything = kinds(search_kinds(s, "acme"))
        assert everything["entity"] and everything["claim"]
        # A domain filter: entities and sources have no domain, so only claims remain.
        only_claims = kinds(search_kinds(s, "acme", filters=Filters(domain="economy")))
        assert set(only_claims) == {"claim"}
        assert not kinds(search_kinds(s, "acme", filters=Filters(domain="military")))
        # Country: entities from China only.
        assert kinds(search_kinds(s, "port", filters=Filters(country="CN")))["entity"] == ["acme-port"]
        # Status: the candidate only when asked for.
        assert "cand-secret" not in kinds(search_kinds(s, "secretly", filters=Filters(statuses=("accepted",))))
        assert kinds(search_kinds(s, "secretly", filters=Filters(statuses=None)))["claim"] == ["cand-secret"]
        # Dates: the candidate is dated 2021, the document 2023-05-02.
        assert kinds(search_kinds(s, "secretly", filters=Filters(date_from="2020", date_to="2021")))
        assert not kinds(search_kinds(s, "secretly", filters=Filters(date_from="2022")))
        assert kinds(search_kinds(s, "ministerio", filters=Filters(date_from="2023-05-01", date_to="2023-05-31")))
        assert not kinds(search_kinds(s, "ministerio", filters=Filters(date_to="2023-04")))
        # Source: the document's passages and its own entry.
        by_src = kinds(search_kinds(s, "mina", filters=Filters(source=FIELD)))
        assert by_src == {"source": [FIELD]}


def test_pages_are_disjoint_and_counted(store: Store) -> None:
    with store.session() as s:
        for i in range(30):
            store_document(s, _doc(f"Report {i}: the copper mine at site {i}.", f"Report {i}"), "test")
    with store.reader() as s:
        first = search_kinds(s, "copper", kinds=["source"], limit=12)["source"]
        second = search_kinds(s, "copper", kinds=["source"], limit=12, offset=12)["source"]
        assert first.total == second.total == 30 and not first.more
        assert len(first.hits) == 12 and len(second.hits) == 12
        assert not {h.ref_id for h in first.hits} & {h.ref_id for h in second.hits}
        assert [h.ref_id for h in search(s, "copper", limit=3)] == [h.ref_id for h in first.hits[:3]]


def test_hostile_queries_are_plain_words(loaded: Store) -> None:
    with loaded.reader() as s:
        for query in ['"', 'a" OR "b', "'; DROP TABLE claims; --", "title:acme", "NEAR(a b)", "*", "-acme",
                      "zzy2021", "a & b | !c", "<script>"]:
            search_kinds(s, query)  # no error


def test_date_cover_is_small_and_exact() -> None:
    assert date_cover("2019", "2020") == ["zzy2019", "zzy2020"]
    assert date_cover("2019-11", "2020-01-02") == ["zzm201911", "zzm201912", "zzx20200101", "zzx20200102"]
    assert date_cover(None, None) is None
    assert len(date_cover("1950", None) or []) < 200
    with pytest.raises(ValueError):
        date_cover("2020", "2019")
    with pytest.raises(ValueError):
        date_cover("2020-13", None)


def test_passages_cut_between_paragraphs() -> None:
    text = ("word " * 300 + "\n\n") * 5
    spans = passages(text)
    assert spans[0][0] == 0 and spans[-1][1] <= len(text)
    assert all(b - a <= 2000 for a, b in spans)
    assert "".join(text[a:b] for a, b in spans).replace("\n", "") == text.replace("\n", "")


# --- the API ----------------------------------------------------------------------------------

@pytest.fixture
def client(loaded: Store) -> Iterator[TestClient]:
    with TestClient(create_app(loaded, settings=Settings())) as c:
        yield c


def test_api_search_groups_filters_and_validates(client: TestClient) -> None:
    res = client.get("/api/search", params={"q": "Energía y Minas"}).json()
    groups = {g["kind"]: g for g in res["groups"]}
    item = groups["source"]["items"][0]
    assert item["id"] == FIELD and "<mark>" in item["snippet"] and item["text_offset"] == 0
    only = client.get("/api/search", params={"q": "acme", "domain": "economy"}).json()
    assert [g["kind"] for g in only["groups"]] == ["claim"]
    paged = client.get("/api/search", params={"q": "acme", "kind": "entity", "limit": 1, "offset": 1}).json()
    assert [g["kind"] for g in paged["groups"]] == ["entity"] and len(paged["groups"][0]["items"]) == 1
    for bad in ({"domain": "nope"}, {"sector": "nope"}, {"country": "Peru"}, {"date_from": "2020-13"},
                {"date_from": "2021", "date_to": "2020"}, {"kind": "nope"}, {"limit": 0}, {"limit": 101},
                {"offset": -1}, {"status": "maybe"}):
        r = client.get("/api/search", params={"q": "acme", **bad})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["message"]


def test_anonymous_readers_see_accepted_claims_only(loaded: Store, client: TestClient) -> None:
    assert not client.get("/api/search", params={"q": "secretly"}).json()["items"]
    assert client.get("/api/search", params={"q": "secretly", "status": "candidate"}).status_code == 401
    assert client.get("/api/claims/cand-secret").status_code == 404
    assert client.get("/claim/cand-secret", follow_redirects=False).status_code == 404
    spans = client.get("/api/sources/mini-report").json()["claims"]
    assert spans  # the accepted claims are there
    assert "cand-secret" not in {c["id"] for c in spans}
    assert "Acme secretly" not in client.get("/source/mini-report").text
    assert "cand-secret" not in client.get("/api/export/claims.jsonl").text
    assert "cand-secret" not in client.get("/api/export/claims.csv").text
    assert client.get("/api/entities/acme-port/claims", params={"status": "any"}).status_code == 401
    # A team's private instance opens it up.
    with TestClient(create_app(loaded, settings=Settings(open_access=True))) as team:
        found = team.get("/api/search", params={"q": "secretly"}).json()["items"]
        assert [i["id"] for i in found] == ["cand-secret"] and found[0]["status"] == "candidate"
        assert team.get("/api/claims/cand-secret").status_code == 200
        assert "cand-secret" in team.get("/api/export/claims.jsonl").text


def test_search_page_escapes_and_pages(client: TestClient) -> None:
    page = client.get("/search", params={"q": '<script>alert(1)</script> "Tía María"'})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    page = client.get("/search", params={"q": "Tía María"}).text
    assert "&lt;b&gt;<mark>Tía</mark>" in page
    # The hit opens the text with the words marked; the document's markup stays text.
    assert f'href="/source/{FIELD}?q=T%C3%ADa%20Mar%C3%ADa#hit"' in page
    text = client.get(f"/source/{FIELD}", params={"q": "Tía María"}).text
    assert '&lt;b&gt;<mark class="search-hit" id="hit">Tía</mark> <mark class="search-hit">María</mark>' in text
    assert client.get("/search", params={"q": "acme", "domain": "nope"}).status_code == 422
    refused = client.get("/search", params={"q": "acme", "status": "candidate"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def test_migration_down_and_up_rebuilds_the_index(loaded: Store) -> None:
    """0006 rebuilds every search document from the records (terms, tags, passages), and
    its downgrade restores the previous index."""
    from alembic import command
    from sqlalchemy import text

    from veeduria.store.db import alembic_config

    def run(fn, target: str) -> None:  # noqa: ANN001
        cfg = alembic_config(loaded.engine)
        with loaded.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            fn(cfg, target)

    run(command.downgrade, "0005_claim_indexes")
    with loaded.engine.connect() as conn:
        kinds_left = {r[0] for r in conn.execute(text("SELECT DISTINCT kind FROM search_docs"))}
        assert kinds_left == {"entity", "claim", "source"}  # passages are gone
    run(command.upgrade, "heads")
    with loaded.reader() as s:
        assert FIELD in kinds(search_kinds(s, '"Energía y Minas"')).get("source", [])
        assert kinds(search_kinds(s, "puertos", filters=Filters(country="CN")))["entity"] == ["acme-port"]
        assert kinds(search_kinds(s, "secretly", filters=Filters(statuses=("candidate",))))["claim"] == ["cand-secret"]


def test_timeline_tells_source_year_dates_apart(loaded: Store) -> None:
    from veeduria.present.web.data import source_year_counts, source_year_only
    from veeduria.store.models import Claim

    with loaded.session() as s:
        for cid, date, meta in (("inferred-2019", "2019", {"date_from": "published"}),
                                ("dated-2019", "2019-05", None)):
            upsert_claim(s, ClaimRecord(predicate="operates", source_id="other-report", quote=f"Acme {cid}",
                                        entities=[("acme-port", "subject")], domain="economy", id=cid,
                                        status="accepted", method="test", date=date, meta=meta), "test")
    with loaded.reader() as s:
        # Marked by extraction as its source's year, though the source says 2024.
        counts = source_year_counts(s)
        assert counts.get("2019") == 1
        assert source_year_only(s.get(Claim, "inferred-2019")) and not source_year_only(s.get(Claim, "dated-2019"))
