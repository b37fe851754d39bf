"""The report's figures regenerated from whatever graph is loaded, beside the numbers it published.

Every function is pure: a ``networkx.MultiDiGraph`` (the embedded store's ``graph``, or one read
from a Cypher store by :func:`report_graph`) and a year in, one figure out. A figure is a dict::

    {"id": "fig11", "title": "图11 …", "title_en": "Fig. 11 …", "year": 2019, "source": "report 2020 …",
     "columns": [...], "rows": [{column: value}, ...],          # the table, comparison columns included
     "published": {row: {metric: value | {"min": x} | {"max": x} | "above" | …}},
     "diff": {row: {metric: value - published | bound violation (0 = kept) | agrees (bool)}},
     "checks": [{"row", "metric", "value", "published", "diff", "rel", "ok"}], "notes": [...]}

Published numbers come from ``loaders/seed_data/figures.yaml`` and ``table5_investors.yaml``; they
are attached only for the report's year (2019). What counts, as the report counts it:

- an *event* is a Round of the year that is not a listing (types ``ipo``, ``private_placement``);
- its company is the Company that RAISED it; the company's province is the province it is
  LOCATED_IN (or its city's province), its macro regions those the province is PART_OF;
- *A+ and earlier* is the round group ``early`` of ``ontology/rounds.yaml``;
- Table 5 counts the distinct companies whose events of the year an investor took part in.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("company:x", _label="Company", name="X")
>>> G.add_node("round:x|a|2019-07", _label="Round", type="a", date="2019-07-02", year=2019,
...            disclosed=True, amount_cny=5e7)
>>> _ = G.add_edge("company:x", "round:x|a|2019-07", key="RAISED")
>>> h = headline(G, 2019)
>>> [(r["metric"], r["value"]) for r in h["rows"][:3]]
[('events', 1), ('companies', 1), ('companies_multi_round', 0)]
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx

from ontology import load as load_ontology

__all__ = ["FIGURES", "build_report", "report_graph", "events_of", "Events", "headline", "table5",
           "listed_by_province", "months", "regions", "cities", "segment_stage", "round_mix",
           "segments_by_company", "published_figures", "REPORT_YEAR", "TOLERANCE"]

REPORT_YEAR = 2019
TOLERANCE = 0.02     # "agrees" when within 2% of the published number (relative)
LISTED_TYPES = ("ipo", "private_placement")
THREE = ("京津冀", "长三角", "粤港澳大湾区")
THREE_LABEL = "京津冀+长三角+粤港澳"
UNKNOWN = "未知"


@lru_cache(maxsize=1)
def published_figures() -> dict:
    """figures.yaml with Table 5 as ``{"table5": {name: reported_2019_companies}}``."""
    from loaders.seed import read_seed

    fig = dict(read_seed("figures.yaml"))
    fig["table5"] = {r["name"]: int(r["reported_2019_companies"]) for r in read_seed("table5_investors.yaml")}
    return fig


# ------------------------------------------------------------------------------------------ the events
@dataclass
class Events:
    """The venture events of one year, flattened (one entry per event) with their company's facts."""

    year: int
    ids: list = field(default_factory=list)
    company: list = field(default_factory=list)     # company id or None
    type: list = field(default_factory=list)
    group: list = field(default_factory=list)       # early | later | strategic | other
    month: list = field(default_factory=list)       # 1..12 or None
    amount: list = field(default_factory=list)      # CNY or None
    investors: list = field(default_factory=list)   # [(investor id, lead)]
    co_name: dict = field(default_factory=dict)     # company id -> name
    co_segment: dict = field(default_factory=dict)  # company id -> segment name or None
    co_province: dict = field(default_factory=dict)
    co_city: dict = field(default_factory=dict)
    co_macros: dict = field(default_factory=dict)   # company id -> tuple of macro region names
    inv_name: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


def _year_of(d: dict):
    y = d.get("year")
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return int(y)
    date = d.get("date")
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def _month_of(d: dict):
    for v in (d.get("month"), d.get("date")):
        if isinstance(v, str) and len(v) >= 7 and v[5:7].isdigit():
            m = int(v[5:7])
            if 1 <= m <= 12:
                return m
    return None


def _amount(d: dict):
    a = d.get("amount_cny")
    if isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) and d.get("disclosed", True):
        return float(a)
    return None


def _out(G: nx.MultiDiGraph, n, rel: str):
    """Targets of ``n``'s outgoing ``rel`` relationships (over networkx's own dicts: the views cost 3×)."""
    return [v for v, keys in G._succ[n].items() if rel in keys]


