"""One composable deals query: filters, a grouping, the measures of each group, an order and a cut.

The chat's plans (and ``kg query deals``) ask almost every question about deals through it: how
many rounds, companies or investors; the sum, average, median, largest or smallest disclosed
amount; grouped by investor, company, segment, province, city, macro region, year, month, round
type or round; ranked by any measure, the first ``k`` or all of them.

It renders ONE parameterised Cypher statement (labels and properties from fixed fragments, every
value a ``$param``) and evaluates the same thing over the embedded store's
:class:`kg.index.GraphIndex`; both hand the same raw rows to one ``shape``, so both backends give the
same answer (the conformance suite checks it).

Semantics: a deal is a Round raised by a company; unless ``round`` names types or groups, listings
(IPO, placements: the report's Table 3) are left out, as market-wide deal counts mean private
rounds. ``min_amount`` (unless ``min_inclusive``) and ``max_amount`` are strict (over / under). Amount measures use disclosed
amounts only and say how many were disclosed. ``investor`` may name several investors: the rounds
they all joined (the same round). ``lead_only`` restricts the named investor to rounds it led, or,
with no investor named, the investors counted or grouped to the leads.
"""
from __future__ import annotations

import math

import numpy as np

from kg.errors import QueryError
from kg.index import unique
from kg.queries.base import ROWS_CAP, Graph, NamedQuery, Param, as_int, as_money, register
from kg.queries.filters import filter_params, region_closure

__all__ = ["GROUPS", "MEASURES", "deals", "deal_rounds"]

GROUPS = ("none", "investor", "company", "segment", "province", "city", "macro", "year", "month", "type", "round")
MEASURES = ("deals", "companies", "investors", "amount", "avg", "median", "max", "min", "disclosed")

_SPLIT = ("、", ",", "，", ";", "；", "|")


def _names(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(x) for x in value]
    else:
        s = str(value)
        for sep in _SPLIT[1:]:
            s = s.replace(sep, _SPLIT[0])
        items = s.split(_SPLIT[0])
    return [x.strip() for x in items if x.strip()]


def _prepare(p) -> None:
    """Resolve the investors (several allowed), the company, amounts and the default round types."""
    from ontology import load

    from kg.queries.resolve import resolve

    inv = []
    for k, name in enumerate(_names(p.values.get("investor"))):
        ent = resolve(p.store, name, ("Investor",), param="investor")
        inv.append(ent)
        p.entities[f"investor{k}" if k else "investor"] = ent
        p.cy[f"inv{k}"] = ent.id
    p.meta["investors"] = inv
    p.cy.pop("investor", None)
    if p.filters.round_types is None:
        p.filters.round_types = tuple(sorted(r.type for r in load().rounds if r.group != "listed"))
        p.cy["round_types"] = list(p.filters.round_types)
    p.filters.min_amount = None  # strict thresholds here: see _conditions
    p.cy.pop("min_amount", None)
    for k in ("min_amount", "max_amount"):
        if p.values.get(k) is not None:
            p.cy[k] = float(p.values[k])
    if p.values.get("round_id") is not None:
        p.cy["round_id"] = p.values["round_id"]
    if p.values.get("currency") is not None:
        p.cy["currency"] = p.values["currency"] = str(p.values["currency"]).upper()
    if p.values.get("k") is not None:
        p.cy["limit"] = int(p.values["k"])
    if p.values["group_by"] in ("province", "city"):
        p.cy["level"] = p.values["group_by"]
    if p.filters.lead_only and not inv and p.values["group_by"] != "investor" and p.values["measure"] != "investors":
        raise QueryError("deals: lead_only needs an investor, or investors to count or group")
    if p.values.get("not_lead") and not inv:
        raise QueryError("deals: not_lead needs an investor")
    if p.values.get("not_lead") and p.filters.lead_only:
        raise QueryError("deals: lead_only and not_lead exclude each other")


# the first named investor joined the round without leading it (a missing lead counts as not leading)
_NOT_LEAD = "(:Investor {id: $inv0})-[:INVESTED_IN]->(r) AND NOT (:Investor {id: $inv0})-[:INVESTED_IN {lead: true}]->(r)"


