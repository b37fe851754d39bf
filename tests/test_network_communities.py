"""The co-investment analysis (igraph's Louvain, PageRank and degrees on the edge arrays): the same
answer from the embedded arrays and from a Cypher backend's pair dicts, deterministic, one community
numbering for rows, nodes and meta, and PageRank equal to networkx's on the same graph."""
from __future__ import annotations

import networkx as nx
import pytest

from kg.index import graph_index
from kg.queries import run
from kg.queries.network import _analyse, _analysis_arrays, _edges_key, _projection, analyse, pairs_embedded


def _pairs(store):
    return pairs_embedded(graph_index(store), None)


def test_arrays_and_pair_dicts_give_the_same_analysis(dev_store_ro):
    ix = graph_index(dev_store_ro)
    row, col, w = _projection(ix, None)
    from_arrays = _analysis_arrays(ix, row, col, w)
    _analyse.cache_clear()
    pairs = _pairs(dev_store_ro)
    from_dicts = analyse(list(reversed(pairs)))  # the order the pairs come in does not matter
    for k in ("comms", "cent", "centrality", "communities", "inner", "comm_of", "investors"):
        assert from_arrays[k] == from_dicts[k], k
    assert from_arrays["investors"] == len({p["a_id"] for p in pairs} | {p["b_id"] for p in pairs})


def test_communities_are_deterministic_and_numbered_largest_first(dev_store_ro):
    pairs = _pairs(dev_store_ro)
    _analyse.cache_clear()
    first = analyse(pairs)
    _analyse.cache_clear()
    again = analyse(pairs)
    assert first["comms"] == again["comms"] and first["cent"] == again["cent"]
    sizes = [len(c) for c in first["comms"]]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) > 1
    for k, members in enumerate(first["comms"]):
        assert all(first["cent"][n]["community"] == k == first["comm_of"][n] for n in members)


def test_the_query_uses_one_numbering_for_nodes_and_meta(dev_store_ro):
    res = run(dev_store_ro, "coinvest_network")
    by_name = {m: c["community"] for c in res.meta["communities"] for m in c["members"]}
    for n in res.graph["nodes"]:
        assert n["community"] == by_name[n["name"]]
    cent = {c["investor_id"]: c["community"] for c in res.meta["centrality"]}
    assert all(cent[n["id"]] == n["community"] for n in res.graph["nodes"])


def test_degrees_and_pagerank_match_networkx(dev_store_ro):
    pairs = _pairs(dev_store_ro)
    a = analyse(pairs)
    G = nx.Graph()
    G.add_weighted_edges_from((p["a_id"], p["b_id"], p["weight"]) for p in pairs)
    pr = nx.pagerank(G, weight="weight")
    for n, c in a["cent"].items():
        assert c["degree"] == G.degree(n)
        assert c["weighted_degree"] == G.degree(n, weight="weight")
        assert c["pagerank"] == pytest.approx(pr[n], abs=2e-6)


def test_louvain_finds_planted_communities():
    # two cliques of five joined by one light edge: two communities, whatever the seed
    pairs = []
    for grp in ("a", "b"):
        ids = [f"{grp}{i}" for i in range(5)]
        pairs += [{"a_id": x, "a": x, "b_id": y, "b": y, "weight": 3} for i, x in enumerate(ids) for y in ids[i + 1:]]
    pairs.append({"a_id": "a0", "a": "a0", "b_id": "b0", "b": "b0", "weight": 1})
    got = analyse(pairs)
    assert sorted(map(sorted, got["comms"])) == [[f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)]]
    assert got["inner"] == {0: 30, 1: 30}
    assert _edges_key(pairs) == tuple(sorted(_edges_key(pairs)))


def test_an_empty_network_has_no_communities():
    got = analyse([])
    assert got["comms"] == [] and got["investors"] == 0 and got["centrality"] == []


def _meta(res) -> dict:
    return {k: v for k, v in res.meta.items() if k != "took_ms"}


def _write_deals(path, rows) -> None:
    head = "date,company,round,amount,investors,lead_investors,segment,province,city\n"
    path.write_text(head + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def test_a_write_that_leaves_the_network_as_it_was_keeps_its_communities(dev_store, dev_workspace, tmp_path):
    """The analysis is kept on the network's content: a new store version whose co-investment
    network is unchanged (a round with one investor) reuses it; a new co-investment pair makes a new
    one, equal to the analysis computed from nothing."""
    from kg.loading import load_deals
    from kg.queries.network import forget_analyses

    forget_analyses()
    first = run(dev_store, "coinvest_network")
    kept = graph_index(dev_store)._memo.get(("analysis", ("all", 1)))
    assert kept is not None
    v = dev_store.version

    one = tmp_path / "one.csv"
    _write_deals(one, [("2020-05-01", "独投测试科技", "A轮", "0.5亿元", "深创投", "深创投", "平台", "北京", "北京")])
    assert load_deals(dev_store, one, dev_workspace).exit_code == 0
    assert dev_store.version != v
    again = run(dev_store, "coinvest_network")
    ix = graph_index(dev_store)
    assert ix._memo.get(("analysis", ("all", 1))) is kept  # no Louvain: the same network
    assert _meta(again) == _meta(first) and again.rows == first.rows

    pair = tmp_path / "pair.csv"
    _write_deals(pair, [("2020-06-01", "合投测试科技", "B轮", "1亿元", "深创投、某新基金", "深创投", "平台", "北京", "北京")])
    assert load_deals(dev_store, pair, dev_workspace).exit_code == 0
    changed = run(dev_store, "coinvest_network")
    now = graph_index(dev_store)._memo.get(("analysis", ("all", 1)))
    assert now is not kept and changed.value == first.value + 1
    assert any("某新基金" in (r["a"], r["b"]) for r in changed.rows) or changed.value > len(changed.rows)
    forget_analyses()
    from_nothing = run(dev_store, "coinvest_network")
    assert _meta(from_nothing) == _meta(changed) and from_nothing.rows == changed.rows


def test_an_investor_renamed_is_a_new_network(dev_store_ro):
    """Names are part of the content (they order the communities and are shown): the same edges
    over an index whose investor has another name give another analysis."""
    import dataclasses

    from kg.queries.network import forget_analyses

    ix = graph_index(dev_store_ro)
    row, col, w = _projection(ix, None)
    forget_analyses()
    a = _analysis_arrays(ix, row, col, w)
    assert _analysis_arrays(ix, row, col, w) is a
    k = int(row[0])
    renamed = list(ix.inv_names)
    renamed[k] += "（改名）"
    other = dataclasses.replace(ix, inv_names=renamed, _memo={})
    b = _analysis_arrays(other, row, col, w)
    assert b is not a and ix.inv_names[k] + "（改名）" in b["names"].values()
    assert _analysis_arrays(ix, row, col, w) is a
