"""Chains through operators (a project or asset reaches the state through the firm that runs
it) and names that fit several entities, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from veeduria.cli import cli
from veeduria.model import ClaimRecord, EntityRecord
from veeduria.present.report import build_report
from veeduria.present.web import Settings, create_app
from veeduria.query import AmbiguousName, find_one, name_candidates, operators_of, ownership_chain
from veeduria.store.models import Entity
from veeduria.store.writer import upsert_claim, upsert_entity, upsert_source


def run(store, *args: str, ok: bool = True):  # noqa: ANN001, ANN201
    result = CliRunner().invoke(cli, ["--db", store.url, *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _owners(store, name: str) -> list[tuple[str, str]]:  # noqa: ANN001
    data = json.loads(run(store, "chain", name, "--json").output)
    return [(link["owner"]["id"], link["link"]) for link in data["chain"]]


# --- the Peru case ---------------------------------------------------------------------------

def test_port_of_chancay_reaches_sasac_through_cosco(peru_store) -> None:  # noqa: ANN001
    assert _owners(peru_store, "Port of Chancay") == [
        ("cosco-shipping-ports-chancay", "operator"), ("cosco-shipping-ports", "owner"),
        ("cosco-shipping", "owner"), ("sasac", "owner")]
    text = run(peru_store, "chain", "Port of Chancay").output
    assert "<- operated by Cosco Shipping Ports Chancay Perú S.A." in text
    assert "COSCO SHIPPING Ports Limited" in text and "60%" in text
    assert text.rstrip().splitlines()[-2].startswith("  <- owned by State-owned Assets Supervision")


def test_toromocho_and_marcona_show_their_chains(peru_store) -> None:  # noqa: ANN001
    assert _owners(peru_store, "Toromocho") == [
        ("chinalco-peru", "operator"), ("chinalco", "owner"), ("sasac", "owner")]
    assert _owners(peru_store, "marcona-mine") == [
        ("shougang-hierro-peru", "operator"), ("shougang-group", "owner"), ("beijing-sasac", "owner")]
    shown = run(peru_store, "show", "Toromocho copper mine").output
    assert "chain of owners:" in shown and "operated by Minera Chinalco Perú S.A." in shown
    assert "none recorded" not in shown.split("claims")[0]


def test_screen_follows_the_operator_to_the_state(peru_store) -> None:  # noqa: ANN001
    card = json.loads(run(peru_store, "screen", "chancay-port", "--json").output)
    assert [link["owner"]["id"] for link in card["chain"]][-1] == "sasac"
    assert card["chain"][0]["link"] == "operator" and card["state"]["id"] == "sasac"
    text = run(peru_store, "screen", "chancay-port").output
    assert "<- operated by Cosco Shipping Ports Chancay Perú S.A. as of 2025" in text
    assert "since 2019-01" in text
    assert "<- operado por Cosco" in run(peru_store, "screen", "chancay-port", "--lang", "es").output


@pytest.mark.parametrize("command", ["chain", "show", "screen"])
def test_an_ambiguous_name_lists_its_candidates(peru_store, command: str) -> None:  # noqa: ANN001
    result = run(peru_store, command, "Chancay", ok=False)
    assert result.exit_code == 1
    assert "'Chancay' fits" in result.output
    for line in ("chancay ", "Address", "chancay-port", "Project", "Port of Chancay"):
        assert line in result.output
    # An id chooses.
    assert "Port of Chancay (chancay-port)" in run(peru_store, "chain", "chancay-port").output


def test_marcona_is_a_mine_and_a_town(peru_store) -> None:  # noqa: ANN001
    with peru_store.reader() as s:
        assert {e.id for e in name_candidates(s, "Marcona")} == {"marcona-mine", "san-juan-de-marcona"}
        # One exact name: no question, even when other names contain it.
        assert find_one(s, "Chinalco").id == "chinalco"
        assert find_one(s, "Toromocho").id == "toromocho"
        with pytest.raises(LookupError, match="no entity matches"):
            find_one(s, "zzzz qqqq no such thing")


def test_report_chains_start_at_projects(peru_store) -> None:  # noqa: ANN001
    with peru_store.reader() as session:
        for lang, verb in (("en", "is operated by"), ("es", "es operado por")):
            rep = build_report(session, lang=lang, country="pe", today=dt.date(2025, 11, 1))
            port = next(ch for ch in rep.chains if ch.entity_id == "chancay-port")
            assert len(port.path) == 5 and len(port.links) == 4
            assert verb in port.links[0].text and port.links[0].claim_id == "pe-log-cosco-controls-chancay"
            assert port.links[-1].claim_id == "pe-own-sasac-cosco-shipping"
            assert any(ch.entity_id == "toromocho" for ch in rep.chains)
            # The operator's own chain is shown inside the project's, not again.
            assert not any(ch.entity_id == "cosco-shipping-ports-chancay" for ch in rep.chains)


@pytest.fixture(scope="module")
def peru(peru_store) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(create_app(peru_store, settings=Settings())) as client:
        yield client


def test_project_page_and_api_show_the_chain(peru: TestClient) -> None:
    page = peru.get("/entity/chancay-port").text
    chain = page[page.index('id="chain"'):page.index("</section>", page.index('id="chain"'))]
    assert "operated by" in chain and "/entity/sasac" in chain and "No chain of owners" not in chain
    data = peru.get("/api/entities/chancay-port").json()
    assert data["chain"][0]["link"] == "operator" and data["chain"][-1]["owner"]["id"] == "sasac"
    assert peru.get("/api/entities/toromocho/chain").json()["ultimate_owner"]["id"] == "sasac"


# --- a small store: the rules ---------------------------------------------------------------

def _small(store) -> None:  # noqa: ANN001
    with store.session() as s:
        upsert_source(s, {"id": "src", "kind": "report", "title": "A report"}, "t")
        for eid, schema, name in [
            ("state", "PublicBody", "State Assets Office"), ("group", "Company", "Dragon Group"),
            ("local", "Company", "Dragon Ports Lima"), ("rival", "Company", "Tiger Terminals"),
            ("port", "Project", "Port of Huacho"), ("town", "Address", "Huacho"),
            ("dam", "Project", "Rio Dam"), ("builder", "Company", "Rock Builders"),
            ("mine", "Asset", "Huacho mine"),
        ]:
            upsert_entity(s, EntityRecord(eid, schema, name, country="cn"), "t")
        s.flush()
        claims = [
            ("g-owns-l", "owns", "actual", "2019", [("group", "subject"), ("local", "object")]),
            ("s-owns-g", "owns", "actual", "2010", [("state", "subject"), ("group", "object")]),
            # Both the group and its local company are said to run the port: the local one is nearer.
            ("g-runs", "operates", "actual", "2024", [("group", "subject"), ("port", "object")]),
            ("l-runs", "operates", "actual", "2023", [("local", "subject"), ("port", "object")]),
            # A denied and a planned operator are no links.
            ("r-runs", "operates", "negated", "2024", [("rival", "subject"), ("port", "object")]),
            ("r-plans", "operates", "planned", "2025", [("rival", "subject"), ("dam", "object")]),
            # A concession links too; building does not.
            ("dam-concession", "granted_concession", "actual", "2020",
             [("state", "subject"), ("dam", "object"), ("builder", "beneficiary")]),
            ("b-builds", "builds", "actual", "2020", [("rival", "subject"), ("dam", "object")]),
        ]
        for cid, predicate, modality, date, ents in claims:
            upsert_claim(s, ClaimRecord(id=cid, predicate=predicate, source_id="src", quote=f"q {cid}",
                                        entities=ents, domain="economy", modality=modality, date=date,
                                        status="accepted"), "t")


def test_operator_rules(store) -> None:  # noqa: ANN001
    _small(store)
    with store.reader() as s:
        chain = ownership_chain(s, "port")
        assert [(lk.owner.id, lk.kind) for lk in chain] == [
            ("local", "operator"), ("group", "owner"), ("state", "owner")]
        assert chain[0].when() == "as of 2023" and chain[1].when() == "since 2019"
        assert {lk.owner.id for lk in operators_of(s, s.get(Entity, "port"))} == {"local", "group"}
        dam = ownership_chain(s, "dam")
        assert [(lk.owner.id, lk.kind) for lk in dam] == [("builder", "concessionaire")]
        assert dam[0].verb("es") == "en concesión a"
        # Before the operation began, there is no operator.
        assert ownership_chain(s, "port", at="2022") == []
        # A company is never chained through what it operates.
        assert ownership_chain(s, "rival") == []


def test_candidates_for_a_town_and_its_port(store) -> None:  # noqa: ANN001
    _small(store)
    with store.reader() as s:
        with pytest.raises(AmbiguousName) as info:
            find_one(s, "Huacho")
        assert {e.id for e in info.value.candidates} == {"town", "port", "mine"}
        assert "Project" in str(info.value) and "Address" in str(info.value)
        assert find_one(s, "port").id == "port"  # an id is never ambiguous
        assert find_one(s, "Dragon Group").id == "group"
    result = run(store, "screen", "Huacho", ok=False)
    assert result.exit_code == 1 and "Port of Huacho" in result.output
