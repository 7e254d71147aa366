"""Figures and lists written out in English or Spanish for generated explanations."""

from __future__ import annotations

import re
from collections.abc import Iterable

from veeduria.vocab import label

_SCALES = {
    "en": ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")),
    "es": ((1e9, "mil millones"), (1e6, "millones"), (1e3, "mil")),
}
MISSING = {"en": "(not stated)", "es": "(no consta)"}


def number(value: float, lang: str = "en", digits: int = 3) -> str:
    text = f"{value:,.{digits}g}" if abs(value) < 1e15 else f"{value:.3e}"
    if lang == "es":  # 1,234.5 -> 1.234,5
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def money(value: float | None, currency: str | None = "USD", lang: str = "en") -> str:
    if value is None:
        return ""
    cur = (currency or "").upper()
    sign = "US$" if cur == "USD" and lang == "es" else "$" if cur == "USD" else f"{cur} "
    for div, word in _SCALES.get(lang, _SCALES["en"]):
        if abs(value) >= div:
            return f"{sign}{number(value / div, lang)} {word}"
    return f"{sign}{number(value, lang, 6)}"


def share(value: float | None, lang: str = "en") -> str:
    if value is None:
        return ""
    pct = number(round(value * 100, 1), lang)
    return f"{pct} %" if lang == "es" else f"{pct}%"


def join(items: Iterable[str], lang: str = "en") -> str:
    """Distinct non-empty items in order: "a, b and c" / "a, b y c"."""
    seen = [x for x in dict.fromkeys(i for i in items if i)]
    if len(seen) <= 1:
        return seen[0] if seen else ""
    last = " y " if lang == "es" else " and "
    return ", ".join(seen[:-1]) + last + seen[-1]


def sector(key: str | None, lang: str = "en") -> str:
    return label("sector", key, lang).lower() if key else ""


def domain(key: str | None, lang: str = "en") -> str:
    return label("domain", key, lang).lower() if key else ""


_FIELD = re.compile(r"\{(\w+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


def sentence(claim, name_of, lang: str = "en") -> str:  # noqa: ANN001 - ClaimView, callable
    """The claim written out with its predicate's template (veeduria/vocab/predicates.yaml):
    a template may be a list (the first whose plain fields all have values wins) and a
    [bracketed part] is dropped when a field inside it is empty. The modality is always
    written: by a template made for it ("did not visit"), else by a prefix for a claim that
    something did not happen ("Not the case: ...") or a marker ("(planned)"); a running
    total reads "as of <date>, ... (cumulative to date)"."""
    from veeduria.vocab import modality_word, predicates, template_variants

    spec = predicates().get(claim.predicate, {}).get(lang) or {}
    modality = claim.modality or "actual"
    cumulative = bool(getattr(claim, "cumulative", False))
    templates, written_for = template_variants(
        spec, modality, cumulative=cumulative,
        plural=len(claim.entities("subject")) > 1)
    fallback = "{subject}: " + str(spec.get("label") or claim.predicate) + "[ ({qualifier})]"
    values = {role: join((name_of(e) for e in claim.entities(role)), lang)
              for role in ("subject", "object", "counterparty", "instrument", "location",
                           "beneficiary", "party")}
    when = claim.date or ""
    if cumulative and when:
        when = modality_word("cumulative", lang, "as_of").format(date=when)
    values.update(
        amount=money(claim.amount_value, claim.amount_currency, lang),
        share=share(claim.share, lang),
        quantity=(f"{number(claim.quantity_value, lang)} {claim.quantity_unit or ''}".strip()
                  if claim.quantity_value is not None else ""),
        count=number(claim.quantity_value, lang) if claim.quantity_value is not None else "",
        date=claim.date or "", when=when,
        qualifier=claim.qualifier_in(lang) or "",
    )
    if not values["location"] and claim.place:
        values["location"] = claim.place

    def fill(text: str) -> str:
        return _FIELD.sub(lambda m: values.get(m.group(1), ""), text)

    text = ""
    for template in [*templates, fallback]:
        plain = _OPTIONAL.sub("", str(template))
        if all(values.get(f) for f in _FIELD.findall(plain)) or template is fallback:
            kept = _OPTIONAL.sub(lambda m: fill(m.group(1)) if all(
                values.get(f) for f in _FIELD.findall(m.group(1))) else "", str(template))
            text = fill(kept).strip()
            if template is fallback:
                written_for = modality in ("actual", "reported")
            break
    if not written_for:
        prefix, marker = modality_word(modality, lang, "prefix"), modality_word(modality, lang, "marker")
        text = prefix + text if prefix else f"{text} ({marker})" if marker else text
    total = modality_word("cumulative", lang, "marker")
    if cumulative and total not in text:
        text += f" ({total})"
    return text
