"""Which facts of a result are synthetic, read from the store: so every export, page and answer built
from ``kg demo`` data says so.

Named queries draw their subgraphs with names and round fields only, so a node in a
:class:`~kg.result.Result` does not carry the store's ``synthetic`` flag. :func:`mark` looks the ids
up once and writes ``synthetic`` (and ``source``) on every node, every edge and every row with an
id column, and sets ``meta["synthetic"]`` (answers: ``"synthetic"``) when any fact is synthetic.

What "synthetic" means for each node (the same on every backend):

- a Round: its own ``synthetic`` property (``kg demo`` sets it);
- a Company or an Investor: every round it raised or joined is synthetic (a demo company; a
  report investor whose only deals in the workspace are demo deals);
- anything else (regions, segments, policies, factories: the report's facts): not synthetic;
- an edge: either end is synthetic.
"""
from __future__ import annotations

import copy
import threading
import weakref

from kg.store.reading import column_values

__all__ = ["ID_COLUMNS", "any_synthetic", "is_synthetic", "mark", "marks", "row_id"]

ID_COLUMNS = ("round_id", "company_id", "investor_id", "id")
_MAX_SOURCES = 3

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> (version, _Facts)
_LOCK = threading.Lock()


def _truthy(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    if isinstance(v, (list, tuple)):
        return any(_truthy(x) for x in v)
    return bool(v)


def is_synthetic(obj) -> bool:
    """Whether an answer, a Result (``meta``), a payload or a node/edge dict says it is synthetic."""
    if obj is None:
        return False
    if isinstance(obj, dict):
        if _truthy(obj.get("synthetic")) or _truthy((obj.get("meta") or {}).get("synthetic")):
            return True
        g = obj.get("graph")
        if isinstance(g, dict):
            return any(_truthy(x.get("synthetic")) for k in ("nodes", "edges") for x in (g.get(k) or [])
                       if isinstance(x, dict))
        return False
    meta = getattr(obj, "meta", None)
    if isinstance(meta, dict) and _truthy(meta.get("synthetic")):
        return True
    return _truthy(getattr(obj, "synthetic", False))


def _sources(lists) -> list[str]:
    out: dict[str, None] = {}
    for lst in lists:
        for s in (lst or []) if isinstance(lst, (list, tuple)) else [lst]:
            if s:
                out[str(s)] = None
    return list(out)


class _Facts:
    """The flags :func:`marks` needs, read once per store version through the read interface
    (:class:`kg.store.GraphReader`: the deals table and INVESTED_IN), the same on every backend."""

    def __init__(self, store):
        deals = store.deals()
        ids = deals.column("id").to_pylist()
        self.r_pos = {r: k for k, r in enumerate(ids)}
        self.r_syn = [_truthy(v) for v in column_values(deals, "synthetic")]
        self.r_src = column_values(deals, "sources")
        self.co_rounds: dict[str, list[int]] = {}
        for k, c in enumerate(column_values(deals, "company_id")):
            if c is not None:
                self.co_rounds.setdefault(c, []).append(k)
        self.inv_rounds: dict[str, list[int]] = {}
        inv = store.relationships("INVESTED_IN").select(["_start", "_end"]).to_pydict()
        for i, r in zip(inv["_start"], inv["_end"]):
            k = self.r_pos.get(r)
            if k is not None:
                self.inv_rounds.setdefault(i, []).append(k)
        for lst in self.inv_rounds.values():
            lst.sort()
        self._entity: dict = {}   # (id, sources) -> mark of a company or an investor

    def mark(self, nid: str, sources: bool) -> tuple[bool, list[str]] | None:
        r = self.r_pos.get(nid)
        if r is not None:
            return bool(self.r_syn[r]), (_sources([self.r_src[r]])[:_MAX_SOURCES] if sources else [])
        # a company's or an investor's mark reads all its rounds (1,900 for a busy investor at 100k
        # deals): read once per store version (this object's life), given out as a copy
        key = (nid, sources)
        hit = self._entity.get(key, self)
        if hit is self:
            hit = self._entity[key] = self._entity_mark(nid, sources)
        return None if hit is None else (hit[0], list(hit[1]))

    def _entity_mark(self, nid: str, sources: bool) -> tuple[bool, list[str]] | None:
        rounds = self.co_rounds.get(nid)
        if rounds is None:
            rounds = self.inv_rounds.get(nid)
        if rounds is None:
            return None
        s = bool(rounds) and all(self.r_syn[k] for k in rounds)
        return s, (_sources(self.r_src[k] for k in rounds[:20])[:_MAX_SOURCES] if s and sources else [])


def _facts(store) -> _Facts:
    version = store.version
    hit = _CACHE.get(store)
    if hit is None or hit[0] != version:
        with _LOCK:
            hit = _CACHE.get(store)
            if hit is None or hit[0] != version:
                hit = _CACHE[store] = (version, _Facts(store))
    return hit[1]


def marks(store, ids, sources: bool = True) -> dict[str, tuple[bool, list[str]]]:
    """``{id: (synthetic, sources of the synthetic facts)}`` for the rounds, companies and investors
    among ``ids`` (others are left out: they are the report's facts)."""
    ids = list(dict.fromkeys(str(i) for i in ids if i))
    if not ids or store is None:
        return {}
    facts = _facts(store)
    out = {}
    for nid in ids:
        m = facts.mark(nid, sources)
        if m is not None:
            out[nid] = m
    return out


def any_synthetic(store, rows) -> bool:
    """Whether any row (naming a round, company or investor in an id column) is synthetic."""
    ids = [row_id(r) for r in rows if isinstance(r, dict)]
    return any(s for s, _ in marks(store, [i for i in ids if i], sources=False).values())


def row_id(row: dict) -> str | None:
    for c in ID_COLUMNS:
        v = row.get(c)
        if isinstance(v, str) and v:
            return v
    return None


def mark(obj, store):
    """A copy of ``obj`` (Result, answer dict, Result dict or graph dict) with ``synthetic`` and
    ``source`` on its nodes, edges and rows, and the result-level flag set when any is synthetic.
    The input is not changed; anything else is returned as it is."""
    from kg.result import Result

    if isinstance(obj, Result):
        out = copy.copy(obj)
        d = _mark_parts(obj.graph or {}, obj.rows or [], store)
        out.graph, out.rows = d["graph"], d["rows"]
        out.meta = {**(obj.meta or {})}
        if d["synthetic"] or _truthy(out.meta.get("synthetic")):
            out.meta["synthetic"] = True
        return out
    if isinstance(obj, dict):
        graph = obj.get("graph") if isinstance(obj.get("graph"), dict) else (
            obj if ("nodes" in obj or "edges" in obj) else None)
        if graph is None:
            return obj
        d = _mark_parts(graph, obj.get("rows") or [] if graph is not obj else [], store)
        if graph is obj:
            out = {**obj, **d["graph"]}
            if d["synthetic"]:
                out["synthetic"] = True
            return out
        out = {**obj, "graph": d["graph"], "rows": d["rows"]}
        if d["synthetic"] or _truthy(obj.get("synthetic")):
            out["synthetic"] = True
            if "meta" in obj and isinstance(obj["meta"], dict):
                out["meta"] = {**obj["meta"], "synthetic": True}
        return out
    return obj


def _mark_parts(graph: dict, rows: list, store) -> dict:
    nodes = [dict(n) for n in (graph.get("nodes") or []) if isinstance(n, dict)]
    edges = [dict(e) for e in (graph.get("edges") or []) if isinstance(e, dict)]
    rows = [dict(r) if isinstance(r, dict) else r for r in rows]
    ids = [n.get("id") for n in nodes] + [row_id(r) for r in rows if isinstance(r, dict)]
    m = marks(store, [i for i in ids if i])
    syn_ids = set()
    for n in nodes:
        s, srcs = m.get(n.get("id"), (False, []))
        s = s or _truthy(n.get("synthetic"))
        n["synthetic"] = bool(s)
        if s:
            syn_ids.add(n.get("id"))
            if srcs and not n.get("source"):
                n["source"] = "; ".join(srcs)
    for e in edges:
        s = _truthy(e.get("synthetic")) or e.get("source") in syn_ids or e.get("target") in syn_ids
        e["synthetic"] = bool(s)
    any_row = False
    for r in rows:
        if not isinstance(r, dict):
            continue
        rid = row_id(r)
        if rid is None:
            continue
        s, srcs = m.get(rid, (False, []))
        s = s or _truthy(r.get("synthetic"))
        r["synthetic"] = bool(s)
        any_row = any_row or s
    synthetic = bool(syn_ids) or any_row or any(e["synthetic"] for e in edges)
    return {"graph": {**graph, "nodes": nodes, "edges": edges}, "rows": rows, "synthetic": synthetic}
