"""Charts as inline SVG, drawn by hand so the report needs no plotting library and no
network: horizontal bars, a sector-by-year grid of amounts, and a vertical timeline."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

FONT = "font-family=\"'DejaVu Sans', Arial, sans-serif\""
INK = "#1f2933"
MUTED = "#66727f"
BAR = "#2f6f8f"
GRID = "#d9e0e6"


def _text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "start",
          fill: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}" {FONT}>{escape(content)}</text>')


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    # Scales to the column width (screen and print) keeping its proportions.
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
            f'aria-label="{escape(title)}" class="chart" style="max-width:{width}px">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


@dataclass
class Bar:
    label: str
    value: float
    caption: str  # the value as the reader should see it


def bar_chart(title: str, bars: list[Bar], *, width: int = 640, label_width: int = 190) -> str:
    """Horizontal bars, one row per item, with the value written after each bar."""
    row, top = 26, 10
    height = top + row * max(len(bars), 1) + 10
    peak = max((b.value for b in bars), default=0) or 1
    span = width - label_width - 90
    body = []
    for i, b in enumerate(bars):
        y = top + i * row
        length = span * (b.value / peak) if b.value > 0 else 0
        body.append(_text(label_width - 8, y + 16, b.label, anchor="end"))
        body.append(f'<rect x="{label_width}" y="{y + 4}" width="{max(length, 1 if b.value else 0):.1f}" '
                    f'height="{row - 8}" fill="{BAR}" rx="2"/>')
        body.append(_text(label_width + length + 6, y + 16, b.caption, fill=MUTED))
    return _svg(width, height, title, body)


def grid_chart(title: str, rows: list[str], columns: list[str],
               values: dict[tuple[str, str], float], caption: callable) -> str:
    """A heat grid: rows x columns, each filled cell shaded by its value and labelled."""
    label_width, cell_w, cell_h, head = 170, 58, 26, 30
    width = label_width + cell_w * len(columns) + 10
    height = head + cell_h * len(rows) + 10
    peak = max(values.values(), default=0) or 1
    body = []
    for j, col in enumerate(columns):
        body.append(_text(label_width + j * cell_w + cell_w / 2, head - 10, col, size=11,
                          anchor="middle", fill=MUTED))
    for i, row in enumerate(rows):
        y = head + i * cell_h
        body.append(_text(label_width - 8, y + 17, row, anchor="end"))
        for j, col in enumerate(columns):
            x = label_width + j * cell_w
            body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                        f'fill="{GRID}" fill-opacity="0.35"/>')
            value = values.get((row, col))
            if value:
                # Square-root shading keeps small amounts visible next to large ones.
                opacity = 0.15 + 0.85 * (value / peak) ** 0.5
                body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                            f'fill="{BAR}" fill-opacity="{opacity:.2f}"/>')
                body.append(_text(x + cell_w / 2, y + 17, caption(value), size=10, anchor="middle",
                                  fill="#ffffff" if opacity > 0.55 else INK))
    return _svg(width, height, title, body)


@dataclass
class Event:
    date_label: str
    text: str
    note: int | None = None


def timeline_chart(title: str, events: list[Event], *, width: int = 720, max_chars: int = 78) -> str:
    """A vertical timeline: one dot per event on a line, date on the left, short text and
    its note number on the right (linked to the note)."""
    row, top, axis = 24, 12, 150
    height = top + row * max(len(events), 1) + 8
    body = [f'<line x1="{axis}" y1="{top}" x2="{axis}" y2="{height - 8}" stroke="{GRID}" stroke-width="2"/>']
    for i, ev in enumerate(events):
        y = top + i * row + 12
        body.append(_text(axis - 14, y + 4, ev.date_label, size=11, anchor="end", fill=MUTED))
        body.append(f'<circle cx="{axis}" cy="{y}" r="5" fill="{BAR}"/>')
        text = ev.text if len(ev.text) <= max_chars else ev.text[: max_chars - 1].rstrip() + "…"
        body.append(_text(axis + 14, y + 4, text, size=11))
        if ev.note is not None:
            x = axis + 14 + 6.1 * len(text) + 6
            body.append(f'<a href="#note-{ev.note}" class="cite">'
                        f'{_text(min(x, width - 30), y + 4, f"[{ev.note}]", size=10, fill=BAR)}</a>')
    return _svg(width, height, title, body)
