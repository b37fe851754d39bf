"""A seeded workspace with `kg demo` deals, for the tests of pages and exports on synthetic data."""
from __future__ import annotations


def demo_workspace(tmp_path_factory, deals: int, name: str = "demo"):
    """(workspace path, its EmbeddedStore) holding the report's seed and ``deals`` demo deals."""
    from kg.demo import run_demo
    from kg.loading import load_seed
    from kg.store.embedded import EmbeddedStore

    ws = tmp_path_factory.mktemp(f"{name}-{deals}")
    store = EmbeddedStore(ws)
    load_seed(store)
    run_demo(store, deals=deals)
    return ws, store


def demo_client(ws, store):
    from web import create_app

    return create_app({"workspace": str(ws), "TESTING": True}, store=store).test_client()
