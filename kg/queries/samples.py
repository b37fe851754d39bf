"""A small hand-built graph that is hard on queries: ties in every ranking, hostile names (quotes,
backslashes, ``<script>``), Chinese and English names, foreign currency, undisclosed and undated
rounds, a listing. The query tests and the cross-backend conformance suite load it.

>>> b = tricky_batch()
>>> sorted(b.counts()["nodes"])
['Company', 'Investor', 'Region', 'Round', 'Segment']
"""
from __future__ import annotations

from kg.model import Batch

__all__ = ["HOSTILE", "TRICKY_DEALS", "tricky_batch"]

HOSTILE = ["O'Brien Capital", '<script>alert("x")</script>基金', 'Alpha "Quoted" Ventures', "反斜杠\\资本"]

# date, company, round, amount, investors, leads, segment, province, city
TRICKY_DEALS = [
    ("2019-01-10", "甲乙科技", "A轮", "1亿元", ["甲资本", "乙创投", "丙基金"], ["甲资本"], "平台", "浙江", "杭州"),
    ("2019-03-05", "丙丁智能", "天使轮", "5000万元", ["甲资本", "乙创投", "丁基金"], ["乙创投"], "安全", "江苏", "苏州"),
    ("2019-03-20", "<b>粗体</b>公司", "B轮", "2000万美元", ["丙基金", "丁基金", HOSTILE[0]], [HOSTILE[0]], "平台",
     "上海", "上海"),
    ("2019-07", "O'Neil科技", "Pre-A轮", "未披露", [HOSTILE[1], HOSTILE[2], "甲资本"], [HOSTILE[1]],
     "工业软件及APP", "北京", "北京"),
    ("2020-02-29", "反斜杠\\公司", "战略投资", "3亿元", [HOSTILE[3], "乙创投", HOSTILE[2]], [HOSTILE[3]], "安全",
     "广东", "深圳"),
    ("2020", "年份公司", "C轮", "1亿元", ["丙基金", "丁基金"], ["丙基金"], "平台", "浙江", "宁波"),
    (None, "无日期公司", "种子轮", "100万元", ["甲资本", "丙基金"], [], None, "湖北", "武汉"),
    ("2020-05-06", "甲乙科技", "B轮", "1亿元", ["甲资本", "乙创投"], ["乙创投"], "平台", "浙江", "杭州"),
    ("2020-06-01", "Tie Co", "A+轮", "2亿元", ["Zeta Fund", "Alpha Fund"], ["Zeta Fund"], "平台", "江苏", "南京"),
    ("2020-06-02", "Tie Co 2", "A+轮", "2亿元", ["Zeta Fund", "Alpha Fund"], [], "平台", "江苏", "南京"),
]


def tricky_batch() -> Batch:
    """The deals above (plus the regions and segments they name) as one batch, with an IPO."""
    from loaders.deals import deal_batch
    from loaders.parse import parse_amount
    from loaders.seed import regions_batch
    from ontology import load

    b = Batch()
    regions_batch(b)
    for s in load().segments:
        b.node("Segment", s.id, "ontology:segments.yaml", name=s.name, name_en=s.name_en, aliases=list(s.aliases))
    for k, (date, company, rnd, amount, invs, leads, seg, prov, city) in enumerate(TRICKY_DEALS, start=1):
        deal_batch(b, company=company, source=f"sample#L{k}", date=date, round_label=rnd,
                   amount=parse_amount(amount), investors=invs, leads=leads, segment=seg, province=prov, city=city)
    deal_batch(b, company="上市公司", source="sample#ipo", date="2019-09-18", round_label="IPO",
               amount=parse_amount("10亿元"), investors=[], leads=[], segment="平台", province="浙江", city="杭州",
               round_props={"board": "star", "code": "688999"})
    return b
