"""Aggregates the report draws: per region, per segment, segment × stage (its Fig. 12) and the
timeline of events and amounts (its Fig. 10).

On the embedded store every aggregate is a sparse product (rounds × regions, rounds × segments,
rounds × investors), so a summary over 100k rounds stays a few numpy calls.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from kg.index import unique
from kg.queries.base import Graph, NamedQuery, Param, as_int, as_money, register
from kg.queries.filters import filter_params
from kg.store.reading import column_values

__all__ = ["STAGE_GROUPS", "region_summary", "segment_stage", "segment_summary", "timeline"]

STAGE_GROUPS = ("early", "later", "strategic", "listed", "other")
TOP = 3


def _amount_vector(ix, rounds: np.ndarray) -> np.ndarray:
    a = ix.r_amount[rounds]
    return np.where(np.isnan(a), 0.0, a)


def _membership(ix, key: str, columns: list[str], rows_of) -> tuple[sp.csr_matrix, list[str]]:
    """A companies × ``columns`` 0/1 matrix from ``rows_of(company) -> column ids`` (memoised)."""
    def build():
        pos = {c: k for k, c in enumerate(columns)}
        ri, ci = [], []
        for c in range(len(ix.co_ids)):
            for col in set(rows_of(c)):
                if col in pos:
                    ri.append(c)
                    ci.append(pos[col])
        m = sp.csr_matrix((np.ones(len(ri), dtype=np.int64), (ri, ci)), shape=(len(ix.co_ids), len(columns)))
        return m, columns
    return ix.memo(key, build)


def _segment_matrix(ix):
    segs = sorted(ix.seg_names)
    return _membership(ix, "segments", segs, lambda c: ix.co_segments[c])


def _regions(ix, store) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """(region id -> its id, name, title and level; region id -> the regions it is PART_OF), read
    once per store version through the read interface."""
    def build():
        t = store.entities("Region")
        cols = {c: column_values(t, c) for c in ("id", "name", "title", "level")}
        info = {i: {"_label": "Region", **{c: cols[c][k] for c in cols if cols[c][k] is not None}}
                for k, i in enumerate(cols["id"])}
        up: dict[str, list[str]] = {}
        d = store.relationships("PART_OF").select(["_start", "_end"]).to_pydict()
        for a, b in zip(d["_start"], d["_end"]):
            up.setdefault(a, []).append(b)
        return info, up
    return ix.memo("regions", build)


def _region_matrix(ix, store, level: str):
    info, up = _regions(ix, store)

    def lv(g):
        return info[g].get("level") if g in info else None

    def regions_of(c):
        out = []
        for g in ix.co_regions[c]:
            if level in ("province", "city") and lv(g) == level:
                out.append(g)
            elif level == "macro" and lv(g) in ("province", "city"):  # 珠三角 is made of cities, the others of provinces
                out += [t for t in up.get(g, ()) if lv(t) == "macro"]
        return list(dict.fromkeys(out))

    ids = sorted(g for g in info if lv(g) == level)
    return _membership(ix, ("regions", level), ids, regions_of)


def _top_rows(col: sp.spmatrix, names: list[str], ids: list[str]) -> list[tuple[int, str, str]]:
    """The TOP (count, name, id) of a sparse column, by count desc then name (ties kept fair)."""
    col = col.tocoo()
    rows, vals = col.row, col.data
    keep = vals > 0
    rows, vals = rows[keep], vals[keep]
    if len(vals) > TOP:
        kth = -np.partition(-vals, TOP - 1)[TOP - 1]
        sel = vals >= kth
        rows, vals = rows[sel], vals[sel]
    return [(v, names[i], ids[i]) for v, _, _, i in
            sorted((-int(v), names[i], ids[i], i) for i, v in zip(rows.tolist(), vals.tolist()))[:TOP]]


# ---------------------------------------------------------------------------- region_summary
_REGION_PATTERNS = {
    "province": "(c)-[:LOCATED_IN]->(g:Region {level: 'province'})",
    "city": "(c)-[:LOCATED_IN]->(g:Region {level: 'city'})",
    # a macro region is made of provinces (长三角) or of cities (珠三角): either is one PART_OF away
    "macro": "(c)-[:LOCATED_IN]->(:Region)-[:PART_OF]->(g:Region {level: 'macro'})",
}


def _region_statements(p) -> dict:
    pat = _REGION_PATTERNS[p["level"]]
    base = f"MATCH (c:Company)-[:RAISED]->(r:Round), {pat}"
    return {
        "main": f"""{base}
{{where}}
WITH DISTINCT g, c, r
RETURN g.id AS region_id, g.name AS region, count(r) AS deals, count(DISTINCT c) AS companies,
       count(r.amount_cny) AS disclosed, sum(r.amount_cny) AS amount_cny""",
        "investors": f"""{base}, (i:Investor)-[:INVESTED_IN]->(r)
{{where}}
WITH DISTINCT g, i, r
RETURN g.id AS region_id, i.id AS investor_id, i.name AS investor, count(r) AS deals""",
        "segments": f"""{base}, (c)-[:IN_SEGMENT]->(s:Segment)
{{where}}
WITH DISTINCT g, s, r
RETURN g.id AS region_id, s.id AS segment_id, s.name AS segment, count(r) AS deals""",
    }


def _top(items: list[dict], key: str, name: str, id_: str) -> dict[str, list[str]]:
    """Per region, the names of the TOP items by deals desc then name."""
    by: dict[str, list] = defaultdict(list)
    for x in items:
        by[x["region_id"]].append((-as_int(x["deals"]), x[name], x[id_]))
    return {g: [n for _, n, _ in sorted(v)[:TOP]] for g, v in by.items()}


def _region_embedded(ix, p) -> dict:
    from kg.index import node_name

    info, _ = _regions(ix, p.store)
    rounds = np.flatnonzero(p.filters.round_mask(ix))
    M, ids = _region_matrix(ix, p.store, p["level"])
    R = M[ix.r_company[rounds]] if len(rounds) else sp.csr_matrix((0, len(ids)), dtype=np.int64)
    deals = np.asarray(R.sum(axis=0)).ravel()
    cos = unique(ix.r_company[rounds])
    comps = np.asarray(M[cos].sum(axis=0)).ravel() if len(cos) else np.zeros(len(ids))
    amounts = R.T @ _amount_vector(ix, rounds)
    disclosed = R.T @ (~np.isnan(ix.r_amount[rounds])).astype(np.int64)
    main = [{"region_id": g, "region": node_name(info[g]), "deals": int(deals[k]), "companies": int(comps[k]),
             "disclosed": int(disclosed[k]), "amount_cny": float(amounts[k])}
            for k, g in enumerate(ids) if deals[k] > 0]
    # investors × regions and segments × regions, top TOP per region
    B = ix.memo("incidence", ix.incidence)[rounds]  # rounds × investors
    IR = (B.T @ R).tocsc()                          # investors × regions
    S, segs = _segment_matrix(ix)
    SR = (S[ix.r_company[rounds]].T @ R).tocsc()    # segments × regions
    investors, segments = [], []
    seg_names = [ix.seg_names[x] for x in segs]
    for k, g in enumerate(ids):
        if deals[k] <= 0:
            continue
        investors += [{"region_id": g, "investor_id": iid, "investor": n, "deals": -d}
                      for d, n, iid in _top_rows(IR.getcol(k), ix.inv_names, ix.inv_ids)]
        segments += [{"region_id": g, "segment_id": sid, "segment": n, "deals": -d}
                     for d, n, sid in _top_rows(SR.getcol(k), seg_names, segs)]
    return {"main": main, "investors": investors, "segments": segments}


def _region_shape(raw, p) -> dict:
    inv = _top(raw["investors"], "deals", "investor", "investor_id")
    seg = _top(raw["segments"], "deals", "segment", "segment_id")
    rows, g = [], Graph()
    for x in raw["main"]:
        rows.append({"region": x["region"], "deals": as_int(x["deals"]), "companies": as_int(x["companies"]),
                     "amount_cny": as_money(x["amount_cny"]) if as_int(x["disclosed"]) else None,
                     "top_investors": inv.get(x["region_id"], []), "top_segments": seg.get(x["region_id"], []),
                     "region_id": x["region_id"]})
    rows.sort(key=lambda x: (-x["deals"], x["region"], x["region_id"]))
    for x in rows:
        g.node(x["region_id"], "Region", x["region"], level=p["level"], deals=x["deals"], companies=x["companies"])
    return {"rows": rows, "value": len(rows), "graph": g}


region_summary = register(NamedQuery(
    name="region_summary",
    doc="""Per region (province, city or macro region): deals, companies, disclosed amount, its top 3
    investors and top 3 segments by deals. Most deals first.""",
    params=(Param("level", "choice", "province", choices=("province", "city", "macro"),
                  help="province, city or macro"),
            *filter_params(exclude=("lead_only",))),
    columns=("region", "deals", "companies", "amount_cny", "top_investors", "top_segments"),
    value="number of regions with deals",
    statements=_region_statements,
    embedded=_region_embedded,
    shape=_region_shape,
))


# ---------------------------------------------------------------------------- segment_summary
SEGMENT_BASE = "MATCH (c:Company)-[:RAISED]->(r:Round), (c)-[:IN_SEGMENT]->(s:Segment)"


def _segment_embedded(ix, p) -> dict:
    rounds = np.flatnonzero(p.filters.round_mask(ix))
    S, segs = _segment_matrix(ix)
    R = S[ix.r_company[rounds]] if len(rounds) else sp.csr_matrix((0, len(segs)), dtype=np.int64)
    deals = np.asarray(R.sum(axis=0)).ravel()
    cos = unique(ix.r_company[rounds])
    comps = np.asarray(S[cos].sum(axis=0)).ravel() if len(cos) else np.zeros(len(segs))
    amounts = R.T @ _amount_vector(ix, rounds)
    disclosed = R.T @ (~np.isnan(ix.r_amount[rounds])).astype(np.int64)
    return {"main": [{"segment_id": s, "segment": ix.seg_names[s], "deals": int(deals[k]),
                      "companies": int(comps[k]), "disclosed": int(disclosed[k]), "amount_cny": float(amounts[k])}
                     for k, s in enumerate(segs) if deals[k] > 0]}


def _segment_shape(raw, p) -> dict:
    rows = [{"segment": x["segment"], "deals": as_int(x["deals"]), "companies": as_int(x["companies"]),
             "amount_cny": as_money(x["amount_cny"]) if as_int(x["disclosed"]) else None,
             "segment_id": x["segment_id"]} for x in raw["main"]]
    rows.sort(key=lambda x: (-x["deals"], x["segment"], x["segment_id"]))
    g = Graph()
    for x in rows:
        g.node(x["segment_id"], "Segment", x["segment"], deals=x["deals"], companies=x["companies"])
    return {"rows": rows, "value": len(rows), "graph": g}


segment_summary = register(NamedQuery(
    name="segment_summary",
    doc="""Per industry segment: deals, companies and disclosed amount. Most deals first.""",
    params=filter_params(exclude=("lead_only",)),
    columns=("segment", "deals", "companies", "amount_cny"),
    value="number of segments with deals",
    statements={"main": f"""{SEGMENT_BASE}
{{where}}
WITH DISTINCT s, c, r
RETURN s.id AS segment_id, s.name AS segment, count(r) AS deals, count(DISTINCT c) AS companies,
       count(r.amount_cny) AS disclosed, sum(r.amount_cny) AS amount_cny"""},
    embedded=_segment_embedded,
    shape=_segment_shape,
))


# ---------------------------------------------------------------------------- segment_stage
def _stage_embedded(ix, p) -> dict:
    rounds = np.flatnonzero(p.filters.round_mask(ix))
    S, segs = _segment_matrix(ix)
    types, codes = ix.type_codes()
    T = sp.csr_matrix((np.ones(len(rounds), dtype=np.int64), (np.arange(len(rounds)), codes[rounds])),
                      shape=(len(rounds), len(types)))
    TS = (T.T @ S[ix.r_company[rounds]]).tocoo()  # types × segments
    return {"main": [{"segment_id": segs[s], "segment": ix.seg_names[segs[s]], "type": str(types[t]), "deals": int(v)}
                     for t, s, v in zip(TS.row.tolist(), TS.col.tolist(), TS.data.tolist()) if v > 0]}


def _stage_shape(raw, p) -> dict:
    from ontology import load

    onto = load()
    group = {r.type: r.group for r in onto.rounds}
    by: dict[tuple, dict] = {}
    for x in raw["main"]:
        key = (x["segment_id"], x["segment"])
        row = by.setdefault(key, {"segment": x["segment"], **{gname: 0 for gname in STAGE_GROUPS}, "total": 0,
                                  "segment_id": x["segment_id"]})
        gname = group.get(x["type"], "other")
        row[gname] += as_int(x["deals"])
        row["total"] += as_int(x["deals"])
    rows = sorted(by.values(), key=lambda x: (-x["total"], x["segment"], x["segment_id"]))
    g = Graph()
    for x in rows:
        g.node(x["segment_id"], "Segment", x["segment"], deals=x["total"])
    return {"rows": rows, "value": len(rows), "graph": g}


segment_stage = register(NamedQuery(
    name="segment_stage",
    doc="""Deals per segment and round stage (the report's Fig. 12): early (A+ and earlier),
    later (Pre-B to Pre-IPO), strategic, listed (IPO, placements) and other.""",
    params=filter_params(exclude=("lead_only",)),
    columns=("segment", *STAGE_GROUPS, "total"),
    value="number of segments with deals",
    statements={"main": f"""{SEGMENT_BASE}
{{where}}
WITH DISTINCT s, r
RETURN s.id AS segment_id, s.name AS segment, r.type AS type, count(r) AS deals"""},
    embedded=_stage_embedded,
    shape=_stage_shape,
))


# ---------------------------------------------------------------------------- timeline
def _timeline_embedded(ix, p) -> dict:
    rounds = np.flatnonzero(p.filters.round_mask(ix))
    codes = ix.month_code()[rounds]
    amounts = ix.r_amount[rounds]
    disc = ~np.isnan(amounts)
    keys, inv = np.unique(codes, return_inverse=True)
    deals = np.bincount(inv, minlength=len(keys))
    n_disc = np.bincount(inv, weights=disc, minlength=len(keys))
    total = np.bincount(inv, weights=np.where(disc, amounts, 0.0), minlength=len(keys))
    out = []
    for k, code in enumerate(keys.tolist()):
        month = None if code < 0 else (f"{code // 100:04d}-{code % 100:02d}" if code % 100 else f"{code // 100:04d}")
        out.append({"month": month, "deals": int(deals[k]), "disclosed": int(n_disc[k]),
                    "amount_cny": float(total[k]) if n_disc[k] else None})
    return {"main": out}


def _period(month: str | None, by: str) -> str | None:
    if not month:
        return None
    if by == "year":
        return month[:4]
    if len(month) < 7:
        return None
    if by == "quarter":
        return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    return month


def _timeline_shape(raw, p) -> dict:
    by = p["by"]
    acc: dict[str, dict] = {}
    undated = imprecise = 0
    for x in raw["main"]:
        n = as_int(x["deals"])
        per = _period(x["month"], by)
        if per is None:
            if x["month"]:
                imprecise += n
            else:
                undated += n
            continue
        row = acc.setdefault(per, {"period": per, "deals": 0, "disclosed": 0, "amount_cny": 0.0})
        row["deals"] += n
        row["disclosed"] += as_int(x["disclosed"])
        if x["amount_cny"] is not None and as_int(x["disclosed"]):
            row["amount_cny"] += as_money(x["amount_cny"])
    rows = []
    for per in sorted(acc):
        row = acc[per]
        rows.append({"period": per, "deals": row["deals"],
                     "amount_cny": as_money(row["amount_cny"]) if row["disclosed"] else None,
                     "disclosed": row["disclosed"]})
    meta = {"undated": undated, "imprecise": imprecise, "by": by}
    return {"rows": rows, "value": sum(r["deals"] for r in rows), "meta": meta}


timeline = register(NamedQuery(
    name="timeline",
    doc="""Deals and disclosed amounts per month, quarter or year (the report's Fig. 10), in time order.

    Undated rounds, and rounds dated less precisely than the period, are counted in meta.""",
    params=(Param("by", "choice", "month", choices=("month", "quarter", "year"), help="month, quarter or year"),
            *filter_params(exclude=("lead_only",))),
    columns=("period", "deals", "amount_cny", "disclosed"),
    value="number of rounds placed on the timeline",
    statements={"main": """
MATCH (c:Company)-[:RAISED]->(r:Round)
{where}
RETURN substring(r.date, 0, 7) AS month, count(r) AS deals, count(r.amount_cny) AS disclosed,
       sum(r.amount_cny) AS amount_cny"""},
    embedded=_timeline_embedded,
    shape=_timeline_shape,
))
