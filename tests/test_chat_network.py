"""The chat on the co-investment network's centre: who sits in the middle of it (PageRank) and who
has the most co-investment partners (degree), in Chinese and English, under the question's filters;
what it cannot apply is said; the words are not taken silently by any other answer; the network's
own counts are the whole network's, not its drawn part.

Expected values are computed here from the pairs with networkx, not read back from the answer.
"""
from __future__ import annotations

import networkx as nx
import pytest

from kg.chat import Session, answer
from kg.queries import run


def _graph(store, **filters) -> nx.Graph:
    res = run(store, "coinvest_network", k=100_000, **filters)
    G = nx.Graph()
    G.add_weighted_edges_from((r["a"], r["b"], r["weight"]) for r in res.rows)
    return G


def _by_degree(G) -> list[tuple[str, int, int]]:
    return sorted(((n, G.degree(n), G.degree(n, weight="weight")) for n in G), key=lambda x: (-x[1], -x[2], x[0]))


@pytest.mark.parametrize("q", ["哪家机构的合投伙伴最多？", "Which investor has the most co-investment partners?",
                               "合作过的机构最多的是哪家投资机构", "Who is the best-connected investor?"])
def test_the_investor_with_the_most_partners(dev_store_ro, q):
    a = answer(dev_store_ro, q)
    ranked = _by_degree(_graph(dev_store_ro))
    top = [n for n, d, _ in ranked if d == ranked[0][1]]
    assert a["intent"] == "coinvest_network" and not a["partial"], a
    assert a["entities"] == top and a["value"] == ranked[0][1]
    assert f"{ranked[0][1]}" in a["text"]
    assert a["rows"][0]["investor"] == top[0] and a["rows"][0]["degree"] == ranked[0][1]


@pytest.mark.parametrize("q", ["合投网络中最核心的投资机构是哪些？", "Which investors are most central in the co-investment network?",
                               "Who are the most influential investors?"])
def test_the_most_central_investors_by_pagerank(dev_store_ro, q):
    a = answer(dev_store_ro, q)
    pr = nx.pagerank(_graph(dev_store_ro), weight="weight")
    expect = sorted(pr, key=lambda n: (-round(pr[n], 6), n))[:10]
    assert a["intent"] == "coinvest_network" and not a["partial"], a
    assert a["entities"] == expect
    assert "PageRank" in a["text"]
    assert [r["investor"] for r in a["rows"][:10]] == expect and len(a["rows"]) == len(pr)


def test_filters_and_a_number_apply(dev_store_ro):
    a = answer(dev_store_ro, "2019年平台领域合投伙伴最多的前5家机构")
    assert a["params"] == {"year": 2019, "segment": "平台"}
    ranked = _by_degree(_graph(dev_store_ro, year=2019, segment="平台"))
    assert a["entities"] == [n for n, _, _ in ranked[:5]]
    en = answer(dev_store_ro, "Top 3 most central investors in Zhejiang in 2019")
    pr = nx.pagerank(_graph(dev_store_ro, region="浙江", year=2019), weight="weight")
    assert en["entities"] == sorted(pr, key=lambda n: (-round(pr[n], 6), n))[:3]
    stage = answer(dev_store_ro, "2019年B轮以后合投伙伴最多的机构")  # a stage range: every round type of it
    assert stage["params"]["round"] == ["b", "b_plus", "c", "c_plus", "d", "e_plus", "pre_ipo"]


def test_what_the_network_cannot_take_is_said(dev_store_ro):
    a = answer(dev_store_ro, "领投最多且最核心的机构")
    assert a["intent"] == "coinvest_network" and a["partial"] and "只算领投" in a["ignored"]
    en = answer(dev_store_ro, "Most central investors in undisclosed rounds")
    assert en["partial"] and "disclosed or not" in en["ignored"] and "Not understood" in en["text"]


def test_the_words_are_not_taken_silently_by_another_answer(dev_store_ro):
    a = answer(dev_store_ro, "最有影响力的公司是哪家？")  # companies have no place in the investors' network
    assert a["intent"] != "coinvest_network" and a["partial"] and "最有影响力" in a["ignored"]


def test_follow_ups_keep_the_filters(dev_store_ro):
    s = Session()
    answer(dev_store_ro, "合投网络中最核心的投资机构是哪些？", s)
    assert answer(dev_store_ro, "那2019年呢？", s)["params"] == {"year": 2019}
    z = answer(dev_store_ro, "只看浙江", s)
    assert z["intent"] == "coinvest_network" and z["params"] == {"year": 2019, "region": "浙江"}
    top3 = answer(dev_store_ro, "前三名呢", s)
    assert top3["params"] == z["params"] and len(top3["entities"]) == 3
    s2 = Session()
    answer(dev_store_ro, "合投伙伴最多的机构", s2)
    port = answer(dev_store_ro, "它投了哪些公司？", s2)  # the last turn's words are not this turn's
    assert not port["partial"] and port["ignored"] == []


def test_the_network_answer_counts_the_whole_network(demo_100k):
    """At 100k deals the rows are the 1,000 heaviest pairs: the answer gives the network's own counts."""
    _, store = demo_100k
    res = run(store, "coinvest_network")
    assert res.value > len(res.rows)  # the cut this test is about
    for q, investors, pairs in (("合投网络是怎样的？", f"{res.meta['investors']:,}家机构", f"{res.value:,}对合投关系"),
                                ("Show me the co-investment network", f"{res.meta['investors']:,} investors",
                                 f"{res.value:,} pairs")):
        a = answer(store, q)
        assert a["intent"] == "coinvest_network" and investors in a["text"] and pairs in a["text"], a["text"]


@pytest.mark.parametrize("first,then", [("2019年最活跃的投资机构是哪家？", "它的合投伙伴有多少家？"),
                                        ("Which investor was most active in 2019?", "How many co-investors does it have?")])
def test_a_pronouns_co_investors(dev_store_ro, first, then):
    """它的合投伙伴有多少家 after naming an investor: its co-investors (was: its companies)."""
    s = Session()
    top = answer(dev_store_ro, first, s)["entities"][0]
    a = answer(dev_store_ro, then, s)
    direct = run(dev_store_ro, "co_investors", investor=top, year=2019)
    assert a["intent"] == "co_investors" and a["value"] == direct.value, a["text"][:120]


@pytest.mark.parametrize("q", ["合投网络中有几个社群？", "How many communities does the co-investment network have?"])
def test_how_many_communities(dev_store_ro, q):
    """Was: '398 deals' (a count of deals where communities were asked)."""
    res = run(dev_store_ro, "coinvest_network")
    a = answer(dev_store_ro, q)
    assert a["intent"] == "coinvest_network" and a["value"] == len(res.meta["communities"]) and not a["partial"], a["text"]


@pytest.mark.parametrize("q", ["深创投属于哪个合投社群？", "Which community is 深创投 in?"])
def test_the_community_of_an_investor(dev_store_ro, q):
    """Was: its co-investors (zh) or its overview (en)."""
    res = run(dev_store_ro, "coinvest_network")
    mine = next(c for c in res.meta["communities"] if "深创投" in c["members"])
    a = answer(dev_store_ro, q)
    assert a["value"] == mine["community"] + 1 and sorted(a["entities"]) == sorted(mine["members"]), a["text"][:120]
