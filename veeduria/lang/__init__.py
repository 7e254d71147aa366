"""The language layer: numbers, money, percentages, dates, lists, entity names and claim
sentences in English and Spanish. Every stage that writes for a reader (screening, CLI,
pages, API, reports) goes through here, so one amount reads the same everywhere."""

from veeduria.lang.names import Mention, bare, capitalise, entity_label, entity_mention, mention
from veeduria.lang.numbers import (
    LANGS,
    check_lang,
    compact_money,
    count,
    country_name,
    date,
    join,
    money,
    number,
    percent,
    place,
    quantity,
    when,
)
from veeduria.lang.realise import (
    Sentence,
    amount_text,
    claim_sentence,
    contract,
    fill,
    finish,
    quantity_text,
    sentence,
    unit,
)

__all__ = [
    "LANGS", "Mention", "Sentence", "amount_text", "claim_sentence", "contract", "bare", "capitalise", "check_lang", "compact_money",
    "count", "country_name", "date", "entity_label", "entity_mention", "fill", "finish", "join",
    "mention", "money", "number", "percent", "place", "quantity", "quantity_text", "sentence", "unit",
    "when",
]
