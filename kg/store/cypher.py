"""Cypher servers as stores: one set of portable Cypher, a thin executor per server.

:class:`CypherStore` builds every write and every bookkeeping read in portable Cypher
(``UNWIND $rows MERGE …``, parameters only) and hands it to an executor that speaks to one
server: :mod:`kg.store.neo4j` (the official driver, production) or :mod:`kg.store.falkordb`
(FalkorDB's native client). The executors differ only in what the servers differ in: schema
DDL, how a read is made read-only with a timeout, what a node/relationship/path object looks
like, and what one write transaction can hold.

Writing a :class:`~kg.model.Batch`
    Nodes first, one ``UNWIND $rows AS row MERGE (n:Label {id: row.id}) SET n += row.props``
    statement per label and per ``batch_size`` rows, then relationships the same way per type
    and per (start label, end label). ``None`` never overwrites (it is stripped), ``sources`` and
    ``aliases`` grow as unions, a relationship is unique per (type, start, end): the same rules as
    the embedded store, so loading twice changes nothing.

Atomicity
    Neo4j runs all statements of one :meth:`CypherStore.apply` in one transaction when the batch
    has at most :data:`ATOMIC_ROWS` rows (an interrupted load then leaves the graph as it was),
    and one transaction per statement above that. FalkorDB has no multi-statement transactions:
    each statement is atomic on its own, so a load interrupted part-way leaves the statements
    already run in the graph and writes no import record; loading the same file again completes
    it (every statement is an idempotent MERGE). Statements that fail on a dropped connection
    are retried once, whole.

Reading
    The store implements :class:`kg.store.GraphReader` (``entity``, ``entities``, ``relationships``,
    ``neighbours``, ``deals``, ``catalogue``, ``stats``): fixed, parameterised Cypher whose labels
    and types come only from ``ontology/schema.yaml`` (anything else reads as empty, without a
    query), tables typed by :func:`kg.store.workspace.encode_rows` as the embedded store types
    them, kept per :attr:`CypherStore.version`. Named queries run through :meth:`CypherStore.run_named`.
    :meth:`CypherStore.read` (for ``kg/store`` only) runs in a read-only session (Neo4j ``READ`` access mode) or as a
    read-only query (FalkorDB ``GRAPH.RO_QUERY``) with ``query_timeout_ms``, and returns plain
    Python values: a node is a dict of its properties plus ``_label``, a relationship a dict of its
    properties plus ``_type``, ``_start`` and ``_end`` (the ``id`` of its ends), a path
    ``{"nodes": [...], "rels": [...]}``. A float with an integral value in a result column
    becomes an int (FalkorDB returns ``sum()`` of integers as a float; Neo4j an int).

Nothing is kept on the server between calls (no temporary nodes, no server-side cursors), so
the same code runs against a Neo4j cluster or Aura.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import threading
import time
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from kg.config import Config
from kg.errors import BackendError, WorkspaceError
from kg.model import LIST_PROPS, Batch
from kg.store.dialect import Outcome, Shaper, Statement, quote_ident, redact
from kg.store.reading import catalogue_table, deals_table, empty_nodes, empty_rels
from kg.store.workspace import EDGE_KEY, NODE_KEY, encode_rows

__all__ = [
    "ATOMIC_ROWS",
    "IMPORTS_FILE",
    "CypherStore",
    "Outcome",
    "Shaper",
    "Statement",
    "end_candidates",
    "node_merge_cypher",
    "open_cypher_store",
    "plan_writes",
    "quote_ident",
    "redact",
    "rel_merge_cypher",
]

ATOMIC_ROWS = 50_000  # Neo4j: up to this many rows per apply() go in one transaction
IMPORTS_FILE = "imports.jsonl"


# ---------------------------------------------------------------------------------------------- Cypher text
def _server_ident(name: str) -> str:
    """A label or type the server itself reported, quoted whatever its characters."""
    return "`" + str(name).replace("`", "``") + "`"


def _list_union(var: str, key: str) -> str:
    return f"{var}.{key} = coalesce({var}.{key}, []) + [x IN row.{key} WHERE NOT x IN coalesce({var}.{key}, [])]"


def _changed_expr(var: str, list_keys: Iterable[str]) -> str:
    """True when ``row`` would change entity ``var`` (best effort, for the ``*_updated`` counts)."""
    parts = [f"any(k IN keys(row.props) WHERE {var}[k] IS NULL OR {var}[k] <> row.props[k])"]
    for k in list_keys:
        parts.append(f"{var}.{k} IS NULL")
        parts.append(f"any(x IN row.{k} WHERE NOT x IN coalesce({var}.{k}, []))")
    return " OR ".join(parts)


@cache
def node_merge_cypher(label: str, list_keys: tuple[str, ...] = ()) -> str:
    """Upsert rows ``{id, props, <list keys>}`` as ``label`` nodes; returns how many existing ones changed.

    A node created by the MERGE has only its ``id`` when ``changed`` is computed, which tells it
    from an existing one without a second lookup.

    >>> print(node_merge_cypher("Segment", ("sources",)))
    UNWIND $rows AS row
    MERGE (n:`Segment` {id: row.id})
    WITH n, row, CASE WHEN size(keys(n)) = 1 THEN 0 WHEN ... THEN 1 ELSE 0 END AS changed
    SET n += row.props, n.sources = coalesce(n.sources, []) + [x IN row.sources WHERE NOT x IN coalesce(n.sources, [])]
    RETURN count(*) AS seen, sum(changed) AS changed
    """
    sets = ", ".join(["n += row.props", *(_list_union("n", k) for k in list_keys)])
    return (f"UNWIND $rows AS row\n"
            f"MERGE (n:{quote_ident(label)} {{id: row.id}})\n"
            f"WITH n, row, CASE WHEN size(keys(n)) = 1 THEN 0 WHEN {_changed_expr('n', list_keys)} THEN 1 ELSE 0 END"
            f" AS changed\n"
            f"SET {sets}\n"
            f"RETURN count(*) AS seen, sum(changed) AS changed")


@cache
def rel_merge_cypher(type_: str, start: str, end: str, list_keys: tuple[str, ...] = ()) -> str:
    """Upsert rows ``{s, e, props, <list keys>}`` as ``(start {id: s})-[:type]->(end {id: e})``.

    ``seen`` counts the rows whose two ends were found (fewer than the rows means a missing node).

    >>> print(rel_merge_cypher("RAISED", "Company", "Round"))
    UNWIND $rows AS row
    MATCH (a:`Company` {id: row.s})
    MATCH (b:`Round` {id: row.e})
    MERGE (a)-[r:`RAISED`]->(b)
    WITH r, row, CASE WHEN size(keys(r)) = 0 THEN 0 WHEN ... THEN 1 ELSE 0 END AS changed
    SET r += row.props
    RETURN count(*) AS seen, sum(changed) AS changed
    """
    sets = ", ".join(["r += row.props", *(_list_union("r", k) for k in list_keys)])
    return (f"UNWIND $rows AS row\n"
            f"MATCH (a:{quote_ident(start)} {{id: row.s}})\n"
            f"MATCH (b:{quote_ident(end)} {{id: row.e}})\n"
            f"MERGE (a)-[r:{quote_ident(type_)}]->(b)\n"
            f"WITH r, row, CASE WHEN size(keys(r)) = 0 THEN 0 WHEN {_changed_expr('r', list_keys)} THEN 1 ELSE 0 END"
            f" AS changed\n"
            f"SET {sets}\n"
            f"RETURN count(*) AS seen, sum(changed) AS changed")


# ---------------------------------------------------------------------------------------------- planning writes
@lru_cache(maxsize=1)
def _schema_ends() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    from ontology import HERE

    with open(HERE / "schema.yaml", encoding="utf-8") as fh:
        rels = yaml.safe_load(fh)["relationships"]

    def tup(v):
        return tuple(v) if isinstance(v, list) else (v,)

    return {t: (tup(d["from"]), tup(d["to"])) for t, d in rels.items()}


def end_candidates(type_: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Possible (start labels, end labels) of a relationship type, from ``ontology/schema.yaml``.

    >>> end_candidates("LOCATED_IN")
    (('Company', 'Factory'), ('Region',))
    """
    from ontology import LABELS

    return _schema_ends().get(type_, (tuple(LABELS), tuple(LABELS)))


