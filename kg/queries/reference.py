"""The report's reference facts: industrial-internet policies, lighthouse factories and stock-market listings."""
from __future__ import annotations

from kg.errors import QueryError
from kg.queries.base import Graph, NamedQuery, Param, as_money, register
from kg.queries.filters import FILTER_PARAMS, region_closure
from ontology import norm_key

__all__ = ["BOARDS", "LEVELS", "factories", "listings", "policies"]

LEVELS = {"national": ("national", "国家", "国家级", "全国", "中央", "country", "central"),
          "provincial": ("provincial", "province", "省", "省级", "省份", "地方", "local", "regional")}
BOARDS = {"star": ("star", "科创板", "科创", "star market", "sse star market", "sse star"),
          "main": ("main", "主板", "main board"),
          "sme": ("sme", "中小板", "中小企业板", "sme board"),
          "chinext": ("chinext", "创业板", "gem", "chinext market")}


def _vocab(value: str, vocab: dict, what: str) -> str:
    key = norm_key(value)
    for canon, spellings in vocab.items():
        if key in {norm_key(s) for s in spellings}:
            return canon
    raise QueryError(f"{what}: unknown {what} {value!r}; use {', '.join(vocab)}")


# ---------------------------------------------------------------------------- policies
def _policies_prepare(p) -> None:
    if p["level"] is not None:
        p.values["level"] = p.cy["level"] = _vocab(p["level"], LEVELS, "level")


def _policies_statements(p) -> dict:
    conds = []
    if p.filters.year is not None:
        conds.append("pol.year = $year")
    if p["level"] is not None:
        conds.append("pol.level = $level")
    if p.filters.region is not None:
        conds.append("(pol)-[:ISSUED_IN]->(:Region)-[:PART_OF*0..2]->(:Region {id: $region})")
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    return {"main": f"""
MATCH (pol:Policy)
{where}
OPTIONAL MATCH (pol)-[:ISSUED_IN]->(g:Region)
RETURN pol.id AS policy_id, pol.title AS title, pol.issued_on AS issued_on, pol.level AS level,
       pol.sources AS sources, collect(g.id) AS region_ids, collect(g.name) AS regions"""}


def _reference_nodes(p, label: str, located: str):
    """(id, properties, region ids) of the ``label`` nodes in the year and region filters (a region
    includes its cities/members), ``located`` being the relationship to their regions; read through
    the store's tables (:class:`kg.store.GraphReader`)."""
    store = p.store
    closure = region_closure(store, p.filters.region) if p.filters.region else None
    rel = store.relationships(located).select(["_start", "_end"]).to_pydict()
    where: dict = {}
    for a, b in zip(rel["_start"], rel["_end"]):
        where.setdefault(a, []).append(b)
    for d in store.entities(label).to_pylist():
        n = d["id"]
        if p.filters.year is not None and d.get("year") != p.filters.year:
            continue
        regions = where.get(n, [])
        if closure is not None and not set(regions) & closure:
            continue
        yield n, d, regions


def _policies_embedded(ix, p) -> dict:
    names = {r["id"]: r["name"] for r in p.store.entities("Region").select(["id", "name"]).to_pylist()}
    out = []
    for n, d, regions in _reference_nodes(p, "Policy", "ISSUED_IN"):
        if p["level"] is not None and d.get("level") != p["level"]:
            continue
        out.append({"policy_id": n, "title": d.get("title"), "issued_on": d.get("issued_on"), "level": d.get("level"),
                    "sources": d.get("sources"), "region_ids": regions,
                    "regions": [names.get(t) for t in regions]})
    return {"main": out}


