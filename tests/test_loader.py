"""Loading case data: idempotency, offsets from stored text, and every kind of bad file."""

from pathlib import Path

import pytest
import yaml
from conftest import DATA
from sqlalchemy import func, select

from veeduria.cases.loader import CaseDataError, load_case, read_case
from veeduria.sources.document import read_text_file
from veeduria.sources.store_docs import store_document
from veeduria.store import AuditEvent, Claim, Entity, Source
from veeduria.text import sha256_bytes


def counts(store):
    with store.reader() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Source, Entity, Claim, AuditEvent))


def test_load_and_idempotency(store, mini_case):
    first = load_case(store, mini_case)
    assert not first.skipped and first.counts == {"sources": 2, "entities": 5, "claims": 6}
    after_first = counts(store)
    assert after_first[:3] == (2, 5, 6)
    assert load_case(store, mini_case).skipped
    # Even a forced reload writes nothing new: every upsert finds its record unchanged.
    load_case(store, mini_case, force=True)
    assert counts(store) == after_first


def test_two_figures_of_one_kind_are_two_claims(store, mini_case):
    load_case(store, mini_case)
    with store.reader() as s:
        promised = s.get(Claim, "mini-promised")
        spent = s.get(Claim, "mini-spent")
        assert (promised.modality, promised.amount_usd) == ("promised", 3.5e9)
        assert (spent.modality, spent.amount_usd) == ("actual", 1.4e9)
        arb = s.get(Claim, "mini-arbitration")
        assert (arb.quantity_value, arb.quantity_unit, arb.amount_usd) == (89, "cases", 86e6)


def test_changed_claim_is_updated_and_removed_claim_deleted(store, mini_case):
    load_case(store, mini_case)
    path = mini_case / "claims" / "01_ports.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["claims"][0]["date"] = "2024-12"
    doc["claims"] = [c for c in doc["claims"] if c["id"] != "mini-spent"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    load_case(store, mini_case)
    with store.reader() as s:
        assert s.get(Claim, "mini-operates").date == "2024-12"
        assert s.get(Claim, "mini-spent") is None
        actions = {e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_id == "mini-spent"))}
        assert actions == {"create", "delete"}


def _break(mini_case: Path, filename: str, edit) -> None:
    path = mini_case / filename
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))


BAD_EDITS = {
    "unknown entity": ("claims/01_ports.yaml", lambda d: d["claims"][0]["entities"].append(
        {"entity": "no-such-entity", "role": "object"}), "unknown entity 'no-such-entity'"),
    "bad date": ("claims/01_ports.yaml", lambda d: d["claims"][1].update(date="2024-13"), "bad date"),
    "unknown predicate": ("claims/01_ports.yaml", lambda d: d["claims"][2].update(predicate="bribed"),
                          "unknown predicate 'bribed'"),
    "unknown domain": ("claims/01_ports.yaml", lambda d: d["claims"][2].update(domain="sports"), "unknown domain"),
    "bad role": ("claims/01_ports.yaml", lambda d: d["claims"][0]["entities"][0].update(role="victim"),
                 "role 'victim' not allowed"),
    "long quote": ("claims/01_ports.yaml", lambda d: d["claims"][0].update(quote="x" * 161), "at most 160"),
    "share out of range": ("claims/02_owners.yaml", lambda d: d["claims"][0].update(share=60), "outside [0, 1]"),
    "unknown source": ("claims/02_owners.yaml", lambda d: d["claims"][1].update(source="nope"), "unknown source"),
    "duplicate id": ("claims/02_owners.yaml", lambda d: d["claims"][1].update(id="mini-own-1"), "duplicate claim id"),
    "bad schema": ("entities.yaml", lambda d: d[0].update(schema="Country"), "unknown schema"),
    "non-USD amount without conversion": ("claims/01_ports.yaml", lambda d: d["claims"][1].update(
        amount={"value": 5, "currency": "PEN"}), "needs usd"),
}


