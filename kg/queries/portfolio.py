"""Who invested in what: an investor's portfolio, a company's investors and funding history,
and the companies two investors share."""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from kg.queries.base import Graph, NamedQuery, Param, as_money, graph_rows, register
from kg.queries.common import (
    COMPANY_INFO,
    ROUND_MAP,
    add_round,
    company_fields,
    company_info,
    round_info,
    round_sort_key,
)
from kg.queries.filters import filter_params

__all__ = ["common_portfolio", "funding_history", "investors_of", "portfolio", "round_mix"]

ROUND_LEAD_MAP = ROUND_MAP[:-1] + ", lead: p.lead}"


def _rounds_summary(rounds: list[dict]) -> dict:
    rounds = sorted(rounds, key=round_sort_key)
    dates = [r["date"] for r in rounds if r.get("date")]
    return {"rounds": len(rounds), "round_labels": [r.get("label") for r in rounds],
            "first_date": min(dates) if dates else None, "last_date": max(dates) if dates else None,
            "lead": any(bool(r.get("lead")) for r in rounds)}


def _investor_parts(ix, p, inv_id: str):
    """Participations of one investor passing the filters (positions into ix.p_*)."""
    i = ix.inv_pos.get(inv_id)
    if i is None:
        return np.array([], dtype=np.int64)
    parts = ix.investor_participations(i)
    return parts[p.filters.part_mask(ix, parts)]


def _by_company(ix, parts, only=None) -> dict[int, list[dict]]:
    """Each company's rounds among participations ``parts`` (only the companies ``only`` when given)."""
    rs = ix.p_round[parts]
    cs = ix.r_company[rs]
    if only is not None:
        keep = np.isin(cs, only)
        parts, rs, cs = parts[keep], rs[keep], cs[keep]
    out: dict[int, list[dict]] = defaultdict(list)
    for r, c, lead in zip(rs.tolist(), cs.tolist(), ix.p_lead[parts].tolist()):
        out[c].append({**round_info(ix, r), "lead": bool(lead)})
    return out


def _split(cell) -> list[str]:
    return [x for x in str(cell or "").split("、") if x]


def round_mix(rounds, rows=None) -> dict:
    """Aggregates over every round given (not over a capped list): rounds per year and per month
    (``""`` = undated, or dated less precisely) and per round type, rounds led, the disclosed amount; with ``rows`` (one per company,
    carrying ``segment`` and ``region`` cells) the companies per segment and per province.

    Each count equals the named counts with the same filters: ``years[y]`` is ``deal_count``
    with ``year=y``, ``segments[s]`` is ``company_count`` with ``segment=s``."""
    years, months, types = defaultdict(int), defaultdict(int), defaultdict(int)
    seen, led, amount = set(), 0, 0.0
    for rd in rounds:  # a plain loop: at 100k deals an investor has thousands of rounds
        rid = rd["id"]
        if rid in seen:
            continue
        seen.add(rid)
        d = str(rd.get("date") or "")
        years[d[:4]] += 1
        months[d[:7] if len(d) >= 7 else ""] += 1
        types[str(rd.get("type") or "other")] += 1
        if rd.get("lead"):
            led += 1
        a = rd.get("amount_cny")
        if a is not None and a == a:  # not NaN
            amount += round(float(a), 2)
    amount = as_money(amount)
    out = {"rounds": len(seen), "lead_rounds": led, "amount_cny": amount,
           "years": dict(sorted(years.items(), key=lambda kv: (kv[0] == "", kv[0]))),
           "months": dict(sorted(months.items(), key=lambda kv: (kv[0] == "", kv[0]))),
           "types": dict(sorted(types.items(), key=lambda kv: (-kv[1], kv[0])))}
    if rows is not None:
        out.update(_companies_per_cell(rows))
    return out


def _companies_per_cell(rows) -> dict:
    """Companies per segment and per province, from the rows' ``segment`` and ``region`` cells."""
    return _companies_per_part([_split(r.get("segment")) for r in rows], [_split(r.get("region")) for r in rows])


