"""The declaration of a named query and the one function that runs any of them on any backend.

A :class:`NamedQuery` holds, side by side: its parameters (:class:`Param`), what it answers (the
docstring), its columns, its portable Cypher statements with ``$params``, the embedded
implementation over :class:`kg.index.GraphIndex`, and ``shape``, which turns the raw rows of
either backend into the :class:`~kg.result.Result`. Both backends hand ``shape`` the same raw
rows, so they give the same answer (the conformance suite checks it).
"""
from __future__ import annotations

import difflib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kg.errors import QueryError
from kg.queries.params import KINDS, Param
from kg.result import Result

__all__ = [
    "GRAPH_ROWS",
    "KINDS",
    "REGISTRY",
    "ROWS_CAP",
    "Graph",
    "NamedQuery",
    "Param",
    "Prepared",
    "as_int",
    "as_money",
    "graph_rows",
    "lookup",
    "prepare",
    "register",
    "render",
    "run",
]

REGISTRY: dict[str, NamedQuery] = {}
ROWS_CAP = 1000  # rows returned by the count queries at most (the value still counts everything)
GRAPH_ROWS = 200  # rows whose subgraph an answer draws at most (meta["graph_omitted"] counts the rest)

@dataclass
class Prepared:
    """A query's parameters after coercion and resolution, ready for either backend."""

    query: NamedQuery
    store: Any
    values: dict                      # coerced parameter values (defaults filled in)
    given: dict                       # what the caller passed (coerced), for Result.params
    entities: dict = field(default_factory=dict)  # param -> kg.queries.resolve.Entity
    filters: Any = None               # kg.queries.filters.Filters
    cy: dict = field(default_factory=dict)        # Cypher parameters
    meta: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)     # query-specific conditions (fixed text with $params)

    def __getitem__(self, key):
        return self.values[key]


@dataclass
class NamedQuery:
    """One named query, declared once (see the module docstring)."""

    name: str
    doc: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    statements: dict[str, str] | Callable[[Prepared], dict[str, str]]
    embedded: Callable[[Any, Prepared], dict]          # (GraphIndex, Prepared) -> {statement: raw rows}
    shape: Callable[[dict, Prepared], dict]             # raw -> {rows, value, graph, meta, truncated}
    value: str = ""                                     # what Result.value means
    cypher_runner: Callable[[Any, Prepared, dict], dict] | None = None  # custom execution on Cypher stores
    prepare: Callable[[Prepared], None] | None = None   # extra parameter work (e.g. Cypher params)

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def render(self, p: Prepared) -> dict[str, str]:
        """The Cypher statements for these parameters (structure only: every value stays a $param)."""
        st = self.statements(p) if callable(self.statements) else self.statements
        return {k: render(v, p) for k, v in st.items()}

    def describe(self) -> dict:
        """For ``kg query --list`` and the docs."""
        return {"name": self.name, "doc": self.doc.strip(), "columns": list(self.columns), "value": self.value,
                "params": [{"name": x.name, "kind": x.kind, "default": x.default, "required": x.required,
                            "help": x.help, **({"choices": list(x.choices)} if x.choices else {})}
                           for x in self.params]}


def register(q: NamedQuery) -> NamedQuery:
    if q.name in REGISTRY:
        raise ValueError(f"named query {q.name!r} declared twice")
    REGISTRY[q.name] = q
    return q


def render(template: str, p: Prepared) -> str:
    """Fill ``{where}`` / ``{and_filters}`` slots of a template with the active filters' conditions.

    The conditions come from a fixed vocabulary (:mod:`kg.queries.filters`); values are always
    ``$params``, never text pasted into the query.
    """
    f = p.filters
    out = template
    if "{where}" in out or "{and_filters}" in out:
        conds = (f.conditions() if f is not None else []) + list(p.extra)
        out = out.replace("{where}", ("WHERE " + " AND ".join(conds)) if conds else "")
        out = out.replace("{and_filters}", "".join(f" AND {c}" for c in conds))
    lines = [ln.rstrip() for ln in out.strip().splitlines()]
    return "\n".join(ln for ln in lines if ln.strip())


# ---------------------------------------------------------------------------- small shared helpers
def as_int(v) -> int:
    """Counts come back as floats from some servers (FalkorDB's sum): make them ints."""
    if type(v) is int:
        return v
    if v is None:
        return 0
    return round(float(v))


def as_money(v) -> float | None:
    """Money in CNY yuan, rounded to the fen so backends that add in another order agree."""
    if v is None:
        return None
    if type(v) is int:
        return float(v)
    f = float(v)
    if math.isnan(f):
        return None
    return round(f, 2) + 0.0


