"""The chat gives the same answers on FalkorDB as on the embedded store (names fetched with Cypher,
queries run through the same named queries)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.chat import Session, answer

pytestmark = pytest.mark.falkordb
FIX = Path(__file__).resolve().parent / "fixtures"
QUESTIONS = [json.loads(x)["q"] for name in ("dev_questions.jsonl", "chat_more.jsonl")
             for x in (FIX / name).read_text(encoding="utf-8").splitlines() if x.strip()]


def _key(ans):
    value = round(ans["value"], 2) if isinstance(ans["value"], float) else ans["value"]
    return ans["intent"], ans["params"], sorted(ans["entities"]), value, ans["language"]


def test_same_answers_on_falkordb(dev_store_ro, falkor_dev_store):
    diffs = []
    for q in QUESTIONS:
        a, b = answer(dev_store_ro, q), answer(falkor_dev_store, q)
        if _key(a) != _key(b):
            diffs.append((q, _key(a), _key(b)))
    assert not diffs, diffs[:5]


def test_conversation_on_falkordb(falkor_dev_store):
    s = Session()
    first = answer(falkor_dev_store, "What did Sequoia China and Baidu Ventures both invest in?", s)
    second = answer(falkor_dev_store, "And with Casstar?", s)
    assert first["intent"] == second["intent"] == "common_portfolio"
    assert second["params"] == {"a": "红杉资本（中国）", "b": "中科创星"}
    assert second["cypher"] and second["params_cypher"]
