"""How many and how much: deal and company counts, amounts, the largest rounds and the most active
investors, under the common filters.

Counts come from their own aggregate statement; the rows beside them (the rounds or companies
counted) are capped at :data:`~kg.queries.base.ROWS_CAP`, in a fixed order both backends share.
"""
from __future__ import annotations

import numpy as np

from kg.errors import QueryError
from kg.index import unique
from kg.queries.base import ROWS_CAP, Graph, NamedQuery, Param, as_int, as_money, register
from kg.queries.common import COMPANY_INFO, add_round, company_fields, company_info, round_info
from kg.queries.filters import filter_params

__all__ = [
    "GRAPH_ROUNDS",
    "amount_total",
    "companies",
    "company_count",
    "deal_count",
    "largest_rounds",
    "matching_rounds",
    "round_pattern",
    "top_investors",
]

GRAPH_ROUNDS = 200  # rounds drawn at most in a count's graph

_INVESTOR = Param("investor", "entity", labels=("Investor",), help="only rounds this investor joined")
_COMPANY = Param("company", "entity", labels=("Company",), help="only this company's rounds")


def round_pattern(p) -> str:
    """The MATCH pattern of a round query, one of four fixed forms (investor and/or company bound)."""
    inv, co = "investor" in p.entities, "company" in p.entities
    if p.filters.lead_only and not inv:
        raise QueryError(f"{p.query.name}: lead_only needs an investor")
    c = "(c:Company {id: $company})" if co else "(c:Company)"
    if inv:
        return f"(i:Investor {{id: $investor}})-[p:INVESTED_IN]->(r:Round)<-[:RAISED]-{c}"
    return f"{c}-[:RAISED]->(r:Round)"


def _check_lead(p) -> None:
    round_pattern(p)


def matching_rounds(ix, p) -> np.ndarray:
    """Positions of the rounds a count query counts (embedded twin of :func:`round_pattern` + filters)."""
    rmask = p.filters.round_mask(ix)
    if "company" in p.entities:
        c = ix.co_pos.get(p.entities["company"].id, -2)
        rmask &= ix.r_company == c
    if "investor" in p.entities:
        i = ix.inv_pos.get(p.entities["investor"].id)
        if i is None:
            return np.array([], dtype=np.int64)
        parts = ix.investor_participations(i)
        parts = parts[p.filters.part_mask(ix, parts, rmask)]
        return unique(ix.p_round[parts])
    return np.flatnonzero(rmask)


def _round_order(ix, rounds: np.ndarray) -> np.ndarray:
    """``rounds`` in (date, id) order, undated last (as Cypher's ``ORDER BY date, round_id``)."""
    return rounds[np.argsort(ix.round_rank()[rounds], kind="stable")]


def _round_rows(ix, rounds: np.ndarray) -> list[dict]:
    """The first ROWS_CAP rounds in (date, id) order, undated last."""
    out = []
    for r in _round_order(ix, rounds)[:ROWS_CAP].tolist():
        info = round_info(ix, r)
        c = int(ix.r_company[r])
        out.append({"round_id": info["id"], "round": info["label"], "type": info["type"], "date": info["date"],
                    "amount_cny": info["amount_cny"], "company_id": ix.co_ids[c], "company": ix.co_names[c]})
    return out


ROUND_ROWS = """
MATCH {pattern}
{where}
WITH DISTINCT r, c
RETURN r.id AS round_id, r.label AS round, r.type AS type, r.date AS date, r.amount_cny AS amount_cny,
       c.id AS company_id, c.name AS company
ORDER BY date, round_id
LIMIT $rows_cap
"""


