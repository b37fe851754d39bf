"""Turn a result's subgraph into what the browser draws with vis-network.

:func:`view` takes the graph format every named query, answer and export shares
(``{"nodes": [{id, label, name, …}], "edges": [{source, target, type, …}]}``) and returns the
nodes and edges vis-network wants: a display label, a plain-text tooltip, style by label (or
colour by community), size by degree, and, for views over :data:`LAYOUT_OVER` nodes, positions
computed here with :func:`kg.layout.layout` (cached) so the browser does not run physics on them.
Nodes are ordered by importance; the browser shows the first ``initial`` and offers the rest as
"N more".
"""
from __future__ import annotations

import hashlib
import json
import math

import networkx as nx

from kg.formatting import is_money_column
from kg.graph_style import COMMUNITY_PALETTE, LABEL_STYLE, OTHER_STYLE, UNDIRECTED, community_color
from web.filters import money
from web.i18n import label_name, t

__all__ = ["view", "community_color", "STYLE", "PALETTE", "LAYOUT_OVER", "INITIAL", "MAX_NODES", "display_name", "communities"]

LAYOUT_OVER = 300   # precompute positions server-side above this many nodes
INITIAL = 150       # nodes drawn at first; the rest behind "N more"
MAX_NODES = 2000    # nodes sent to the browser at most

# colours, shapes and undirected types: one home with the drawn exports (kg.graph_style)
STYLE, OTHER, PALETTE = LABEL_STYLE, OTHER_STYLE, COMMUNITY_PALETTE


_HIDDEN_PROPS = {"id", "label", "name", "sources", "aliases", "_label", "x", "y", "community", "synthetic"}


def stored_name(node: dict) -> str:
    """A node's name as stored (what JSON twins carry)."""
    for k in ("name", "title"):
        if node.get(k):
            return str(node[k])
    return str(node.get("id", "")).split(":", 1)[-1]


def display_name(node: dict) -> str:
    """A node's name on a page: as stored, the ontology's labels in it (a round's A轮, a region, a
    segment) in the UI language."""
    from web.i18n import terms

    return terms(stored_name(node))


def _fmt(k, v) -> str:
    from web.i18n import round_type_name, terms

    if is_money_column(k):
        return money(v)
    if k == "type" and isinstance(v, str):
        return round_type_name(v)
    if k == "source" and isinstance(v, str):
        from web.i18n import source_name

        return source_name(v)
    if k in ("kind", "level", "board") and isinstance(v, str):  # coded values (kind: vc) in words
        from web.explore import value_name

        return value_name(k, v)
    if isinstance(v, str):
        return terms(v)
    if isinstance(v, (list, tuple)):
        from web.i18n import list_sep

        return list_sep().join(terms(str(x)) for x in v[:8]) + ("…" if len(v) > 8 else "")
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _key_name(k: str) -> str:
    """A property key in the UI language (the table column name, else the key in words)."""
    from web.i18n import COLUMNS, column_name

    return column_name(k) if k in COLUMNS else k.replace("_", " ")


def tooltip(node: dict) -> str:
    """Plain text (shown with textContent, never as HTML)."""
    lines = [f"{display_name(node)}", f"[{label_name(node.get('label', ''))}]"]
    for k, v in node.items():
        if k in _HIDDEN_PROPS or v is None or v == "" or isinstance(v, dict):
            continue
        if k in ("community",) and isinstance(v, int):
            v = v + 1  # numbered from 1, as the legend and the sidebar number them
        lines.append(f"{_key_name(k)}: {_fmt(k, v)}")
        if len(lines) >= 12:
            break
    if node.get("synthetic"):
        lines.append(t("synthetic_badge"))
    return "\n".join(lines)


def _weight(e: dict) -> float | None:
    for k in ("weight", "shared_rounds", "rounds", "count"):
        v = e.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def communities(nodes: list[dict], edges: list[dict]) -> dict[str, int]:
    """Community index per node id. The ``community`` property when the query set it on every node,
    kept as it is: the query numbered the whole network's communities (largest first), and the
    sidebar, the legend, the colours and the exports all use that one numbering. Else Louvain
    (seeded: the same graph always gets the same colours), largest community first."""
    if nodes and all(isinstance(n.get("community"), int) and not isinstance(n.get("community"), bool)
                     for n in nodes):
        return {n["id"]: n["community"] for n in nodes}
    G = nx.Graph()
    G.add_nodes_from(n["id"] for n in nodes)
    for e in edges:
        if e["source"] in G and e["target"] in G and e["source"] != e["target"]:
            w = _weight(e) or 1.0
            if G.has_edge(e["source"], e["target"]):
                G[e["source"]][e["target"]]["weight"] += w
            else:
                G.add_edge(e["source"], e["target"], weight=w)
    parts = nx.community.louvain_communities(G, weight="weight", seed=1) if G.number_of_edges() else \
        [{n} for n in G]
    raw = {n: i for i, part in enumerate(parts) for n in part}
    sizes: dict[int, int] = {}
    for c in raw.values():
        sizes[c] = sizes.get(c, 0) + 1
    order = {c: i for i, c in enumerate(sorted(sizes, key=lambda c: (-sizes[c], c)))}
    return {n: order[c] for n, c in raw.items()}


def _layout(ids: list[str], edges: list[dict], groups: dict | None = None) -> dict[str, tuple[float, float]]:
    """Pixel positions: the layout in [-1, 1]² times 45·√n (about 90 px per node across); with
    ``groups`` (node → community) each community is laid out as one patch."""
    from kg.layout import grouped_layout, layout

    pairs = [(e["source"], e["target"]) for e in edges]
    pos = grouped_layout(ids, pairs, groups, seed=1, aspect=2.0) if groups else layout(ids, pairs, seed=1)
    scale = 45 * math.sqrt(len(ids))
    return {n: (round(x * scale, 1), round(y * scale, 1)) for n, (x, y) in pos.items()}


