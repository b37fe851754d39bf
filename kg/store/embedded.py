"""The embedded store: Parquet tables in the workspace folder, networkx on demand.

The workspace on disk is columnar and holds no pickle (``kg.store.workspace``, ``docs/STORE.md``):
one table per node label and relationship type, a JSON manifest naming the exact files of the
current version, replaced atomically. An import appends its new and changed rows as new files;
compaction folds them back. A load killed at any point leaves the workspace as before it or as
after it. Writers take an exclusive lock on ``.lock``; readers never block and always see one
version.

In memory the store keeps the tables (Arrow) of the version it read. ``.graph`` (a networkx
MultiDiGraph: nodes keyed by ``id`` with their label in ``_label``, relationships keyed by type,
``G.edges[u, v, "INVESTED_IN"]``) is built from them the first time a caller touches it, and kept
up to date by this process's own writes. ``kg.index.graph_index`` reads the tables directly.
"""
from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import time
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc

from kg.errors import WorkspaceError
import numpy as np

from kg.model import LIST_PROPS, Batch, TableBatch, merge_props
from kg.store import workspace as W
from kg.store.workspace import no_gc as _no_gc

__all__ = ["EmbeddedStore", "SNAPSHOT"]

SNAPSHOT = f"{W.STORE_DIR}/{W.MANIFEST}"  # the file whose presence means "a workspace was written here"
FORMAT = W.FORMAT_VERSION


def _merge(old: dict, new: dict) -> bool:
    """:func:`kg.model.merge_props` (same result), with set lookups for long lists: loading a
    file again compares every row's source with the thousands an active investor has."""
    changed = False
    for k, v in new.items():
        if v is None:
            continue
        if k in LIST_PROPS:
            cur = old.get(k)
            if cur is not None and len(cur) * len(v) > 64:
                try:
                    seen = set(cur)
                except TypeError:  # unhashable items: the plain rule
                    changed |= merge_props(old, {k: v})
                    continue
                add = [x for x in v if x not in seen]
                if add:
                    old[k] = list(cur) + add
                    changed = True
                continue
            changed |= merge_props(old, {k: v})
            continue
        if old.get(k) != v:
            old[k] = v
            changed = True
    return changed


def _positions(values, ids) -> np.ndarray:
    """Position in ``ids`` of each of ``values`` (-1: none); both without repeats. The smaller side
    is hashed: a small import into a large workspace probes the table, never hashes it."""
    if len(values) * 4 < len(ids):
        hit = pc.index_in(ids, value_set=values).to_numpy(zero_copy_only=False)
        out = np.full(len(values), -1, np.int64)
        rows = np.flatnonzero(~np.isnan(hit)) if hit.dtype.kind == "f" else np.flatnonzero(hit >= 0)
        out[hit[rows].astype(np.int64)] = rows
        return out
    return pc.index_in(values, value_set=ids).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _any_in(values, ids, sel: np.ndarray) -> bool:
    vals = values.filter(pa.array(sel)) if not sel.all() else values
    small, big = (vals, ids) if len(vals) < len(ids) else (ids, vals)
    return bool(pc.any(pc.is_in(big, value_set=small)).as_py())


def _node_positions(tables: dict[str, pa.Table], cur_nodes: dict[str, pa.Table]):
    """For a batch small beside the workspace: the position of each of its nodes in the stored
    table of its label (-1: new), every stored id column read once (not once per label of the
    batch and again for each other label); False when a new id is stored under another label;
    None for a batch that is not small (the caller hashes its ids instead)."""
    labels = [k for k, t in tables.items() if t.num_rows]
    stored = sum(t.num_rows for t in cur_nodes.values())
    n = sum(tables[k].num_rows for k in labels)
    if not labels or n * 4 >= stored:
        return None
    probe = pa.concat_arrays([tables[k].column("id").combine_chunks().cast(pa.string()) for k in labels])
    if len(probe.unique()) != n:
        return None  # an id under two labels of the batch: the general plan says what to do
    offsets = np.cumsum([0] + [tables[k].num_rows for k in labels])
    tag = np.repeat(np.arange(len(labels)), np.diff(offsets))
    pos = np.full(n, -1, np.int64)
    elsewhere = []
    for other, OT in cur_nodes.items():
        if not OT.num_rows:
            continue
        hit = pc.index_in(OT.column("id"), value_set=probe).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(~np.isnan(hit)) if hit.dtype.kind == "f" else np.flatnonzero(hit >= 0)
        if not len(rows):
            continue
        p = hit[rows].astype(np.int64)
        mine = tag[p] == (labels.index(other) if other in labels else -1)
        pos[p[mine]] = rows[mine]
        elsewhere.append(p[~mine])
    if elsewhere:
        away = np.concatenate(elsewhere)
        if len(away) and (pos[away] < 0).any():
            return False
    return {k: pos[offsets[i]:offsets[i + 1]] for i, k in enumerate(labels)}