class Graph:
    """Collects the subgraph behind an answer; :meth:`as_dict` sorts it so backends agree."""

    def __init__(self):
        self.nodes: dict[str, dict] = {}
        self.edges: dict[tuple, dict] = {}

    def node(self, id: str, label: str, name: str, **props) -> str:
        cur = self.nodes.get(id)
        if cur is None:
            self.nodes[id] = {"id": id, "label": label, "name": name,
                              **{k: v for k, v in props.items() if v is not None}}
        else:
            cur.update({k: v for k, v in props.items() if v is not None})
        return id

    def edge(self, source: str, type: str, target: str, **props) -> None:
        key = (source, type, target)
        cur = self.edges.setdefault(key, {"source": source, "target": target, "type": type})
        cur.update({k: v for k, v in props.items() if v is not None})

    def __len__(self) -> int:
        return len(self.nodes)

    def as_dict(self) -> dict:
        nodes = sorted(self.nodes.values(), key=lambda n: (n["label"], n["name"], n["id"]))
        edges = [e for k, e in sorted(self.edges.items()) if k[0] in self.nodes and k[2] in self.nodes]
        return {"nodes": nodes, "edges": edges}


def graph_rows(rows: list, out: dict) -> list:
    """The rows to draw (the first :data:`GRAPH_ROWS`); notes in ``out`` how many were left out."""
    if len(rows) > GRAPH_ROWS:
        out["truncated"] = True
        out.setdefault("meta", {})["graph_omitted"] = len(rows) - GRAPH_ROWS
    return rows[:GRAPH_ROWS]


# ---------------------------------------------------------------------------- running
def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def lookup(name: str) -> NamedQuery:
    """The named query ``name`` (a :class:`QueryError` with suggestions when there is none)."""
    q = REGISTRY.get(name)
    if q is None:
        raise QueryError(f"unknown query {name!r}{_suggest(name, REGISTRY)}; `kg query --list` lists them")
    return q


def prepare(store, name: str, params: dict) -> Prepared:
    """Coerce and resolve ``params`` for query ``name`` (raises :class:`QueryError` on mistakes)."""
    from kg.queries.filters import Filters
    from kg.queries.resolve import resolve

    q = lookup(name)
    known = {x.name for x in q.params}
    unknown = [k for k, v in params.items() if k not in known and v is not None]
    if unknown:
        raise QueryError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                         f"it takes {', '.join(x.name for x in q.params) or 'no parameters'}")
    values, given = {}, {}
    for x in q.params:
        raw = params.get(x.name)
        if raw is None or (isinstance(raw, str) and not raw.strip() and x.kind != "bool"):
            if x.required:
                raise QueryError(f"{name}: missing parameter {x.name} ({x.help})")
            values[x.name] = x.default
            continue
        values[x.name] = given[x.name] = x.coerce(raw)
    p = Prepared(q, store, values, given)
    filter_names = [x.name for x in q.params if x.name in Filters.NAMES]
    for x in q.params:
        if x.kind == "entity" and values.get(x.name) is not None and x.name not in ("segment", "region"):
            ent = resolve(store, values[x.name], x.labels, param=x.name)
            p.entities[x.name] = ent
            p.cy[x.name] = ent.id
    p.filters = Filters.build(store, {k: values.get(k) for k in filter_names}, p.entities)
    p.cy.update(p.filters.cypher_params())
    if q.prepare:
        q.prepare(p)
    if p.entities:
        p.meta["resolved"] = {k: {"id": e.id, "label": e.label, "name": e.name} for k, e in p.entities.items()}
    return p


def run(store, name: str, **params) -> Result:
    """Run named query ``name`` on ``store`` (embedded or Cypher) and return its :class:`Result`."""
    t0 = time.perf_counter()
    store.refresh()
    p = prepare(store, name, params)
    q = p.query
    statements = q.render(p)
    raw = store.run_named(q, p, statements)
    shaped = q.shape(raw, p)
    graph = shaped.get("graph")
    meta = {**p.meta, **shaped.get("meta", {})}
    meta["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    return Result(name=name, params=dict(p.given), rows=shaped.get("rows", []), columns=list(q.columns),
                  graph=graph.as_dict() if isinstance(graph, Graph) else (graph or {"nodes": [], "edges": []}),
                  cypher=";\n".join(statements.values()), params_cypher=dict(p.cy), value=shaped.get("value"),
                  truncated=bool(shaped.get("truncated")), meta=meta)