def _conditions(p) -> list[str]:
    f = p.filters
    out = [c for c in f.conditions() if not c.startswith("p.lead")]
    for k, _ in enumerate(p.meta["investors"]):
        if k == 0 and p.values.get("not_lead"):
            out.append(_NOT_LEAD)
            continue
        lead = " {lead: true}" if f.lead_only and k == 0 else ""
        out.append(f"(:Investor {{id: $inv{k}}})-[:INVESTED_IN{lead}]->(r)")
    if "company" in p.entities:
        out.append("c.id = $company")
    if p.values.get("round_id") is not None:
        out.append("r.id = $round_id")
    if p.values.get("currency") is not None:
        out.append("r.currency = $currency")
    if p.values.get("min_amount") is not None:
        out.append("r.amount_cny >= $min_amount" if p.values.get("min_inclusive") else "r.amount_cny > $min_amount")
    if p.values.get("max_amount") is not None:
        out.append("r.amount_cny <= $max_amount" if p.values.get("max_inclusive") else "r.amount_cny < $max_amount")
    if p.values.get("disclosed") is True:
        out.append("r.amount_cny IS NOT NULL")
    elif p.values.get("disclosed") is False and "disclosed" in p.given:
        out.append("r.amount_cny IS NULL")
    return out


def _need_companies(p) -> bool:
    """Distinct companies per group: counted when asked for, or when there is one group."""
    return p.values["measure"] == "companies" or p.values["group_by"] in ("none", "company", "round")


_KEY = {
    "none": "WITH 'all' AS key_id, 'all' AS key, r, c",
    "company": "WITH c.id AS key_id, c.name AS key, r, c",
    "segment": "MATCH (c)-[:IN_SEGMENT]->(g:Segment)\nWITH g.id AS key_id, g.name AS key, r, c",
    "province": "MATCH (c)-[:LOCATED_IN]->(g:Region) WHERE g.level = $level\nWITH g.id AS key_id, g.name AS key, r, c",
    "city": "MATCH (c)-[:LOCATED_IN]->(g:Region) WHERE g.level = $level\nWITH g.id AS key_id, g.name AS key, r, c",
    "macro": ("MATCH (c)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..2]->(g:Region) WHERE g.level = 'macro'\n"
              "WITH DISTINCT g.id AS key_id, g.name AS key, r, c"),
    "year": "WITH r.year AS key_id, toString(r.year) AS key, r, c",
    "month": "WITH substring(r.date, 0, 7) AS key_id, substring(r.date, 0, 7) AS key, r, c",
    "type": "WITH r.type AS key_id, r.type AS key, r, c",
    "round": "WITH r.id AS key_id, r.label AS key, r, c",
}
_KEY_WHERE = {"year": "r.year IS NOT NULL", "month": "size(r.date) >= 7"}


def _statements(p) -> dict[str, str]:
    g = p.values["group_by"]
    conds = _conditions(p)
    if g in _KEY_WHERE:
        conds.append(_KEY_WHERE[g])
    where = ("WHERE " + "\nAND ".join(conds)) if conds else ""
    head = f"MATCH (c:Company)-[:RAISED]->(r:Round)\n{where}"
    if g == "investor":
        lead = " WHERE pg.lead = true" if p.filters.lead_only and not p.meta["investors"] else ""
        key = f"MATCH (g:Investor)-[pg:INVESTED_IN]->(r){lead}\nWITH g.id AS key_id, g.name AS key, r, c"
    else:
        key = _KEY[g]
    extra = ""
    if g == "round":
        extra = ", r.date AS date, r.type AS type, c.id AS company_id, c.name AS company"
    companies = "count(DISTINCT c) AS companies, " if _need_companies(p) else ""
    agg = ("RETURN key_id, key, count(DISTINCT r) AS deals, " + companies +
           "sum(r.amount_cny) AS amount, count(r.amount_cny) AS disclosed, avg(r.amount_cny) AS avg, "
           "max(r.amount_cny) AS max, min(r.amount_cny) AS min" + extra)
    main = f"{head}\n{key}\n{agg}\nORDER BY key_id"
    out = {"groups": main}
    if p.values["measure"] == "median":
        # the median needs the amounts themselves (percentileCont differs by engine on empty groups)
        out["amounts"] = f"{head}\n{key}\nWITH key_id, r WHERE r.amount_cny IS NOT NULL\n" \
                         f"RETURN key_id, r.id AS round_id, r.amount_cny AS amount ORDER BY key_id, round_id"
    if g == "none" or p.values["measure"] == "investors":
        lead = " WHERE pi.lead = true" if p.filters.lead_only and not p.meta["investors"] else ""
        out["investors"] = (f"{head}\n{key}\nMATCH (i:Investor)-[pi:INVESTED_IN]->(r){lead}\n"
                            f"RETURN key_id, count(DISTINCT i) AS investors ORDER BY key_id")
    return out


