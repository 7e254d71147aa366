"""Draw the random sample of candidate claims for a hand check.

    .venv/bin/python benchmarks/handcheck_sample.py CLAIMS.jsonl [--n 40] [--seed 11]

CLAIMS.jsonl is a claims export (e.g. from `benchmarks/eval_articles.py --keep DIR`, which
leaves DIR/claims.jsonl). Prints each sampled candidate compactly (predicate, modality,
entities with roles, figures, date, quote) for a person to judge: a wrong entity, role,
figure or date counts as an error. The verdicts go in benchmarks/handcheck.md, without the
texts (the development set stays outside the repository)."""

from __future__ import annotations

import argparse
import json
import random


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claims")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with open(args.claims, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    candidates = [r for r in rows if r.get("status") == "candidate"]
    sample = random.Random(args.seed).sample(candidates, min(args.n, len(candidates)))
    for i, c in enumerate(sample, 1):
        ents = "; ".join(f"{e['role']}={e['name']}" for e in c["entities"])
        figures = []
        if c.get("amount"):
            figures.append(f"{c['amount']['value']:g} {c['amount']['currency']}")
        if c.get("share") is not None:
            figures.append(f"share {c['share']}")
        if c.get("quantity"):
            figures.append(f"{c['quantity']['value']:g} {c['quantity'].get('unit')}")
        print(f"{i}. [{c['predicate']}/{c['modality']}] {ents} | {', '.join(figures)} | "
              f"date {c['date']} | {c['quote']}")


if __name__ == "__main__":
    main()
