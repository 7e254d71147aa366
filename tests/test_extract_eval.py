"""Extraction accuracy on third-party texts (AidData GCDF 2.0 descriptions, China Vitae
records in /work/shared/refdata) against the hand-made gold set in tests/data/eval/.
The floors are the figures reached so far (see docs/ingest-and-extract.md): a change that
makes extraction worse fails here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import REFDATA

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import eval_extract  # noqa: E402

# These sets are formulaic (AidData descriptions, China Vitae records): regression checks,
# not what users ingest (real articles: benchmarks/eval_articles.py). Claims now keep every
# entity their sentence names and untyped links, so names that the annotations here leave out
# (product titles, "Defense Staff") count against entity precision: 97.8% -> 88.2% here,
# while entity recall on real articles rose from 58% to 97%. Any counted noun is a count now
# ("3 agreements"), which these annotations did not list. Floors: the figures reached.
FLOORS_EN = {"entity_recall": 0.96, "entity_precision": 0.89, "fact_recall": 0.98,
             "figure_precision": 0.94, "quotes_verbatim": 1.0}
FLOORS_HELDOUT = {"entity_recall": 0.98, "entity_precision": 0.85, "fact_recall": 0.93,
                  "figure_precision": 0.99, "quotes_verbatim": 1.0}
FLOORS_HELDOUT2 = {"entity_recall": 0.99, "entity_precision": 0.94, "fact_recall": 0.94,
                   "figure_precision": 0.94, "quotes_verbatim": 1.0}
FLOORS_ES_OWN = {"entity_recall": 0.95, "fact_recall": 0.95, "figure_precision": 0.95, "quotes_verbatim": 1.0}


@pytest.fixture(scope="module")
def english() -> dict[str, eval_extract.Score]:
    if not REFDATA.is_dir():
        pytest.fail(f"refdata missing at {REFDATA}; set $VEEDURIA_SHARED")
    return eval_extract.evaluate(eval_extract.GOLD_EN)


def test_gold_set_is_large_enough(english: dict[str, eval_extract.Score]) -> None:
    total = english["all"]
    assert english.keys() >= {"aiddata_huawei", "aiddata_military", "china_vitae"}
    assert total.entities_gold >= 150 and total.facts_gold >= 50 and total.words >= 4000


@pytest.mark.parametrize("measure", sorted(FLOORS_EN))
def test_english_accuracy_stays_above_floor(english: dict[str, eval_extract.Score], measure: str) -> None:
    value = english["all"].figures_dict()[measure]
    misses = [m for m in english["all"].misses if measure.split("_")[0] in m][:10]
    assert value >= FLOORS_EN[measure], f"{measure} = {value:.1%}; first misses: {misses}"


def test_heldout_rows_stay_above_floor() -> None:
    scores = eval_extract.evaluate(eval_extract.GOLD_EN_HELDOUT)
    assert scores["all"].facts_gold >= 30 and scores["all"].entities_gold >= 60
    figures = scores["all"].figures_dict()
    for measure, floor in FLOORS_HELDOUT.items():
        assert figures[measure] >= floor, (measure, figures[measure], scores["all"].misses[:10])


def test_second_heldout_set_stays_above_floor() -> None:
    scores = eval_extract.evaluate(eval_extract.GOLD_EN_HELDOUT2)
    assert scores["all"].facts_gold >= 15 and scores["all"].entities_gold >= 50
    figures = scores["all"].figures_dict()
    for measure, floor in FLOORS_HELDOUT2.items():
        assert figures[measure] >= floor, (measure, figures[measure], scores["all"].misses[:10])


def test_heldout_rows_are_not_in_the_other_sets() -> None:
    import yaml

    def rows(path: Path) -> set[tuple[str, int]]:
        docs = yaml.safe_load(path.read_text(encoding="utf-8"))["documents"]
        return {(d["dataset"], int(d["row"])) for d in docs if "row" in d}

    main, heldout, heldout2 = (rows(p) for p in (eval_extract.GOLD_EN, eval_extract.GOLD_EN_HELDOUT,
                                                 eval_extract.GOLD_EN_HELDOUT2))
    assert not main & heldout and not main & heldout2 and not heldout & heldout2


def test_spanish_own_texts_secondary_check() -> None:
    figures = eval_extract.evaluate(eval_extract.GOLD_ES).get("all").figures_dict()
    for measure, floor in FLOORS_ES_OWN.items():
        assert figures[measure] >= floor, (measure, figures[measure])


def test_scoring_detects_a_wrong_figure() -> None:
    from bench_extract import peru_gazetteer

    # The scorer itself must be able to fail: a figure the gold set does not list is wrong.
    doc = {"dataset": "own", "file": "x", "entities": ["Acme Group"],
           "facts": [{"ents": ["Acme Group"], "money": [5_000_000, "USD"], "year": 2020}],
           "figures": {"money": [[5_000_000, "USD"]]}}
    text = "In 2020, Acme Group invested $7 million in Bay Port."
    score = eval_extract.score_document(doc, text, None, "en", peru_gazetteer())
    assert score.figures == 1 and score.figures_right == 0
    assert score.facts_found == 0 and score.entities_found == 1
