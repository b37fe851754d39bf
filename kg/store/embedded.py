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
from kg.model import Batch, merge_props

__all__ = ["EmbeddedStore", "SNAPSHOT"]

SNAPSHOT = "graph.pickle"
FORMAT = 1


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
            self.graph, self.manifest, self._mtime = nx.MultiDiGraph(), [], None
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
                f"Move it aside and load your files again, or restore {self.path.name}.bak if present."
            ) from None
        self.graph, self.manifest = state["graph"], state.get("imports", [])
        self._mtime = (st.st_mtime_ns, st.st_size)
        gc.freeze()  # the loaded graph is long-lived: keep it out of later collections (latency spikes)
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
        G = self.graph
        c = {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
        for label, nodes in batch.nodes.items():
            for nid, props in nodes.items():
                if nid in G:
                    cur = G.nodes[nid]
                    if merge_props(cur, props):
                        c["nodes_updated"] += 1
                else:
                    G.add_node(nid, _label=label, **props)
                    c["nodes_created"] += 1
                if progress:
                    progress(1)
        for type_, rels in batch.rels.items():
            for (s, e), props in rels.items():
                if s not in G or e not in G:
                    raise WorkspaceError(f"relationship {type_} refers to a missing node: {s!r} -> {e!r}")
                if G.has_edge(s, e, key=type_):
                    if merge_props(G.edges[s, e, type_], props):
                        c["rels_updated"] += 1
                else:
                    G.add_edge(s, e, key=type_, **props)
                    c["rels_created"] += 1
                if progress:
                    progress(1)
        return c

    def _save(self) -> None:
        state = {"format": FORMAT, "graph": self.graph, "imports": self.manifest}
        tmp = self.path.with_name(f".{SNAPSHOT}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
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
            self._save()
            self._changed()

    def close(self) -> None:
        pass
