"""Claims written out as sentences in English or Spanish from the per-predicate templates
in veeduria/vocab/predicates.yaml: the one sentence engine for CLI, pages, API text,
screening and reports.

Template syntax: `{field}` is replaced by the claim's value; a part in square brackets,
`[ for {amount}]`, is dropped when any field inside it is empty. A template may be a list
(the first whose plain fields all have values wins) and may have variants per modality
(`template_planned`, ...) and for plural subjects (`template_plural`). Entities are named
with their article in the reader's language (veeduria.lang.names); Spanish "a el" and
"de el" contract to "al" and "del"; the first letter is capitalised. Figures and the date
the template leaves out still reach the reader: the date opens the sentence ("In 2020, …"),
figures the qualifier does not already state follow in one parenthesis."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from veeduria.lang import numbers as n
from veeduria.lang.names import Mention, capitalise

FIELD_RE = re.compile(r"\{(\w+)\}")
OPTIONAL_RE = re.compile(r"\[([^\[\]]*)\]")
ROLE_FIELDS = ("subject", "object", "counterparty", "instrument", "location", "beneficiary", "party")
FIGURE_FIELDS = ("amount", "share", "quantity")
_OPEN, _CLOSE = "\x01", "\x02"  # around inserted values while the sentence is assembled

# Short words the language layer itself writes (modality words are in vocab/modalities.yaml).
WORDS = {
    "about": {"en": "about", "es": "aprox."},
    "fallback": {"en": "[{subject}: ]{label}[, {object}][ ({qualifier})]",
                 "es": "[{subject}: ]{label}[, {object}][ ({qualifier})]"},
}


@cache
def _units() -> dict[str, Any]:
    with open(Path(__file__).with_name("units.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def unit(name: str | None, lang: str, value: float | None = None) -> str:
    """A quantity's unit in `lang` (singular for 1): cases -> casos; unknown units as given."""
    if not name:
        return ""
    entry = _units().get(name.strip().lower())
    if entry is None:
        return name
    word = entry.get(lang) or entry.get("en") or name
    if isinstance(word, list):
        return word[0] if value == 1 else word[-1]
    return word


def quantity_text(value: float | None, unit_name: str | None, lang: str) -> str:
    if value is None:
        return ""
    return n.quantity(value, unit(unit_name, lang, value), lang)


def amount_text(value: float | None, currency: str | None, usd: float | None, lang: str) -> str:
    """The amount as stated, with its US-dollar value when stated in another currency."""
    if value is None:
        return ""
    text = n.money(value, currency, lang)
    if (currency or "USD").upper() != "USD" and usd is not None:
        text += f" ({WORDS['about'][lang]} {n.money(usd, 'USD', lang)})"
    return text


def _flatten_parens(text: str) -> str:
    """'84% stake (deal agreed 2019)' -> '84% stake, deal agreed 2019': a qualifier goes
    inside parentheses, and nested ones read badly."""
    return re.sub(r"\s*\(([^()]*)\)", r", \1", text).strip(" ,")


def claim_fields(claim: Any, mentions: Iterable[tuple[str, Mention]], lang: str) -> tuple[dict[str, str], bool]:
    """Every template field of a claim in `lang` ('' when missing), and whether the
    subject is plural."""
    by_role: dict[str, list[Mention]] = {r: [] for r in ROLE_FIELDS}
    for role, m in mentions:
        if role in by_role and m.text:
            by_role[role].append(m)
    fields = {role: n.join([m.text for m in ms], lang) for role, ms in by_role.items()}
    if not fields["location"] and getattr(claim, "place", None):
        # The place in the reader's language where the data gives one (place_es).
        given = getattr(claim, "translations", None) or getattr(claim, "meta", None) or {}
        fields["location"] = given.get(f"place_{lang}") or n.place(claim.place, lang)
    # "the Confucius Classroom in Cusco in Cusco": a place the object's name already gives.
    named = " ".join(m.text for r in ("object", "subject") for m in by_role[r]).casefold()
    if fields["location"] and fields["location"].casefold() in named:
        fields["location"] = ""
    qualifier = (claim.qualifier_in(lang) or "").strip() if hasattr(claim, "qualifier_in") else ""
    fields.update(
        amount=amount_text(claim.amount_value, claim.amount_currency, getattr(claim, "amount_usd", None), lang),
        share=n.percent(claim.share, lang),
        quantity=quantity_text(claim.quantity_value, claim.quantity_unit, lang),
        count=n.count(claim.quantity_value, lang) if claim.quantity_value is not None else "",
        date=n.date(claim.date, lang),
        when=n.when(claim.date, lang),
        qualifier=qualifier.rstrip("."),
        label=_label(claim.predicate, lang),
    )
    subjects = by_role["subject"]
    return fields, len(subjects) > 1 or any(m.plural for m in subjects)


def _label(predicate: str, lang: str) -> str:
    from veeduria.vocab import label

    return label("predicate", predicate, lang)


def fill(template: str, fields: dict[str, str], mark: bool = False) -> str | None:
    """Fill a template; None when a required (unbracketed) field is empty. With `mark`,
    inserted values are wrapped in markers that `finish` uses and removes."""
    def optional(m: re.Match[str]) -> str:
        part = m.group(1)
        return "" if any(not fields.get(f) for f in FIELD_RE.findall(part)) else part

    text = OPTIONAL_RE.sub(optional, template)
    if any(not fields.get(f) for f in FIELD_RE.findall(text)):
        return None
    if not mark:
        return FIELD_RE.sub(lambda m: fields[m.group(1)], text)
    return FIELD_RE.sub(lambda m: _OPEN + fields[m.group(1)] + _CLOSE, text)