# ------------------------------------------------------------------------------------- embedded
def deal_rounds(ix, p) -> np.ndarray:
    """Positions of the rounds that pass every filter (embedded twin of :func:`_conditions`)."""
    f = p.filters
    m = f.round_mask(ix)
    if "company" in p.entities:
        m &= ix.r_company == ix.co_pos.get(p.entities["company"].id, -2)
    if p.values.get("round_id") is not None:
        only = np.zeros(len(ix.r_ids), dtype=bool)
        if p.values["round_id"] in ix.r_pos:
            only[ix.r_pos[p.values["round_id"]]] = True
        m &= only
    if p.values.get("currency") is not None:
        cur = ix.memo(("deals", "currency"), lambda: np.array(
            [str((ix.r_props[r] or {}).get("currency") or "") for r in range(len(ix.r_ids))], dtype=str))
        m &= cur == p.values["currency"]
    with np.errstate(invalid="ignore"):
        if p.values.get("min_amount") is not None:
            lo = float(p.values["min_amount"])
            m &= (ix.r_amount >= lo) if p.values.get("min_inclusive") else (ix.r_amount > lo)
        if p.values.get("max_amount") is not None:
            hi = float(p.values["max_amount"])
            m &= (ix.r_amount <= hi) if p.values.get("max_inclusive") else (ix.r_amount < hi)
    if p.values.get("disclosed") is True:
        m &= ~np.isnan(ix.r_amount)
    elif p.values.get("disclosed") is False and "disclosed" in p.given:
        m &= np.isnan(ix.r_amount)
    for k, ent in enumerate(p.meta["investors"]):
        i = ix.inv_pos.get(ent.id)
        if i is None:
            return np.array([], dtype=np.int64)
        parts = ix.investor_participations(i)
        if f.lead_only and k == 0:
            parts = parts[ix.p_lead[parts]]
        elif k == 0 and p.values.get("not_lead"):
            parts = parts[~ix.p_lead[parts].astype(bool)]
        joined = np.zeros(len(ix.r_ids), dtype=bool)
        joined[ix.p_round[parts]] = True
        m &= joined
    return np.flatnonzero(m)


def _list_codes(ix, name: str, lists):
    """A per-company list attribute (segments, provinces, cities) as CSR arrays over value codes."""
    def build():
        values = sorted({v for vs in lists for v in vs})
        code = {v: k for k, v in enumerate(values)}
        counts = np.fromiter((len(vs) for vs in lists), np.int64, len(lists))
        ptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        flat = np.fromiter((code[v] for vs in lists for v in vs), np.int64, int(ptr[-1]))
        return values, ptr, flat
    return ix.memo(("deals", name), build)


