"""Each figure of the report (Table 5, Figures 5, 10, 11, 12, the headline, cities, rounds and
segments) computed from a year's :class:`~kg.reporting.events.Events`, with the checks against what the
report published."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from functools import lru_cache

from kg.reporting.events import (
    round_types,
    REPORT_YEAR,
    THREE,
    THREE_LABEL,
    TOLERANCE,
    UNKNOWN,
    Events,
    _company_facts,
    _year_of,
    events_of,
    load_ontology,
    published_figures,
)
from kg.reporting.files import _is_num

__all__ = ["FIGURES", "cities", "headline", "listed_by_province", "months", "regions", "round_mix",
           "segment_stage", "segments_by_company", "table5"]

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
    ev = events_of(G, year) if ev is None else ev
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
    ev = events_of(G, year) if ev is None else ev
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
    ev = Events(year=year) if ev is None else ev
    if ev.facts is None:
        ev.facts = lambda c: _company_facts(G, c, ev)
    listed = ev.listed if ev.listed is not None else _listed_in_graph(G, year)
    by_prov: Counter = Counter()
    star: Counter = Counter()
    for c, board in listed.items():
        ev.facts(c)
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


def _listed_in_graph(G, year) -> dict:
    """company id -> board, for each company listed by the end of ``year`` (a known board, or an IPO
    by then, makes it listed)."""
    nodes, pred = G._node, G._pred
    listed: dict = {}
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
    return listed


def months(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Events by month (Fig. 10): the report names the fewest and the busiest months."""
    ev = events_of(G, year) if ev is None else ev
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
    ev = events_of(G, year) if ev is None else ev
    n = len(ev)
    total_amount = sum(a for a in ev.amount if a is not None)
    stats: dict = defaultdict(lambda: [0, 0, 0.0])  # events, disclosed, amount
    levels: dict = {}
    # events summed per place (province and macro regions) first, then onto each region of the place
    places: dict = {}   # (province, macros) -> [events, disclosed, amount]
    co_province, co_macros = ev.co_province, ev.co_macros
    for comp, a in zip(ev.company, ev.amount):
        place = (co_province.get(comp), co_macros.get(comp, ())) if comp is not None else (None, None)
        s = places.get(place)
        if s is None:
            s = places[place] = [0, 0, 0.0]
        s[0] += 1
        if a is not None:
            s[1] += 1
            s[2] += a
    three = set(THREE)
    for (prov, macros), (e, dcount, amt) in places.items():
        keys = [(prov or UNKNOWN, "province")] + [(m, "macro") for m in (macros or ())]
        if macros is not None and set(macros) & three:
            keys.append((THREE_LABEL, "summary"))
        for k, level in keys:
            s = stats[k]
            s[0] += e
            s[1] += dcount
            s[2] += amt
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
    ev = events_of(G, year) if ev is None else ev
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
    ev = events_of(G, year) if ev is None else ev
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
    ("a_plus_and_earlier", "A+轮及以前", round_types("early")),
    ("later", "B轮至Pre-IPO", round_types("later")),
    ("strategic", "战略投资", ("strategic",)),
]


def round_mix(G, year=REPORT_YEAR, ev: Events | None = None, scale: float = 1.0) -> dict:
    """Events by round: seed+angel, Pre-A, A, A+ and earlier, strategic, B to pre-IPO, other."""
    ev = events_of(G, year) if ev is None else ev
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
    ev = events_of(G, year) if ev is None else ev
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

