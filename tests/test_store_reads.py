"""What the embedded store keeps so that reads after a load start fast: the counts of nodes and
relationships in the manifest, and a query index built straight from the columnar tables."""
from __future__ import annotations

import json

from kg.store.embedded import SNAPSHOT, EmbeddedStore


def _walk(store: EmbeddedStore) -> dict:
    return store._count()


def test_counts_follow_every_load_and_reopen(workspace, dev_deals_path):
    from kg.loading import load_deals, load_seed

    store = EmbeddedStore(workspace)
    assert store.stats() == {"nodes": {}, "relationships": {}}
    load_seed(store)
    assert store.stats() == _walk(store)
    load_deals(store, dev_deals_path, workspace)
    after = store.stats()
    assert after == _walk(store) and after["nodes"]["Round"] > 16
    load_deals(store, dev_deals_path, workspace)  # again: nothing new
    assert store.stats() == after
    reopened = EmbeddedStore(workspace)
    assert reopened._stats is not None  # read from the manifest, not counted again
    assert reopened.stats() == after == _walk(reopened)
    # the caller's copy is its own
    reopened.stats()["nodes"]["Round"] = -1
    assert reopened.stats() == after


def test_a_manifest_without_counts_is_counted(workspace, dev_deals_path):
    from kg.loading import load_deals

    store = EmbeddedStore(workspace)
    load_deals(store, dev_deals_path, workspace)
    expect = store.stats()
    path = workspace / SNAPSHOT
    state = json.loads(path.read_text("utf-8"))
    del state["stats"]
    path.write_text(json.dumps(state), "utf-8")
    old = EmbeddedStore(workspace)
    assert old._stats is None
    assert old.stats() == expect


def test_a_failed_write_leaves_the_counts_as_the_disk_is(workspace, dev_deals_path):
    from kg.errors import WorkspaceError
    from kg.loading import load_deals
    from kg.model import Batch

    store = EmbeddedStore(workspace)
    load_deals(store, dev_deals_path, workspace)
    expect = store.stats()
    bad = Batch()
    bad.node("Company", "company:新公司", "test")
    bad.rel("RAISED", "company:新公司", "round:nowhere", "test")
    try:
        store.apply(bad)
    except WorkspaceError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a relationship to a missing node was written")
    assert store.stats() == expect == _walk(store)


def test_clear_resets_the_counts(workspace, dev_deals_path):
    from kg.loading import load_deals

    store = EmbeddedStore(workspace)
    load_deals(store, dev_deals_path, workspace)
    store.clear()
    assert store.stats() == {"nodes": {}, "relationships": {}} == EmbeddedStore(workspace).stats()


def test_the_query_index_from_the_tables_equals_the_one_from_the_graph(workspace, dev_deals_path, kg):
    """No index file (it was a pickle): a reader builds the index from the tables, and it is the
    index the networkx walk gives, field by field."""
    import numpy as np

    from kg.index import build_index

    assert kg("load", "seed", workspace=workspace).returncode == 0
    assert kg("load", "deals", dev_deals_path, workspace=workspace).returncode == 0
    assert not list(workspace.rglob("*.pickle"))
    store = EmbeddedStore(workspace)
    fast = build_index(store)
    assert store._graph is None  # the tables were enough
    slow = _index_from_graph(store)
    for f in ("inv_ids", "inv_names", "co_ids", "co_names", "co_segments", "co_regions", "co_provinces",
              "co_cities", "seg_names", "r_ids", "r_labels", "inv_pos", "co_pos", "r_pos"):
        assert getattr(fast, f) == getattr(slow, f), f
    for f in ("r_id_arr", "r_type", "r_date", "r_year", "r_company", "p_inv", "p_round", "p_lead", "inv_ptr",
              "rp_order", "rp_ptr", "co_round_order", "co_ptr"):
        assert np.array_equal(getattr(fast, f), getattr(slow, f)), f
    assert np.array_equal(fast.r_amount, slow.r_amount, equal_nan=True)
    assert list(fast.r_props) == list(slow.r_props) and fast.r_props[3] == slow.r_props[3]


