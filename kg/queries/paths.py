"""Moving through the graph: the shortest paths between two entities, and what lies around one
(what the explorer expands when a node is clicked).

Paths: ``allShortestPaths`` in Cypher (both ends bound in an earlier clause, which FalkorDB needs
and Neo4j accepts), a bidirectional breadth-first search over :mod:`kg.queries.walk`'s adjacency
on the embedded store. Neighbourhoods: breadth-first, one parameterised expansion per hop on
either backend (the Cypher store runs the query's statements through the read function it hands
to ``cypher_runner``).
"""
from __future__ import annotations

import gc
import itertools

import numpy as np

from kg.queries.base import Graph, NamedQuery, Param, register
from kg.queries.resolve import LABEL_ORDER
from kg.queries.walk import adjacency, shortest_paths

__all__ = ["MAX_HOPS", "PATH_CAP", "neighborhood", "path"]

PATH_CAP = 25   # paths returned at most
MAX_HOPS = 6    # the longest path searched (Cypher's upper bound of the pattern)
NODE_MAP = "{id: %s.id, label: labels(%s)[0], name: %s.name, title: %s.title, round: %s.label, date: %s.date}"
_ORDER = {label: i for i, label in enumerate(LABEL_ORDER)}


def _adjacency(ix, store):
    """The whole graph's adjacency, built once per store version (kept in the query index) and, like
    the index, kept out of the cyclic GC's full collections (which otherwise stall every walk)."""
    def build():
        adj = adjacency(store)
        gc.freeze()
        return adj
    return ix.memo("adjacency", build)


def _display(n: dict) -> str:
    if n.get("name"):
        return str(n["name"])
    if n.get("title"):
        return str(n["title"])
    return " ".join(str(x) for x in (n.get("round"), n.get("date")) if x) or n["id"]


def _add_node(g: Graph, n: dict, **props) -> None:
    extra = {"round": n.get("round"), "date": n.get("date")} if n.get("label") == "Round" else {}
    g.node(n["id"], n.get("label") or "", _display(n), **extra, **props)


# ---------------------------------------------------------------------------- path
_PATH_RETURN = f"""
RETURN [n IN nodes(p) | {NODE_MAP % (('n',) * 6)}] AS nodes,
       [x IN relationships(p) | {{source: startNode(x).id, type: type(x), target: endNode(x).id}}] AS rels"""


def _path_statements(p) -> dict:
    if p.entities["a"].id == p.entities["b"].id:  # a path from a node to itself: no server agrees on it
        return {}
    la, lb = p.entities["a"].label, p.entities["b"].label
    assert la in LABEL_ORDER and lb in LABEL_ORDER  # labels come from the fixed vocabulary only
    head = f"""
MATCH (a:{la} {{id: $a}}), (b:{lb} {{id: $b}})
WITH a, b
MATCH p = allShortestPaths((a)-[*..{MAX_HOPS}]-(b))"""
    return {"main": head + "\nWHERE length(p) <= $max_hops" + _PATH_RETURN}


def _path_embedded(ix, p) -> dict:
    """The shortest paths as the Cypher statement returns them, but only the first PATH_CAP node
    paths in the answer's order (plus how many there are): hubs can make thousands."""
    if p.entities["a"].id == p.entities["b"].id:
        return _self_path(p)
    adj = _adjacency(ix, p.store)
    a, b = adj.position(p.entities["a"].id), adj.position(p.entities["b"].id)
    if a is None or b is None:
        return {"main": [], "total": 0}
    fields: dict[int, tuple[dict, str]] = {}

    def node(u):
        hit = fields.get(u)
        if hit is None:
            n = adj.node(u)
            hit = fields[u] = (n, _display(n))
        return hit

    paths = _in_answer_order(shortest_paths(adj, a, b, min(p["max_hops"], MAX_HOPS)), adj,
                             lambda u: node(u)[1])
    out = []
    for nodes in paths[:PATH_CAP]:
        steps = []
        for u, v in itertools.pairwise(nodes):
            steps.append([{"source": adj.ids[u], "type": t, "target": adj.ids[v]} if start else
                          {"source": adj.ids[v], "type": t, "target": adj.ids[u]}
                          for t, start in adj.between(u, v)])
        for combo in itertools.product(*steps):
            out.append({"nodes": [node(u)[0] for u in nodes], "rels": list(combo)})
    return {"main": out, "total": len(paths)}


