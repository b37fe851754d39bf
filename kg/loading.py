"""Loading files into a store: parse, set bad rows aside, write the good ones atomically.

Shared by the CLI (``kg load …``) and the web import. Exit codes as CONTRACT.md says:
0 every row loaded, 2 some rows rejected (the rest loaded), 1 nothing loaded.
"""
from __future__ import annotations

import csv
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.store import Store
from kg.store.workspace import no_gc as _no_gc

__all__ = ["LoadReport", "load_deals", "load_seed", "write_rejects"]


@dataclass
class LoadReport:
    kind: str
    file: str | None
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    rejects_path: str | None = None
    changes: dict = field(default_factory=dict)
    encoding: str | None = None
    sheet: str | None = None
    exit_code: int = 0
    rejects: list = field(default_factory=list)  # first few rejects, for display

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "rejects"} | {
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects[:50]]}


def write_rejects(workspace: str | os.PathLike, source_name: str, header: list[str], rejects) -> str:
    """Write rejects as CSV (``line``, ``reason``, then the original columns) into
    ``WORKSPACE/rejects/`` atomically; returns its path."""
    folder = Path(workspace) / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(source_name).stem.replace(os.sep, "_")
    stem = stem.encode("utf-8")[:150].decode("utf-8", "ignore") or "file"  # file names are limited in bytes
    path = folder / f"{stem}.rejects.{time.strftime('%Y%m%d-%H%M%S')}.csv"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}.rejects.{time.strftime('%Y%m%d-%H%M%S')}-{n}.csv"
    cols = list(header)
    for r in rejects:
        for k in r.values:
            if k not in cols:
                cols.append(k)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["line", "reason", *cols])
        for r in rejects:
            w.writerow([r.line, r.reason, *[r.values.get(c, "") for c in cols]])
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return str(path)


def _progress_bar(total: int | None, desc: str):
    """A tqdm bar on stderr for large files (auto-silent when stderr is not a terminal)."""
    if not total or total < 5000:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="row", disable=None, leave=False)


def release_memory() -> None:
    """Give the memory freed by a large parse back to the system before the next phase: Arrow's
    pool (mimalloc) and glibc's heap keep freed pages for reuse, which at 1M deals held ~0.8 GB
    of pages nothing used while the write allocated its own."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc: its own heap, nothing to trim
        pass


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
_LARGE_FILE = 16 << 20  # bytes of a deals file (~130k deals) from which a load maps its large blocks


def map_large_blocks() -> None:
    """From now on, glibc maps each block of 4 MB or more on its own and gives it back when it is
    freed. By default glibc raises that threshold to the size of the largest block freed (up to
    32 MB), so a large load's numpy temporaries (8-24 MB each at 1M deals) came from its heap and
    their pages stayed with the process after they were freed: ~60 MB of the 1M load's peak."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, 4 << 20)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def load_deals(store: Store, path: str | os.PathLike, workspace: str | os.PathLike, *,
               mapping: dict | None = None, strict: bool = False, display_name: str | None = None) -> LoadReport:
    """Load a deals file. Raises :class:`InputError` when nothing can be loaded."""
    from loaders.deals import parse_deals

    path = Path(path)
    name = display_name or path.name
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > _LARGE_FILE:
        map_large_blocks()
    bar = _progress_bar(size // 80 if size > 400_000 else None, f"parsing {name}")
    try:
        with _no_gc():
            res = parse_deals(path, mapping, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    rep = LoadReport("deals", str(path), rows=res.rows, loaded=res.loaded, rejected=len(res.rejects),
                     encoding=res.encoding, sheet=res.sheet, rejects=res.rejects)
    if res.rejects:
        rep.rejects_path = write_rejects(workspace, name, res.header, res.rejects)
    if strict and res.rejects:
        rep.loaded, rep.exit_code = 0, 1
        return rep
    if res.loaded == 0:
        rep.exit_code = 1
        return rep
    record = {"kind": "deals", "file": name, "path": str(path.resolve()), "sha256": res.sha256, "rows": res.rows,
              "loaded": res.loaded, "rejected": len(res.rejects), "rejects": rep.rejects_path,
              "encoding": res.encoding, "sheet": res.sheet}
    n = len(res.batch)
    if n > 100_000:
        release_memory()  # the parse's temporaries: the writing below is where a large load peaks
    bar = _progress_bar(n if n > 20000 else None, "writing")
    batch = res.batch
    batch.consumable = True  # parsed here and dropped after: the embedded store may keep its dicts
    res.batch = None
    try:
        with _no_gc():
            rep.changes = store.apply(batch, record=record, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    rep.exit_code = 2 if res.rejects else 0
    return rep


def load_seed(store: Store) -> LoadReport:
    """The report's facts and the ontology (idempotent)."""
    from loaders.seed import seed_batch, seed_files

    batch = seed_batch()
    digest = hashlib.sha256()
    for f in seed_files():
        digest.update(f.read_bytes())
    counts = batch.counts()
    record = {"kind": "seed", "file": "report 2020 (loaders/seed_data, ontology)", "sha256": digest.hexdigest(),
              "rows": len(batch), "loaded": len(batch), "rejected": 0}
    rep = LoadReport("seed", None, rows=len(batch), loaded=len(batch))
    rep.changes = store.apply(batch, record=record)
    rep.changes["batch"] = counts
    return rep


def check_input(path) -> None:
    if path is None:
        raise InputError("no file given")


def prepare_reads(store) -> None:
    """After a load: nothing left to prepare. The embedded workspace is columnar, and a reader
    (a server start, a CLI query) builds its query index from the tables in a fraction of a second
    (no index file is kept: reading one back would cost as much, and it was a pickle)."""
    return None
