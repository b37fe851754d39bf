"""What the app holds between requests: the store, chat sessions and small caches.

One :class:`WebState` lives in ``app.extensions["iikg"]``. Before every request it asks an
embedded store to :meth:`refresh` (a ``stat`` of the snapshot; a reload only when another process
wrote), so ``kg load`` in a terminal shows up on the next page view. Caches key on
``store.version`` and so are dropped by any change.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app

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


class WebState:
    def __init__(self, config, store=None):
        self.config = config
        self._store = store
        self._store_lock = threading.Lock()
        self._last_refresh = 0.0
        self.cache = LRU(256)
        self.sessions = LRU(500)
        self.served = threading.Event()  # set once the first request has been answered

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
        now = time.monotonic()
        if now - self._last_refresh < 0.2:
            return
        store = self.store
        if hasattr(store, "refresh"):
            with self._store_lock:
                store.refresh()
        self._last_refresh = now

    def warm(self) -> threading.Thread:
        """Open the store and build what the first page and the first question need (the query
        index, the name catalogue, the chat's name matcher) in a background thread, so the first
        user does not wait for them. Best effort: a failure here is met again, and reported, by the
        request that needs the part."""
        def run():
            try:
                store = self.store
                if getattr(store, "kind", None) == "embedded":
                    from kg.index import graph_index

                    graph_index(store)  # every page needs it: a request meanwhile waits for this build
                # the chat's parts only after the first page is out (or a while): not competing with it
                self.served.wait(timeout=10)
                from kg.queries.resolve import catalog

                catalog(store)
                from kg.chat.nlu import nlu_for

                nlu_for(store)
            except Exception:  # noqa: BLE001 - reported by the request that needs it
                pass

        t = threading.Thread(target=run, name="iikg-warm", daemon=True)
        t.start()
        return t

    @property
    def version(self):
        return getattr(self.store, "version", None)

    def cached(self, key, fn):
        """``fn()`` computed once per store version."""
        full = (self.version, key)
        hit = self.cache.get(full, _MISSING)
        if hit is _MISSING:
            hit = fn()
            self.cache.put(full, hit)
        return hit

    # ------------------------------------------------------------------ chat sessions
    def session(self, sid: str | None, create=True) -> ChatSession | None:
        if sid:
            s = self.sessions.get(sid)
            if s is not None:
                return s
        if not create:
            return None
        from kg.chat import Session

        s = ChatSession(secrets.token_urlsafe(12), Session())
        self.sessions.put(s.id, s)
        return s


_MISSING = object()


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