def _in_answer_order(paths: list[list[int]], adj, display) -> list[list[int]]:
    """``paths`` sorted by their nodes' display names, then their ids, position by position (the
    Cypher path's order). Shortest paths all have one length: one lexsort over dense ranks instead of
    comparing lists of strings (a hub pair has thousands of paths)."""
    if len(paths) < 2 or len({len(x) for x in paths}) != 1:
        return sorted(paths, key=lambda ns: ([display(u) for u in ns], [adj.ids[u] for u in ns]))
    arr = np.array(paths, dtype=np.int64)
    nodes = np.unique(arr)
    names = [display(u) for u in nodes.tolist()]
    ids = [adj.ids[u] for u in nodes.tolist()]
    name_rank = {x: i for i, x in enumerate(sorted(set(names)))}
    id_rank = {x: i for i, x in enumerate(sorted(set(ids)))}
    pos = np.searchsorted(nodes, arr)
    by_name = np.array([name_rank[x] for x in names], dtype=np.int64)[pos]
    by_id = np.array([id_rank[x] for x in ids], dtype=np.int64)[pos]
    width = arr.shape[1]
    keys = [by_id[:, j] for j in reversed(range(width))] + [by_name[:, j] for j in reversed(range(width))]
    return [paths[k] for k in np.lexsort(keys).tolist()]


def _self_path(p) -> dict:
    e = p.entities["a"]
    return {"main": [{"nodes": [{"id": e.id, "label": e.label, "name": e.name}], "rels": []}]}


def _path_shape(raw, p) -> dict:
    if "main" not in raw:  # no statement ran: a path from a node to itself
        raw = _self_path(p)
    best: dict[tuple, tuple] = {}
    for r in raw["main"]:
        ids = tuple(n["id"] for n in r["nodes"])
        rels = tuple((x["type"], x["source"], x["target"]) for x in r["rels"])
        if ids not in best or rels < best[ids][1]:
            best[ids] = (r["nodes"], rels)
    rows = []
    for ids, (nodes, rels) in best.items():
        rows.append({"hops": len(ids) - 1, "path": [_display(n) for n in nodes], "types": [t for t, _, _ in rels],
                     "node_ids": list(ids), "_nodes": nodes, "_rels": rels})
    rows.sort(key=lambda x: (x["hops"], x["path"], x["node_ids"]))
    total = raw.get("total", len(rows))
    out: dict = {"value": rows[0]["hops"] if rows else None}
    if total > PATH_CAP:
        rows = rows[:PATH_CAP]
        out.update(truncated=True, meta={"omitted": total - PATH_CAP, "paths": total})
    g = Graph()
    for r in rows:
        for n in r.pop("_nodes"):
            _add_node(g, n)
        for t, s, e in r.pop("_rels"):
            g.edge(s, t, e)
    out.update(rows=rows, graph=g)
    return out


def _path_prepare(p) -> None:
    p.cy["max_hops"] = p["max_hops"]


path = register(NamedQuery(
    name="path",
    doc="""The shortest paths between two entities of any kind (investors, companies, regions,
    segments, policies), through any relationship; at most 25 paths, by name.""",
    params=(Param("a", "entity", required=True, labels=(), help="first entity (name, alias or id)"),
            Param("b", "entity", required=True, labels=(), help="second entity"),
            Param("max_hops", "int", 4, help=f"longest path accepted (1-{MAX_HOPS})", lo=1, hi=MAX_HOPS)),
    columns=("hops", "path", "types"),
    value="length of the shortest path (null when none within max_hops)",
    statements=_path_statements,
    embedded=_path_embedded,
    shape=_path_shape,
    prepare=_path_prepare,
))


# ---------------------------------------------------------------------------- neighborhood
EXPAND = f"""
MATCH (n)-[x]-(m)
WHERE n.id IN $frontier
RETURN n.id AS from_id, type(x) AS type, startNode(x).id AS source, {NODE_MAP % (('m',) * 6)} AS node"""


