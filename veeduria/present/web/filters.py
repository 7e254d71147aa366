"""Template helpers: labels in the page language, figures, simple SVG bar geometry."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from veeduria.present.text import claim_figures, money
from veeduria.vocab import domains, label


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


def columns(items: list[tuple[str, int]], width: int = 560, height: int = 160) -> dict[str, Any]:
    """Geometry of a vertical column chart (years on the x axis)."""
    top = max((n for _, n in items), default=0) or 1
    step = width / max(1, len(items))
    cols = [{"key": k, "value": n, "x": round(i * step + 2, 1), "w": max(1, round(step - 4, 1)),
             "h": round((height - 30) * n / top, 1), "y": round(height - 18 - (height - 30) * n / top, 1),
             "tx": round(i * step + step / 2, 1)}
            for i, (k, n) in enumerate(items)]
    every = max(1, len(items) // 10)
    return {"cols": cols, "width": width, "height": height, "every": every}


def install(env: Environment) -> None:
    env.globals.update(label=label, money=money, figures=claim_figures, bars=bars, columns=columns,
                       all_domains=domains)
    env.filters["pct"] = lambda v: "" if v is None else f"{v * 100:g}%"
