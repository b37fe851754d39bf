"""Chat: questions in Chinese or English, answered from the named queries, with their Cypher.

``answer(store, question, session=None)`` gives the JSON object of CONTRACT.md; ``Session``
carries a conversation's context (follow-ups such as "那深创投呢？"); ``parse`` shows what the
NLU understood (intent and slots) without running anything.
"""
from __future__ import annotations

from kg.chat.answer import answer
from kg.chat.session import SESSIONS, Session, SessionStore

__all__ = ["SESSIONS", "Session", "SessionStore", "answer", "parse"]


def parse(store, question: str, session: Session | None = None):
    """The :class:`~kg.chat.nlu.Parse` of ``question`` (intent, query parameters, slots), nothing run."""
    from kg.chat.answer import understand

    return understand(store, question, session.last if session is not None else None)[0]
