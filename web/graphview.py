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

import re

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


# ------------------------------------------------------------------------------------------ the wire form
# A view embedded in a page travels column by column (repeated values as codes, edge ends as node
# positions, what the browser can derive left out): 810 nodes and 1,000 links of the 100k network are
# ~110 KB instead of ~490 KB. ``unwire`` here and ``unwire`` in static/graph.js give back the view
# exactly (a test compares both with the view itself).
WIRE = 1
_NUM = re.compile(r"\d+(?:\.\d+)?")
_SLOT = "\x01"   # where a number of a tooltip's template goes


def _cols(rows: list[dict], encode=lambda k, v, i: v) -> dict:
    """Rows as columns: each row's key order as a shape code, each key's values (rows that have it)."""
    shapes: list[tuple] = []
    shape_of: dict = {}
    codes, cols = [], {}
    for i, r in enumerate(rows):
        keys = tuple(r)
        if keys not in shape_of:
            shape_of[keys] = len(shapes)
            shapes.append(keys)
        codes.append(shape_of[keys])
        for k in keys:
            cols.setdefault(k, []).append(encode(k, r[k], i))
    return {"n": len(rows), "shapes": [list(s) for s in shapes], "shape": codes,
            "cols": {k: _dict_encode(v) for k, v in cols.items()}}


def _dict_encode(values: list):
    """A column as ``{"d": uniques, "c": codes}`` when that is smaller (few distinct scalars)."""
    if len(values) < 8 or not all(isinstance(v, (str, int, float, bool)) or v is None for v in values):
        return values
    uniq: dict = {}
    for v in values:
        uniq.setdefault((type(v).__name__, v), v)
    if len(uniq) * 3 > len(values):
        return values
    pos = {k: n for n, k in enumerate(uniq)}
    return {"d": list(uniq.values()), "c": [pos[(type(v).__name__, v)] for v in values]}


def _dict_decode(col):
    if isinstance(col, dict):
        d = col["d"]
        return [d[c] for c in col["c"]]
    return col


def _rows(w: dict, decode=lambda k, v, i: v) -> list[dict]:
    cols = {k: iter(_dict_decode(v)) for k, v in w["cols"].items()}
    rows = []
    for i, s in enumerate(w["shape"]):
        rows.append({k: decode(k, next(cols[k]), i) for k in w["shapes"][s]})
    return rows


def wire(view: dict) -> dict:
    """``view`` (see :func:`view`) in the compact form pages embed; :func:`unwire` reverses it.

    Derived values travel as ``null`` (a label that is the shortened name, an edge id that is
    ``from|type|to``), an edge end as its node's position, a title without its first line (the
    name) as ``[rest]``; a value of those fields that is not text travels as ``{"v": value}``."""
    nodes, edges = view.get("nodes") or [], view.get("edges") or []
    index = {n["id"]: i for i, n in enumerate(nodes) if isinstance(n.get("id"), str)}
    templates: dict[str, int] = {}

    def node(k, v, i):
        if k not in ("id", "label", "title"):
            return v
        if not isinstance(v, str):
            return {"v": v}
        n = nodes[i]
        name, group = n.get("name"), n.get("group")
        if isinstance(name, str):
            if k == "id" and isinstance(group, str) and group.isascii() and v == f"{group.lower()}:{name}":
                return None                      # the kind's key: investor:<name>
            if k == "label" and v == _short(name):
                return None                      # the name, shortened
            if k == "title" and v.startswith(name + "\n"):
                rest = v[len(name) + 1:]         # the name's line left out, the numbers apart
                if _SLOT in rest:
                    return [rest]
                tpl = _NUM.sub(_SLOT, rest)
                return [templates.setdefault(tpl, len(templates)), *_NUM.findall(rest)]
        return v

    def edge(k, v, i):
        if k not in ("from", "to", "id"):
            return v
        if not isinstance(v, str):
            return {"v": v}
        if k != "id" and v in index:
            return index[v]                      # a node's position
        e = edges[i]
        if k == "id" and all(isinstance(e.get(x, ""), str) for x in ("from", "type", "to")) \
                and v == f"{e.get('from')}|{e.get('type', '')}|{e.get('to')}":
            return None                          # from|type|to (all text: read alike in JS)
        return v

    out = {k: v for k, v in view.items() if k not in ("nodes", "edges")}
    out.update(wire=WIRE, nodes=_cols(nodes, node), edges=_cols(edges, edge))
    out["templates"] = list(templates)
    return out


def unwire(payload: dict) -> dict:
    """The view :func:`wire` was given (a payload without ``wire`` is returned as it is)."""
    if payload.get("wire") != WIRE:
        return payload

    def literal(v):
        return v["v"] if isinstance(v, dict) else v

    templates = payload.get("templates") or []

    def title(name, t):
        if len(t) == 1 and isinstance(t[0], str):
            return name + "\n" + t[0]
        parts = templates[t[0]].split(_SLOT)
        return name + "\n" + "".join(p + (t[1 + j] if j < len(parts) - 1 else "") for j, p in enumerate(parts))

    nodes = _rows(payload["nodes"])
    for n in nodes:
        if "id" in n:
            n["id"] = f"{n['group'].lower()}:{n['name']}" if n["id"] is None else literal(n["id"])
        if "label" in n:
            n["label"] = _short(n["name"]) if n["label"] is None else literal(n["label"])
        if "title" in n:
            n["title"] = title(n["name"], n["title"]) if isinstance(n["title"], list) else literal(n["title"])
    ids = [n["id"] for n in nodes]
    edges = _rows(payload["edges"])
    for e in edges:
        for k in ("from", "to"):
            if k in e:
                e[k] = ids[e[k]] if isinstance(e[k], int) and not isinstance(e[k], bool) else literal(e[k])
        if "id" in e:
            e["id"] = f"{e.get('from')}|{e.get('type', '')}|{e.get('to')}" if e["id"] is None else literal(e["id"])
    out = {k: v for k, v in payload.items() if k not in ("nodes", "edges", "wire", "templates")}
    out.update(nodes=nodes, edges=edges)
    return out