# A qualifier that repeats the template's last word ("share of" + "of all exports").
_DOUBLED = re.compile(r"\b(of|to|in|the|de|del|la|el|en|a) \1\b")
_NESTED = re.compile(r"\(([^()]*)\(([^()]*)\)([^()]*)\)")
_CONTRACT = re.compile(rf"\b([Aa]|[Dd]e) {_OPEN}el ")


def finish(text: str, lang: str) -> str:
    """Contract, tidy spacing and punctuation, capitalise and close the sentence."""
    if lang == "es":
        text = _CONTRACT.sub(lambda m: ("al " if m.group(1) in "aA" else m.group(1)[0] + "el ") + _OPEN, text)
    text = text.replace(_OPEN, "").replace(_CLOSE, "")
    text = re.sub(r"\s+", " ", text).strip().rstrip(" ,;:")
    # No parentheses inside parentheses: "(the Commission (SASAC))" -> "(the Commission, SASAC)".
    while (flat := _NESTED.sub(lambda m: f"({m.group(1).rstrip()}, {m.group(2)}{m.group(3)})", text)) != text:
        text = flat
    text = re.sub(r"\)\s*\(", "; ", text)  # "(a) (b)" -> "(a; b)"
    text = re.sub(r"\s+([,.;:)])", r"\1", text).replace("( ", "(").replace("()", "")
    text = re.sub(r"\.\.+$", ".", text)
    text = _DOUBLED.sub(r"\1", text)
    if not text:
        return text
    text = capitalise(text)
    return text if text.endswith((".", "!", "?")) else text + "."


_CONTRACT_ANY = re.compile(r"\b([Aa]|[Dd]e) el\b")


def contract(text: str, lang: str) -> str:
    """Spanish "a el" / "de el" -> "al" / "del" (a capitalised "El" belongs to a name and
    stays: "de El Peruano")."""
    if lang != "es":
        return text
    return _CONTRACT_ANY.sub(lambda m: "al" if m.group(1) in "aA" else m.group(1)[0] + "el", text)


@dataclass
class Sentence:
    text: str
    used_fallback: bool


def _candidates(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _stated_in(figure: str, qualifier: str) -> bool:
    """Whether the qualifier already gives a figure (compared without spaces)."""
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    return bool(figure) and squash(figure) in squash(qualifier)


def sentence(claim: Any, mentions: Iterable[tuple[str, Mention]], lang: str) -> Sentence:
    """The claim as one sentence in `lang` (without its citation mark). `claim` is a store
    Claim or a screening ClaimView; `mentions` gives (role, Mention) in claim order. The
    modality is always written: by a template made for it ("did not visit"), else by a
    prefix for a claim that something did not happen ("Not the case: ...") or a marker
    ("planned"); a running total reads "as of <date>, ... (cumulative to date)"."""
    from veeduria.vocab import is_cumulative, modality_word, predicates, template_variants

    n.check_lang(lang)
    spec = predicates().get(claim.predicate, {}).get(lang, {})
    fields, plural = claim_fields(claim, mentions, lang)
    modality = claim.modality or "actual"
    cumulative = bool(getattr(claim, "cumulative", False)) or is_cumulative(getattr(claim, "meta", None))
    if cumulative and fields["date"]:
        fields["when"] = modality_word("cumulative", lang, "as_of").format(date=fields["date"])
    templates, written_for = template_variants(spec, modality, cumulative=cumulative, plural=plural)
    text, template = None, ""
    for template in templates:
        text = fill(template, fields, mark=True)
        if text is not None:
            break
    fallback = text is None
    if text is None:
        template = WORDS["fallback"][lang]
        text = fill(template, fields, mark=True) or fields["label"]
        written_for = modality in ("actual", "reported")
    used = set(FIELD_RE.findall(template))
    qualifier = fields["qualifier"]
    extras = [fields[f] for f in FIGURE_FIELDS if fields[f] and f not in used
              and not (f == "quantity" and "count" in used) and not _stated_in(fields[f], qualifier)]
    if qualifier and "qualifier" not in used:
        extras.append(_flatten_parens(qualifier))
    elif qualifier and "(" in qualifier:
        # "({qualifier})" in the template: no parentheses inside parentheses.
        text = text.replace(f"({_OPEN}{qualifier}{_CLOSE})", f"({_flatten_parens(qualifier)})")
    if fields["date"] and not used & {"date", "when"} and not _stated_in(fields["date"], qualifier):
        extras.append(fields["when"] if cumulative else fields["date"])
    prefix = "" if written_for else modality_word(modality, lang, "prefix")
    if not written_for and not prefix:
        marker = modality_word(modality, lang, "marker")
        if marker:
            extras.append(marker)
    total = modality_word("cumulative", lang, "marker")
    if cumulative and total not in text:
        extras.append(total)
    if extras and text.endswith((_CLOSE + ")", ")" + _CLOSE)):
        cut = text.rindex(")")  # one parenthesis, not two in a row
        text = text[:cut] + f"; {'; '.join(extras)}" + text[cut:]
    elif extras:
        text += f" ({'; '.join(extras)})"
    return Sentence(prefix + finish(text, lang), fallback)

def claim_sentence(claim: Any, lang: str) -> Sentence:
    """Sentence of a store Claim (its roles carry the entities)."""
    from veeduria.lang.names import entity_mention

    return sentence(claim, [(ce.role, entity_mention(ce.entity, lang)) for ce in claim.roles], lang)
