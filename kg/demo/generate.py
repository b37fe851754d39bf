"""Synthetic 2019 deals with the report's shape: :func:`generate` (numpy, columnar) and :func:`demo_batch`.

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``, so a seed and a
size always give the same data. The generator works on arrays (one entry per company, event,
investor or participation), so a million deals take seconds, not minutes:

1. exact integer quotas for the size (:func:`kg.demo.targets.quotas`): events by province,
   month, round type and segment, multi-round companies, disclosed events and their total;
2. companies per province (multi-round ones first, the rest single-round), a city in the province,
   a segment; events per company;
3. round types per segment so that Fig. 12's pattern holds (more A+-and-earlier in 相关服务, 平台,
   工业智能设备, 工业软件及APP), a company's rounds distinct and in stage order over time;
4. disclosed events (later rounds disclose more often) with heavy-tailed amounts (lognormal by
   stage) scaled to the published total exactly, 中西部 under 5% of the money;
5. investors: the 20 of Table 5 take part in exactly their reported number of companies (chosen
   by their stage, region and segment leanings, and drawn to the same "hot" deals, so they
   co-invest); the other slots go to synthetic investors grouped in syndicates (clubs of a region
   and a stage) who mostly invest with their own club, each active in fewer companies than the
   least active Table-5 investor; one lead per round mostly, leads being the more active firms.

:func:`demo_batch` turns the arrays into a :class:`~kg.model.Batch` (built as plain dicts, no
per-row helper calls), everything new marked ``synthetic=True`` with source
``synthetic:demo seed=S``. The Table-5 investors, regions and segments are the seed's real nodes:
the batch carries them unmarked, exactly as ``kg load seed`` writes them, so the demo also works on
an empty workspace, and only their new relationships are synthetic.
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field

import numpy as np

from kg.demo.names import company_names, investor_names
from kg.demo.targets import ASSUMPTIONS, EARLY_TYPES, LATER_TYPES, largest_remainder, load_targets, quotas
from kg.model import Batch
from ontology import load as load_ontology, norm_key

__all__ = ["DemoData", "generate", "demo_batch", "keep_syndicates", "DEFAULT_SEED", "DEFAULT_DEALS", "MAX_DEALS", "TABLE5_STYLE",
           "source_of"]

DEFAULT_SEED = 2019
DEFAULT_DEALS = 752
MAX_DEALS = 3_000_000
YEAR = 2019

TYPES = (*EARLY_TYPES, *LATER_TYPES, "strategic")
T_INDEX = {t: i for i, t in enumerate(TYPES)}
STAGE_GROUP = {"seed": 0, "angel": 0, "pre_a": 0, "a": 1, "a_plus": 1, "pre_b": 1, "b": 1,
               "b_plus": 2, "c": 2, "c_plus": 2, "d": 2, "e_plus": 2, "pre_ipo": 2, "strategic": 3}
GROUPS = ("early", "growth", "late", "strategic")
# investors per round by stage group (1, 2, 3, ... investors)
K_DIST = {0: [0.5, 0.32, 0.13, 0.05], 1: [0.3, 0.33, 0.22, 0.1, 0.05], 2: [0.22, 0.3, 0.25, 0.14, 0.09],
          3: [0.85, 0.15]}
# disclosure propensity and lognormal median amount (yuan) by round type
DISCLOSE_W = {"seed": 0.45, "angel": 0.55, "pre_a": 0.75, "a": 1.0, "a_plus": 1.1, "pre_b": 1.2, "b": 1.3,
              "b_plus": 1.4, "c": 1.5, "c_plus": 1.5, "d": 1.6, "e_plus": 1.6, "pre_ipo": 1.5, "strategic": 1.0}
MEDIAN_CNY = {"seed": 3e6, "angel": 8e6, "pre_a": 2e7, "a": 5e7, "a_plus": 8e7, "pre_b": 1.2e8, "b": 2e8,
              "b_plus": 3e8, "c": 5e8, "c_plus": 7e8, "d": 1e9, "e_plus": 1.5e9, "pre_ipo": 1.2e9,
              "strategic": 3e8}
SIGMA = 0.9
OUTSIDE_AMOUNT_SHARE = 0.04   # money outside 京津冀/长三角/粤港澳 (the report: 中西部 under 5%)
MAIN_MACROS = ("京津冀", "长三角", "粤港澳大湾区")

# Not facts: plausible leanings of the Table-5 investors for demo data (stage group weights,
# province and segment multipliers). 红杉 and 金沙江 follow what the report's §2.3.4 text says.
_ALL = {"early": 1.0, "growth": 1.0, "late": 1.0, "strategic": 0.2}
TABLE5_STYLE: dict[str, dict] = {
    "红杉资本（中国）": {"stage": {"early": 0.6, "growth": 1.5, "late": 1.5, "strategic": 0.2},
                  "segment": {"工业智能设备": 3, "工业自动化与边缘计算": 3, "平台": 3, "工业软件及APP": 3, "安全": 3,
                              "相关服务": 0.2, "网络及标识": 0.4}},
    "深创投": {"stage": _ALL, "province": {"广东": 3}},
    "中科创星": {"stage": {"early": 2.5, "growth": 1.0, "late": 0.3, "strategic": 0.1}, "province": {"陕西": 8},
             "segment": {"工业智能设备": 2, "工业自动化与边缘计算": 2}},
    "同创伟业": {"stage": {"early": 0.8, "growth": 2.0, "late": 1.0, "strategic": 0.1}, "province": {"广东": 2.5}},
    "金沙江创投": {"stage": {"early": 1.8, "growth": 1.2, "late": 0.3, "strategic": 0.1},
              "segment": {"平台": 5, "工业软件及APP": 5, "相关服务": 5, "安全": 0.3, "网络及标识": 0.3,
                          "工业智能设备": 0.3, "工业自动化与边缘计算": 0.3}},
    "联想创投": {"stage": {"early": 1.0, "growth": 1.5, "late": 0.8, "strategic": 0.3}, "province": {"北京": 2},
             "segment": {"平台": 1.5, "工业软件及APP": 1.5}},
    "百度风投": {"stage": {"early": 2.0, "growth": 1.0, "late": 0.3, "strategic": 0.2}, "province": {"北京": 2.5},
             "segment": {"平台": 2, "工业软件及APP": 2}},
    "高瓴资本": {"stage": {"early": 0.2, "growth": 1.0, "late": 3.0, "strategic": 0.3}},
    "中金": {"stage": {"early": 0.1, "growth": 0.8, "late": 3.0, "strategic": 0.5}},
    "国中创投": {"stage": {"early": 0.8, "growth": 1.5, "late": 1.0, "strategic": 0.1}, "province": {"北京": 2}},
    "源码资本": {"stage": {"early": 1.5, "growth": 1.5, "late": 0.5, "strategic": 0.1}, "province": {"北京": 2}},
    "东方富海": {"stage": {"early": 0.8, "growth": 1.5, "late": 1.0, "strategic": 0.1}, "province": {"广东": 2.5}},
    "IDG资本": {"stage": _ALL},
    "达晨资本": {"stage": {"early": 0.4, "growth": 1.5, "late": 2.0, "strategic": 0.1},
             "province": {"湖南": 3, "广东": 1.5}},
    "线性资本": {"stage": {"early": 2.5, "growth": 1.0, "late": 0.2, "strategic": 0.1}, "province": {"上海": 3},
             "segment": {"工业软件及APP": 2, "平台": 2}},
    "银杏谷资本": {"stage": {"early": 1.5, "growth": 1.0, "late": 0.4, "strategic": 0.1}, "province": {"浙江": 8}},
    "真格基金": {"stage": {"early": 4.0, "growth": 0.5, "late": 0.1, "strategic": 0.05}, "province": {"北京": 1.5}},
    "经纬中国": {"stage": {"early": 1.5, "growth": 1.5, "late": 0.5, "strategic": 0.1}},
    "北极光创投": {"stage": {"early": 1.5, "growth": 1.2, "late": 0.5, "strategic": 0.1}, "province": {"北京": 2}},
    "腾讯": {"stage": {"early": 0.2, "growth": 0.5, "late": 0.8, "strategic": 6.0}, "segment": {"平台": 2, "安全": 2}},
}

# syndicate ("club") keys: a region bucket and a stage group
_BUCKET_OF_MACRO = {"京津冀": "京津冀", "长三角": None, "粤港澳大湾区": "粤港澳", "中西部": "中西部", "东北": "其他"}
_OWN_BUCKET = {"上海": "上海", "浙江": "浙江", "江苏": "江苏安徽", "安徽": "江苏安徽"}
_MUNICIPAL_CITY = {"北京", "天津", "上海", "重庆", "香港", "澳门"}


def source_of(seed: int) -> str:
    """The provenance string of one demo run (every synthetic node and relationship carries it)."""
    return f"synthetic:demo seed={seed}"


@dataclass
class DemoData:
    """The generated deals as parallel arrays (positions are row numbers)."""

    seed: int
    n: int
    segments: list[str]
    provinces: list[str]
    cities: list[str]
    co_name: list[str]
    co_seg: np.ndarray        # index into segments
    co_prov: np.ndarray       # index into provinces
    co_city: np.ndarray       # index into cities
    ev_co: np.ndarray         # company of each event
    ev_type: np.ndarray       # index into TYPES
    ev_month: np.ndarray      # 1..12
    ev_day: np.ndarray
    ev_amount: np.ndarray     # yuan; nan when undisclosed
    inv_name: list[str]       # the Table-5 investors first
    inv_kind: list[str | None]
    inv_table5: np.ndarray    # bool
    inv_club: np.ndarray      # syndicate of a synthetic investor (-1 for Table 5)
    p_inv: np.ndarray         # participations: investor, event, lead
    p_ev: np.ndarray
    p_lead: np.ndarray
    clubs: list[tuple[str, str]] = field(default_factory=list)  # (region bucket, stage group)
    year: int = YEAR          # the year of every event (2019: the report's calibrated year)

    @property
    def source(self) -> str:
        return source_of(self.seed)

    def dates(self) -> list[str]:
        return [f"{self.year}-{m:02d}-{d:02d}" for m, d in zip(self.ev_month.tolist(), self.ev_day.tolist())]

    def summary(self) -> dict:
        """Counts of what was generated (printed by ``kg demo``)."""
        sizes = np.bincount(self.ev_co, minlength=len(self.co_name))
        disclosed = ~np.isnan(self.ev_amount)
        syn = ~self.inv_table5
        return {"seed": self.seed, "deals": self.n, "events": len(self.ev_co), "companies": len(self.co_name),
                "companies_multi_round": int((sizes >= 2).sum()), "disclosed_events": int(disclosed.sum()),
                "disclosed_amount_cny": float(np.nansum(self.ev_amount)),
                "investors_table5": int(self.inv_table5.sum()), "investors_synthetic": int(syn.sum()),
                "syndicates": len(self.clubs), "participations": len(self.p_inv),
                "leads": int(self.p_lead.sum())}


# ---------------------------------------------------------------------------------------------- helpers
def _gumbel_top(rng, logw: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices drawn without replacement with probability ∝ exp(logw) (Gumbel top-k)."""
    if k <= 0:
        return np.array([], dtype=np.int64)
    key = logw + rng.gumbel(size=len(logw))
    if k >= len(key):
        return np.argsort(-key, kind="stable")
    top = np.argpartition(-key, k - 1)[:k]
    return top[np.argsort(-key[top], kind="stable")]


