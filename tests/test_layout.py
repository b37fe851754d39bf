"""kg.layout: the server-side graph layout of big views (speed is measured by `kg bench`, not here)."""
from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import pytest

from kg.layout import layout


def _arr(pos, ids):
    return np.array([pos[i] for i in ids], dtype=float)


def _stars(k: int = 8, leaves: int = 30):
    """``k`` hubs in a ring, each with its own leaves; returns (nodes, edges, hub of each node)."""
    nodes, edges, hub = [], [], {}
    for h in range(k):
        nodes.append(f"h{h}")
        hub[f"h{h}"] = f"h{h}"
        edges.append((f"h{h}", f"h{(h + 1) % k}"))
        for i in range(leaves):
            nodes.append(f"l{h}.{i}")
            hub[f"l{h}.{i}"] = f"h{h}"
            edges.append((f"h{h}", f"l{h}.{i}"))
    return nodes, edges, hub


def _communities(n_groups: int = 6, size: int = 60, p_in: float = 0.15, p_out: float = 0.004, seed: int = 3):
    G = nx.random_partition_graph([size] * n_groups, p_in, p_out, seed=seed)
    nodes = [f"n{v}" for v in G]
    edges = [(f"n{a}", f"n{b}") for a, b in G.edges]
    group = {f"n{v}": G.nodes[v]["block"] for v in G}
    return nodes, edges, group


# ------------------------------------------------------------------------------ basics
def test_empty_single_and_self_loop():
    assert layout([], [], seed=1) == {}
    assert layout([], [("a", "b")], seed=1) == {}
    assert layout(["a"], [], seed=1) == {"a": (0.0, 0.0)}
    assert layout(["a"], [("a", "a")], seed=1, scale=50) == {"a": (0.0, 0.0)}


def test_loops_duplicates_and_strangers_are_ignored():
    plain = layout(["a", "b", "c"], [("a", "b"), ("b", "c")], seed=4)
    messy = layout(["a", "b", "c", "a"],
                   [("a", "b"), ("b", "a"), ("a", "b"), ("c", "c"), ("b", "c", {"w": 2}), ("a", "zzz"), ("y", "z")],
                   seed=4)
    assert messy == plain
    assert list(messy) == ["a", "b", "c"]


def test_two_nodes_and_any_hashable_ids():
    pos = layout([1, 2], [(1, 2)], seed=1, scale=10)
    (x1, y1), (x2, y2) = pos[1], pos[2]
    assert math.isclose(max(abs(x1), abs(y1), abs(x2), abs(y2)), 10)
    assert math.dist((x1, y1), (x2, y2)) > 5


