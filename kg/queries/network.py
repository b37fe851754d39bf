"""Co-investment: who invests alongside whom, the weighted investor network, its communities
and centralities, and the clusters active in a region.

On the embedded store the projection is one sparse product BᵀB (B = rounds × investors), never
a loop over pairs; on a server the pairs come from one Cypher aggregation. Either way the same
edge list, nodes in id order and edges sorted, feeds one analysis (igraph's Louvain in C with a
fixed seed; degree, weighted degree and PageRank on the edge arrays), so both backends find the
same communities.
"""
from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict, defaultdict

import numpy as np
import scipy.sparse as sp

from kg.queries.base import ROWS_CAP, Graph, NamedQuery, Param, as_int, register
from kg.queries.common import round_info
from kg.queries.filters import filter_params

__all__ = ["analyse", "co_investors", "coinvest_network", "forget_analyses", "pairs_embedded", "region_clusters"]

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
def _projection(ix, rmask: np.ndarray | None, min_shared: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, weight) of BᵀB's upper triangle (row < col, investor positions) with weight >=
    ``min_shared``, B = rounds × investors over the rounds where ``rmask`` (all when None).

    Both factors come straight from the index's orderings, with no sort and no format change:
    Bᵀ is the participations in investor order (``inv_ptr`` is its row pointer), B those in round
    order (``rp_order``/``rp_ptr``); a filter is applied to B alone (a round left out of one factor
    adds nothing to the product). Counts are int32 (a pair shares fewer than 2³¹ rounds)."""
    n_inv, n_rounds = len(ix.inv_ids), len(ix.r_ids)
    if n_inv == 0 or len(ix.p_inv) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    ones = ix.memo("ones32", lambda: np.ones(len(ix.p_inv), dtype=np.int32))
    Bt = sp.csr_matrix((ones, ix.p_round, ix.inv_ptr), shape=(n_inv, n_rounds))
    by_round = ix.memo("p_inv_by_round", lambda: ix.p_inv[ix.rp_order])
    if rmask is None or rmask.all():
        B = sp.csr_matrix((ones, by_round, ix.rp_ptr), shape=(n_rounds, n_inv))
    else:
        sizes = np.diff(ix.rp_ptr)
        keep = np.repeat(rmask, sizes)
        ptr = np.zeros(n_rounds + 1, dtype=ix.rp_ptr.dtype)
        np.cumsum(np.where(rmask, sizes, 0), out=ptr[1:])
        B = sp.csr_matrix((ones[:ptr[-1]], by_round[keep], ptr), shape=(n_rounds, n_inv))
    C = Bt @ B  # investors × investors, symmetric: keep the upper triangle
    rows = np.repeat(np.arange(n_inv, dtype=C.indices.dtype), np.diff(C.indptr))
    keep = C.indices > rows
    if min_shared > 1:
        keep &= C.data >= min_shared
    return rows[keep], C.indices[keep], C.data[keep].astype(np.int64)


def pairs_embedded(ix, rmask: np.ndarray) -> list[dict]:
    """Investor pairs with their shared-round counts over rounds where ``rmask``: BᵀB, upper triangle."""
    row, col, w = _projection(ix, rmask)
    if len(w) == 0:
        return []
    rank, ids, names = ix.memo("investor_id_rank", lambda: _id_rank(ix))
    first = rank[row] < rank[col]
    lo = np.where(first, row, col)
    hi = np.where(first, col, row)
    return [{"a_id": a_id, "a": a, "b_id": b_id, "b": b, "weight": x}
            for a_id, a, b_id, b, x in zip(ids[lo].tolist(), names[lo].tolist(), ids[hi].tolist(),
                                           names[hi].tolist(), w.tolist())]


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


def analyse(pairs: list[dict]) -> dict:
    """Communities (largest first, seeded Louvain) and per-investor centralities of the weighted
    investor graph of ``pairs`` (dicts with a_id, a, b_id, b, weight), as :func:`_analysis_core`
    returns them. Cached on the edge list; callers must not modify what it returns."""
    return _analyse(_edges_key(pairs))


@functools.lru_cache(maxsize=16)
def _analyse(edges: tuple) -> dict:
    """:func:`analyse` on a sorted tuple of (a_id, b_id, weight, a, b)."""
    names: dict = {}
    for a, b, _, na, nb in edges:
        names[a], names[b] = na, nb
    ids = sorted(names)
    pos = {n: k for k, n in enumerate(ids)}
    a = np.fromiter((pos[e[0]] for e in edges), dtype=np.int64, count=len(edges))
    b = np.fromiter((pos[e[1]] for e in edges), dtype=np.int64, count=len(edges))
    w = np.fromiter((e[2] for e in edges), dtype=np.int64, count=len(edges))
    return _analysis_core(ids, [names[n] for n in ids], a, b, w)


def _analysis_arrays(ix, lo, hi, w) -> dict:
    """:func:`analyse` of the embedded projection's (lo, hi, weight) investor positions: the same
    graph, nodes in id order and edges sorted, so both backends find the same communities.

    Kept on the network's content (its edges and weights, and the ids and names of the investors
    they index), not on the store version: a write that leaves the co-investment network as it was
    (companies, policies, news, rounds with one investor) reuses the communities found before, and
    only a changed network runs Louvain again. The answer is a function of that content alone, so
    nothing stale is kept."""
    h = hashlib.blake2b(ix.memo("investor_digest", lambda: _investor_digest(ix)), digest_size=20)
    for part in (lo, hi, w):
        part = np.ascontiguousarray(part)
        h.update(f"{part.dtype.str}{len(part)}|".encode())
        h.update(part.tobytes())
    return _kept_analysis(h.digest(), lambda: _analysis_of(ix, lo, hi, w))


def _investor_digest(ix) -> bytes:
    """A digest of the index's investors (ids and names, in position order)."""
    h = hashlib.blake2b(digest_size=20)
    for texts in (ix.inv_ids, ix.inv_names):  # each text's length too: no two lists hash alike by joining
        texts = [str(x) for x in texts]
        h.update(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)).tobytes())
        h.update("".join(texts).encode("utf-8", "surrogatepass"))
    return h.digest()