def _expand_embedded(adj, frontier: list[str]) -> list[dict]:
    """Embedded twin of :data:`EXPAND`."""
    out = []
    for n in frontier:
        u = adj.pos[n]
        for t, v, start in adj.edges(u):
            out.append({"from_id": n, "type": t, "source": n if start else adj.ids[v], "node": adj.node(v)})
    return out


def _bfs(expand, center: dict, hops: int) -> dict:
    """Breadth-first: every node within ``hops`` with its distance, and the edges seen on the way."""
    dist = {center["id"]: 0}
    info = {center["id"]: center}
    edges = set()
    frontier = [center["id"]]
    for h in range(1, hops + 1):
        if not frontier:
            break
        nxt = []
        for r in expand(frontier):
            m = r["node"]["id"]
            src, dst = (r["from_id"], m) if r["source"] == r["from_id"] else (m, r["from_id"])
            edges.add((src, r["type"], dst))
            if m not in dist:
                dist[m] = h
                info[m] = r["node"]
                nxt.append(m)
        frontier = sorted(set(nxt))
    return {"dist": dist, "info": info, "edges": sorted(edges)}


def _hood_embedded(ix, p) -> dict:
    adj = _adjacency(ix, p.store)
    e = p.entities["entity"]
    u = adj.position(e.id)
    if u is None:
        return _bfs(lambda fr: [], {"id": e.id, "label": e.label, "name": e.name}, p["hops"])
    return _bfs(lambda fr: _expand_embedded(adj, fr), adj.node(u), p["hops"])


def _hood_statements(p) -> dict:
    label = p.entities["entity"].label
    assert label in LABEL_ORDER  # the label comes from the fixed vocabulary only
    return {"center": f"MATCH (n:{label} {{id: $entity}}) RETURN {NODE_MAP % (('n',) * 6)} AS node",
            "main": EXPAND}


def _hood_cypher(read, p, statements) -> dict:
    e = p.entities["entity"]
    center = {"id": e.id, "label": e.label, "name": e.name}
    rows = read(statements["center"], {"entity": e.id})
    if rows:
        center = rows[0]["node"]
    return _bfs(lambda fr: read(statements["main"], {"frontier": fr}), center, p["hops"])


def _hood_shape(raw, p) -> dict:
    dist, info = raw["dist"], raw["info"]
    center = p.entities["entity"].id
    others = sorted((n for n in dist if n != center),
                    key=lambda n: (dist[n], _ORDER.get(info[n].get("label"), 99), _display(info[n]), n))
    limit = p["limit"]
    kept = others[:limit]
    rows = [{"name": _display(info[n]), "label": info[n].get("label"), "hops": dist[n], "id": n} for n in kept]
    g = Graph()
    _add_node(g, info[center], hops=0)
    for n in kept:
        _add_node(g, info[n], hops=dist[n])
    for s, t, e in raw["edges"]:
        if s in g.nodes and e in g.nodes:
            g.edge(s, t, e)
    out = {"rows": rows, "value": len(others), "graph": g}
    if len(others) > limit:
        out.update(truncated=True, meta={"omitted": len(others) - limit})
    return out


neighborhood = register(NamedQuery(
    name="neighborhood",
    doc="""What lies within ``hops`` of an entity (any relationship, either direction), nearest
    first; at most ``limit`` nodes, ``meta.omitted`` says how many more there are.""",
    params=(Param("entity", "entity", required=True, labels=(), help="any entity (name, alias or id)"),
            Param("hops", "int", 1, help="how far to go (1-3)", lo=1, hi=3),
            Param("limit", "int", 50, help="nodes returned at most", lo=1, hi=5000)),
    columns=("name", "label", "hops"),
    value="number of nodes within hops (before the limit)",
    statements=_hood_statements,
    embedded=_hood_embedded,
    shape=_hood_shape,
    cypher_runner=_hood_cypher,
    prepare=lambda p: p.cy.update(frontier=[p.entities["entity"].id]),
))
