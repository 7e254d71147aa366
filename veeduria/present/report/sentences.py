"""Sentences generated from claims by the per-predicate templates in
veeduria/vocab/predicates.yaml, in English or Spanish.

Template syntax: `{field}` is replaced by the claim's value; a part in square brackets,
`[ for {amount}]`, is dropped when any field inside it is empty. When a field outside
brackets is empty the predicate's fallback template is used instead, so no sentence ever
shows an empty placeholder. A template may have variants per modality
(`template_planned`, `template_promised`, ...); without one, a short marker such as
"(planned)" is added. Figures (amount, share, quantity) and the date that the template
does not show are appended, so every figure in the store reaches the reader."""

from __future__ import annotations

import re
from dataclasses import dataclass

from veeduria.present.report.i18n import (
    format_count,
    format_date,
    format_money,
    format_percent,
    format_when,
    join_names,
)
from veeduria.present.report.strings import t, unit_label
from veeduria.store.models import Claim, Entity
from veeduria.vocab import is_cumulative, label, modality_word, predicates, template_variants

FIELD_RE = re.compile(r"\{(\w+)\}")
OPTIONAL_RE = re.compile(r"\[([^\[\]]*)\]")
ROLE_FIELDS = ("subject", "object", "counterparty", "instrument", "location", "beneficiary", "party")
FIGURE_FIELDS = ("amount", "share", "quantity")


def entity_label(entity: Entity | None, lang: str) -> str:
    """The entity's name in `lang` when it has an alias in that language, else its name."""
    if entity is None:
        return ""
    if lang != "en":
        for n in entity.names:
            if n.lang == lang and n.kind in ("name", "alias"):
                return n.name
    return entity.name


def money_text(claim: Claim, lang: str) -> str:
    if claim.amount_value is None:
        return ""
    text = format_money(claim.amount_value, claim.amount_currency, lang)
    if (claim.amount_currency or "USD").upper() != "USD" and claim.amount_usd is not None:
        text += f" ({t('about', lang)} {format_money(claim.amount_usd, 'USD', lang)})"
    return text


def claim_fields(claim: Claim, lang: str) -> dict[str, str]:
    """Every template field of a claim, rendered for `lang` ('' when missing)."""
    names: dict[str, list[str]] = {role: [] for role in ROLE_FIELDS}
    for ce in claim.roles:
        if ce.role in names:
            names[ce.role].append(entity_label(ce.entity, lang))
    fields = {role: join_names(v, lang) for role, v in names.items()}
    if not fields["location"] and claim.place:
        fields["location"] = claim.place
    quantity = ""
    if claim.quantity_value is not None:
        unit = unit_label(claim.quantity_unit, lang, claim.quantity_value)
        quantity = f"{format_count(claim.quantity_value, lang)} {unit}".strip()
    fields.update(
        amount=money_text(claim, lang),
        share=format_percent(claim.share, lang),
        quantity=quantity,
        count=format_count(claim.quantity_value, lang) if claim.quantity_value is not None else "",
        date=format_date(claim.date, lang),
        when=format_when(claim.date, lang),
        qualifier=(claim.qualifier_in(lang) or "").strip(),
        label=label("predicate", claim.predicate, lang),
    )
    return fields


def fill(template: str, fields: dict[str, str]) -> str | None:
    """Fill a template; None when a required (unbracketed) field is empty."""
    def optional(m: re.Match[str]) -> str:
        part = m.group(1)
        return "" if any(not fields.get(f) for f in FIELD_RE.findall(part)) else part

    text = OPTIONAL_RE.sub(optional, template)
    if any(not fields.get(f) for f in FIELD_RE.findall(text)):
        return None
    return FIELD_RE.sub(lambda m: fields[m.group(1)], text)


def _used(template: str) -> set[str]:
    return set(FIELD_RE.findall(template))


# A qualifier that repeats the template's last word ("share of" + "of all exports").
_DOUBLED = re.compile(r"\b(of|to|in|the|de|del|la|el|en|a) \1\b", re.IGNORECASE)


def _finish(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip(" ,;:")
    text = _DOUBLED.sub(r"\1", text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text).replace("( ", "(").replace("()", "")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass
class Sentence:
    text: str
    used_fallback: bool


def claim_sentence(claim: Claim, lang: str) -> Sentence:
    """The claim as one sentence in `lang` (without its citation mark). A claim that says
    something did not happen reads as such ("did not visit", or a "Not the case:" prefix);
    a running total reads "as of <date> ... (cumulative to date)"."""
    spec = predicates().get(claim.predicate, {}).get(lang, {})
    fields = claim_fields(claim, lang)
    modality = claim.modality or "actual"
    cumulative = is_cumulative(claim.meta)
    if cumulative and claim.date:
        fields["when"] = modality_word("cumulative", lang, "as_of").format(
            date=format_date(claim.date, lang))
    plural = sum(1 for ce in claim.roles if ce.role == "subject") > 1
    templates, written_for = template_variants(spec, modality, cumulative=cumulative, plural=plural)
    text, template = None, ""
    for template in templates:
        text = fill(template, fields)
        if text is not None:
            break
    fallback = text is None
    if text is None:
        template = t("fallback_template", lang)
        text = fill(template, fields) or fields["label"]
        written_for = modality in ("actual", "reported")
    used = _used(template)
    # Figures, precisions and the date the template left out still reach the reader.
    extras = [fields[f] for f in FIGURE_FIELDS if fields[f] and f not in used
              and not (f == "quantity" and "count" in used)]
    if fields["qualifier"] and "qualifier" not in used:
        extras.append(fields["qualifier"])
    if fields["date"] and not used & {"date", "when"}:
        extras.append(fields["when"] if cumulative else fields["date"])
    if extras:
        text += f" ({'; '.join(extras)})"
    text = _finish(text)
    if not written_for:
        prefix = modality_word(modality, lang, "prefix")
        marker = modality_word(modality, lang, "marker")
        if prefix:
            text = prefix + text
        elif marker:
            text = text[:-1] + f" ({marker})."
    if cumulative and modality_word("cumulative", lang, "marker") not in text:
        text = text[:-1] + f" ({modality_word('cumulative', lang, 'marker')})."
    return Sentence(text, fallback)
