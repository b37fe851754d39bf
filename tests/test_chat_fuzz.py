"""Property-based: any text — and any sequence of texts in one conversation — gets a valid
CONTRACT.md answer, as JSON, quickly, and never an exception."""
from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.chat import Session, answer
from kg.chat.nlu import extract_slots

KEYS = ["question", "language", "intent", "params", "text", "entities", "value", "rows", "cypher", "params_cypher",
        "graph", "took_ms", "interpretation", "partial", "ignored"]
OPTIONAL = {"total", "shown", "parts"}  # whenever a list or graph is cut; a question in parts (CONTRACT.md: additive fields)
LIMIT_S = 1.0

# pieces that exercise the rules: names, slot words, intent words, follow-up words, punctuation
WORDS = ["深创投", "红杉资本（中国）", "Casstar", "Lenovo Capital", "墨子科技", "博联网络", "浙江", "杭州", "长三角",
         "Yangtze River Delta", "工业软件", "Security", "2019年", "2018-2019", "since 2018", "2019年11月", "B轮",
         "Series A", "天使轮", "前三", "top 5", "领投", "led", "超过1亿元", "over 100 million yuan", "科创板",
         "投了哪些公司", "的投资方", "合投", "both", "共同投资", "多少", "几家", "how many", "how much", "最多",
         "which province", "政策", "上市", "关系", "那", "呢", "只看", "what about", "and with", "/reset", "？", "?",
         "的", " ", "和", "and", "京", "网络", "2000万", "688001", "A", "a", "ＡＢＣ", "\u3000", "\t"]
text_st = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS), max_size=12).map("".join),
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@pytest.fixture(scope="module")
def warm_store(dev_store_ro):
    """The dev store with the NLU and the query index built (the time bound is for warm answers)."""
    answer(dev_store_ro, "深创投投了哪些公司")
    return dev_store_ro


def _valid(ans, q):
    assert [k for k in ans if k not in OPTIONAL] == KEYS and set(ans) - set(KEYS) <= OPTIONAL
    assert ans["question"] == q
    assert ans["language"] in ("zh", "en") and isinstance(ans["text"], str) and ans["text"]
    assert isinstance(ans["entities"], list) and all(isinstance(e, str) for e in ans["entities"])
    assert ans["value"] is None or isinstance(ans["value"], (int, float))
    json.loads(json.dumps(ans, ensure_ascii=False, allow_nan=False))
    # the catch-all that keeps tracebacks from users must not have been needed
    assert "出错了" not in ans["text"] and "went wrong" not in ans["text"], ans["text"]


@SETTINGS
@given(q=text_st)
def test_any_text_gets_a_valid_answer(warm_store, q):
    t0 = time.perf_counter()
    ans = answer(warm_store, q)
    assert time.perf_counter() - t0 < LIMIT_S
    _valid(ans, q)


@SETTINGS
@given(turns=st.lists(text_st, min_size=1, max_size=6))
def test_any_conversation_gets_valid_answers(warm_store, turns):
    s = Session()
    for q in turns:
        t0 = time.perf_counter()
        ans = answer(warm_store, q, s)
        assert time.perf_counter() - t0 < LIMIT_S
        _valid(ans, q)


@settings(max_examples=300, deadline=None)
@given(q=st.text(max_size=300))
def test_slot_rules_never_raise(q):
    for kind, value, s, e in extract_slots(q):
        assert 0 <= s <= e <= len(q) and kind


def test_huge_input_is_refused_fast(warm_store):
    q = "深创投投了哪些公司" * 2000
    t0 = time.perf_counter()
    ans = answer(warm_store, q)
    assert time.perf_counter() - t0 < 0.5
    assert ans["intent"] == "unknown"