def _policies_shape(raw, p) -> dict:
    rows, g = [], Graph()
    for x in raw["main"]:
        regions = sorted(zip(x["region_ids"] or [], x["regions"] or []))
        srcs = x.get("sources") or []
        rows.append({"title": x["title"], "region": "、".join(n for _, n in regions) or None,
                     "issued_on": x["issued_on"], "level": x["level"],
                     "source": "; ".join(srcs) if isinstance(srcs, list) else srcs, "policy_id": x["policy_id"],
                     "_regions": regions})
    rows.sort(key=lambda x: (x["issued_on"] is None, x["issued_on"] or "", x["title"] or "", x["policy_id"]))
    for x in rows:
        g.node(x["policy_id"], "Policy", x["title"] or x["policy_id"], issued_on=x["issued_on"], level=x["level"])
        for rid, name in x.pop("_regions"):
            g.node(rid, "Region", name)
            g.edge(x["policy_id"], "ISSUED_IN", rid)
    return {"rows": rows, "value": len(rows), "graph": g}


policies = register(NamedQuery(
    name="policies",
    doc="""Industrial-internet policies (the report's Table 1 and the national ones it names),
    by issue date. ``region`` includes policies of its provinces/cities; ``level`` is national
    or provincial.""",
    params=(FILTER_PARAMS["region"], Param("year", "int", help="year issued", lo=1900, hi=2100),
            Param("level", "str", help="national or provincial (国家级 / 省级)")),
    columns=("title", "region", "issued_on", "level", "source"),
    value="number of policies",
    statements=_policies_statements,
    embedded=_policies_embedded,
    shape=_policies_shape,
    prepare=_policies_prepare,
))


# ---------------------------------------------------------------------------- listings
def _listings_prepare(p) -> None:
    if p["board"] is not None:
        p.values["board"] = p.cy["board"] = _vocab(p["board"], BOARDS, "board")
        p.extra.append("r.board = $board")


def _listings_embedded(ix, p) -> dict:
    import numpy as np

    m = p.filters.round_mask(ix) & (ix.r_type == "ipo")
    out = []
    for r in np.flatnonzero(m).tolist():
        d = ix.r_props[r]
        if p["board"] is not None and d.get("board") != p["board"]:
            continue
        c = int(ix.r_company[r])
        code = d.get("code") if d.get("code") is not None else (p.store.entity(ix.co_ids[c]) or {}).get("code")
        a = ix.r_amount[r]
        out.append({"company_id": ix.co_ids[c], "company": ix.co_names[c], "code": code, "board": d.get("board"),
                    "board_name": d.get("board_name"), "date": d.get("date"),
                    "amount_cny": None if np.isnan(a) else float(a), "round_id": ix.r_ids[r]})
    return {"main": out}


def _listings_shape(raw, p) -> dict:
    rows, g = [], Graph()
    for x in sorted(raw["main"], key=lambda x: (x["date"] is None, x["date"] or "", x["company"], x["round_id"])):
        rows.append({"company": x["company"], "code": x["code"], "board": x["board"], "board_name": x["board_name"],
                     "date": x["date"], "amount_cny": as_money(x["amount_cny"]), "company_id": x["company_id"],
                     "round_id": x["round_id"]})
        g.node(x["company_id"], "Company", x["company"], code=x["code"], board=x["board"])
        g.node(x["round_id"], "Round", " ".join(v for v in ("IPO", x["date"]) if v), type="ipo", round="IPO",
               date=x["date"], board=x["board"], amount_cny=as_money(x["amount_cny"]))
        g.edge(x["company_id"], "RAISED", x["round_id"])
    return {"rows": rows, "value": len(rows), "graph": g}


listings = register(NamedQuery(
    name="listings",
    doc="""Stock-market listings (IPO rounds) by date: company, stock code, board (star = 科创板,
    main = 主板, sme = 中小板, chinext = 创业板) and proceeds when known.""",
    params=(Param("board", "str", help="star, main, sme or chinext (科创板, 主板, 中小板, 创业板)"),
            FILTER_PARAMS["date_from"], FILTER_PARAMS["date_to"], FILTER_PARAMS["year"]),
    columns=("company", "code", "board", "date", "amount_cny"),
    value="number of listings",
    statements={"main": """
MATCH (c:Company)-[:RAISED]->(r:Round)
WHERE r.type = 'ipo'{and_filters}
RETURN c.id AS company_id, c.name AS company, coalesce(r.code, c.code) AS code, r.board AS board,
       r.board_name AS board_name, r.date AS date, r.amount_cny AS amount_cny, r.id AS round_id"""},
    embedded=_listings_embedded,
    shape=_listings_shape,
    prepare=_listings_prepare,
))