def test_the_server_warms_index_catalogue_and_chat_in_the_background(dev_workspace):
    from kg.chat.nlu import _CACHE as NLU_CACHE
    from kg.config import Config
    from kg.index import _CACHE as INDEX_CACHE
    from kg.queries.resolve import _CACHE as CATALOG_CACHE
    from web import create_app

    app = create_app(Config(workspace=str(dev_workspace)))
    state = app.extensions["iikg"]
    warm = state.warm()
    with app.test_client() as c:
        assert c.get("/").status_code == 200  # the first page first; the chat's parts are built after it
        assert state.served.is_set()
        warm.join(timeout=120)
        assert not warm.is_alive()
        store = state.store
        assert store in INDEX_CACHE and store in CATALOG_CACHE and store in NLU_CACHE
        # and the first question is answered from what was built
        r = c.get("/api/ask?q=%E6%B7%B1%E5%88%9B%E6%8A%95%E6%8A%95%E4%BA%86%E5%93%AA%E4%BA%9B%E5%85%AC%E5%8F%B8")
        assert r.status_code == 200 and r.get_json()["entities"]


def _index_from_graph(store):
    """The reference: the same index read from the networkx graph (``store.graph``, a test may build it)
    through its adjacency dicts, as the product built it before the read interface."""
    import numpy as np

    from kg.index import GraphIndex, _finish, node_name
    G = store.graph
    ix = GraphIndex(version=store.version)
    nodes, succ = G._node, G._succ
    for n in store.nodes_by_label("Investor"):
        ix.inv_pos[n] = len(ix.inv_ids)
        ix.inv_ids.append(n)
        ix.inv_names.append(node_name(nodes[n]))
    for n in store.nodes_by_label("Segment"):
        ix.seg_names[n] = node_name(nodes[n])
    raised_by: dict[str, int] = {}  # round -> the first company (in index order) that RAISED it
    region_kind: dict[str, tuple] = {}  # region id -> (level, name)
    for n in store.nodes_by_label("Company"):
        c = ix.co_pos[n] = len(ix.co_ids)
        ix.co_ids.append(n)
        ix.co_names.append(node_name(nodes[n]))
        segs, regs, provs, cities = [], set(), [], []
        for t, keys in succ[n].items():
            if "RAISED" in keys and t not in raised_by:
                raised_by[t] = c
            if "IN_SEGMENT" in keys:
                segs.append(t)
            if "LOCATED_IN" in keys:
                regs.add(t)
                kind = region_kind.get(t)
                if kind is None:
                    kind = region_kind[t] = (nodes[t].get("level"), node_name(nodes[t]))
                if kind[0] == "province":
                    provs.append(kind[1])
                elif kind[0] == "city":
                    cities.append(kind[1])
        ix.co_segments.append(tuple(sorted(segs)))
        ix.co_regions.append(frozenset(regs))
        ix.co_provinces.append(tuple(sorted(provs)))
        ix.co_cities.append(tuple(sorted(cities)))
    rounds = store.nodes_by_label("Round")
    types, dates, years, amounts, comps = [], [], [], [], []
    for n in rounds:
        d = nodes[n]
        ix.r_pos[n] = len(ix.r_ids)
        ix.r_ids.append(n)
        ix.r_labels.append(d.get("label"))
        ix.r_props.append(d)
        types.append(d.get("type") or "")
        dates.append(d.get("date") or "")
        y = d.get("year")
        years.append(int(y) if isinstance(y, (int, float)) and not isinstance(y, bool) else -1)
        a = d.get("amount_cny")
        amounts.append(float(a) if isinstance(a, (int, float)) and not isinstance(a, bool) else np.nan)
        comps.append(raised_by.get(n, -1))
    ix.r_type = np.array(types, dtype=str) if types else np.array([], dtype="U1")
    ix.r_date = np.array(dates, dtype=str) if dates else np.array([], dtype="U1")
    ix.r_id_arr = np.array(ix.r_ids, dtype=str) if ix.r_ids else np.array([], dtype="U1")
    ix.r_year = np.array(years, dtype=np.int64)
    ix.r_amount = np.array(amounts, dtype=np.float64)
    ix.r_company = np.array(comps, dtype=np.int64)
    pi, pr, pl = [], [], []
    r_pos = ix.r_pos
    for inv, i in ix.inv_pos.items():
        for t, keys in succ[inv].items():
            d = keys.get("INVESTED_IN")
            if d is not None and t in r_pos:
                pi.append(i)
                pr.append(r_pos[t])
                pl.append(bool(d.get("lead")))
    p_inv = np.array(pi, dtype=np.int64)
    p_round = np.array(pr, dtype=np.int64)
    order = np.lexsort((p_round, p_inv)) if len(p_inv) else np.array([], dtype=np.int64)
    ix.p_inv, ix.p_round, ix.p_lead = p_inv[order], p_round[order], np.array(pl, dtype=bool)[order]
    _finish(ix)
    return ix
