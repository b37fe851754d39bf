"""kg.layout.grouped_layout lays out all its groups in one refinement (runs by iteration count):
what each group gets must not depend on the other groups being there, in kind (not in exact
positions), and the whole must stay deterministic."""
from __future__ import annotations

import networkx as nx
import numpy as np

from kg.layout import grouped_layout


def _mixed():
    """A 320-node group (50 iterations), two 40-node groups of two components each (100
    iterations), a ring-sized group of 5 and isolated nodes without a group."""
    nodes, edges, group = [], [], {}

    def add(G, name):
        for v in G:
            nodes.append(f"{name}{v}")
            group[f"{name}{v}"] = name
        edges.extend((f"{name}{a}", f"{name}{b}") for a, b in G.edges)

    add(nx.connected_watts_strogatz_graph(320, 4, 0.1, seed=1), "big")
    add(nx.disjoint_union(nx.cycle_graph(25), nx.path_graph(15)), "two")
    add(nx.disjoint_union(nx.star_graph(29), nx.complete_graph(10)), "hub")
    add(nx.path_graph(5), "ring")
    nodes += ["lone1", "lone2"]
    edges += [("big0", "two0"), ("hub0", "ring0")]          # between groups: move nothing
    return nodes, edges, group


def test_mixed_groups_deterministic_and_apart():
    nodes, edges, group = _mixed()
    pos = grouped_layout(nodes, edges, group, seed=3, scale=500, aspect=2.0)
    assert set(pos) == set(nodes)
    assert pos == grouped_layout(nodes, edges, group, seed=3, scale=500, aspect=2.0)
    assert pos != grouped_layout(nodes, edges, group, seed=4, scale=500, aspect=2.0)
    P = np.array([pos[v] for v in nodes])
    assert np.isfinite(P).all() and abs(float(np.abs(P).max()) - 500) < 1e-6
    g = np.array([group.get(v, "") for v in nodes])
    boxes = {k: (P[g == k].min(axis=0), P[g == k].max(axis=0)) for k in set(g)}
    for a in boxes:
        for b in boxes:
            if a < b:
                (lo1, hi1), (lo2, hi2) = boxes[a], boxes[b]
                assert (hi1 < lo2).any() or (hi2 < lo1).any(), (a, b)


def test_components_inside_a_group_do_not_overlap():
    nodes, edges, group = _mixed()
    pos = grouped_layout(nodes, edges, group, seed=1, scale=500)
    for name, k in (("two", 25), ("hub", 30)):
        a = np.array([pos[f"{name}{i}"] for i in range(k)])
        b = np.array([pos[f"{name}{i}"] for i in range(k, 40)])
        assert (a.max(axis=0) < b.min(axis=0)).any() or (b.max(axis=0) < a.min(axis=0)).any(), name


def test_each_group_spread_like_when_alone():
    """The big group's drawing has the same proportions with or without the other groups (its
    neighbours are about as far apart relative to its extent)."""
    nodes, edges, group = _mixed()

    def ratio(pos, keep):
        P = np.array([pos[v] for v in keep])
        ix = {v: i for i, v in enumerate(keep)}
        e = [(ix[a], ix[b]) for a, b in edges if a in ix and b in ix]
        d = np.linalg.norm(P[[a for a, _ in e]] - P[[b for _, b in e]], axis=1)
        return float(np.median(d)) / float(np.ptp(P, axis=0).max())

    big = [v for v in nodes if group.get(v) == "big"]
    together = ratio(grouped_layout(nodes, edges, group, seed=1), big)
    alone = ratio(grouped_layout(big, edges, {v: "big" for v in big}, seed=1), big)
    assert 0.5 < together / alone < 2.0
