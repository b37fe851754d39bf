"""The chat gives the same answers on FalkorDB and on Neo4j as on the embedded store (names fetched
with Cypher, queries run through the same named queries): for every dev and extra question, the same
entities and value (and the same reading of the question). The chat's internals are not pinned here."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SERVERS, server_dev_store
from kg.chat import Session, answer

FIX = Path(__file__).resolve().parent / "fixtures"
QUESTIONS = [json.loads(x)["q"] for name in ("dev_questions.jsonl", "chat_more.jsonl")
             for x in (FIX / name).read_text(encoding="utf-8").splitlines() if x.strip()]


def _key(ans):
    value = round(ans["value"], 2) if isinstance(ans["value"], float) else ans["value"]
    return ans["intent"], ans["params"], sorted(ans["entities"]), value, ans["language"]


@pytest.mark.parametrize("server", SERVERS)
def test_same_answers_on_servers(dev_store_ro, server, request):
    store = server_dev_store(request, server)
    diffs = []
    for q in QUESTIONS:
        a, b = answer(dev_store_ro, q), answer(store, q)
        if _key(a) != _key(b):
            diffs.append((q, _key(a), _key(b)))
    assert not diffs, diffs[:5]


@pytest.mark.parametrize("server", SERVERS)
def test_conversation_on_servers(server, request):
    store = server_dev_store(request, server)
    s = Session()
    first = answer(store, "What did Sequoia China and Baidu Ventures both invest in?", s)
    second = answer(store, "And with Casstar?", s)
    assert first["intent"] == second["intent"] == "common_portfolio"
    assert second["params"] == {"a": "红杉资本（中国）", "b": "中科创星"}
    assert second["cypher"] and second["params_cypher"]
