"""Intent rules: many phrasings of each kind of question, Chinese and English, to the named query
and its parameters (parse only; answers are checked in test_chat_answers.py)."""
from __future__ import annotations

import pytest

from kg.chat import Session, parse

PRIVATE = ["early", "later", "strategic", "other"]  # market questions count financing rounds, not listings
SEQ, SCG, CAS, LEN, ZHEN, BAIDU = "红杉资本（中国）", "深创投", "中科创星", "联想创投", "真格基金", "百度风投"

CASES = [
    # portfolio
    ("列出联想创投投资的企业", "portfolio", {"investor": LEN}),
    ("联想创投投了哪些公司", "portfolio", {"investor": LEN}),
    ("联想创投的被投企业", "portfolio", {"investor": LEN}),
    ("联想创投的投资组合", "portfolio", {"investor": LEN}),
    ("告诉我联想创投的所有投资", "portfolio", {"investor": LEN}),
    ("联想创投都投过谁", "portfolio", {"investor": LEN}),
    ("Show the portfolio of Lenovo Capital", "portfolio", {"investor": LEN}),
    ("What did Lenovo Capital invest in?", "portfolio", {"investor": LEN}),
    ("Which companies has Lenovo Capital backed?", "portfolio", {"investor": LEN}),
    ("Companies backed by Lenovo Capital", "portfolio", {"investor": LEN}),
    ("Lenovo Capital's portfolio companies", "portfolio", {"investor": LEN}),
    ("深创投在2018年投了哪些公司", "portfolio", {"investor": SCG, "year": 2018}),
    ("What companies did Sequoia China invest in during 2019?", "portfolio", {"investor": SEQ, "year": 2019}),
    ("红杉中国2019年领投了哪些项目", "portfolio", {"investor": SEQ, "year": 2019, "lead_only": True}),
    ("Which companies did ZhenFund lead in 2019?", "portfolio", {"investor": ZHEN, "year": 2019, "lead_only": True}),
    ("深创投有哪些被投公司在北京", "portfolio", {"investor": SCG, "region": "北京"}),
    ("中科创星投资的公司中哪些在西安", "portfolio", {"investor": CAS, "region": "city:西安"}),
    ("深创投2019年以来投资的B轮公司", "portfolio", {"investor": SCG, "date_from": "2019", "round": ["b"]}),
    ("Show me everything Casstar has invested in since 2019", "portfolio", {"investor": CAS, "date_from": "2019"}),
    # investors of a company
    ("协同数据的投资方有哪些", "investors_of", {"company": "协同数据"}),
    ("谁投资了数澜科技", "investors_of", {"company": "数澜科技"}),
    ("数澜科技的股东有哪些", "investors_of", {"company": "数澜科技"}),
    ("数澜科技的投资人都有谁", "investors_of", {"company": "数澜科技"}),
    ("蓝昇信息获得过哪些机构的投资", "investors_of", {"company": "蓝昇信息"}),
    ("Which investors backed 墨子科技?", "investors_of", {"company": "墨子科技"}),
    ("Who funded 蓝昇信息?", "investors_of", {"company": "蓝昇信息"}),
    ("Which VCs invested in 数澜科技?", "investors_of", {"company": "数澜科技"}),
    ("宏途数据的领投方", "investors_of", {"company": "宏途数据", "lead_only": True}),
    ("Who led the B round of 宏途数据?", "investors_of", {"company": "宏途数据", "round": ["b"], "lead_only": True}),
    ("数澜的投资方有哪些", "investors_of", {"company": "数澜科技"}),  # a part of the name
    ("How many investors does 数澜科技 have?", "investors_of", {"company": "数澜科技"}),
    # co-investors
    ("红杉资本（中国）的合投机构", "co_investors", {"investor": SEQ}),
    ("Which firms co-invested with Baidu Ventures?", "co_investors", {"investor": BAIDU}),
    ("和深创投一起投资的机构有哪些", "co_investors", {"investor": SCG}),
    ("与中金共同投资过的机构", "co_investors", {"investor": "中金"}),
    ("中科创星的合投伙伴有哪些", "co_investors", {"investor": CAS}),
    ("List co-investors of Lenovo Capital in 2019", "co_investors", {"investor": LEN, "year": 2019}),
    ("和红杉资本（中国）一起投资次数最多的两家机构", "co_investors", {"investor": SEQ, "k": 2}),
    ("与红杉合投次数最多的三家机构", "co_investors", {"investor": SEQ, "k": 3}),
    ("Top 3 co-investors of Casstar", "co_investors", {"investor": CAS, "k": 3}),
    ("Who co-invests most with Shenzhen Capital Group?", "co_investors", {"investor": SCG}),
    ("深创投和红杉一起投了几次", "co_investors", {"investor": SCG}),
    # common portfolio
    ("红杉资本（中国）与中科创星都投资过的公司", "common_portfolio", {"a": SEQ, "b": CAS}),
    ("What did Sequoia China and Casstar both invest in?", "common_portfolio", {"a": SEQ, "b": CAS}),
    ("同创伟业和中科创星共同投资了哪些企业", "common_portfolio", {"a": "同创伟业", "b": CAS}),
    ("红杉和深创投的共同投资组合", "common_portfolio", {"a": SEQ, "b": SCG}),
    ("哪些公司同时获得了红杉和深创投的投资", "common_portfolio", {"a": SEQ, "b": SCG}),
    ("Where do Lenovo Capital and ZhenFund overlap?", "common_portfolio", {"a": LEN, "b": ZHEN}),
    ("Companies backed by both Casstar and Cowin", "common_portfolio", {"a": CAS, "b": "同创伟业"}),
    # counts
    ("同创伟业一共投了几家公司？", "company_count", {"investor": "同创伟业"}),
    ("联想创投一共投资了多少家企业", "company_count", {"investor": LEN}),
    ("深创投累计投资公司数量", "company_count", {"investor": SCG}),
    ("同创伟业投资了多少个项目", "company_count", {"investor": "同创伟业"}),
    ("How many companies has Casstar invested in?", "company_count", {"investor": CAS}),
    ("浙江有多少家公司获得融资", "company_count", {"region": "浙江"}),
    ("How many companies in Beijing received funding?", "company_count", {"region": "北京"}),
    ("同创伟业参与了几轮融资？", "deal_count", {"investor": "同创伟业"}),
    ("How many rounds did 百度风投 join in 2019?", "deal_count", {"investor": BAIDU, "year": 2019}),
    ("红杉投资了多少次", "deal_count", {"investor": SEQ}),
    ("东方富海的投资笔数", "deal_count", {"investor": "东方富海"}),
    ("How many deals did Casstar do?", "deal_count", {"investor": CAS}),
    ("成都有多少起融资？", "deal_count", {"region": "city:成都"}),
    ("How many deals happened in the Yangtze River Delta?", "deal_count", {"region": "长三角"}),
    ("长三角地区融资事件有多少", "deal_count", {"region": "长三角"}),
    ("How many financing events were there in Chengdu?", "deal_count", {"region": "city:成都"}),
    ("2019年B轮融资有几起", "deal_count", {"year": 2019, "round": ["b"]}),
    ("2019年超过1亿元的B轮融资有多少起", "deal_count", {"year": 2019, "round": ["b"], "min_amount": 1e8}),
    ("谷川智能融了几轮", "deal_count", {"company": "谷川智能"}),
    # rankings
    ("2018年出手最多的两家投资机构", "top_investors", {"year": 2018, "k": 2}),
    ("Who were the five most active investors in 2019?", "top_investors", {"year": 2019, "k": 5}),
    ("投资公司数量最多的三家机构", "top_investors", {"k": 3, "by": "companies"}),
    ("Which investors led the most rounds in 2019?", "top_investors", {"year": 2019, "lead_only": True}),
    ("哪个省份的融资最多", "region_summary", {"level": "province"}),
    ("Which city had the most deals in 2019?", "region_summary", {"year": 2019, "level": "city"}),
    ("各省融资金额排名", "region_summary", {"level": "province"}),
    ("有多少个城市发生过融资", "region_summary", {"level": "city"}),
    ("哪个领域融资金额最高", "segment_summary", {}),
    ("Rank the segments by deal count", "segment_summary", {}),
    ("哪个赛道最热", "segment_summary", {}),
    ("各领域的融资阶段分布", "segment_stage", {}),
    # companies by filters
    ("浙江有哪些企业拿到了B轮", "companies", {"region": "浙江", "round": ["b"]}),
    ("Which Shanghai companies raised a Series A?", "companies", {"region": "上海", "round": ["a"]}),
    ("工业软件及APP领域的融资企业", "companies", {"segment": "工业软件及APP"}),
    ("Which industrial software companies raised funding?", "companies", {"segment": "工业软件及APP"}),
    ("哪些公司在2019年拿到了超过3亿元的融资", "companies", {"year": 2019, "min_amount": 3e8}),
    ("Which security companies raised money?", "companies", {"segment": "安全"}),
    ("Shanghai startups with Series A funding", "companies", {"region": "上海", "round": ["a"]}),
    # money
    ("博联网络总共融了多少钱", "amount_total", {"company": "博联网络"}),
    ("宏途数据一共融了多少亿", "amount_total", {"company": "宏途数据"}),
    ("蓝昇信息累计获得多少投资", "amount_total", {"company": "蓝昇信息"}),
    ("How much did 清匠科技 raise in total?", "amount_total", {"company": "清匠科技"}),
    ("What was the total disclosed funding in 2018?", "amount_total", {"year": 2018}),
    ("深创投参与的融资金额合计", "amount_total", {"investor": SCG}),
    ("长三角融资总额", "amount_total", {"region": "长三角"}),
    ("2019年单笔最大的融资", "largest_rounds", {"year": 2019}),
    ("Top 3 rounds by amount in 2019", "largest_rounds", {"year": 2019, "k": 3}),
    ("What are the three largest rounds in 2019?", "largest_rounds", {"year": 2019, "k": 3}),
    # paths, history, time
    ("深创投和博联网络有什么关系", "path", {"a": "investor:深创投", "b": "company:博联网络"}),
    ("How is Casstar connected to 数澜科技?", "path", {"a": "investor:中科创星", "b": "company:数澜科技"}),
    ("宏途数据的融资历程", "funding_history", {"company": "宏途数据"}),
    ("Show the funding history of 数澜科技", "funding_history", {"company": "数澜科技"}),
    ("按年份的融资趋势", "timeline", {"by": "year"}),
    ("Show deals by quarter in 2019", "timeline", {"year": 2019, "by": "quarter"}),
    ("长三角的合投集群", "region_clusters", {"region": "长三角"}),
    ("合投网络", "coinvest_network", {}),
    ("深创投", "neighborhood", {"entity": "investor:深创投"}),
    # comparisons, locations, distributions, bare names
    ("北京和上海哪个融资多", "region_summary", {"level": "province"}),
    ("杭州和成都哪个城市的融资金额更高", "region_summary", {"level": "city"}),
    ("红杉和深创投谁投得多", "top_investors", {}),
    ("Who invested more, Sequoia China or Casstar?", "top_investors", {}),
    ("哪些机构同时投资了数澜科技和协同数据", "investors_of", {"company": "数澜科技"}),
    ("数澜科技位于哪个城市", "neighborhood", {"entity": "company:数澜科技", "hops": 1}),
    ("Where is 宏途数据 based?", "neighborhood", {"entity": "company:宏途数据", "hops": 1}),
    ("红杉投资的公司分布在哪些城市", "portfolio", {"investor": SEQ}),
    ("融资金额最多的三家公司", "companies", {}),
    ("杭州", "companies", {"region": "city:杭州"}),
    # policies and listings
    ("2017年发布工业互联网政策的省份有哪些？", "policies", {"year": 2017}),
    ("Which provinces published industrial internet plans in 2017?", "policies", {"year": 2017}),
    ("国家级政策有哪些", "policies", {"level": "national"}),
    ("浙江省的工业互联网政策", "policies", {"region": "浙江"}),
    ("Which companies listed on the STAR Market in September 2019?", "listings",
     {"board": "star", "date_from": "2019-09", "date_to": "2019-09"}),
    ("Which firms went public on the STAR board in Sept 2019?", "listings",
     {"board": "star", "date_from": "2019-09", "date_to": "2019-09"}),
    ("2019年科创板上市了多少家公司", "listings", {"board": "star", "year": 2019}),
    ("哪些公司在2019年7月登陆科创板", "listings", {"board": "star", "date_from": "2019-07", "date_to": "2019-07"}),
]


