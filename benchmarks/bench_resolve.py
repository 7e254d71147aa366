"""Benchmark: match 100,000 synthetic names against 100,000 known entities on one core.

    .venv/bin/python benchmarks/bench_resolve.py [--n 100000] [--seed 7]

Half the queries are altered forms of known names (legal form dropped or changed, a typo,
a generic word added), half are names of entities the index does not hold. Prints index
build time, matching time, matches per second, and how often the right entity came first."""

from __future__ import annotations

import argparse
import random
import string
import time

from veeduria.resolve.matcher import Matcher

LEGAL = ["Co., Ltd.", "S.A.", "S.A.C.", "Corporation", "Group", "Limited", "Inc.", "有限公司", ""]
GENERIC = ["China", "International", "National", "Peru", ""]


def word(rng: random.Random) -> str:
    syll = ["ka", "zhi", "min", "tor", "lu", "xin", "bao", "ren", "qua", "sol", "mar", "den",
            "fu", "gan", "hol", "jin", "ver", "ta", "po", "ling", "wei", "dor", "sha", "nor"]
    return "".join(rng.choice(syll) for _ in range(rng.randint(2, 4))).capitalize()


def typo(rng: random.Random, text: str) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 5:
        j = rng.randrange(1, len(w) - 1)
        w = w[:j] + rng.choice(string.ascii_lowercase) + w[j + 1:]
    words[i] = w
    return " ".join(words)


def make_names(n: int, rng: random.Random) -> list[str]:
    names = set()
    while len(names) < n:
        core = " ".join(word(rng) for _ in range(rng.randint(2, 3)))
        names.add(f"{rng.choice(GENERIC)} {core} {rng.choice(LEGAL)}".strip())
    return sorted(names)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    known = make_names(args.n, rng)
    t0 = time.perf_counter()
    m = Matcher()
    for i, name in enumerate(known):
        m.add(f"e{i}", [name], "Company")
    m.match("warm up")  # builds the weights
    build = time.perf_counter() - t0

    queries: list[tuple[str, str | None]] = []
    for _ in range(args.n // 2):
        i = rng.randrange(len(known))
        base = known[i]
        for form in LEGAL:
            if form and base.endswith(form):
                base = base[: -len(form)].strip()
        alter = rng.random()
        q = typo(rng, base) if alter < 0.4 else (f"{base} {rng.choice(LEGAL)}" if alter < 0.8 else base)
        queries.append((q, f"e{i}"))
    fresh = make_names(args.n // 2 + args.n // 10, random.Random(args.seed + 1))
    known_set = set(known)
    queries += [(q, None) for q in fresh if q not in known_set][: args.n - len(queries)]

    t1 = time.perf_counter()
    right = wrong_auto = auto = 0
    for q, want in queries:
        cands = m.match(q, limit=3)
        verdict, top = m.decide(cands)
        if verdict == "auto":
            auto += 1
            if top is not None and top.entity_id != want:
                wrong_auto += 1
        if want and cands and cands[0].entity_id == want:
            right += 1
    elapsed = time.perf_counter() - t1
    print(f"entities indexed:   {len(m):,} in {build:.1f} s")
    print(f"names matched:      {len(queries):,} in {elapsed:.1f} s ({len(queries) / elapsed:,.0f} matches/s)")
    print(f"known names ranked first: {right / (args.n // 2):.1%}; "
          f"automatic decisions: {auto:,}, of which wrong: {wrong_auto:,}")


if __name__ == "__main__":
    main()
