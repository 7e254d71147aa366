"""Extraction accuracy against hand-made gold annotations of third-party texts.

    .venv/bin/python benchmarks/eval_extract.py [--gold tests/data/eval/gold_en.yaml] [--show]

By default: the main English set, the held-out English rows (gold_en_heldout.yaml, kept
apart to check that rule changes generalise), a second held-out set annotated later and
measured once (gold_en_heldout2.yaml, the unseen figure) and the secondary Spanish check.

The texts are read at run time from /work/shared/refdata (AidData GCDF 2.0 project
descriptions, China Vitae engagement records) or, for the secondary Spanish check, from
files next to the gold file; only row identifiers and annotations are in the repository.
The gazetteer is the one production uses: the packaged Peru case's entities and aliases.

Prints entity recall and precision, fact recall (right entities + figure + year), figure
precision and the share of quotes found verbatim at their offsets. `--show` lists misses."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("VEEDURIA_SHARED", ROOT.parent / "shared"))
REFDATA = SHARED / "refdata"
GOLD_EN = ROOT / "tests" / "data" / "eval" / "gold_en.yaml"
GOLD_EN_HELDOUT = ROOT / "tests" / "data" / "eval" / "gold_en_heldout.yaml"  # never used for tuning
# Annotated after the held-out review and measured once: the unseen figure.
GOLD_EN_HELDOUT2 = ROOT / "tests" / "data" / "eval" / "gold_en_heldout2.yaml"
GOLD_ES = ROOT / "tests" / "data" / "eval" / "gold_es_own.yaml"
# The bar.
BAR = {"entity_recall": 0.95, "fact_recall": 0.75, "figure_precision": 0.95, "quotes_verbatim": 1.0}


def norm(name: str) -> str:
    from veeduria.text import fold

    key = fold(name.replace("’", "'"))
    return key[4:] if key.startswith("the ") else key


# --- the texts -------------------------------------------------------------------------

@cache
def _aiddata(path: str) -> dict[int, dict[str, Any]]:
    import openpyxl

    wb = openpyxl.load_workbook(REFDATA / path, read_only=True)
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = next(rows)
    out = {}
    for row in rows:
        rec = dict(zip(header, row, strict=False))
        if rec.get("AidData TUFF Project ID") is not None:
            out[int(rec["AidData TUFF Project ID"])] = rec
    wb.close()
    return out


@cache
def _csv_rows(path: str) -> list[dict[str, str]]:
    with open(REFDATA / path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_text(doc: dict[str, Any], sources: dict[str, str], gold_dir: Path) -> tuple[str, str | None, str]:
    """(text, publication date or None, language) of one gold document."""
    dataset = doc["dataset"]
    if dataset.startswith("aiddata"):
        rec = _aiddata(sources[dataset])[int(doc["row"])]
        return str(rec["Description"]), None, "en"
    if dataset == "china_vitae":
        rec = _csv_rows(sources[dataset])[int(doc["row"])]
        if rec["date"] != doc["date"]:
            raise ValueError(f"China Vitae row {doc['row']} has date {rec['date']}, expected {doc['date']}")
        month, day, year = rec["date"].split("/")
        return rec["text"], f"20{year}-{month}-{day}", "en"
    if dataset == "own":
        return (gold_dir / doc["file"]).read_text(encoding="utf-8"), doc.get("published"), doc.get("language", "es")
    raise ValueError(f"unknown dataset {dataset!r}")


# --- scoring ---------------------------------------------------------------------------

@dataclass
class Score:
    entities_gold: int = 0
    entities_found: int = 0
    mentions: int = 0  # distinct mentioned names
    mentions_right: int = 0
    facts_gold: int = 0
    facts_found: int = 0
    figures: int = 0  # distinct figures in candidate claims
    figures_right: int = 0
    quotes: int = 0
    quotes_verbatim: int = 0
    claims: int = 0
    words: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            if name != "misses":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses.extend(other.misses)

    def figures_dict(self) -> dict[str, float]:
        def ratio(a: int, b: int) -> float:
            return a / b if b else 1.0
        return {
            "entity_recall": ratio(self.entities_found, self.entities_gold),
            "entity_precision": ratio(self.mentions_right, self.mentions),
            "fact_recall": ratio(self.facts_found, self.facts_gold),
            "figure_precision": ratio(self.figures_right, self.figures),
            "quotes_verbatim": ratio(self.quotes_verbatim, self.quotes),
        }


def _variants(entries: Iterable[Any]) -> list[set[str]]:
    return [{norm(v) for v in (e if isinstance(e, list) else [e])} for e in entries]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1e-9)


def score_document(doc: dict[str, Any], text: str, published: str | None, language: str,
                   gazetteer: Any) -> Score:
    from veeduria.extract import extract

    label = f"{doc['dataset']}:{doc['row'] if 'row' in doc else doc.get('file')}"
    result = extract(text, {"source_id": "eval", "published": published, "language": language}, gazetteer)
    score = Score(claims=len(result.claims), words=len(text.split()))
    entities = _variants(doc.get("entities") or [])
    places = _variants(doc.get("places") or [])
    canonical = {eid: norm(info.name) for eid, info in gazetteer.entities.items()}

    def keys_of(text_: str, entity_id: str) -> set[str]:
        return {norm(text_), canonical.get(entity_id, "")} - {""}

    # Entities: each gold entity found by at least one mention.
    mention_keys = [keys_of(m.text, m.entity_id) for m in result.mentions]
    for ent in entities:
        if any(ent & keys for keys in mention_keys):
            score.entities_found += 1
        else:
            score.misses.append(f"{label}: entity not found: {sorted(ent)[0]}")
    score.entities_gold += len(entities)
    # Precision: distinct mentioned names that are a gold entity or place.
    distinct: dict[str, set[str]] = {}
    for m in result.mentions:
        distinct.setdefault(norm(m.text), set()).update(keys_of(m.text, m.entity_id))
    for name, keys in distinct.items():
        score.mentions += 1
        if any(keys & e for e in entities + places):
            score.mentions_right += 1
        else:
            score.misses.append(f"{label}: not an entity: {name}")

    # Facts: one claim with every gold entity, the figure and the year.
    lookup: dict[str, set[str]] = {}
    for group in entities + places:
        for v in group:
            lookup[v] = group
    claim_keys = []
    for c in result.claims:
        ids = {eid for eid, _ in c.entities}
        keys: set[str] = set()
        for m in (c.meta or {}).get("mentions", []):
            if m["entity"] in ids:
                keys |= keys_of(m["text"], m["entity"])
        claim_keys.append(keys)
    pub_year = published[:4] if published else None
    for fact in doc.get("facts") or []:
        score.facts_gold += 1
        wanted = [lookup.get(norm(n), {norm(n)}) for n in fact["ents"]]
        year = str(fact["year"])
        found = False
        for c, keys in zip(result.claims, claim_keys, strict=True):
            if not all(w & keys for w in wanted):
                continue
            if (c.date or pub_year or "")[:4] != year:
                continue
            if "money" in fact:
                value, currency = fact["money"]
                if not (c.amount and c.amount.currency == currency and _close(c.amount.value, value)):
                    continue
            if "count" in fact and not (c.quantity and _close(c.quantity.value, fact["count"])):
                continue
            if "share" in fact and not (c.share is not None and _close(c.share, fact["share"])):
                continue
            found = True
            break
        if found:
            score.facts_found += 1
        else:
            score.misses.append(f"{label}: fact not found: {fact}")

    # Figures: every distinct figure in a candidate must be one the text states.
    gold_fig = doc.get("figures") or {}
    gold_money = [(float(v), c) for v, c in gold_fig.get("money", [])]
    gold_shares = [float(v) for v in gold_fig.get("shares", [])]
    gold_counts = [float(v) for v in gold_fig.get("counts", [])]
    seen: set[tuple[Any, ...]] = set()
    for c in result.claims:
        figs = []
        if c.amount:
            figs.append(("money", c.amount.value, c.amount.currency))
        if c.share is not None:
            figs.append(("share", c.share, None))
        if c.quantity:
            figs.append(("count", c.quantity.value, c.quantity.unit))
        for fig in figs:
            if fig in seen:
                continue
            seen.add(fig)
            score.figures += 1
            kind, value, unit = fig
            ok = (kind == "money" and any(cur == unit and _close(value, v) for v, cur in gold_money)) or \
                 (kind == "share" and any(_close(value, v) for v in gold_shares)) or \
                 (kind == "count" and any(_close(value, v) for v in gold_counts))
            if ok:
                score.figures_right += 1
            else:
                score.misses.append(f"{label}: wrong figure: {kind} {value:g} {unit or ''}")
        score.quotes += 1
        start, end = c.offsets or (-1, -1)
        if start >= 0 and text[start:end] == c.quote and c.quote in text:
            score.quotes_verbatim += 1
        else:
            score.misses.append(f"{label}: quote not verbatim: {c.quote[:60]!r}")
    return score


def evaluate(gold_path: Path = GOLD_EN) -> dict[str, Score]:
    """Scores by dataset, plus 'all'."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_extract import peru_gazetteer

    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    gazetteer = peru_gazetteer()
    scores: dict[str, Score] = {"all": Score()}
    for doc in gold["documents"]:
        text, published, language = load_text(doc, gold.get("sources") or {}, gold_path.parent)
        s = score_document(doc, text, published, language, gazetteer)
        scores.setdefault(doc["dataset"], Score()).add(s)
        scores["all"].add(s)
    return scores


