"""Co-investment: who invests alongside whom, the weighted investor network, its communities
and centralities, and the clusters active in a region.

On the embedded store the projection is one sparse product BᵀB (B = rounds × investors), never
a loop over pairs; on a server the pairs come from one Cypher aggregation. Either way the same
edge list feeds networkx (Louvain with a fixed seed, degree, weighted degree, PageRank), built in
sorted order so both backends find the same communities.
"""
from __future__ import annotations

import functools
from collections import defaultdict

import networkx as nx
import numpy as np
import scipy.sparse as sp

from kg.queries.base import Graph, NamedQuery, Param, as_int, register
from kg.queries.common import round_info
from kg.queries.filters import filter_params

__all__ = ["analyse", "co_investors", "coinvest_network", "pairs_embedded", "region_clusters"]

SEED = 42


# ---------------------------------------------------------------------------- co_investors
def _co_embedded(ix, p) -> dict:
    i = ix.inv_pos.get(p.cy["investor"])
    if i is None:
        return {"main": []}
    parts = ix.investor_participations(i)
    parts = parts[p.filters.part_mask(ix, parts)]
    by: dict[int, list[dict]] = defaultdict(list)
    for k in parts:
        r = int(ix.p_round[k])
        c = int(ix.r_company[r])
        info = {**round_info(ix, r), "company_id": ix.co_ids[c], "company": ix.co_names[c]}
        info.pop("amount_cny")
        for q in ix.round_participations(r):
            o = int(ix.p_inv[q])
            if o != i:
                by[o].append(info)
    return {"main": [{"investor_id": ix.inv_ids[o], "investor": ix.inv_names[o], "rounds": rounds}
                     for o, rounds in by.items()]}


def _co_shape(raw, p) -> dict:
    me = p.entities["investor"]
    rows = []
    for r in raw["main"]:
        rounds = {x["id"]: x for x in r["rounds"]}.values()
        dates = [x["date"] for x in rounds if x.get("date")]
        rows.append({"investor": r["investor"], "shared_rounds": len(rounds),
                     "shared_companies": sorted({x["company"] for x in rounds}),
                     "first_date": min(dates) if dates else None, "last_date": max(dates) if dates else None,
                     "investor_id": r["investor_id"]})
    rows.sort(key=lambda x: (-x["shared_rounds"], x["investor"], x["investor_id"]))
    total = len(rows)
    k = p["k"]
    out: dict = {"value": total}
    if k is not None and total > k:
        rows = rows[:k]
        out.update(truncated=True, meta={"omitted": total - k})
    g = Graph()
    g.node(me.id, "Investor", me.name)
    for r in rows:
        g.node(r["investor_id"], "Investor", r["investor"])
        a, b = sorted((me.id, r["investor_id"]))
        g.edge(a, "CO_INVESTED", b, weight=r["shared_rounds"])
    out.update(rows=rows, graph=g)
    return out


co_investors = register(NamedQuery(
    name="co_investors",
    doc="""Investors that shared rounds with an investor, most shared rounds first (ties by name).

    Filters apply to the shared rounds; lead_only keeps the rounds the investor itself led.
    ``k`` keeps exactly the top k. The graph is the star of CO_INVESTED edges (weight = shared rounds).""",
    params=(Param("investor", "entity", required=True, labels=("Investor",), help="investor name, alias or id"),
            Param("k", "int", None, help="keep the top k co-investors", lo=1),
            *filter_params()),
    columns=("investor", "shared_rounds", "shared_companies", "first_date", "last_date"),
    value="number of co-investors (before the k cut)",
    statements={"main": """
MATCH (i:Investor {id: $investor})-[p:INVESTED_IN]->(r:Round)<-[:INVESTED_IN]-(o:Investor), (c:Company)-[:RAISED]->(r)
WHERE o.id <> i.id{and_filters}
WITH o, collect(DISTINCT {id: r.id, label: r.label, type: r.type, date: r.date, company_id: c.id, company: c.name}) AS rounds
RETURN o.id AS investor_id, o.name AS investor, rounds
"""},
    embedded=_co_embedded,
    shape=_co_shape,
))


# ---------------------------------------------------------------------------- the projection
def pairs_embedded(ix, rmask: np.ndarray) -> list[dict]:
    """Investor pairs with their shared-round counts over rounds where ``rmask``: BᵀB, upper triangle."""
    B = ix.incidence(rmask)
    C = sp.triu(B.T @ B, k=1).tocoo()
    if C.nnz == 0:
        return []
    rank, ids, names = ix.memo("investor_id_rank", lambda: _id_rank(ix))
    first = rank[C.row] < rank[C.col]
    lo = np.where(first, C.row, C.col)
    hi = np.where(first, C.col, C.row)
    return [{"a_id": a_id, "a": a, "b_id": b_id, "b": b, "weight": w}
            for a_id, a, b_id, b, w in zip(ids[lo].tolist(), names[lo].tolist(), ids[hi].tolist(),
                                           names[hi].tolist(), C.data.tolist())]