def _cached_layout(ids, edges, groups=None):
    from web.state import cached

    key = hashlib.sha1(json.dumps([ids, [(e["source"], e["target"]) for e in edges],
                                   [groups.get(i) for i in ids] if groups else None],
                                  ensure_ascii=False).encode()).hexdigest()
    return cached(("layout", key), lambda: _layout(ids, edges, groups))


def view(graph: dict | None, *, color_by: str = "label", focus=(), initial: int | None = INITIAL,
         max_nodes: int = MAX_NODES, layout: bool | None = None, omitted: int = 0,
         community_info: list[dict] | None = None) -> dict:
    """The vis payload for ``graph`` (see the module docstring). ``initial=None`` draws every node
    at once; ``community_info`` (the query's ``meta.communities``) names the legend's communities with
    their full sizes."""
    graph = graph or {}
    nodes = [n for n in graph.get("nodes", []) if isinstance(n, dict) and n.get("id") is not None]
    seen: set = set()
    nodes = [n for n in nodes if not (n["id"] in seen or seen.add(n["id"]))]
    ids = {n["id"] for n in nodes}
    edges = [e for e in graph.get("edges", []) if e.get("source") in ids and e.get("target") in ids]

    degree: dict[str, float] = {n["id"]: 0.0 for n in nodes}
    for e in edges:
        w = _weight(e) or 1.0
        degree[e["source"]] += w
        degree[e["target"]] += w
    focus = set(focus or ())
    nodes.sort(key=lambda n: (n["id"] not in focus, -degree[n["id"]], display_name(n)))
    if len(nodes) > max_nodes:
        omitted += len(nodes) - max_nodes
        nodes = nodes[:max_nodes]
        ids = {n["id"] for n in nodes}
        edges = [e for e in edges if e["source"] in ids and e["target"] in ids]

    comm = communities(nodes, edges) if color_by == "community" else {}
    out_nodes = []
    for n in nodes:
        lab = n.get("label") or ""
        style = STYLE.get(lab, OTHER)
        vn = {"id": n["id"], "label": _short(display_name(n)), "name": display_name(n), "group": lab, "title": tooltip(n),
              "value": 1 + degree[n["id"]], "shape": style["shape"], "kind": lab}
        if color_by == "community":
            c = comm.get(n["id"], 0)
            vn["community"] = c
            vn["color"] = community_color(c)
        else:
            vn["color"] = style["color"]
        if n["id"] in focus:
            vn["focus"] = True
        if n.get("synthetic"):
            vn["synthetic"] = True
        out_nodes.append(vn)

    out_edges = []
    for e in edges:
        w = _weight(e)
        ve = {"id": f"{e['source']}|{e.get('type', '')}|{e['target']}", "from": e["source"], "to": e["target"],
              "type": e.get("type", ""), "title": _edge_title(e, w)}
        if w is not None:
            ve["value"] = w
        out_edges.append(ve)

    use_layout = len(out_nodes) > LAYOUT_OVER if layout is None else layout
    if use_layout and out_nodes:
        pos = _cached_layout([n["id"] for n in out_nodes], edges, comm if color_by == "community" else None)
        for vn in out_nodes:
            vn["x"], vn["y"] = pos[vn["id"]]

    legend = _legend(out_nodes, color_by, comm, community_info)
    directed = any(e.get("type") not in UNDIRECTED for e in edges)
    return {"nodes": out_nodes, "edges": out_edges, "initial": len(out_nodes) if initial is None else initial,
            "omitted": omitted, "directed": directed,
            "layout": "precomputed" if use_layout else "physics", "color_by": color_by, "legend": legend,
            "strings": {"more": t("n_more"), "empty": t("empty_graph"), "omitted": t("omitted_server"),
                        "loading": t("loading_graph")}}


def _short(s: str, n: int = 22) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _edge_title(e: dict, w) -> str:
    from web.i18n import rel_name

    rel = e.get("type", "")
    bits = [rel_name(rel)]
    if w is not None and rel not in ("INVESTED_IN", "RAISED"):
        bits.append(f"{t('shared_rounds')}: {_fmt('w', w)}")
    if e.get("lead"):
        bits.append(t("lead"))
    return " · ".join(bits)


def _legend(nodes: list[dict], color_by: str, comm: dict, info: list[dict] | None = None, top: int = 12) -> list[dict]:
    if color_by == "community":
        groups: dict[int, list[str]] = {}
        for n in nodes:  # nodes come most connected first
            groups.setdefault(n.get("community", 0), []).append(n["name"])
        sizes = {int(c["community"]): int(c.get("size") or 0) for c in (info or []) if isinstance(c, dict)
                 and isinstance(c.get("community"), int)}
        out = []
        for c in sorted(groups)[:top]:
            members = groups[c]
            size = sizes.get(c) or len(members)
            from web.i18n import list_sep

            lead = list_sep().join(_short(m, 12) for m in members[:3]) + ("…" if len(members) > 3 else "")
            out.append({"key": f"c{c}", "community": c, "number": c + 1, "size": size, "drawn": len(members),
                        "lead": members[:3], "name": f"{t('community')} {c + 1} ({size}): {lead}",
                        "color": community_color(c), "shape": "dot"})
        return out
    present = []
    for n in nodes:
        if n["kind"] not in present:
            present.append(n["kind"])
    order = list(STYLE)
    present.sort(key=lambda k: order.index(k) if k in order else 99)
    return [{"key": k, "name": label_name(k), **STYLE.get(k, OTHER)} for k in present]
