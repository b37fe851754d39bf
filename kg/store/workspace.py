"""The embedded workspace on disk: Parquet tables and one JSON manifest. No pickle, nothing evaluated.

Layout (``docs/STORE.md`` has the whole story)::

    WORKSPACE/
      .lock                          writers take it (flock); readers never block
      store/manifest.json            the current version: format, version number, the exact data
                                     files of that version in order, counts, the import records
      store/manifest.prev.json       the version before it (its files are kept until the next write)
      store/v000012-nodes-Round-….parquet   data files, immutable once named in a manifest
      rejects/…                      rejected rows of each load (written by kg.loading)

Each node label and each relationship type is a table. A node table has the key column ``id``; a
relationship table ``_start`` and ``_end``; every property is a column: a typed column (string,
int64, float64, bool, list of strings) when every value of the column has that one Python type, a
JSON-text column (field metadata ``iikg: json``) otherwise, so that every value reads back exactly
as it was written (an int stays an int). A missing value is null: the store never keeps None.

A write (``write_version``) adds files (an import appends its new and changed rows, each row the
full new state of its node or relationship), then replaces the manifest atomically: temporary
file, fsync, rename, fsync of the folder. Readers read the manifest once and then exactly the files
it names, so they see one version, never a mix. Reading a table folds its files in order: a later
row with the same key replaces the earlier one in place. Compaction writes each table as one file
again; the store does it past a threshold and on demand (``python -m kg.store.workspace compact WS``).
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import secrets
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kg.errors import WorkspaceError

__all__ = ["FORMAT", "FORMAT_VERSION", "STORE_DIR", "MANIFEST", "PREVIOUS", "LEGACY_SNAPSHOT",
           "Tables", "read_version", "read_mapped", "write_version", "encode_rows", "decode_rows", "empty_manifest",
           "manifest_path", "check_legacy", "no_gc"]

FORMAT = "iikg-workspace"
FORMAT_VERSION = 2  # 2: relationship ends stored as (label, position); 1: as ids (still read)
STORE_DIR = "store"
MANIFEST = "manifest.json"
PREVIOUS = "manifest.prev.json"
LEGACY_SNAPSHOT = "graph.pickle"
NODE_KEY = ("id",)
EDGE_KEY = ("_start", "_end")
JSON_META = {b"iikg": b"json"}
_RETRIES = 8


@contextlib.contextmanager
def no_gc():
    """Pause the cyclic GC: loading and writing build millions of small, long-lived objects."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def manifest_path(workspace) -> Path:
    return Path(workspace) / STORE_DIR / MANIFEST


def empty_manifest() -> dict:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "version": 0, "files": [],
            "stats": {"nodes": {}, "relationships": {}}, "imports": []}


# ---------------------------------------------------------------------------------------------- encoding
def _jsonable(v):
    if isinstance(v, (np.generic,)):
        return v.item()
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    raise TypeError(f"{type(v).__name__} is not storable")


def _dumps(v) -> str:
    return json.dumps(v, ensure_ascii=False, default=_jsonable)


def column_array(values: list) -> tuple[pa.Array, bool]:
    """(array, is_json): a typed array when every non-null value has one plain type."""
    types = set(map(type, values))
    types.discard(type(None))
    if len(types) == 1:
        t = next(iter(types))
        try:
            if t is str:
                return pa.array(values, pa.string()), False
            if t is bool:
                return pa.array(values, pa.bool_()), False
            if t is int:
                return pa.array(values, pa.int64()), False
            if t is float:
                return pa.array(values, pa.float64()), False
            if t is list:  # raises for any item that is not a str: then JSON
                return pa.array(values, pa.list_(pa.string())), False
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    if not types:
        return pa.nulls(len(values), pa.null()), False
    return pa.array([None if v is None else _dumps(v) for v in values], pa.string()), True


def encode_rows(rows: list[dict], key: tuple[str, ...] = NODE_KEY, keys: list | None = None) -> pa.Table:
    """A table of ``rows`` (dicts of properties). ``keys``: the key values of each row, when they are
    not in the dicts (relationships: ``(start, end)`` tuples)."""
    names = set().union(*rows) if rows else set()
    first = list(rows[0]) if rows else []
    cols = [c for c in first if c in names] + sorted(names.difference(first))
    arrays, fields = [], []
    if keys is not None:
        for j, name in enumerate(key):
            arrays.append(pa.array([k[j] for k in keys], pa.string()))
            fields.append(pa.field(name, pa.string()))
    for c in cols:
        if keys is not None and c in key:
            continue
        arr, is_json = column_array([r.get(c) for r in rows])
        if arr.type == pa.null():
            continue
        arrays.append(arr)
        fields.append(pa.field(c, arr.type, metadata=JSON_META if is_json else None))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _is_json(field: pa.Field) -> bool:
    return bool(field.metadata) and field.metadata.get(b"iikg") == b"json"


def column_values(table: pa.Table, name: str) -> list:
    """The Python values of one column (JSON columns decoded)."""
    vals = table.column(name).to_pylist()
    if _is_json(table.schema.field(name)):
        loads = json.loads
        vals = [None if v is None else loads(v) for v in vals]
    return vals


def decode_rows(table: pa.Table, skip: tuple[str, ...] = ()) -> list[dict]:
    """Each row as a dict of its non-null properties (columns in ``skip`` left out)."""
    names = [n for n in table.column_names if n not in skip]
    if not names:
        return [{} for _ in range(table.num_rows)]
    cols = [column_values(table, n) for n in names]
    return [{k: v for k, v in zip(names, row) if v is not None} for row in zip(*cols)]


def _to_json_column(table: pa.Table, name: str) -> pa.Array:
    if _is_json(table.schema.field(name)):
        return table.column(name).combine_chunks()
    return pa.array([None if v is None else _dumps(v) for v in table.column(name).to_pylist()], pa.string())


