"""The shape every named query, chat answer and export shares.

A :class:`Result` holds the table (``rows`` with ``columns``), the subgraph behind it
(``graph``: nodes and edges as plain dicts), the portable Cypher that would produce it on
Neo4j with its parameters, and a scalar ``value`` for counts and sums.

Graph format (also what the web views and exports take)::

    {"nodes": [{"id": "investor:深创投", "label": "Investor", "name": "深创投", ...props}],
     "edges": [{"source": "investor:深创投", "target": "round:…", "type": "INVESTED_IN", ...props}]}
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

__all__ = ["Result", "empty_graph", "jsonable"]


def jsonable(obj):
    """A copy of ``obj`` that JSON can carry, the one converter for answers, pages and exports: numpy
    scalars as Python numbers, NaN and infinities as None, tuples and sets as lists (sets sorted, so
    the output is stable), keys as text, anything else (dates, Decimals) as its ``str``.

    Answers and pages carry tables of thousands of rows: the plain types take a fast path by exact type.

    >>> jsonable({"a": (1, float("nan")), 2: {"b", "a"}, "c": None})
    {'a': [1, None], '2': ['a', 'b'], 'c': None}
    """
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is float:
        return obj if math.isfinite(obj) else None
    if t is dict:
        return {k if type(k) is str else str(k):
                v if (type(v) is str or type(v) is int or type(v) is bool or v is None) else jsonable(v)
                for k, v in obj.items()}
    if t is list or t is tuple:
        return [x if (type(x) is str or type(x) is int or x is None) else jsonable(x) for x in obj]
    return _jsonable_other(obj)


def _jsonable_other(obj):
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (set, frozenset)):
        return [jsonable(x) for x in sorted(obj, key=str)]
    if isinstance(obj, (list, tuple)):
        return [jsonable(x) for x in obj]
    tolist = getattr(obj, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        try:
            return jsonable(tolist())
        except (TypeError, ValueError):
            pass
    item = getattr(obj, "item", None)
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(obj)


def empty_graph() -> dict:
    return {"nodes": [], "edges": []}


@dataclass
class Result:
    name: str
    params: dict
    rows: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    graph: dict = field(default_factory=empty_graph)
    cypher: str = ""
    params_cypher: dict = field(default_factory=dict)
    value: float | int | None = None
    truncated: bool = False  # rows or graph cut by a limit; `meta["omitted"]` says how much
    meta: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def _repr_html_(self) -> str:
        """In a notebook: the result's graph as the offline pyvis page (kg.exports.html)."""
        from kg.exports.html import repr_html

        return repr_html(self)