def _company_facts(G: nx.MultiDiGraph, c, ev: Events) -> None:
    if c in ev.co_name:
        return
    nodes = G._node
    onto = load_ontology()
    d = nodes[c]
    ev.co_name[c] = d.get("name") or c
    segs = sorted(nodes[s].get("name") or s for s in _out(G, c, "IN_SEGMENT"))
    ev.co_segment[c] = segs[0] if segs else None
    prov = city = None
    for r in _out(G, c, "LOCATED_IN"):
        level = nodes[r].get("level")
        if level == "province" and prov is None:
            prov = r
        elif level == "city" and city is None:
            city = r
    if prov is None and city is not None:
        ups = [p for p in _out(G, city, "PART_OF") if nodes[p].get("level") == "province"]
        if ups:
            prov = ups[0]
        else:
            reg = onto.region(nodes[city].get("name"), level="city")
            if reg is not None and reg.parents and reg.parents[0] in G:
                prov = reg.parents[0]
    ev.co_city[c] = nodes[city].get("name") if city is not None else None
    if prov is None:
        ev.co_province[c], ev.co_macros[c] = None, ()
        return
    pname = nodes[prov].get("name") or prov
    ev.co_province[c] = pname
    macros = tuple(sorted(nodes[m].get("name") for m in _out(G, prov, "PART_OF") if nodes[m].get("level") == "macro"))
    if not macros:  # a graph without the regions' PART_OF: the ontology knows
        reg = onto.region(pname, level="province")
        macros = tuple(sorted(onto.region_by_id(p).name for p in (reg.parents if reg else ())
                              if onto.region_by_id(p) and onto.region_by_id(p).level == "macro"))
    ev.co_macros[c] = macros


def events_of(G: nx.MultiDiGraph, year: int | None = REPORT_YEAR) -> Events:
    """The venture events of ``year`` (every year when None) with their companies and investors."""
    onto = load_ontology()
    groups = {r.type: r.group for r in onto.rounds}
    ev = Events(year=year)
    nodes, pred = G._node, G._pred
    for n, d in nodes.items():
        if d.get("_label") != "Round":
            continue
        t = d.get("type") or "other"
        if t in LISTED_TYPES:
            continue
        if year is not None and _year_of(d) != year:
            continue
        comp = None
        invs = []
        for u, keys in pred[n].items():
            if "RAISED" in keys and comp is None and nodes[u].get("_label") == "Company":
                comp = u
            if "INVESTED_IN" in keys:
                invs.append((u, bool(keys["INVESTED_IN"].get("lead"))))
                if u not in ev.inv_name:
                    ev.inv_name[u] = nodes[u].get("name") or u
        if comp is not None:
            _company_facts(G, comp, ev)
        ev.ids.append(n)
        ev.company.append(comp)
        ev.type.append(t)
        ev.group.append(groups.get(t, "other"))
        ev.month.append(_month_of(d))
        ev.amount.append(_amount(d))
        ev.investors.append(invs)
    return ev


# ------------------------------------------------------------------------------------------ figure shape
def _check(row, metric, value, published) -> dict:
    """Compare one value with what the report published (a number, a bound or a label)."""
    c = {"row": row, "metric": metric, "value": value, "published": published}
    if isinstance(published, dict) and ("min" in published or "max" in published):
        lo, hi = published.get("min"), published.get("max")
        viol = 0.0
        if value is None:
            viol = None
        elif lo is not None and value < lo:
            viol = value - lo
        elif hi is not None and value > hi:
            viol = value - hi
        c.update(diff=viol, rel=None, ok=viol == 0.0)
    elif isinstance(published, (int, float)) and not isinstance(published, bool):
        if value is None:
            c.update(diff=None, rel=None, ok=False)
        else:
            diff = value - published
            rel = abs(diff) / abs(published) if published else (0.0 if diff == 0 else math.inf)
            c.update(diff=round(diff, 6) if isinstance(diff, float) else diff, rel=round(rel, 6),
                     ok=rel <= TOLERANCE + 1e-12)
    else:  # a label ("above", "fewest", "active"): agrees or not
        c.update(diff=value == published, rel=None, ok=value == published)
    return c


def _figure(fid, title, title_en, year, columns, rows, checks, source=None, notes=()) -> dict:
    published: dict = defaultdict(dict)
    diff: dict = defaultdict(dict)
    for c in checks:
        published[str(c["row"])][c["metric"]] = c["published"]
        diff[str(c["row"])][c["metric"]] = c["diff"]
    return {"id": fid, "title": title, "title_en": title_en, "year": year, "source": source,
            "columns": columns, "rows": rows, "published": dict(published), "diff": dict(diff),
            "checks": list(checks), "notes": list(notes)}


def _pub(year, scale: float = 1.0):
    if year != REPORT_YEAR:
        return None
    return published_figures() if scale == 1.0 else _scaled(scale)


@lru_cache(maxsize=8)
def _scaled(scale: float) -> dict:
    """The published counts times ``scale`` (shares unchanged): to compare data of another size,
    such as ``kg demo --deals N``, with the report's shape. Listed companies do not scale."""
    import copy

    fig = copy.deepcopy(published_figures())
    for k in ("events", "companies", "companies_multi_round", "disclosed_events", "disclosed_amount_cny"):
        fig["headline"][k] = fig["headline"][k] * scale
    for k, v in fig["regions"].items():
        if isinstance(v, int) and not isinstance(v, bool):
            fig["regions"][k] = v * scale
    fig["rounds"]["a_plus_and_earlier_events"] *= scale
    fig["table5"] = {k: v * scale for k, v in fig["table5"].items()}
    return fig


def _share(a, b):
    return round(a / b, 6) if b else None


def _fmt_pub(p):
    if isinstance(p, dict):
        return (f"≥{p['min']}" if "min" in p else f"≤{p['max']}")
    return p


