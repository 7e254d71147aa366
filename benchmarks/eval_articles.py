"""Extraction on real articles: the shared development set, run as a user would.

    .venv/bin/python benchmarks/eval_articles.py [--eval DIR] [--show] [--keep DIR]

Follows ``../shared/eval/README.md`` exactly: a fresh SQLite store, the packaged cases
loaded, each article's body ingested through the CLI with its title, language and date,
then ``export claims`` and ``export ftm`` scored by the set's own ``score.py``. The texts
and gold stay in ``../shared/eval`` (or ``$VEEDURIA_EVAL``); nothing is copied here.
``--eval`` points at another folder of the same layout (an unseen set)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("VEEDURIA_SHARED", ROOT.parent / "shared"))
VEEDURIA = [sys.executable, "-m", "veeduria"]


def run(evaldir: Path, work: Path, show: bool) -> int:
    env = dict(os.environ, VEEDURIA_DB=f"sqlite:///{work}/eval.db")
    subprocess.run([*VEEDURIA, "load"], check=True, env=env, stdout=subprocess.DEVNULL)
    for path in sorted((evaldir / "docs").glob("*.txt")):
        head, body = path.read_text(encoding="utf-8").split("\n\n", 1)
        meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        (work / path.name).write_text(body, encoding="utf-8")
        args = [*VEEDURIA, "ingest", str(work / path.name), "--title", meta["title"][:200],
                "--language", meta["language"].strip()[:2]]
        date = re.search(r"\d{4}(-\d{2}(-\d{2})?)?", meta.get("date", ""))
        if date:
            args += ["--published", date.group(0)]
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([*VEEDURIA, "export", "claims", "-o", str(work / "claims.jsonl")],
                   check=True, env=env)
    subprocess.run([*VEEDURIA, "export", "ftm", "-o", str(work / "ftm.jsonl")],
                   check=True, env=env)
    score = [sys.executable, str(evaldir / "score.py"), str(work / "claims.jsonl"),
             str(work / "ftm.jsonl")]
    if show:
        score.append("--show")
    return subprocess.run(score, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path,
                        default=Path(os.environ.get("VEEDURIA_EVAL", SHARED / "eval")))
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    options = parser.parse_args()
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
        for stale in options.keep.glob("eval.db*"):
            stale.unlink()
        return run(options.eval, options.keep, options.show)
    with tempfile.TemporaryDirectory() as work:
        return run(options.eval, Path(work), options.show)


if __name__ == "__main__":
    sys.exit(main())
