"""The command line, end to end on a temporary SQLite store."""

import json

import pytest
from click.testing import CliRunner
from conftest import DATA

from veeduria.cli import cli


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def invoke(*args, ok=True, input=None):
        result = runner.invoke(cli, ["--db", db, *args], input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return invoke


def test_load_show_search_stats(run, mini_case):
    out = run("load", str(mini_case)).output
    assert "mini: loaded (2 sources, 5 entities, 6 claims)" in out
    assert "unchanged, skipped" in run("load", str(mini_case)).output
    shown = run("show", "Acme Puertos").output
    assert "Acme Port Holdings" in shown and "<- Acme Group (60%) since 2019-01" in shown
    assert "<- State Assets Agency" in shown
    data = json.loads(run("show", "APH", "--json").output)
    assert data["id"] == "acme-port" and [c["owner"]["id"] for c in data["chain"]] == ["acme-group", "state-agency"]
    assert "bay-port" in run("search", "bahia").output
    # Stems, filters, and where the words are.
    found = run("search", "puertos", "--kind", "entity", "--country", "cn").output
    assert "acme-port" in found and "bay-port" not in found and "«" in found
    assert "no matches" in run("search", "acme", "--domain", "military").output
    bad = run("search", "acme", "--from", "2020-13", ok=False)
    assert bad.exit_code == 2 and "bad date" in bad.output
    stats = json.loads(run("stats", "--json").output)
    assert stats["claims"] == 6 and stats["by_domain"] == {"economy": 5, "law_enforcement": 1}


def test_show_unknown_entity_fails_clearly(run, mini_case):
    run("load", str(mini_case))
    result = run("show", "zzzz qqqq", ok=False)
    assert result.exit_code == 1 and "no entity matches" in result.output


def test_bad_case_exits_with_message(run, mini_case):
    (mini_case / "entities.yaml").write_text("- {id: x, schema: Nope, name: X}\n")
    result = run("load", str(mini_case), ok=False)
    assert result.exit_code == 1 and "entities.yaml: x: unknown schema" in result.output


def test_exports_to_files(run, mini_case, tmp_path):
    run("load", str(mini_case))
    run("export", "claims", "-o", str(tmp_path / "c.jsonl"))
    assert len((tmp_path / "c.jsonl").read_text().splitlines()) == 6
    run("export", "claims", "--status", "candidate", "-o", str(tmp_path / "none.jsonl"))
    assert (tmp_path / "none.jsonl").read_text() == ""
    run("export", "ftm", "-o", str(tmp_path / "f.json"))
    assert '"schema": "Ownership"' in (tmp_path / "f.json").read_text()
    run("export", "csv", "--entities", "-o", str(tmp_path / "e.csv"))
    assert (tmp_path / "e.csv").read_text().startswith("id,schema,name")


def test_ingest_attaches_text_by_hash(run, mini_case):
    import yaml

    from veeduria.text import sha256_bytes

    report = DATA / "mini_report.md"
    sources = yaml.safe_load((mini_case / "sources.yaml").read_text())
    sources[0]["sha256"] = sha256_bytes(report.read_bytes())
    (mini_case / "sources.yaml").write_text(yaml.safe_dump(sources))
    run("load", str(mini_case))
    out = run("ingest", str(report), "--title", "ignored for curated", "--published", "2025-09").output
    assert "as mini-report" in out and "claim quotes located" in out
    bad = run("ingest", str(report), "--published", "Sept 2025", ok=False)
    assert bad.exit_code == 2 and "bad date" in bad.output