def _kind(f: pa.Field) -> tuple:
    """A column's type for unifying (a list's item field name differs after a Parquet round trip)."""
    t = f.type
    return ("list", str(t.value_type), _is_json(f)) if pa.types.is_list(t) else (str(t), _is_json(f))


def unify(tables: list[pa.Table]) -> list[pa.Table]:
    """The same schema for all: missing columns as nulls, a column whose types differ as JSON text."""
    tables = [t for t in tables if t is not None]
    if len(tables) <= 1:
        return tables
    order: dict[str, None] = {}
    kinds: dict[str, set] = {}
    for t in tables:
        for f in t.schema:
            order.setdefault(f.name)
            kinds.setdefault(f.name, set()).add(_kind(f))
    json_cols = {c for c, k in kinds.items() if len(k) > 1}
    out = []
    for t in tables:
        arrays, fields = [], []
        for c in order:
            if c in json_cols:
                arr = _to_json_column(t, c) if c in t.column_names else pa.nulls(t.num_rows, pa.string())
                arrays.append(arr)
                fields.append(pa.field(c, pa.string(), metadata=JSON_META))
                continue
            ref = next(x.schema.field(c) for x in tables if c in x.column_names)
            if c in t.column_names:
                col = t.column(c)
                arrays.append(col if col.type == ref.type else col.cast(ref.type))
            else:
                arrays.append(pa.nulls(t.num_rows, ref.type))
            fields.append(ref)
        out.append(pa.Table.from_arrays(arrays, schema=pa.schema(fields)))
    return out


def key_array(table: pa.Table, kind: str) -> pa.Array:
    """One string per row: the node's id, or a relationship's start and end."""
    if kind == "nodes":
        return table.column("id").combine_chunks()
    return pc.binary_join_element_wise(table.column("_start"), table.column("_end"), "\x1f").combine_chunks()


def positions_of(rows: pa.Table, table: pa.Table, kind: str, starts: tuple | None = None) -> np.ndarray:
    """Position in ``table`` of each row of ``rows`` with the same key, -1 when none. For
    relationships only the rows of ``table`` that start at one of ``rows``' starts are keyed (a
    small import into a large workspace must not join millions of id pairs). ``starts``: the
    start nodes (:func:`_starts`) of ``table``'s rows and of ``rows``', when both are known: those
    rows are then found by node row (an integer gather), not by hashing the start id of every row."""
    if kind == "nodes":
        return pc.index_in(rows.column("id"), value_set=table.column("id")).fill_null(-1).to_numpy(
            zero_copy_only=False).astype(np.int64)
    if starts is not None and starts[0] is not None and starts[1] is not None:
        cand = _rows_starting_at(*starts)
    else:
        cand = np.flatnonzero(pc.is_in(table.column("_start"), value_set=rows.column("_start").unique()).to_numpy(
            zero_copy_only=False))
    if not len(cand):
        return np.full(rows.num_rows, -1, dtype=np.int64)
    sub = table.select(["_start", "_end"]).take(pa.array(cand))
    hit = pc.index_in(key_array(rows, kind), value_set=key_array(sub, kind)).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    return np.where(hit >= 0, cand[np.maximum(hit, 0)], -1)


# ---------------------------------------------------------------------------------------------- starts in memory
# Each relationship table in memory (``Tables.starts[type]``) keeps the start node of every row as
# (label, row in that label's node table), as the file had it: ``(label names, label code per row
# or None when every row starts under the one label, row per row)``. A small import finds the
# stored rows at its relationships' starts by node row (:func:`_rows_starting_at`) instead of
# hashing the start id of every stored row (four million-row string columns at 1M deals).
def _starts(labels, pos) -> tuple:
    """The starts of a file's rows from its ``_start_label`` (dictionary) and ``_start_pos``."""
    chunks = labels.chunks if isinstance(labels, pa.ChunkedArray) else [labels]
    p = (pos.combine_chunks() if isinstance(pos, pa.ChunkedArray) else pos).to_numpy(zero_copy_only=False)
    if len(p) and int(p.max()) < 2 ** 31:
        p = p.astype(np.int32)
    if len(chunks) == 1 and isinstance(chunks[0], pa.DictionaryArray) and not chunks[0].null_count:
        # as written: one dictionary (the common case, every row under one label, makes no codes)
        names = chunks[0].dictionary.to_pylist()
        codes = chunks[0].indices.to_numpy(zero_copy_only=False)
        if not len(codes) or int(codes.min()) == int(codes.max()):
            return ((names[int(codes[0])],) if len(codes) else ()), None, p
        return tuple(names), codes.astype(np.int32, copy=False), p
    names: list[str] = []
    parts = []
    for ch in chunks:
        if not isinstance(ch, pa.DictionaryArray):
            ch = ch.dictionary_encode()
        local = ch.dictionary.to_pylist()
        for x in local:
            if x not in names:
                names.append(x)
        lut = np.array([names.index(x) for x in local] or [0], np.int32)
        parts.append(lut[ch.indices.to_numpy(zero_copy_only=False).astype(np.int64)])
    codes = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    if len(codes) and int(codes.min()) == int(codes.max()):
        return (names[int(codes[0])],), None, p
    return tuple(names), (codes if len(names) > 1 else None), p


def _starts_take(s: tuple | None, mask: np.ndarray) -> tuple | None:
    if s is None:
        return None
    return s[0], (None if s[1] is None else s[1][mask]), s[2][mask]


def _starts_cat(a: tuple | None, b: tuple | None) -> tuple | None:
    """The starts of the rows of ``a`` followed by those of ``b``."""
    if a is None or b is None:
        return None
    if not len(b[2]):
        return a
    if not len(a[2]):
        return b
    names = list(a[0]) + [x for x in b[0] if x not in a[0]]
    if len(names) == 1:
        return a[0], None, np.concatenate([a[2], b[2]])

    def codes(s):
        if s[1] is None:
            return np.full(len(s[2]), names.index(s[0][0]), np.int32)
        return np.array([names.index(x) for x in s[0]], np.int32)[s[1]]

    return tuple(names), np.concatenate([codes(a), codes(b)]), np.concatenate([a[2], b[2]])


