"""What the server computes once per store version and shares between its threads.

:class:`VersionCache` keeps results under ``(store.version, key)``: bounded by entries and by
bytes, least recently used first out, and everything of an older version dropped as soon as a
newer one is seen (every write changes the version). Concurrent misses of one key wait for one
computation (a "single flight"): the first caller computes with no lock held, the others wait
for its result (or its exception) instead of each computing it again.

:func:`init_app` puts a response cache in front of the pages and JSON twins whose answer depends
only on the store, the URL and the language (``CACHED_ENDPOINTS``): a GET answered 200 is kept as
bytes and sent again to every client until the store changes. HTML pages carry the session's
CSRF token (``<meta name="csrf-token">``, the forms): the kept copy has the token of the session
that rendered it, and a hit swaps in the asking session's own token, so no session ever sees
another's. The chat (one conversation per session), the import page and anything that is not a
GET are never kept; nor is an export of a chat answer (its session and turn choose what it is).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["CACHED_ENDPOINTS", "VersionCache", "init_app", "response_cache"]

# pages and JSON twins that read the store only (and the URL and the language)
CACHED_ENDPOINTS = frozenset({
    "explore.home", "explore.api_home", "explore.entity", "explore.api_entity", "explore.search",
    "explore.api_search", "network.network", "network.api_network", "report.report", "report.api_report",
    "query.index", "query.api_index", "query.page", "query.api_query", "regions.regions", "regions.api_regions",
    "paths.path", "paths.api_path", "export.api_export",
})
OBJECT_BYTES = 64 * 1024  # what a kept Python object is counted as (its real size is not cheap to know)
WAIT_S = 300.0  # how long a request waits for another's computation of the same key before doing it itself


class _Flight:
    __slots__ = ("done", "value", "error", "ok")

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None
        self.ok = False


_MISSING = object()


class VersionCache:
    """``get(version, key, fn)``: ``fn()`` computed once per (version, key), shared, bounded."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 256 * 1024 * 1024):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._d: OrderedDict = OrderedDict()  # (version, key) -> (value, nbytes)
        self._flights: dict = {}
        self._lock = threading.Lock()
        self._bytes = 0
        self._version = _MISSING
        self.hits = self.misses = self.waits = 0

    # ------------------------------------------------------------------ reading and keeping
    def peek(self, version, key, default=None):
        with self._lock:
            hit = self._d.get((version, key), _MISSING)
            if hit is _MISSING:
                return default
            self._d.move_to_end((version, key))
            self.hits += 1
            return hit[0]

    def put(self, version, key, value, nbytes: int | None = None) -> None:
        size = _size(value) if nbytes is None else int(nbytes)
        if size > self.max_bytes // 4:  # one answer may not push out most of the others
            return
        with self._lock:
            self._new_version(version)
            full = (version, key)
            old = self._d.pop(full, None)
            if old is not None:
                self._bytes -= old[1]
            self._d[full] = (value, size)
            self._bytes += size
            while self._d and (len(self._d) > self.max_entries or self._bytes > self.max_bytes):
                _, (_, n) = self._d.popitem(last=False)
                self._bytes -= n

    def _new_version(self, version) -> None:
        """Drop what older versions computed (called with the lock held)."""
        if version == self._version:
            return
        self._version = version
        for full in [k for k in self._d if k[0] != version]:
            self._bytes -= self._d.pop(full)[1]

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._d)

    @property
    def nbytes(self) -> int:
        return self._bytes

    # ------------------------------------------------------------------ single flight
    def begin(self, version, key):
        """(value, None) on a hit; else (MISSING, flight) where ``flight`` is this caller's to fill
        (:meth:`finish`) or None when another caller is computing it and this one waited for it in
        vain (it failed or took longer than :data:`WAIT_S`): then compute without keeping."""
        full = (version, key)
        with self._lock:
            hit = self._d.get(full, _MISSING)
            if hit is not _MISSING:
                self._d.move_to_end(full)
                self.hits += 1
                return hit[0], None
            flight = self._flights.get(full)
            if flight is None:
                flight = self._flights[full] = _Flight()
                self.misses += 1
                return _MISSING, flight
            self.waits += 1
        flight.done.wait(WAIT_S)
        if flight.ok:
            return flight.value, None
        if flight.error is not None:
            raise flight.error
        return _MISSING, None

    def finish(self, version, key, flight: _Flight, value=_MISSING, error: BaseException | None = None,
               nbytes: int | None = None) -> None:
        """End ``flight``: keep ``value`` (when given) and wake the callers waiting for it."""
        if value is not _MISSING and error is None:
            flight.value, flight.ok = value, True
            self.put(version, key, value, nbytes)
        flight.error = error
        with self._lock:
            if self._flights.get((version, key)) is flight:
                del self._flights[(version, key)]
        flight.done.set()

    def get(self, version, key, fn, nbytes=None):
        """``fn()`` once per (version, key); concurrent callers of a missing key wait for one call.
        An exception of ``fn`` reaches every caller that waited for it, and nothing is kept."""
        value, flight = self.begin(version, key)
        if value is not _MISSING:
            return value
        if flight is None:
            return fn()
        try:
            value = fn()
        except BaseException as exc:
            self.finish(version, key, flight, error=exc)
            raise
        self.finish(version, key, flight, value, nbytes=nbytes(value) if callable(nbytes) else nbytes)
        return value

    def stats(self) -> dict:
        return {"entries": len(self._d), "bytes": self._bytes, "hits": self.hits, "misses": self.misses,
                "waits": self.waits}


