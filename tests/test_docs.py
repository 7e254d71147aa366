"""Keep the docs honest: the README and docs name what the code has, and the reverse."""

import re
from pathlib import Path

import yaml

from veeduria.cli import cli
from veeduria.vocab import domains, predicates, sectors

ROOT = Path(__file__).resolve().parent.parent


def test_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"veeduria {name}" in readme, name


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text()
    for name in set(re.findall(r"`veeduria ([a-z][a-z-]*)", readme)):
        assert name in cli.commands, name


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "./scripts/setup.sh --test && .venv/bin/pytest"
    assert command in readme and command in ci


def test_data_model_names_the_nine_domains():
    text = (ROOT / "docs" / "data-model.md").read_text()
    assert len(domains()) == 9
    for key in domains():
        assert f"`{key}`" in text


def test_vocabularies_are_complete_in_both_languages():
    for key, spec in predicates().items():
        assert spec["roles"], key
        for lang in ("en", "es"):
            assert spec[lang]["label"] and spec[lang]["template"], (key, lang)
    for table in (domains(), sectors()):
        for key, labels in table.items():
            assert labels.get("en") and labels.get("es"), key


def test_case_data_doc_example_parses():
    text = (ROOT / "docs" / "case-data.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    for block in blocks:
        yaml.safe_load(block)
