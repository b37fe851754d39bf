"""Questions about the report's lighthouse factories (Table 2), in Chinese and English."""
from __future__ import annotations

import pytest

from kg.chat.answer import answer

JIANGSU = {"博世（无锡）", "上汽大通（南京）", "宝洁（太仓）", "强生（苏州）"}


@pytest.mark.parametrize("q, value, expect", [
    ("有哪些灯塔工厂", 12, None),
    ("Which lighthouse factories are there in China?", 12, None),
    ("江苏有几座灯塔工厂？", 4, JIANGSU),
    ("Lighthouse factories in Jiangsu", 4, JIANGSU),
    ("上海的灯塔工厂", 1, {"宝山钢铁（上海）"}),
    ("2020年入选的灯塔工厂有哪些", 7, None),
    ("哪些企业有灯塔工厂", 11, None),
    ("Which companies run lighthouse factories in Jiangsu?", 4, {"博世", "上汽大通", "宝洁", "强生"}),
])
def test_lighthouse_questions(dev_store_ro, q, value, expect):
    ans = answer(dev_store_ro, q)
    assert ans["intent"] == "factories", ans
    assert ans["value"] == value and len(ans["entities"]) == value
    if expect is not None:
        assert set(ans["entities"]) == expect
    assert "MATCH (f:Factory)" in ans["cypher"]


def test_an_investor_question_with_the_word_is_not_about_factories(dev_store_ro):
    # "灯塔" only switches to factories when no investor is named
    ans = answer(dev_store_ro, "深创投投了哪些公司")
    assert ans["intent"] == "portfolio"