@pytest.mark.parametrize("q, intent, params", CASES, ids=[c[0][:40] for c in CASES])
def test_intent_and_params(dev_store_ro, q, intent, params):
    p = parse(dev_store_ro, q)
    assert p.intent == intent, str(p)
    for k, v in params.items():
        assert p.params.get(k) == v, str(p)


@pytest.mark.parametrize("q", ["你好", "asdf", "", "今天天气怎么样", "Tell me a joke", "谢谢", "123", "?"])
def test_unknown(dev_store_ro, q):
    assert parse(dev_store_ro, q).intent == "unknown"


def test_ranking_singular_and_plural(dev_store_ro):
    one = parse(dev_store_ro, "Which investor did the most deals in 2018?")
    many = parse(dev_store_ro, "Which investors did the most deals in 2018?")
    assert one.mode["singular"] and not many.mode["singular"]
    assert parse(dev_store_ro, "谁是2019年最活跃的投资人").mode["singular"]
    assert not parse(dev_store_ro, "Who has co-invested with Polaris Capital?").mode.get("singular")


FOLLOW_UPS = [
    # (first question, follow-up, expected intent, expected params)
    ("红杉资本（中国）2019年投了哪些公司", "那深创投呢？", "portfolio", {"investor": SCG, "year": 2019}),
    ("深创投2019年投了哪些公司", "只看2018年的", "portfolio", {"investor": SCG, "year": 2018}),
    ("深创投2019年投了哪些公司", "What about in 2018?", "portfolio", {"investor": SCG, "year": 2018}),
    ("深创投2019年投了哪些公司", "2018到2019年呢", "portfolio", {"investor": SCG, "date_from": "2018", "date_to": "2019"}),
    ("深创投投了哪些公司", "浙江的呢", "portfolio", {"investor": SCG, "region": "浙江"}),
    ("深创投投了哪些公司", "只看领投的", "portfolio", {"investor": SCG, "lead_only": True}),
    ("深创投投了哪些公司", "B轮呢", "portfolio", {"investor": SCG, "round": ["b"]}),
    ("深创投投了哪些公司", "那墨子科技呢", "investors_of", {"company": "墨子科技"}),
    ("深创投投了哪些公司", "它的合投机构呢", "co_investors", {"investor": SCG}),
    ("What did Sequoia China and Baidu Ventures both invest in?", "And with Casstar?", "common_portfolio",
     {"a": SEQ, "b": CAS}),
    ("和深创投一起投资次数最多的两家机构", "前五名呢", "co_investors", {"investor": SCG, "k": 5}),
    ("和深创投一起投资次数最多的两家机构", "那红杉呢", "co_investors", {"investor": SEQ, "k": 2}),
    ("Top 3 co-investors of Casstar", "What about Lenovo Capital?", "co_investors", {"investor": LEN, "k": 3}),
    ("成都有多少起融资？", "那杭州呢？", "deal_count", {"region": "city:杭州", "round": PRIVATE}),
    ("成都有多少起融资？", "2019年的呢", "deal_count", {"region": "city:成都", "year": 2019, "round": PRIVATE}),
    ("成都有多少起融资？", "B轮呢", "deal_count", {"region": "city:成都", "round": ["b"]}),
    ("How many deals did Casstar do in 2019?", "What about Lenovo Capital?", "deal_count", {"investor": LEN, "year": 2019}),
    ("How many deals did Casstar do in 2019?", "And in 2020?", "deal_count", {"investor": CAS, "year": 2020}),
    ("Who invested in 数澜科技?", "What about 蓝昇信息?", "investors_of", {"company": "蓝昇信息"}),
    ("Who invested in 蓝昇信息?", "How many rounds did it raise?", "deal_count", {"company": "蓝昇信息"}),
    ("2019年7月科创板上市的公司", "那9月呢", "listings", {"board": "star", "date_from": "2019-09", "date_to": "2019-09"}),
    ("2018年发布工业互联网政策的省份有哪些", "2019年呢", "policies", {"year": 2019}),
    ("2019年出手最多的两家投资机构", "前五名呢", "top_investors", {"year": 2019, "k": 5}),
    ("深创投2019年投了哪些公司", "不限年份", "portfolio", {"investor": SCG}),
]


