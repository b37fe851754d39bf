"""What the demo data is calibrated to: the report's 2019 figures, read from the seed data.

Published numbers come from ``loaders/seed_data/figures.yaml`` and ``table5_investors.yaml``
(never retyped here). Where the report is silent (how 中西部's 87 events split over its
provinces, the Fig. 10 bar heights, the B-to-pre-IPO split, the three segments it gives no share
for), :data:`ASSUMPTIONS` holds plausible weights, kept apart and labelled as such.

:func:`quotas` turns shares and counts into exact integer quotas for any number of deals
(largest remainder, so the parts always add up to the whole).

Examples
--------
>>> t = load_targets()
>>> t.events, t.companies, t.companies_multi_round, t.disclosed_events
(752, 678, 71, 270)
>>> t.table5["红杉资本（中国）"]
14
>>> largest_remainder([0.5, 0.25, 0.25], 7)
[3, 2, 2]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from kg.reporting.events import round_types
from ontology import load as load_ontology

__all__ = ["Targets", "ASSUMPTIONS", "DEMO_YEARS", "VALUE_ADDED_CNY_YI", "VALUE_ADDED_SOURCE", "year_factor", "load_targets", "largest_remainder", "Quotas", "quotas",
           "EARLY_TYPES", "LATER_TYPES"]

# the report's groups of round types, as ontology/rounds.yaml says (one home: kg.reporting.events)
EARLY_TYPES = round_types("early")     # the report's "A+轮及以前": seed, angel, pre_a, a, a_plus
LATER_TYPES = round_types("later")     # pre_b … pre_ipo

# Not in the report: plausible weights where it gives no breakdown. Each is normalised where used.
ASSUMPTIONS: dict = {
    # Fig. 10 bar heights are not in the text; only "Feb and Mar fewest; Jul, Nov, Dec most, fairly even".
    "month_weights": [62, 40, 46, 60, 62, 63, 76, 62, 62, 58, 78, 83],
    # how a macro region's events outside its published provinces split (中西部: 四川, 湖北, 陕西, 湖南 most active)
    "province_weights": {
        "京津冀": {"天津": 0.6, "河北": 0.4},
        "长三角": {"安徽": 1.0},
        "粤港澳大湾区": {"澳门": 0.0},
        "中西部": {"四川": 0.22, "湖北": 0.19, "陕西": 0.16, "湖南": 0.14, "重庆": 0.08, "河南": 0.07,
                 "贵州": 0.035, "江西": 0.03, "山西": 0.02, "广西": 0.02, "云南": 0.015, "甘肃": 0.01},
        # events outside every published macro region (none at the report's numbers: 311+236+118+87 = 752)
        "其他": {"山东": 0.35, "福建": 0.3, "辽宁": 0.15, "海南": 0.1, "吉林": 0.05, "黑龙江": 0.05},
    },
    # cities within provinces (北京, 上海, 杭州, 南京, 深圳 the most active cities)
    "city_weights": {
        "浙江": {"杭州": 0.7, "宁波": 0.12, "嘉兴": 0.06, "绍兴": 0.05, "湖州": 0.04, "温州": 0.03},
        "江苏": {"南京": 0.5, "苏州": 0.27, "无锡": 0.11, "常州": 0.07, "南通": 0.05},
        "广东": {"深圳": 0.62, "广州": 0.25, "东莞": 0.06, "佛山": 0.05, "珠海": 0.02},
        "安徽": {"合肥": 0.8, "芜湖": 0.2},
        "河北": {"石家庄": 0.4, "廊坊": 0.35, "保定": 0.25},
        "四川": {"成都": 0.9, "绵阳": 0.1},
        "湖北": {"武汉": 0.9, "宜昌": 0.05, "襄阳": 0.05},
        "陕西": {"西安": 0.95, "宝鸡": 0.05},
        "湖南": {"长沙": 0.8, "株洲": 0.2},
        "河南": {"郑州": 0.8, "洛阳": 0.2},
        "山东": {"济南": 0.45, "青岛": 0.45, "烟台": 0.1},
        "福建": {"福州": 0.4, "厦门": 0.6},
        "辽宁": {"沈阳": 0.5, "大连": 0.5},
    },
    # the report gives 相关服务 37%, 平台 18%, 工业软件及APP 7%, 网络及标识 6%; the other three share 32%
    "segment_weights_rest": {"工业智能设备": 0.13, "工业自动化与边缘计算": 0.12, "安全": 0.07},
    # relative propensity of a segment's events to be A+ or earlier (Fig. 12: above / below average)
    "segment_early_multiplier": {"相关服务": 1.08, "平台": 1.07, "工业智能设备": 1.05, "工业软件及APP": 1.10,
                                 "网络及标识": 0.78, "工业自动化与边缘计算": 0.82, "安全": 0.74},
    "seed_share_of_seed_angel": 0.25,
    # B to pre-IPO ("the rest over B..IPO-stage")
    "later_weights": {"pre_b": 0.06, "b": 0.38, "b_plus": 0.12, "c": 0.18, "c_plus": 0.06, "d": 0.09,
                      "e_plus": 0.04, "pre_ipo": 0.07},
}


# Other years. The report's venture figures are for 2019 only; the one yearly series it prints for the
# whole industry is the core industry's value added (report 2020 §1.2 text, 中国信息通信研究院测算:
# 2018 4389亿元, 2019 5361亿元). The demo's events and disclosed amounts in other years follow it:
# 2018 = 2019 × 4389/5361; before 2018 (the report gives nothing) the same yearly growth (×5361/4389)
# is assumed to run backwards. Every other shape (regions, months, stages, segments) is 2019's.
VALUE_ADDED_CNY_YI = {2018: 4389, 2019: 5361}
VALUE_ADDED_SOURCE = "report 2020 §1.2 text (核心产业增加值 2018 4389亿元, 2019 5361亿元)"
DEMO_YEARS = (2016, 2017, 2018, 2019)


def year_factor(year: int) -> float:
    """The demo's size in ``year`` relative to 2019: the report's value-added ratio where it gives one,
    else that growth rate continued (a stated assumption, see above)."""
    va = VALUE_ADDED_CNY_YI
    if year in va:
        return va[year] / va[2019]
    growth = va[2019] / va[2018]
    first, last = min(va), max(va)
    if year < first:
        return va[first] / va[2019] / growth ** (first - year)
    return growth ** (year - last)


def largest_remainder(weights, total: int, rng: np.random.Generator | None = None) -> list[int]:
    """Integers proportional to ``weights`` that sum to ``total`` (Hamilton's method; ties broken
    by ``rng`` when given, else by position)."""
    w = np.asarray(weights, dtype=float)
    total = int(total)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(w)
    exact = w / w.sum() * total
    base = np.floor(exact + 1e-9).astype(np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        frac = exact - base
        tie = rng.random(len(w)) * 1e-9 if rng is not None else -np.arange(len(w)) * 1e-12
        order = np.argsort(-(frac + tie), kind="stable")
        base[order[:rest]] += 1
    return [int(x) for x in base]


@dataclass(frozen=True)
class Targets:
    """The report's published 2019 figures the generator aims at (at the report's own scale)."""

    events: int
    companies: int
    companies_multi_round: int
    disclosed_events: int
    disclosed_amount_cny: int
    regions: dict                 # published event counts by province / macro region name
    macro_members: dict           # macro region name -> province names (from the ontology)
    months_fewest: tuple
    months_most: tuple
    seed_angel_share: float
    pre_a_share: float
    a_share: float
    a_plus_and_earlier_events: int
    strategic_share: float
    segments_by_company: dict     # published shares
    above_average: tuple
    below_average: tuple
    table5: dict                  # investor name -> reported_2019_companies
    active_cities: tuple = ("北京", "上海", "杭州", "南京", "深圳")
    active_midwest: tuple = ("四川", "湖北", "陕西", "湖南")
    figures: dict = field(default_factory=dict, repr=False)  # the whole figures.yaml


@lru_cache(maxsize=1)
def load_targets() -> Targets:
    """Read the calibration targets from the seed data."""
    from loaders.seed import read_seed

    fig = read_seed("figures.yaml")
    onto = load_ontology()
    h, reg, rnd = fig["headline"], fig["regions"], fig["rounds"]
    macro = {r.name: tuple(onto.region_by_id(m).name for m in r.members) for r in onto.regions if r.level == "macro"}
    counts = {k: int(v) for k, v in reg.items() if isinstance(v, int) and not isinstance(v, bool)}
    segs = {k: float(v) for k, v in fig["segments_by_company"].items() if isinstance(v, (int, float))}
    t5 = {rec["name"]: int(rec["reported_2019_companies"]) for rec in read_seed("table5_investors.yaml")}
    return Targets(
        events=int(h["events"]), companies=int(h["companies"]), companies_multi_round=int(h["companies_multi_round"]),
        disclosed_events=int(h["disclosed_events"]), disclosed_amount_cny=int(h["disclosed_amount_cny"]),
        regions=counts, macro_members=macro,
        months_fewest=tuple(fig["months"]["fewest"]), months_most=tuple(fig["months"]["most"]),
        seed_angel_share=float(rnd["seed_angel_share"]), pre_a_share=float(rnd["pre_a_share"]),
        a_share=float(rnd["a_share"]), a_plus_and_earlier_events=int(rnd["a_plus_and_earlier_events"]),
        strategic_share=float(rnd["strategic_share"]), segments_by_company=segs,
        above_average=tuple(fig["segment_stage"]["above_average"]),
        below_average=tuple(fig["segment_stage"]["below_average"]),
        table5=t5, figures=fig)


@dataclass
class Quotas:
    """Exact integer targets for ``n`` deals (the report's shape at another size)."""

    events: int
    companies: int
    multi_sizes: list            # rounds of each multi-round company (each >= 2)
    disclosed: int
    total_cny: int               # disclosed total, in yuan (a multiple of 10万)
    provinces: dict              # province name -> events
    months: list                 # events per month 1..12
    segments: dict               # segment name -> companies
    rounds: dict                 # round type -> events (segment-independent totals)
    early_multiplier: dict
    table5: dict                 # investor -> companies
    scale: float


def _province_events(t: Targets, n: int, rng) -> dict:
    """Events by province: published provinces scale, each macro region's remainder spreads over its
    other members by :data:`ASSUMPTIONS`, and whatever is outside every published macro region
    goes to the "其他" weights."""
    s = n / t.events
    exact: dict[str, float] = {}
    covered = 0
    for macro, members in t.macro_members.items():
        if macro not in t.regions:
            continue
        total = t.regions[macro]
        covered += total
        known = {p: t.regions[p] for p in members if p in t.regions}
        for p, v in known.items():
            exact[p] = exact.get(p, 0) + v * s
        rest = total - sum(known.values())
        w = {p: v for p, v in ASSUMPTIONS["province_weights"].get(macro, {}).items() if p not in known}
        if rest > 0:
            if not w or sum(w.values()) <= 0:
                w = {p: 1.0 for p in members if p not in known}
            z = sum(w.values())
            for p, v in w.items():
                exact[p] = exact.get(p, 0) + rest * s * v / z
    rest = t.events - covered
    if rest > 0:
        w = ASSUMPTIONS["province_weights"]["其他"]
        z = sum(w.values())
        for p, v in w.items():
            exact[p] = exact.get(p, 0) + rest * s * v / z
    names = list(exact)
    alloc = largest_remainder([exact[p] for p in names], n, rng)
    return {p: a for p, a in zip(names, alloc) if a > 0}


def quotas(n: int, rng: np.random.Generator | None = None, targets: Targets | None = None) -> Quotas:
    """Exact integer quotas for ``n`` deals with the report's 2019 shape."""
    t = targets or load_targets()
    s = n / t.events
    companies = max(1, min(n, round(t.companies * s)))
    extra = n - companies
    multi = min(round(t.companies_multi_round * s), extra)
    if multi == 0 and extra > 0:
        multi = min(extra, companies)
    sizes = [2] * multi
    k, left = 0, extra - multi
    while left > 0 and multi > 0:        # the extra rounds beyond the second go round-robin
        sizes[k % multi] += 1
        k += 1
        left -= 1
    disclosed = min(n, round(t.disclosed_events * s))
    total = round(t.disclosed_amount_cny * s / 1e5) * 100_000 if disclosed else 0
    months = largest_remainder(ASSUMPTIONS["month_weights"], n, rng)
    seg_w = dict(t.segments_by_company)
    rest = max(0.0, 1.0 - sum(seg_w.values()))
    rw = ASSUMPTIONS["segment_weights_rest"]
    for name, v in rw.items():
        seg_w[name] = rest * v / sum(rw.values())
    seg_names = [sg.name for sg in load_ontology().segments]
    segments = dict(zip(seg_names, largest_remainder([seg_w.get(x, 0.0) for x in seg_names], companies, rng)))
    # rounds: A+ and earlier (with its printed parts), strategic, and the rest over B..pre-IPO
    early = min(n, round(t.a_plus_and_earlier_events * s))
    seed_angel = round(t.seed_angel_share * n)
    pre_a, a = round(t.pre_a_share * n), round(t.a_share * n)
    while seed_angel + pre_a + a > early:   # only at tiny n
        a = max(0, a - 1) if a else a
        if seed_angel + pre_a + a > early:
            pre_a = max(0, pre_a - 1)
        if seed_angel + pre_a + a > early:
            seed_angel = max(0, seed_angel - 1)
    seed_ = round(seed_angel * ASSUMPTIONS["seed_share_of_seed_angel"])
    rounds = {"seed": seed_, "angel": seed_angel - seed_, "pre_a": pre_a, "a": a,
              "a_plus": early - seed_angel - pre_a - a}
    strategic = min(n - early, round(t.strategic_share * n))
    later = n - early - strategic
    lw = ASSUMPTIONS["later_weights"]
    rounds.update(zip(LATER_TYPES, largest_remainder([lw[x] for x in LATER_TYPES], later, rng)))
    rounds["strategic"] = strategic
    table5 = {name: min(companies, round(c * s)) for name, c in t.table5.items()}
    return Quotas(events=n, companies=companies, multi_sizes=sizes, disclosed=disclosed, total_cny=total,
                  provinces=_province_events(t, n, rng), months=months, segments=segments, rounds=rounds,
                  early_multiplier=dict(ASSUMPTIONS["segment_early_multiplier"]), table5=table5, scale=s)