def report(scores: dict[str, Score], title: str) -> None:
    print(title)
    print(f"  {'set':18} {'docs words':>11} {'ent.rec':>8} {'ent.prec':>8} {'fact.rec':>8} {'fig.prec':>8} {'quotes':>7}")
    for name, s in scores.items():
        f = s.figures_dict()
        print(f"  {name:18} {s.words:>11,} {f['entity_recall']:8.1%} {f['entity_precision']:8.1%} "
              f"{f['fact_recall']:8.1%} {f['figure_precision']:8.1%} {f['quotes_verbatim']:7.1%}"
              f"   ({s.entities_found}/{s.entities_gold} entities, {s.facts_found}/{s.facts_gold} facts, "
              f"{s.figures_right}/{s.figures} figures, {s.claims} claims)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, action="append")
    parser.add_argument("--show", action="store_true", help="list every miss")
    args = parser.parse_args()
    if not REFDATA.is_dir():
        sys.exit(f"refdata not found at {REFDATA}; set $VEEDURIA_SHARED")
    golds = args.gold or [g for g in (GOLD_EN, GOLD_EN_HELDOUT, GOLD_EN_HELDOUT2, GOLD_ES) if g.is_file()]
    for gold in golds:
        scores = evaluate(gold)
        report(scores, f"{gold.name}  (bar: entity recall >= 95%, fact recall >= 75%, "
                       f"figure precision >= 95%, quotes 100%)")
        if args.show:
            for miss in scores["all"].misses:
                print("   -", miss)


if __name__ == "__main__":
    main()
