"""Screening speed on synthetic facts: `python benchmarks/bench_screen.py [N_CLAIMS]`.

Builds N claims spread over every predicate the packaged rules use (plus ownership), over
N/10 entities, and times rule loading, screening, indicators and the network graph."""

from __future__ import annotations

import random
import sys
import time

from veeduria.screen.engine import load_rules, needed_predicates, screen_facts
from veeduria.screen.facts import ClaimView, EntityView, Facts
from veeduria.screen.indicators import compute_facts
from veeduria.screen.network import graph_from_facts

SECTORS = ["ports", "telecom", "mining", "rail", "surveillance", "power_distribution", None]
WORDS = ["corruption", "unpaid wages", "tax exemption", "government-to-government", "exclusive",
         "community", "routine", ""]


def synthetic(n: int, seed: int = 7) -> Facts:
    rnd = random.Random(seed)
    n_ent = max(20, n // 10)
    schemata = ["Company"] * 6 + ["Project"] * 2 + ["PublicBody", "Organization"]
    entities = {f"e{i}": EntityView(f"e{i}", f"Entity {i}", rnd.choice(schemata),
                                    rnd.choice(["aa", "bb"]), rnd.choice(SECTORS),
                                    foreign=rnd.random() < 0.4) for i in range(n_ent)}
    entities["law"] = EntityView("law", "A law", "Project", "bb")
    entities["state"] = EntityView("state", "State B", "PublicBody", "bb", foreign=True)
    # Laws are few in real data (one per foreign state and statute); the rest are random.
    preds = sorted(needed_predicates(load_rules()) - {"legal_obligation"})
    ids = list(entities)
    claims = [ClaimView("obligation", "legal_obligation",
                        [("state", "subject"), ("law", "instrument")], domain="technology")]
    roles = ["subject", "object", "beneficiary", "counterparty", "instrument"]
    for i in range(n):
        k = rnd.randint(1, 3)
        chosen = rnd.sample(ids, k)
        claims.append(ClaimView(
            f"c{i}", rnd.choice(preds), [(e, roles[j]) for j, e in enumerate(chosen)],
            domain="economy", sector=rnd.choice(SECTORS), qualifier=rnd.choice(WORDS),
            modality=rnd.choice(["actual", "promised", "estimated", "negated"]),
            share=rnd.random() if rnd.random() < 0.2 else None,
            amount_usd=rnd.random() * 1e9 if rnd.random() < 0.3 else None,
            date=str(rnd.randint(2000, 2025)), date_sort=f"{rnd.randint(2000, 2025)}-01-01"))
    return Facts(claims, entities)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    t = time.perf_counter()
    rules = load_rules()
    print(f"load {len(rules)} rules: {time.perf_counter() - t:.3f} s")
    facts = synthetic(n)
    t = time.perf_counter()
    findings = screen_facts(facts, rules)
    dt = time.perf_counter() - t
    print(f"screen {n} claims, {len(facts.entities)} entities: {dt:.2f} s "
          f"({n / dt:,.0f} claims/s), {len(findings)} findings")
    t = time.perf_counter()
    compute_facts(facts)
    print(f"indicators: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    g = graph_from_facts(facts)
    print(f"graph: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges, "
          f"{time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