def _round_table(raw_rows, p, total: int) -> dict:
    """Rows and graph of the rounds a count counted."""
    rows = []
    g = Graph()
    inv = p.entities.get("investor")
    if inv:
        g.node(inv.id, "Investor", inv.name)
    for x in sorted(raw_rows, key=lambda x: (x["date"] is None, x["date"] or "", x["round_id"])):
        rows.append({"date": x["date"], "company": x["company"], "round": x["round"], "type": x["type"],
                     "amount_cny": as_money(x["amount_cny"]), "round_id": x["round_id"],
                     "company_id": x["company_id"]})
        if len(rows) <= GRAPH_ROUNDS:
            g.node(x["company_id"], "Company", x["company"])
            add_round(g, {"id": x["round_id"], "label": x["round"], "type": x["type"], "date": x["date"],
                          "amount_cny": x["amount_cny"]}, x["company_id"])
            if inv:
                g.edge(inv.id, "INVESTED_IN", x["round_id"])
    out = {"rows": rows, "graph": g}
    if total > len(rows) or len(rows) > GRAPH_ROUNDS:
        out["truncated"] = True
        out["meta"] = {"omitted": max(0, total - len(rows))}
    return out


def _cap(p) -> None:
    p.cy["rows_cap"] = ROWS_CAP
    _check_lead(p)


def _round_statements(extra_return: str):
    def statements(p):
        pat = round_pattern(p)
        return {"count": f"MATCH {pat}\n{{where}}\nWITH DISTINCT r\nRETURN {extra_return}",
                "rows": ROUND_ROWS.replace("{pattern}", pat)}
    return statements


# ---------------------------------------------------------------------------- deal_count
def _deal_count_embedded(ix, p) -> dict:
    rounds = matching_rounds(ix, p)
    return {"count": [{"n": len(rounds)}], "rows": _round_rows(ix, rounds)}


def _deal_count_shape(raw, p) -> dict:
    n = as_int(raw["count"][0]["n"]) if raw["count"] else 0
    return {**_round_table(raw["rows"], p, n), "value": n}


deal_count = register(NamedQuery(
    name="deal_count",
    doc="""Number of funding rounds (deals), optionally of one investor and/or one company.

    The rows list the rounds counted (date order, at most 1000).""",
    params=(_INVESTOR, _COMPANY, *filter_params()),
    columns=("date", "company", "round", "amount_cny"),
    value="number of rounds",
    statements=_round_statements("count(r) AS n"),
    embedded=_deal_count_embedded,
    shape=_deal_count_shape,
    prepare=_cap,
))


# ---------------------------------------------------------------------------- amount_total
def _amount_embedded(ix, p) -> dict:
    rounds = matching_rounds(ix, p)
    amounts = ix.r_amount[rounds]
    disclosed = ~np.isnan(amounts)
    total = float(amounts[disclosed].sum()) if disclosed.any() else None
    return {"count": [{"rounds": len(rounds), "disclosed": int(disclosed.sum()), "amount_cny": total}],
            "rows": _round_rows(ix, rounds)}


def _amount_shape(raw, p) -> dict:
    c = raw["count"][0] if raw["count"] else {}
    rounds, disclosed = as_int(c.get("rounds")), as_int(c.get("disclosed"))
    value = as_money(c.get("amount_cny")) if disclosed else (0.0 if rounds == 0 else None)
    out = _round_table(raw["rows"], p, rounds)
    out["meta"] = {**out.get("meta", {}), "rounds": rounds, "disclosed": disclosed,
                   "undisclosed": rounds - disclosed, "currency": "CNY"}
    return {**out, "value": value}


amount_total = register(NamedQuery(
    name="amount_total",
    doc="""Total disclosed amount (CNY yuan) of the rounds matching, optionally of one company
    and/or the rounds one investor joined (whole round sizes, not the investor's share).

    Undisclosed rounds are skipped and counted in meta; the value is null when every matching
    round is undisclosed.""",
    params=(_COMPANY, _INVESTOR, *filter_params()),
    columns=("date", "company", "round", "amount_cny"),
    value="sum of disclosed amount_cny (CNY yuan)",
    statements=_round_statements("count(r) AS rounds, count(r.amount_cny) AS disclosed, "
                                 "sum(r.amount_cny) AS amount_cny"),
    embedded=_amount_embedded,
    shape=_amount_shape,
    prepare=_cap,
))


