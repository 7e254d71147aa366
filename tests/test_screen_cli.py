"""The screening commands on the Peru case: screen, screen --deal, indicators, network,
exposure, rules and export findings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from veeduria.cli import cli
from veeduria.screen.deal import DealError, deal_facts, read_deal
from veeduria.store.models import Claim

EXAMPLE_DEAL = Path(__file__).resolve().parent.parent / "veeduria/screen/examples/g2g-rail-deal.yaml"


def run(store, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", store.url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_screen_entity_text_and_json(peru_store):
    text = run(peru_store, "screen", "cosco-shipping-ports-chancay")
    assert "tax-exemption-or-sez" in text and "evidence:" in text
    data = json.loads(run(peru_store, "screen", "cosco-shipping-ports-chancay", "--json", "--lang", "es"))
    rules = {f["rule"] for f in data["findings"]}
    assert {"law-changed-after-the-fact", "legal-threats-against-regulator"} <= rules
    assert all(f["evidence"] for f in data["findings"])
    assert data["lang"] == "es" and "evidencia" in run(peru_store, "screen", "huawei", "--lang", "es")


def test_screen_unknown_name_fails_cleanly(peru_store):
    result = CliRunner().invoke(cli, ["--db", peru_store.url, "screen", "zzzz-no-such-entity-qqq"])
    assert result.exit_code == 1 and "no entity matches" in result.output


def test_screen_deal_writes_nothing(peru_store):
    with peru_store.reader() as s:
        before = s.query(Claim).count()
    data = json.loads(run(peru_store, "screen", "--deal", str(EXAMPLE_DEAL), "--json"))
    rules = {f["rule"] for f in data["findings"]}
    assert {"g2g-direct-award", "host-pays-operator-gains", "tax-exemption-or-sez"} <= rules
    assert all(e.startswith("deal:") for f in data["findings"] for e in f["evidence"])
    with peru_store.reader() as s:
        assert s.query(Claim).count() == before


def test_bad_deal_files(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("deal: {name: X}\nfacts:\n  - {predicate: teleports, entities: {subject: deal}}\n",
                   encoding="utf-8")
    with pytest.raises(DealError, match="unknown predicate"):
        deal_facts(read_deal(bad))
    bad.write_text("parties: [nobody]\n", encoding="utf-8")
    with pytest.raises(DealError, match="'deal' section"):
        read_deal(bad)
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DealError, match="not valid UTF-8 YAML"):
        read_deal(bad)
    # A party that is neither in the store nor described is named in the error.
    bad.write_text("deal: {name: X}\nparties: [ghost-co]\n", encoding="utf-8")
    with pytest.raises(DealError, match="ghost-co"):
        deal_facts(read_deal(bad))


def test_indicators_formats(peru_store, tmp_path: Path):
    table = run(peru_store, "indicators", "--by", "sector")
    assert "power_distribution" not in table.splitlines()[0] and "Ports" in table
    out = tmp_path / "ind.csv"
    run(peru_store, "indicators", "--format", "csv", "-o", str(out), "--by", "year")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[-1]["key"] == "total" and int(rows[-1]["arbitration_cases"]) >= 89
    data = json.loads(run(peru_store, "indicators", "--format", "json"))
    assert data["total"]["arbitration_cases"]["claims"]
    recent = json.loads(run(peru_store, "indicators", "--format", "json", "--since", "2025"))
    assert recent["total"]["claims"]["value"] < data["total"]["claims"]["value"]


def test_network_export_and_path(peru_store, tmp_path: Path):
    out = tmp_path / "g.gexf"
    text = run(peru_store, "network", "-o", str(out))
    assert "most central actors" in text
    assert nx.read_gexf(out).number_of_nodes() > 50
    path = run(peru_store, "network", "--path", "government-of-prc", "pnp")
    assert "->" in path
    bad = CliRunner().invoke(cli, ["--db", peru_store.url, "network", "-o", str(tmp_path / "g.png")])
    assert bad.exit_code == 1 and "graphml" in bad.output


def test_exposure_and_export_findings(peru_store, tmp_path: Path):
    rows = json.loads(run(peru_store, "exposure", "--json"))
    assert {"huawei", "hikvision", "didi"} <= {r["firm"]["id"] for r in rows}
    assert "Hikvision" in run(peru_store, "exposure")
    out = tmp_path / "findings.jsonl"
    run(peru_store, "export", "findings", "-o", str(out), "--lang", "es")
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all({"id", "rule", "title", "severity", "target", "evidence", "explanation"} <= set(x)
                         for x in lines)
    assert all(x["evidence"] and x["target"]["id"] for x in lines)


def test_user_rules_folder_on_the_command_line(peru_store, tmp_path: Path):
    (tmp_path / "trips.yaml").write_text(
        "id: paid-trips\nseverity: low\ncategory: influence\n"
        "title: {en: Paid trips, es: Viajes pagados}\n"
        "question: {en: 'Who paid the trip?', es: '¿Quién pagó el viaje?'}\n"
        "rationale: Paid travel builds obligations.\n"
        "target: {roles: [object], each: true}\n"
        "match: {predicates: [funded_trip]}\n"
        "explain: {en: '{subject} brought {target} to {location}.', es: '{subject} llevó a {target} a {location}.'}\n",
        encoding="utf-8")
    listed = run(peru_store, "rules", "--rules", str(tmp_path))
    assert "paid-trips" in listed
    data = json.loads(run(peru_store, "screen", "--json", "--rules", str(tmp_path)))
    assert any(f["rule"] == "paid-trips" for f in data)
    (tmp_path / "broken.yaml").write_text("id: x\nseverity: none\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["--db", peru_store.url, "rules", "--rules", str(tmp_path)])
    assert bad.exit_code == 1 and "broken.yaml" in bad.output