def _analysis_of(ix, lo, hi, w) -> dict:
    rank, ids, names = ix.memo("investor_id_rank", lambda: _id_rank(ix))
    nodes = np.unique(np.concatenate([lo, hi])) if len(w) else np.zeros(0, dtype=np.int64)
    nodes = nodes[np.argsort(rank[nodes], kind="stable")]
    pos = np.full(len(ids), -1, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))
    return _analysis_core(ids[nodes].tolist(), names[nodes].tolist(), pos[lo], pos[hi], np.asarray(w, dtype=np.int64))


_ANALYSES: OrderedDict = OrderedDict()  # content key -> analysis: the last few, process-wide
_ANALYSES_KEPT = 8
_ANALYSES_LOCK = threading.Lock()


def _kept_analysis(key, build) -> dict:
    """``build()`` unless an analysis of the same network content is kept (then that one). Two
    requests of one store version already wait for each other (:func:`_memo_once`)."""
    with _ANALYSES_LOCK:
        if key in _ANALYSES:
            _ANALYSES.move_to_end(key)
            return _ANALYSES[key]
    value = build()
    with _ANALYSES_LOCK:
        _ANALYSES[key] = value
        while len(_ANALYSES) > _ANALYSES_KEPT:
            _ANALYSES.popitem(last=False)
    return value


def forget_analyses() -> None:
    """Drop every kept analysis (both backends' caches): the next network runs Louvain again."""
    with _ANALYSES_LOCK:
        _ANALYSES.clear()
    _analyse.cache_clear()


_RNG_LOCK = threading.Lock()


