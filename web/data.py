"""Reading helpers shared by the blueprints: run named queries, fetch one entity, describe what is loaded.

Pages never walk the graph themselves: they run named queries (:mod:`kg.queries`), which work on
every backend. Only :func:`get_entity` reads one node directly, through the store's read interface.
"""
from __future__ import annotations

from kg.errors import KGError, QueryError
from kg.result import jsonable  # noqa: F401  (the one JSON-safe converter; pages import it from here)

from web.state import cached, get_state, get_store

__all__ = ["queries", "run_query", "query_accepts", "get_entity", "loaded_info", "jsonable",
           "request_params", "mark_synthetic", "rows_synthetic", "flag_rows", "safe_run_cached"]


def queries():
    """The :mod:`kg.queries` module (imported when first asked: the pages that need no query start faster)."""
    import kg.queries

    return kg.queries


def query_accepts(name: str, param: str) -> bool:
    q = queries().REGISTRY.get(name)
    return q is not None and any(p.name == param for p in q.params)


def run_query(name: str, **params):
    """``kg.queries.run`` on the app's store, dropping empty and undeclared parameters."""
    q = queries()
    nq = q.REGISTRY.get(name)
    if nq is None:
        raise QueryError(f"unknown query {name!r}")
    declared = {p.name for p in nq.params}
    clean = {k: v for k, v in params.items() if k in declared and v not in (None, "")}
    return q.run(get_store(), name, **clean)


def request_params(args, name: str) -> dict:
    """The parameters of query ``name`` found in a request's args (names starting with ``_`` are ours)."""
    nq = queries().REGISTRY.get(name)
    if nq is None:
        raise QueryError(f"unknown query {name!r}")
    out = {}
    for p in nq.params:
        vals = [v for v in args.getlist(p.name) if v.strip()]
        if vals:
            out[p.name] = vals[0] if len(vals) == 1 else vals
    return out


def get_entity(eid: str) -> dict | None:
    """The node's properties plus ``label`` (None when there is no such node), through the store's
    read interface (:meth:`kg.store.GraphReader.entity`: the same on every backend)."""
    props = get_store().entity(eid)
    if props is None:
        return None
    props = dict(props)
    props["label"] = props.pop("_label", None)
    props.setdefault("id", eid)
    return props


def loaded_info() -> dict:
    """Stats, the import manifest (newest first) and whether synthetic data is loaded."""
    def compute():
        store = get_store()
        stats = store.stats()
        imports = list(reversed(store.imports()))
        synthetic = any(_is_synthetic(r) for r in imports)
        backend = get_state().config.backend  # what the app was configured with (never asked of the store)
        return {"stats": stats, "imports": imports, "synthetic": synthetic,
                "backend": backend,
                "workspace": str(get_state().config.workspace) if backend == "embedded" else None}
    return cached("loaded_info", compute)


def _is_synthetic(rec: dict) -> bool:
    if rec.get("synthetic"):
        return True
    kind = str(rec.get("kind", "")).lower()
    return kind in ("demo", "synthetic")


def safe_run(name: str, **params) -> tuple[object | None, str | None]:
    """(result, None) or (None, error message): for pages that show several sections."""
    try:
        return run_query(name, **params), None
    except KGError as exc:
        return None, str(exc)


def mark_synthetic(obj):
    """``obj`` (a Result, its dict or an answer) with ``synthetic`` on its nodes, edges and rows and
    the result-level flag (``meta.synthetic`` / ``synthetic``) set when any fact behind it is
    synthetic. A result with no round, company or investor to look up (an aggregate) is synthetic
    when the workspace holds synthetic data and the result is not empty: it counts those facts."""
    from kg.exports.provenance import is_synthetic, mark

    out = mark(obj, get_store())
    if is_synthetic(out):
        return out
    d = out if isinstance(out, dict) else None
    rows = (d.get("rows") if d is not None else getattr(out, "rows", None)) or []
    value = d.get("value") if d is not None else getattr(out, "value", None)
    has_ids = any(isinstance(r, dict) and "synthetic" in r for r in rows)
    if not has_ids and (rows or value) and loaded_info().get("synthetic"):
        if d is not None:
            out = {**d, "synthetic": True}
            if isinstance(d.get("meta"), dict):
                out["meta"] = {**d["meta"], "synthetic": True}
        else:
            out.meta = {**(out.meta or {}), "synthetic": True}
    return out


def rows_synthetic(rows, value=None) -> bool:
    """Whether a table is built from synthetic facts: any row naming a synthetic round, company or
    investor; a table without such ids (an aggregate) when the workspace holds synthetic data."""
    from kg.exports.provenance import any_synthetic, row_id

    if any(isinstance(r, dict) and row_id(r) for r in rows or ()):
        return any_synthetic(get_store(), rows)
    return bool(rows or value) and bool(loaded_info().get("synthetic"))


def flag_rows(rows: list) -> list:
    """Copies of ``rows`` with ``synthetic`` set on those naming a round, company or investor."""
    from kg.exports.provenance import marks, row_id

    m = marks(get_store(), [row_id(r) for r in rows if isinstance(r, dict) and row_id(r)], sources=False)
    out = []
    for r in rows:
        rid = row_id(r) if isinstance(r, dict) else None
        out.append({**r, "synthetic": m[rid][0]} if rid in m else r)
    return out


_RESULTS = None  # (store id, version, what, name, params) -> a named query's Result, warm


def _cached_result(what: str, name: str, params: dict, compute):
    """``compute()`` kept per store version (the pages never change a Result they get: they copy
    what they reshape)."""
    global _RESULTS
    from web.state import LRU

    store = get_store()
    version = store.version
    if _RESULTS is None:
        _RESULTS = LRU(48)
    key = (id(store), version, what, name, tuple(sorted((k, str(v)) for k, v in params.items())))
    hit = _RESULTS.get(key)
    if hit is None:
        hit = compute()
        _RESULTS.put(key, hit)
    return hit


def safe_run_cached(name: str, **params) -> tuple[object | None, str | None]:
    """:func:`safe_run` kept per store version: for the pages that page and sort the same result."""
    try:
        return _cached_result("run", name, params, lambda: run_query(name, **params)), None
    except KGError as exc:
        return None, str(exc)


def marked_query(name: str, **params):
    """``run_query`` with :func:`mark_synthetic` applied, kept per store version (query pages)."""
    return _cached_result("marked", name, params, lambda: mark_synthetic(run_query(name, **params)))