def _rows_starting_at(table_s: tuple, rows_s: tuple) -> np.ndarray:
    """The rows (of a table whose starts are ``table_s``) that start at one of the nodes ``rows_s``."""
    tn, tc, tp = table_s
    rn, rc, rp = rows_s
    mask = np.zeros(len(tp), bool)
    top = int(tp.max()) if len(tp) else -1
    for k, name in enumerate(rn):
        want = rp if rc is None else rp[rc == k]
        if name not in tn or not len(want):
            continue
        lut = np.zeros(max(top, int(want.max())) + 1, bool)
        lut[want] = True
        hit = lut[tp]
        if tc is not None:  # (None: every row starts under the one label, ``name``)
            hit &= tc == tn.index(name)
        mask |= hit
    return np.flatnonzero(mask)


def _fold_rels(base: pa.Table | None, bs: tuple | None, delta: pa.Table, ds: tuple | None,
               pos: np.ndarray | None = None) -> tuple[pa.Table, tuple | None]:
    """:func:`fold` of a relationship table, with the starts of the result: the rows before keep
    their places (a replaced row has the same ends) and the new rows are appended in order."""
    if base is None or base.num_rows == 0:
        return delta, ds
    if delta.num_rows == 0:
        return base, bs
    if pos is None:
        pos = positions_of(delta, base, "rels", (bs, ds) if bs is not None and ds is not None else None)
    return fold(base, delta, "rels", pos), _starts_cat(bs, _starts_take(ds, pos < 0))


def fold(base: pa.Table | None, delta: pa.Table, kind: str, pos: np.ndarray | None = None) -> pa.Table:
    """``base`` with the rows of ``delta`` replacing those with the same key in place, new keys
    appended. ``pos``: the position in ``base`` of each delta row (-1: new) when the caller knows it."""
    if base is None or base.num_rows == 0:
        return delta
    if delta.num_rows == 0:
        return base
    base, delta = unify([base, delta])
    if pos is None:
        pos = positions_of(delta, base, kind)
    n = base.num_rows
    found = pos >= 0
    if not found.any():
        return pa.concat_tables([base, delta])
    if found.sum() <= _SLICE_MAX:
        # a few rows replaced: the table around them is sliced, not copied (a small import into a
        # large workspace must not copy its tables); compaction makes each table one piece again
        d_idx = np.flatnonzero(found)
        p = pos[d_idx]
        order = np.argsort(p, kind="stable")
        pieces, prev = [], 0
        for pi, di in zip(p[order].tolist(), d_idx[order].tolist()):
            if pi > prev:
                pieces.append(base.slice(prev, pi - prev))
            pieces.append(delta.slice(di, 1))
            prev = pi + 1
        if prev < n:
            pieces.append(base.slice(prev))
        if not found.all():
            pieces.append(delta.filter(pa.array(~found)))
        return pa.concat_tables(pieces)
    combined = pa.concat_tables([base, delta])
    order = np.arange(n, dtype=np.int64)
    d_idx = np.arange(len(pos), dtype=np.int64) + n
    order[pos[found].astype(np.int64)] = d_idx[found]
    order = np.concatenate([order, d_idx[~found]])
    return combined.take(pa.array(order))


_PARALLEL_ROWS = 200_000  # rows to write above which two tables are written at once
_SLICE_MAX = 5000  # replaced rows up to which a fold slices the table instead of copying it


# ---------------------------------------------------------------------------------------------- endpoints on disk
# In memory a relationship table has the endpoint ids (``_start``, ``_end``); on disk it has each
# endpoint's label and row position in that label's node table (``_start_label``, ``_start_pos``,
# ``_end_label``, ``_end_pos``): ids are long strings and would be stored again with every
# relationship. Positions are stable: a folded node table keeps every row where it was first
# written (a changed node is replaced in place, new ones are appended, compaction keeps the order).
_HINT_MAX = 200_000  # a hint (the nodes a write just placed) is hashed when it is at most this long


def small_hint(hint) -> bool:
    """Whether the hint's ids are worth hashing (a larger hint may come without its ids: None)."""
    return hint is not None and hint[0] is not None and len(hint[0]) <= _HINT_MAX