# ---------------------------------------------------------------------------- company_count
COMPANY_ROWS = """
MATCH {pattern}
{where}
WITH c, count(DISTINCT r) AS rounds
RETURN c.id AS company_id, c.name AS company, rounds
ORDER BY company, company_id
LIMIT $rows_cap
"""


def _company_statements(p):
    pat = round_pattern(p)
    return {"count": f"MATCH {pat}\n{{where}}\nRETURN count(DISTINCT c) AS n",
            "rows": COMPANY_ROWS.replace("{pattern}", pat)}


def _company_order(ix, cos: np.ndarray) -> np.ndarray:
    """Company positions by (name, id), as Cypher's ``ORDER BY company, company_id``."""
    return cos[np.argsort(ix.company_rank()[cos], kind="stable")]


def _company_count_embedded(ix, p) -> dict:
    rounds = matching_rounds(ix, p)
    counts = np.bincount(ix.r_company[rounds], minlength=len(ix.co_ids))
    cos = np.flatnonzero(counts)
    n_of = {c: int(counts[c]) for c in cos.tolist()}
    rows = [{"company_id": ix.co_ids[c], "company": ix.co_names[c], "rounds": n_of[c]}
            for c in _company_order(ix, cos)[:ROWS_CAP].tolist()]
    return {"count": [{"n": len(cos)}], "rows": rows}


def _company_count_shape(raw, p) -> dict:
    n = as_int(raw["count"][0]["n"]) if raw["count"] else 0
    g = Graph()
    inv = p.entities.get("investor")
    rows = []
    for x in sorted(raw["rows"], key=lambda x: (x["company"], x["company_id"])):
        rows.append({"company": x["company"], "rounds": as_int(x["rounds"]), "company_id": x["company_id"]})
        if len(rows) <= GRAPH_ROUNDS:
            g.node(x["company_id"], "Company", x["company"])
    if inv:
        g.node(inv.id, "Investor", inv.name)
    out = {"rows": rows, "value": n, "graph": g}
    if n > len(rows):
        out.update(truncated=True, meta={"omitted": n - len(rows)})
    return out


company_count = register(NamedQuery(
    name="company_count",
    doc="""Number of distinct companies with a round matching (of one investor when given).

    The rows list them by name (at most 1000) with the number of matching rounds.""",
    params=(_INVESTOR, *filter_params()),
    columns=("company", "rounds"),
    value="number of distinct companies",
    statements=_company_statements,
    embedded=_company_count_embedded,
    shape=_company_count_shape,
    prepare=_cap,
))


# ---------------------------------------------------------------------------- companies
COMPANIES_ROWS = f"""
MATCH (c:Company)-[:RAISED]->(r:Round)
{{where}}
WITH c, count(r) AS rounds, count(r.amount_cny) AS disclosed, sum(r.amount_cny) AS amount_cny
RETURN c.id AS company_id, c.name AS company, rounds, disclosed, amount_cny, {COMPANY_INFO}
ORDER BY company, company_id
LIMIT $rows_cap
"""


def _companies_embedded(ix, p) -> dict:
    rounds = np.flatnonzero(p.filters.round_mask(ix))
    cos = ix.r_company[rounds]
    amounts = ix.r_amount[rounds]
    uniq = unique(cos)
    rows = []
    order = _company_order(ix, uniq)[:ROWS_CAP].tolist()
    keep = np.isin(cos, order)
    by: dict[int, list] = {}
    for c, a in zip(cos[keep].tolist(), amounts[keep].tolist()):
        by.setdefault(c, []).append(a)
    for c in order:
        sel = np.array(by[c])
        disc = ~np.isnan(sel)
        rows.append({"company_id": ix.co_ids[c], "company": ix.co_names[c], "rounds": len(sel),
                     "disclosed": int(disc.sum()), "amount_cny": float(sel[disc].sum()) if disc.any() else None,
                     **company_info(ix, c)})
    return {"count": [{"n": len(uniq)}], "rows": rows}


