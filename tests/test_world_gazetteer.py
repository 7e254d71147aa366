"""World knowledge of the extractor: every sovereign state (Babel-generated states.yaml),
demonyms, and the PRC's state-linked actors of veeduria/extract/world/actors.csv."""

from __future__ import annotations

import time

import pytest

from veeduria.extract import EntityInfo, Gazetteer, extract
from veeduria.extract.states import keep_state, state_for_demonym, states
from veeduria.extract.world import world_entities, world_record, world_records


def _by_name() -> dict[str, tuple]:
    return {info.name: (info, aliases, meta) for info, aliases, meta in world_entities()}


def test_loader_knows_actors_with_their_parents_and_owners() -> None:
    actors = _by_name()
    ids = {info.id: info for info, _, _ in world_entities()}
    chec, chec_aliases, chec_meta = actors["China Harbour Engineering Company"]
    assert "CHEC" in chec_aliases
    assert ids[chec_meta["parent"]].name == "China Communications Construction Company"
    assert chec_meta["state_owner"] == "SASAC" and chec_meta["linkage"] == "central_soe"
    for child, parent in [("China Road and Bridge Corporation", "China Communications Construction Company"),
                          ("PetroChina Company", "China National Petroleum Corporation"),
                          ("MMG Limited", "China Minmetals Corporation"),
                          ("China Merchants Port Holdings", "China Merchants Group")]:
        assert ids[actors[child][2]["parent"]].name == parent, child
    exim = actors["Export-Import Bank of China"]
    assert {"China Eximbank", "Exim Bank of China", "Banco de Exportación e Importación de China"} <= set(exim[1])
    assert exim[2]["linkage"] == "policy_bank"
    # Names merged from the reference data, with their citation.
    cccc = actors["China Communications Construction Company"]
    assert "China Communications Construction" in cccc[1] and "CCCC" in cccc[1]
    assert "sasac_central_soe_list" in cccc[2]["source"] and "cgit" in cccc[2]["source"]
    # Generic names are not entities.
    names = {n.lower() for info, aliases, _ in world_entities() for n in (info.name, *aliases)}
    assert not {"unspecified chinese government institution", "government", "legend", "total"} & names
    assert 1000 < len(world_entities()) < 6000


def test_world_record_and_parent_chain() -> None:
    rec = world_record("world-chec", "doc-1")
    assert rec.country == "cn" and rec.sector == "ports" and rec.schema == "Company"
    assert rec.meta["parent"] == "world-cccc" and rec.meta["found_in"] == "doc-1"
    assert not rec.problems()
    recs = world_records({"world-chec", "some-store-id"}, {"world-chec"}, "doc-1")
    assert [r.id for r in recs] == ["world-chec", "world-cccc"]
    with pytest.raises(KeyError):
        world_record("world-no-such-actor")


@pytest.fixture(scope="module")
def world_gz() -> Gazetteer:
    gz = Gazetteer(world=True)
    gz.regex  # noqa: B018 - compile once for the module
    return gz


def _found(gz: Gazetteer, text: str) -> dict[str, str]:
    return {m.text: gz.entities[m.entity_id].name for m in gz.find(text)}


def test_gazetteer_finds_world_actors_and_states(world_gz: Gazetteer) -> None:
    text = ("In Belgrade, China Harbour Engineering Company said CHEC would build the road with "
            "a loan from the Exim Bank of China; Serbia and Kenya signed similar deals.")
    found = _found(world_gz, text)
    assert found["China Harbour Engineering Company"] == "China Harbour Engineering Company"
    assert found["CHEC"] == "China Harbour Engineering Company"
    assert found["Exim Bank of China"] == "Export-Import Bank of China"
    assert found["Serbia"] == "Serbia" and found["Kenya"] == "Kenya"
    es = _found(world_gz, "Una constructora china llegó a Malasia y el gobierno serbio aprobó el crédito.")
    assert es["Malasia"] == "Malaysia" and es["gobierno serbio"] == "Serbia"
    assert "state-serbia" in world_gz.state_ids and "world-chec" in world_gz.world_ids


def test_abbreviations_match_case_sensitively(world_gz: Gazetteer) -> None:
    assert "chec" not in _found(world_gz, "we will chec the figures")
    assert _found(world_gz, "CHEC won")["CHEC"] == "China Harbour Engineering Company"