def _locate(ids: pa.ChunkedArray | pa.Array, nodes: dict[str, pa.Table], hint=None) -> tuple[pa.Array, pa.Array]:
    """(label, position) of each id in the node tables; raises when one is in none. ``hint``:
    ``(ids, labels, label code per id, position per id)`` of nodes whose place is known (a small
    import's own nodes: its relationships' ends are found there, not in the whole tables)."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    n = len(ids)
    labels = np.full(n, -1, dtype=np.int32)
    pos = np.full(n, -1, dtype=np.int64)
    names = list(nodes)
    todo = np.arange(n)
    if small_hint(hint):
        h_ids, h_names, h_label, h_pos = hint
        hit = pc.index_in(ids, value_set=h_ids).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        found = hit >= 0
        code = {name: k for k, name in enumerate(names)}
        lab = np.array([code.get(x, -1) for x in h_names] or [-1], np.int32)[h_label[hit[found]]]
        labels[found] = lab
        pos[found] = h_pos[hit[found]]
        bad = found.copy()
        bad[found] = lab < 0
        labels[bad], pos[bad] = -1, -1
        todo = np.flatnonzero(labels < 0)
    for k, name in enumerate(names):
        if not len(todo):
            break
        sub = ids if len(todo) == n else ids.take(pa.array(todo))
        hit = pc.index_in(sub, value_set=nodes[name].column("id")).fill_null(-1).to_numpy(zero_copy_only=False)
        found = hit >= 0
        labels[todo[found]] = k
        pos[todo[found]] = hit[found]
        todo = todo[~found]
    if len(todo):
        raise WorkspaceError(f"relationship end {ids[int(todo[0])].as_py()!r} is no node")
    lab = pa.DictionaryArray.from_arrays(pa.array(labels, pa.int32()), pa.array(names, pa.string()))
    return lab, pa.array(pos, pa.int64())


def lookup_many(keys: pa.Array, queries: list) -> tuple[list[np.ndarray], int]:
    """Position in ``keys`` (the first, when a key repeats) of every value of each of ``queries``
    (-1: none), and the number of distinct keys, with one hash of them all (``pc.index_in`` hashes its value set on every call:
    locating millions of relationship ends label by label and type by type hashed the node ids
    over and over). A unified dictionary numbers the keys first, so a code below the number of
    distinct keys is a key."""
    parts = [keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys]
    lengths = [len(q) for q in queries]
    for q in queries:
        parts.extend(q.chunks if isinstance(q, pa.ChunkedArray) else [q])
    enc = pa.chunked_array([x.cast(pa.string()) for x in parts], pa.string()).dictionary_encode()
    ndict = len(enc.chunks[0].dictionary) if enc.num_chunks else 0
    codes = np.concatenate([(pc.fill_null(ch.indices, ndict) if ch.indices.null_count else ch.indices)
                            .to_numpy(zero_copy_only=False).astype(np.int64) for ch in enc.chunks] or [np.zeros(0, np.int64)])
    nk = len(parts[0])
    k0 = codes[:nk]
    distinct = int(k0.max()) + 1 if nk else 0
    first = np.full(distinct + 1, -1, np.int64)      # the last slot: not a key
    first[k0[::-1]] = np.arange(nk - 1, -1, -1, dtype=np.int64)
    out, at = [], nk
    for n in lengths:
        c = codes[at:at + n]
        out.append(first[np.where(c < distinct, c, distinct)])
        at += n
    return out, distinct


def _lookup_few(keys: list, queries: list) -> list[np.ndarray]:
    """:func:`lookup_many`'s positions for a few values among many keys (``keys``: arrays of them,
    one after the other): the values are hashed and each array of keys probed (the keys are
    neither put in a hash table of their own nor copied into one array)."""
    q = [x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x for x in queries]
    uq = pa.concat_arrays([x.cast(pa.string()) for x in q]).unique() if q else pa.array([], pa.string())
    first = np.full(len(uq) + 1, -1, np.int64)   # the last slot: a null value
    off = 0
    for part in keys:
        hit = pc.index_in(part.cast(pa.string()), value_set=uq).fill_null(-1).to_numpy(zero_copy_only=False)
        at = np.flatnonzero(hit >= 0)
        h = hit[at].astype(np.int64)
        fresh = first[h] < 0  # (a key found in an earlier array comes first)
        first[h[fresh][::-1]] = at[fresh][::-1] + off
        off += len(part)
    out = [first[pc.index_in(x.cast(pa.string()), value_set=uq).fill_null(len(uq)).to_numpy(zero_copy_only=False)
                 .astype(np.int64)] for x in q]
    return out


def _locate_all(arrays: list, nodes: dict[str, pa.Table]) -> list[tuple[pa.Array, pa.Array]]:
    """:func:`_locate` of several id arrays at once (no hint), the node ids hashed once."""
    names = list(nodes)
    parts = [nodes[n].column("id") for n in names]
    sizes = np.array([len(x) for x in parts], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]) if len(parts) else np.zeros(1, np.int64)
    chunks = [c for x in parts for c in x.chunks]
    if sum(len(a) for a in arrays) * 8 < int(sizes.sum()):
        found = _lookup_few(chunks, arrays)  # (the ids as they are: no copy of 1.9M ids at a 1M-deal load)
    else:
        # one copy of the ids (combine_chunks would copy each table's first)
        found = lookup_many(pa.concat_arrays(chunks) if chunks else pa.array([], pa.string()), arrays)[0]
    del chunks
    out = []
    for ids, g in zip(arrays, found):
        if (g < 0).any():
            ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
            raise WorkspaceError(f"relationship end {ids[int(np.flatnonzero(g < 0)[0])].as_py()!r} is no node")
        labels = (np.searchsorted(offsets, g, "right") - 1).astype(np.int32)
        pos = g - offsets[labels]
        lab = pa.DictionaryArray.from_arrays(pa.array(labels, pa.int32()), pa.array(names, pa.string()))
        out.append((lab, pa.array(pos, pa.int64())))
    return out


def _ends_at_once(rels: dict[str, pa.Table], nodes: dict[str, pa.Table], hint=None) -> dict | None:
    """The located ends of every relationship table to write, when they are not found through a
    small ``hint``: ``{type: ((start label, position), (end label, position))}``."""
    if small_hint(hint):
        return None
    names = [k for k, t in rels.items() if t.num_rows]
    if not names:
        return None
    found = _locate_all([rels[k].column(c) for k in names for c in ("_start", "_end")], nodes)
    return {k: (found[2 * i], found[2 * i + 1]) for i, k in enumerate(names)}


def _known_ends(known: dict, hint, nodes: dict[str, pa.Table]) -> dict:
    """``known_ends`` (indices among the hint's ids) as the (label, position) pairs of the node
    tables ``nodes``: the hint says each of its nodes' label and final position."""
    if not known or hint is None:
        return {}
    _, h_names, h_label, h_pos = hint
    names = list(nodes)
    lut = np.array([names.index(x) for x in h_names] or [0], np.int32)
    dictionary = pa.array(names, pa.string())

    def at(g: np.ndarray) -> tuple[pa.Array, pa.Array]:
        labels = lut[h_label[g]]
        return pa.DictionaryArray.from_arrays(pa.array(labels, pa.int32()), dictionary), pa.array(h_pos[g], pa.int64())

    return {k: (at(s), at(e)) for k, (s, e) in known.items()}


def _compact_ends(rels: dict[str, pa.Table], nodes: dict[str, pa.Table], base: dict[str, pa.Table],
                  delta: dict[str, pa.Table], known: dict, positions: dict) -> dict:
    """The located ends of every whole relationship table a compaction writes. A table that is its
    new rows appended to the ones before (or only new rows) takes the delta's ends from ``known``
    (taken out of it); only the others (and the rows before) are looked up, all with one hash of
    the node ids."""
    use, todo, cols = {}, [], []
    for k, t in rels.items():
        if not t.num_rows:
            continue
        b = base.get(k)
        nb = b.num_rows if b is not None else 0
        pos = positions.get(("rels", k))
        appended = k in known and k in delta and (
            nb == 0 or (pos is not None and not (pos >= 0).any() and t.num_rows == nb + delta[k].num_rows))
        if appended:
            use[k] = nb
            if nb:
                cols.extend([b.column("_start"), b.column("_end")])
        else:
            todo.append(k)
            cols.extend([t.column("_start"), t.column("_end")])
    found = _locate_all(cols, nodes) if cols else []
    out, at = {}, 0
    for k in rels:
        if k in use:
            (ks, kst), (ke, ket) = known.pop(k)  # (its arrays are not held beside their copies)
            if use[k]:
                (bs, bsp), (be, bep) = found[at], found[at + 1]
                at += 2
                ks, kst = pa.concat_arrays([bs, ks]), pa.concat_arrays([bsp, kst])
                ke, ket = pa.concat_arrays([be, ke]), pa.concat_arrays([bep, ket])
            out[k] = ((ks, kst), (ke, ket))
        elif k in todo:
            out[k] = (found[at], found[at + 1])
            at += 2
    return out


def _rels_to_disk(t: pa.Table, nodes: dict[str, pa.Table], hint=None, ends=None) -> pa.Table:
    if ends is not None:
        (sl, sp), (el, ep) = ends
    else:
        sl, sp = _locate(t.column("_start"), nodes, hint)
        el, ep = _locate(t.column("_end"), nodes, hint)
    rest = t.drop_columns(["_start", "_end"])
    cols = [sl, sp, el, ep, *rest.columns]
    fields = [pa.field("_start_label", sl.type), pa.field("_start_pos", pa.int64()),
              pa.field("_end_label", el.type), pa.field("_end_pos", pa.int64()), *rest.schema]
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def _ids_at(labels, pos, nodes: dict[str, pa.Table]) -> pa.Array:
    labels = labels.combine_chunks() if isinstance(labels, pa.ChunkedArray) else labels
    if not isinstance(labels, pa.DictionaryArray):
        labels = labels.dictionary_encode()
    names = labels.dictionary.to_pylist()
    codes = labels.indices.to_numpy(zero_copy_only=False)
    p = pos.to_numpy() if isinstance(pos, pa.Array) else pos.combine_chunks().to_numpy()
    offsets, parts, off = [], [], 0
    for name in names:
        ids = nodes[name].column("id").combine_chunks() if name in nodes else pa.array([], pa.string())
        offsets.append(off)
        parts.append(ids)
        off += len(ids)
    sizes = np.array([len(x) for x in parts] or [0], dtype=np.int64)
    if len(p) and ((p < 0).any() or (p >= sizes[codes]).any()):
        raise ValueError("a relationship refers to a node position that is not there")
    allids = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
    return allids.take(pa.array(p + np.array(offsets or [0], dtype=np.int64)[codes]))


def _rels_from_disk(t: pa.Table, nodes: dict[str, pa.Table]) -> pa.Table:
    start = _ids_at(t.column("_start_label"), t.column("_start_pos"), nodes)
    end = _ids_at(t.column("_end_label"), t.column("_end_pos"), nodes)
    rest = t.drop_columns(["_start_label", "_start_pos", "_end_label", "_end_pos"])
    return pa.Table.from_arrays([start, end, *rest.columns],
                                schema=pa.schema([pa.field("_start", pa.string()), pa.field("_end", pa.string()),
                                                  *rest.schema]))


# ---------------------------------------------------------------------------------------------- files
def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)[:60] or "x"