def _louvain(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each node's Louvain community (igraph's multilevel modularity optimisation, in C), seeded:
    the same graph (nodes 0..n-1, edges in the same order) always gets the same communities."""
    import random

    import igraph

    g = igraph.Graph(n=n, edges=np.column_stack([a, b]).tolist(), directed=False)  # lists: faster in than arrays
    with _RNG_LOCK:  # igraph's random numbers come from one process-wide generator
        igraph.set_random_number_generator(random.Random(SEED))
        try:
            part = g.community_multilevel(weights=w.astype(float).tolist())
        finally:
            igraph.set_random_number_generator(random)
    return np.asarray(part.membership, dtype=np.int64)


def _pagerank(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, alpha: float = 0.85, tol: float = 1e-6,
              max_iter: int = 100) -> np.ndarray:
    """Weighted PageRank of the undirected graph: the power iteration networkx's ``pagerank`` runs
    (same start, damping and stopping rule), on the edge arrays."""
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    A = sp.csr_matrix((np.concatenate([w, w]).astype(float), (src, dst)), shape=(n, n))
    S = np.asarray(A.sum(axis=1)).ravel()
    nz = S != 0
    S[nz] = 1.0 / S[nz]
    A = sp.diags(S).tocsr() @ A
    p = np.repeat(1.0 / n, n)
    x = p.copy()
    dangling = np.flatnonzero(~nz)
    for _ in range(max_iter):
        last = x
        x = alpha * (x @ A + x[dangling].sum() * p) + (1 - alpha) * p
        if np.abs(x - last).sum() < n * tol:
            break
    return x


def _analysis_core(ids: list[str], names: list[str], a: np.ndarray, b: np.ndarray, w: np.ndarray) -> dict:
    """Communities, centralities and the meta lists of a network (built once per edge list).

    ``ids`` are the investors in id order (``names`` theirs), ``a``/``b`` positions into them of
    each pair (a before b), ``w`` the shared rounds. Nodes and edges reach Louvain in that order,
    which is the same on every backend. Communities are numbered largest first (ties: the smallest
    member name, then the first id): one numbering for the rows, the nodes, the legend and exports.
    """
    n = len(ids)
    out = {"ids": ids, "investors": n, "comms": [], "cent": {}, "names": dict(zip(ids, names)), "centrality": [],
           "communities": [], "inner": {}, "comm_of": {}}
    if n == 0:
        return out
    order = np.lexsort((b, a))
    a, b, w = a[order], b[order], w[order]
    member = _louvain(n, a, b, w)
    name_arr = np.empty(n, dtype=object)
    name_arr[:] = names
    groups: dict[int, list[int]] = defaultdict(list)
    for k, m in enumerate(member.tolist()):
        groups[m].append(k)  # positions ascending: members in id order
    comms_pos = sorted(groups.values(), key=lambda c: (-len(c), min(names[k] for k in c), ids[c[0]]))
    number = np.empty(n, dtype=np.int64)
    for k, c in enumerate(comms_pos):
        number[c] = k
    ends = np.concatenate([a, b])
    deg = np.bincount(ends, minlength=n)
    wdeg = np.bincount(ends, weights=np.concatenate([w, w]), minlength=n).astype(np.int64)
    pr = np.round(_pagerank(n, a, b, w), 6)
    cent = {i: {"community": c, "degree": d, "weighted_degree": x, "pagerank": r}
            for i, c, d, x, r in zip(ids, number.tolist(), deg.tolist(), wdeg.tolist(), pr.tolist())}
    same = number[a] == number[b]
    inner = np.bincount(number[a][same], weights=w[same], minlength=len(comms_pos)).astype(np.int64)
    by_pr = sorted(range(n), key=lambda k: (-pr[k], names[k], ids[k]))
    out.update(
        comms=[[ids[k] for k in c] for c in comms_pos], cent=cent,
        comm_of=dict(zip(ids, number.tolist())), inner=dict(enumerate(inner.tolist())),
        centrality=[{"investor": names[k], "investor_id": ids[k], **cent[ids[k]]} for k in by_pr],
        communities=[{"community": k, "size": len(c), "members": sorted(names[j] for j in c)}
                     for k, c in enumerate(comms_pos)])
    return out


# ---------------------------------------------------------------------------- coinvest_network
def _pair_key(p) -> str:
    """The projection's cache key: every Cypher parameter (filters, resolved ids, min_shared)."""
    return repr(sorted(p.cy.items(), key=lambda kv: kv[0]))


_ONCE_LOCK = threading.Lock()
_ONCE: dict = {}  # (id of the index, key) -> the lock its first builder holds


def _memo_once(ix, key, build):
    """``ix.memo(key, build)`` with one build at a time per key: a second caller of the same key
    (another request of a server) waits for the first one's result instead of building it again."""
    if key in ix._memo:
        return ix._memo[key]
    with _ONCE_LOCK:
        lock = _ONCE.setdefault((id(ix), key), threading.Lock())
    try:
        with lock:
            return ix.memo(key, build)
    finally:
        with _ONCE_LOCK:
            _ONCE.pop((id(ix), key), None)