def test_store_names_win_over_world_and_states() -> None:
    gz = Gazetteer([EntityInfo("chec-store", "China Harbour Engineering Company", "Company"),
                    EntityInfo("gov-rs", "Government of Serbia", "PublicBody", country="rs")],
                   names=[("Serbia", "gov-rs")], world=True)
    found = {m.text: m.entity_id for m in gz.find(
        "China Harbour Engineering Company met the Serbian government in Serbia.")}
    assert found["China Harbour Engineering Company"] == "chec-store"
    assert found["Serbia"] == "gov-rs"
    # The store names the state by its government: "the Serbian government" is that entity.
    assert found["Serbian government"] == "gov-rs"
    assert "world-chec" in gz.entities  # its other names (CHEC) still point to the world entity
    assert gz.ids_for("China Harbour Engineering Company") == ["chec-store"]


def test_every_sovereign_state_in_english_and_spanish() -> None:
    by = states().by_surface
    for name, code in [("United States", "us"), ("US", "us"), ("EE.UU.", "us"), ("Estados Unidos", "us"),
                       ("UK", "gb"), ("Reino Unido", "gb"), ("Democratic Republic of the Congo", "cd"),
                       ("RDC", "cd"), ("Malasia", "my"), ("Kenia", "ke"), ("Serbia", "rs"),
                       ("Norway", "no"), ("Côte d'Ivoire", "ci"), ("Burma", "mm")]:
        assert by[name] == code, name
    assert 190 <= len(states().display) <= 200
    assert "Hong Kong" not in by and "Puerto Rico" not in by  # not sovereign states


@pytest.mark.parametrize(("word", "code"), [
    ("peruano", "pe"), ("Peruanas", "pe"), ("chileno", "cl"), ("serbio", "rs"), ("serbia", "rs"),
    ("Kenyan", "ke"), ("Malaysian", "my"), ("francesa", "fr"), ("alemanes", "de"),
    ("estadounidense", "us"), ("iraníes", "ir"), ("costarricenses", "cr")])
def test_state_for_demonym(word: str, code: str) -> None:
    assert state_for_demonym(word) == code


def test_state_for_demonym_unknown() -> None:
    assert state_for_demonym("congoleño") is None and state_for_demonym("company") is None


def test_keep_state_government_phrases_and_abbreviations(world_gz: Gazetteer) -> None:
    text = "el gobierno serbio y la US Embassy; the US signed; BOLIVIA Y CHINA"
    kept = {m.text for m in world_gz.find(text) if m.entity_id in world_gz.state_ids and keep_state(text, m)}
    assert "gobierno serbio" in kept and "BOLIVIA" not in kept
    assert kept >= {"US"}


def test_extraction_emits_world_entities(world_gz: Gazetteer) -> None:
    res = extract("China Harbour Engineering Company signed a US$300 million contract with the Serbian government.",
                  {"source_id": "t1", "published": "2024-05", "language": "en"}, world_gz)
    used = {eid for c in res.claims for eid, _ in c.entities}
    assert "world-chec" in used
    assert [r.id for r in world_records(used, world_gz.world_ids, "t1")][:1] == ["world-chec"]


def test_world_gazetteer_compiles_fast() -> None:
    start = time.process_time()
    gz = Gazetteer(world=True)
    gz.regex  # noqa: B018
    assert time.process_time() - start < 5.0


def test_currency_prefix_is_not_the_state(world_gz: Gazetteer) -> None:
    text = "a grant of US $4.8 million and US$2 million in U.S. dollars, signed by the US"
    kept = [m.text for m in world_gz.find(text) if m.entity_id in world_gz.state_ids and keep_state(text, m)]
    assert kept == ["US"]


def test_every_world_record_is_valid() -> None:
    known = set(states().display)
    for info, _, meta in world_entities():
        rec = world_record(info.id)
        assert not rec.problems(), (info.id, rec.problems())
        assert rec.country is None or rec.country in known, info.id
        assert meta["linkage"] in (None, "central_soe", "provincial_soe", "policy_bank", "state_organ", "private")
        assert meta["source"]


def test_world_names_stay_out_of_ordinary_prose(world_gz: Gazetteer) -> None:
    text = ("The ABC of it: we total the figures, safe to say the legend holds. Most people "
            "agreed, and the government said it would act. El gobierno dijo que la región andina "
            "crecerá; the China shop sold vale and chile peppers.")
    assert [m.text for m in world_gz.find(text) if m.entity_id in world_gz.world_ids] == []
