"""What the app holds between requests: the store, chat sessions and small caches.

One :class:`WebState` lives in ``app.extensions["iikg"]``. Before every request it asks an
embedded store to :meth:`refresh` (a ``stat`` of the snapshot; a reload only when another process
wrote), so ``kg load`` in a terminal shows up on the next page view; one thread refreshes at a
time and the others go on with the store as it is (no request queues behind a reload). Caches
key on ``store.version`` (:class:`web.cache.VersionCache`: computed once per version, concurrent
askers of one key wait for one computation) and so are dropped by any change.

:meth:`WebState.warm_first` builds what the first pages and question need (the query index, the
name catalogue, the chat's matcher, the landing page, the default network, the report) and ``kg
serve`` calls it before it says it is ready; :meth:`WebState.warm_rest` renders the other pages
once into the response cache (:mod:`web.cache`), in the background once the server serves.
"""
from __future__ import annotations

import gc
import secrets
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app

from web.cache import VersionCache

__all__ = ["WebState", "init_app", "get_state", "get_store", "cached"]


class LRU:
    """A tiny thread-safe LRU mapping."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
            return default

    def put(self, key, value) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._d

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


class ChatSession:
    """A conversation: the chat module's own session object plus the answers shown so far."""

    def __init__(self, sid: str, inner):
        self.id = sid
        self.inner = inner
        self.answers: list[dict] = []
        self.lock = threading.Lock()
        self.touched = time.monotonic()   # kept by kg.chat.session.SessionStore (idle ones expire)


_NOT_FROZEN = object()

# the pages whose first view the warm-up renders: the landing page and the heavy store-wide ones (the
# default co-investment network, the report) before ``kg serve`` says it is ready, the rest after
FIRST_PAGES = ("/", "/network", "/api/network", "/report")
WARM_PAGES = (*FIRST_PAGES, "/regions", "/query")
# asked (and the answers thrown away) by the warm-up: a Table 5 investor is in every workspace's seed
WARM_QUESTIONS = ("深创投投资了哪些公司？", "Which investors were most active in 2019?")


