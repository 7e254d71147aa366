"""Plain-text renderings of findings, scorecards, indicators and exposure for the terminal."""

from __future__ import annotations

from typing import Any

from veeduria.query import LINK_VERBS
from veeduria.screen import fmt
from veeduria.vocab import modality_word

HEAD = {
    "en": {"findings": "findings", "related": "findings on related parties and claims",
           "chain": "chain of owners", "none": "none", "money": "money", "in": "in", "out": "out",
           "timeline": "timeline", "evidence": "evidence", "party": "findings about the parties",
           "parties": "parties", "no_findings": "no warning signs found on the recorded claims",
           "state": "state owner"},
    "es": {"findings": "alertas", "related": "alertas sobre partes y afirmaciones relacionadas",
           "chain": "cadena de propietarios", "none": "ninguna", "money": "dinero",
           "in": "entra", "out": "sale", "timeline": "cronología", "evidence": "evidencia",
           "party": "alertas sobre las partes", "parties": "partes",
           "no_findings": "no se hallaron señales de alerta en las afirmaciones registradas",
           "state": "propietario estatal"},
}
MARK = {"high": "!!!", "medium": "!! ", "low": "!  "}


def finding_lines(f: dict[str, Any], lang: str) -> list[str]:
    h = HEAD.get(lang, HEAD["en"])
    return [f"  {MARK.get(f['severity'], '   ')} [{f['severity']}] {f['title']}  ({f['rule']})",
            f"      {f['target']['name']} — {f['explanation']}" if f['target']['name'] not in f['explanation']
            else f"      {f['explanation']}",
            f"      {h['evidence']}: {', '.join(f['evidence'])}"]


def findings_text(findings: list[dict[str, Any]], lang: str = "en") -> str:
    h = HEAD.get(lang, HEAD["en"])
    if not findings:
        return h["no_findings"]
    return "\n".join(line for f in findings for line in finding_lines(f, lang))


def scorecard_text(card: dict[str, Any]) -> str:
    lang = card.get("lang", "en")
    h = HEAD.get(lang, HEAD["en"])
    e = card["entity"]
    facts = [x for x in (e.get("schema"), e.get("country") and e["country"].upper(),
                         e.get("sector") and fmt.sector(e["sector"], lang),
                         e.get("foreign") and ("foreign-linked" if lang == "en" else "vínculo extranjero"),
                         e.get("state_linkage")) if x]
    lines = [f"{e['name']}  ({', '.join(facts)})", ""]
    lines.append(f"{h['findings']} ({len(card['findings'])}):")
    lines.append(findings_text(card["findings"], lang) if card["findings"] else f"  {h['no_findings']}")
    if card.get("related_findings"):
        lines += ["", f"{h['related']} ({len(card['related_findings'])}):",
                  findings_text(card["related_findings"], lang)]
    if card.get("party_findings"):
        lines += ["", f"{h['party']} ({len(card['party_findings'])}):",
                  findings_text(card["party_findings"], lang)]
    if card.get("parties"):
        lines += ["", f"{h['parties']}: " + ", ".join(p["name"] for p in card["parties"])]
    if not card.get("deal"):
        lines += ["", f"{h['chain']}:"]
        if card["chain"]:
            lines.append(f"  {e['name']}")
            for link in card["chain"]:
                share = f" ({fmt.share(link['share'], lang)})" if link["share"] is not None else ""
                kind = link.get("link", "owner")
                verb = "" if kind == "owner" else LINK_VERBS[kind][0 if lang == "en" else 1] + " "
                since = ""
                if link.get("date"):
                    word = ("as of", "a") if kind == "operator" else ("since", "desde")
                    since = f" {word[0 if lang == 'en' else 1]} {link['date']}"
                lines.append(f"   <- {verb}{link['owner']['name']}{share}{since}  [{link['claim_id']}]")
        else:
            lines.append(f"  {h['none']}")
    money = card["money"]
    if money["in"] or money["out"]:
        lines += ["", f"{h['money']}:"]
        for direction in ("in", "out"):
            for row in money[direction]:
                what = modality_word(row["modality"], lang)
                lines.append(f"  {h[direction]:<5} {row['amount']:>18}  {what:<10} "
                             f"{row['text']}  [{row['claim_id']}]")
    if card["timeline"]:
        lines += ["", f"{h['timeline']}:"]
        for row in card["timeline"]:
            lines.append(f"  {row['date'] or '----':<10} {row['text']}  [{row['claim_id']}]")
    return "\n".join(lines)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A fixed-width text table."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)