@pytest.mark.parametrize("n", [3, 40, 400])
def test_deterministic_for_a_seed(n):
    rnd = random.Random(n)
    nodes = [f"v{i}" for i in range(n)]
    edges = [(f"v{i}", f"v{rnd.randrange(i)}") for i in range(1, n)] + \
            [(rnd.choice(nodes), rnd.choice(nodes)) for _ in range(n // 2)]
    a = layout(nodes, edges, seed=7)
    b = layout(list(nodes), list(edges), seed=7)
    assert a == b
    assert layout(nodes, edges, seed=8) != a


@pytest.mark.parametrize("scale", [1.0, 45.0, 1234.5])
def test_every_node_finite_and_within_scale(scale):
    nodes, edges, _ = _stars(6, 25)
    nodes += [f"lonely{i}" for i in range(7)]
    edges += [("p1", "p2"), ("q1", "q2"), ("q2", "q3")]
    nodes += ["p1", "p2", "q1", "q2", "q3"]
    pos = layout(nodes, edges, seed=1, scale=scale)
    assert set(pos) == set(nodes)
    P = _arr(pos, nodes)
    assert np.isfinite(P).all()
    assert np.abs(P).max() <= scale * (1 + 1e-9)
    assert math.isclose(np.abs(P).max(), scale)
    assert all(isinstance(c, float) for xy in pos.values() for c in xy)


# ------------------------------------------------------------------------------ quality
def test_disjoint_cliques_end_up_apart():
    a = [f"a{i}" for i in range(12)]
    b = [f"b{i}" for i in range(12)]
    edges = [(u, v) for grp in (a, b) for i, u in enumerate(grp) for v in grp[i + 1:]]
    pos = layout(a + b, edges, seed=1)
    A, B = _arr(pos, a), _arr(pos, b)
    # bounding boxes do not overlap, and the gap is wider than a clique's own spread
    separated_x = A[:, 0].max() < B[:, 0].min() or B[:, 0].max() < A[:, 0].min()
    separated_y = A[:, 1].max() < B[:, 1].min() or B[:, 1].max() < A[:, 1].min()
    assert separated_x or separated_y
    gap = np.linalg.norm(A[:, None] - B[None], axis=2).min()
    spread = max(np.linalg.norm(A - A.mean(0), axis=1).mean(), np.linalg.norm(B - B.mean(0), axis=1).mean())
    assert gap > 0.5 * spread


def test_neighbours_closer_than_non_neighbours():
    nodes, edges, _ = _communities()
    pos = layout(nodes, edges, seed=1)
    P = _arr(pos, nodes)
    idx = {v: i for i, v in enumerate(nodes)}
    e = np.array([(idx[a], idx[b]) for a, b in edges])
    edge_len = np.linalg.norm(P[e[:, 0]] - P[e[:, 1]], axis=1).mean()
    rng = np.random.default_rng(0)
    r = rng.integers(0, len(nodes), (5000, 2))
    r = r[r[:, 0] != r[:, 1]]
    assert edge_len < 0.6 * np.linalg.norm(P[r[:, 0]] - P[r[:, 1]], axis=1).mean()


def test_communities_stay_together():
    nodes, edges, group = _communities()
    pos = layout(nodes, edges, seed=2)
    P = _arr(pos, nodes)
    g = np.array([group[v] for v in nodes])
    centres = np.array([P[g == k].mean(axis=0) for k in range(g.max() + 1)])
    nearest = np.linalg.norm(P[:, None] - centres[None], axis=2).argmin(axis=1)
    assert (nearest == g).mean() > 0.8


def test_leaves_stay_with_their_hub_and_do_not_pile_up():
    nodes, edges, hub = _stars(10, 40)
    pos = layout(nodes, edges, seed=1)
    hubs = [f"h{h}" for h in range(10)]
    H = _arr(pos, hubs)
    leaves = [v for v in nodes if v not in hubs]
    L = _arr(pos, leaves)
    nearest_hub = np.array(hubs)[np.linalg.norm(L[:, None] - H[None], axis=2).argmin(axis=1)]
    assert (nearest_hub == np.array([hub[v] for v in leaves])).mean() > 0.95
    # no pile-ups: nearest neighbours are a fair share of the spacing a uniform spread would give
    P = _arr(pos, nodes)
    d = np.linalg.norm(P[:, None] - P[None], axis=2)
    np.fill_diagonal(d, np.inf)
    uniform = math.sqrt(np.ptp(P[:, 0]) * np.ptp(P[:, 1]) / len(P))
    assert np.median(d.min(axis=1)) > 0.2 * uniform
    assert d.min() > 1e-3


def test_small_components_and_isolated_nodes_are_packed_not_flung():
    nodes, edges, _ = _communities(n_groups=4, size=80, p_out=0.01)
    big = list(nodes)
    lonely = [f"lonely{i}" for i in range(40)]
    pairs = [(f"p{i}a", f"p{i}b") for i in range(15)]
    nodes = big + lonely + [v for p in pairs for v in p]
    pos = layout(nodes, edges + pairs, seed=1)
    P = _arr(pos, nodes)
    B = _arr(pos, big)
    # the big component gets most of the room: small ones sit beside it, not in the far corners
    # with the big one squeezed in the middle
    assert np.ptp(B[:, 0]) > 1.0 and np.ptp(B[:, 1]) > 1.0       # of the 2 × 2 square
    # nothing coincides
    d = np.linalg.norm(P[:, None] - P[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert d.min() > 0.01
    # no isolated node or pair lies inside the big component's bounding box
    lo, hi = B.min(axis=0), B.max(axis=0)
    S = _arr(pos, nodes[len(big):])
    assert not ((S > lo) & (S < hi)).all(axis=1).any()
    # pairs stay pairs: each node's nearest neighbour is its partner
    for a, b in pairs:
        others = [v for v in nodes if v not in (a, b)]
        assert math.dist(pos[a], pos[b]) < np.linalg.norm(_arr(pos, others) - pos[a], axis=1).min()


def test_only_isolated_nodes():
    nodes = [f"x{i}" for i in range(30)]
    pos = layout(nodes, [], seed=1, scale=5)
    P = _arr(pos, nodes)
    assert np.isfinite(P).all() and np.abs(P).max() <= 5 + 1e-9
    d = np.linalg.norm(P[:, None] - P[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert d.min() > 0.1
    # a grid-like block, not a line
    assert np.ptp(P[:, 1]) > 0.3 * np.ptp(P[:, 0])


def test_bigger_graph_with_mesh_repulsion():
    # over MESH_MIN and over 300 nodes: the long-range repulsion and the 50-iteration schedule
    rnd = random.Random(5)
    n = 900
    nodes = [f"v{i}" for i in range(n)]
    edges = [(f"v{i}", f"v{rnd.randrange(max(0, i - 30), i)}") for i in range(1, n)]
    edges += [(f"v{rnd.randrange(n)}", f"v{rnd.randrange(n)}") for _ in range(300)]
    pos = layout(nodes, edges, seed=3, scale=100)
    P = _arr(pos, nodes)
    assert np.isfinite(P).all() and np.abs(P).max() <= 100 + 1e-9
    assert layout(nodes, edges, seed=3, scale=100) == pos


# ------------------------------------------------------------------------------ callers
def test_exporters_use_it_with_their_scales():
    from kg.exports import drawing, html
    from kg.exports.base import Payload

    nodes, edges, _ = _stars(4, 10)
    p = Payload(nodes=[{"id": v, "label": "Company", "caption": v, "props": {}} for v in nodes],
                edges=[{"source": a, "target": b, "type": "X", "props": {}} for a, b in edges])
    d = drawing._layout(p)
    assert set(d) == set(nodes) and math.isclose(max(abs(c) for xy in d.values() for c in xy), 1.0)
    h = html._layout(p)
    assert math.isclose(max(abs(c) for xy in h.values() for c in xy), 60 * math.sqrt(len(nodes)))
    assert drawing._layout(Payload(nodes=[], edges=[])) == {}


# ------------------------------------------------------------------------------ grouped by community
def test_grouped_layout_draws_each_community_as_one_patch():
    from kg.layout import grouped_layout

    nodes, edges, group = _communities(n_groups=6, size=40, p_in=0.2, p_out=0.01)
    pos = grouped_layout(nodes, edges, group, seed=2, scale=100)
    assert set(pos) == set(nodes)
    assert pos == grouped_layout(nodes, edges, group, seed=2, scale=100)          # deterministic
    P = _arr(pos, nodes)
    assert math.isclose(float(np.abs(P).max()), 100)
    g = np.array([group[v] for v in nodes])
    cent = {k: P[g == k].mean(axis=0) for k in set(g)}
    # every node is nearer its own community's centre than any other community's
    near = [min(cent, key=lambda k: float(((P[i] - cent[k]) ** 2).sum())) == g[i] for i in range(len(nodes))]
    assert all(near)
    # the patches do not overlap: bounding boxes of different communities are disjoint
    boxes = {k: (P[g == k].min(axis=0), P[g == k].max(axis=0)) for k in set(g)}
    for a in boxes:
        for b in boxes:
            if a < b:
                (lo1, hi1), (lo2, hi2) = boxes[a], boxes[b]
                assert (hi1 < lo2).any() or (hi2 < lo1).any()


def test_grouped_layout_unknown_group_and_wide_aspect():
    from kg.layout import grouped_layout

    pos = grouped_layout(["a", "b", "c", "d"], [("a", "b"), ("c", "d")], {"a": 0, "b": 0}, aspect=3.0)
    assert set(pos) == {"a", "b", "c", "d"}
    assert grouped_layout([], [], {}) == {}
    nodes, edges, group = _communities(n_groups=8, size=20)
    P = _arr(grouped_layout(nodes, edges, group, aspect=2.0), nodes)
    w, h = np.ptp(P, axis=0)
    assert w > h
