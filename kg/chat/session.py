"""Conversations: what a follow-up needs from the turns before it.

A :class:`Session` keeps the last understood turn (its :class:`~kg.chat.nlu.Parse`: intent,
parameters and mode), which :func:`kg.chat.intents.interpret` changes for a follow-up
("那深创投呢？"). :class:`SessionStore` keys sessions by id for the web (``GET /api/ask?session=…``):
bounded (least recently used sessions go first), idle ones expire, safe across threads.

Examples
--------
>>> store = SessionStore(max_sessions=2)
>>> a = store.get("a"); b = store.get("b"); c = store.get("c")
>>> "a" in store, "b" in store, "c" in store
(False, True, True)
"""
from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import OrderedDict

__all__ = ["SESSIONS", "Session", "SessionStore"]


class Session:
    """One conversation's context. Use :func:`kg.chat.answer` with it; ``reset()`` forgets."""

    def __init__(self, id: str | None = None):
        self.id = id or uuid.uuid4().hex
        self.last = None          # the last understood Parse (named-query turns)
        self.frame = None         # the last understood Frame (deals turns)
        self.engine = None        # which of the two answered last: "frame" or "named"
        self.last_company = None  # the company a pronoun (它, its) refers to
        self.last_single = None   # (grouping, key id) of a ranking that answered with one group: "its" then
        self.last_round = None    # the one round the last answer named (the largest of 2019): "its investors" then
        self.turns = 0
        self.touched = time.monotonic()
        self.lock = threading.RLock()

    def record(self, parse, ok: bool = True) -> None:
        """Remember an understood turn (a turn not understood leaves the context as it was)."""
        with self.lock:
            self.turns += 1
            self.touched = time.monotonic()
            if ok and parse.intent not in (None, "unknown"):
                self.last = copy.deepcopy(parse)
                self.engine = "named"
                self.last_round = None
                company = (parse.params or {}).get("company")
                if company:
                    self.last_company = company

    def record_frame(self, frame) -> None:
        """Remember an understood deals turn (its frame, which a follow-up edits)."""
        with self.lock:
            self.turns += 1
            self.touched = time.monotonic()
            self.frame = copy.deepcopy(frame)
            self.engine = "frame"
            if frame.filters.get("company"):
                self.last_company = frame.filters["company"]

    def reset(self) -> None:
        with self.lock:
            self.last = self.frame = self.engine = self.last_company = self.last_single = self.last_round = None
            self.touched = time.monotonic()

    def __repr__(self) -> str:
        last = f"{self.last.intent} {self.last.params}" if self.last else "-"
        return f"Session({self.id!r}, turns={self.turns}, last={last})"


class SessionStore:
    """Sessions by id, at most ``max_sessions`` (least recently used dropped), idle ones expire.

    The one store of conversations: the process-wide :data:`SESSIONS` keeps :class:`Session`
    objects, the web app keeps its own sessions (a :class:`Session` with the answers shown) through
    :meth:`find` and :meth:`add`; anything with an ``id`` and a ``touched`` time may be kept."""

    def __init__(self, max_sessions: int = 1000, ttl_seconds: float = 3600.0):
        self.max_sessions = max_sessions
        self.ttl = ttl_seconds
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.RLock()   # get = find, else add: one lock around both

    def get(self, id: str | None = None) -> Session:
        """The session ``id`` (created when new or expired); a new id when None."""
        with self._lock:
            s = self.find(id)
            if s is None:
                s = Session(id if id else None)
                self.add(s)
            return s

    def find(self, id: str | None):
        """The live session ``id`` (its idle time restarts), or None: never creates one."""
        if id is None:
            return None
        now = time.monotonic()
        with self._lock:
            s = self._items.get(id)
            if s is None:
                return None
            if now - s.touched > self.ttl:
                del self._items[id]
                return None
            self._items.move_to_end(id)
            s.touched = now
            return s

    def add(self, session) -> None:
        """Keep ``session`` under its ``id`` (the least recently used go beyond ``max_sessions``)."""
        with self._lock:
            session.touched = time.monotonic()
            self._items[session.id] = session
            self._items.move_to_end(session.id)
            while len(self._items) > self.max_sessions:
                self._items.popitem(last=False)

    def drop(self, id: str) -> None:
        with self._lock:
            self._items.pop(id, None)

    def __contains__(self, id) -> bool:
        with self._lock:
            return id in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


SESSIONS = SessionStore()
