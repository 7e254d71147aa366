"""Regenerate veeduria/extract/common_words.txt from the `wordfreq` package (not a runtime
dependency: `pip install wordfreq` first). The thresholds are the ones the file states."""

from pathlib import Path

from wordfreq import top_n_list, zipf_frequency

OUT = Path(__file__).resolve().parent.parent / "veeduria" / "extract" / "common_words.txt"
HEADER = OUT.read_text(encoding="utf-8").split("\n")[:4]


def main() -> None:
    en = {w for w in top_n_list("en", 20000) if w.isalpha() and zipf_frequency(w, "en") >= 4.5}
    es = {w for w in top_n_list("es", 20000) if w.isalpha() and zipf_frequency(w, "es") >= 5.0}
    OUT.write_text("\n".join(HEADER + sorted(en | es)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
