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

    from kg.index import _build_from_graph, build_index

    assert kg("load", "seed", workspace=workspace).returncode == 0
    assert kg("load", "deals", dev_deals_path, workspace=workspace).returncode == 0
    assert not list(workspace.rglob("*.pickle"))
    store = EmbeddedStore(workspace)
    fast = build_index(store)
    assert store._graph is None  # the tables were enough
    slow = _build_from_graph(store)
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
