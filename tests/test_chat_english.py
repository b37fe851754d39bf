"""English answers name the ontology's investors, regions and segments in English, the Chinese
canonical name beside it; entities (what scripts compare) stay canonical."""
from __future__ import annotations

from kg.chat.answer import answer, english_names


def test_whole_names_get_their_english_name_first():
    assert english_names("Investors of 深创投: 红杉资本（中国）, 同创伟业, 某某科技.") == (
        "Investors of Shenzhen Capital Group (深创投): Sequoia Capital China (红杉资本（中国）), "
        "Cowin Capital (同创伟业), 某某科技.")


def test_names_inside_longer_chinese_words_are_left_alone():
    # a city in a company's name, a segment in a longer word
    assert english_names("Companies: 杭州海康威视, 北京数字工厂.") == "Companies: 杭州海康威视, 北京数字工厂."
    assert english_names("in 杭州 and 浙江") == "in Hangzhou (杭州) and Zhejiang (浙江)"
    assert english_names("no Chinese here") == "no Chinese here"
    # already bracketed: not wrapped twice
    assert english_names("Sequoia Capital China (红杉资本（中国）)") == "Sequoia Capital China (红杉资本（中国）)"


def test_an_english_question_gets_english_names_and_canonical_entities(dev_store_ro):
    en = answer(dev_store_ro, "Which companies did Sequoia China invest in?")
    zh = answer(dev_store_ro, "红杉中国投了哪些公司？")
    assert en["entities"] == zh["entities"] and en["value"] == zh["value"] > 0
    assert en["text"].startswith("Sequoia Capital China (红杉资本（中国）)")
    assert "Sequoia" not in zh["text"] and zh["text"].startswith("红杉资本（中国）")


def test_who_invested_in_a_region_means_investors_and_who_raised_means_companies(dev_store_ro):
    inv = answer(dev_store_ro, "Who invested in Shenzhen companies?")
    assert inv["intent"] == "top_investors"
    assert inv["entities"] == answer(dev_store_ro, "深圳企业的投资机构有哪些？")["entities"]
    assert answer(dev_store_ro, "谁投资了深圳的企业？")["entities"] == inv["entities"]
    raised = answer(dev_store_ro, "Who raised money in Shenzhen?")
    assert raised["intent"] == "companies" and set(raised["entities"]) == {"图灵智能", "玄机智造", "睿铂网络"}


def test_english_funding_history_names_rounds_in_english(dev_store_ro):
    en = answer(dev_store_ro, "Funding history of 数澜科技")
    zh = answer(dev_store_ro, "数澜科技的融资历史")
    assert en["entities"] == zh["entities"] == ["Pre-A轮", "A轮", "B轮"]  # canonical labels, as stored
    assert "Series A" in en["text"] and "Series B" in en["text"] and "A轮" not in en["text"]
    assert "A轮" in zh["text"]
