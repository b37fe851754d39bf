"""Named queries on the embedded store: the dev-eval answers, filters, ties, hostile names, errors,
and the shape every Result promises (Cypher with $params, a consistent graph)."""
from __future__ import annotations

PRIVATE = ["early", "later", "strategic", "other"]  # round groups: every round but listings

import itertools
import re
from collections import Counter

import pytest

from kg.errors import QueryError
from kg.queries import REGISTRY, run
from kg.queries.samples import HOSTILE, tricky_batch

LENOVO = {"凌工数据", "图灵智能", "墨子科技", "天枢信息", "宇控数据", "宏途数据", "岩思信息", "炬芯网络", "燧石信息",
          "玄机智造", "睿铂网络", "航拓智造", "谷川智能", "镭射网络"}


@pytest.fixture(scope="module")
def tricky_store(tmp_path_factory):
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path_factory.mktemp("tricky"))
    store.apply(tricky_batch())
    return store


def names(res, col):
    return [r[col] for r in res.rows]


# ---------------------------------------------------------------------------- the dev-eval answers
@pytest.mark.parametrize("name, params, col, expect", [
    ("portfolio", {"investor": "联想创投"}, "company", LENOVO),
    ("portfolio", {"investor": "Lenovo Capital"}, "company", LENOVO),
    ("portfolio", {"investor": "ZhenFund"}, "company",
     {"协同数据", "墨子科技", "宏途数据", "岩思信息", "帆宇网络", "清匠科技", "燧石信息", "精诚信息", "蓝昇信息"}),
    ("portfolio", {"investor": "深创投", "year": 2018}, "company",
     {"图灵智能", "宇控数据", "岩思信息", "数澜科技", "燧石信息", "睿铂网络", "航拓智造", "谷川智能", "钛擎智能"}),
    ("investors_of", {"company": "协同数据"}, "investor", {"中金", "国中创投", "深创投", "真格基金", "红杉资本（中国）", "达晨资本"}),
    ("co_investors", {"investor": "Baidu Ventures"}, "investor",
     {"东方富海", "中科创星", "中金", "北辰资本", "同创伟业", "国中创投", "深创投", "甬江基金", "红杉资本（中国）", "联想创投", "远见创投"}),
    ("common_portfolio", {"a": "红杉资本（中国）", "b": "中科创星"}, "company",
     {"优必数据", "凌工数据", "宇控数据", "玄机智造", "谷川智能", "钛擎智能"}),
    ("companies", {"region": "浙江", "round": "B轮"}, "company", {"宏途数据", "蓝昇信息"}),
    ("companies", {"region": "Shanghai", "round": "Series A"}, "company", {"炬芯网络"}),
    ("companies", {"segment": "工业软件及APP"}, "company", {"博联网络", "宏途数据", "岩思信息", "玄机智造", "钛擎智能"}),
    ("policies", {"year": 2017, "level": "provincial"}, "region", {"上海"}),
    ("listings", {"board": "star", "date_from": "2019-09", "date_to": "2019-09"}, "company", {"山石网科"}),
    # the report's Table 2: lighthouse factories in Jiangsu, and the ones named in 2020
    ("factories", {"region": "江苏"}, "factory", {"博世（无锡）", "上汽大通（南京）", "宝洁（太仓）", "强生（苏州）"}),
    ("factories", {"year": 2020, "region": "长三角"}, "company", {"上汽大通", "宝山钢铁", "宝洁", "强生"}),
])
def test_dev_sets(dev_store_ro, name, params, col, expect):
    res = run(dev_store_ro, name, **params)
    assert set(names(res, col)) == expect
    assert res.value == len(expect) or res.value is None


@pytest.mark.parametrize("name, params, expect", [
    ("company_count", {"investor": "同创伟业"}, 14),
    ("deal_count", {"investor": "同创伟业"}, 16),
    ("deal_count", {"investor": "百度风投", "year": 2019}, 3),
    ("deal_count", {"region": "成都"}, 6),
    ("deal_count", {"region": "Yangtze River Delta", "round": PRIVATE}, 30),
    # the report's listings (Table 3 and named ones, located by province) are rounds too: 14 in the YRD
    ("deal_count", {"region": "Yangtze River Delta"}, 44),
    ("deal_count", {"region": "长三角", "round": "ipo"}, 14),
    ("amount_total", {"company": "博联网络"}, 639000000),
])
def test_dev_values(dev_store_ro, name, params, expect):
    assert run(dev_store_ro, name, **params).value == pytest.approx(expect)


