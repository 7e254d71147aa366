"""Template helpers: labels in the page language, figures written the way each language
writes them, simple SVG bar geometry."""

from __future__ import annotations

import math
from typing import Any

from jinja2 import Environment

from veeduria import lang as fmt
from veeduria.present.text import claim_figures
from veeduria.text import link_url, visible_name
from veeduria.vocab import domains, is_cumulative, is_negative, label

EMPTY = "—"


def _lang(lang: str) -> str:
    return lang if lang in fmt.LANGS else "en"


def money(value: float | None, currency: str | None = "USD", lang: str = "en",
          empty: str = EMPTY) -> str:
    """US$5.8 billion / US$ 5800 millones; `empty` for none or zero (a zero sum is no figure)."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value) or value == 0:
        return empty
    return fmt.money(value, currency or "USD", _lang(lang))


def count(value: Any, lang: str = "en") -> str:
    if value is None or value == "":
        return EMPTY
    if not isinstance(value, int | float):
        return str(value)
    return fmt.number(value, _lang(lang), 0 if float(value).is_integer() else 2)


def percent(share: float | None, lang: str = "en") -> str:
    return "" if share is None else fmt.percent(share, _lang(lang))


def figures(c: Any, lang: str = "en") -> str:
    """A claim's amount, share and quantity in the page language."""
    return claim_figures(c, _lang(lang))


def sentence(c: Any, lang: str = "en") -> str:
    """A store claim written out in the page language."""
    return fmt.claim_sentence(c, _lang(lang)).text


def claim_text(c: Any, lang: str = "en") -> str:
    """A stored claim written out in the page language, modality included ("did not visit",
    "as of ... (cumulative to date)"); '' for anything that is not a stored claim."""
    from veeduria.lang import claim_sentence

    if not hasattr(c, "roles") or not hasattr(c, "meta"):
        return ""
    return claim_sentence(c, _lang(lang)).text


def cumulative(c: Any) -> bool:
    return is_cumulative(getattr(c, "meta", None)) if not isinstance(c, dict) else bool(c.get("cumulative"))


def bars(items: list[tuple[str, int]] | dict[str, int], width: int = 560, bar: int = 22,
         gap: int = 6, label_width: int = 170) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (the template draws it as inline SVG)."""
    pairs = list(items.items()) if isinstance(items, dict) else list(items)
    top = max((n for _, n in pairs), default=0) or 1
    room = width - label_width - 60
    rows = [{"key": k, "value": n, "y": i * (bar + gap), "w": max(1, round(room * n / top)),
             "x": label_width, "ty": i * (bar + gap) + bar * 0.7}
            for i, (k, n) in enumerate(pairs)]
    return {"rows": rows, "width": width, "height": max(1, len(pairs) * (bar + gap)), "bar": bar,
            "label_width": label_width}


def columns(items: list[tuple[str, int]], width: int = 560, height: int = 160,
            faint: dict[str, int] | None = None, labels: int = 12) -> dict[str, Any]:
    """Geometry of a vertical column chart (years on the x axis), with the largest value
    written above its column and at most `labels` axis labels. `faint` (key -> part of the
    value) is drawn as a lighter top segment (claims dated only by their source's year)."""
    top = max((n for _, n in items), default=0) or 1
    step = width / max(1, len(items))
    scale = (height - 40) / top
    cols = []
    for i, (k, n) in enumerate(items):
        part = min(n, (faint or {}).get(k, 0))
        cols.append({"key": k, "value": n, "x": round(i * step + 2, 1), "w": max(1, round(step - 4, 1)),
                     "h": round(scale * (n - part), 1), "y": round(height - 18 - scale * (n - part), 1),
                     "fh": round(scale * part, 1), "fy": round(height - 18 - scale * n, 1), "faint": part,
                     "tx": round(i * step + step / 2, 1), "peak": n == top})
    every = max(1, math.ceil(len(items) / labels))
    return {"cols": cols, "width": width, "height": height, "every": every}


def share_of(value: float, top: float) -> float:
    """Width of an inline bar, in percent of its cell."""
    return 0.0 if not top else round(100 * value / top, 1)


def install(env: Environment) -> None:
    env.globals.update(label=label, money=money, figures=figures, sentence=sentence,
                       entity_label=fmt.entity_label, bars=bars, columns=columns,
                       all_domains=domains, count=count, percent=percent, share_of=share_of,
                       claim_text=claim_text, negative=is_negative, cumulative=cumulative)
    env.filters["pct"] = lambda v, lang="en": percent(v, lang)
    # File names and titles shown as they are: no bidirectional tricks.
    env.filters["visible"] = lambda v: v if v is None else visible_name(str(v))
    env.filters["link_url"] = link_url  # only http(s) addresses become links