def _edge_set_key(ix, p) -> tuple:
    """What the network's edges depend on: the rounds the filters keep (as a digest of the mask)
    and min_shared. Two parameter sets that keep the same rounds (``year=2019`` on 2019-only data,
    a segment's name and its id) share one projection and one Louvain."""
    mask = p.filters.round_mask(ix)
    digest = "all" if mask.all() else hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).hexdigest()
    return digest, int(p.cy.get("min_shared", 1))


def _pair_arrays(ix, p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, weight) of the projection over the filtered rounds with weight >= min_shared, lo the
    investor first in id order (a) and hi the other (b). Cached per index (that is, per store version)."""
    def build():
        row, col, w = _projection(ix, p.filters.round_mask(ix), int(p.cy.get("min_shared", 1)))
        rank, _, _ = ix.memo("investor_id_rank", lambda: _id_rank(ix))
        first = rank[row] < rank[col]
        return np.where(first, row, col), np.where(first, col, row), w
    return _memo_once(ix, ("pairs", _edge_set_key(ix, p)), build)


def _name_rank(ix) -> np.ndarray:
    """Each investor's rank by display name (equal names, equal rank): code-point order, as Python sorts."""
    names = np.array(ix.inv_names, dtype=str) if ix.inv_names else np.array([], dtype=str)
    _, inverse = np.unique(names, return_inverse=True)
    return inverse.reshape(-1)


def _pair_dicts(ix, lo, hi, w) -> list[dict]:
    _, ids, names = ix.memo("investor_id_rank", lambda: _id_rank(ix))
    return [{"a_id": a_id, "a": a, "b_id": b_id, "b": b, "weight": x}
            for a_id, a, b_id, b, x in zip(ids[lo].tolist(), names[lo].tolist(), ids[hi].tolist(),
                                           names[hi].tolist(), w.tolist())]


def _heaviest(ix, lo, hi, w, k: int | None) -> np.ndarray:
    """Positions of the ``k`` heaviest pairs in row order: weight down, then a's name, b's name, a's id,
    b's id (what :func:`_sort_pairs` does on dicts)."""
    if len(w) == 0:
        return np.zeros(0, dtype=np.int64)
    rank, _, _ = ix.memo("investor_id_rank", lambda: _id_rank(ix))
    nrank = ix.memo("investor_name_rank", lambda: _name_rank(ix))
    if k is not None and k < len(w):
        # only pairs at least as heavy as the k-th heaviest can be among the first k
        cut = np.partition(w, len(w) - k)[len(w) - k]
        cand = np.flatnonzero(w >= cut)
    else:
        cand = np.arange(len(w))
    order = np.lexsort((rank[hi[cand]], rank[lo[cand]], nrank[hi[cand]], nrank[lo[cand]], -w[cand]))
    out = cand[order]
    return out[:k] if k is not None else out


def _sort_pairs(pairs: list[dict]) -> list[dict]:
    return sorted(pairs, key=lambda x: (-x["weight"], x["a"], x["b"], x["a_id"], x["b_id"]))


def _edges_key(pairs) -> tuple:
    return tuple(sorted((e["a_id"], e["b_id"], as_int(e["weight"]), e["a"], e["b"]) for e in pairs))


def _network_embedded(ix, p) -> dict:
    lo, hi, w = _pair_arrays(ix, p)
    keep = _heaviest(ix, lo, hi, w, _k(p))
    analysis = _memo_once(ix, ("analysis", _edge_set_key(ix, p)), lambda: _analysis_arrays(ix, lo, hi, w))
    # the heaviest pairs already in row order, the count of all of them, and the network's analysis
    return {"main": _pair_dicts(ix, lo[keep], hi[keep], w[keep]), "total": len(w), "analysis": analysis}


def _k(p) -> int:
    k = p.values.get("k")
    return ROWS_CAP if k is None else k