# ------------------------------------------------------------------------------------------ figures
def headline(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Events, companies, companies with two or more rounds, disclosed events, their share and total."""
    ev = ev or events_of(G, year)
    rounds_per = Counter(c for c in ev.company if c is not None)
    disclosed = [a for a in ev.amount if a is not None]
    values = {"events": len(ev), "companies": len(rounds_per),
              "companies_multi_round": sum(1 for v in rounds_per.values() if v >= 2),
              "disclosed_events": len(disclosed), "disclosed_share": _share(len(disclosed), len(ev)),
              "disclosed_amount_cny": sum(disclosed)}
    names = {"events": "投融资事件", "companies": "企业", "companies_multi_round": "两轮及以上融资的企业",
             "disclosed_events": "已公布金额的事件", "disclosed_share": "已公布金额事件占比",
             "disclosed_amount_cny": "已公布金额合计（元）"}
    pub = _pub(year, scale)
    checks, rows = [], []
    for k, v in values.items():
        p = pub["headline"].get(k) if pub else None
        row = {"metric": k, "name": names[k], "value": v, "published": p, "diff": None}
        if p is not None:
            c = _check(k, "value", v, p)
            checks.append(c)
            row["diff"] = c["diff"]
        rows.append(row)
    return _figure("headline", f"{year}年非上市企业投融资概况", f"Non-listed companies' venture events, {year}", year,
                   ["metric", "name", "value", "published", "diff"], rows, checks,
                   pub["headline"]["source"] if pub else None,
                   [pub["headline"]["note"]] if pub and pub["headline"].get("note") else [])


def table5(G, year=REPORT_YEAR, ev: Events | None = None, top: int = 20, scale: float = 1.0) -> dict:
    """Most active investors: distinct companies invested in during the year (Table 5)."""
    ev = ev or events_of(G, year)
    companies: dict = defaultdict(set)
    events: Counter = Counter()
    leads: Counter = Counter()
    for comp, invs, rid in zip(ev.company, ev.investors, ev.ids):
        for inv, lead in invs:
            companies[inv].add(comp if comp is not None else rid)
            events[inv] += 1
            leads[inv] += lead
    ranked = sorted(companies, key=lambda i: (-len(companies[i]), -events[i], ev.inv_name.get(i, i)))
    rank = {i: k + 1 for k, i in enumerate(ranked)}
    pub = _pub(year, scale)
    reported = pub["table5"] if pub else {}
    onto = load_ontology()
    by_name = {ev.inv_name.get(i, i): i for i in ranked}
    t5_ids = {}
    for name in reported:
        canon = onto.investor_name(name)
        t5_ids[name] = by_name.get(canon) or by_name.get(name)
    shown = ranked[:top] + [i for i in t5_ids.values() if i is not None and i not in ranked[:top]]
    rows, checks = [], []
    id_to_t5 = {i: n for n, i in t5_ids.items() if i is not None}
    for i in shown:
        name = ev.inv_name.get(i, i)
        n = len(companies[i])
        p = reported.get(id_to_t5.get(i)) if i in id_to_t5 else None
        row = {"rank": rank[i], "investor": name, "companies": n, "events": events[i], "leads": leads[i],
               "published": p, "diff": None}
        if p is not None:
            c = _check(name, "companies", n, p)
            checks.append(c)
            row["diff"] = c["diff"]
        rows.append(row)
    for name, i in t5_ids.items():   # in Table 5 but no event in the graph
        if i is None:
            rows.append({"rank": None, "investor": name, "companies": 0, "events": 0, "leads": 0,
                         "published": reported[name], "diff": -reported[name]})
            checks.append(_check(name, "companies", 0, reported[name]))
    return _figure("table5", f"表5 {year}年主要投资机构投资数量", f"Table 5: companies invested in per investor, {year}",
                   year, ["rank", "investor", "companies", "events", "leads", "published", "diff"], rows, checks,
                   "report 2020 Table 5" if pub else None)


def listed_by_province(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Listed companies at the end of the year by province (Fig. 5)."""
    ev = ev or Events(year=year)
    nodes, pred = G._node, G._pred
    listed: dict = {}   # company id -> board (a known board, or an IPO by the year's end, makes it listed)
    for n, d in nodes.items():
        label = d.get("_label")
        if label == "Company" and d.get("board"):
            listed[n] = listed.get(n) or d["board"]
        elif label == "Round" and d.get("type") == "ipo":
            y = _year_of(d)
            if year is not None and y is not None and y > year:
                continue
            for u, keys in pred[n].items():
                if "RAISED" in keys and nodes[u].get("_label") == "Company":
                    listed[u] = listed.get(u) or d.get("board") or nodes[u].get("board")
    by_prov: Counter = Counter()
    star: Counter = Counter()
    for c, board in listed.items():
        _company_facts(G, c, ev)
        p = ev.co_province.get(c) or UNKNOWN
        by_prov[p] += 1
        star[p] += board == "star"
    pub = _pub(year, scale)
    pp = pub["listed"]["by_province"] if pub else {}
    keys = sorted(set(by_prov) | set(pp), key=lambda k: (k == UNKNOWN, -by_prov.get(k, 0), -pp.get(k, 0), k))
    rows, checks = [], []
    for k in keys:
        row = {"province": k, "listed": by_prov.get(k, 0), "star": star.get(k, 0), "published": pp.get(k),
               "diff": None}
        if k in pp:
            c = _check(k, "listed", by_prov.get(k, 0), pp[k])
            checks.append(c)
            row["diff"] = c["diff"]
        rows.append(row)
    total = sum(by_prov.values())
    tp = pub["listed"]["total"] if pub else None
    trow = {"province": "合计", "listed": total, "star": sum(star.values()), "published": tp, "diff": None}
    if tp is not None:
        c = _check("合计", "listed", total, tp)
        checks.append(c)
        trow["diff"] = c["diff"]
    rows.append(trow)
    notes = []
    if by_prov.get(UNKNOWN):
        notes.append(f"{by_prov[UNKNOWN]} listed companies have no province in the graph")
    return _figure("fig5", "图5 工业互联网上市企业的地区分布", "Fig. 5: listed companies by province", year,
                   ["province", "listed", "star", "published", "diff"], rows, checks,
                   pub["listed"]["sources"]["by_province"] if pub else None, notes)


def months(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Events by month (Fig. 10): the report names the fewest and the busiest months."""
    ev = ev or events_of(G, year)
    count = Counter(m for m in ev.month if m is not None)
    disclosed = Counter(m for m, a in zip(ev.month, ev.amount) if m is not None and a is not None)
    money: dict = defaultdict(float)
    for m, a in zip(ev.month, ev.amount):
        if m is not None and a is not None:
            money[m] += a
    pub = _pub(year, scale)
    fewest = list(pub["months"]["fewest"]) if pub else []
    most = list(pub["months"]["most"]) if pub else []
    # "fewest" when at most len(fewest) months have this few events (ties at the edge make it untrue)
    cnt = [count.get(m, 0) for m in range(1, 13)]
    k_low, k_high = len(fewest) or 2, len(most) or 3
    low = {m for m in range(1, 13) if sum(c <= cnt[m - 1] for c in cnt) <= k_low}
    high = {m for m in range(1, 13) if sum(c >= cnt[m - 1] for c in cnt) <= k_high}
    rows, checks = [], []
    for m in range(1, 13):
        label = "fewest" if m in low else "most" if m in high else ""
        p = "fewest" if m in fewest else "most" if m in most else None
        row = {"month": m, "events": count.get(m, 0), "share": _share(count.get(m, 0), len(ev)),
               "disclosed": disclosed.get(m, 0), "amount_cny": money.get(m, 0.0), "rank": label, "published": p,
               "agrees": None}
        if p is not None:
            c = _check(m, "rank", label, p)
            checks.append(c)
            row["agrees"] = c["ok"]
        rows.append(row)
    undated = sum(1 for m in ev.month if m is None)
    return _figure("fig10", f"图10 {year}年1-12月工业互联网风险投资事件", f"Fig. 10: venture events by month, {year}",
                   year, ["month", "events", "share", "disclosed", "amount_cny", "rank", "published", "agrees"],
                   rows, checks, pub["months"]["source"] if pub else None,
                   [f"{undated} events have no month"] if undated else [])


def regions(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Events and disclosed amounts by province and macro region (Fig. 11)."""
    ev = ev or events_of(G, year)
    n = len(ev)
    total_amount = sum(a for a in ev.amount if a is not None)
    stats: dict = defaultdict(lambda: [0, 0, 0.0])  # events, disclosed, amount
    levels: dict = {}
    for comp, a in zip(ev.company, ev.amount):
        prov = ev.co_province.get(comp) if comp is not None else None
        keys = [(prov or UNKNOWN, "province")] + [(m, "macro") for m in (ev.co_macros.get(comp, ()) if comp else ())]
        if comp is not None and set(ev.co_macros.get(comp, ())) & set(THREE):
            keys.append((THREE_LABEL, "summary"))
        for k, level in keys:
            s = stats[k]
            s[0] += 1
            if a is not None:
                s[1] += 1
                s[2] += a
            levels[k] = level
    pub = _pub(year, scale)
    pr = pub["regions"] if pub else {}
    published: dict = defaultdict(dict)
    if pr:
        for k, v in pr.items():
            if "_" not in k and _is_num(v):      # region counts; the keys with "_" are shares and notes
                published[k]["events"] = v
        published["长三角"]["share"] = pr.get("长三角_event_share")
        published["中西部"]["share"] = pr.get("中西部_event_share")
        published["中西部"]["amount_share"] = {"max": pr.get("中西部_disclosed_amount_share_max")}
        published[THREE_LABEL]["share"] = pr.get("three_regions_event_share")
        published[THREE_LABEL]["amount_share"] = {"min": pr.get("three_regions_disclosed_amount_share_min")}
    onto = load_ontology()
    for k in published:
        if k not in levels:
            reg = onto.region(k)
            levels[k] = "summary" if k == THREE_LABEL else (reg.level if reg else "province")
    macro_order = [r.name for r in onto.regions if r.level == "macro"]
    keys = sorted((k for k in levels if levels[k] == "province"), key=lambda k: (k == UNKNOWN, -stats[k][0], k))
    keys += [m for m in macro_order if m in levels] + [k for k in levels if levels[k] == "summary"]
    rows, checks = [], []
    for k in keys:
        e, dcount, amt = stats.get(k, (0, 0, 0.0))
        vals = {"events": e, "share": _share(e, n), "amount_share": _share(amt, total_amount)}
        row = {"region": k, "level": levels[k], "events": e, "share": vals["share"], "disclosed": dcount,
               "amount_cny": amt, "amount_share": vals["amount_share"]}
        p = published.get(k, {})
        for metric in ("events", "share", "amount_share"):
            row[f"published_{metric}"] = _fmt_pub(p.get(metric)) if p.get(metric) is not None else None
            if p.get(metric) is not None:
                c = _check(k, metric, vals[metric], p[metric])
                checks.append(c)
        row["diff_events"] = next((c["diff"] for c in checks if c["row"] == k and c["metric"] == "events"), None)
        rows.append(row)
    notes = []
    if pr:
        notes.append(pr.get("note", ""))
    return _figure("fig11", "图11 非上市企业投融资事件的数量及金额", f"Fig. 11: events and disclosed amounts by region, {year}",
                   year, ["region", "level", "events", "share", "disclosed", "amount_cny", "amount_share",
                          "published_events", "diff_events", "published_share", "published_amount_share"],
                   rows, checks, pr.get("source") if pr else None, [x for x in notes if x])


def cities(G, year=REPORT_YEAR, ev: Events | None = None, top: int = 10, scale: float = 1.0) -> dict:
    """Events by city; the report names 北京, 上海, 杭州, 南京, 深圳 as the most active."""
    ev = ev or events_of(G, year)
    count: Counter = Counter()
    prov: dict = {}
    for comp in ev.company:
        city = ev.co_city.get(comp) if comp is not None else None
        if city:
            count[city] += 1
            prov[city] = ev.co_province.get(comp)
    named = ["北京", "上海", "杭州", "南京", "深圳"] if year == REPORT_YEAR else []
    ranked = sorted(count, key=lambda c: (-count[c], c))
    top_named = set(ranked[:len(named)])
    shown = ranked[:top] + [c for c in named if c not in ranked[:top]]
    rows, checks = [], []
    for c in shown:
        row = {"rank": ranked.index(c) + 1 if c in count else None, "city": c, "province": prov.get(c),
               "events": count.get(c, 0), "share": _share(count.get(c, 0), len(ev)),
               "published": "most active" if c in named else None, "agrees": None}
        if c in named:
            chk = _check(c, "rank", "most active" if c in top_named else "", "most active")
            checks.append(chk)
            row["agrees"] = chk["ok"]
        rows.append(row)
    return _figure("cities", "活跃城市", f"Most active cities, {year}", year,
                   ["rank", "city", "province", "events", "share", "published", "agrees"], rows, checks,
                   "report 2020 §2.3.2 text" if named else None)


def segment_stage(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Round stage by segment (Fig. 12): the share of A+-and-earlier events against the average."""
    ev = ev or events_of(G, year)
    table: dict = defaultdict(Counter)
    for comp, g in zip(ev.company, ev.group):
        seg = ev.co_segment.get(comp) if comp is not None else None
        if seg:
            table[seg][g] += 1
    all_ev = sum(sum(c.values()) for c in table.values())
    all_early = sum(c["early"] for c in table.values())
    avg = _share(all_early, all_ev)
    pub = _pub(year, scale)
    above = list(pub["segment_stage"]["above_average"]) if pub else []
    below = list(pub["segment_stage"]["below_average"]) if pub else []
    order = [s.name for s in load_ontology().segments]
    rows, checks = [], []
    for seg in sorted(table, key=lambda s: order.index(s) if s in order else len(order)):
        c = table[seg]
        tot = sum(c.values())
        share = _share(c["early"], tot)
        pos = "above" if share is not None and avg is not None and share > avg else "below"
        p = "above" if seg in above else "below" if seg in below else None
        row = {"segment": seg, "events": tot, "early": c["early"], "later": c["later"], "strategic": c["strategic"],
               "other": c["other"] + c["listed"], "early_share": share, "position": pos, "published": p,
               "agrees": None}
        if p is not None:
            chk = _check(seg, "position", pos, p)
            checks.append(chk)
            row["agrees"] = chk["ok"]
        rows.append(row)
    rows.append({"segment": "平均", "events": all_ev, "early": all_early,
                 "later": sum(c["later"] for c in table.values()),
                 "strategic": sum(c["strategic"] for c in table.values()),
                 "other": sum(c["other"] + c["listed"] for c in table.values()), "early_share": avg,
                 "position": "", "published": None, "agrees": None})
    return _figure("fig12", "图12 重点领域投资轮次分布", f"Fig. 12: round stage by segment, {year}", year,
                   ["segment", "events", "early", "later", "strategic", "other", "early_share", "position",
                    "published", "agrees"], rows, checks, pub["segment_stage"]["source"] if pub else None,
                   ["early = A+ and earlier (seed, angel, Pre-A, A, A+)"])


ROUND_BUCKETS = [  # key, label, round types
    ("seed_angel", "种子轮+天使轮", ("seed", "angel")),
    ("pre_a", "Pre-A轮", ("pre_a",)),
    ("a", "A轮", ("a",)),
    ("a_plus", "A+轮", ("a_plus",)),
    ("a_plus_and_earlier", "A+轮及以前", ("seed", "angel", "pre_a", "a", "a_plus")),
    ("later", "B轮至Pre-IPO", ("pre_b", "b", "b_plus", "c", "c_plus", "d", "e_plus", "pre_ipo")),
    ("strategic", "战略投资", ("strategic",)),
]


def round_mix(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Events by round: seed+angel, Pre-A, A, A+ and earlier, strategic, B to pre-IPO, other."""
    ev = ev or events_of(G, year)
    n = len(ev)
    count = Counter(ev.type)
    pub = _pub(year, scale)
    pr = pub["rounds"] if pub else {}
    pshare = {"seed_angel": pr.get("seed_angel_share"), "pre_a": pr.get("pre_a_share"), "a": pr.get("a_share"),
              "strategic": pr.get("strategic_share")}
    if pr:
        pshare["a_plus_and_earlier"] = {"min": pr.get("a_plus_and_earlier_share_min")}
    pevents = {"a_plus_and_earlier": pr.get("a_plus_and_earlier_events")} if pr else {}
    rows, checks = [], []
    covered = set()
    for key, label, types in ROUND_BUCKETS:
        e = sum(count.get(t, 0) for t in types)
        if key != "a_plus_and_earlier":
            covered.update(types)
        share = _share(e, n)
        row = {"round": label, "key": key, "events": e, "share": share,
               "published_share": _fmt_pub(pshare.get(key)) if pshare.get(key) is not None else None,
               "published_events": pevents.get(key), "diff_share": None}
        if pshare.get(key) is not None:
            c = _check(label, "share", share, pshare[key])
            checks.append(c)
            row["diff_share"] = c["diff"]
        if pevents.get(key) is not None:
            checks.append(_check(label, "events", e, pevents[key]))
        rows.append(row)
    other = sum(v for t, v in count.items() if t not in covered)
    rows.append({"round": "其他", "key": "other", "events": other, "share": _share(other, n), "published_share": None,
                 "published_events": None, "diff_share": None})
    return _figure("rounds", "投融资轮次分布", f"Round mix, {year}", year,
                   ["round", "key", "events", "share", "published_share", "published_events", "diff_share"], rows, checks,
                   pr.get("source") if pr else None, [pr["note"]] if pr.get("note") else [])


def segments_by_company(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Companies with events in the year, by segment (shares of all such companies)."""
    ev = ev or events_of(G, year)
    comps = {c for c in ev.company if c is not None}
    count = Counter(ev.co_segment.get(c) or UNKNOWN for c in comps)
    pub = _pub(year, scale)
    ps = pub["segments_by_company"] if pub else {}
    ps = {k: v for k, v in ps.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    order = [s.name for s in load_ontology().segments]
    keys = sorted(set(count) | set(ps), key=lambda k: (k == UNKNOWN, -count.get(k, 0), order.index(k) if k in order else 99))
    rows, checks = [], []
    for k in keys:
        share = _share(count.get(k, 0), len(comps))
        row = {"segment": k, "companies": count.get(k, 0), "share": share, "published_share": ps.get(k),
               "diff_share": None}
        if k in ps:
            c = _check(k, "share", share, ps[k])
            checks.append(c)
            row["diff_share"] = c["diff"]
        rows.append(row)
    return _figure("segments", "企业领域分布", f"Companies by segment, {year}", year,
                   ["segment", "companies", "share", "published_share", "diff_share"], rows, checks,
                   pub["segments_by_company"]["source"] if pub else None)


FIGURES = {"headline": headline, "table5": table5, "fig5": listed_by_province, "fig10": months,
           "fig11": regions, "cities": cities, "fig12": segment_stage, "rounds": round_mix,
           "segments": segments_by_company}


def build_report(G: nx.MultiDiGraph, year: int = REPORT_YEAR, only: list[str] | None = None,
                 scale: float = 1.0) -> dict:
    """Every figure for ``year`` (events extracted once), with a count of checks that agree.

    ``scale`` multiplies the published counts (not the shares), to compare data of another size."""
    ev = events_of(G, year)
    figs = [fn(G, year, ev=ev, scale=scale) for k, fn in FIGURES.items() if not only or k in only]
    nodes = G._node
    synthetic = any(nodes[n].get("synthetic") for n in ev.ids if n in nodes)
    for f in figs:
        f["synthetic"] = synthetic
    checks = [c for f in figs for c in f["checks"]]
    return {"year": year, "scale": scale, "events": len(ev), "figures": figs, "synthetic": synthetic,
            "agreement": {"checks": len(checks), "ok": sum(1 for c in checks if c["ok"]), "tolerance": TOLERANCE}}


# ------------------------------------------------------------------------------------------ the graph
_REPORT_LABELS = ("Round", "Company", "Investor", "Region", "Segment")
_REPORT_RELS = ("RAISED", "INVESTED_IN", "LOCATED_IN", "IN_SEGMENT", "PART_OF")


def report_graph(store) -> nx.MultiDiGraph:
    """The graph the figures are computed from: the embedded store's own graph, or, on a Cypher
    store, the nodes and relationships they need read into a MultiDiGraph."""
    G = getattr(store, "graph", None)
    if G is not None:
        if hasattr(store, "refresh"):
            store.refresh()
            G = store.graph
        return G
    G = nx.MultiDiGraph()
    for label in _REPORT_LABELS:
        for r in store.read(f"MATCH (n:{label}) RETURN properties(n) AS p", {}):
            p = dict(r["p"])
            G.add_node(p["id"], _label=label, **{k: v for k, v in p.items() if k != "_label"})
    for rel in _REPORT_RELS:
        for r in store.read(f"MATCH (a)-[r:{rel}]->(b) RETURN a.id AS s, b.id AS t, properties(r) AS p", {}):
            if r["s"] in G and r["t"] in G:
                G.add_edge(r["s"], r["t"], key=rel, **dict(r.get("p") or {}))
    return G


# ------------------------------------------------------------------------------------------ writing
def _width(s: str) -> int:
    """Display width in a terminal: Chinese characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int, right: bool) -> str:
    gap = " " * max(0, w - _width(s))
    return gap + s if right else s + gap


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def format_cell(fig: dict, col: str, v, row: dict | None = None) -> str:
    """One value as the tables show it: shares in %, money in 亿元, bounds as ≥/≤, labels as is."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    metric = (row or {}).get("metric", "")
    money = "amount" in col or metric == "disclosed_amount_cny" and col in ("value", "published", "diff")
    share = "share" in col or metric == "disclosed_share" and col in ("value", "published", "diff")
    if isinstance(v, str) and v[:1] in "≥≤" and share:
        try:
            return f"{v[0]}{float(v[1:]) * 100:.1f}%"
        except ValueError:
            return v
    if _is_num(v):
        if share:
            if col.startswith("diff"):
                return "0.0pp" if abs(v) < 0.0005 else f"{v * 100:+.1f}pp"
            return f"{v * 100:.1f}%"
        if money:
            return f"{v / 1e8:,.2f}亿"
        if isinstance(v, float) and not v.is_integer():
            return f"{v:,.2f}"
        return f"{int(v):,}" if abs(v) >= 10000 else str(int(v))
    return str(v)


def format_figure(fig: dict) -> str:
    """A figure as a plain-text table, its published numbers and differences beside the values."""
    cols = [c for c in fig["columns"] if c != "key"]
    cells = [[format_cell(fig, c, r.get(c), r) for c in cols] for r in fig["rows"]]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(cols)]
    right = [any(_is_num(r.get(c)) for r in fig["rows"]) for c in cols]
    lines = [f"{fig['title']} · {fig['title_en']}"]
    if fig.get("source"):
        lines.append(f"source: {fig['source']}")
    lines.append("  ".join(_pad(c, w, r) for c, w, r in zip(cols, widths, right)))
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(_pad(x, w, r) for x, w, r in zip(row, widths, right)))
    if fig["checks"]:
        ok = sum(1 for c in fig["checks"] if c["ok"])
        lines.append(f"agrees with the report: {ok} of {len(fig['checks'])} "
                     f"(numbers within {TOLERANCE:.0%}, bounds kept, rankings as stated)")
    for note in fig.get("notes") or []:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def format_report(report: dict) -> str:
    parts = [format_figure(f) for f in report["figures"]]
    a = report["agreement"]
    tail = f"{a['ok']} of {a['checks']} published numbers reproduced (within {a['tolerance']:.0%})"
    if report.get("scale", 1.0) != 1.0:
        tail += f"; published counts scaled ×{report['scale']:.4g} to the data's size"
    elif report["year"] == REPORT_YEAR and report.get("events") and abs(report["events"] / 752 - 1) > 0.5:
        tail += (f"; the data has {report['events']:,} events against the report's 752: "
                 "compare the shares, or the counts scaled")
    return "\n\n".join(parts + [tail])


def _sheet_name(s: str, used: set) -> str:
    base = "".join(ch for ch in s if ch not in "[]:*?/\\")[:31] or "sheet"
    name, k = base, 2
    while name.lower() in used:
        name = f"{base[:28]}-{k}"
        k += 1
    used.add(name.lower())
    return name


def write_csv(fig: dict, path) -> None:
    """A figure as CSV; names from users' files never become spreadsheet formulas."""
    from kg.exports.tables import _csv_cell

    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        syn = bool(fig.get("synthetic"))
        w.writerow(fig["columns"] + (["synthetic"] if syn else []))
        for r in fig["rows"]:
            w.writerow([_csv_cell(r.get(c)) for c in fig["columns"]] + (["true"] if syn else []))


SYNTHETIC_CAPTION = "含合成演示数据（kg demo），非真实交易 / contains synthetic demo data (kg demo), not real deals"


def write_xlsx(report: dict, path) -> None:
    """One sheet per figure (title, source, header, rows), then every check on a sheet of its own."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 13})
    pct = wb.add_format({"num_format": "0.0%"})
    used: set = set()
    for fig in report["figures"]:
        ws = wb.add_worksheet(_sheet_name(fig["id"], used))
        ws.write(0, 0, fig["title"], title)
        ws.write(1, 0, fig["title_en"])
        if fig.get("source"):
            ws.write(2, 0, f"source: {fig['source']}")
        if fig.get("synthetic"):
            ws.write(3, 0, SYNTHETIC_CAPTION, wb.add_format({"bold": True, "font_color": "#9c0006"}))
        for j, c in enumerate(fig["columns"]):
            ws.write(4, j, c, bold)
            ws.set_column(j, j, max(10, min(40, _width(c) + 2)))
        for i, r in enumerate(fig["rows"], start=5):
            for j, c in enumerate(fig["columns"]):
                v = r.get(c)
                if v is None:
                    continue
                if _is_num(v) and "share" in c:
                    ws.write_number(i, j, v, pct)
                elif isinstance(v, (bool, int, float, str)):
                    ws.write(i, j, v)
                else:
                    ws.write(i, j, str(v))
        ws.freeze_panes(5, 0)
    ws = wb.add_worksheet(_sheet_name("checks", used))
    cols = ["figure", "row", "metric", "value", "published", "diff", "rel", "ok"]
    for j, c in enumerate(cols):
        ws.write(0, j, c, bold)
    i = 1
    for fig in report["figures"]:
        for c in fig["checks"]:
            vals = [fig["id"], str(c["row"]), c["metric"], c["value"], c["published"], c["diff"], c["rel"], c["ok"]]
            for j, v in enumerate(vals):
                if v is None:
                    continue
                ws.write(i, j, v if isinstance(v, (bool, int, float, str)) else str(v))
            i += 1
    wb.close()


# figure id -> (label column, value column, published column or None)
CHARTS = {"table5": ("investor", "companies", "published"), "fig5": ("province", "listed", "published"),
          "fig10": ("month", "events", None), "fig11": ("region", "events", "published_events"),
          "cities": ("city", "events", None), "fig12": ("segment", "early_share", None),
          "rounds": ("round", "share", "published_share"), "segments": ("segment", "share", "published_share")}


def cjk_font() -> str | None:
    """A font family that has Chinese glyphs (Noto CJK from fonts-noto-cjk first), or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for want in ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                 "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC"):
        if want in names:
            return want
    return next((n for n in sorted(names) if "CJK" in n), None)


def write_charts(report: dict, out_dir) -> tuple[list[str], str | None]:
    """A bar chart per figure (computed beside published) as PNG; returns (paths, why skipped)."""
    from pathlib import Path

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return [], "matplotlib is not installed: no charts (pip install matplotlib)"
    font = cjk_font()
    if font is None:
        return [], "no font with Chinese glyphs found: no charts (install fonts-noto-cjk)"
    paths = []
    with plt.rc_context({"font.family": [font], "axes.unicode_minus": False}):
        for fig in report["figures"]:
            spec = CHARTS.get(fig["id"])
            if not spec:
                continue
            label, value, pub = spec
            rows = [r for r in fig["rows"] if _is_num(r.get(value)) and r.get("level", "province") != "summary"]
            if fig["id"] == "fig11":
                rows = [r for r in rows if r.get("level") == "province"][:20]
            if fig["id"] == "fig12":
                rows = [r for r in rows if r["segment"] != "平均"]
            if not rows:
                continue
            xs = [str(r.get(label)) for r in rows]
            ys = [r[value] for r in rows]
            ps = [r.get(pub) if pub and _is_num(r.get(pub)) else None for r in rows]
            f, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(xs) + 2), 4.2), dpi=110)
            idx = list(range(len(xs)))
            has_pub = any(p is not None for p in ps)
            wbar = 0.4 if has_pub else 0.7
            ax.bar([i - (wbar / 2 if has_pub else 0) for i in idx], ys, width=wbar, label="本图数据 (graph)")
            if has_pub:
                ax.bar([i + wbar / 2 for i in idx], [p if p is not None else 0 for p in ps], width=wbar,
                       label="报告公布 (published)", color="#d62728")
                ax.legend()
            ax.set_xticks(idx)
            ax.set_xticklabels(xs, rotation=45 if len(xs) > 8 else 0, ha="right" if len(xs) > 8 else "center")
            ax.set_title(f"{fig['title']}\n{fig['title_en']}", fontsize=10)
            ax.set_ylabel(value)
            if fig.get("synthetic"):
                f.text(0.99, 0.01, SYNTHETIC_CAPTION, ha="right", va="bottom", fontsize=8, color="#9c0006",
                       fontweight="bold", parse_math=False)
            f.tight_layout(rect=(0, 0.04, 1, 1) if fig.get("synthetic") else None)
            path = Path(out_dir) / f"{fig['id']}.png"
            f.savefig(path)
            plt.close(f)
            paths.append(str(path))
    return paths, None


def write_report(report: dict, out_dir) -> dict:
    """CSV per figure, one XLSX with a sheet per figure, and PNG charts when matplotlib is there."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"csv": [], "xlsx": None, "png": [], "notes": []}
    for fig in report["figures"]:
        p = out / f"{fig['id']}.csv"
        write_csv(fig, p)
        written["csv"].append(str(p))
    x = out / f"report-{report['year']}.xlsx"
    write_xlsx(report, x)
    written["xlsx"] = str(x)
    written["png"], why = write_charts(report, out)
    if why:
        written["notes"].append(why)
    return written