def _ends_in_batch(batch: TableBatch, where: list, rel_items: list) -> list | None:
    """The index among the hint's ids (the batch's node tables, in ``where`` order) of every
    relationship end, when the batch says which row of its node tables each end is
    (``end_rows``, set by the deals loader); None when it does not."""
    end_rows = getattr(batch, "end_rows", None)
    if not end_rows or not batch.is_tables:
        return None
    offset, at = {}, 0
    for ids, label, _ in where:
        offset[label] = at
        at += len(ids)
    out = []
    for type_, D in rel_items:
        hit = end_rows.get(type_)
        if hit is None or hit[0] not in offset or hit[2] not in offset or len(hit[1]) != D.num_rows:
            return None
        dtype = np.int32 if at < 2 ** 31 else np.int64  # (the loader's rows are int32: half the memory)
        out.extend([np.add(hit[1], offset[hit[0]], dtype=dtype), np.add(hit[3], offset[hit[2]], dtype=dtype)])
    return out


def _id_prefixes(ids) -> set[str] | None:
    """The prefixes (the text up to the first ``:``: ``company:``, ``city:``) of a label's ids; None
    when an id has none, or there are many ids of several kinds (not worth reading them all)."""
    if not len(ids):
        return set()
    first = ids[0].as_py()
    p = first[:first.find(":") + 1]
    if p and pc.all(pc.starts_with(ids, p)).as_py():
        return {p}
    if len(ids) > 100_000:
        return None
    mine = {x[:x.find(":") + 1] for x in ids.to_pylist()}  # a label with ids of several kinds (Region)
    return None if "" in mine else mine


def _apart_by_prefix(where: list) -> bool:
    """Whether the ids of different labels of a batch (each label's ids are its table's keys, no
    two alike) have different prefixes: then no id is under two labels, with no hash of them all."""
    seen: set[str] = set()
    for ids, _, _ in where:
        mine = _id_prefixes(ids)
        if mine is None or seen & mine:
            return False
        seen |= mine
    return True


def _hint(where: list) -> tuple | None:
    """(ids, label, position) of every node of a batch once written: relationship ends found there
    are not looked up in the whole node tables."""
    if not where:
        return None
    ids = pa.concat_arrays([c for w in where for c in (w[0].chunks if isinstance(w[0], pa.ChunkedArray) else [w[0]])])
    labels = np.concatenate([np.full(len(w[2]), k, np.int32) for k, w in enumerate(where)])
    return ids, [w[1] for w in where], labels, np.concatenate([w[2] for w in where])


def _list_union(old, new) -> tuple[pa.Array, np.ndarray]:
    """Per row: ``old`` + the items of ``new`` not in it (merge_props' rule for list properties),
    and whether the row changed (items added, or the property was missing)."""
    old = old.combine_chunks() if isinstance(old, pa.ChunkedArray) else old
    new = new.combine_chunks() if isinstance(new, pa.ChunkedArray) else new
    n = len(new)
    ov, op = pc.list_flatten(old), pc.list_parent_indices(old)
    nv, np_ = pc.list_flatten(new), pc.list_parent_indices(new)
    # only old items equal to some new item can make one not new: key (row, item) just those (a new
    # file's sources are in no old list, and an active investor's old list is long)
    cand = pc.is_in(ov, value_set=nv.unique())
    if pc.any(cand).as_py():
        co = pc.binary_join_element_wise(pc.cast(op.filter(cand), pa.string()), ov.filter(cand), "\x1f")
        nkeys = pc.binary_join_element_wise(pc.cast(np_, pa.string()), nv, "\x1f")
        add = pc.invert(pc.is_in(nkeys, value_set=co)).to_numpy(zero_copy_only=False)
    else:
        add = np.ones(len(nv), bool)
    parents = np.concatenate([op.to_numpy(zero_copy_only=False), np_.to_numpy(zero_copy_only=False)[add]])
    values = pa.concat_arrays([ov.cast(pa.string()), nv.filter(pa.array(add)).cast(pa.string())])
    order = np.argsort(parents, kind="stable")
    counts = np.bincount(parents, minlength=n) if len(parents) else np.zeros(n, np.int64)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    old_null = old.is_null().to_numpy(zero_copy_only=False)
    new_valid = new.is_valid().to_numpy(zero_copy_only=False)
    added = np.bincount(np_.to_numpy(zero_copy_only=False)[add], minlength=n) if add.any() else np.zeros(n, np.int64)
    out = pa.LargeListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)),
                                        mask=pa.array(old_null & ~new_valid)).cast(pa.list_(pa.string()))
    return out, (added > 0) | (old_null & new_valid)