def _explode(ix, name, lists, rounds: np.ndarray):
    """(codes, rounds) for a per-company list attribute: one row per (round, value)."""
    values, ptr, flat = _list_codes(ix, name, lists)
    comp = ix.r_company[rounds]
    counts = ptr[comp + 1] - ptr[comp]
    total = int(counts.sum())
    rs = np.repeat(rounds, counts)
    starts = np.repeat(ptr[comp], counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return flat[starts + offsets] if total else np.array([], dtype=np.int64), rs, values


def _macro_regions(store) -> list[tuple[str, str]]:
    from ontology import load

    from kg.queries.resolve import catalog

    cat = catalog(store)
    return [(r.id, r.name) for r in load().regions if r.level == "macro" and cat.entity(r.id) is not None]


def _codes(ix, p, rounds: np.ndarray):
    """The grouping as (codes, rounds, label) with one row per (group, round): embedded twin of the
    WITH clause; ``label(code)`` gives the group's (key_id, key)."""
    g = p.values["group_by"]
    empty = np.array([], dtype=np.int64)
    if g == "none":
        return np.zeros(len(rounds), dtype=np.int64), rounds, lambda c: ("all", "all")
    if g == "investor":
        rmask = np.zeros(len(ix.r_ids), dtype=bool)
        rmask[rounds] = True
        parts = np.flatnonzero(rmask[ix.p_round])
        if p.filters.lead_only and not p.meta["investors"]:
            parts = parts[ix.p_lead[parts]]
        return ix.p_inv[parts], ix.p_round[parts], lambda c: (ix.inv_ids[c], ix.inv_names[c])
    if g == "company":
        return ix.r_company[rounds], rounds, lambda c: (ix.co_ids[c], ix.co_names[c])
    if g == "segment":
        codes, rs, values = _explode(ix, "segments", ix.co_segments, rounds)
        return codes, rs, lambda c: (values[c], ix.seg_names.get(values[c], values[c]))
    if g in ("province", "city"):
        from ontology import load

        ids = {r.name: r.id for r in load().regions if r.level == g}
        codes, rs, values = _explode(ix, g, ix.co_provinces if g == "province" else ix.co_cities, rounds)
        return codes, rs, lambda c: (ids.get(values[c], f"{g}:{values[c]}"), values[c])

    if g == "macro":
        def build():
            return [(mid, name, ix.company_mask_for_regions(region_closure(p.store, mid)))
                    for mid, name in _macro_regions(p.store)]
        macros = ix.memo(("deals", "macros"), build)
        comp = ix.r_company[rounds]
        codes, rs = [], []
        for k, (_, _, mask) in enumerate(macros):
            sel = rounds[mask[comp]]
            codes.append(np.full(len(sel), k, dtype=np.int64))
            rs.append(sel)
        if not macros:
            return empty, empty, None
        return np.concatenate(codes), np.concatenate(rs), lambda c: (macros[c][0], macros[c][1])
    if g == "year":
        rounds = rounds[ix.r_year[rounds] >= 0]
        return ix.r_year[rounds], rounds, lambda c: (int(c), str(int(c)))
    if g == "month":
        mc = ix.month_code()[rounds]
        keep = (mc >= 0) & (mc % 100 != 0)
        return mc[keep], rounds[keep], lambda c: (f"{c // 100:04d}-{c % 100:02d}",) * 2
    if g == "type":
        types, inv = ix.type_codes()
        return inv[rounds], rounds, lambda c: (types[c], types[c])
    if g == "round":
        return rounds, rounds, lambda c: (ix.r_ids[c], ix.r_labels[c])
    raise QueryError(f"deals: unknown grouping {g!r}")


_ONE_CODE_PER_ROUND = ("none", "company", "year", "month", "type", "round")


def _top_candidates(p, n, deals, total, ndisc, mx, mn, companies) -> np.ndarray:
    """The groups that can be among the first ``k`` once sorted (every group tied with the k-th kept,
    so the shared sort gives the same answer as over all of them); all groups when no cut applies."""
    k, order, measure = p.values.get("k"), p.values["order"], p.values["measure"]
    every = np.arange(n)
    if not k or k >= n or order not in ("desc", "asc") or measure in ("median", "investors"):
        return every
    with np.errstate(invalid="ignore", divide="ignore"):
        value = {"deals": deals.astype(float), "amount": np.where(ndisc > 0, total, np.nan),
                 "avg": np.where(ndisc > 0, total / np.maximum(ndisc, 1), np.nan),
                 "max": np.where(ndisc > 0, mx, np.nan), "min": np.where(ndisc > 0, mn, np.nan),
                 "disclosed": ndisc.astype(float),
                 "companies": companies.astype(float) if companies is not None else None}.get(measure)
    if value is None:
        return every
    value = np.round(value, 2)  # the shape compares rounded money
    known = ~np.isnan(value)
    if known.sum() < k:
        return every  # nulls sort last: too few known values to cut before shaping
    v = -value[known] if order == "desc" else value[known]
    kth = np.partition(v, k - 1)[k - 1]
    sel = np.flatnonzero(known)[v <= kth]
    return sel


def _embedded(ix, p) -> dict:
    rounds = deal_rounds(ix, p)
    codes, rs, label = _codes(ix, p, rounds)
    g = p.values["group_by"]
    if not len(codes):
        out = {"groups": []}
        if p.values["measure"] == "median":
            out["median"] = {}
        if g == "none" or p.values["measure"] == "investors":
            out["investors"] = []
        return out
    if g == "round":  # each round its own group: the codes are the rounds, already distinct and sorted
        u, inv = codes, np.arange(len(codes))
    elif g == "none":
        u, inv = np.zeros(1, dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    else:
        u, inv = np.unique(codes, return_inverse=True)
    n = len(u)
    amt = ix.r_amount[rs]
    disc = ~np.isnan(amt)
    deals = np.bincount(inv, minlength=n)
    total = np.bincount(inv, weights=np.where(disc, amt, 0.0), minlength=n)
    ndisc = np.bincount(inv[disc], minlength=n)
    mx = np.full(n, -np.inf)
    mn = np.full(n, np.inf)
    np.maximum.at(mx, inv[disc], amt[disc])
    np.minimum.at(mn, inv[disc], amt[disc])
    if g in ("round", "company"):
        companies = np.ones(n, dtype=np.int64)  # one company per round, one per company group
    elif g == "none":
        companies = np.array([np.count_nonzero(np.bincount(ix.r_company[rs], minlength=1))])
    elif _need_companies(p):
        ncomp = len(ix.co_ids) + 1
        pairs = np.unique(inv.astype(np.int64) * ncomp + ix.r_company[rs])
        companies = np.bincount(pairs // ncomp, minlength=n)
    else:
        companies = None
    keep = _top_candidates(p, n, deals, total, ndisc, mx, mn, companies)
    # plain Python values once per column (a thousand groups: numpy scalars per cell were most of it)
    codes_l = u[keep].tolist()
    deals_l, total_l, ndisc_l = deals[keep].tolist(), total[keep].tolist(), ndisc[keep].tolist()
    mx_l, mn_l = mx[keep].tolist(), mn[keep].tolist()
    comp_l = companies[keep].tolist() if companies is not None else None
    rows = []
    for j, code in enumerate(codes_l):
        kid, key = label(code)
        d = ndisc_l[j]
        row = {"key_id": kid, "key": key, "deals": deals_l[j],
               "amount": total_l[j] if d else None, "disclosed": d,
               "avg": total_l[j] / d if d else None, "max": mx_l[j] if d else None,
               "min": mn_l[j] if d else None}
        if comp_l is not None:
            row["companies"] = comp_l[j]
        if g == "round":
            c = int(ix.r_company[code])
            row.update(date=ix.r_date[code] or None, type=ix.r_type[code] or None, company_id=ix.co_ids[c],
                       company=ix.co_names[c])
        rows.append(row)
    out = {"groups": rows, "total": n}
    if p.values["measure"] == "median":
        order = np.lexsort((amt[disc], inv[disc]))
        gi, ga = inv[disc][order], amt[disc][order]
        bounds = np.searchsorted(gi, np.arange(n + 1))
        out["median"] = {rows[k]["key_id"]: float(np.median(ga[bounds[k]:bounds[k + 1]]))
                         for k in range(n) if bounds[k + 1] > bounds[k]}
    if g == "none" or p.values["measure"] == "investors":
        rmask = np.zeros(len(ix.r_ids), dtype=bool)
        rmask[rs] = True
        parts = np.flatnonzero(rmask[ix.p_round])
        if p.filters.lead_only and not p.meta["investors"]:
            parts = parts[ix.p_lead[parts]]
        if g in _ONE_CODE_PER_ROUND:
            round_code = np.full(len(ix.r_ids), -1, dtype=np.int64)
            round_code[rs] = inv
            pc = round_code[ix.p_round[parts]]
            ninv = len(ix.inv_ids) + 1
            if n == 1:
                counts = np.array([np.count_nonzero(np.bincount(ix.p_inv[parts], minlength=1))])
            else:
                up = np.unique(pc * ninv + ix.p_inv[parts])
                counts = np.bincount(up // ninv, minlength=n)
        else:
            counts = np.zeros(n, dtype=np.int64)
            for k in range(n):
                mine = np.zeros(len(ix.r_ids), dtype=bool)
                mine[rs[inv == k]] = True
                counts[k] = len(unique(ix.p_inv[parts[mine[ix.p_round[parts]]]]))
        out["investors"] = [{"key_id": rows[k]["key_id"], "investors": int(counts[k])} for k in range(n)]
    return out


# ------------------------------------------------------------------------------------- shape
def _median(values: list[float]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def _sort_value(row, measure):
    v = row.get(measure)
    return -math.inf if v is None else float(v)


_MONEY = ("amount", "avg", "median", "max", "min")


def _shape(raw: dict, p) -> dict:
    """Sort the raw groups (both backends hand the same ones), cut, then shape only what is shown."""
    measure, g, order = p.values["measure"], p.values["group_by"], p.values["order"]
    medians = raw.get("median")
    if medians is None and "amounts" in raw:
        med: dict = {}
        for a in raw["amounts"]:
            med.setdefault(a["key_id"], []).append(float(a["amount"]))
        medians = {k: _median(v) for k, v in med.items()}
    invs = {r["key_id"]: as_int(r["investors"]) for r in raw.get("investors", [])}

    def value(r):
        if measure == "median":
            v = (medians or {}).get(r["key_id"])
        elif measure == "investors":
            v = invs.get(r["key_id"], 0)
        elif measure in ("amount", "avg") and not as_int(r["disclosed"]):
            v = None
        else:
            v = r.get(measure)
        if v is None:
            return None
        return as_money(v) if measure in _MONEY else as_int(v)

    groups = raw["groups"]
    if g == "round" and order == "date":
        groups = sorted(groups, key=lambda x: (x.get("date") or "9999", str(x["key_id"])))
    elif g in ("year", "month") and order == "key":
        groups = sorted(groups, key=lambda x: str(x["key_id"]))
    else:
        sign = -1 if order != "asc" else 1
        keyed = []
        for n, r in enumerate(groups):
            v = value(r)
            keyed.append(((math.inf if v is None else sign * v), str(r["key"]), str(r["key_id"]), n))
        keyed.sort()  # the position last: equal keys keep their order, and rows are never compared
        groups = [groups[t[3]] for t in keyed]
    total = raw.get("total", len(groups))
    k = p.values.get("k")
    kept = groups[:k] if k else groups[:ROWS_CAP]
    if k and p.values.get("ties") and len(groups) > k and order in ("desc", "asc"):
        last = value(groups[k - 1])
        extra = 0
        while k + extra < len(groups) and value(groups[k + extra]) == last:
            extra += 1
        kept = groups[:k + extra]  # every group tied with the k-th
    rows = []
    for r in kept:
        kid = r["key_id"]
        if g == "year" and kid is not None:
            kid = as_int(kid)
        d = as_int(r["disclosed"])
        row = {"key": r["key"] if g != "year" else str(as_int(r["key_id"])), "key_id": kid,
               "deals": as_int(r["deals"]), "companies": as_int(r["companies"]) if "companies" in r else None,
               "amount": as_money(r["amount"]) if d else None, "disclosed": d,
               "avg": as_money(r["avg"]) if d else None, "max": as_money(r["max"]) if d else None,
               "min": as_money(r["min"]) if d else None}
        # measures this query was not asked for stay null (they cost a pass over the data)
        row["median"] = as_money(medians.get(r["key_id"])) if medians is not None else None
        row["investors"] = invs.get(r["key_id"], 0) if "investors" in raw else None
        if g == "round":
            row.update(date=r.get("date"), type=r.get("type"), company_id=r.get("company_id"),
                       company=r.get("company"))
        rows.append(row)
    if g == "none" and not rows:
        rows = [{"key": "all", "key_id": "all", "deals": 0, "companies": 0, "amount": None, "disclosed": 0,
                 "avg": None, "max": None, "min": None, "median": None, "investors": 0}]
        total = 1
    val = rows[0].get(measure) if g == "none" and rows else None
    graph = Graph()
    if g in ("investor", "company"):
        label = "Investor" if g == "investor" else "Company"
        for row in rows[:200]:
            graph.node(str(row["key_id"]), label, str(row["key"]))
    out = {"rows": rows, "value": val if g == "none" else total, "graph": graph,
           "meta": {"total": total, "shown": len(rows)}}
    if len(rows) < total:
        out["truncated"] = True
        out["meta"]["omitted"] = total - len(rows)
    return out


deals = register(NamedQuery(
    name="deals",
    doc="""Deals under any filters, grouped and measured: the composable query behind the chat.

    ``measure`` is what the value and the ranking use: deals (rounds), companies, investors (distinct),
    amount (sum of disclosed amounts, CNY), avg, median, max, min (of disclosed amounts), disclosed
    (how many disclosed); the measures not asked for may be null in the rows. ``group_by`` one of none, investor, company, segment, province, city, macro,
    year, month, type (round type) or round (each round). ``order`` desc/asc by the measure, or date
    (rounds) / key (years, months). Listings (IPO, placements) count only when ``round`` names them.
    ``min_amount`` (unless ``min_inclusive``) and ``max_amount`` (unless ``max_inclusive``) are strict;
    ``not_lead`` keeps the rounds the first investor joined without leading; ``investor`` may list several (rounds they all joined).""",
    params=(
        Param("measure", "choice", "deals", help="what is measured and ranked", choices=MEASURES),
        Param("group_by", "choice", "none", help="the grouping", choices=GROUPS),
        Param("order", "choice", "desc", help="desc or asc by the measure; date or key for time order",
              choices=("desc", "asc", "date", "key")),
        Param("k", "int", None, help="the first k groups (by default all, listing at most 1,000 rows)", lo=1,
              hi=10_000_000),
        Param("ties", "bool", False, help="with k: also every group tied with the k-th"),
        Param("investor", "str", None, help="investor(s) that joined the round (several: the same round)"),
        Param("company", "entity", labels=("Company",), help="only this company's rounds"),
        Param("round_id", "str", None, help="only this round (its id)"),
        Param("currency", "str", None, help="only rounds announced in this currency (USD, CNY …)"),
        *filter_params("year", "date_from", "date_to", "segment", "region", "round", "lead_only"),
        Param("min_amount", "amount", help="rounds of more than this amount (CNY yuan)"),
        Param("min_inclusive", "bool", False, help="min_amount includes itself (at least, 及以上)"),
        Param("max_amount", "amount", help="rounds of less than this amount (CNY yuan)"),
        Param("max_inclusive", "bool", False, help="max_amount includes itself (at most, 及以下, a range's upper end)"),
        Param("not_lead", "bool", False, help="only rounds the (first) named investor joined without leading"),
        Param("disclosed", "bool", None, help="only rounds whose amount was (true) or was not (false) disclosed"),
    ),
    columns=("key", "key_id", "deals", "companies", "investors", "amount", "disclosed", "avg", "median", "max", "min"),
    statements=_statements,
    embedded=_embedded,
    shape=_shape,
    value="the measure (no grouping) or the number of groups",
    prepare=_prepare,
))