def _check_value(where: str, key: str, value: Any) -> None:
    if isinstance(value, dict):
        raise WorkspaceError(f"{where}: property {key!r} is a map; Cypher servers store only scalars and lists")
    if isinstance(value, float) and not math.isfinite(value):
        raise WorkspaceError(f"{where}: property {key!r} is {value}; Cypher servers store only finite numbers")


def _split_props(where: str, props: dict, skip: tuple[str, ...]) -> tuple[dict, dict]:
    """(scalar props, list props that grow as unions), None stripped."""
    scalars, lists = {}, {}
    for k, v in props.items():
        if v is None or k in skip:
            continue
        _check_value(where, k, v)
        if k in LIST_PROPS:
            lists[k] = [x for x in v if x is not None]
        else:
            scalars[k] = v
    return scalars, lists


def _chunks(rows: list, size: int):
    size = max(1, int(size))
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def plan_writes(batch: Batch, ends: dict[str, str], batch_size: int) -> list[Statement]:
    """The statements that upsert ``batch``: nodes by label, then relationships by type and end labels.

    ``ends`` gives the label of every relationship end (see :meth:`CypherStore._end_labels`).
    Rows that carry different list properties go to different statements, so that a missing
    ``aliases`` never becomes an empty list.
    """
    out: list[Statement] = []
    for label, nodes in batch.nodes.items():
        groups: dict[tuple[str, ...], list[dict]] = {}
        for nid, props in nodes.items():
            scalars, lists = _split_props(f"{label} {nid!r}", props, ("id",))
            keys = tuple(sorted(lists))
            groups.setdefault(keys, []).append({"id": nid, "props": scalars, **lists})
        for keys, rows in groups.items():
            text = node_merge_cypher(label, keys)
            out += [Statement("node", label, text, {"rows": chunk}) for chunk in _chunks(rows, batch_size)]
    for type_, rels in batch.rels.items():
        groups2: dict[tuple[str, str, tuple[str, ...]], list[dict]] = {}
        for (s, e), props in rels.items():
            scalars, lists = _split_props(f"{type_} {s!r} -> {e!r}", props, ())
            key = (ends[s], ends[e], tuple(sorted(lists)))
            groups2.setdefault(key, []).append({"s": s, "e": e, "props": scalars, **lists})
        for (a, b, keys), rows in groups2.items():
            text = rel_merge_cypher(type_, a, b, keys)
            out += [Statement("rel", type_, text, {"rows": chunk}) for chunk in _chunks(rows, batch_size)]
    return out