def _companies_per_part(seg_parts, reg_parts) -> dict:
    """Companies per segment and per province, from each company's segments and provinces (one list each)."""
    segs = Counter(x for parts in seg_parts for x in parts)
    regs = Counter(x for parts in reg_parts for x in parts)
    return {"segments": dict(sorted(segs.items(), key=lambda kv: (-kv[1], kv[0]))),
            "regions": dict(sorted(regs.items(), key=lambda kv: (-kv[1], kv[0])))}


# ---------------------------------------------------------------------------- portfolio
def _stage_codes(ix) -> np.ndarray:
    """Each round's ontology stage (99 when unknown): the middle key of :func:`round_sort_key`."""
    from kg.queries.common import stage_of

    def build():
        types, inv = ix.type_codes()
        return np.array([stage_of(t or None) for t in types.tolist()], dtype=np.int64)[inv]
    return ix.memo("portfolio_stage", build)


def _mix_embedded(ix, rs: np.ndarray, led: np.ndarray, parts: tuple[list, list]) -> dict:
    """:func:`round_mix` over rounds ``rs`` (distinct; ``led`` per round) without a dict per round."""
    mc = ix.month_code()[rs]
    ys = np.where(mc >= 0, mc // 100, -1)
    years = {("" if y < 0 else f"{y:04d}"): int(n) for y, n in zip(*np.unique(ys, return_counts=True))}
    mkey = np.where((mc >= 0) & (mc % 100 > 0), mc, -1)
    months = {("" if m < 0 else f"{m // 100:04d}-{m % 100:02d}"): int(n)
              for m, n in zip(*np.unique(mkey, return_counts=True))}
    tnames, tinv = ix.type_codes()
    tc = np.bincount(tinv[rs], minlength=len(tnames))
    types: dict[str, int] = defaultdict(int)
    for k in np.flatnonzero(tc).tolist():
        types[str(tnames[k] or "other")] += int(tc[k])
    amt = ix.r_amount[rs]
    amount = as_money(float(np.round(amt[~np.isnan(amt)], 2).sum())) if len(rs) else as_money(0.0)
    mix = {"rounds": int(len(rs)), "lead_rounds": int(led.sum()), "amount_cny": amount,
           "years": dict(sorted(years.items(), key=lambda kv: (kv[0] == "", kv[0]))),
           "months": dict(sorted(months.items(), key=lambda kv: (kv[0] == "", kv[0]))),
           "types": dict(sorted(types.items(), key=lambda kv: (-kv[1], kv[0])))}
    mix.update(_companies_per_part(*parts))
    return mix


def _name_rank(ix) -> np.ndarray:
    """Each company's place when sorted by (name, id), as the Cypher path's rows are sorted."""
    def build():
        order = sorted(range(len(ix.co_ids)), key=lambda c: (ix.co_names[c], ix.co_ids[c]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank
    return ix.memo("portfolio_name_rank", build)


def _portfolio_embedded(ix, p) -> dict:
    """The portfolio's rows, summaries and mix straight from the index's arrays (an investor at 100k
    deals has ~2,000 companies: a dict per round was most of the answer's time); only the rows drawn
    in the graph carry their rounds."""
    from kg.queries.base import GRAPH_ROWS

    parts = _investor_parts(ix, p, p.cy["investor"])
    rs, lead = ix.p_round[parts].astype(np.int64), ix.p_lead[parts].astype(bool)
    if not len(rs):
        return {"shaped": [], "mix": round_mix([], [])}
    cs = ix.r_company[rs].astype(np.int64)
    dates = ix.r_date[rs]
    # round_sort_key within each company: dated first, by date, stage, id
    order = np.lexsort((ix.r_id_arr[rs], _stage_codes(ix)[rs], dates, dates == "", cs))
    rs, lead, cs, dates = rs[order], lead[order], cs[order], dates[order]
    starts = np.flatnonzero(np.concatenate(([True], cs[1:] != cs[:-1])))
    ends = np.append(starts[1:], len(cs))
    ndated = np.add.reduceat((dates != "").astype(np.int64), starts)
    first = np.where(ndated > 0, dates[starts], "")
    last = np.where(ndated > 0, dates[starts + np.maximum(ndated - 1, 0)], "")
    led_any = np.logical_or.reduceat(lead, starts)
    labels = [ix.r_labels[r] for r in rs.tolist()]
    cells = ix.memo("portfolio_cells", dict)  # company -> (segment, province, city) cells, filled as asked
    # the rows' order (most rounds first, then by name and id) from the arrays, not by sorting dicts
    companies = cs[starts]
    by = np.lexsort((_name_rank(ix)[companies], -(ends - starts)))
    rows, seg_parts, reg_parts = [], [], []
    for n, (a, b, c, f0, f1, ld) in enumerate(zip(starts[by].tolist(), ends[by].tolist(), companies[by].tolist(),
                                                  first[by].tolist(), last[by].tolist(), led_any[by].tolist())):
        cell = cells.get(c)
        if cell is None:  # the cells as shown, and split as the mix counts them (_split of each cell)
            f = company_fields(company_info(ix, c))
            cell = cells[c] = (f["segment"], f["province"], f["city"], _split(f["segment"]), _split(f["province"]))
        seg_parts.append(cell[3])
        reg_parts.append(cell[4])
        row = {"company": ix.co_names[c], "rounds": b - a, "round_labels": labels[a:b],
               "first_date": f0 or None, "last_date": f1 or None, "lead": ld,
               "segment": cell[0], "region": cell[1], "city": cell[2], "company_id": ix.co_ids[c]}
        if n < GRAPH_ROWS:  # only the rows drawn in the graph carry their rounds
            row["_rounds"] = [{**round_info(ix, k), "lead": x} for k, x in zip(rs[a:b].tolist(), lead[a:b].tolist())]
        rows.append(row)
    return {"shaped": rows, "mix": _mix_embedded(ix, rs, lead, (seg_parts, reg_parts))}


def _portfolio_shape(raw, p) -> dict:
    inv = p.entities["investor"]
    g = Graph()
    g.node(inv.id, "Investor", inv.name)
    if "shaped" in raw:  # the embedded plan summarised already (same rows, same order, same mix)
        rows, mix = raw["shaped"], raw["mix"]
    else:
        rows = []
        for r in raw["main"]:
            s = _rounds_summary(r["rounds"])
            f = company_fields(r)
            rows.append({"company": r["company"], **s, "segment": f["segment"], "region": f["province"],
                         "city": f["city"], "company_id": r["company_id"], "_rounds": r["rounds"]})
        rows.sort(key=lambda x: (-x["rounds"], x["company"], x["company_id"]))
        mix = round_mix((rd for r in rows for rd in r["_rounds"]), rows)
    out = {"rows": rows, "value": len(rows), "graph": g, "meta": {"mix": mix}}
    for r in graph_rows(rows, out):
        g.node(r["company_id"], "Company", r["company"])
        for rd in r["_rounds"]:
            add_round(g, rd, r["company_id"])
            g.edge(inv.id, "INVESTED_IN", rd["id"], lead=bool(rd.get("lead")))
    for r in rows:
        r.pop("_rounds", None)
    return out


portfolio = register(NamedQuery(
    name="portfolio",
    doc="""Companies an investor invested in.

    One row per company: the rounds it joined (filtered), first and last date, whether it led
    any, the company's segment and region. Most rounds first, then by name.""",
    params=(Param("investor", "entity", required=True, labels=("Investor",), help="investor name, alias or id"),
            *filter_params()),
    columns=("company", "rounds", "round_labels", "first_date", "last_date", "lead", "segment", "region", "city"),
    value="number of distinct companies",
    statements={"main": f"""
MATCH (i:Investor {{id: $investor}})-[p:INVESTED_IN]->(r:Round)<-[:RAISED]-(c:Company)
{{where}}
WITH c, collect({ROUND_LEAD_MAP}) AS rounds
RETURN c.id AS company_id, c.name AS company, rounds, {COMPANY_INFO}
"""},
    embedded=_portfolio_embedded,
    shape=_portfolio_shape,
))


# ---------------------------------------------------------------------------- investors_of
def _investors_of_embedded(ix, p) -> dict:
    c = ix.co_pos.get(p.cy["company"])
    if c is None:
        return {"main": []}
    rmask = p.filters.round_mask(ix)
    by_inv: dict[int, list[dict]] = defaultdict(list)
    for r in ix.company_rounds(c):
        if not rmask[r]:
            continue
        for k in ix.round_participations(int(r)):
            if p.filters.lead_only and not ix.p_lead[k]:
                continue
            by_inv[int(ix.p_inv[k])].append({**round_info(ix, int(r)), "lead": bool(ix.p_lead[k])})
    return {"main": [{"investor_id": ix.inv_ids[i], "investor": ix.inv_names[i], "rounds": rounds}
                     for i, rounds in by_inv.items()]}


def _investors_of_shape(raw, p) -> dict:
    co = p.entities["company"]
    g = Graph()
    g.node(co.id, "Company", co.name)
    rows = []
    for r in raw["main"]:
        s = _rounds_summary(r["rounds"])
        rows.append({"investor": r["investor"], **s, "investor_id": r["investor_id"], "_rounds": r["rounds"]})
    rows.sort(key=lambda x: (-x["rounds"], x["investor"], x["investor_id"]))
    out = {"rows": rows, "value": len(rows), "graph": g}
    for r in graph_rows(rows, out):
        g.node(r["investor_id"], "Investor", r["investor"])
        for rd in r["_rounds"]:
            add_round(g, rd, co.id)
            g.edge(r["investor_id"], "INVESTED_IN", rd["id"], lead=bool(rd.get("lead")))
    for r in rows:
        del r["_rounds"]
    return out


investors_of = register(NamedQuery(
    name="investors_of",
    doc="""Investors of a company.

    One row per investor: the company's rounds it joined (filtered) and whether it led any.
    Most rounds first, then by name.""",
    params=(Param("company", "entity", required=True, labels=("Company",), help="company name, alias or id"),
            *filter_params()),
    columns=("investor", "rounds", "round_labels", "first_date", "last_date", "lead"),
    value="number of distinct investors",
    statements={"main": f"""
MATCH (c:Company {{id: $company}})-[:RAISED]->(r:Round)<-[p:INVESTED_IN]-(i:Investor)
{{where}}
WITH i, collect({ROUND_LEAD_MAP}) AS rounds
RETURN i.id AS investor_id, i.name AS investor, rounds
"""},
    embedded=_investors_of_embedded,
    shape=_investors_of_shape,
))


# ---------------------------------------------------------------------------- funding_history
def _history_embedded(ix, p) -> dict:
    c = ix.co_pos.get(p.cy["company"])
    rows = []
    if c is not None:
        for r in ix.company_rounds(c):
            invs = [{"id": ix.inv_ids[int(ix.p_inv[k])], "name": ix.inv_names[int(ix.p_inv[k])],
                     "lead": bool(ix.p_lead[k])} for k in ix.round_participations(int(r))]
            rows.append({"round": round_info(ix, int(r)), "investors": invs})
    return {"main": rows}


def _history_shape(raw, p) -> dict:
    co = p.entities["company"]
    g = Graph()
    g.node(co.id, "Company", co.name)
    rows = []
    for r in raw["main"]:
        rd = r["round"]
        invs = sorted((x for x in r["investors"] if x.get("id")),
                      key=lambda x: (not x.get("lead"), x.get("name") or "", x["id"]))
        rows.append({"date": rd.get("date"), "round": rd.get("label"), "type": rd.get("type"),
                     "amount_cny": as_money(rd.get("amount_cny")), "investors": [x["name"] for x in invs],
                     "leads": [x["name"] for x in invs if x.get("lead")], "round_id": rd["id"]})
        add_round(g, rd, co.id)
        for x in invs:
            g.node(x["id"], "Investor", x["name"])
            g.edge(x["id"], "INVESTED_IN", rd["id"], lead=bool(x.get("lead")))
    rows.sort(key=lambda x: round_sort_key({"date": x["date"], "type": x["type"], "id": x["round_id"]}))
    return {"rows": rows, "value": len(rows), "graph": g}


funding_history = register(NamedQuery(
    name="funding_history",
    doc="""A company's rounds in date order, with amounts and investors (leads first).""",
    params=(Param("company", "entity", required=True, labels=("Company",), help="company name, alias or id"),),
    columns=("date", "round", "type", "amount_cny", "investors", "leads"),
    value="number of rounds",
    statements={"main": f"""
MATCH (c:Company {{id: $company}})-[:RAISED]->(r:Round)
OPTIONAL MATCH (i:Investor)-[p:INVESTED_IN]->(r)
WITH r, collect({{id: i.id, name: i.name, lead: p.lead}}) AS investors
RETURN {ROUND_MAP} AS round, investors
"""},
    embedded=_history_embedded,
    shape=_history_shape,
))


# ---------------------------------------------------------------------------- common_portfolio
def _common_embedded(ix, p) -> dict:
    pa, pb = _investor_parts(ix, p, p.cy["a"]), _investor_parts(ix, p, p.cy["b"])
    both = np.intersect1d(ix.r_company[ix.p_round[pa]], ix.r_company[ix.p_round[pb]])  # only these need rounds
    a, b = _by_company(ix, pa, both), _by_company(ix, pb, both)
    rows = [{"company_id": ix.co_ids[c], "company": ix.co_names[c], "rounds_a": a[c], "rounds_b": b[c]}
            for c in a if c in b]
    return {"main": rows}


def _common_shape(raw, p) -> dict:
    ea, eb = p.entities["a"], p.entities["b"]
    g = Graph()
    g.node(ea.id, "Investor", ea.name)
    g.node(eb.id, "Investor", eb.name)
    rows = []
    for r in raw["main"]:
        rows.append({"company": r["company"], "rounds_a": len(r["rounds_a"]), "rounds_b": len(r["rounds_b"]),
                     "company_id": r["company_id"], "_raw": r})
    rows.sort(key=lambda x: (x["company"], x["company_id"]))
    out = {"rows": rows, "value": len(rows), "graph": g}
    for row in graph_rows(rows, out):
        r = row["_raw"]
        g.node(r["company_id"], "Company", r["company"])
        for inv, rounds in ((ea, r["rounds_a"]), (eb, r["rounds_b"])):
            for rd in rounds:
                add_round(g, rd, r["company_id"])
                g.edge(inv.id, "INVESTED_IN", rd["id"], lead=bool(rd.get("lead")))
    for r in rows:
        del r["_raw"]
    return out


common_portfolio = register(NamedQuery(
    name="common_portfolio",
    doc="""Companies both investors invested in (each in a round passing the filters, not
    necessarily the same round), with how many rounds each joined. By name.""",
    params=(Param("a", "entity", required=True, labels=("Investor",), help="first investor"),
            Param("b", "entity", required=True, labels=("Investor",), help="second investor"),
            *filter_params()),
    columns=("company", "rounds_a", "rounds_b"),
    value="number of companies",
    statements={"main": f"""
MATCH (x:Investor {{id: $a}})-[p:INVESTED_IN]->(r:Round)<-[:RAISED]-(c:Company)
{{where}}
WITH c, collect({ROUND_LEAD_MAP}) AS rounds_a
MATCH (y:Investor {{id: $b}})-[p:INVESTED_IN]->(r:Round)<-[:RAISED]-(c)
{{where}}
WITH c, rounds_a, collect({ROUND_LEAD_MAP}) AS rounds_b
RETURN c.id AS company_id, c.name AS company, rounds_a, rounds_b
"""},
    embedded=_common_embedded,
    shape=_common_shape,
))