def _companies_shape(raw, p) -> dict:
    n = as_int(raw["count"][0]["n"]) if raw["count"] else 0
    rows = []
    g = Graph()
    for x in sorted(raw["rows"], key=lambda x: (x["company"], x["company_id"])):
        f = company_fields(x)
        rows.append({"company": x["company"], "rounds": as_int(x["rounds"]), "segment": f["segment"],
                     "province": f["province"], "city": f["city"],
                     "amount_cny": as_money(x["amount_cny"]) if as_int(x["disclosed"]) else None,
                     "company_id": x["company_id"]})
        if len(rows) <= GRAPH_ROUNDS:
            g.node(x["company_id"], "Company", x["company"], segment=f["segment"], province=f["province"])
    out = {"rows": rows, "value": n, "graph": g}
    if n > len(rows):
        out.update(truncated=True, meta={"omitted": n - len(rows)})
    return out


companies = register(NamedQuery(
    name="companies",
    doc="""Companies with at least one round matching the filters, by name (at most 1000 rows),
    with the matching rounds' count and disclosed total.""",
    params=filter_params(exclude=("lead_only",)),
    columns=("company", "rounds", "segment", "province", "city", "amount_cny"),
    value="number of companies",
    statements={"count": "MATCH (c:Company)-[:RAISED]->(r:Round)\n{where}\nRETURN count(DISTINCT c) AS n",
                "rows": COMPANIES_ROWS},
    embedded=_companies_embedded,
    shape=_companies_shape,
    prepare=lambda p: p.cy.update(rows_cap=ROWS_CAP),
))


# ---------------------------------------------------------------------------- largest_rounds
def _largest_embedded(ix, p) -> dict:
    rmask = p.filters.round_mask(ix) & ~np.isnan(ix.r_amount)
    rounds = np.flatnonzero(rmask)
    k = p["k"]
    if len(rounds) > k:  # only rounds at least as large as the k-th can make the cut
        kth = -np.partition(-ix.r_amount[rounds], k - 1)[k - 1]
        rounds = rounds[ix.r_amount[rounds] >= kth]
    top = rounds[np.lexsort((ix.round_rank()[rounds], -ix.r_amount[rounds]))][:k]
    rows = []
    for r in top.tolist():
        info = round_info(ix, r)
        c = int(ix.r_company[r])
        rows.append({"round_id": info["id"], "round": info["label"], "type": info["type"], "date": info["date"],
                     "amount_cny": info["amount_cny"], "company_id": ix.co_ids[c], "company": ix.co_names[c],
                     "investors": [ix.inv_names[int(ix.p_inv[q])] for q in ix.round_participations(r)]})
    return {"main": rows}


def _largest_shape(raw, p) -> dict:
    rows, g = [], Graph()
    for x in sorted(raw["main"], key=lambda x: (-float(x["amount_cny"]), x["date"] is None, x["date"] or "",
                                                 x["round_id"])):
        rows.append({"date": x["date"], "company": x["company"], "round": x["round"], "type": x["type"],
                     "amount_cny": as_money(x["amount_cny"]), "investors": sorted(set(x["investors"] or [])),
                     "round_id": x["round_id"], "company_id": x["company_id"]})
        g.node(x["company_id"], "Company", x["company"])
        add_round(g, {"id": x["round_id"], "label": x["round"], "type": x["type"], "date": x["date"],
                      "amount_cny": x["amount_cny"]}, x["company_id"])
    return {"rows": rows, "value": None, "graph": g}


