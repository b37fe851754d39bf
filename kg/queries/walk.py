"""Walking the whole graph without networkx: every relationship as one compressed adjacency.

Built once per store version from the read interface (:class:`kg.store.GraphReader`: ``entities``
and ``relationships`` of every label and type ``stats`` names) and kept in the query index's memo.
Each node has a position; ``nbr[ptr[u]:ptr[u + 1]]`` are the positions of its neighbours in either
direction, ``typ`` the relationship type (an index into ``types``) and ``out`` whether ``u`` is
its start. The path finder's breadth-first search grows whole layers with numpy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kg.store.reading import column_values

__all__ = ["Adjacency", "adjacency", "shortest_paths"]

_FIELDS = ("name", "title", "label", "date")  # what a path or a neighbourhood shows of a node


@dataclass
class Adjacency:
    ids: list[str]
    labels: list[str]
    id_array: pa.Array        # the ids as Arrow strings (for lookups without building a dict)
    ptr: np.ndarray           # int64, len(ids) + 1
    nbr: np.ndarray           # int64 neighbour positions
    typ: np.ndarray           # int16 relationship type codes
    out: np.ndarray           # bool: the relationship starts at the row's node
    types: list[str]
    fields: dict[str, list] = field(default_factory=dict)  # _FIELDS -> one value per node

    def position(self, key: str) -> int | None:
        """The position of node ``key`` (None when there is none)."""
        return self.pos.get(key)

    @property
    def pos(self) -> dict[str, int]:
        """id -> position for every node (built the first time a walk asks)."""
        pos = self.__dict__.get("_pos")
        if pos is None:
            pos = self.__dict__["_pos"] = {x: i for i, x in enumerate(self.ids)}
        return pos

    def node(self, u: int) -> dict:
        """The fields a path shows (the Cypher statements' node map: id, label, name, title, round, date)."""
        f = self.fields
        return {"id": self.ids[u], "label": self.labels[u], "name": f["name"][u], "title": f["title"][u],
                "round": f["label"][u], "date": f["date"][u]}

    def edges(self, u: int) -> list[tuple[str, int, bool]]:
        """``(type, neighbour, u is the start)`` of every relationship at ``u``."""
        lo, hi = self.ptr[u], self.ptr[u + 1]
        return [(self.types[t], v, o) for t, v, o in
                zip(self.typ[lo:hi].tolist(), self.nbr[lo:hi].tolist(), self.out[lo:hi].tolist())]

    def between(self, u: int, v: int) -> list[tuple[str, bool]]:
        """``(type, u is the start)`` of every relationship between ``u`` and ``v``."""
        lo = self.ptr[u]
        hit = np.flatnonzero(self.nbr[lo:self.ptr[u + 1]] == v) + lo
        return [(self.types[t], o) for t, o in zip(self.typ[hit].tolist(), self.out[hit].tolist())]

    def degree(self) -> np.ndarray:
        deg = self.__dict__.get("_degree")
        if deg is None:
            deg = self.__dict__["_degree"] = np.diff(self.ptr)
        return deg


def adjacency(store) -> Adjacency:
    """The adjacency of ``store`` as it is now (build it through the query index's memo to keep it)."""
    stats = store.stats()
    ids: list[str] = []
    labels: list[str] = []
    fields: dict[str, list] = {k: [] for k in _FIELDS}
    id_parts = []
    for label in stats["nodes"]:
        t = store.entities(label)
        col = t.column("id").combine_chunks() if t.num_rows else pa.array([], pa.string())
        id_parts.append(col)
        ids += col.to_pylist()
        labels += [label] * t.num_rows
        for k in _FIELDS:
            fields[k] += column_values(t, k)
    all_ids = pa.concat_arrays(id_parts) if id_parts else pa.array([], pa.string())
    n = len(ids)
    types = list(stats["relationships"])
    tables = [(code, store.relationships(t)) for code, t in enumerate(types)]
    tables = [(code, t) for code, t in tables if t.num_rows]
    # every end of every type looked up in one pass (one hash table of the ids, not one per type)
    ends = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
            for _, t in tables for c in (t.column("_start"), t.column("_end"))]
    at = pc.index_in(pa.concat_arrays(ends), value_set=all_ids) if ends else pa.array([], pa.int32())
    at = at.fill_null(-1).to_numpy().astype(np.int64)
    src, dst, typ, out = [], [], [], []
    k = 0
    for code, t in tables:
        m = t.num_rows
        s, e = at[k:k + m], at[k + m:k + 2 * m]
        k += 2 * m
        ok = (s >= 0) & (e >= 0)
        s, e = s[ok], e[ok]
        c = np.full(len(s), code, dtype=np.int16)
        src += [s, e]
        dst += [e, s]
        typ += [c, c]
        out += [np.ones(len(s), bool), np.zeros(len(s), bool)]
    if src:
        src_a, dst_a, typ_a, out_a = (np.concatenate(x) for x in (src, dst, typ, out))
    else:
        src_a = dst_a = np.zeros(0, np.int64)
        typ_a, out_a = np.zeros(0, np.int16), np.zeros(0, bool)
    order = np.argsort(src_a, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src_a, minlength=n), out=ptr[1:])
    return Adjacency(ids, labels, all_ids, ptr, dst_a[order], typ_a[order], out_a[order], types, fields)


