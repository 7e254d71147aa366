"""Country maps shipped with the app: one `geo/<iso>.json` per host country with a
hand-simplified outline and named points. Places are matched by folded name."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from veeduria.text import fold

GEO_DIR = Path(__file__).parent / "geo"


@cache
def country(iso: str) -> dict[str, Any] | None:
    iso = (iso or "").lower()
    if not re.fullmatch(r"[a-z]{2}", iso):
        return None
    path = GEO_DIR / f"{iso}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def available() -> list[str]:
    return sorted(p.stem for p in GEO_DIR.glob("*.json"))


def locate(iso: str, texts: list[str]) -> list[dict[str, Any]]:
    """Places of `iso` named in any of `texts` (whole-word match on folded names)."""
    geo = country(iso)
    if geo is None:
        return []
    found: dict[str, dict[str, Any]] = {}
    folded = [f" {fold(t)} " for t in texts if t]
    for place in geo["places"]:
        for name in [place["name"], *place.get("aliases", [])]:
            key = f" {fold(name)} "
            if any(key in t for t in folded):
                found[place["name"]] = place
                break
    # A town beats the department around it: drop departments when a finer place matched.
    if any(p["kind"] != "department" for p in found.values()):
        found = {k: p for k, p in found.items() if p["kind"] != "department"} or found
    return list(found.values())


def svg_map(iso: str, points: list[dict[str, Any]], width: int = 360) -> dict[str, Any] | None:
    """Outline path and projected points (equirectangular, scaled by the mean latitude)."""
    geo = country(iso)
    if geo is None:
        return None
    lons = [p[0] for p in geo["outline"]]
    lats = [p[1] for p in geo["outline"]]
    kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * kx
    span_y = max(lats) - min(lats)
    scale = (width - 20) / span_x
    height = round(span_y * scale + 20)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (round(10 + (lon - min(lons)) * kx * scale, 1), round(10 + (max(lats) - lat) * scale, 1))

    path = "M" + " L".join(f"{x},{y}" for x, y in (xy(lon, lat) for lon, lat in geo["outline"])) + " Z"
    marks = []
    for p in points:
        x, y = xy(p["lon"], p["lat"])
        marks.append({**p, "x": x, "y": y})
    refs = []
    for p in geo["places"]:
        if p["kind"] == "department":
            x, y = xy(p["lon"], p["lat"])
            refs.append({"name": p["name"], "x": x, "y": y})
    return {"width": width, "height": height, "path": path, "points": marks, "refs": refs,
            "name": geo["name"], "note": geo.get("note", "")}