def test_rankings(dev_store_ro):
    top = run(dev_store_ro, "co_investors", investor="红杉资本（中国）", k=2)
    assert names(top, "investor") == ["中金", "深创投"]
    assert top.truncated and top.meta["omitted"] == top.value - 2
    full = run(dev_store_ro, "co_investors", investor="红杉资本（中国）")
    assert [(r["investor"], r["shared_rounds"]) for r in full.rows][:2] == [(r["investor"], r["shared_rounds"])
                                                                              for r in top.rows]
    assert names(run(dev_store_ro, "top_investors", year=2018, k=2), "investor") == ["深创投", "红杉资本（中国）"]


# ---------------------------------------------------------------------------- filters
def test_date_to_is_an_inclusive_prefix(dev_store_ro):
    month = run(dev_store_ro, "deal_count", date_from="2019-09", date_to="2019-09")
    assert month.value == 4 and all(r["date"].startswith("2019-09") for r in month.rows)
    assert run(dev_store_ro, "deal_count", date_from="2019-09-08", date_to="2019-09-18").value == 2


def test_region_includes_cities_and_members(dev_store_ro):
    province = run(dev_store_ro, "deal_count", region="江苏").value
    cities = sum(run(dev_store_ro, "deal_count", region=c).value for c in ("苏州", "南京", "无锡"))
    assert province == cities > 0
    macro = run(dev_store_ro, "deal_count", region="长三角", round=PRIVATE).value
    members = sum(run(dev_store_ro, "deal_count", region=p, round=PRIVATE).value for p in ("上海", "江苏", "浙江", "安徽"))
    assert macro == members == 30


def test_round_min_amount_and_lead_only(dev_store_ro):
    res = run(dev_store_ro, "deal_count", round=["A轮", "Series B"], min_amount="5亿元")
    assert res.value == len(res.rows) > 0
    assert all(r["type"] in ("a", "b") and r["amount_cny"] >= 5e8 for r in res.rows)
    led = run(dev_store_ro, "portfolio", investor="深创投", lead_only=True)
    every = run(dev_store_ro, "portfolio", investor="深创投")
    assert 0 < led.value < every.value and all(r["lead"] for r in led.rows)
    with pytest.raises(QueryError, match="lead_only needs an investor"):
        run(dev_store_ro, "deal_count", lead_only=True)


def test_empty_answers_are_not_errors(dev_store_ro):
    assert run(dev_store_ro, "portfolio", investor="联想创投", year=1999).rows == []
    assert run(dev_store_ro, "deal_count", year=1999).value == 0
    assert run(dev_store_ro, "amount_total", year=1999).value == 0.0
    assert run(dev_store_ro, "coinvest_network", year=1999).rows == []


def test_undisclosed_amounts_are_counted_apart(dev_store_ro):
    res = run(dev_store_ro, "amount_total", investor="深创投")
    assert res.meta["undisclosed"] > 0 and res.meta["rounds"] == res.meta["disclosed"] + res.meta["undisclosed"]
    assert res.value == pytest.approx(sum(r["amount_cny"] or 0 for r in res.rows))
    assert run(dev_store_ro, "amount_total", company="山石网科").value is None  # listed, proceeds not stated


# ---------------------------------------------------------------------------- the projection and analytics
def test_network_weights_equal_a_count_over_rounds(dev_store_ro):
    G = dev_store_ro.graph
    expect = Counter()
    for r in dev_store_ro.nodes_by_label("Round"):
        invs = sorted(s for s, _, k in G.in_edges(r, keys=True) if k == "INVESTED_IN")
        expect.update(itertools.combinations(invs, 2))
    res = run(dev_store_ro, "coinvest_network")
    got = {(r["a_id"], r["b_id"]): r["weight"] for r in res.rows}
    assert got == dict(expect)
    assert [r["weight"] for r in res.rows] == sorted((r["weight"] for r in res.rows), reverse=True)
    members = [m for c in res.meta["communities"] for m in c["members"]]
    assert len(members) == len(set(members)) == res.meta["investors"]
    nodes = {n["id"]: n for n in res.graph["nodes"]}
    assert all({"community", "degree", "weighted_degree", "pagerank"} <= n.keys() for n in nodes.values())
    assert sum(n["pagerank"] for n in nodes.values()) == pytest.approx(1, abs=1e-4)
    strong = run(dev_store_ro, "coinvest_network", min_shared=3)
    assert strong.rows and all(r["weight"] >= 3 for r in strong.rows) and strong.value < res.value