_DICT_RATIO = 0.1  # a string column with fewer distinct values than this share of its values: dictionary


def _encodings(table: pa.Table) -> dict:
    """How to write ``table`` small: zstd; a dictionary for string columns with few distinct
    values (types, labels, currencies, levels), prefix (delta) encoding for the others (ids and
    sources share long prefixes: ``round:…|a|2019-07``, ``file:deals.csv#L123``), delta-packed
    integers (positions of relationship ends grow nearly in order). Any Parquet reader reads it."""
    dict_cols, enc = [], {}
    for f in table.schema:
        t = f.type
        if pa.types.is_dictionary(t):
            dict_cols.append(f.name)
        elif pa.types.is_string(t) or (pa.types.is_list(t) and pa.types.is_string(t.value_type)):
            vals = pc.list_flatten(table.column(f.name)) if pa.types.is_list(t) else table.column(f.name)
            vals = vals.slice(0, 50_000)  # a sample says enough
            n = len(vals) - vals.null_count
            if n and pc.count_distinct(vals).as_py() < _DICT_RATIO * n:
                dict_cols.append(f.name)
            else:
                enc[f"{f.name}.list.element" if pa.types.is_list(t) else f.name] = "DELTA_BYTE_ARRAY"
        elif pa.types.is_int64(t):
            enc[f.name] = "DELTA_BINARY_PACKED"
    return {"compression": "zstd", "compression_level": 3, "use_dictionary": dict_cols or False,
            "column_encoding": enc or None}


