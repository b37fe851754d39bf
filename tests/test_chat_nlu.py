"""The chat's understanding: names found in the text (spaCy span ruler + filter) and slot rules,
in Chinese and English. Parse-level only: no query runs here."""
from __future__ import annotations

import functools

import pytest

from kg.chat.nlu import NLU, Entry, Lexicon, detect_language, extract_slots, nlu_for, normalise


def slots(text: str) -> dict:
    from kg.chat.nlu import collect_slots

    return collect_slots(extract_slots(text))


# ----------------------------------------------------------------------------------------- time
@pytest.mark.parametrize("text, want", [
    ("深创投在2018年投了哪些公司", {"year": 2018}),
    ("How many rounds did 百度风投 join in 2019?", {"year": 2019}),
    ("2019年度的融资", {"year": 2019}),
    ("2019年11月有哪些融资", {"date_from": "2019-11", "date_to": "2019-11"}),
    ("2019年9月到11月", {"date_from": "2019-09", "date_to": "2019-11"}),
    ("2019年9月至2020年2月", {"date_from": "2019-09", "date_to": "2020-02"}),
    ("listed on the STAR Market in September 2019", {"date_from": "2019-09", "date_to": "2019-09"}),
    ("deals in Sep. 2019", {"date_from": "2019-09", "date_to": "2019-09"}),
    ("deals in 2019-07", {"date_from": "2019-07", "date_to": "2019-07"}),
    ("2018-2019年的融资", {"date_from": "2018", "date_to": "2019"}),
    ("2018到2019年", {"date_from": "2018", "date_to": "2019"}),
    ("从2018年至2020年", {"date_from": "2018", "date_to": "2020"}),
    ("between 2018 and 2019", {"date_from": "2018", "date_to": "2019"}),
    ("from 2018 to 2020", {"date_from": "2018", "date_to": "2020"}),
    ("in 2018 and 2019", {"date_from": "2018", "date_to": "2019"}),
    ("since 2018", {"date_from": "2018"}),
    ("2019年以来", {"date_from": "2019"}),
    ("2018年之后", {"date_from": "2019"}),
    ("after 2018", {"date_from": "2019"}),
    ("2019 onwards", {"date_from": "2019"}),
    ("before 2019", {"date_to": "2018"}),
    ("2019年以前", {"date_to": "2018"}),
    ("截至2019年底", {"date_to": "2019"}),
    ("2019年第三季度", {"date_from": "2019-07", "date_to": "2019-09"}),
    ("Q3 2019", {"date_from": "2019-07", "date_to": "2019-09"}),
    ("the first quarter of 2020", {"date_from": "2020-01", "date_to": "2020-03"}),
    ("2019年上半年", {"date_from": "2019-01", "date_to": "2019-06"}),
    ("H2 2019", {"date_from": "2019-07", "date_to": "2019-12"}),
])
def test_time_slots(text, want):
    got = {k: v for k, v in slots(text).items() if k in ("year", "date_from", "date_to")}
    assert got == want


@pytest.mark.parametrize("text", ["融资2000万元", "raised 2019 million yuan", "超过2000万", "代码688001", "前3名"])
def test_numbers_that_are_not_years(text):
    s = slots(text)
    assert "year" not in s and "date_from" not in s


# ---------------------------------------------------------------------------------------- rounds
@pytest.mark.parametrize("text, want", [
    ("浙江有哪些企业拿到了B轮", ["b"]),
    ("Which Shanghai companies raised a Series A?", ["a"]),
    ("A+轮融资", ["a_plus"]),
    ("series b+ deals", ["b_plus"]),
    ("Pre-A轮", ["pre_a"]),
    ("pre-IPO rounds", ["pre_ipo"]),
    ("天使轮", ["angel"]),
    ("angel rounds in 2019", ["angel"]),
    ("种子轮", ["seed"]),
    ("获得战略投资的公司", ["strategic"]),
    ("strategic investments", ["strategic"]),
    ("C轮", ["c"]),
    ("E轮", ["e_plus"]),
    ("B-round companies", ["b"]),
    ("A轮及以前", ["a"]),   # the round; the frame reads 及以前 / 及以后 as its bound (test_chat_frame)
    ("B轮及以后", ["b"]),
    ("天使轮和A轮", ["angel", "a"]),
])
def test_round_slots(text, want):
    assert slots(text).get("round") == want