def test_region_clusters(dev_store_ro):
    res = run(dev_store_ro, "region_clusters", region="长三角")
    assert res.value == len(res.rows) >= 1
    local = set(names(run(dev_store_ro, "companies", region="长三角"), "company"))
    for row in res.rows:
        assert row["size"] == len(row["investors"]) >= 2
        assert set(row["companies"]) <= local



def test_coinvest_network_keeps_the_k_heaviest_pairs_and_counts_all(dev_store_ro):
    every = run(dev_store_ro, "coinvest_network")
    assert not every.truncated and every.value == len(every.rows) > 5
    cut = run(dev_store_ro, "coinvest_network", k=5)
    assert cut.rows == every.rows[:5] and cut.value == every.value
    assert cut.truncated and cut.meta["omitted"] == every.value - 5
    # communities and centralities are the whole network's; the graph draws the kept pairs only
    assert cut.meta["communities"] == every.meta["communities"] and cut.meta["investors"] == every.meta["investors"]
    assert len(cut.graph["edges"]) == 5
    assert {n["id"] for n in cut.graph["nodes"]} == {r["a_id"] for r in cut.rows} | {r["b_id"] for r in cut.rows}


def test_coinvest_network_row_order_is_the_same_from_arrays_and_from_dicts(dev_store_ro):
    from kg.index import graph_index
    from kg.queries.network import _sort_pairs, pairs_embedded
    ref = _sort_pairs(pairs_embedded(graph_index(dev_store_ro), None))
    for k in (1, 3, len(ref) // 2, len(ref), len(ref) + 10):
        got = run(dev_store_ro, "coinvest_network", k=k).rows
        assert got == [{x: r[x] for x in ("a", "b", "weight", "a_id", "b_id")} for r in ref[:k]]


def test_region_clusters_draws_whole_communities_up_to_a_node_budget(dev_store_ro, monkeypatch):
    from kg.queries import network
    full = run(dev_store_ro, "region_clusters", region="长三角")
    assert not full.truncated and len(full.rows) >= 2
    monkeypatch.setattr(network, "GRAPH_NODES", 1)
    small = run(dev_store_ro, "region_clusters", region="长三角")
    assert small.rows == full.rows  # rows never shrink
    assert small.truncated and small.meta["graph_omitted"] == len(full.rows) - 1
    drawn = {n["name"] for n in small.graph["nodes"] if n["label"] == "Investor"}
    assert drawn == set(full.rows[0]["investors"])

# ---------------------------------------------------------------------------- ties and hostile names
def test_ties_break_by_name(tricky_store):
    co = run(tricky_store, "co_investors", investor="甲资本")
    assert [(r["investor"], r["shared_rounds"]) for r in co.rows] == [
        ("乙创投", 3), ("丙基金", 2), ('<script>alert（"x"）</script>基金', 1), ('Alpha "Quoted" Ventures', 1), ("丁基金", 1)]
    cut = run(tricky_store, "co_investors", investor="甲资本", k=3)
    assert names(cut, "investor") == names(co, "investor")[:3] and cut.value == 5
    top = run(tricky_store, "top_investors", k=7)
    assert names(top, "investor")[4:7] == ['Alpha "Quoted" Ventures', "Alpha Fund", "Zeta Fund"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_data(tricky_store, name):
    res = run(tricky_store, "portfolio", investor=name)
    assert res.value == len(res.rows) >= 1
    assert name not in res.cypher and res.params_cypher["investor"].startswith("investor:")
    assert run(tricky_store, "search", text=name).rows[0]["label"] == "Investor"


def test_foreign_currency_undated_and_listing(tricky_store):
    big = run(tricky_store, "largest_rounds", k=20)
    usd = next(r for r in big.rows if r["company"] == "<b>粗体</b>公司")
    assert usd["amount_cny"] > 2e7  # 2000万美元 converted
    tl = run(tricky_store, "timeline", by="month")
    assert tl.meta == {**tl.meta, "undated": 1, "imprecise": 1}
    assert names(run(tricky_store, "listings", board="科创板"), "code") == ["688999"]


# ---------------------------------------------------------------------------- paths, neighbourhoods, search
def test_path_and_neighborhood(dev_store_ro):
    p = run(dev_store_ro, "path", a="联想创投", b="中科创星")
    assert p.value == 2 and all(r["path"][0] == "联想创投" and r["path"][-1] == "中科创星" for r in p.rows)
    assert all(r["types"] == ["INVESTED_IN", "INVESTED_IN"] for r in p.rows)
    assert run(dev_store_ro, "path", a="西门子", b="数澜科技", max_hops=2).rows == []
    assert run(dev_store_ro, "path", a="深创投", b="深创投").value == 0
    hood = run(dev_store_ro, "neighborhood", entity="浙江", hops=2, limit=10)
    assert len(hood.rows) == 10 and hood.truncated and hood.meta["omitted"] == hood.value - 10
    assert [r["hops"] for r in hood.rows] == sorted(r["hops"] for r in hood.rows)


@pytest.mark.parametrize("text, expect", [("联想", "联想创投"), ("Sequoia China", "红杉资本（中国）"),
                                          ("ｓｅｑｕｏｉａ", "红杉资本（中国）"), ("杭州市", "杭州"), ("数澜", "数澜科技")])
def test_search_and_partial_names(dev_store_ro, text, expect):
    assert run(dev_store_ro, "search", text=text).rows[0]["name"] == expect


# ---------------------------------------------------------------------------- mistakes
@pytest.mark.parametrize("name, params, message", [
    ("portfolio", {"investor": "不存在的机构"}, "no investor named"),
    ("portfolio", {"investor": "资本"}, "could be any of"),
    ("portfolio", {}, "missing parameter investor"),
    ("portfolio", {"investor": "深创投", "colour": "red"}, "unknown parameter"),
    ("portfolio", {"investor": "深创投", "round": "Z轮"}, "unknown round"),
    ("portfolio", {"investor": "深创投", "year": "twenty"}, "whole number"),
    ("portfolio", {"investor": "深创投", "date_from": "2019-13"}, "impossible date"),
    ("portfolo", {}, "did you mean portfolio"),
    ("region_summary", {"level": "planet"}, "expected one of"),
    ("listings", {"board": "nasdaq"}, "unknown board"),
])
def test_mistakes_raise_query_errors(dev_store_ro, name, params, message):
    with pytest.raises(QueryError, match=message):
        run(dev_store_ro, name, **params)


# ---------------------------------------------------------------------------- every query's Result
MINIMAL = {"portfolio": {"investor": "深创投"}, "investors_of": {"company": "数澜科技"},
           "funding_history": {"company": "数澜科技"}, "co_investors": {"investor": "深创投"},
           "common_portfolio": {"a": "深创投", "b": "红杉资本（中国）"}, "region_clusters": {"region": "广东"},
           "path": {"a": "深创投", "b": "联想创投"}, "neighborhood": {"entity": "深创投"}, "search": {"text": "深"}}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_result_is_consistent(dev_store_ro, name):
    q = REGISTRY[name]
    assert q.doc.strip() and q.columns and all(p.help for p in q.params)
    res = run(dev_store_ro, name, **MINIMAL.get(name, {}))
    assert res.rows, f"{name} found nothing on the dev data"
    for row in res.rows:
        assert set(q.columns) <= row.keys()
    for key in re.findall(r"\$(\w+)", res.cypher):
        assert key in res.params_cypher, f"{name}: ${key} has no value"
    ids = {n["id"] for n in res.graph["nodes"]}
    assert all({"id", "label", "name"} <= n.keys() for n in res.graph["nodes"])
    assert all(e["source"] in ids and e["target"] in ids for e in res.graph["edges"])
    assert res.as_dict()["name"] == name


def test_index_follows_writes(dev_store):
    from kg.model import Batch
    from loaders.deals import deal_batch

    before = run(dev_store, "portfolio", investor="联想创投").value
    b = Batch()
    deal_batch(b, company="新公司", source="test", date="2021-01-01", round_label="A轮", investors=["联想创投"])
    dev_store.apply(b)
    after = run(dev_store, "portfolio", investor="联想创投")
    assert after.value == before + 1 and "新公司" in names(after, "company")


def test_docs_cover_every_query():
    from kg.queries.docs import markdown

    text = markdown()
    for name, q in REGISTRY.items():
        assert f"## {name}\n" in text
        assert all(f"`{p.name}`" in text for p in q.params)


def test_factories_are_the_reports_table_2(dev_store_ro):
    res = run(dev_store_ro, "factories")
    assert res.value == len(res.rows) == 12  # 12 factories at 11 companies (Haier twice)
    assert len({r["company"] for r in res.rows}) == 11
    assert sum(r["year"] == 2020 for r in res.rows) == 7
    assert all(r["source"].startswith("report:") and "Table 2" in r["source"] for r in res.rows)
    ids = {n["id"] for n in res.graph["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in res.graph["edges"])
    assert {e["type"] for e in res.graph["edges"]} == {"OPERATES", "LOCATED_IN"}