# ---------------------------------------------------------------------------------------------- shaping results
def _column_value(v):
    """Integral floats in result columns become ints (``sum()`` of ints is a float on FalkorDB)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return int(v)
    return v


# ---------------------------------------------------------------------------------------------- reading
@lru_cache(maxsize=1)
def _schema_labels() -> tuple[str, ...]:
    from ontology import LABELS

    return tuple(LABELS)


@lru_cache(maxsize=1)
def _schema_types() -> tuple[str, ...]:
    from ontology import REL_TYPES

    return tuple(REL_TYPES)


@cache
def _entity_cypher() -> str:
    """One node by ``$id`` whatever its label: one indexed lookup per schema label."""
    return "\nUNION ALL\n".join(f"MATCH (n:{quote_ident(label)} {{id: $id}}) RETURN labels(n)[0] AS label, "
                                 "properties(n) AS p" for label in _schema_labels())


@cache
def _label_cypher() -> str:
    return "\nUNION ALL\n".join(f"MATCH (n:{quote_ident(label)} {{id: $id}}) RETURN labels(n)[0] AS label"
                                 for label in _schema_labels())


@cache
def _neighbour_cypher(label: str, type_: str | None, direction: str) -> str:
    rel = f"[r:{quote_ident(type_)}]" if type_ is not None else "[r]"
    arrow = f"-{rel}->" if direction == "out" else f"<-{rel}-"
    return (f"MATCH (n:{quote_ident(label)} {{id: $id}}){arrow}(m) "
            "RETURN type(r) AS t, m.id AS o, properties(r) AS p")


def _plain_props(p) -> dict:
    """A node's or relationship's properties as the embedded store gives them (no nulls)."""
    return {k: v for k, v in dict(p or {}).items() if v is not None}


def _ordered(t: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """The key columns first, then the properties by name."""
    return t.select([*key, *sorted(c for c in t.column_names if c not in key)])


# ---------------------------------------------------------------------------------------------- the store
class CypherStore:
    """A graph on a Cypher server (Neo4j or FalkorDB); see the module docstring.

    ``executor`` is a :class:`kg.store.neo4j.Neo4jExecutor` or :class:`kg.store.falkordb.FalkorExecutor`.
    """

    def __init__(self, executor, config: Config, *, auto_schema: bool = True):
        self.executor = executor
        self.kind = executor.dialect
        self.dialect = executor.dialect
        self.config = config
        self.workspace = Path(config.workspace)
        self.version = 0  # bumps on every write made by this process: caches key on it
        self.auto_schema = auto_schema
        self._schema_done: set[str] = set()
        self._manifest_sig = self._imports_sig()
        self._cache: dict[tuple, Any] = {}
        self._cache_version = self.version
        self._cache_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<CypherStore {self.executor.describe()}>"

    # ------------------------------------------------------------------ reading
    def read(self, cypher: str, params: dict | None = None, *, timeout_ms: int | None = None) -> list[dict]:
        """Run a read-only query with the configured timeout; rows as dicts of plain values."""
        timeout = int(timeout_ms if timeout_ms is not None else self.config.query_timeout_ms)
        rows = self.executor.read(cypher, dict(params or {}), timeout)
        return [{k: _column_value(v) for k, v in row.items()} for row in rows]

    def run_named(self, query, p, statements: dict) -> dict:
        """Answer a named query (``kg.queries.base``) with its rendered, parameterised Cypher.

        A query with a ``cypher_runner`` (several dependent statements: a breadth-first walk) gets
        a ``read(cypher, params)`` function for its own fixed statements, never the store itself."""
        if query.cypher_runner is not None:
            return query.cypher_runner(self._read_rows, p, statements)
        return {k: self._read_rows(st, p.cy) for k, st in statements.items()}

    def _read_rows(self, cypher: str, params: dict | None = None) -> list[dict]:
        return [dict(r) for r in self.read(cypher, params)]

    def refresh(self) -> bool:
        """True (and a new :attr:`version`) when another process loaded something since we last looked.

        The server is always current; this only tells caches that their entries may be stale. Loads
        are seen through the import manifest they append to, so it takes a shared workspace.
        """
        sig = self._imports_sig()
        if sig != self._manifest_sig:
            self._manifest_sig = sig
            self.version += 1
            return True
        return False

    def _imports_sig(self):
        try:
            st = (self.workspace / IMPORTS_FILE).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def stats(self) -> dict:
        """``{"nodes": {label: n}, "relationships": {type: n}}`` (labels and types with none left out;
        counted once per :attr:`version`)."""
        hit = self._cached(("stats",), self._count)
        return {k: dict(v) for k, v in hit.items()}

    def _count(self) -> dict:
        nodes, rels = {}, {}
        for row in self.read("CALL db.labels() YIELD label RETURN label"):
            n = self.read(f"MATCH (n:{_server_ident(row['label'])}) RETURN count(n) AS n")[0]["n"]
            if n:
                nodes[row["label"]] = int(n)
        for row in self.read("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType"):
            t = row["relationshipType"]
            n = self.read(f"MATCH ()-[r:{_server_ident(t)}]->() RETURN count(r) AS n")[0]["n"]
            if n:
                rels[t] = int(n)
        return {"nodes": dict(sorted(nodes.items())), "relationships": dict(sorted(rels.items()))}

    # ------------------------------------------------------------------ the read protocol (kg.store.GraphReader)
    def _cached(self, key: tuple, build):
        """``build()`` once per :attr:`version` (tables, catalogue, counts; dropped when it changes)."""
        version = self.version
        with self._cache_lock:
            if self._cache_version != version:
                self._cache.clear()
                self._cache_version = version
            hit = self._cache.get(key)
        if hit is None:
            hit = build()
            with self._cache_lock:
                if self._cache_version == version == self.version:
                    self._cache[key] = hit
        return hit

    def entity(self, key: str) -> dict | None:
        """One node by id: its properties plus ``_label``; None when there is none."""
        rows = self.read(_entity_cypher(), {"id": str(key)})
        if not rows:
            return None
        return {"_label": rows[0]["label"], **_plain_props(rows[0]["p"])}

    def _label_of(self, key: str) -> str | None:
        rows = self.read(_label_cypher(), {"id": str(key)})
        return rows[0]["label"] if rows else None

    def entities(self, kind: str, columns: list[str] | None = None) -> pa.Table:
        """Every node of label ``kind`` as a table (``id`` first, then its properties by name; typed
        as the embedded workspace types them, a column whose values mix types as JSON text)."""
        t = self._cached(("entities", kind), lambda: self._node_table(kind))
        return t.select(columns) if columns else t

    def _node_table(self, kind: str) -> pa.Table:
        if kind not in _schema_labels():
            return empty_nodes()
        rows = self.read(f"MATCH (n:{quote_ident(kind)}) RETURN properties(n) AS p")
        props = sorted((_plain_props(r["p"]) for r in rows), key=lambda d: str(d.get("id")))
        return _ordered(encode_rows(props, NODE_KEY), NODE_KEY) if props else empty_nodes()

    def relationships(self, type_: str) -> pa.Table:
        """Every relationship of ``type_`` as a table: ``_start``, ``_end`` and its properties."""
        return self._cached(("relationships", type_), lambda: self._rel_table(type_))

    def _rel_table(self, type_: str) -> pa.Table:
        if type_ not in _schema_types():
            return empty_rels()
        rows = self.read(f"MATCH (a)-[r:{quote_ident(type_)}]->(b) RETURN a.id AS s, b.id AS e, properties(r) AS p")
        rows.sort(key=lambda r: (str(r["s"]), str(r["e"])))
        if not rows:
            return empty_rels()
        return _ordered(encode_rows([_plain_props(r["p"]) for r in rows], EDGE_KEY,
                                    [(r["s"], r["e"]) for r in rows]), EDGE_KEY)

    def neighbours(self, key: str, type_: str | None = None, direction: str = "both") -> list[tuple]:
        """``(type, other id, "out"|"in", properties)`` of each relationship at node ``key``, by type,
        direction (out first) and other id."""
        if type_ is not None and type_ not in _schema_types():
            return []
        label = self._label_of(key)
        if label is None or label not in _schema_labels():
            return []
        out = []
        for d in ("out", "in"):
            if direction not in (d, "both"):
                continue
            for r in self.read(_neighbour_cypher(label, type_, d), {"id": str(key)}):
                out.append((r["t"], r["o"], d, _plain_props(r["p"])))
        out.sort(key=lambda x: (x[0], x[2] != "out", str(x[1])))
        return out

    def deals(self) -> pa.Table:
        """Rounds as filterable columns: the Round table with ``company_id`` (who RAISED it)."""
        return self._cached(("deals",), lambda: deals_table(self.entities("Round"), self.relationships("RAISED")))

    def catalogue(self) -> pa.Table:
        """The name catalogue: ``id``, ``label``, ``name``, ``aliases`` of every node."""
        return self._cached(("catalogue",), self._catalogue)

    def _catalogue(self) -> pa.Table:
        tables = {}
        for label in _schema_labels():
            rows = self.read(f"MATCH (n:{quote_ident(label)}) "
                             "RETURN n.id AS id, {name: n.name, title: n.title, aliases: n.aliases} AS p")
            props = sorted(({"id": r["id"], **_plain_props(r["p"])} for r in rows), key=lambda d: str(d["id"]))
            if props:
                tables[label] = encode_rows(props, NODE_KEY)
        return catalogue_table(tables)

    def imports(self) -> list[dict]:
        """The import manifest, ``WORKSPACE/imports.jsonl`` (one JSON object a line)."""
        path = self.workspace / IMPORTS_FILE
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            with contextlib.suppress(ValueError):
                rec = json.loads(line)
                if isinstance(rec, dict):
                    out.append(rec)
        return out

    # ------------------------------------------------------------------ writing
    def ensure_schema(self, labels: Iterable[str] | None = None) -> None:
        """A uniqueness constraint (Neo4j) or an index plus a unique constraint (FalkorDB) on ``id``
        for every label of the ontology (or those given); idempotent."""
        from ontology import LABELS

        want = list(dict.fromkeys(labels if labels is not None else LABELS))
        for label in want:
            quote_ident(label)  # refuses anything but a plain name before it reaches DDL
        todo = [label for label in want if label not in self._schema_done]
        if todo:
            self.executor.ensure_schema(todo)
            self._schema_done.update(todo)

    def apply(self, batch: Batch, *, record: dict | None = None, progress=None) -> dict:
        """Upsert ``batch`` by natural key; append ``record`` to the import manifest when it is done.

        Returns counts: nodes_created and rels_created exactly (server counters), nodes_updated
        and rels_updated best effort (existing entities whose properties the batch changed).
        """
        if self.auto_schema:
            self.ensure_schema([*self._default_labels(), *batch.nodes])
        ends = self._end_labels(batch)
        statements = plan_writes(batch, ends, self.config.batch_size)
        c = {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
        if statements:
            atomic = len(batch) <= ATOMIC_ROWS
            try:
                outcomes = self.executor.run_writes(statements, atomic=atomic, progress=progress)
            finally:
                self.version += 1
            for st, o in zip(statements, outcomes):
                if st.kind == "node":
                    c["nodes_created"] += o.nodes_created
                    c["nodes_updated"] += o.changed
                else:
                    c["rels_created"] += o.rels_created
                    c["rels_updated"] += o.changed
                    if o.seen < st.rows:
                        raise WorkspaceError(f"{st.rows - o.seen} {st.name} relationship(s) refer to a node "
                                             f"that disappeared while loading; load the file again")
        if record is not None:
            self._append_import({**record, "changes": c, "backend": self.kind,
                                 "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        return c

    def _default_labels(self) -> tuple[str, ...]:
        from ontology import LABELS

        return LABELS

    def _end_labels(self, batch: Batch) -> dict[str, str]:
        """The label of every relationship end: from the batch, else looked up on the server.

        Raises :class:`WorkspaceError` (as the embedded store does) before anything is written
        when an end is neither in the batch nor in the graph.
        """
        in_batch: dict[str, str] = {}
        for label, nodes in batch.nodes.items():
            for nid in nodes:
                in_batch.setdefault(nid, label)
        need: dict[tuple[str, ...], set[str]] = {}  # candidate labels -> ids to find
        for type_, rels in batch.rels.items():
            starts, ends = end_candidates(type_)
            for s, e in rels:
                if s not in in_batch:
                    need.setdefault(starts, set()).add(s)
                if e not in in_batch:
                    need.setdefault(ends, set()).add(e)
        found: dict[str, str] = {}
        for candidates, ids in need.items():
            ids -= found.keys()
            for label in candidates:
                if not ids:
                    break
                rows = self.read(f"UNWIND $ids AS i MATCH (n:{quote_ident(label)} {{id: i}}) RETURN n.id AS id",
                                 {"ids": sorted(ids)})
                for r in rows:
                    found[r["id"]] = label
                ids -= found.keys()
            if ids:
                type_ = next(t for t, rels in batch.rels.items()
                             if any(s in ids or e in ids for s, e in rels))
                sample = sorted(ids)[:3]
                raise WorkspaceError(f"relationship {type_} refers to a missing node: "
                                     f"{', '.join(map(repr, sample))}{' …' if len(ids) > 3 else ''}")
        return {**found, **in_batch}

    def write(self, cypher: str, params: dict | None = None) -> list[dict]:
        """Run one write query (parameters only); rows as :meth:`read` returns them."""
        try:
            rows = self.executor.write(cypher, dict(params or {}))
        finally:
            self.version += 1
        return [{k: _column_value(v) for k, v in row.items()} for row in rows]

    def clear(self) -> None:
        """Delete every node and relationship of this graph and empty the import manifest."""
        try:
            self.executor.clear()
        finally:
            self.version += 1
            self._schema_done.clear()
        self._rewrite_imports([])

    # ------------------------------------------------------------------ manifest
    @contextlib.contextmanager
    def _lock(self):
        self.workspace.mkdir(parents=True, exist_ok=True)
        with open(self.workspace / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _append_import(self, rec: dict) -> None:
        line = json.dumps(rec, ensure_ascii=False, default=str) + "\n"
        with self._lock(), open(self.workspace / IMPORTS_FILE, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self._manifest_sig = self._imports_sig()

    def _rewrite_imports(self, records: list[dict]) -> None:
        path = self.workspace / IMPORTS_FILE
        with self._lock():
            tmp = path.with_name(f".{IMPORTS_FILE}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(rec, ensure_ascii=False, default=str) + "\n" for rec in records)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        self._manifest_sig = self._imports_sig()

    def close(self) -> None:
        self.executor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_cypher_store(config: Config) -> CypherStore:
    """Connect to the server ``config.backend`` names; :class:`BackendError` if it is down or refuses us."""
    if config.backend == "falkordb":
        from kg.store.falkordb import FalkorExecutor

        return CypherStore(FalkorExecutor.connect(config.falkordb_url, config.falkordb_graph), config)
    if config.backend == "neo4j":
        from kg.store.neo4j import Neo4jExecutor

        store = CypherStore(Neo4jExecutor.connect(config.neo4j_uri, config.neo4j_username, config.neo4j_password,
                                                  config.neo4j_database), config)
        try:
            store.ensure_schema()  # constraints and indexes at the first connect; later connects only read
        except BackendError:
            store.close()
            raise
        return store
    raise BackendError(f"{config.backend!r} is not a Cypher backend (use neo4j or falkordb)")