def _network_shape(raw, p) -> dict:
    pairs = [{**e, "weight": as_int(e["weight"])} for e in raw["main"]]
    k = _k(p)
    if "total" in raw:  # embedded: the rows are cut and sorted already
        total, a = raw["total"], raw["analysis"]
    else:
        total, a = len(pairs), analyse(pairs)
        pairs = _sort_pairs(pairs)[:k]
    names, cent = a["names"], a["cent"]
    g = Graph()
    for n in sorted({e["a_id"] for e in pairs} | {e["b_id"] for e in pairs}):
        g.node(n, "Investor", names[n], **cent[n])
    for e in pairs:
        g.edge(e["a_id"], "CO_INVESTED", e["b_id"], weight=e["weight"])
    rows = [{"a": e["a"], "b": e["b"], "weight": e["weight"], "a_id": e["a_id"], "b_id": e["b_id"]} for e in pairs]
    meta = {"communities": [dict(c) for c in a["communities"]], "centrality": [dict(c) for c in a["centrality"]],
            "investors": a["investors"]}
    out = {"rows": rows, "value": total, "graph": g, "meta": meta}
    if total > len(rows):
        out["truncated"] = True
        meta["omitted"] = total - len(rows)
    return out


coinvest_network = register(NamedQuery(
    name="coinvest_network",
    doc=f"""The co-investment network: investor pairs weighted by shared rounds (at least
    min_shared), with Louvain communities and degree, weighted degree and PageRank per investor
    (in meta and on the graph's nodes). Heaviest pairs first; rows and graph keep the ``k``
    heaviest (default {ROWS_CAP}; the value, the communities and the centralities count every pair).""",
    params=(Param("min_shared", "int", 1, help="keep pairs sharing at least this many rounds", lo=1),
            Param("k", "int", None, help=f"keep the k heaviest pairs (default {ROWS_CAP})", lo=1),
            *filter_params(exclude=("lead_only",))),
    columns=("a", "b", "weight"),
    value="number of investor pairs (before the k cut)",
    statements={"main": PAIRS_CYPHER},
    embedded=_network_embedded,
    shape=_network_shape,
    prepare=lambda p: p.cy.update(min_shared=p["min_shared"]),
))


# ---------------------------------------------------------------------------- region_clusters
GRAPH_NODES = 2000  # region_clusters draws whole communities, in row order, up to about this many nodes