largest_rounds = register(NamedQuery(
    name="largest_rounds",
    doc="""The k largest disclosed rounds by amount in CNY (then by date).""",
    params=(Param("k", "int", 10, help="how many rounds", lo=1, hi=10000), *filter_params(exclude=("lead_only",))),
    columns=("date", "company", "round", "amount_cny", "investors"),
    value="none (a ranking)",
    statements={"main": """
MATCH (c:Company)-[:RAISED]->(r:Round)
WHERE r.amount_cny IS NOT NULL{and_filters}
RETURN r.id AS round_id, r.label AS round, r.type AS type, r.date AS date, r.amount_cny AS amount_cny,
       c.id AS company_id, c.name AS company, [(inv_:Investor)-[:INVESTED_IN]->(r) | inv_.name] AS investors
ORDER BY amount_cny DESC, date, round_id
LIMIT $k
"""},
    embedded=_largest_embedded,
    shape=_largest_shape,
    prepare=lambda p: p.cy.update(k=p["k"]),
))


# ---------------------------------------------------------------------------- top_investors
BY = ("deals", "companies", "leads")


def _top_embedded(ix, p) -> dict:
    parts = np.flatnonzero(p.filters.part_mask(ix))
    inv, rnd = ix.p_inv[parts], ix.p_round[parts]
    n = len(ix.inv_ids)
    deals = np.bincount(inv, minlength=n)
    leads = np.bincount(inv, weights=ix.p_lead[parts].astype(np.int64), minlength=n).astype(np.int64)
    pairs = unique(inv * (len(ix.co_ids) + 1) + ix.r_company[rnd])
    comps = np.bincount(pairs // (len(ix.co_ids) + 1), minlength=n)
    metric = {"deals": deals, "companies": comps, "leads": leads}[p["by"]]
    active = np.flatnonzero(deals > 0).tolist()
    active.sort(key=lambda i: (-int(metric[i]), ix.inv_names[i], ix.inv_ids[i]))
    return {"main": [{"investor_id": ix.inv_ids[i], "investor": ix.inv_names[i], "deals": int(deals[i]),
                      "companies": int(comps[i]), "leads": int(leads[i])} for i in active[:p["k"]]]}


def _top_shape(raw, p) -> dict:
    rows = [{"investor": x["investor"], "deals": as_int(x["deals"]), "companies": as_int(x["companies"]),
             "leads": as_int(x["leads"]), "investor_id": x["investor_id"]} for x in raw["main"]]
    by = p["by"]
    rows.sort(key=lambda x: (-x[by], x["investor"], x["investor_id"]))
    g = Graph()
    for x in rows:
        g.node(x["investor_id"], "Investor", x["investor"], deals=x["deals"], companies=x["companies"])
    return {"rows": rows, "value": None, "graph": g}


top_investors = register(NamedQuery(
    name="top_investors",
    doc="""The most active investors: rounds joined (deals), distinct companies and rounds led,
    ranked by ``by`` (deals, companies or leads) then by name; the top k.""",
    params=(Param("k", "int", 10, help="how many investors", lo=1, hi=10000),
            Param("by", "choice", "deals", choices=BY, help="rank by deals, companies or leads"),
            *filter_params()),
    columns=("investor", "deals", "companies", "leads"),
    value="none (a ranking)",
    statements={"main": """
MATCH (i:Investor)-[p:INVESTED_IN]->(r:Round)<-[:RAISED]-(c:Company)
{where}
WITH i, count(DISTINCT r) AS deals, count(DISTINCT c) AS companies, sum(CASE WHEN p.lead THEN 1 ELSE 0 END) AS leads
RETURN i.id AS investor_id, i.name AS investor, deals, companies, leads
ORDER BY CASE $by WHEN 'companies' THEN companies WHEN 'leads' THEN leads ELSE deals END DESC, investor, investor_id
LIMIT $k
"""},
    embedded=_top_embedded,
    shape=_top_shape,
    prepare=lambda p: p.cy.update(k=p["k"], by=p["by"]),
))