MISSING = _MISSING


def _size(value) -> int:
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    if isinstance(value, _Kept):
        return len(value.body) + 512
    return OBJECT_BYTES


# ---------------------------------------------------------------------------------------------- responses
@dataclass
class _Kept:
    status: int
    headers: list
    body: bytes
    csrf: str | None  # the CSRF token written into the body (swapped for the asker's own on a hit)


def response_cache(app=None) -> VersionCache:
    from flask import current_app

    return (app or current_app).extensions["iikg_responses"]


def _key():
    """The response's key, or None when this request must not be served from the cache."""
    from flask import request

    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS:
        return None
    if request.endpoint == "export.api_export" and (request.args.get("q") or request.args.get("session")):
        return None  # a chat answer's export: its session and turn say which answer it is
    from web.i18n import get_lang

    return (get_lang(), request.endpoint, request.full_path)


def init_app(app) -> None:
    """The response cache (see the module's doc); register after the access checks (token, host,
    CSRF), whose before_request must run first."""
    from flask import Response, g, session

    mb = int(app.config.get("KG_RESPONSE_CACHE_MB", 256))
    cache = app.extensions["iikg_responses"] = VersionCache(max_entries=2048, max_bytes=mb * 1024 * 1024)
    if mb <= 0:
        return

    @app.before_request
    def _from_cache():
        key = _key()
        if key is None:
            return None
        from web.state import get_state

        version = get_state().version
        if version is None:
            return None
        kept, flight = cache.begin(version, key)
        if kept is MISSING:
            if flight is not None:
                g._iikg_flight = (version, key, flight)
            return None
        body = kept.body
        if kept.csrf:
            from web.security import csrf_token

            mine = csrf_token()
            if mine != kept.csrf:
                body = body.replace(kept.csrf.encode(), mine.encode())
        resp = Response(body, status=kept.status)
        resp.headers.clear()
        for k, v in kept.headers:
            resp.headers.add(k, v)
        resp.headers["Content-Length"] = str(len(body))
        return resp

    @app.after_request
    def _keep(resp):
        pending = g.pop("_iikg_flight", None)
        if pending is None:
            return resp
        version, key, flight = pending
        value = MISSING
        if resp.status_code == 200 and not resp.is_streamed and not resp.direct_passthrough:
            headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in ("set-cookie", "content-length")]
            value = _Kept(resp.status_code, headers, resp.get_data(), session.get("csrf"))
        cache.finish(version, key, flight, value)
        return resp

    @app.teardown_request
    def _release(exc=None):
        pending = g.pop("_iikg_flight", None)  # the request failed before after_request kept it
        if pending is not None:
            version, key, flight = pending
            cache.finish(version, key, flight)
