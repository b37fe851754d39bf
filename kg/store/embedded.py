"""The embedded store: a networkx MultiDiGraph in memory, kept in the workspace folder.

The whole state (graph and import manifest) is one snapshot file, ``graph.pickle``. Every write
goes to a temporary file in the same folder, is fsynced and renamed over the snapshot, so a load
killed at any point leaves the workspace exactly as before it or exactly as after it. Writers
take an exclusive lock on ``.lock``; readers never block.

Nodes are keyed by their ``id`` property and carry their label in ``_label``; relationships are keyed by type
(``G.edges[u, v, "INVESTED_IN"]``), so each (type, start, end) exists once.
"""
from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import pickle
import time
from pathlib import Path

import networkx as nx

from kg.errors import WorkspaceError
from kg.model import LIST_PROPS, Batch, merge_props

__all__ = ["EmbeddedStore", "SNAPSHOT"]

SNAPSHOT = "graph.pickle"
WRITTEN = ".snapshot-written"
FORMAT = 1


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


def _draining(d: dict):
    """``d.items()`` in order, each item removed as it is handed out (its memory freed as it goes)."""
    for k in list(d):
        yield k, d.pop(k)
    d.clear()


class EmbeddedStore:
    """networkx graph persisted atomically in ``workspace``."""

    kind = "embedded"

    def __init__(self, workspace: str | os.PathLike):
        self.workspace = Path(workspace)
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.path = self.workspace / SNAPSHOT
        self.graph = nx.MultiDiGraph()
        self.manifest: list[dict] = []
        self.version = 0  # bumps on every change seen by this process: caches key on it
        self._mtime = None
        self._by_label: dict[str, list[str]] | None = None
        self._stats: dict | None = None  # counts by label and type, kept in the snapshot and by apply
        self._remove_stale_temp_files()
        self.reload()

    def _remove_stale_temp_files(self) -> None:
        """Temporary snapshots left by a writer that was killed (its pid is gone) are garbage."""
        for tmp in self.workspace.glob(f".{SNAPSHOT}.*.tmp"):
            try:
                pid = int(tmp.name.split(".")[-2])
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError):
                tmp.unlink(missing_ok=True)
            except PermissionError:
                pass

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        """Read the snapshot from disk (an empty graph when there is none)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            moved_aside = any(self.workspace.glob(f"{SNAPSHOT}.*"))  # the advice for a damaged one was taken
            if (self.workspace / WRITTEN).exists() and not moved_aside:
                raise WorkspaceError(
                    f"the workspace snapshot {self.path} is missing, but a snapshot was written in "
                    f"{self.workspace} before. Restore graph.pickle, or start afresh: remove "
                    f"{self.workspace / WRITTEN} (or use an empty folder) and load your files again.") from None
            self.graph, self.manifest, self._mtime = nx.MultiDiGraph(), [], None
            self._stats = {"nodes": {}, "relationships": {}}
            self._changed()
            return
        try:
            with open(self.path, "rb") as fh:
                # millions of small dicts: the cyclic GC would walk them again and again while loading
                gc_was = gc.isenabled()
                gc.disable()
                try:
                    state = pickle.load(fh)
                finally:
                    if gc_was:
                        gc.enable()
            if not isinstance(state, dict) or state.get("format") != FORMAT:
                raise ValueError("unknown snapshot format")
        except Exception as exc:  # corrupt, truncated or foreign file
            raise WorkspaceError(
                f"the workspace snapshot {self.path} cannot be read ({type(exc).__name__}: {exc}). "
                f"Move it aside (mv {self.path} {self.path}.damaged) and load your files again."
            ) from None
        had_graph = self.graph.number_of_nodes() > 0
        self.graph, self.manifest = state["graph"], state.get("imports", [])
        stats = state.get("stats")
        self._stats = stats if isinstance(stats, dict) and {"nodes", "relationships"} <= stats.keys() else None
        self._mtime = (st.st_mtime_ns, st.st_size)
        # the loaded graph is long-lived: keep it out of later collections (latency spikes); the graph
        # it replaces must be collected first, or freezing would keep it alive for good
        gc.unfreeze()
        if had_graph:
            gc.collect()
        gc.freeze()
        self._changed()

    def refresh(self) -> bool:
        """Reload if another process wrote a newer snapshot; True when it did."""
        try:
            st = self.path.stat()
            sig = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            sig = None
        if sig != self._mtime:
            self.reload()
            return True
        return False

    def _changed(self) -> None:
        self.version += 1
        self._by_label = None

    def nodes_by_label(self, label: str) -> list[str]:
        """Ids of the nodes with ``label`` (index rebuilt after each change)."""
        if self._by_label is None:
            idx: dict[str, list[str]] = {}
            for n, d in self.graph.nodes(data=True):
                idx.setdefault(d.get("_label"), []).append(n)
            self._by_label = idx
        return self._by_label.get(label, [])

    def stats(self) -> dict:
        """Counts of nodes by label and relationships by type (kept with the snapshot: no graph walk)."""
        if self._stats is None:
            self._stats = self._count()
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

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def _lock(self):
        with open(self.workspace / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def apply(self, batch: Batch, *, record: dict | None = None, progress=None) -> dict:
        """Upsert ``batch`` and append ``record`` to the import manifest, atomically on disk.

        Returns counts of what changed: nodes_created, nodes_updated, rels_created, rels_updated.
        """
        with self._lock():
            self.refresh()
            try:
                counts = self._apply(batch, progress)
                if record is not None:
                    self.manifest.append({**record, "changes": counts, "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
                if counts["nodes_created"] or counts["nodes_updated"] or counts["rels_created"] \
                        or counts["rels_updated"] or record is not None:
                    self._save()
            except BaseException:
                # leave memory as the disk is: nothing half-applied survives an error or Ctrl-C
                self.reload()
                raise
            self._changed()
            return counts

    def _apply(self, batch: Batch, progress=None) -> dict:
        """Upsert into the graph's own dicts (what ``add_node``/``add_edge`` do, without their
        per-call overhead: a million-deal load is several million items)."""
        G = self.graph
        node, succ, pred = G._node, G._succ, G._pred
        c = {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
        created = updated = 0
        # a batch handed over for good (``batch.consumable``, set by kg.loading for the batch it
        # parsed and drops afterwards) is emptied as it is written, and gives its relationship
        # dicts to the graph instead of copies: a million-deal load then never holds two copies
        take = getattr(batch, "consumable", False) is True
        new_nodes: dict[str, int] = {}
        new_rels: dict[str, int] = {}
        for label, nodes in batch.nodes.items():
            before = created
            for nid, props in (_draining(nodes) if take else nodes.items()):
                cur = node.get(nid)
                if cur is not None:
                    if _merge(cur, props):
                        updated += 1
                else:
                    d = {"_label": label}
                    d.update(props)
                    node[nid] = d
                    succ[nid] = {}
                    pred[nid] = {}
                    created += 1
                if progress:
                    progress(1)
            if created > before:
                new_nodes[label] = new_nodes.get(label, 0) + created - before
        c["nodes_created"], c["nodes_updated"] = created, updated
        created = updated = 0
        for type_, rels in batch.rels.items():
            before = created
            for (s, e), props in (_draining(rels) if take else rels.items()):
                out = succ.get(s)
                if out is None or e not in node:
                    raise WorkspaceError(f"relationship {type_} refers to a missing node: {s!r} -> {e!r}")
                keys = out.get(e)
                if keys is None:
                    keys = out[e] = {}
                    pred[e][s] = keys
                cur = keys.get(type_)
                if cur is not None:
                    if _merge(cur, props):
                        updated += 1
                else:
                    keys[type_] = props if take else dict(props)
                    created += 1
                if progress:
                    progress(1)
            if created > before:
                new_rels[type_] = new_rels.get(type_, 0) + created - before
        c["rels_created"], c["rels_updated"] = created, updated
        if self._stats is not None:
            for part, new in (("nodes", new_nodes), ("relationships", new_rels)):
                counts = self._stats[part]
                for k, n in new.items():
                    counts[k] = counts.get(k, 0) + n
        if hasattr(nx, "_clear_cache"):
            nx._clear_cache(G)
        return c

    def _save(self) -> None:
        state = {"format": FORMAT, "graph": self.graph, "imports": self.manifest, "stats": self.stats()}
        tmp = self.path.with_name(f".{SNAPSHOT}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        marker = self.workspace / WRITTEN
        if not marker.exists():  # from now on a missing snapshot is an accident, not a new workspace
            marker.touch()
        dfd = os.open(self.workspace, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        st = self.path.stat()
        self._mtime = (st.st_mtime_ns, st.st_size)

    def clear(self) -> None:
        """Remove everything (atomic like every write)."""
        with self._lock():
            self.graph, self.manifest = nx.MultiDiGraph(), []
            self._stats = {"nodes": {}, "relationships": {}}
            self._save()
            self._changed()

    def close(self) -> None:
        pass