class WebState:
    def __init__(self, config, store=None):
        self.config = config
        self._store = store
        self._store_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._last_refresh = 0.0
        self.cache = VersionCache(max_entries=256, max_bytes=128 * 1024 * 1024)
        from kg.chat.session import SessionStore

        self.sessions = SessionStore(max_sessions=500)   # the chat's one session store (LRU, idle expiry)
        self.served = threading.Event()  # set once the first request has been answered
        self._frozen_version = _NOT_FROZEN  # the store version whose objects warm_up froze (gc.freeze)

    # ------------------------------------------------------------------ store
    @property
    def store(self):
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from kg.store import open_store

                    self._store = open_store(self.config)
        return self._store

    def refresh(self) -> None:
        """Reload an embedded store whose snapshot changed on disk (at most every 0.2 s)."""
        self._thaw_if_changed()
        now = time.monotonic()
        if now - self._last_refresh < 0.2:
            return
        store = self.store
        if not self._refresh_lock.acquire(blocking=False):
            return  # another request is refreshing: go on with the store as it is
        try:
            store.refresh()
            self._last_refresh = time.monotonic()
        finally:
            self._refresh_lock.release()

    def warm(self) -> threading.Thread:
        """Open the store and build what the first page and the first question need (the query
        index, the name catalogue, the chat's name matcher) in a background thread, so the first
        user does not wait for them. Best effort: a failure here is met again, and reported, by the
        request that needs the part. (Each part is built under its own module's lock: a request that
        needs one while it is being built waits for that build, it does not start a second.)"""
        def run():
            try:
                self._warm_index()
                # the chat's parts only after the first page is out (or a while): not competing with it
                self.served.wait(timeout=10)
                self._warm_names()
            except Exception:  # noqa: BLE001 - reported by the request that needs it
                pass

        t = threading.Thread(target=run, name="iikg-warm", daemon=True)
        t.start()
        return t

    def _warm_index(self) -> None:
        store = self.store
        if self.config.backend == "embedded":  # the query index is the embedded store's plan
            from kg.index import graph_index

            graph_index(store)  # every page needs it: a request meanwhile waits for this build

    def _warm_names(self) -> None:
        store = self.store
        from kg.queries.resolve import catalog

        catalog(store)
        from kg.chat.nlu import nlu_for

        nlu_for(store)

    def _warm_chat(self) -> None:
        """One question in each language, answered and thrown away: what the chat loads on its first
        answer (its vocabulary files, the spelling tables) is loaded now, not in a user's request."""
        from kg.chat import Session, answer

        for q in WARM_QUESTIONS:
            answer(self.store, q, session=Session())

    @property
    def frozen_version(self):
        """The store version whose warmed objects are frozen out of the GC's scans (None: none are)."""
        v = self._frozen_version
        return None if v is _NOT_FROZEN else v

    def _thaw_if_changed(self) -> None:
        """Give the objects :meth:`warm_up` froze back to the garbage collector once the store has
        changed (the old version's tables and caches must be collectable)."""
        frozen = self._frozen_version
        if frozen is not _NOT_FROZEN and self._store is not None and self._store.version != frozen:
            self._frozen_version = _NOT_FROZEN
            gc.unfreeze()

    def warm_up(self, app: Flask, pages=WARM_PAGES, langs=("zh", "en"), log=None, freeze: bool = False) -> dict:
        """Build what the first requests need: :meth:`warm_first` then :meth:`warm_rest`, in this
        thread. Returns the seconds each step took; a step that fails is skipped (and logged): the
        request that needs it meets the error and reports it."""
        took = self.warm_first(app, pages=[p for p in pages if p in FIRST_PAGES], langs=langs, log=log)
        took.update(self.warm_rest(app, pages=[p for p in pages if p not in FIRST_PAGES], langs=langs, log=log,
                                   freeze=freeze))
        return took

    def _stepper(self, took: dict, log):
        def step(name, fn):
            t = time.perf_counter()
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - reported by the request that needs it
                if log:
                    log(f"warm-up: {name} failed: {type(exc).__name__}: {exc}")
            took[name] = round(time.perf_counter() - t, 3)
        return step

    def _get(self, app: Flask, path: str, lang: str):
        headers = {"Authorization": f"Bearer {self.config.token}"} if getattr(self.config, "token", None) else {}
        return app.test_client().get(path, headers={**headers, "Accept-Language": lang})

    def warm_first(self, app: Flask, pages=FIRST_PAGES, langs=("zh", "en"), log=None) -> dict:
        """What the first pages and the first question need, before ``kg serve`` says it is ready: the
        store, the query index, the name catalogue and the chat's matcher (and one answer per
        language: the chat is the way in, its first answer must not wait), and ``pages`` (the landing
        page, the default network, the report: what takes seconds to build at 100k deals) once per
        language through the app itself (so they sit in the response cache, :mod:`web.cache`)."""
        took: dict = {}
        step = self._stepper(took, log)
        step("store", lambda: self.store)
        step("index", self._warm_index)
        step("names", self._warm_names)
        step("chat", self._warm_chat)
        for path in pages:
            for lang in langs:
                step(f"{path} ({lang})", lambda p=path, la=lang: self._get(app, p, la))
        return took

    def warm_rest(self, app: Flask, pages=WARM_PAGES[len(FIRST_PAGES):], langs=("zh", "en"), log=None,
                  freeze: bool = False) -> dict:
        """The rest, which ``kg serve`` builds in the background once it serves: the other ``pages``
        and one entity page of each kind (each a fraction of a second). A request that needs a part
        meanwhile waits for that part's build (each is built once,
        under its own lock), not for the whole warm-up. With ``freeze`` (``kg serve``), what all that
        built is then frozen out of the garbage collector's scans (:func:`gc.freeze`) until the store
        changes."""
        took: dict = {}
        step = self._stepper(took, log)
        for path in pages:
            for lang in langs:
                step(f"{path} ({lang})", lambda p=path, la=lang: self._get(app, p, la))
        # one entity page of each kind (the busiest investor, its busiest company, a province, a
        # segment): what every page of that kind builds on first use (ego graphs, mixes) is ready
        entity_pages: list[str] = []

        def entities():
            with app.test_request_context("/"):   # entity_url builds the URL the app routes
                entity_pages.extend(self._warm_entities())
        step("entities", entities)
        for path in entity_pages:
            for lang in langs:
                step(f"{path} ({lang})", lambda p=path, la=lang: self._get(app, p, la))
        self.served.set()
        if freeze:
            # what the warm-up built lives as long as this store version: out of the collector's way,
            # so a full collection (about 1 s over the heap of a 100k-deal workspace, every request
            # stopped meanwhile) scans only what requests make from now on
            t = time.perf_counter()
            gc.collect()
            gc.freeze()
            # a store that could not be opened (a Cypher server down at start) has no version yet: the
            # pages say so until it is up, and the first change of version thaws what was frozen
            self._frozen_version = self._store.version if self._store is not None else None
            took["gc_freeze"] = round(time.perf_counter() - t, 3)
        return took

    def _warm_entities(self) -> list[str]:
        """The entity pages the warm-up renders: the busiest investor, company, province and segment."""
        from kg.queries import run
        from web.filters import entity_url

        out = []
        for group in ("investor", "company", "province", "segment"):
            rows = run(self.store, "deals", group_by=group, measure="deals", k=1).rows
            if rows and isinstance(rows[0].get("key_id"), str):
                out.append(entity_url(rows[0]["key_id"]))
        return out

    @property
    def version(self):
        return self.store.version

    def cached(self, key, fn):
        """``fn()`` computed once per store version (concurrent callers of one key wait for one call)."""
        return self.cache.get(self.version, key, fn)

    # ------------------------------------------------------------------ chat sessions
    def session(self, sid: str | None, create=True) -> ChatSession | None:
        s = self.sessions.find(sid) if sid else None
        if s is not None or not create:
            return s
        from kg.chat import Session

        # a new conversation gets an id of the server's choosing (never one a client made up)
        s = ChatSession(secrets.token_urlsafe(12), Session())
        self.sessions.add(s)
        return s


def init_app(app: Flask, config, store=None) -> None:
    st = WebState(config, store)
    app.extensions["iikg"] = st

    @app.before_request
    def _refresh():
        from flask import request

        if request.endpoint != "static":
            st.refresh()

    @app.teardown_request
    def _served(exc=None):
        st.served.set()


def get_state() -> WebState:
    return current_app.extensions["iikg"]


def get_store():
    return get_state().store


def cached(key, fn):
    return get_state().cached(key, fn)
