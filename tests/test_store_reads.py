"""What the embedded store keeps so that reads after a load start fast: the counts of nodes and
relationships in the snapshot, and the query index built by the loading commands."""
from __future__ import annotations

import pickle

from kg.index import INDEX_FILE
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
    assert reopened._stats is not None  # read from the snapshot, not counted again
    assert reopened.stats() == after == _walk(reopened)
    # the caller's copy is its own
    reopened.stats()["nodes"]["Round"] = -1
    assert reopened.stats() == after


def test_a_snapshot_without_counts_is_counted(workspace, dev_deals_path):
    from kg.loading import load_deals

    store = EmbeddedStore(workspace)
    load_deals(store, dev_deals_path, workspace)
    expect = store.stats()
    path = workspace / SNAPSHOT
    state = pickle.loads(path.read_bytes())
    del state["stats"]  # as written before the counts were kept
    path.write_bytes(pickle.dumps(state))
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


def test_loading_commands_leave_the_query_index_beside_the_snapshot(workspace, dev_deals_path, kg):
    assert kg("load", "seed", workspace=workspace).returncode == 0
    index = workspace / INDEX_FILE
    assert index.exists()
    seeded = index.stat().st_mtime_ns
    assert kg("load", "deals", dev_deals_path, workspace=workspace).returncode == 0
    assert index.stat().st_mtime_ns > seeded
    # the saved index is the one for this snapshot: a fresh process reads it instead of building one
    from kg.index import _load_saved, build_index

    store = EmbeddedStore(workspace)
    saved = _load_saved(store)
    assert saved is not None
    built = build_index(store)
    assert saved.r_ids == built.r_ids and saved.inv_ids == built.inv_ids and saved.co_ids == built.co_ids
    # a load that loads nothing leaves it alone
    bad = workspace / "bad.csv"
    bad.write_text("date,company,round\n", encoding="utf-8")
    kg("load", "deals", bad, workspace=workspace)
    assert _load_saved(EmbeddedStore(workspace)) is not None


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