def _draw_categorical(rng, probs: list[float], n: int) -> np.ndarray:
    """``n`` draws from 1..len(probs) with the given probabilities."""
    cdf = np.cumsum(probs) / np.sum(probs)
    return np.searchsorted(cdf, rng.random(n), side="right") + 1


def _bucket(province: str) -> str:
    onto = load_ontology()
    if province in _OWN_BUCKET:
        return _OWN_BUCKET[province]
    reg = onto.region(province, level="province")
    for p in reg.parents if reg else ():
        m = onto.region_by_id(p)
        if m is not None and m.level == "macro" and _BUCKET_OF_MACRO.get(m.name):
            return _BUCKET_OF_MACRO[m.name]
    return "其他"


def _cities_of(province: str) -> dict[str, float]:
    onto = load_ontology()
    w = ASSUMPTIONS["city_weights"].get(province)
    if w:
        return w
    if province in _MUNICIPAL_CITY:
        return {province: 1.0}
    reg = onto.region(province, level="province")
    cap = reg.capital if reg else None
    if cap and onto.region(cap, level="city") is not None:
        return {cap: 1.0}
    return {}


def _allocate_multi(rng, q_p: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``alloc[p, j]``: multi-round companies of size ``size_values[j]`` in province ``p``,
    proportional to the province's events, never using more events than it has."""
    values = sorted(set(sizes), reverse=True)
    alloc = np.zeros((len(q_p), len(values)), dtype=np.int64)
    for j, v in enumerate(values):
        alloc[:, j] = largest_remainder(q_p, sizes.count(v), rng)
    vals = np.array(values, dtype=np.int64)
    for _ in range(10 * len(sizes) + 10):
        used = alloc @ vals
        over = np.flatnonzero(used > q_p)
        if not len(over):
            break
        p = over[0]
        j = int(np.flatnonzero(alloc[p] > 0)[0])
        slack = q_p - used
        dest = int(np.argmax(slack))
        if slack[dest] < vals[j]:  # pragma: no cover - only with absurd quotas
            alloc[p, j] -= 1
            continue
        alloc[p, j] -= 1
        alloc[dest, j] += 1
    return alloc, vals


# ---------------------------------------------------------------------------------------------- generate
def generate(n: int = DEFAULT_DEALS, seed: int = DEFAULT_SEED, avoid=frozenset(), year: int = YEAR) -> DemoData:
    """Synthetic deals: ``n`` venture events in ``year`` (2019 unless said) with the report's shape,
    deterministic for ``seed`` (and ``year``: another year draws from its own stream).

    ``avoid``: names that must not be generated (nodes already in the store from elsewhere)."""
    if not 1 <= n <= MAX_DEALS:
        raise ValueError(f"the number of deals must be between 1 and {MAX_DEALS:,}")
    rng = np.random.default_rng(seed if year == YEAR else [seed, year])
    onto = load_ontology()
    t = load_targets()
    q = quotas(n, rng, t)
    segments = [s.name for s in onto.segments]

    # ---- companies: province, size (rounds), city, segment
    provinces = list(q.provinces)
    q_p = np.array([q.provinces[p] for p in provinces], dtype=np.int64)
    alloc, vals = _allocate_multi(rng, q_p, q.multi_sizes)
    co_prov_l, co_size_l = [], []
    for p in range(len(provinces)):
        sizes_p = np.repeat(vals, alloc[p])
        singles = int(q_p[p] - sizes_p.sum())
        co_prov_l.append(np.full(len(sizes_p) + singles, p, dtype=np.int64))
        co_size_l.append(np.concatenate([sizes_p, np.ones(singles, dtype=np.int64)]))
    co_prov = np.concatenate(co_prov_l)
    co_size = np.concatenate(co_size_l)
    perm = rng.permutation(len(co_prov))
    co_prov, co_size = co_prov[perm], co_size[perm]
    C = len(co_prov)
    assert C == q.companies and int(co_size.sum()) == n

    cities: list[str] = []
    city_pos: dict[str, int] = {}
    co_city = np.full(C, -1, dtype=np.int64)
    for p, name in enumerate(provinces):
        idx = np.flatnonzero(co_prov == p)
        w = _cities_of(name)
        if not w or not len(idx):
            continue
        names = list(w)
        for c in names:
            city_pos.setdefault(c, len(cities))
            if city_pos[c] == len(cities):
                cities.append(c)
        counts = largest_remainder(list(w.values()), len(idx), rng)
        co_city[idx] = rng.permutation(np.repeat([city_pos[c] for c in names], counts))

    seg_counts = np.array([q.segments[s] for s in segments], dtype=np.int64)
    co_seg = rng.permutation(np.repeat(np.arange(len(segments)), seg_counts))

    # ---- events
    ev_co = np.repeat(np.arange(C), co_size)
    ev_seg = co_seg[ev_co]
    E = n
    ev_type = _round_types(rng, q, ev_seg, ev_co, co_size, segments)

    # months (exact counts), days; then a company's rounds in stage order over time
    ev_month = rng.permutation(np.repeat(np.arange(1, 13), q.months))
    dim = np.array([calendar.monthrange(year, m)[1] for m in range(1, 13)])
    ev_day = (rng.random(E) * dim[ev_month - 1]).astype(np.int64) + 1
    stage = np.array([onto.round_by_type(x).stage for x in TYPES])[ev_type]
    by_date = np.lexsort((ev_day, ev_month, ev_co))
    by_stage = np.lexsort((stage, ev_co))
    ordered = np.empty_like(ev_type)
    ordered[by_date] = ev_type[by_stage]
    ev_type = ordered

    # ---- disclosed events and amounts
    ev_prov = co_prov[ev_co]
    main_prov = np.array([_in_main_macro(p) for p in provinces])
    ev_main = main_prov[ev_prov]
    logw = np.log(np.array([DISCLOSE_W[x] for x in TYPES]))[ev_type]
    disclosed = _gumbel_top(rng, logw, q.disclosed)
    ev_amount = np.full(E, np.nan)
    ev_amount[disclosed] = _amounts(rng, ev_type[disclosed], ev_main[disclosed], q.total_cny)

    # ---- investors and participations
    (inv_name, inv_kind, inv_table5, inv_club, p_inv, p_ev, p_lead, clubs) = _investors(
        rng, q, t, E, ev_co, ev_type, ev_seg, ev_prov, provinces, segments, cities, avoid)
    return DemoData(seed=seed, n=n, segments=segments, provinces=provinces, cities=cities,
                    co_name=_names_by_segment(rng, co_seg, len(segments), avoid), co_seg=co_seg, co_prov=co_prov,
                    co_city=co_city, ev_co=ev_co, ev_type=ev_type, ev_month=ev_month, ev_day=ev_day,
                    ev_amount=ev_amount, inv_name=inv_name, inv_kind=inv_kind, inv_table5=inv_table5,
                    inv_club=inv_club, p_inv=p_inv, p_ev=p_ev, p_lead=p_lead, clubs=clubs, year=year)


def _in_main_macro(province: str) -> bool:
    onto = load_ontology()
    reg = onto.region(province, level="province")
    names = {onto.region_by_id(p).name for p in (reg.parents if reg else ()) if onto.region_by_id(p)}
    return bool(names & set(MAIN_MACROS))


def _names_by_segment(rng, co_seg: np.ndarray, n_segs: int, avoid) -> list[str]:
    counts = np.bincount(co_seg, minlength=n_segs)
    names = company_names(rng, counts, avoid=avoid)            # grouped by segment
    order = np.argsort(co_seg, kind="stable")      # companies grouped by segment, same order
    out = np.empty(len(co_seg), dtype=object)
    out[order] = names
    return out.tolist()


def _round_types(rng, q, ev_seg, ev_co, co_size, segments) -> np.ndarray:
    """Round type per event: exact totals per type; per segment an A+-and-earlier share that follows
    Fig. 12; the rounds of one company of distinct types."""
    E = len(ev_seg)
    n_s = np.bincount(ev_seg, minlength=len(segments))
    early_total = sum(q.rounds[x] for x in EARLY_TYPES)
    mult = np.array([q.early_multiplier.get(s, 1.0) for s in segments])
    # early per segment ∝ multiplier × events, capped at the segment's events
    early_s = np.zeros(len(segments), dtype=np.int64)
    free = np.ones(len(segments), bool)
    left = early_total
    for _ in range(len(segments) + 1):
        w = np.where(free, mult * n_s, 0.0)
        early_s[free] = np.array(largest_remainder(w, left, rng))[free]
        over = free & (early_s > n_s)
        if not over.any():
            break
        early_s[over] = n_s[over]
        free &= ~over
        left = early_total - int(early_s[~free].sum())
    strategic_s = np.array(largest_remainder(n_s - early_s, q.rounds["strategic"], rng))
    # label slots: 0 early, 1 strategic, 2 later
    bucket = np.empty(E, dtype=np.int64)
    for s in range(len(segments)):
        idx = rng.permutation(np.flatnonzero(ev_seg == s))
        e, st = int(early_s[s]), int(strategic_s[s])
        bucket[idx[:e]] = 0
        bucket[idx[e:e + st]] = 1
        bucket[idx[e + st:]] = 2
    ev_type = np.empty(E, dtype=np.int64)
    for b, types in ((0, EARLY_TYPES), (2, LATER_TYPES)):
        idx = rng.permutation(np.flatnonzero(bucket == b))
        pool = np.repeat([T_INDEX[x] for x in types], [q.rounds[x] for x in types])
        ev_type[idx] = pool[:len(idx)]
    ev_type[bucket == 1] = T_INDEX["strategic"]
    _distinct_types(rng, ev_type, ev_seg, ev_co, co_size)
    return ev_type


def _distinct_types(rng, ev_type, ev_seg, ev_co, co_size) -> None:
    """Swap types (within a segment, with single-round companies) until no company has two rounds of
    one type: keeps every per-segment and per-type count."""
    K = len(TYPES)
    key = ev_co * K + ev_type
    order = np.argsort(key, kind="stable")
    dup_sorted = np.zeros(len(key), bool)
    dup_sorted[1:] = key[order][1:] == key[order][:-1]
    dups = order[dup_sorted]
    if not len(dups):
        return
    single = co_size[ev_co] == 1
    pools = {s: rng.permutation(np.flatnonzero(single & (ev_seg == s))) for s in np.unique(ev_seg[dups])}
    ptr = dict.fromkeys(pools, 0)
    first_ev = np.concatenate([[0], np.cumsum(co_size)[:-1]])
    for e in dups.tolist():
        c = ev_co[e]
        have = set(ev_type[first_ev[c]:first_ev[c] + co_size[c]].tolist())
        pool, s = pools[ev_seg[e]], ev_seg[e]
        for _ in range(min(len(pool), 500)):
            j = pool[ptr[s] % len(pool)]
            ptr[s] += 1
            if ev_type[j] not in have:
                ev_type[e], ev_type[j] = ev_type[j], ev_type[e]
                break


def _amounts(rng, types: np.ndarray, main: np.ndarray, total: int) -> np.ndarray:
    """Heavy-tailed amounts (lognormal around a median by stage), scaled to ``total`` exactly, in
    whole 10万元 (whole 100万元 from 1000万 up); money outside the three main regions capped."""
    if not len(types):
        return np.array([], dtype=float)
    med = np.array([MEDIAN_CNY[x] for x in TYPES])[types]
    raw = med * np.exp(rng.normal(0.0, SIGMA, len(types)))
    out_share = raw[~main].sum() / raw.sum() if len(raw) else 0.0
    if (~main).any() and main.any() and out_share > OUTSIDE_AMOUNT_SHARE:
        raw[~main] *= OUTSIDE_AMOUNT_SHARE / out_share * (1 - out_share) / (1 - OUTSIDE_AMOUNT_SHARE)
    amt = raw / raw.sum() * total
    unit = np.where(amt >= 1e7, 1e6, 1e5)
    amt = np.maximum(np.round(amt / unit) * unit, 1e5)
    amt[np.argmax(amt)] += total - amt.sum()   # the residual (a few 10万) on the largest deal
    return amt


def _investors(rng, q, t, E, ev_co, ev_type, ev_seg, ev_prov, provinces, segments, cities, avoid):
    """Table-5 participations, syndicates of synthetic investors, and leads."""
    group = np.array([STAGE_GROUP[x] for x in TYPES])[ev_type]
    hot = rng.gumbel(size=E)                       # deals many investors want to be in
    t5_names = list(t.table5)
    t5_inv, t5_ev = [], []
    for i, name in enumerate(t5_names):
        c = q.table5[name]
        style = TABLE5_STYLE.get(name, {"stage": _ALL})
        w = np.array([style["stage"].get(g, 1.0) for g in GROUPS])[group]
        for pname, f in style.get("province", {}).items():
            if pname in provinces:
                w = np.where(ev_prov == provinces.index(pname), w * f, w)
        for sname, f in style.get("segment", {}).items():
            w = np.where(ev_seg == segments.index(sname), w * f, w)
        logw = np.log(np.maximum(w, 1e-3)) + 0.8 * hot
        # events in order of preference, then the first event of each distinct company
        take = min(E, max(4 * c, 64))
        while True:
            cand = _gumbel_top(rng, logw, take)
            _, first = np.unique(ev_co[cand], return_index=True)
            firsts = cand[np.sort(first)]
            if len(firsts) >= c or take >= E:
                break
            take = min(E, take * 4)
        chosen = firsts[:c]
        t5_inv.append(np.full(len(chosen), i, dtype=np.int64))
        t5_ev.append(chosen)
    t5_inv = np.concatenate(t5_inv) if t5_inv else np.array([], np.int64)
    t5_ev = np.concatenate(t5_ev) if t5_ev else np.array([], np.int64)
    n_t5 = len(t5_names)

    # investors per round, the Table-5 ones included; the rest are synthetic slots
    k = np.empty(E, dtype=np.int64)
    for g, probs in K_DIST.items():
        idx = np.flatnonzero(group == g)
        k[idx] = _draw_categorical(rng, probs, len(idx))
    t5_per_ev = np.bincount(t5_ev, minlength=E)
    n_syn = np.maximum(k - t5_per_ev, 0)
    slot_ev = np.repeat(np.arange(E), n_syn)
    S = len(slot_ev)

    # syndicates: clubs per (region bucket, stage group), sized so that each has ~`per_club` slots
    bucket_names = sorted({_bucket(p) for p in provinces})
    prov_bucket = np.array([bucket_names.index(_bucket(p)) for p in provinces])
    ev_key = prov_bucket[ev_prov] * len(GROUPS) + group
    slots_per_key = np.bincount(ev_key[slot_ev], minlength=len(bucket_names) * len(GROUPS))
    per_club = 40.0 * max(1.0, q.scale) ** 0.5
    n_clubs_key = np.where(slots_per_key > 0, np.maximum(1, np.round(slots_per_key / per_club)), 0).astype(np.int64)
    club_start = np.concatenate([[0], np.cumsum(n_clubs_key)])
    clubs = [(bucket_names[kk // len(GROUPS)], GROUPS[kk % len(GROUPS)])
             for kk in range(len(n_clubs_key)) for _ in range(int(n_clubs_key[kk]))]
    n_clubs = len(clubs)
    ev_club = club_start[ev_key] + (rng.random(E) * np.maximum(n_clubs_key[ev_key], 1)).astype(np.int64)
    slot_club = ev_club[slot_ev]
    if n_clubs and S:
        away = rng.random(S) < 0.2                 # a fifth of the seats go to other syndicates
        size = np.bincount(slot_club, minlength=n_clubs).astype(float)
        slot_club[away] = np.searchsorted(np.cumsum(size) / size.sum(), rng.random(int(away.sum())), side="right")
        slot_club = np.minimum(slot_club, n_clubs - 1)

    # synthetic investors: companies each (truncated Zipf on 1..cap), stubs matched to slots per club
    cap = max(1, min(q.table5.values(), default=6) - 1) if q.table5 else 5
    ks = np.arange(1, cap + 1)
    pz = ks ** -1.3
    pz /= pz.sum()
    mean_d = float((ks * pz).sum())
    need = int(S / mean_d * 1.3) + 64
    d = rng.choice(ks, size=need, p=pz)
    while d.sum() < S:
        d = np.concatenate([d, rng.choice(ks, size=need, p=pz)])
    cum = np.cumsum(d)
    n_syn_inv = int(np.searchsorted(cum, S, side="left")) + 1 if S else 0
    order = np.lexsort((rng.random(S), slot_club))       # slots grouped by club, shuffled within
    stub_inv = np.searchsorted(cum, np.arange(S), side="right")
    syn_inv = np.empty(S, dtype=np.int64)
    syn_inv[order] = stub_inv
    syn_ev = slot_ev
    inv_club = np.full(n_t5 + n_syn_inv, -1, dtype=np.int64)
    if S:
        first_stub = np.searchsorted(stub_inv, np.arange(n_syn_inv), side="left")
        inv_club[n_t5:] = slot_club[order][first_stub]

    # participations: Table 5 then synthetic; an investor once per round
    p_inv = np.concatenate([t5_inv, syn_inv + n_t5])
    p_ev = np.concatenate([t5_ev, syn_ev])
    pair = p_ev * (n_t5 + n_syn_inv + 1) + p_inv
    _, keep = np.unique(pair, return_index=True)
    keep.sort()
    p_inv, p_ev = p_inv[keep], p_ev[keep]

    # leads: the most active investor of the round mostly, with a personal lead/follow propensity
    activity = np.concatenate([np.array([q.table5[x] for x in t5_names], float), d[:n_syn_inv].astype(float)])
    propensity = rng.normal(0.0, 0.8, len(activity))
    t5_fit = np.zeros(len(p_inv))
    is_t5 = p_inv < n_t5
    if is_t5.any():
        fit = np.array([[TABLE5_STYLE.get(x, {"stage": _ALL})["stage"].get(g, 1.0) for g in GROUPS] for x in t5_names])
        t5_fit[is_t5] = np.log(np.maximum(fit[p_inv[is_t5], group[p_ev[is_t5]]], 1e-3))
    score = np.log(activity[p_inv]) + propensity[p_inv] + t5_fit + rng.gumbel(size=len(p_inv))
    by = np.lexsort((-score, p_ev))
    ev_sorted = p_ev[by]
    rank = np.arange(len(by)) - np.searchsorted(ev_sorted, ev_sorted, side="left")
    p_lead = np.zeros(len(p_inv), bool)
    p_lead[by[rank == 0]] = True
    colead_ev = rng.random(E) < 0.06
    p_lead[by[(rank == 1) & colead_ev[ev_sorted]]] = True

    # names and kinds of the synthetic investors
    kinds = _kinds(rng, inv_club[n_t5:], clubs)
    state_cities = cities or None
    syn_names = investor_names(rng, kinds, state_cities, avoid)
    onto = load_ontology()
    t5_kinds = [(onto.investor(x).kind if onto.investor(x) else None) for x in t5_names]
    inv_table5 = np.zeros(n_t5 + n_syn_inv, bool)
    inv_table5[:n_t5] = True
    return ([*t5_names, *syn_names], [*t5_kinds, *kinds], inv_table5, inv_club, p_inv, p_ev, p_lead, clubs)


def keep_syndicates(other: DemoData, base: DemoData) -> None:
    """Make ``other`` (another year's deals) reuse ``base``'s synthetic investors: the k-th member of a
    syndicate (same region bucket and stage group) in ``other`` becomes the k-th member (modulo its
    size) of that syndicate in ``base``, so syndicates keep investing together from year to year.
    Syndicates ``base`` lacks keep their own, new investors."""
    members: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(~base.inv_table5).tolist():
        members.setdefault(tuple(base.clubs[int(base.inv_club[i])]), []).append(i)
    seen: dict[tuple, int] = {}
    names, kinds = list(other.inv_name), list(other.inv_kind)
    for j in np.flatnonzero(~other.inv_table5).tolist():
        key = tuple(other.clubs[int(other.inv_club[j])])
        pool = members.get(key)
        if not pool:
            continue
        k = seen.get(key, 0)
        seen[key] = k + 1
        m = pool[k % len(pool)]
        names[j], kinds[j] = base.inv_name[m], base.inv_kind[m]
    other.inv_name, other.inv_kind = names, kinds


def _kinds(rng, inv_club: np.ndarray, clubs) -> list[str]:
    """Investor kind by the stage of its syndicate (corporates in strategic rounds, PE in late ones)."""
    table = {"early": (["vc", "state_fund", "cvc"], [0.78, 0.12, 0.10]),
             "growth": (["vc", "pe", "state_fund", "cvc"], [0.62, 0.18, 0.12, 0.08]),
             "late": (["pe", "vc", "state_fund", "cvc"], [0.42, 0.40, 0.12, 0.06]),
             "strategic": (["corporate", "cvc"], [0.6, 0.4])}
    out = np.empty(len(inv_club), dtype=object)
    stage_of = np.array([g for _, g in clubs] or ["early"])
    for g, (names, probs) in table.items():
        idx = np.flatnonzero(stage_of[np.maximum(inv_club, 0)] == g) if len(inv_club) else np.array([], int)
        out[idx] = np.array(names)[rng.choice(len(names), size=len(idx), p=probs)]
    return out.tolist()


# ---------------------------------------------------------------------------------------------- batch
def demo_batch(data: DemoData) -> Batch:
    """The generated deals as one :class:`Batch` (plus the real regions, segments and Table-5
    investors they refer to, unmarked and with the seed's provenance)."""
    from loaders.deals import add_investor
    from loaders.seed import REPORT, read_seed, regions_batch

    onto = load_ontology()
    src = [data.source]        # one shared list: every synthetic item carries the same provenance
    b = Batch()
    regions_batch(b)
    for s in onto.segments:
        b.node("Segment", s.id, "ontology:segments.yaml", name=s.name, name_en=s.name_en, aliases=list(s.aliases))
    for rec in read_seed("table5_investors.yaml"):
        rsrc = f"{REPORT} {rec.get('source', '').replace('report 2020', '').strip()}".strip()
        iid = add_investor(b, rec["name"], rsrc)
        b.node("Investor", iid, None, reported_2019_companies=int(rec["reported_2019_companies"]))

    norm_co = [norm_key(x) for x in data.co_name]
    co_ids = ["company:" + x for x in norm_co]
    b.nodes["Company"] = {cid: {"id": cid, "name": name, "synthetic": True, "sources": src}
                          for cid, name in zip(co_ids, data.co_name)}
    plain = {"synthetic": True, "sources": src}   # relationship props are copied by the stores
    seg_ids = [onto.segment(s).id for s in data.segments]
    b.rels["IN_SEGMENT"] = {(cid, seg_ids[s]): plain for cid, s in zip(co_ids, data.co_seg.tolist())}
    prov_ids = [onto.region(p, level="province").id for p in data.provinces]
    city_ids = [onto.region(c, level="city", within=None).id for c in data.cities]
    loc = {}
    for cid, p, c in zip(co_ids, data.co_prov.tolist(), data.co_city.tolist()):
        if c >= 0:
            loc[(cid, city_ids[c])] = plain
        loc[(cid, prov_ids[p])] = plain
    b.rels["LOCATED_IN"] = loc

    labels = {x: onto.round_by_type(x).label for x in TYPES}
    dates = data.dates()
    rounds: dict[str, dict] = {}
    raised: dict = {}
    ev_ids = []
    amounts = data.ev_amount.tolist()
    for co, ty, date, amt in zip(data.ev_co.tolist(), data.ev_type.tolist(), dates, amounts):
        tname = TYPES[ty]
        rid = f"round:{norm_co[co]}|{tname}|{date[:7]}"
        ev_ids.append(rid)
        props = {"id": rid, "type": tname, "label": labels[tname], "date": date, "year": data.year, "month": date[:7],
                 "disclosed": not math.isnan(amt), "synthetic": True, "sources": src}
        if not math.isnan(amt):
            props.update(amount=amt, currency="CNY", amount_cny=amt)
        rounds[rid] = props
        raised[(co_ids[co], rid)] = plain
    if len(rounds) != len(ev_ids):  # pragma: no cover - types are distinct per company by construction
        raise AssertionError("two generated rounds share an id")
    b.nodes["Round"] = rounds
    b.rels["RAISED"] = raised

    t5_ids = {}
    for i, name in enumerate(data.inv_name):
        if data.inv_table5[i]:
            t5_ids[i] = "investor:" + norm_key(onto.investor_name(name))
    syn = b.nodes.setdefault("Investor", {})
    inv_ids = []
    for i, (name, kind) in enumerate(zip(data.inv_name, data.inv_kind)):
        if i in t5_ids:
            inv_ids.append(t5_ids[i])
            continue
        iid = "investor:" + norm_key(name)
        inv_ids.append(iid)
        syn[iid] = {"id": iid, "name": name, "kind": kind, "synthetic": True, "sources": src}
    lead = {"lead": True, "synthetic": True, "sources": src}
    follow = {"lead": False, "synthetic": True, "sources": src}
    b.rels["INVESTED_IN"] = {(inv_ids[i], ev_ids[e]): (lead if ld else follow)
                             for i, e, ld in zip(data.p_inv.tolist(), data.p_ev.tolist(), data.p_lead.tolist())}
    return b