def _expand(adj: Adjacency, front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(neighbour, parent) for every relationship at the nodes of ``front``."""
    counts = adj.ptr[front + 1] - adj.ptr[front]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    idx = np.arange(total, dtype=np.int64) + np.repeat(adj.ptr[front] - (ends - counts), counts)
    return adj.nbr[idx], np.repeat(front, counts)


def shortest_paths(adj: Adjacency, a: int, b: int, max_hops: int) -> list[list[int]]:
    """All shortest undirected node paths (positions) from ``a`` to ``b`` of at most ``max_hops`` hops.

    Bidirectional breadth-first search, always growing the side whose frontier has fewer
    relationships to follow, so hubs (a country, a busy province) are crossed last, if at all.
    """
    if a == b:
        return [[a]]
    n = len(adj.ids)
    deg = adj.degree()
    depth_of = (np.full(n, -1, np.int32), np.full(n, -1, np.int32))
    depth_of[0][a] = 0
    depth_of[1][b] = 0
    layers: tuple[list, list] = ([], [])  # per side and depth d: (child, parent) pairs reaching depth d + 1
    front = [np.array([a], np.int64), np.array([b], np.int64)]
    depth = [0, 0]
    while len(front[0]) and len(front[1]) and depth[0] + depth[1] < max_hops:
        cost = [int(deg[f].sum()) for f in front]
        side = 0 if cost[0] <= cost[1] else 1
        mine, other = depth_of[side], depth_of[1 - side]
        child, parent = _expand(adj, front[side])
        keep = mine[child] < 0
        child, parent = child[keep], parent[keep]
        depth[side] += 1
        mine[child] = depth[side]
        new = np.flatnonzero(mine == depth[side])  # the layer, each node once, in position order
        layers[side].append((child, parent))      # a pair may repeat (two relationships): _paths keeps one
        front[side] = new
        meet = new[other[new] >= 0]
        if len(meet):
            best = other[meet].min()
            meet = meet[other[meet] == best]
            heads = _paths(layers[0], depth_of[0], meet)
            tails = _paths(layers[1], depth_of[1], meet)
            return [h + t[::-1][1:] for v in meet.tolist() for h in heads[v] for t in tails[v]]
    return []


def _paths(layers: list, depth_of: np.ndarray, targets: np.ndarray) -> dict[int, list[list[int]]]:
    """Every path from the side's root to each of ``targets`` (root first), through its parent layers."""
    parents: dict[int, list[int]] = {}
    need = np.unique(targets)
    d = int(depth_of[need[0]]) if len(need) else 0
    while d > 0:
        child, parent = layers[d - 1]
        sel = np.isin(child, need)
        for c, p in zip(child[sel].tolist(), parent[sel].tolist()):
            ps = parents.setdefault(c, [])
            if p not in ps:
                ps.append(p)
        need = np.unique(parent[sel])
        d -= 1
    memo: dict[int, list[list[int]]] = {}

    def walk(v: int) -> list[list[int]]:
        hit = memo.get(v)
        if hit is None:
            ps = parents.get(v)
            hit = memo[v] = [[v]] if not ps else [[*head, v] for p in ps for head in walk(p)]
        return hit

    return {v: walk(v) for v in targets.tolist()}