# ---------------------------------------------------------------------------- factories
def _factories_statements(p) -> dict:
    conds = []
    if p.filters.year is not None:
        conds.append("f.year = $year")
    if p.filters.region is not None:
        conds.append("(f)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..2]->(:Region {id: $region})")
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    return {"main": f"""
MATCH (f:Factory)
{where}
OPTIONAL MATCH (c:Company)-[:OPERATES]->(f)
OPTIONAL MATCH (f)-[:LOCATED_IN]->(g:Region)
RETURN f.id AS factory_id, f.name AS factory, f.field AS field, f.year AS year, f.recognition AS recognition,
       f.sources AS sources, collect(DISTINCT c.id) AS company_ids, collect(DISTINCT c.name) AS companies,
       collect(DISTINCT g.id) AS region_ids, collect(DISTINCT g.name) AS regions"""}


def _factories_embedded(ix, p) -> dict:
    store = p.store
    ops = store.relationships("OPERATES").select(["_start", "_end"]).to_pydict()
    operators: dict = {}
    for a, b in zip(ops["_start"], ops["_end"]):
        operators.setdefault(b, []).append(a)
    region_names = {r["id"]: r["name"] for r in store.entities("Region").select(["id", "name"]).to_pylist()}
    out = []
    for n, d, regions in _reference_nodes(p, "Factory", "LOCATED_IN"):
        companies = operators.get(n, [])
        out.append({"factory_id": n, "factory": d.get("name"), "field": d.get("field"), "year": d.get("year"),
                    "recognition": d.get("recognition"), "sources": d.get("sources"),
                    "company_ids": companies, "companies": [(store.entity(c) or {}).get("name") for c in companies],
                    "region_ids": regions, "regions": [region_names.get(t) for t in regions]})
    return {"main": out}


def _factories_shape(raw, p) -> dict:
    rows, g = [], Graph()
    for x in raw["main"]:
        companies = sorted(zip(x["company_ids"] or [], x["companies"] or []))
        regions = sorted(zip(x["region_ids"] or [], x["regions"] or []))
        srcs = x.get("sources") or []
        rows.append({"factory": x["factory"], "company": "、".join(n for _, n in companies) or None,
                     "city": "、".join(n for _, n in regions) or None, "field": x["field"], "year": x["year"],
                     "source": "; ".join(srcs) if isinstance(srcs, list) else srcs, "factory_id": x["factory_id"],
                     "_companies": companies, "_regions": regions})
    rows.sort(key=lambda x: (x["year"] is None, x["year"] or 0, x["factory"] or "", x["factory_id"]))
    for x in rows:
        g.node(x["factory_id"], "Factory", x["factory"] or x["factory_id"], field=x["field"], year=x["year"])
        for cid, name in x.pop("_companies"):
            g.node(cid, "Company", name)
            g.edge(cid, "OPERATES", x["factory_id"])
        for rid, name in x.pop("_regions"):
            g.node(rid, "Region", name)
            g.edge(x["factory_id"], "LOCATED_IN", rid)
    return {"rows": rows, "value": len(rows), "graph": g}


factories = register(NamedQuery(
    name="factories",
    doc="""The World Economic Forum's lighthouse factories in China (the report's Table 2), by the
    year they were named: factory, operating company, city and field. ``region`` includes the
    factories in its cities.""",
    params=(FILTER_PARAMS["region"], Param("year", "int", help="year the factory was named", lo=1900, hi=2100)),
    columns=("factory", "company", "city", "field", "year", "source"),
    value="number of lighthouse factories",
    statements=_factories_statements,
    embedded=_factories_embedded,
    shape=_factories_shape,
))