def _write_table(folder: Path, version: int, kind: str, name: str, table: pa.Table, nodes=None, hint=None,
                 ends=None, starts: dict | None = None) -> dict:
    rows = table.num_rows
    if kind == "rels":
        table = _rels_to_disk(table, nodes, hint, ends)
        if starts is not None:  # the rows' starts as written, kept in memory (Tables.starts)
            starts[name] = _starts(table.column("_start_label"), table.column("_start_pos"))
    fname = f"v{version:06d}-{kind}-{_safe(name)}-{secrets.token_hex(3)}.parquet"
    path = folder / fname
    with open(path, "wb") as fh:
        pq.write_table(table, fh, write_page_checksum=True, **_encodings(table))
        fh.flush()
        os.fsync(fh.fileno())
    return {"kind": kind, "name": name, "file": fname, "rows": rows, "bytes": path.stat().st_size,
            "version": version}


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def check_legacy(workspace: Path) -> None:
    """An old pickle workspace (and no manifest): one clear message, the pickle never opened."""
    old = workspace / LEGACY_SNAPSHOT
    if old.exists() and not manifest_path(workspace).exists():
        raise WorkspaceError(
            f"the workspace {workspace} was written by an older IIKG as a pickle ({old}), which is unsafe "
            f"to open, so it cannot be read by this version; rebuild it: move it aside (mv {old} {old}.old) "
            f"and load your files again (kg --workspace {workspace} load seed, then kg load deals FILE / "
            f"kg demo / kg load news FILE)")


