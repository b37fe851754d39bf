"""The server's shared caches (web/cache.py): computed once per store version, concurrent misses of
one key wait for one computation, bounded; the response cache serves every session its own CSRF
token, never keeps the chat, and drops everything when the store changes."""
from __future__ import annotations

import re
import threading
import time

import pytest


def test_concurrent_misses_of_one_key_wait_for_one_computation():
    from web.cache import VersionCache

    cache = VersionCache()
    calls = []
    gate = threading.Event()

    def slow():
        calls.append(1)
        gate.wait(5)
        return {"answer": 42}

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(1, "k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # all eight are in: one computing, seven waiting
    gate.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert cache.stats()["waits"] == 7 and cache.stats()["misses"] == 1
    assert cache.get(1, "k", slow) is got[0] and len(calls) == 1  # a hit


def test_an_exception_reaches_the_waiters_and_nothing_is_kept():
    from web.cache import VersionCache

    cache = VersionCache()
    gate = threading.Event()
    calls = []

    def boom():
        calls.append(1)
        gate.wait(5)
        raise ValueError("bad parameter")

    errors = []

    def ask():
        try:
            cache.get("v", "k", boom)
        except ValueError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in threads:
        t.join(10)
    assert errors == ["bad parameter"] * 4 and len(calls) == 1
    assert cache.get("v", "k", lambda: "fine") == "fine"  # the failure was not kept


def test_a_new_version_drops_the_old_and_the_bytes_are_bounded():
    from web.cache import VersionCache

    cache = VersionCache(max_entries=100, max_bytes=10_000)
    cache.put(1, "a", b"x" * 1000)
    cache.put(1, "b", b"y" * 1000)
    assert cache.peek(1, "a") == b"x" * 1000 and cache.nbytes == 2000
    cache.put(2, "a", b"z" * 10)
    assert cache.peek(1, "a") is None and cache.peek(1, "b") is None and cache.nbytes == 10
    for i in range(30):  # 30 x 1,000 bytes into 10,000: the oldest go first
        cache.put(2, i, b"w" * 1000)
    assert cache.nbytes <= 10_000 and cache.peek(2, 29) is not None and cache.peek(2, 0) is None
    cache.put(2, "huge", b"h" * 5000)  # more than a quarter of the whole: not kept
    assert cache.peek(2, "huge") is None


@pytest.fixture
def app(dev_workspace):
    from web import create_app

    return create_app({"workspace": str(dev_workspace), "TESTING": True})


def _meta_token(html: bytes) -> str:
    return re.search(rb'<meta name="csrf-token" content="([^"]+)"', html).group(1).decode()


def test_a_kept_page_carries_each_sessions_own_csrf_token(app):
    from web.cache import response_cache

    a, b = app.test_client(), app.test_client()
    ra = a.get("/network")
    assert ra.status_code == 200
    hits = response_cache(app).hits
    rb = b.get("/network")
    assert rb.status_code == 200 and response_cache(app).hits == hits + 1  # served from the cache
    ta, tb = _meta_token(ra.data), _meta_token(rb.data)
    assert ta != tb and ta.encode() not in rb.data
    # and b's token is the one its session accepts: a POST with it passes the CSRF check
    with b.session_transaction() as s:
        assert s["csrf"] == tb
    # the page is otherwise the same bytes
    assert ra.data.replace(ta.encode(), b"") == rb.data.replace(tb.encode(), b"")


def test_languages_are_kept_apart_and_the_chat_is_never_kept(app):
    from web.cache import response_cache

    c = app.test_client()
    zh = c.get("/report", headers={"Accept-Language": "zh"}).data
    en = c.get("/report", headers={"Accept-Language": "en"}).data
    assert zh != en
    before = response_cache(app).stats()
    r1 = c.get("/api/ask?q=%E6%B7%B1%E5%88%9B%E6%8A%95%E6%8A%95%E4%BA%86%E5%93%AA%E4%BA%9B%E5%85%AC%E5%8F%B8")
    r2 = c.get("/api/ask?q=%E6%B7%B1%E5%88%9B%E6%8A%95%E6%8A%95%E4%BA%86%E5%93%AA%E4%BA%9B%E5%85%AC%E5%8F%B8")
    assert r1.status_code == r2.status_code == 200
    assert r1.get_json()["session"] != r2.get_json()["session"]  # two conversations, two answers
    after = response_cache(app).stats()
    assert (after["hits"], after["misses"]) == (before["hits"], before["misses"])


def test_a_write_to_the_store_shows_on_the_next_request(app, tmp_path):
    from kg.loading import load_deals
    from web.state import get_state

    c = app.test_client()
    first = c.get("/api/home").get_json()
    assert c.get("/api/home").get_json() == first  # kept
    with app.app_context():
        store = get_state().store
    csv = tmp_path / "one-more.csv"
    csv.write_text("date,company,round,amount,investors\n2019-05-01,缓存测试科技,A轮,1000万元,深创投\n", encoding="utf-8")
    v0 = store.version
    rep = load_deals(store, csv, app.config["KG_CONFIG"].workspace)
    assert rep.exit_code == 0 and store.version != v0
    now = c.get("/api/home").get_json()
    assert now != first and any(i.get("file") == "one-more.csv" for i in now["loaded"]["imports"])
    hits = c.get("/search?q=%E7%BC%93%E5%AD%98%E6%B5%8B%E8%AF%95")
    assert "缓存测试科技" in hits.get_data(as_text=True)


def test_warm_up_builds_the_first_requests_before_the_server_is_ready(app):
    from kg.chat.nlu import _CACHE as NLU_CACHE
    from kg.index import _CACHE as INDEX_CACHE
    from kg.queries.resolve import _CACHE as CATALOG_CACHE
    from web.cache import response_cache
    from web.state import WARM_PAGES

    state = app.extensions["iikg"]
    failed: list[str] = []
    took = state.warm_up(app, log=failed.append)
    assert not failed  # every step ran (a step that raises is logged and skipped)
    assert {"store", "index", "names"} <= set(took) and all(f"{p} (zh)" in took and f"{p} (en)" in took for p in WARM_PAGES)
    # one entity page of each kind: an investor, a company, a province, a segment
    assert {p.split("%3A")[0] for p in took if p.startswith("/entity/")} == \
        {"/entity/investor", "/entity/company", "/entity/province", "/entity/segment"}
    store = state.store
    assert store in INDEX_CACHE and store in CATALOG_CACHE and store in NLU_CACHE and state.served.is_set()
    cache = response_cache(app)
    kept = cache.stats()["entries"]
    assert kept >= len(WARM_PAGES) * 2
    hits = cache.hits
    c = app.test_client()
    for p in WARM_PAGES:  # every warmed page is answered from what the warm-up made, in both languages
        assert c.get(p, headers={"Accept-Language": "en"}).status_code == 200
        assert c.get(p).status_code == 200
    assert cache.hits == hits + 2 * len(WARM_PAGES) and cache.stats()["entries"] == kept


def test_warm_up_freezes_what_it_built_until_the_store_changes(app, tmp_path):
    import gc

    from kg.loading import load_deals

    state = app.extensions["iikg"]
    try:
        took = state.warm_up(app, pages=("/",), langs=("zh",), freeze=True)
        assert "gc_freeze" in took and gc.get_freeze_count() > 0 and state.frozen_version == state.version
        c = app.test_client()
        assert c.get("/api/home").status_code == 200
        assert state.frozen_version == state.version  # the same version: still frozen
        csv = tmp_path / "thaw.csv"
        csv.write_text("date,company,round,amount,investors\n2019-06-01,解冻测试科技,A轮,1000万元,深创投\n", encoding="utf-8")
        assert load_deals(state.store, csv, app.config["KG_CONFIG"].workspace).exit_code == 0
        assert c.get("/api/home").status_code == 200
        # a new version: the old one's objects went back to the collector (gc.unfreeze; the store may
        # freeze what it builds for the new version itself, kg/store/embedded.py)
        assert state.frozen_version is None
    finally:
        gc.unfreeze()