@pytest.mark.parametrize("text", ["Which companies raised a round in 2019?", "工业软件及APP领域", "a round of funding",
                                  "Show me a list"])
def test_no_round_in_ordinary_words(text):
    assert "round" not in slots(text)


# ------------------------------------------------------------------------------------ k and lead
@pytest.mark.parametrize("text, k", [
    ("前三", 3), ("前3名", 3), ("前十", 10), ("最多的两家机构", 2), ("出手最多的5家", 5), ("三家最活跃的机构", 3),
    ("哪两家机构合投最多", 2), ("top 5 investors", 5), ("Top-3", 3), ("the three most active investors", 3),
    ("five most active", 5), ("前五名呢", 5),
])
def test_k(text, k):
    assert slots(text).get("k") == k


@pytest.mark.parametrize("text", ["一起投资的机构", "一共投了几家公司", "投了3家公司", "2019年前的融资"])
def test_no_k(text):
    assert "k" not in slots(text)


@pytest.mark.parametrize("text, lead", [
    ("红杉领投了哪些公司", True), ("宏途数据的领投方", True), ("Who led the B round?", True),
    ("as lead investor", True), ("rounds Casstar led", True), ("跟投的机构", False),
    ("the leading investors in 2019", False), ("和红杉一起投资的机构", False),
])
def test_lead(text, lead):
    assert bool(slots(text).get("lead_only")) is lead


# ------------------------------------------------------------------------------------------ money
@pytest.mark.parametrize("text, amount", [
    ("超过1亿元", 1e8), ("1亿元以上的融资", 1e8), ("大于5000万", 5e7), ("不低于五千万元", 5e7),
    ("over 100 million yuan", 1e8), ("more than RMB 50 million", 5e7), ("at least 200m yuan", 2e8),
    ("过亿的融资", 1e8), ("单笔超过10亿元", 1e9), ("rounds of 1 billion yuan or more", 1e9),
])
def test_min_amount(text, amount):
    assert slots(text).get("min_amount") == pytest.approx(amount)


def test_usd_threshold_converted_to_cny():
    v = slots("over US$10 million")["min_amount"]
    assert 5e7 < v < 9e7


@pytest.mark.parametrize("text", ["超过3家", "over 5 deals", "at least 2 rounds", "more than 10 companies"])
def test_counts_are_not_money(text):
    assert "min_amount" not in slots(text)


# ------------------------------------------------------------------------------- boards & levels
@pytest.mark.parametrize("text, board", [
    ("科创板上市", "star"), ("STAR Market", "star"), ("创业板", "chinext"), ("ChiNext listings", "chinext"),
    ("中小板", "sme"), ("主板上市公司", "main"), ("Main Board", "main"),
])
def test_board(text, board):
    assert slots(text).get("board") == board


@pytest.mark.parametrize("text, level, key", [
    ("国家级政策", "national", "policy_level"), ("national policies", "national", "policy_level"),
    ("省级政策", "provincial", "policy_level"), ("发布政策的省份", "province", "region_level"),
    ("which cities", "city", "region_level"), ("哪个城市", "city", "region_level"),
    ("Which provinces issued policies", "province", "region_level"), ("多少个省发布了政策", "province", "region_level"),
])
def test_levels(text, level, key):
    assert slots(text).get(key) == level


@pytest.mark.parametrize("text, what", [
    ("不限年份", "time"), ("all years", "time"), ("所有轮次", "round"), ("any round", "round"),
    ("不限地区", "region"),
])
def test_clear(text, what):
    assert what in slots(text).get("clear", [])


def test_many_rounds_is_not_clear_round():
    assert "clear" not in slots("How many rounds did it join?")


# ------------------------------------------------------------------------------------ language
@pytest.mark.parametrize("text, lang", [
    ("列出联想创投投资的企业", "zh"), ("Show the portfolio of Lenovo Capital", "en"), ("ZhenFund的被投公司有哪些", "zh"),
    ("Which investors backed 墨子科技?", "en"), ("深创投", "zh"), ("asdf", "en"),
])
def test_language(dev_store_ro, text, lang):
    assert nlu_for(dev_store_ro).parse(text).language == lang


def test_detect_language_plain():
    assert detect_language("你好") == "zh" and detect_language("hello") == "en"


def test_normalise_full_width():
    assert normalise("Ｂ轮８亿元，　ＩＤＧ") == "B轮8亿元, IDG"