@pytest.mark.parametrize("first, follow, intent, params", FOLLOW_UPS, ids=[f"{a[:16]}→{b[:16]}" for a, b, *_ in FOLLOW_UPS])
def test_follow_up(dev_store_ro, first, follow, intent, params):
    s = Session()
    s.record(parse(dev_store_ro, first, s))
    p = parse(dev_store_ro, follow, s)
    assert p.intent == intent, str(p)
    assert p.params == params, str(p)
    assert p.followup


def test_policy_follow_up_keeps_asking_for_regions(dev_store_ro):
    s = Session()
    s.record(parse(dev_store_ro, "2018年发布工业互联网政策的省份有哪些", s))
    assert parse(dev_store_ro, "2019年呢", s).mode["want"] == "regions"


def test_modes_for_comparisons_and_distributions(dev_store_ro):
    assert parse(dev_store_ro, "北京和上海哪个融资多").mode["only"] == ["北京", "上海"]
    assert parse(dev_store_ro, "哪些机构同时投资了数澜科技和协同数据").mode["also"] == ["协同数据"]
    assert parse(dev_store_ro, "红杉投资的公司分布在哪些城市").mode["want"] == "city"
    assert parse(dev_store_ro, "博联网络属于哪个领域").mode["want"] == "segment"
    assert parse(dev_store_ro, "融资金额最多的三家公司").mode["metric"] == "amount_cny"


@pytest.mark.parametrize("q, private", [
    ("成都有多少起融资？", True), ("2019年的融资总额", True), ("哪个省份的融资最多", True), ("浙江有哪些企业", True),
    ("2019年有多少起IPO", False), ("浙江有哪些企业拿到了B轮", False), ("深创投参与了几轮融资", False),
    ("数澜科技融了几轮", False), ("2019年科创板上市了多少家公司", False),
])
def test_market_questions_count_financing_rounds_not_listings(dev_store_ro, q, private):
    p = parse(dev_store_ro, q)
    assert (p.params.get("round") == PRIVATE) is private, str(p)