@pytest.mark.parametrize("kind", sorted(BAD_EDITS))
def test_bad_data_names_file_and_record_and_loads_nothing(store, mini_case, kind):
    filename, edit, message = BAD_EDITS[kind]
    _break(mini_case, filename, edit)
    with pytest.raises(CaseDataError) as info:
        load_case(store, mini_case)
    text = str(info.value)
    assert Path(filename).name in text and message in text and "nothing was loaded" in text
    assert counts(store) == (0, 0, 0, 0)


def test_malformed_yaml_is_reported(store, mini_case):
    (mini_case / "claims" / "03_broken.yaml").write_text("claims: [unclosed\n")
    with pytest.raises(CaseDataError, match="03_broken.yaml: \\(file\\): not valid YAML"):
        load_case(store, mini_case)
    assert counts(store) == (0, 0, 0, 0)


def test_bad_update_leaves_previous_version(store, mini_case):
    load_case(store, mini_case)
    before = counts(store)
    _break(mini_case, "claims/01_ports.yaml", lambda d: d["claims"][0].update(date="nope"))
    with pytest.raises(CaseDataError):
        load_case(store, mini_case)
    assert counts(store) == before


def _attach_report(store, mini_case):
    report = DATA / "mini_report.md"
    _break(mini_case, "sources.yaml", lambda d: d[0].update(sha256=sha256_bytes(report.read_bytes())))
    load_case(store, mini_case)
    with store.session() as s:
        return store_document(s, read_text_file(report), "test")


def test_ingesting_the_source_sets_offsets(store, mini_case):
    result = _attach_report(store, mini_case)
    assert result.source_id == "mini-report" and result.missing_quotes == []
    with store.reader() as s:
        src = s.get(Source, "mini-report")
        for claim in s.scalars(select(Claim).where(Claim.source_id == "mini-report")):
            assert src.text[claim.offset_start:claim.offset_end].split() == claim.quote.split()


def test_quote_missing_from_stored_text_fails_the_load(store, mini_case):
    _attach_report(store, mini_case)
    _break(mini_case, "claims/01_ports.yaml", lambda d: d["claims"][0].update(quote="words not in the report"))
    with pytest.raises(CaseDataError, match="mini-operates: quote not found"):
        load_case(store, mini_case)
    with store.reader() as s:
        assert s.get(Claim, "mini-operates").quote == "Acme Port Holdings operates Bay Port"


def test_read_case_unknown_folder():
    with pytest.raises(FileNotFoundError, match="no case"):
        read_case("/nonexistent/case")


def test_ingest_before_load_is_adopted_by_the_curated_source(store, mini_case):
    report = DATA / "mini_report.md"
    _break(mini_case, "sources.yaml", lambda d: d[0].update(sha256=sha256_bytes(report.read_bytes())))
    with store.session() as s:
        early = store_document(s, read_text_file(report), "test")
    assert early.source_id != "mini-report"
    load_case(store, mini_case)
    with store.reader() as s:
        assert s.get(Source, early.source_id) is None
        src = s.get(Source, "mini-report")
        claim = s.get(Claim, "mini-operates")
        assert src.text and src.text[claim.offset_start:claim.offset_end] == claim.quote


def test_translated_qualifiers_and_descriptions(store, mini_case):
    _break(mini_case, "claims/01_ports.yaml", lambda d: d["claims"][0].update(
        qualifier="exclusive control", qualifier_es="control exclusivo"))
    _break(mini_case, "entities.yaml", lambda d: d[1].update(
        description="Port operator.", description_es="Operador portuario."))
    load_case(store, mini_case)
    with store.reader() as s:
        claim = s.get(Claim, "mini-operates")
        assert (claim.qualifier_in("es"), claim.qualifier_in("en")) == ("control exclusivo", "exclusive control")
        assert claim.qualifier_in("fr") == "exclusive control"
        ent = s.get(Entity, "acme-port")
        assert (ent.description_in("es"), ent.description_in("en")) == ("Operador portuario.", "Port operator.")
