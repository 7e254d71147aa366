"""Plain-text and JSON renderings of an entity profile (for `veeduria show`)."""

from __future__ import annotations

from typing import Any

from veeduria.present.report.sentences import claim_sentence
from veeduria.query import OwnershipLink, Profile
from veeduria.store.models import Claim
from veeduria.vocab import is_cumulative, label, modality_word


def money(value: float | None, currency: str | None) -> str:
    if value is None:
        return ""
    for div, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if abs(value) >= div:
            return f"{currency} {value / div:,.3g} {word}"
    return f"{currency} {value:,.0f}"


def claim_figures(c: Claim) -> str:
    parts = []
    if c.amount_value is not None:
        parts.append(money(c.amount_value, c.amount_currency))
    if c.share is not None:
        parts.append(f"{c.share * 100:g}%")
    if c.quantity_value is not None:
        parts.append(f"{c.quantity_value:g} {c.quantity_unit or ''}".strip())
    return ", ".join(parts)


def modality_tags(c: Claim, lang: str = "en") -> list[str]:
    """What the claim is, when it is not a plain fact: "did not happen", "planned",
    "cumulative to date"."""
    tags = [] if c.modality in ("actual", None) else [modality_word(c.modality, lang)]
    if is_cumulative(c.meta):
        tags.append(modality_word("cumulative", lang))
    return tags


def link_text(link: OwnershipLink) -> str:
    share = f" ({link.share * 100:g}%)" if link.share is not None else ""
    since = f" {link.when()}" if link.claim.date else ""
    verb = "" if link.kind == "owner" else f"{link.verb()} "  # "owned by" is the default reading
    return f"{verb}{link.owner.name}{share}{since} [{link.claim.source.title or link.claim.source_id}]"


def profile_text(prof: Profile) -> str:
    e = prof.entity
    lines = [f"{e.name}  ({e.schema}, {e.id})"]
    facts = [x for x in (e.country and f"country: {e.country.upper()}",
                         e.sector and f"sector: {label('sector', e.sector)}",
                         e.state_linkage and f"state linkage: {e.state_linkage}") if x]
    if facts:
        lines.append("  " + "; ".join(facts))
    if e.description:
        lines.append(f"  {e.description}")
    aliases = [f"{n.name}{f' [{n.lang}]' if n.lang else ''}" for n in e.names if n.name != e.name]
    if aliases:
        lines.append("  also: " + ", ".join(aliases))
    lines.append("")
    if prof.chain:
        lines.append("chain of owners:")
        lines.append(f"  {e.name}")
        for link in prof.chain:
            lines.append(f"   <- {link_text(link)}")
            lines.append(f'      "{link.claim.quote}"')
    else:
        lines.append("chain of owners: none recorded")
    if prof.subsidiaries:
        lines.append("owns: " + ", ".join(sub.name for sub, _ in prof.subsidiaries if sub))
    total = sum(len(v) for v in prof.claims_by_domain.values())
    lines.append(f"\n{total} claims")
    for domain, claims in sorted(prof.claims_by_domain.items()):
        lines.append(f"\n[{label('domain', domain)}]")
        for c in claims:
            others = ", ".join(f"{r.entity.name} ({r.role})" for r in c.roles if r.entity_id != e.id)
            figs = claim_figures(c)
            tags = modality_tags(c)
            head = f"  - {c.date or '----'} {label('predicate', c.predicate)}"
            head += f" [{', '.join(t.upper() for t in tags)}]" if tags else ""
            head += f": {others}" if others else ""
            head += f" [{figs}]" if figs else ""
            lines.append(head)
            # The claim written out: a denial reads as one ("did not visit").
            lines.append(f"      {claim_sentence(c, 'en').text}")
            lines.append(f'      "{c.quote}" — {c.source.title or c.source_id}'
                         f"{', ' + c.source.published if c.source.published else ''}")
    return "\n".join(lines)


def profile_dict(prof: Profile) -> dict[str, Any]:
    from veeduria.export.claims import claim_to_dict

    e = prof.entity
    return {
        "id": e.id, "schema": e.schema, "name": e.name, "country": e.country, "sector": e.sector,
        "description": e.description, "foreign": e.foreign, "state_linkage": e.state_linkage,
        "names": [{"name": n.name, "lang": n.lang, "kind": n.kind} for n in e.names],
        "chain": [{"owner": {"id": lk.owner.id, "name": lk.owner.name}, "owned": {"id": lk.owned.id, "name": lk.owned.name},
                   "share": lk.share, "link": lk.kind, "predicate": lk.claim.predicate,
                   "date": lk.claim.date, "claim": lk.claim.id, "quote": lk.claim.quote,
                   "source": lk.claim.source_id} for lk in prof.chain],
        "claims": {d: [claim_to_dict(c) for c in cs] for d, cs in prof.claims_by_domain.items()},
    }