def _id_rank(ix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each investor's position in id order, and the ids and names as object arrays (for fancy indexing)."""
    ids = np.array(ix.inv_ids, dtype=object)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(len(ids))
    names = np.empty(len(ids), dtype=object)
    names[:] = ix.inv_names
    return rank, ids, names


PAIRS_CYPHER = """
MATCH (a:Investor)-[:INVESTED_IN]->(r:Round)<-[:INVESTED_IN]-(b:Investor), (c:Company)-[:RAISED]->(r)
WHERE a.id < b.id{and_filters}
WITH a, b, count(r) AS weight
WHERE weight >= $min_shared
RETURN a.id AS a_id, a.name AS a, b.id AS b_id, b.name AS b, weight
"""


def analyse(pairs: list[dict]) -> tuple[nx.Graph, list[list[str]], dict]:
    """The weighted investor graph (built in sorted order), its Louvain communities (largest first,
    fixed seed) and per-investor centralities. Cached on the edge list: a UI asks the same network
    again and again, and Louvain is the slow part. Callers must not modify what it returns.
    """
    edges = tuple(sorted((e["a_id"], e["b_id"], as_int(e["weight"]), e["a"], e["b"]) for e in pairs))
    return _analyse(edges)


@functools.lru_cache(maxsize=16)
def _analyse(edges: tuple) -> tuple[nx.Graph, list[list[str]], dict]:
    """:func:`analyse` on a sorted tuple of (a_id, b_id, weight, a, b).

    Louvain runs on integer node labels (positions in sorted id order): string hashes change from
    one process to the next and would change the communities with them.
    """
    G = nx.Graph()
    names = {}
    for a, b, _, na, nb in edges:
        names[a], names[b] = na, nb
    ids = sorted(names)
    G.add_nodes_from(ids)
    G.add_weighted_edges_from((a, b, w) for a, b, w, _, _ in edges)
    nx.set_node_attributes(G, names, "name")
    if G.number_of_nodes() == 0:
        return G, [], {}
    pos = {n: k for k, n in enumerate(ids)}
    H = nx.Graph()
    H.add_nodes_from(range(len(ids)))
    H.add_weighted_edges_from((pos[a], pos[b], w) for a, b, w, _, _ in edges)
    comms = [sorted(ids[k] for k in c) for c in nx.community.louvain_communities(H, weight="weight", seed=SEED)]
    comms.sort(key=lambda c: (-len(c), min(names[n] for n in c), c[0]))
    pr = nx.pagerank(H, weight="weight")
    cent = {}
    for k, members in enumerate(comms):
        for n in members:
            cent[n] = {"community": k, "degree": G.degree(n), "weighted_degree": int(G.degree(n, weight="weight")),
                       "pagerank": round(float(pr[pos[n]]), 6)}
    return G, comms, cent


# ---------------------------------------------------------------------------- coinvest_network
def _network_embedded(ix, p) -> dict:
    pairs = pairs_embedded(ix, p.filters.round_mask(ix))
    return {"main": [e for e in pairs if e["weight"] >= p["min_shared"]]}


def _network_shape(raw, p) -> dict:
    pairs = [{**e, "weight": as_int(e["weight"])} for e in raw["main"]]
    G, comms, cent = analyse(pairs)
    names = nx.get_node_attributes(G, "name")
    g = Graph()
    for n in sorted(G.nodes):
        g.node(n, "Investor", names[n], **cent[n])
    for e in pairs:
        g.edge(e["a_id"], "CO_INVESTED", e["b_id"], weight=e["weight"])
    rows = sorted(({"a": e["a"], "b": e["b"], "weight": e["weight"], "a_id": e["a_id"], "b_id": e["b_id"]}
                   for e in pairs), key=lambda x: (-x["weight"], x["a"], x["b"], x["a_id"], x["b_id"]))
    centrality = sorted(({"investor": names[n], "investor_id": n, **c} for n, c in cent.items()),
                        key=lambda x: (-x["pagerank"], x["investor"], x["investor_id"]))
    meta = {"communities": [{"community": k, "size": len(m), "members": sorted(names[n] for n in m)}
                            for k, m in enumerate(comms)],
            "centrality": centrality, "investors": G.number_of_nodes()}
    return {"rows": rows, "value": len(rows), "graph": g, "meta": meta}


coinvest_network = register(NamedQuery(
    name="coinvest_network",
    doc="""The co-investment network: investor pairs weighted by shared rounds (at least
    min_shared), with Louvain communities and degree, weighted degree and PageRank per investor
    (in meta and on the graph's nodes). Heaviest pairs first.""",
    params=(Param("min_shared", "int", 1, help="keep pairs sharing at least this many rounds", lo=1),
            *filter_params(exclude=("lead_only",))),
    columns=("a", "b", "weight"),
    value="number of investor pairs",
    statements={"main": PAIRS_CYPHER},
    embedded=_network_embedded,
    shape=_network_shape,
    prepare=lambda p: p.cy.update(min_shared=p["min_shared"]),
))


# ---------------------------------------------------------------------------- region_clusters
def _clusters_embedded(ix, p) -> dict:
    rmask = p.filters.round_mask(ix)
    pairs = pairs_embedded(ix, rmask)
    links: dict[tuple[int, int], int] = defaultdict(int)
    keep = rmask[ix.p_round]
    for i, r in zip(ix.p_inv[keep].tolist(), ix.p_round[keep].tolist()):
        links[(i, int(ix.r_company[r]))] += 1
    return {"pairs": pairs,
            "links": [{"investor_id": ix.inv_ids[i], "company_id": ix.co_ids[c], "company": ix.co_names[c],
                       "rounds": n} for (i, c), n in links.items()]}


def _clusters_shape(raw, p) -> dict:
    pairs = [{**e, "weight": as_int(e["weight"])} for e in raw["pairs"]]
    G, comms, cent = analyse(pairs)
    names = nx.get_node_attributes(G, "name")
    companies: dict[str, dict[str, int]] = defaultdict(dict)  # company id -> investor id -> rounds
    cname = {}
    for x in raw["links"]:
        companies[x["company_id"]][x["investor_id"]] = as_int(x["rounds"])
        cname[x["company_id"]] = x["company"]
    # per community: the companies two or more of its members invested in, and the weight of its
    # internal pairs (one pass over companies and pairs, not one per community)
    comm_of = {n: k for k, members in enumerate(comms) for n in members}
    shared_by: dict[int, list[str]] = defaultdict(list)
    for cid, invs in companies.items():
        seen: dict[int, int] = {}
        for i in invs:
            k = comm_of.get(i)
            if k is not None:
                seen[k] = seen.get(k, 0) + 1
        for k, c in seen.items():
            if c >= 2:
                shared_by[k].append(cid)
    inner: dict[int, int] = defaultdict(int)
    for a, b, d in G.edges(data=True):
        k = comm_of.get(a)
        if k is not None and k == comm_of.get(b):
            inner[k] += d["weight"]
    rows = []
    for k, members in enumerate(comms):
        shared = sorted(shared_by.get(k, ()), key=lambda cid: (cname[cid], cid))
        weight = inner.get(k, 0)
        rows.append({"investors": sorted(names[n] for n in members), "companies": [cname[c] for c in shared],
                     "size": len(members), "shared_rounds": weight, "_ids": members, "_companies": shared,
                     "_k": k})
    rows.sort(key=lambda x: (-x["size"], -x["shared_rounds"], x["investors"]))
    g = Graph()
    for k, row in enumerate(rows):
        row["community"] = k
        for n in row.pop("_ids"):
            g.node(n, "Investor", names[n], community=k, pagerank=cent[n]["pagerank"])
        own = row.pop("_k")
        for cid in row.pop("_companies"):
            g.node(cid, "Company", cname[cid])
            for n, rounds in companies[cid].items():
                if comm_of.get(n) == own:
                    g.edge(n, "INVESTED_IN_COMPANY", cid, rounds=rounds)
    for e in pairs:
        g.edge(e["a_id"], "CO_INVESTED", e["b_id"], weight=e["weight"])
    rows = [{"community": r["community"], "investors": r["investors"], "companies": r["companies"],
             "size": r["size"], "shared_rounds": r["shared_rounds"]} for r in rows]
    return {"rows": rows, "value": len(rows), "graph": g}


region_clusters = register(NamedQuery(
    name="region_clusters",
    doc="""Co-investment communities active in a region: Louvain groups of the investors that
    co-invested in the region's companies, with the companies at least two of them share.
    Largest communities first.""",
    params=(Param("region", "entity", required=True, labels=("Region",),
                  help="province, city or macro region (includes its cities/members)"),
            *filter_params(exclude=("region", "lead_only"))),
    columns=("community", "investors", "companies", "size", "shared_rounds"),
    value="number of communities",
    statements={"pairs": PAIRS_CYPHER, "links": """
MATCH (i:Investor)-[:INVESTED_IN]->(r:Round)<-[:RAISED]-(c:Company)
{where}
RETURN i.id AS investor_id, c.id AS company_id, c.name AS company, count(r) AS rounds
"""},
    embedded=_clusters_embedded,
    shape=_clusters_shape,
    prepare=lambda p: p.cy.update(min_shared=1),
))
