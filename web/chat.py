"""Chat: questions in Chinese or English, answered as cards (text, table, graph, Cypher, exports).

``GET /api/ask?q=…&session=…`` answers one question in a conversation (CONTRACT.md's answer
format plus ``session`` and ``turn``); follow-ups reuse the session's context. ``/chat`` shows the
conversation (``/api/chat?session=…`` is its twin). Asking from the page goes through
POST-redirect-GET so that reloading it never asks twice.
"""
from __future__ import annotations

import time

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from kg.errors import KGError
from kg.result import jsonable
from web import graphview
from web.data import mark_synthetic
from web.i18n import error_text, pick, t
from web.state import get_state, get_store

bp = Blueprint("chat", __name__)

MAX_TURNS = 50
MAX_QUESTION = 500


def ask(question: str, sid: str | None) -> dict:
    """Answer ``question`` in conversation ``sid`` (a new one when unknown); the answer is kept."""
    question = (question or "").strip()[:MAX_QUESTION]
    if not question:
        abort(400, description="empty question: pass ?q=…")
    from kg.chat import answer  # here: the pages that never chat do not load the chat's tables

    sess = get_state().session(sid)
    t0 = time.perf_counter()
    with sess.lock:
        ans = answer(get_store(), question, session=sess.inner)
        ans = dict(ans)
        if "synthetic" not in ans:  # the chat says it itself when it knows; else read it from the store
            ans = mark_synthetic(ans)
        ans = jsonable(ans)
        ans.setdefault("question", question)
        ans.setdefault("took_ms", round((time.perf_counter() - t0) * 1000, 2))
        ans["session"] = sess.id
        ans["turn"] = len(sess.answers)
        sess.answers.append(ans)
        if len(sess.answers) > MAX_TURNS:
            del sess.answers[: len(sess.answers) - MAX_TURNS]
    return ans


def conversation(sid: str | None) -> dict:
    sess = get_state().session(sid, create=False) if sid else None
    return {"session": sess.id if sess else None, "answers": list(sess.answers) if sess else []}


def stored_answer(sid: str | None, turn) -> dict | None:
    """A kept answer (for exports of follow-ups, whose question alone lacks the context)."""
    sess = get_state().session(sid, create=False) if sid else None
    if sess is None:
        return None
    try:
        turn = int(turn)
    except (TypeError, ValueError):
        return None
    return next((a for a in sess.answers if a.get("turn") == turn), None)


@bp.route("/api/ask")
def api_ask():
    return jsonify(ask(request.args.get("q", ""), request.args.get("session")))


@bp.route("/api/chat")
def api_chat():
    return jsonify(conversation(request.args.get("session")))


@bp.route("/chat", methods=["GET", "POST"])
def chat():
    src = request.form if request.method == "POST" else request.args
    q, sid = src.get("q", "").strip(), src.get("session") or None
    if request.args.get("new"):
        return redirect(url_for("chat.chat"))
    error = None
    if q:
        try:
            ans = ask(q, sid)
            return redirect(url_for("chat.chat", session=ans["session"], _anchor=f"a{ans['turn']}"))
        except KGError as exc:
            error = error_text(exc)
    data = conversation(sid)
    cards = []
    for i, a in enumerate(data["answers"]):
        cards.append({"answer": a, "view": graphview.view(a.get("graph")) if (a.get("graph") or {}).get("nodes") else None,
                      "latest": i == len(data["answers"]) - 1, "links": _entity_links(a)})
    from web.explore import examples

    return render_template("chat.html", data=data, cards=cards, error=error, question=q if error else "",
                           intent_name=intent_name,
                           examples=examples(),
                           json_twin=url_for("chat.api_chat", session=data["session"]) if data["session"] else None)


# chat intents that are not a named query, in words
INTENTS = {"common_investors": ("共同的投资方", "Investors in common"), "investor_difference": ("投资方差异", "Investors of one, not the other"),
           "portfolio_difference": ("投资组合差异", "Portfolio difference"), "repeat_companies": ("多轮融资企业", "Companies with several rounds"),
           "yes_no": ("是否", "Yes or no"), "company_round": ("企业的某轮融资", "A company's round"), "reset": ("重新开始", "Start over")}


def intent_name(intent: str | None) -> str:
    """What an answer answered, in words (never the intent's code)."""
    from web.query import TITLES, query_title

    if not intent or intent == "unknown":
        return t("not_understood")
    if intent in INTENTS:
        return pick(INTENTS, intent)
    return query_title(intent)[0] if intent in TITLES else intent.replace("_", " ")


def _entity_links(a: dict) -> list[dict]:
    """The answer's entities, linked to their pages when the answer's graph names them."""
    by_name = {}
    for n in (a.get("graph") or {}).get("nodes", []):
        if n.get("name") and n.get("id"):
            by_name.setdefault(n["name"], n["id"])
    return [{"name": e, "id": by_name.get(e)} for e in (a.get("entities") or [])[:40] if isinstance(e, str)]
