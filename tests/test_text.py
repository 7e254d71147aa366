import pytest

from veeduria.text import find_quote, fold, markdown_to_text, parse_partial_date


def test_markdown_links_escapes_and_emphasis_removed():
    md = "# Title\n\n**Bold** and [a link](#) cost \\$1.8 billion and [\\\\$245M](#)."
    assert markdown_to_text(md) == "Title\n\nBold and a link cost $1.8 billion and $245M."


def test_find_quote_spans_line_breaks():
    text = "The firm used explosives\n\nto force out residents."
    start, end = find_quote(text, "explosives to force out")
    assert text[start:end] == "explosives\n\nto force out"


def test_find_quote_prefers_occurrence_near_hint():
    text = "COSCO here. Later, COSCO there."
    assert find_quote(text, "COSCO", hint=20) == (19, 24)
    assert find_quote(text, "missing words") is None
    assert find_quote(text, "   ") is None


def test_fold_removes_accents_and_case():
    assert fold("Perú  S.A.C.") == "peru s a c"
    assert fold("San Gabán III") == "san gaban iii"


@pytest.mark.parametrize("value,precision,sort", [
    ("2024", "year", "2024-01-01"), ("2024-11", "month", "2024-11-01"), ("2024-02-29", "day", "2024-02-29"),
])
def test_partial_dates(value, precision, sort):
    assert parse_partial_date(value) == (value, precision, sort)


@pytest.mark.parametrize("bad", ["24", "2024-13", "2023-02-29", "November 2024", "2024/11"])
def test_bad_dates_rejected(bad):
    with pytest.raises(ValueError):
        parse_partial_date(bad)
