"""The shape every named query, chat answer and export shares.

A :class:`Result` holds the table (``rows`` with ``columns``), the subgraph behind it
(``graph``: nodes and edges as plain dicts), the portable Cypher that would produce it on
Neo4j with its parameters, and a scalar ``value`` for counts and sums.

Graph format (also what the web views and exports take)::

    {"nodes": [{"id": "investor:深创投", "label": "Investor", "name": "深创投", ...props}],
     "edges": [{"source": "investor:深创投", "target": "round:…", "type": "INVESTED_IN", ...props}]}
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["Result", "empty_graph"]


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
