"""Exports: claims JSON Lines against the shared schema, FollowTheMoney via `ftm validate`, CSV."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import SPEC

from veeduria.cases.loader import load_case
from veeduria.export.claims import write_claims_jsonl
from veeduria.export.ftm import write_ftm
from veeduria.export.tables import CLAIM_COLUMNS, write_claims_csv, write_entities_csv


@pytest.fixture(scope="module")
def claim_schema():
    return json.loads((SPEC / "claim.schema.json").read_text())


def _jsonl(store, writer, **kw):
    out = io.StringIO()
    with store.reader() as s:
        n = writer(s, out, **kw)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(lines) == n
    return lines


def test_mini_claims_validate_against_spec(store, mini_case, claim_schema):
    load_case(store, mini_case)
    lines = _jsonl(store, write_claims_jsonl)
    assert len(lines) == 6
    for line in lines:
        jsonschema.validate(line, claim_schema)
    arb = next(x for x in lines if x["id"] == "mini-arbitration")
    assert arb["quantity"] == {"value": 89, "unit": "cases"}
    assert arb["amount"] == {"value": 86e6, "currency": "USD", "usd": 86e6, "usd_basis": "stated"}


def test_peru_claims_validate_against_spec(peru_store, claim_schema):
    lines = _jsonl(peru_store, write_claims_jsonl)
    assert len(lines) >= 150
    validator = jsonschema.Draft202012Validator(claim_schema)
    errors = [(x["id"], e.message) for x in lines for e in validator.iter_errors(x)]
    assert errors == []
    ids = [x["id"] for x in lines]
    assert len(ids) == len(set(ids))
    # Every report quote got its offsets once the report was ingested.
    report = [x for x in lines if x["source"]["publisher"] == "Expediente Abierto"]
    assert report and all(x["offsets"] is not None for x in report)


def test_claim_ids_stable_across_exports(peru_store):
    first = [x["id"] for x in _jsonl(peru_store, write_claims_jsonl)]
    second = [x["id"] for x in _jsonl(peru_store, write_claims_jsonl)]
    assert first == second


def test_ftm_export_passes_ftm_validate(peru_store, tmp_path: Path):
    path = tmp_path / "peru.ftm.json"
    with peru_store.reader() as s, open(path, "w") as out:
        n = write_ftm(s, out)
    validated = tmp_path / "validated.json"
    ftm = Path(sys.executable).with_name("ftm")
    proc = subprocess.run([str(ftm), "validate", "-i", str(path), "-o", str(validated)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    entities = [json.loads(x) for x in validated.read_text().splitlines()]
    assert len(entities) == n
    ids = {e["id"] for e in entities}
    schemata = {e["schema"] for e in entities}
    assert {"Document", "Company", "Ownership"} <= schemata
    # Every relationship points at entities and a source Document inside the export.
    for e in entities:
        props = e["properties"]
        for key in ("owner", "asset", "subject", "object", "involved", "proof"):
            for ref in props.get(key, []):
                assert ref in ids, (e["id"], key, ref)
        if e["schema"] in ("Ownership", "UnknownLink", "Event") and e["id"].startswith("vd-claim-"):
            assert props.get("proof"), e["id"]
    # Every source of the case is locatable: an address, or the reason there is none.
    case_docs = [e for e in entities if e["schema"] == "Document" and "fileName" in e["properties"]
                 or e["schema"] == "Document" and "publisher" in e["properties"]]
    assert case_docs
    for doc in case_docs:
        props = doc["properties"]
        assert props.get("sourceUrl") or any("No public address" in n for n in props.get("notes", [])), doc["id"]
    urls = {u for d in case_docs for u in d["properties"].get("sourceUrl", [])}
    assert any(u.startswith("https://github.com/opensanctions/opensanctions/blob/") for u in urls)


def test_csv_exports(store, mini_case):
    load_case(store, mini_case)
    out = io.StringIO()
    with store.reader() as s:
        assert write_claims_csv(s, out) == 6
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == CLAIM_COLUMNS
    arb = next(r for r in rows if r["id"] == "mini-arbitration")
    assert arb["subject"] == "Acme Port Holdings" and arb["other_entities"] == "counterparty: Government of Peru"
    out = io.StringIO()
    with store.reader() as s:
        assert write_entities_csv(s, out) == 5
    assert "阿克米港口" in out.getvalue()
