"""Time to build and render the Peru briefing.

    .venv/bin/python benchmarks/bench_report.py [--db PATH] [--no-pdf]

Loads the Peru case and the seed report into a fresh SQLite store (or uses --db), then
times build_report, HTML, Markdown and PDF rendering in English and Spanish and prints
the seconds (wall clock, and CPU seconds of this process, which other jobs on a shared
machine do not inflate), sizes, page counts and the page the annex starts on.

Measured 2026-12-03 on the 2-core development machine shared with other jobs (load
average 6-8, so wall times are two to three times the CPU time), Peru case, 282 claims:
    en: build 1.0-1.5 s | pdf 5.1-7.9 s wall, 2.2-3.3 s CPU | 12 pages: briefing 8 + annex 4
    es: build 0.5-1.0 s | pdf 4.3-4.4 s wall, 1.9-2.4 s CPU | 13-14 pages: briefing 8-9 + annex 5
    whole run (build + PDF): 2.5-4.1 s of CPU.
The old 77-78 page layout took 17-24 s (wall) for the PDF."""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

from veeduria.present.report import build_report, render_html, render_markdown, render_pdf
from veeduria.store import open_store

SEED = Path(os.environ.get("VEEDURIA_SHARED", Path(__file__).resolve().parents[2] / "shared")) \
    / "seeds" / "000_1ce2c6198646e70e.txt"


def fresh_store(folder: Path):  # noqa: ANN201
    from veeduria.cases.loader import load_case
    from veeduria.sources.document import read_text_file
    from veeduria.sources.store_docs import store_document

    store = open_store(str(folder / "bench.db"))
    load_case(store, "pe_prc")
    if SEED.is_file():
        with store.session() as s:
            store_document(s, read_text_file(SEED), "bench")
    return store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db) if args.db else fresh_store(Path(tmp))
        for lang in ("en", "es"):
            c0 = time.process_time()
            t0 = time.perf_counter()
            with store.reader() as session:
                rep = build_report(session, lang=lang)
            t1 = time.perf_counter()
            html = render_html(rep)
            t2 = time.perf_counter()
            md = render_markdown(rep)
            md_kib = len(md) / 1024
            t3 = time.perf_counter()
            line = (f"{lang}: {rep.counts['claims']} claims, {len(rep.notes)} notes | build {t1 - t0:.2f}s"
                    f" | html {t2 - t1:.2f}s ({len(html) / 1024:.0f} KiB) | md {t3 - t2:.2f}s ({md_kib:.0f} KiB)")
            if not args.no_pdf:
                c3 = time.process_time()
                pdf = render_pdf(html)
                t4 = time.perf_counter()
                c4 = time.process_time()
                from pypdf import PdfReader

                texts = [(p.extract_text() or "").lstrip() for p in PdfReader(io.BytesIO(pdf)).pages]
                annex = next((i for i, x in enumerate(texts) if x.startswith(("Annex A", "Anexo A"))), len(texts))
                line += (f" | pdf {t4 - t3:.2f}s wall, {c4 - c3:.2f}s cpu ({len(texts)} pages: briefing {annex}"
                         f" + annex {len(texts) - annex}, {len(pdf) / 1024:.0f} KiB)"
                         f" | total {t4 - t0:.2f}s wall, {c4 - c0:.2f}s cpu")
            print(line)
        store.dispose()


if __name__ == "__main__":
    main()