def _clusters_embedded(ix, p) -> dict:
    def links():
        """(investor id, company id, company name, rounds) of every investor-company link in the
        filtered rounds, as arrays (one np.unique over investor × company codes, no loop)."""
        keep = p.filters.round_mask(ix)[ix.p_round]
        n_co = max(len(ix.co_ids), 1)
        code, rounds = np.unique(ix.p_inv[keep].astype(np.int64) * n_co + ix.r_company[ix.p_round[keep]],
                                 return_counts=True)
        _, inv_ids, _ = ix.memo("investor_id_rank", lambda: _id_rank(ix))
        co_ids, co_names = ix.memo("company_id_name_arrays", lambda: (_objects(ix.co_ids), _objects(ix.co_names)))
        return inv_ids[code // n_co], co_ids[code % n_co], co_names[code % n_co], rounds

    key = _pair_key(p)
    lo, hi, w = _pair_arrays(ix, p)
    analysis = _memo_once(ix, ("analysis", _edge_set_key(ix, p)), lambda: _analysis_arrays(ix, lo, hi, w))

    def core():  # the communities with their companies depend on the data and filters only: once per version
        order = _heaviest(ix, lo, hi, w, None)
        return _clusters_core(_pair_dicts(ix, lo[order], hi[order], w[order]), links(), analysis, ordered=True)
    return {"core": ix.memo(("clusters", key), core)}


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _links_arrays(links: list[dict]) -> tuple:
    """A Cypher backend's link rows as the arrays :func:`_clusters_core` takes."""
    return (_objects([x["investor_id"] for x in links]), _objects([x["company_id"] for x in links]),
            _objects([x["company"] for x in links]), np.array([as_int(x["rounds"]) for x in links], dtype=np.int64))


def _clusters_core(pairs: list[dict], links: tuple, a: dict | None = None, ordered: bool = False) -> dict:
    """Rows (one per community, largest first) and what drawing them needs. ``links`` are arrays of
    (investor id, company id, company name, rounds), one entry per investor-company pair; ``a`` the
    pairs' :func:`analyse` when the caller has it; ``ordered``: ``pairs`` are heaviest first already."""
    if not ordered:
        pairs = _sort_pairs([{**e, "weight": as_int(e["weight"])} for e in pairs])
    if a is None:
        a = analyse(pairs)
    comms, cent, names, comm_of, inner = a["comms"], a["cent"], a["names"], a["comm_of"], a["inner"]
    inv, cid, cnm, rounds = links
    companies: dict[str, dict[str, int]] = defaultdict(dict)  # company id -> investor id -> rounds
    cname: dict = {}
    shared_by: dict[int, list[str]] = defaultdict(list)
    if len(inv) and comms:
        # per community: the companies two or more of its members invested in (one np.unique over
        # company × community codes; each link is one investor of one company)
        inv_u, inv_code = np.unique(inv.astype(str), return_inverse=True)
        co_u, co_code = np.unique(cid.astype(str), return_inverse=True)
        k_of = np.array([comm_of.get(i, -1) for i in inv_u.tolist()], dtype=np.int64)[inv_code.reshape(-1)]
        co_code = co_code.reshape(-1)
        sel = k_of >= 0
        code, n = np.unique(co_code[sel] * len(comms) + k_of[sel], return_counts=True)
        code = code[n >= 2]
        first = np.full(len(co_u), -1, dtype=np.int64)
        first[co_code[::-1]] = np.arange(len(co_code))[::-1]  # a link of each company (for its name)
        for c, k in zip((code // len(comms)).tolist(), (code % len(comms)).tolist()):
            shared_by[k].append(str(co_u[c]))
            cname[str(co_u[c])] = cnm[first[c]]
        drawn = np.isin(co_code, np.unique(code // len(comms)))
        for i, c, r in zip(inv[drawn].tolist(), cid[drawn].tolist(), rounds[drawn].tolist()):
            companies[c][i] = int(r)
    rows = []
    for k, members in enumerate(comms):
        shared = sorted(shared_by.get(k, ()), key=lambda c: (cname[c], c))
        rows.append({"investors": sorted(names[n] for n in members), "companies": [cname[c] for c in shared],
                     "size": len(members), "shared_rounds": inner.get(k, 0), "_ids": members,
                     "_companies": shared, "_k": k})
    rows.sort(key=lambda x: (-x["size"], -x["shared_rounds"], x["investors"]))
    for k, row in enumerate(rows):
        row["community"] = k
    return {"rows": rows, "pairs": pairs, "names": names, "cent": cent, "comm_of": comm_of,
            "companies": companies, "cname": cname}


def _clusters_shape(raw, p) -> dict:
    core = raw.get("core") or _clusters_core(raw["pairs"], _links_arrays(raw["links"]))
    names, cent, comm_of, companies, cname = (core[k] for k in ("names", "cent", "comm_of", "companies", "cname"))
    g = Graph()
    drawn = 0
    for row in core["rows"]:
        size = row["size"] + len(row["_companies"])
        if drawn and drawn + size > GRAPH_NODES:
            break
        drawn += size
        k = row["community"]
        for n in row["_ids"]:
            g.node(n, "Investor", names[n], community=k, pagerank=cent[n]["pagerank"])
        for cid in row["_companies"]:
            g.node(cid, "Company", cname[cid])
            for n, rounds in companies[cid].items():
                if comm_of.get(n) == row["_k"]:
                    g.edge(n, "INVESTED_IN_COMPANY", cid, rounds=rounds)
    shown = 0
    for e in core["pairs"]:  # heaviest first, between the investors drawn
        if shown >= ROWS_CAP:
            break
        if e["a_id"] in g.nodes and e["b_id"] in g.nodes:
            g.edge(e["a_id"], "CO_INVESTED", e["b_id"], weight=e["weight"])
            shown += 1
    rows = [{"community": r["community"], "investors": r["investors"], "companies": r["companies"],
             "size": r["size"], "shared_rounds": r["shared_rounds"]} for r in core["rows"]]
    out = {"rows": rows, "value": len(rows), "graph": g}
    omitted = sum(1 for r in core["rows"] if r["_ids"] and r["_ids"][0] not in g.nodes)
    if omitted:
        out["truncated"] = True
        out["meta"] = {"graph_omitted": omitted}
    return out


region_clusters = register(NamedQuery(
    name="region_clusters",
    doc=f"""Co-investment communities active in a region: Louvain groups of the investors that
    co-invested in the region's companies, with the companies at least two of them share.
    Largest communities first. The graph draws whole communities in that order up to about
    {GRAPH_NODES} nodes (``meta.graph_omitted`` counts the others) and the {ROWS_CAP} heaviest
    CO_INVESTED pairs between the investors drawn.""",
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