def _upsert(T: pa.Table | None, D: pa.Table, pos: np.ndarray, list_props) -> tuple | None:
    """(delta rows, their positions in T (-1: appended), created, updated) for batch rows ``D`` at
    positions ``pos`` of ``T``; None when a column's types differ (the row-by-row rules decide)."""
    found = pos >= 0
    new = D.filter(pa.array(~found)) if found.any() else D
    if not found.any():
        # every row new: positions -1 as a read-only view (no array of 5M -1s at a 1M-deal load)
        return new, np.broadcast_to(np.int64(-1), (new.num_rows,)), new.num_rows, 0
    fidx = np.flatnonzero(found)
    N = D.take(pa.array(fidx))
    O = T.take(pa.array(pos[fidx]))
    changed = np.zeros(len(fidx), bool)
    cols, fields = [], []
    keys = [c for c in ("id", "_start", "_end") if c in D.column_names]
    for f in O.schema:
        name = f.name
        o = O.column(name)
        if name in keys or name not in N.column_names:
            cols.append(o)
            fields.append(f)
            continue
        nf = N.schema.field(name)
        v = N.column(name)
        if W._is_json(f) or W._is_json(nf):
            return None
        if name in list_props:
            if not (pa.types.is_list(f.type) and pa.types.is_list(nf.type)):
                return None
            merged, ch = _list_union(o, v)
            changed |= ch
            cols.append(merged)
            fields.append(pa.field(name, merged.type))
            continue
        if f.type != nf.type:
            return None
        valid = v.is_valid()
        diff = pc.or_kleene(o.is_null(), pc.not_equal(o, v))
        changed |= pc.and_(valid, pc.fill_null(diff, True)).to_numpy(zero_copy_only=False)
        cols.append(pc.if_else(valid, v, o))
        fields.append(f)
    for name in N.column_names:
        if name in O.column_names:
            continue
        v = N.column(name)
        changed |= v.is_valid().to_numpy(zero_copy_only=False)
        cols.append(v)
        fields.append(N.schema.field(name))
    merged = pa.Table.from_arrays(cols, schema=pa.schema(fields))
    upd = merged.filter(pa.array(changed))
    parts = [t for t in (upd, new) if t.num_rows]
    delta = pa.concat_tables(W.unify(parts)) if len(parts) > 1 else (parts[0] if parts else upd)
    dpos = np.concatenate([pos[fidx][changed], np.full(new.num_rows, -1, np.int64)])
    return delta, dpos, new.num_rows, int(changed.sum())


