"""The chat's counts are the data's, not its lists' caps: at 100k deals a list carries at most 1,000
rows, and the sentence still says how many matched; an investor's overview reads its companies and
co-investors and never says "nothing connected" of a node with thousands of neighbours."""
from __future__ import annotations

import re

from kg.chat import answer
from kg.queries import run


def test_a_capped_list_says_the_whole_count(demo_100k):
    _, store = demo_100k
    for q, unit in (("浙江有哪些公司获得了融资？", "家"), ("Which companies in Zhejiang raised money?", " compan")):
        a = answer(store, q)
        assert a["total"] > a["shown"] == 1000, a
        assert a["value"] == a["total"] and f"{a['total']}{unit}" in a["text"], a["text"][:80]
    rounds = answer(store, "2019年有哪些融资？")
    assert rounds["total"] > rounds["shown"] and rounds["value"] == rounds["total"]
    assert f"共 {rounds['total']} 起（列出 {rounds['shown']} 起）" in rounds["text"], rounds["text"][:80]
    en = answer(store, "List every deal of 2019")
    assert f"{en['total']} in all ({en['shown']} listed)" in en["text"], en["text"][:80]


def test_an_investors_overview_reads_its_companies_and_co_investors(dev_store_ro):
    a = answer(dev_store_ro, "介绍一下深创投")
    deals = run(dev_store_ro, "deals", investor="深创投").rows[0]  # its rounds and companies
    partners = run(dev_store_ro, "co_investors", investor="深创投")
    assert a["intent"] == "neighborhood"
    assert f"参与{deals['deals']}轮融资" in a["text"] and f"投资{deals['companies']}家公司" in a["text"]
    assert f"与{partners.value}家机构合投" in a["text"], a["text"]
    en = answer(dev_store_ro, "Tell me about 深创投")
    assert f"{deals['deals']} rounds" in en["text"] and f"co-invested with {partners.value} investors" in en["text"]


def test_a_busy_investors_overview_says_what_it_read(demo_100k):
    _, store = demo_100k
    a = answer(store, "介绍一下深创投")
    assert "没有" not in a["text"] and "至少" in a["text"]
    n = re.search(r"2步内共([\d,]+)个节点", a["text"])
    assert n and int(n.group(1).replace(",", "")) > 1000, a["text"]