def _prev_is_good(workspace: Path, damaged: Path) -> bool:
    """The previous version's manifest is there, readable, and does not name ``damaged``."""
    prev = workspace / STORE_DIR / PREVIOUS
    if damaged == prev:
        return False
    try:
        m = json.loads(prev.read_text("utf-8"))
        return damaged.name not in {e["file"] for e in m["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _bad(path: Path, why: str, workspace: Path) -> WorkspaceError:
    prev = workspace / STORE_DIR / PREVIOUS
    cur = workspace / STORE_DIR / MANIFEST
    advice = (f"the previous version is intact: go back to it with mv {prev} {cur}"
              if _prev_is_good(workspace, path) else
              f"move the workspace aside (mv {workspace} {workspace}.damaged) and load your files again")
    why = " ".join(str(why).split())[:300]  # one line, whatever the decoder said
    return WorkspaceError(f"the workspace file {path} cannot be read ({why}); {advice}")


def read_manifest(workspace: Path) -> tuple[dict | None, tuple | None]:
    """(manifest, signature) of the current version; (None, None) for a new workspace."""
    path = manifest_path(workspace)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            raw = fh.read()
    except FileNotFoundError:
        check_legacy(workspace)
        folder = workspace / STORE_DIR
        if (folder / PREVIOUS).exists() or any(folder.glob("*.parquet")):
            raise WorkspaceError(
                f"the workspace manifest {path} is missing, but {folder} holds data written before; "
                f"restore it (mv {folder / PREVIOUS} {path} goes back one version) or move {folder} "
                f"aside and load your files again") from None
        return None, None
    try:
        m = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"not a manifest: {type(exc).__name__}: {exc}", workspace) from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise _bad(path, "not an IIKG workspace manifest", workspace)
    fv = m.get("format_version")
    if not isinstance(fv, int) or fv > FORMAT_VERSION:
        raise WorkspaceError(
            f"the workspace file {path} cannot be read: it was written by a newer IIKG (workspace format "
            f"{fv}; this one reads format {FORMAT_VERSION} and older); upgrade IIKG to open it")
    if not isinstance(m.get("files"), list) or not isinstance(m.get("version"), int):
        raise _bad(path, "incomplete manifest", workspace)
    m.setdefault("imports", [])
    return m, (st.st_ino, st.st_mtime_ns, st.st_size)


class Tables:
    """One version of the workspace in memory: each label's and type's table, folded."""

    def __init__(self, manifest: dict, nodes: dict[str, pa.Table], rels: dict[str, pa.Table], sig,
                 starts: dict | None = None):
        self.manifest, self.nodes, self.rels, self.sig = manifest, nodes, rels, sig
        # type -> the start node of each row (see _starts), when known (not for a mapped copy)
        self.starts: dict[str, tuple] = starts or {}

    @property
    def version(self) -> int:
        return self.manifest["version"]


def _read_file(folder: Path, entry: dict, workspace: Path, nodes=None, starts: dict | None = None) -> pa.Table:
    path = folder / str(entry.get("file", ""))
    if path.parent != folder:
        raise _bad(manifest_path(workspace), f"a file outside the workspace: {entry.get('file')!r}", workspace)
    size = path.stat().st_size  # FileNotFoundError: handled by the caller (a writer removed it: retry)
    if size != entry.get("bytes"):
        raise _bad(path, f"{size} bytes, the manifest says {entry.get('bytes')}: truncated or replaced", workspace)
    try:
        t = pq.ParquetFile(path, page_checksum_verification=True).read()
    except Exception as exc:  # noqa: BLE001 - any decoding failure of a damaged file
        raise _bad(path, f"{type(exc).__name__}: {exc}", workspace) from None
    if t.num_rows != entry.get("rows"):
        raise _bad(path, f"{t.num_rows} rows, the manifest says {entry.get('rows')}", workspace)
    if entry.get("kind") == "rels" and "_start" not in t.column_names:
        try:
            if starts is not None:
                starts[entry["file"]] = _starts(t.column("_start_label"), t.column("_start_pos"))
            t = _rels_from_disk(t, nodes)
        except (KeyError, ValueError, IndexError, pa.ArrowException) as exc:
            raise _bad(path, f"{type(exc).__name__}: {exc}", workspace) from None
    return t


def read_version(workspace: Path) -> Tables:
    """The current version, read whole (retried when a writer replaced it while reading)."""
    workspace = Path(workspace)
    folder = workspace / STORE_DIR
    for attempt in range(_RETRIES):
        m, sig = read_manifest(workspace)
        if m is None:
            return Tables(empty_manifest(), {}, {}, None)
        nodes: dict[str, pa.Table] = {}
        rels: dict[str, pa.Table] = {}
        starts: dict[str, tuple | None] = {}
        try:
            # nodes first: relationship files name their ends by (label, position) in the node tables
            for e in sorted(m["files"], key=lambda e: e.get("kind") != "nodes"):
                if e.get("kind") == "nodes":
                    t = _read_file(folder, e, workspace, nodes)
                    nodes[e["name"]] = fold(nodes.get(e["name"]), t, "nodes")
                    continue
                got: dict = {}
                t = _read_file(folder, e, workspace, nodes, got)
                name = e["name"]
                rels[name], starts[name] = _fold_rels(rels.get(name), starts.get(name), t, got.get(e.get("file")))
        except FileNotFoundError:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
            continue
        return Tables(m, nodes, rels, sig, {k: v for k, v in starts.items() if v is not None})
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------- mapped copy
CACHE_DIR = "cache"  # WORKSPACE/cache/<version>-<digest>/: Arrow IPC files of one version, derived


def _cache_name(m: dict) -> str:
    import hashlib

    digest = hashlib.sha256(json.dumps(m["files"], sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return f"v{m['version']:06d}-{digest}"


def read_mapped(workspace: Path) -> Tables:
    """The current version as Arrow tables memory-mapped from an uncompressed Arrow IPC copy of it
    (``WORKSPACE/cache/v…-<digest of the manifest's files>/``), written by the first reader of the
    version that asks (temporary folder, then one rename) and shared read-only by every process
    that maps it: the operating system keeps one copy of the pages for all of them. The Parquet
    files stay the workspace; the copy is derived (delete it any time) and never pickled. A copy
    that cannot be read is ignored (the version is read from Parquet and the copy written again)."""
    workspace = Path(workspace)
    tables = None
    for _ in range(_RETRIES):
        m, sig = read_manifest(workspace)
        if m is None:
            return Tables(empty_manifest(), {}, {}, None)
        folder = workspace / CACHE_DIR / _cache_name(m)
        if folder.is_dir():
            try:
                return _map_folder(folder, m, sig)
            except (OSError, ValueError, KeyError, pa.ArrowException):
                import shutil

                shutil.rmtree(folder, ignore_errors=True)  # damaged or half removed: made again from Parquet
        tables = read_version(workspace)
        if tables.manifest.get("version") == m["version"]:
            break
    _write_cache(workspace, tables)
    folder = workspace / CACHE_DIR / _cache_name(tables.manifest)
    try:
        return _map_folder(folder, tables.manifest, tables.sig)
    except (OSError, ValueError, KeyError, pa.ArrowException):
        return tables


def _map_folder(folder: Path, m: dict, sig) -> Tables:
    import pyarrow.ipc as ipc

    index = json.loads((folder / "tables.json").read_text("utf-8"))
    out: dict[str, dict[str, pa.Table]] = {"nodes": {}, "rels": {}}
    for e in index:
        with pa.memory_map(str(folder / e["file"]), "r") as src:
            t = ipc.open_file(src).read_all()
        if t.num_rows != e["rows"]:
            raise ValueError(f"{e['file']}: {t.num_rows} rows, expected {e['rows']}")
        out[e["kind"]][e["name"]] = t
    return Tables(m, out["nodes"], out["rels"], sig)


def _write_cache(workspace: Path, tables: Tables) -> None:
    """The Arrow IPC copy of ``tables`` (atomically: a temporary folder renamed), and the copies of
    versions other than this one removed."""
    import shutil

    import pyarrow.ipc as ipc

    root = workspace / CACHE_DIR
    root.mkdir(exist_ok=True)
    name = _cache_name(tables.manifest)
    final = root / name
    if not final.is_dir():
        tmp = root / f".{name}.{os.getpid()}.{secrets.token_hex(3)}.tmp"
        tmp.mkdir()
        index = []
        for kind, group in (("nodes", tables.nodes), ("rels", tables.rels)):
            for k, (tname, t) in enumerate(group.items()):
                fname = f"{kind}-{k:03d}-{_safe(tname)}.arrow"
                with pa.OSFile(str(tmp / fname), "wb") as sink, ipc.new_file(sink, t.schema) as w:
                    w.write_table(t.combine_chunks())
                index.append({"kind": kind, "name": tname, "file": fname, "rows": t.num_rows})
        (tmp / "tables.json").write_text(json.dumps(index, ensure_ascii=False), "utf-8")
        try:
            os.rename(tmp, final)
        except OSError:  # another reader renamed its copy first: same content
            shutil.rmtree(tmp, ignore_errors=True)
    for p in root.iterdir():
        if p.name != name:  # older versions (a process still mapping one keeps its pages until it lets go)
            shutil.rmtree(p, ignore_errors=True)


def write_version(workspace: Path, current: Tables, *, delta_nodes: dict[str, pa.Table],
                  delta_rels: dict[str, pa.Table], stats: dict, imports: list, compact: bool | None = None,
                  replace_all: bool = False, positions: dict | None = None, hint=None,
                  known_ends: dict | None = None) -> Tables:
    """Write the next version: append the delta tables as new files (or, compacting, each whole
    table as one file), then replace the manifest atomically. Returns the new version in memory.
    The caller holds the workspace's writer lock.

    ``known_ends``: ``{type: (start, end)}``, each the index among ``hint``'s nodes of every end of
    that type's delta rows (all new), as the plan found them: those ends are not looked up again
    (the dict is emptied once read: a 1M-deal load's ends are not held twice while it is written)."""
    workspace = Path(workspace)
    folder = workspace / STORE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    version = current.version + 1
    rel_pos: dict[str, np.ndarray | None] = {}  # each delta relationship row's place before (-1: new)
    if replace_all:
        nodes, rels = dict(delta_nodes), dict(delta_rels)
    else:
        nodes, rels = dict(current.nodes), dict(current.rels)
        positions = positions or {}
        for name, t in delta_nodes.items():
            nodes[name] = fold(nodes.get(name), t, "nodes", positions.get(("nodes", name)))
        for name, t in delta_rels.items():
            base, pos = rels.get(name), positions.get(("rels", name))
            if base is not None and base.num_rows and t.num_rows and pos is None:
                pos = positions_of(t, base, "rels")
            rel_pos[name] = pos
            rels[name] = fold(base, t, "rels", pos)
    old_files = current.manifest.get("files", [])
    if compact is None:
        base = sum(e["rows"] for e in old_files if e.get("base"))
        deltas = [e for e in old_files if not e.get("base")]
        new_rows = sum(t.num_rows for t in (*delta_nodes.values(), *delta_rels.values()))
        versions = {e["version"] for e in deltas} | {version}
        compact = (replace_all or not old_files or len(versions) > 8
                   or sum(e["rows"] for e in deltas) + new_rows > max(base // 4, 20_000))
    files = []
    known = _known_ends({k: v for k, v in (known_ends or {}).items() if k in delta_rels}, hint, nodes)
    if known_ends:
        known_ends.clear()
    if compact:
        ends = _compact_ends(rels, nodes, current.rels, delta_rels, known, positions or {})
        jobs = [(kind, name, t, None) for kind, tables in (("nodes", nodes), ("rels", rels))
                for name, t in tables.items() if t.num_rows]
    else:
        files = list(old_files)
        ends = dict(known)
        rest = {k: t for k, t in delta_rels.items() if k not in known}
        ends |= _ends_at_once(rest, nodes, hint) or {}
        jobs = [(kind, name, t, hint) for kind, tables in (("nodes", delta_nodes), ("rels", delta_rels))
                for name, t in tables.items() if t.num_rows]

    written: dict[str, tuple] = {}  # type -> the starts of the rows written

    def write(job) -> dict:
        kind, name, t, h = job
        entry = _write_table(folder, version, kind, name, t, nodes, h, ends.get(name) if kind == "rels" else None,
                             written)
        return entry | {"base": True} if compact else entry

    big = sum(j[2].num_rows for j in jobs) > _PARALLEL_ROWS
    if big and len(jobs) > 1:
        # Parquet encoding and zstd release the GIL: two tables written at once on two cores
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            files.extend(pool.map(write, jobs))
    else:
        files.extend(write(j) for j in jobs)
    m = {"format": FORMAT, "format_version": FORMAT_VERSION, "version": version, "files": files,
         "stats": stats, "imports": imports, "written_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    cur = folder / MANIFEST
    if current.sig is not None and cur.exists():
        # keep the version before as manifest.prev.json (a copy, then the new one over the current)
        _write_json_atomic(folder / PREVIOUS, current.manifest)
    _fsync_dir(folder)
    _write_json_atomic(cur, m)
    _fsync_dir(folder)
    st = cur.stat()
    _collect_garbage(folder, m, current.manifest)
    if compact:
        starts = {k: written[k] for k, t in rels.items() if k in written}
    else:
        starts = dict(current.starts)
        for name, t in delta_rels.items():
            if not t.num_rows:
                continue
            before = current.rels.get(name)
            if before is None or before.num_rows == 0:
                s = written.get(name)
            else:
                pos = rel_pos.get(name)
                s = _starts_cat(starts.get(name), _starts_take(written.get(name), pos < 0)) if pos is not None else None
            if s is None:
                starts.pop(name, None)
            else:
                starts[name] = s
    return Tables(m, nodes, rels, (st.st_ino, st.st_mtime_ns, st.st_size), starts)


def _collect_garbage(folder: Path, *manifests: dict) -> None:
    """Remove data files no kept manifest names, and temporary files of writers that died."""
    keep = {e["file"] for m in manifests for e in m.get("files", [])}
    for p in folder.iterdir():
        if p.name in (MANIFEST, PREVIOUS):
            continue
        if p.suffix == ".parquet" and p.name not in keep:
            p.unlink(missing_ok=True)
        elif p.name.endswith(".tmp"):  # callers hold the writer lock: no other writer is writing one
            p.unlink(missing_ok=True)


def clean_orphans(workspace: Path) -> None:
    """After a writer was killed: files it wrote that no manifest names (call under the writer lock)."""
    folder = Path(workspace) / STORE_DIR
    if not folder.is_dir():
        return
    manifests = []
    for name in (MANIFEST, PREVIOUS):
        try:
            manifests.append(json.loads((folder / name).read_text("utf-8")))
        except (OSError, ValueError):
            if name == MANIFEST and (folder / name).exists():
                return  # a damaged manifest: touch nothing
    if not manifests:
        if any(folder.glob("*.parquet")):
            return
    _collect_garbage(folder, *[m for m in manifests if isinstance(m, dict)])


def main(argv=None) -> int:  # pragma: no cover - a maintenance entry point
    import argparse

    ap = argparse.ArgumentParser(prog="python -m kg.store.workspace")
    ap.add_argument("command", choices=["compact", "info"])
    ap.add_argument("workspace")
    a = ap.parse_args(argv)
    from kg.store.embedded import EmbeddedStore

    s = EmbeddedStore(a.workspace)
    if a.command == "compact":
        s.compact()
    m = s._tables.manifest
    print(json.dumps({"version": m["version"], "files": len(m["files"]),
                      "bytes": sum(e["bytes"] for e in m["files"]), "stats": m["stats"]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