# ------------------------------------------------------------------------------------------ names
@functools.lru_cache(maxsize=1)
def small_nlu() -> NLU:
    entries = [Entry("investor:中金", "Investor", "中金"), Entry("investor:中金资本", "Investor", "中金资本"),
               Entry("province:北京", "Region", "北京", "province"), Entry("city:南京", "Region", "南京", "city"),
               Entry("company:南京擎天科技", "Company", "南京擎天科技"), Entry("segment:网络及标识", "Segment", "网络及标识"),
               Entry("investor:百度风投", "Investor", "百度风投"), Entry("investor:东方富海", "Investor", "东方富海")]
    pats = [("中金", "investor:中金"), ("中金资本", "investor:中金资本"), ("北京", "province:北京"), ("京", "province:北京"),
            ("南京", "city:南京"), ("南京擎天科技", "company:南京擎天科技"), ("网络", "segment:网络及标识"),
            ("Network", "segment:网络及标识"), ("Baidu Ventures", "investor:百度风投"), ("OFC", "investor:东方富海"),
            ("东方富海", "investor:东方富海")]
    return NLU(Lexicon.from_entries(entries, pats))


@pytest.mark.parametrize("text, want", [
    ("中金资本投了哪些公司", [("Investor", "中金资本")]),            # longest match wins
    ("中金投了哪些公司", [("Investor", "中金")]),
    ("南京有哪些公司", [("Region", "南京")]),                       # 京 never fires alone, not inside 南京
    ("南京擎天科技的投资方", [("Company", "南京擎天科技")]),           # the city inside a longer company name
    ("京沪的公司", []),                                             # single-character aliases never fire
    ("网络领域的企业", [("Segment", "网络及标识")]),
    ("中金的合投网络", [("Investor", "中金")]),                       # 网络 of 合投网络 is not the segment
    ("the co-investment network of Baidu Ventures", [("Investor", "百度风投")]),
    ("Network segment deals", [("Segment", "网络及标识")]),
    ("Which firms co-invested with baidu ventures?", [("Investor", "百度风投")]),  # case-insensitive
    ("show the portfolio of casstar", []),                          # 'of c…' is not OFC
    ("OFC的投资", [("Investor", "东方富海")]),
    ("OFCX", []),                                                   # not inside a Latin word
])
def test_mentions(text, want):
    p = small_nlu().parse(text)
    assert [(m.label, m.name) for m in p.mentions] == want


def test_mentions_from_graph_aliases(dev_store_ro):
    nlu = nlu_for(dev_store_ro)
    p = nlu.parse("Show the portfolio of Lenovo Capital and 红杉中国 in Zhejiang, Yangtze River Delta, 工业软件")
    got = {(m.label, m.name) for m in p.mentions}
    assert got == {("Investor", "联想创投"), ("Investor", "红杉资本（中国）"), ("Region", "浙江"), ("Region", "长三角"),
                   ("Segment", "工业软件及APP")}
    assert all(m.id for m in p.mentions)


def test_municipality_means_the_province(dev_store_ro):
    p = nlu_for(dev_store_ro).parse("北京有多少起融资")
    assert p.mentions[0].id == "province:北京"


def test_investor_stem(dev_store_ro):
    p = nlu_for(dev_store_ro).parse("远见投了哪些公司")
    assert [m.name for m in p.mentions] == ["远见创投"]


def test_cache_rebuilds_when_data_changes(dev_store):
    from kg.model import Batch

    before = nlu_for(dev_store)
    assert nlu_for(dev_store) is before
    assert not nlu_for(dev_store).parse("新锐动力投了哪些公司").mentions
    b = Batch()
    b.node("Investor", "investor:新锐动力", "test", name="新锐动力", aliases=["Xinrui Power"])
    dev_store.apply(b)
    after = nlu_for(dev_store)
    assert after is not before
    assert [m.name for m in after.parse("What did Xinrui Power invest in?").mentions] == ["新锐动力"]


def test_skeleton_hides_names_and_slots(dev_store_ro):
    p = nlu_for(dev_store_ro).parse("联想创投在2019年投资了哪些B轮公司")
    assert p.skeleton == "Ⓘ在Ⓨ投资了哪些Ⓑ公司"


def test_parse_prints(dev_store_ro):
    from kg.chat import parse

    s = str(parse(dev_store_ro, "深创投2019年投了哪些公司"))
    assert "portfolio" in s and "2019" in s and "深创投" in s
