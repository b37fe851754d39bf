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
           "Tables", "read_version", "write_version", "encode_rows", "decode_rows", "empty_manifest",
           "manifest_path", "check_legacy", "no_gc"]

FORMAT = "iikg-workspace"
FORMAT_VERSION = 1
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


def _column(values: list) -> tuple[pa.Array, bool]:
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
        arr, is_json = _column([r.get(c) for r in rows])
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


def fold(base: pa.Table | None, delta: pa.Table, kind: str) -> pa.Table:
    """``base`` with the rows of ``delta`` replacing those with the same key in place, new keys appended."""
    if base is None or base.num_rows == 0:
        return delta
    if delta.num_rows == 0:
        return base
    base, delta = unify([base, delta])
    pos = pc.index_in(key_array(delta, kind), value_set=key_array(base, kind)).to_numpy(zero_copy_only=False)
    n = base.num_rows
    found = ~np.isnan(pos) if pos.dtype.kind == "f" else np.ones(len(pos), bool)
    order = np.arange(n, dtype=np.int64)
    combined = pa.concat_tables([base, delta])
    d_idx = np.arange(len(pos), dtype=np.int64) + n
    order[pos[found].astype(np.int64)] = d_idx[found]
    order = np.concatenate([order, d_idx[~found]])
    return combined.take(pa.array(order))


# ---------------------------------------------------------------------------------------------- files
def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)[:60] or "x"


def _write_table(folder: Path, version: int, kind: str, name: str, table: pa.Table) -> dict:
    fname = f"v{version:06d}-{kind}-{_safe(name)}-{secrets.token_hex(3)}.parquet"
    path = folder / fname
    with open(path, "wb") as fh:
        pq.write_table(table, fh, compression="zstd", write_page_checksum=True)
        fh.flush()
        os.fsync(fh.fileno())
    return {"kind": kind, "name": name, "file": fname, "rows": table.num_rows, "bytes": path.stat().st_size,
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

    def __init__(self, manifest: dict, nodes: dict[str, pa.Table], rels: dict[str, pa.Table], sig):
        self.manifest, self.nodes, self.rels, self.sig = manifest, nodes, rels, sig

    @property
    def version(self) -> int:
        return self.manifest["version"]


def _read_file(folder: Path, entry: dict, workspace: Path) -> pa.Table:
    path = folder / str(entry.get("file", ""))
    if path.parent != folder:
        raise _bad(manifest_path(workspace), f"a file outside the workspace: {entry.get('file')!r}", workspace)
    size = path.stat().st_size  # FileNotFoundError: handled by the caller (a writer removed it: retry)
    if size != entry.get("bytes"):
        raise _bad(path, f"{size} bytes, the manifest says {entry.get('bytes')}: truncated or replaced", workspace)
    try:
        t = pq.read_table(path, page_checksum_verification=True)
    except Exception as exc:  # noqa: BLE001 - any decoding failure of a damaged file
        raise _bad(path, f"{type(exc).__name__}: {exc}", workspace) from None
    if t.num_rows != entry.get("rows"):
        raise _bad(path, f"{t.num_rows} rows, the manifest says {entry.get('rows')}", workspace)
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
        try:
            for e in m["files"]:
                t = _read_file(folder, e, workspace)
                into = nodes if e.get("kind") == "nodes" else rels
                into[e["name"]] = fold(into.get(e["name"]), t, e["kind"])
        except FileNotFoundError:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
            continue
        return Tables(m, nodes, rels, sig)
    raise AssertionError("unreachable")


def write_version(workspace: Path, current: Tables, *, delta_nodes: dict[str, pa.Table],
                  delta_rels: dict[str, pa.Table], stats: dict, imports: list, compact: bool | None = None,
                  replace_all: bool = False) -> Tables:
    """Write the next version: append the delta tables as new files (or, compacting, each whole
    table as one file), then replace the manifest atomically. Returns the new version in memory.
    The caller holds the workspace's writer lock."""
    workspace = Path(workspace)
    folder = workspace / STORE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    version = current.version + 1
    if replace_all:
        nodes, rels = dict(delta_nodes), dict(delta_rels)
    else:
        nodes, rels = dict(current.nodes), dict(current.rels)
        for name, t in delta_nodes.items():
            nodes[name] = fold(nodes.get(name), t, "nodes")
        for name, t in delta_rels.items():
            rels[name] = fold(rels.get(name), t, "rels")
    old_files = current.manifest.get("files", [])
    if compact is None:
        base = sum(e["rows"] for e in old_files if e.get("base"))
        deltas = [e for e in old_files if not e.get("base")]
        new_rows = sum(t.num_rows for t in (*delta_nodes.values(), *delta_rels.values()))
        versions = {e["version"] for e in deltas} | {version}
        compact = (replace_all or not old_files or len(versions) > 8
                   or sum(e["rows"] for e in deltas) + new_rows > max(base // 4, 20_000))
    files = []
    if compact:
        for kind, tables in (("nodes", nodes), ("rels", rels)):
            for name, t in tables.items():
                if t.num_rows:
                    files.append(_write_table(folder, version, kind, name, t) | {"base": True})
    else:
        files = list(old_files)
        for kind, tables in (("nodes", delta_nodes), ("rels", delta_rels)):
            for name, t in tables.items():
                if t.num_rows:
                    files.append(_write_table(folder, version, kind, name, t))
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
    return Tables(m, nodes, rels, (st.st_ino, st.st_mtime_ns, st.st_size))


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
