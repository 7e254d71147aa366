"""The influence network: actors (state bodies, firms, universities, media, legislators,
police, military, ...) linked by the claims that name them together; paths from a foreign
state organ to a host institution; centrality; GraphML and GEXF export."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy.orm import Session

from veeduria.screen.facts import Facts, load_facts
from veeduria.screen.taxonomy import actor_type
from veeduria.vocab import is_negative, label

HOST_INSTITUTION_TYPES = {"state_body", "legislature", "police", "military", "academia", "media",
                          "legislator", "business_group", "organization"}


def graph_from_facts(facts: Facts) -> nx.DiGraph:
    """One node per entity; one edge per (subject, other party) pair, with every claim that
    links them (predicates and claim ids) and a weight equal to their number. Claims that
    something did not happen draw no edge."""
    g = nx.DiGraph()
    for eid, e in facts.entities.items():
        g.add_node(eid, label=e.name, schema=e.schema, country=e.country or "",
                   sector=e.sector or "", foreign=facts.is_foreign(eid),
                   actor_type=actor_type(e.schema, e.sector))
    for c in facts.claims:
        if is_negative(c.modality):
            continue  # "X did not visit Y" links nobody
        subjects = c.entities("subject") or [c.roles[0][0]] if c.roles else []
        for s in subjects:
            for other, role in c.roles:
                if other == s:
                    continue
                if not g.has_edge(s, other):
                    g.add_edge(s, other, predicates=[], claims=[], roles=[], weight=0)
                data = g.edges[s, other]
                data["weight"] += 1
                data["claims"].append(c.id)
                if c.predicate not in data["predicates"]:
                    data["predicates"].append(c.predicate)
                if role not in data["roles"]:
                    data["roles"].append(role)
    return g


def build_graph(session: Session) -> nx.DiGraph:
    """The network of the store's accepted claims."""
    return graph_from_facts(load_facts(session))


def foreign_organs(g: nx.DiGraph) -> list[str]:
    return [n for n, d in g.nodes(data=True) if d.get("foreign") and d.get("schema") == "PublicBody"]


def host_institutions(g: nx.DiGraph) -> list[str]:
    return [n for n, d in g.nodes(data=True)
            if not d.get("foreign") and d.get("actor_type") in HOST_INSTITUTION_TYPES]


def paths(g: nx.DiGraph, source: str, target: str, k: int = 5) -> list[list[str]]:
    """Up to k shortest simple paths between two actors, ignoring edge direction (influence
    runs both ways: a university hosts an institute the foreign state funds)."""
    u = g.to_undirected(as_view=True)
    if source not in u or target not in u:
        raise KeyError(f"unknown node {source if source not in u else target!r}")
    try:
        return [list(p) for p in islice(nx.shortest_simple_paths(nx.Graph(u), source, target), k)]
    except nx.NetworkXNoPath:
        return []


def path_edges(g: nx.DiGraph, path: list[str]) -> list[dict[str, Any]]:
    """Each hop with the claims that support it (either direction)."""
    hops = []
    for a, b in zip(path, path[1:], strict=False):
        data = g.get_edge_data(a, b) or g.get_edge_data(b, a) or {}
        hops.append({"from": a, "to": b, "predicates": data.get("predicates", []),
                     "claims": data.get("claims", [])})
    return hops


def influence_paths(g: nx.DiGraph, limit: int = 50) -> list[dict[str, Any]]:
    """The shortest path from each foreign state organ to each host institution it reaches."""
    u = nx.Graph(g.to_undirected(as_view=True))
    out = []
    for src in foreign_organs(g):
        lengths = nx.single_source_shortest_path(u, src)
        for dst in host_institutions(g):
            if dst in lengths and dst != src:
                p = lengths[dst]
                out.append({"from": src, "to": dst, "length": len(p) - 1, "path": p,
                            "hops": path_edges(g, p)})
    out.sort(key=lambda r: (r["length"], r["from"], r["to"]))
    return out[:limit]


def centrality(g: nx.DiGraph, top: int = 20) -> list[dict[str, Any]]:
    """Degree and betweenness centrality (undirected), most central first."""
    u = nx.Graph(g.to_undirected(as_view=True))
    if u.number_of_nodes() == 0:
        return []
    degree = nx.degree_centrality(u)
    between = nx.betweenness_centrality(u) if u.number_of_nodes() <= 5000 else {}
    rows = [{"id": n, "name": g.nodes[n].get("label", n), "actor_type": g.nodes[n].get("actor_type"),
             "degree": round(degree[n], 4), "betweenness": round(between.get(n, 0.0), 4)}
            for n in u.nodes]
    rows.sort(key=lambda r: (-r["betweenness"], -r["degree"], r["id"]))
    return rows[:top]


def _exportable(g: nx.DiGraph) -> nx.DiGraph:
    """GraphML/GEXF take scalar attributes only: lists become space-separated strings."""
    h = nx.DiGraph()
    for n, d in g.nodes(data=True):
        h.add_node(n, **{k: (v if isinstance(v, str | int | float | bool) else str(v))
                         for k, v in d.items() if v is not None})
    for a, b, d in g.edges(data=True):
        attrs = {k: (" ".join(v) if isinstance(v, list) else v) for k, v in d.items()}
        attrs["label"] = ", ".join(label("predicate", p) for p in d.get("predicates", []))
        h.add_edge(a, b, **attrs)
    return h


def write_graph(g: nx.DiGraph, path: str | Path) -> str:
    """Write GraphML (.graphml) or GEXF (.gexf), chosen by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".graphml", ".gexf"):
        raise ValueError(f"{path}: expected a .graphml or .gexf file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    h = _exportable(g)
    if suffix == ".graphml":
        nx.write_graphml(h, path)
    else:
        nx.write_gexf(h, path)
    return suffix[1:]