class EmbeddedStore:
    """Columnar workspace in ``workspace``; the networkx graph built on demand."""

    kind = "embedded"

    def __init__(self, workspace: str | os.PathLike, mapped: bool | None = None):
        self.workspace = Path(workspace)
        # mapped: read each version from its memory-mapped Arrow copy (kg.store.workspace.read_mapped),
        # so that server workers share one copy of the data; IIKG_MAPPED=1 turns it on by default
        self.mapped = os.environ.get("IIKG_MAPPED", "") == "1" if mapped is None else mapped
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.path = W.manifest_path(self.workspace)
        self.version = 0  # bumps on every change seen by this process: caches key on it
        self._graph: nx.MultiDiGraph | None = None
        self._tables: W.Tables | None = None
        self._by_label: dict[str, list[str]] | None = None
        self._stats: dict | None = None
        self.reload()

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        """Read the current version from disk (empty when there is none)."""
        tables = W.read_mapped(self.workspace) if self.mapped else W.read_version(self.workspace)
        self._tables = tables
        if self._graph is not None:
            # the graph it replaces was frozen out of the cyclic GC (see _build_graph): free it now
            self._graph = None
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        stats = tables.manifest.get("stats")
        self._stats = ({k: dict(v) for k, v in stats.items()}
                       if isinstance(stats, dict) and {"nodes", "relationships"} <= stats.keys() else None)
        self._changed()

    @property
    def manifest(self) -> list[dict]:
        """The import records (the import manifest of CONTRACT.md)."""
        return self._tables.manifest.get("imports", [])

    @property
    def _mtime(self):
        """The signature of the version in memory (changes with every write)."""
        return self._tables.sig

    def refresh(self) -> bool:
        """Reload if another process wrote a newer version; True when it did."""
        try:
            st = os.stat(self.path)
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            sig = None
        if sig != self._tables.sig:
            self.reload()
            return True
        return False

    def _changed(self) -> None:
        self.version += 1
        self._by_label = None

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The whole graph as networkx (built from the tables the first time it is asked for)."""
        if self._graph is None:
            self._graph = self._build_graph()
        return self._graph

    @graph.setter
    def graph(self, value) -> None:
        self._graph = value

    def run_named(self, query, p, statements: dict) -> dict:
        """Answer a named query (``kg.queries.base``) with its Python plan over the query index."""
        from kg.index import graph_index

        return query.embedded(graph_index(self), p)

    @property
    def tables(self) -> W.Tables:
        """The Arrow tables of the version in memory (``.nodes[label]``, ``.rels[type]``)."""
        return self._tables

    def _build_graph(self) -> nx.MultiDiGraph:
        G = nx.MultiDiGraph()
        node, succ, pred = G._node, G._succ, G._pred
        gc_was = gc.isenabled()
        gc.disable()  # millions of small dicts: the cyclic GC would walk them again and again
        try:
            for label, t in self._tables.nodes.items():
                for nid, d in zip(t.column("id").to_pylist(), W.decode_rows(t)):
                    nd = {"_label": label}
                    nd.update(d)
                    node[nid] = nd
                    succ[nid] = {}
                    pred[nid] = {}
            for type_, t in self._tables.rels.items():
                starts, ends = t.column("_start").to_pylist(), t.column("_end").to_pylist()
                for s, e, d in zip(starts, ends, W.decode_rows(t, skip=W.EDGE_KEY)):
                    out = succ.get(s)
                    if out is None or e not in node:
                        continue  # cannot happen in a workspace this store wrote
                    keys = out.get(e)
                    if keys is None:
                        keys = out[e] = {}
                        pred[e][s] = keys
                    keys[type_] = d
        finally:
            if gc_was:
                gc.enable()
        gc.freeze()  # long-lived: keep it out of later full collections (latency spikes)
        return G

    def nodes_by_label(self, label: str) -> list[str]:
        """Ids of the nodes with ``label``, in the order they were first written."""
        if self._by_label is None:
            self._by_label = {}
        hit = self._by_label.get(label)
        if hit is None:
            t = self._tables.nodes.get(label)
            hit = self._by_label[label] = t.column("id").to_pylist() if t is not None else []
        return hit

    def stats(self) -> dict:
        """Counts of nodes by label and relationships by type (kept in the manifest: no walk)."""
        if self._stats is None:
            self._stats = {"nodes": {k: t.num_rows for k, t in self._tables.nodes.items() if t.num_rows},
                           "relationships": {k: t.num_rows for k, t in self._tables.rels.items() if t.num_rows}}
        return {k: dict(sorted(v.items())) for k, v in self._stats.items()}

    def _count(self) -> dict:
        nodes: dict[str, int] = {}
        for _, d in self.graph.nodes(data=True):
            nodes[d.get("_label")] = nodes.get(d.get("_label"), 0) + 1
        rels: dict[str, int] = {}
        for _, _, k in self.graph.edges(keys=True):
            rels[k] = rels.get(k, 0) + 1
        return {"nodes": dict(sorted(nodes.items())), "relationships": dict(sorted(rels.items()))}

    def imports(self) -> list[dict]:
        return list(self.manifest)

    # ------------------------------------------------------------------ the read protocol
    def entity(self, key: str) -> dict | None:
        """A node's properties plus ``_label`` by id (None when absent); no graph needed."""
        if self._graph is not None:
            d = self._graph._node.get(key)
            return dict(d) if d is not None else None
        want = pa.array([key], pa.string())
        for label, t in self._tables.nodes.items():
            hit = t.filter(pc.is_in(t.column("id"), value_set=want))
            if hit.num_rows:
                return {"_label": label, **W.decode_rows(hit)[0]}
        return None

    def entities(self, kind: str, columns: list[str] | None = None) -> pa.Table:
        """Every node of label ``kind`` as a table (``id`` and its properties; JSON columns as text)."""
        t = self._tables.nodes.get(kind)
        if t is None:
            return pa.table({"id": pa.array([], pa.string())})
        return t.select(columns) if columns else t

    def relationships(self, type_: str) -> pa.Table:
        """Every relationship of ``type_`` as a table (``_start``, ``_end`` and its properties)."""
        t = self._tables.rels.get(type_)
        if t is None:
            return pa.table({"_start": pa.array([], pa.string()), "_end": pa.array([], pa.string())})
        return t

    def neighbours(self, key: str, type_: str | None = None, direction: str = "both") -> list[tuple]:
        """``(type, other id, direction, props)`` of the relationships at node ``key``."""
        out = []
        want = pa.array([key], pa.string())
        for t_name, t in self._tables.rels.items():
            if type_ is not None and t_name != type_:
                continue
            for col, other, d in (("_start", "_end", "out"), ("_end", "_start", "in")):
                if direction not in (d, "both"):
                    continue
                hit = t.filter(pc.is_in(t.column(col), value_set=want))
                for o, props in zip(hit.column(other).to_pylist(), W.decode_rows(hit, skip=W.EDGE_KEY)):
                    out.append((t_name, o, d, props))
        return out

    def catalogue(self) -> pa.Table:
        """The name catalogue: ``id``, ``label``, ``name``, ``aliases`` of every named node."""
        parts = []
        for label, t in self._tables.nodes.items():
            col = "name" if "name" in t.column_names else "title" if "title" in t.column_names else None
            if col is None:
                names = pa.nulls(t.num_rows, pa.string())
            elif pa.types.is_string(t.schema.field(col).type) and not W._is_json(t.schema.field(col)):
                names = t.column(col)
            else:
                names = pa.array([None if v is None else str(v) for v in W.column_values(t, col)], pa.string())
            if "aliases" in t.column_names and pa.types.is_list(t.schema.field("aliases").type):
                aliases = t.column("aliases")
            else:
                aliases = pa.nulls(t.num_rows, pa.list_(pa.string()))
            parts.append(pa.table({"id": t.column("id"), "label": pa.array([label] * t.num_rows, pa.string()),
                                   "name": names, "aliases": aliases}))
        if not parts:
            return pa.table({"id": pa.array([], pa.string()), "label": pa.array([], pa.string()),
                             "name": pa.array([], pa.string()), "aliases": pa.array([], pa.list_(pa.string()))})
        return pa.concat_tables(parts)

    def deals(self) -> pa.Table:
        """Rounds as filterable columns: the Round table with ``company_id`` (who RAISED it)."""
        t = self._tables.nodes.get("Round")
        if t is None:
            return pa.table({"id": pa.array([], pa.string()), "company_id": pa.array([], pa.string())})
        raised = self._tables.rels.get("RAISED")
        if raised is None or raised.num_rows == 0:
            return t.append_column("company_id", pa.nulls(t.num_rows, pa.string()))
        pos = pc.index_in(t.column("id"), value_set=raised.column("_end"))
        return t.append_column("company_id", pc.take(raised.column("_start"), pos))

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def _lock(self):
        with open(self.workspace / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _find_nodes(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """The stored nodes among ``ids``: id -> (label, properties)."""
        found: dict[str, tuple[str, dict]] = {}
        if not ids or not self._tables.nodes:
            return found
        want = pa.array(ids, pa.string())
        for label, t in self._tables.nodes.items():
            mask = pc.is_in(t.column("id"), value_set=want)
            if not pc.any(mask).as_py():
                continue
            sub = t.filter(mask)
            for nid, row in zip(sub.column("id").to_pylist(), W.decode_rows(sub)):
                found[nid] = (label, row)
        return found

    def _existing_ids(self, ids: set) -> set:
        if not ids:
            return set()
        want = pa.array(list(ids), pa.string())
        out: set = set()
        for t in self._tables.nodes.values():
            col = t.column("id")
            out.update(col.filter(pc.is_in(col, value_set=want)).to_pylist())
        return out

    def _find_rels(self, type_: str, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        t = self._tables.rels.get(type_)
        if t is None or t.num_rows == 0 or not keys:
            return {}
        rows = pa.table({"_start": pa.array([k[0] for k in keys], pa.string()),
                         "_end": pa.array([k[1] for k in keys], pa.string())})
        pos = W.positions_of(rows, t, "rels")
        sub = t.take(pa.array(pos[pos >= 0]))
        return {(s, e): d for s, e, d in zip(sub.column("_start").to_pylist(), sub.column("_end").to_pylist(),
                                             W.decode_rows(sub, skip=W.EDGE_KEY))}

    def apply(self, batch: Batch, *, record: dict | None = None, progress=None) -> dict:
        """Upsert ``batch`` and append ``record`` to the import manifest, atomically on disk.

        Returns counts of what changed: nodes_created, nodes_updated, rels_created, rels_updated.
        """
        with self._lock(), _no_gc():
            self.refresh()
            W.clean_orphans(self.workspace)
            if isinstance(batch, TableBatch) and batch.is_tables:
                planned = self._plan_tables(batch)
                if planned is not None:
                    return self._write_tables(planned, record, progress)
            counts, d_nodes, d_rels, new_stats = self._plan(batch, progress)
            changed = any(counts.values())
            if changed or record is not None:
                imports = list(self.manifest)
                if record is not None:
                    imports.append({**record, "changes": counts, "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
                if getattr(batch, "consumable", False) is True:
                    batch.nodes.clear()  # its dicts live on in d_nodes/d_rels only: freed as they are encoded
                    batch.rels.clear()
                keep = self._graph is not None  # then the graph is patched with them afterwards
                delta_nodes = self._encode(d_nodes, W.NODE_KEY, keep)
                delta_rels = self._encode(d_rels, W.EDGE_KEY, keep)
                self._tables = W.write_version(self.workspace, self._tables, delta_nodes=delta_nodes,
                                               delta_rels=delta_rels, stats=new_stats, imports=imports)
                self._stats = new_stats
                if self._graph is not None:
                    self._patch_graph(d_nodes, d_rels)
            self._changed()
            return counts

    # ------------------------------------------------------------------ writing a TableBatch
    def _plan_tables(self, batch: TableBatch):
        """What a :class:`TableBatch` changes, vectorised: the rows of each table that are new
        (appended) or changed (the whole merged row, with its position), by the rules of
        :func:`kg.model.merge_props`. None when a case needs the row-by-row plan (a node already
        stored under another label, or a property stored with another type)."""
        cur_nodes, cur_rels = self._tables.nodes, self._tables.rels
        c = {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
        stats = self.stats()
        out_nodes, out_rels, where, created_ids, created_at = {}, {}, [], [], []
        stored_prefixes: dict[str, set | None] = {}  # label -> its stored ids' prefixes (_id_prefixes)
        known = _node_positions(batch.node_tables, cur_nodes)
        if known is False:
            return None  # a node of this id under another label: the row-by-row rules
        for label, D in batch.node_tables.items():
            if D.num_rows == 0:
                continue
            T = cur_nodes.get(label)
            if known is not None:
                pos = known[label]
            else:
                pos = _positions(D.column("id"), T.column("id")) if T is not None else np.full(D.num_rows, -1)
            new = pos < 0
            mine = _id_prefixes(D.column("id")) if known is None else None
            for other, OT in cur_nodes.items() if known is None else ():
                if other == label or not OT.num_rows or not new.any():
                    continue
                if mine is not None and other not in stored_prefixes:
                    stored_prefixes[other] = _id_prefixes(OT.column("id"))
                theirs = stored_prefixes.get(other)
                if theirs is not None and not mine & theirs:
                    continue  # no id of this label can be one of theirs (a 1M load: no hash of 1M ids per label)
                if _any_in(D.column("id"), OT.column("id"), new):
                    return None  # a node of this id under another label: the row-by-row rules
            planned = _upsert(T, D, pos, LIST_PROPS)
            if planned is None:
                return None
            delta, dpos, created, updated = planned
            if new.any():
                created_ids.append(D.column("id").filter(pa.array(new)))
            c["nodes_created"] += created
            c["nodes_updated"] += updated
            if created:
                stats["nodes"][label] = stats["nodes"].get(label, 0) + created
            out_nodes[label] = (delta, dpos)
            base_rows = T.num_rows if T is not None else 0
            final = np.where(pos >= 0, pos, base_rows + np.cumsum(new) - 1)
            where.append((D.column("id"), label, final))
            created_at.append(new)
        hint = _hint(where)
        rel_items = [(t, D) for t, D in batch.rel_tables.items() if D.num_rows]
        at_hint = None
        known_ends: dict[str, tuple] = {}  # type -> where its delta's ends are among the hint's ids
        if hint is not None and rel_items:
            found = _ends_in_batch(batch, where, rel_items)
            if getattr(batch, "consumable", False) is True:
                batch.end_rows = None  # read: not held while the batch is written
            if found is not None:  # the loader says where each end is among its node tables
                # (pc.count_distinct is 4x slower on strings; unique holds a copy of the 1M load's 1.9M ids)
                distinct = len(hint[0]) if _apart_by_prefix(where) else len(hint[0].unique())
            else:
                # every end of every type found among the batch's nodes with one hash (not a set per type)
                found, distinct = W.lookup_many(hint[0], [D.column(k) for _, D in rel_items
                                                          for k in ("_start", "_end")])
            if distinct == len(hint[0]):  # one id, one node of the batch
                at_hint = (found, np.concatenate(created_at))
        for i, (type_, D) in enumerate(rel_items):
            if at_hint is not None:
                hs, he = at_hint[0][2 * i], at_hint[0][2 * i + 1]
                # (combine_chunks copies even one chunk: only the ends not found are gathered)
                unknown = pa.concat_arrays([D.column(k).combine_chunks().filter(pa.array(h < 0))
                                            for k, h in (("_start", hs), ("_end", he)) if (h < 0).any()]
                                           or [pa.array([], pa.string())]).unique()
            else:
                ends = pa.concat_arrays([D.column("_start").combine_chunks(),
                                         D.column("_end").combine_chunks()]).unique()
                unknown = ends.filter(pc.invert(pc.is_in(ends, value_set=hint[0]))) if hint else ends
            if len(unknown):
                missing = set(unknown.to_pylist()) - self._existing_ids(set(unknown.to_pylist()))
                if missing:
                    k = next(i for i, (s_, e_) in enumerate(zip(D.column("_start").to_pylist(),
                                                                 D.column("_end").to_pylist()))
                             if s_ in missing or e_ in missing)
                    raise WorkspaceError(f"relationship {type_} refers to a missing node: "
                                         f"{D.column('_start')[k].as_py()!r} -> {D.column('_end')[k].as_py()!r}")
            T = cur_rels.get(type_)
            pos = np.full(D.num_rows, -1, np.int64)
            if T is not None and T.num_rows:
                # a relationship at a node this batch creates is new: only the others are looked up
                if at_hint is not None:
                    created = np.append(at_hint[1], False)  # -1 (not the batch's): the last slot
                    old = ~(created[hs] | created[he])
                else:
                    fresh = pa.chunked_array(created_ids, pa.string()).combine_chunks() if created_ids else None
                    old = np.ones(D.num_rows, bool) if fresh is None else ~(
                        pc.is_in(D.column("_start"), value_set=fresh).to_numpy(zero_copy_only=False)
                        | pc.is_in(D.column("_end"), value_set=fresh).to_numpy(zero_copy_only=False))
                if old.any():
                    idx = np.flatnonzero(old)
                    starts = None
                    stored = self._tables.starts.get(type_)
                    if at_hint is not None and stored is not None and (hs[idx] >= 0).all():
                        # the rows' starts are the batch's nodes, whose stored rows the plan knows
                        g = hs[idx]
                        starts = (stored, (tuple(hint[1]), hint[2][g].astype(np.int32), hint[3][g]))
                    pos[idx] = W.positions_of(D.take(pa.array(idx)) if not old.all() else D, T, "rels", starts)
            planned = _upsert(T, D, pos, LIST_PROPS)
            if planned is None:
                return None
            delta, dpos, created, updated = planned
            if at_hint is not None and not (pos >= 0).any() and (hs >= 0).all() and (he >= 0).all():
                known_ends[type_] = (hs, he)  # every row new (the delta is D) and both ends the batch's
            c["rels_created"] += created
            c["rels_updated"] += updated
            if created:
                stats["relationships"][type_] = stats["relationships"].get(type_, 0) + created
            out_rels[type_] = (delta, dpos)
        if hint is not None and not W.small_hint(hint):
            hint = (None, *hint[1:])  # too many ids to be hashed by the write: not held while it runs
        return c, out_nodes, out_rels, stats, hint, known_ends

    def _write_tables(self, planned, record, progress) -> dict:
        counts, out_nodes, out_rels, new_stats, hint, known_ends = planned
        imports = list(self.manifest)
        if record is not None:
            imports.append({**record, "changes": counts, "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        if any(counts.values()) or record is not None:
            delta_nodes = {k: d for k, (d, _) in out_nodes.items() if d.num_rows}
            delta_rels = {k: d for k, (d, _) in out_rels.items() if d.num_rows}
            positions = {("nodes", k): p for k, (d, p) in out_nodes.items() if d.num_rows}
            positions |= {("rels", k): p for k, (d, p) in out_rels.items() if d.num_rows}
            self._tables = W.write_version(self.workspace, self._tables, delta_nodes=delta_nodes,
                                           delta_rels=delta_rels, stats=new_stats, imports=imports,
                                           positions=positions, hint=hint, known_ends=known_ends)
            self._stats = new_stats
            if self._graph is not None:
                self._patch_graph({k: list(zip(d.column("id").to_pylist(), W.decode_rows(d)))
                                   for k, d in delta_nodes.items()},
                                  {k: list(zip(zip(d.column("_start").to_pylist(), d.column("_end").to_pylist()),
                                               W.decode_rows(d, skip=W.EDGE_KEY)))
                                   for k, d in delta_rels.items()})
        if progress:
            progress(sum(d.num_rows for d, _ in (*out_nodes.values(), *out_rels.values())))
        self._changed()
        return counts

    @staticmethod
    def _encode(delta: dict, key: tuple, keep: bool) -> dict:
        out = {}
        for name in list(delta):
            rows = delta[name] if keep else delta.pop(name)
            if rows:
                keys = [(k,) for k, _ in rows] if key == W.NODE_KEY else [k for k, _ in rows]
                out[name] = W.encode_rows([r for _, r in rows], key, keys)
            del rows
        return out

    def _plan(self, batch: Batch, progress=None):
        """What ``batch`` changes: counts, the full new state of each changed node and
        relationship, and the new counts by label and type. Nothing is written here."""
        take = getattr(batch, "consumable", False) is True
        c = {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
        all_ids = [nid for nodes in batch.nodes.values() for nid in nodes]
        found = self._find_nodes(all_ids)
        pending: dict[str, list] = {}  # id -> [label, props, changed]
        stats = self.stats()
        for label, nodes in batch.nodes.items():
            for nid, props in nodes.items():
                hit = pending.get(nid)
                if hit is None:
                    f = found.get(nid)
                    if f is not None:
                        hit = pending[nid] = [f[0], f[1], False]
                if hit is not None:
                    if _merge(hit[1], props):
                        c["nodes_updated"] += 1
                        hit[2] = True
                else:
                    d = props if take else dict(props)
                    d.pop("_label", None)
                    pending[nid] = [label, d, True]
                    c["nodes_created"] += 1
                    stats["nodes"][label] = stats["nodes"].get(label, 0) + 1
            if progress:
                progress(len(nodes))
        del found
        d_nodes: dict[str, list] = {}
        for nid, (label, props, ch) in pending.items():
            if ch:
                d_nodes.setdefault(label, []).append((nid, props))
        d_rels: dict[str, list] = {}
        for type_, rels in batch.rels.items():
            ends = {x for k in rels for x in k}
            ends.difference_update(pending)
            missing = ends - self._existing_ids(ends)
            if missing:
                s, e = next(k for k in rels if k[0] in missing or k[1] in missing)
                raise WorkspaceError(f"relationship {type_} refers to a missing node: {s!r} -> {e!r}")
            found_r = self._find_rels(type_, list(rels))
            out = d_rels.setdefault(type_, [])
            for key, props in rels.items():
                cur = found_r.get(key)
                if cur is not None:
                    if _merge(cur, props):
                        c["rels_updated"] += 1
                        out.append((key, cur))
                else:
                    out.append((key, props if take else dict(props)))
                    c["rels_created"] += 1
            created = sum(1 for k in rels if k not in found_r)
            if created:
                stats["relationships"][type_] = stats["relationships"].get(type_, 0) + created
            if progress:
                progress(len(rels))
        return c, d_nodes, d_rels, stats

    def _patch_graph(self, d_nodes: dict, d_rels: dict) -> None:
        """Bring the in-memory graph to the version just written (only what changed)."""
        G = self._graph
        node, succ, pred = G._node, G._succ, G._pred
        for label, rows in d_nodes.items():
            for nid, props in rows:
                cur = node.get(nid)
                if cur is None:
                    cur = node[nid] = {"_label": label}
                    succ[nid] = {}
                    pred[nid] = {}
                else:
                    lb = cur.get("_label", label)
                    cur.clear()
                    cur["_label"] = lb
                cur.update(props)
        for type_, rows in d_rels.items():
            for (s, e), props in rows:
                keys = succ[s].get(e)
                if keys is None:
                    keys = succ[s][e] = {}
                    pred[e][s] = keys
                cur = keys.get(type_)
                if cur is None:
                    keys[type_] = dict(props)
                else:
                    cur.clear()
                    cur.update(props)
        if hasattr(nx, "_clear_cache"):
            nx._clear_cache(G)

    def compact(self) -> None:
        """Fold every appended file back into one file per table (a new version, same content)."""
        with self._lock():
            self.refresh()
            self._tables = W.write_version(self.workspace, self._tables, delta_nodes={}, delta_rels={},
                                           stats=self.stats(), imports=list(self.manifest), compact=True)
            self._changed()

    def clear(self) -> None:
        """Remove everything (atomic like every write)."""
        with self._lock():
            self.refresh()
            self._tables = W.write_version(self.workspace, self._tables, delta_nodes={}, delta_rels={},
                                           stats={"nodes": {}, "relationships": {}}, imports=[],
                                           replace_all=True)
            self._stats = {"nodes": {}, "relationships": {}}
            self._graph = None
            self._changed()

    def close(self) -> None:
        pass
