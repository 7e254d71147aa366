"""The briefing as Markdown, with citations as footnotes ([^n]) whose text gives the
source and the exact quote. Charts are written as SVG files next to the Markdown when a
folder is given, and always as tables."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from veeduria.present.report.build import Cites, Fact, Report, Table
from veeduria.text import link_url

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def esc(text: str) -> str:
    """Escape Markdown markup in generated or quoted text."""
    return _SPECIAL.sub(r"\\\1", text)


def md_url(url: str | None) -> str | None:
    """A source URL as a Markdown autolink `<...>`; anything that is not an http(s) URL is
    shown as escaped text. Characters that could end the autolink or start markup are
    percent-encoded, so a hostile URL cannot break out of it."""
    if not url:
        return None
    good = link_url(url)
    if good is None:
        return esc(url)
    return "<" + quote(good, safe=_URL_SAFE) + ">"


_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


def _fact(f: Fact) -> str:
    return f"- {esc(f.text)}[^{f.note}]"


def _cell(cell: str | Fact | Cites) -> str:
    if isinstance(cell, Cites):
        return "".join(f"[^{n}]" for n in cell.notes)
    return f"{esc(cell.text)}[^{cell.note}]" if isinstance(cell, Fact) else esc(cell)


def _table(tb: Table) -> list[str]:
    out = ["| " + " | ".join(esc(h) for h in tb.headers) + " |",
           "|" + "|".join("---" for _ in tb.headers) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in tb.rows]
    return out + [""]


def _source_line(n, key: str, h) -> str:  # noqa: ANN001 - Note, heading function
    parts = [f"*{esc(n.title)}*"] + [esc(x) for x in (n.author, n.publisher) if x]
    parts.append(esc(n.published or h("no_date")))
    if n.edition:
        parts.append(esc(h("edition", edition=n.edition)))
    if n.retrieved:
        parts.append(esc(h("retrieved", date=n.retrieved)))
    if n.url:
        where = md_url(n.url) or ""
    else:
        where = esc(h("no_url") + (f": {n.no_url_reason}" if n.no_url_reason else ""))
        if n.publisher_url:
            where += f" ({esc(h('publisher_site'))}: {md_url(n.publisher_url)})"
    return f"- **[{key}]** {', '.join(parts)}. {where}"


def render_markdown(r: Report, charts_dir: Path | None = None, charts_link: str | None = None) -> str:
    """Markdown text. With `charts_dir`, each chart is also saved there as SVG and shown
    as an image linked through `charts_link` (the folder as seen from the Markdown file)."""
    h = r.heading
    keys = {n.source_id: f"S{i}" for i, n in enumerate(r.sources, 1)}
    meta = f"{esc(r.generated)} {esc(r.scope)}" + (f" {esc(r.date_scope)}" if r.date_scope else "")
    lines = [f"# {esc(r.title)}", "", f"*{esc(r.subtitle)}*", "", meta, "", f"> {esc(r.method)}", ""]
    lines += [f"## {h('summary')}", "", esc(r.stats_text) + (f" {esc(r.findings_summary)}" if r.findings_summary else ""), ""]
    lines += [_fact(f) for f in r.summary] + [""]

    lines += [f"## {h('owners')}", ""]
    if r.chains:
        lines += [esc(h("chains_intro")), ""]
        for ch in r.chains:
            lines += [f"**{esc(' → '.join(ch.path))}**", ""] + [_fact(f) for f in ch.links] + [""]
    else:
        lines += [esc(h("chains_none")), ""]

    figure = 0

    def chart(c) -> list[str]:  # noqa: ANN001 - Chart
        nonlocal figure
        figure += 1
        out = [f"**{h('figure')} {figure}. {esc(c.title)}**", ""]
        if c.sources:
            out += [f"*{h('figure_sources')}: " + "; ".join(
                f"[{keys.get(n.source_id, '?')}] {esc(n.publisher or n.title)}" for n in c.sources) + "*", ""]
        if c.svg and charts_dir is not None:
            charts_dir.mkdir(parents=True, exist_ok=True)
            (charts_dir / f"{c.id}.svg").write_text(c.svg, encoding="utf-8")
            out += [f"![{esc(c.title)}]({charts_link or charts_dir.name}/{c.id}.svg)", ""]
        if c.note:
            out += [esc(c.note), ""]
        if c.table:
            out += [f"*{h('table')} {figure}. {esc(c.title)}*", ""] + _table(c.table)
        return out

    lines += [f"## {h('money')}", "", esc(h("money_intro")), ""]
    for c in r.charts:
        if c.id != "timeline":
            lines += chart(c)
    if r.indicators_error:
        lines += [f"*{esc(h('indicators_failed', error=r.indicators_error))}*", ""]

    lines += [f"## {h('conflicts')}", ""]
    if r.conflicts:
        lines += [esc(h("conflicts_intro")), ""]
        for cf in r.conflicts:
            head = h("source_contradicts") if cf.within_source else h("sources_disagree")
            lines += [f"**{esc(head)}** ({esc(cf.field)}): {esc(cf.title)} "
                      f"({esc(h('independent_sources', n=cf.sources))})", ""]
            lines += [_fact(f) for f in cf.values] + [""]
            if cf.decided:
                lines += [f"*{esc(cf.decided)}*", ""]
            lines += [f"*{esc(h('case_note'))}: {esc(n)}*" for n in cf.notes] + ([""] if cf.notes else [])
    else:
        lines += [esc(h("conflicts_none")), ""]

    lines += [f"## {h('watch')}", ""]
    lines += ([esc(h("watch_intro")), ""] + [_fact(f) for f in r.watch] + [""]) if r.watch else [esc(h("watch_none")), ""]
    lines += [f"### {h('findings')}", ""]
    if r.findings_error:
        lines += [f"*{esc(h('findings_failed', error=r.findings_error))}*", ""]
    elif r.findings is None:
        lines += [f"*{esc(h('findings_unavailable'))}*", ""]
    elif not r.findings:
        lines += [esc(h("findings_none")), ""]
    else:
        lines += [esc(h("findings_intro")), ""]
        for fd in r.findings:
            target = f": {esc(fd.target_name)}" if fd.target_name else ""
            lines += [f"#### [{esc(fd.severity_label.upper())}] {esc(fd.title)}{target}", ""]
            if fd.explanation:
                lines += [esc(fd.explanation) + "".join(f"[^{n}]" for n in fd.notes), ""]
        if r.findings_total > len(r.findings):
            lines += [esc(h("findings_more", n=r.findings_total - len(r.findings))), ""]

    lines += [f"## {h('chart_timeline')}", ""]
    for c in r.charts:
        if c.id == "timeline":
            lines += chart(c)

    lines += [f"## {h('conflicts')}", ""]
    if r.conflicts:
        lines += [esc(h("conflicts_intro")), ""]
        for c in r.conflicts:
            head = h("source_contradicts") if c.within_source else h("sources_disagree")
            lines += [f"**{esc(head)} ({esc(c.field)}): {esc(c.title)}** "
                      f"({esc(h('independent_sources', n=c.sources))})", ""]
            lines += [_fact(f) for f in c.values] + [""]
            if c.decided:
                lines += [esc(c.decided), ""]
            for n in c.notes:
                lines += [f"*{esc(h('case_note'))}:* {esc(n)}", ""]
    else:
        lines += [esc(h("conflicts_none")), ""]

    if r.since:
        lines += [f"## {esc(h('changes', date=r.since))}", ""]
        if r.changes:
            lines += [esc(h("changes_intro", n=len(r.changes), date=r.since)), ""]
            lines += [_fact(f) for f in r.changes] + [""]
        else:
            lines += [esc(h("changes_none")), ""]

    lines += [f"## {h('annex')} A. {h('annex_evidence')}", "", esc(h("annex_evidence_intro")), ""]
    for n in r.notes:
        row = f" {h('row', row=n.row)}" if n.row else ""
        record = f" {h('record')}: {esc(n.record)}." if n.record else ""
        lines.append(f"[^{n.number}]: [{keys.get(n.source_id, '?')}]{row}:{record} “{esc(n.quote)}”")
    lines += ["", f"## {h('annex')} B. {h('sources')}", ""]
    lines += [_source_line(n, keys[n.source_id], h) for n in r.sources]
    if r.full:
        lines += ["", f"## {h('annex')} C. {h('annex_all')}", ""]
        for a in r.areas:
            lines += [f"### {esc(a.title)}", ""]
            if not a.groups:
                lines += [esc(h("area_empty")), ""]
            for g in a.groups:
                lines += [f"#### {esc(g.title)}", ""] + [_fact(f) for f in g.facts] + [""]
    return "\n".join(lines) + "\n"
