"""The ontology and the report's seed facts, loaded for real."""
import json

import pytest

from kg.loading import load_seed
from kg.store.embedded import EmbeddedStore
from ontology import clean_name, load, norm_key


def test_ontology_vocabularies():
    onto = load()
    assert len(onto.segments) == 7
    provinces = [r for r in onto.regions if r.level == "province"]
    assert len(provinces) == 34
    macros = {r.name: r for r in onto.regions if r.level == "macro"}
    assert set(macros) == {"长三角", "京津冀", "粤港澳大湾区", "珠三角", "中西部", "东北"}
    assert {m.split(":")[1] for m in macros["长三角"].members} == {"上海", "江苏", "浙江", "安徽"}
    # 珠三角 is nine cities of 广东, not a set of provinces: each city is PART_OF its province and of it
    prd = [r for r in onto.regions if r.level == "city" and "macro:珠三角" in r.parents]
    assert sorted(r.name for r in prd) == sorted(["广州", "深圳", "珠海", "佛山", "惠州", "东莞", "中山", "江门", "肇庆"])
    assert all(r.parents[0] == "province:广东" for r in prd) and not macros["珠三角"].members
    for p in provinces:
        assert p.capital and onto.region(p.capital, level="city") is not None, p.name


@pytest.mark.parametrize("text, rid", [
    ("宁夏回族自治区", "province:宁夏"), ("宁夏", "province:宁夏"), ("Ningxia", "province:宁夏"), ("浙江省", "province:浙江"),
    ("杭州", "city:杭州"), ("杭州市", "city:杭州"), ("Hangzhou", "city:杭州"), ("长三角", "macro:长三角"),
    ("Yangtze River Delta", "macro:长三角"), ("Greater Bay Area", "macro:粤港澳大湾区"), ("京津冀", "macro:京津冀"),
    ("北京", "province:北京"), ("Inner Mongolia", "province:内蒙古"), ("珠三角", "macro:珠三角"),
    ("Pearl River Delta", "macro:珠三角"), ("珠江三角洲地区", "macro:珠三角"),
])
def test_region_lookup(text, rid):
    assert load().region(text).id == rid


@pytest.mark.parametrize("alias, canon", [
    ("红杉中国", "红杉资本（中国）"), ("Sequoia China", "红杉资本（中国）"), ("HongShan", "红杉资本（中国）"),
    ("红杉资本(中国)", "红杉资本（中国）"), ("IDG 资本", "IDG资本"), ("Lenovo Capital", "联想创投"), ("ZhenFund", "真格基金"),
    ("Baidu Ventures", "百度风投"), ("Shenzhen Capital Group", "深创投"), ("Hillhouse Capital", "高瓴资本"),
    ("GSR Ventures", "金沙江创投"), ("Matrix Partners China", "经纬中国"), ("经纬创投", "经纬中国"),
    ("某不知名资本", "某不知名资本"),
])
def test_investor_aliases(alias, canon):
    assert load().investor_name(alias) == canon


def test_segment_spellings():
    onto = load()
    for s, name in [("工业软件", "工业软件及APP"), ("工业APP", "工业软件及APP"), ("网络与标识", "网络及标识"),
                    ("边缘计算", "工业自动化与边缘计算"), ("工业自动化", "工业自动化与边缘计算"), ("Platform", "平台")]:
        assert onto.segment(s).name == name


def test_names_normalise():
    assert norm_key("ＩＤＧ 资本") == norm_key("idg资本")
    assert clean_name("  红杉资本 ( 中国 ) ") == "红杉资本（中国）"


def test_seed_loads_the_report_facts(workspace, kg):
    p = kg("load", "seed", workspace=workspace)
    assert p.returncode == 0, p.stderr
    s = json.loads(kg("stats", "--json", workspace=workspace).stdout)
    G = EmbeddedStore(workspace).graph
    nodes = lambda label: [d for _, d in G.nodes(data=True) if d["_label"] == label]
    policies = nodes("Policy")
    assert len([p for p in policies if p["level"] == "provincial"]) == 27
    assert len([p for p in policies if p["level"] == "national"]) >= 5
    star = [r for r in nodes("Round") if r["type"] == "ipo" and r.get("board") == "star"]
    assert len(star) == 16
    t5 = [i for i in nodes("Investor") if "reported_2019_companies" in i]
    assert len(t5) == 20 and sum(i["reported_2019_companies"] for i in t5) == 185
    assert s["nodes"]["Segment"] == 7
    assert len([r for r in nodes("Region") if r["level"] == "province"]) >= 31
    assert len(nodes("Factory")) == 12
    # every fact cites where it came from; nothing synthetic in the seed
    for n, d in G.nodes(data=True):
        assert d.get("sources"), n
        assert not d.get("synthetic")
    shanshi = [r for r in star if r["code"] == "688030"][0]
    assert shanshi["date"] == "2019-09-30" and "Table 3" in shanshi["sources"][0]
    # the Shanghai policy of Table 1 (2017) is issued in 上海
    sh = [p for p in policies if p.get("year") == 2017 and p["level"] == "provincial"]
    assert len(sh) == 1 and G.has_edge(sh[0]["id"], "province:上海", "ISSUED_IN")
    # idempotent
    before = EmbeddedStore(workspace).stats()
    load_seed(EmbeddedStore(workspace))
    assert EmbeddedStore(workspace).stats() == before
