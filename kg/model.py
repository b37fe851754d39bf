"""The unit of writing: a :class:`Batch` of nodes and relationships keyed by their natural keys.

Loaders build batches; every store applies a batch as one atomic, idempotent upsert:
node properties that are not None overwrite, list properties (``aliases``, ``sources``) are
unions, and relationships are unique per (type, start, end).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Batch", "TableBatch", "merge_props", "LIST_PROPS"]

LIST_PROPS = ("sources", "aliases", "news")


def merge_props(old: dict, new: dict) -> bool:
    """Merge ``new`` into ``old`` in place (None never overwrites; lists union). True if changed."""
    changed = False
    for k, v in new.items():
        if v is None:
            continue
        if k in LIST_PROPS:
            cur = list(old.get(k) or [])
            add = [x for x in v if x not in cur]
            if k not in old or add:
                old[k] = cur + add
                changed = True
            continue
        if old.get(k) != v:
            old[k] = v
            changed = True
    return changed


@dataclass
class Batch:
    """Nodes by label and id, relationships by type and (start id, end id)."""

    nodes: dict[str, dict[str, dict]] = field(default_factory=dict)
    rels: dict[str, dict[tuple[str, str], dict]] = field(default_factory=dict)

    def node(self, label: str, id: str, source: str | None = None, /, **props) -> str:
        """Add or merge a node; returns its id."""
        props = {k: v for k, v in props.items() if v is not None}
        props["id"] = id
        if source:
            props["sources"] = [source]
        if props.get("aliases") is not None:
            props["aliases"] = list(dict.fromkeys(props["aliases"]))
        bucket = self.nodes.setdefault(label, {})
        if id in bucket:
            merge_props(bucket[id], props)
        else:
            bucket[id] = props
        return id

    def rel(self, type: str, start: str, end: str, source: str | None = None, /, **props) -> None:
        props = {k: v for k, v in props.items() if v is not None}
        if source:
            props["sources"] = [source]
        bucket = self.rels.setdefault(type, {})
        key = (start, end)
        if key in bucket:
            merge_props(bucket[key], props)
        else:
            bucket[key] = props

    def extend(self, other: "Batch") -> None:
        for label, nodes in other.nodes.items():
            for nid, props in nodes.items():
                self.node(label, nid, **{k: v for k, v in props.items() if k != "id"})
        for type_, rels in other.rels.items():
            for (s, e), props in rels.items():
                self.rel(type_, s, e, **props)

    def __len__(self) -> int:
        return sum(map(len, self.nodes.values())) + sum(map(len, self.rels.values()))

    def counts(self) -> dict:
        return {"nodes": {k: len(v) for k, v in self.nodes.items()},
                "relationships": {k: len(v) for k, v in self.rels.items()}}


class TableBatch(Batch):
    """A :class:`Batch` held as Arrow tables, one row per node or relationship, already merged by
    the rules of :meth:`Batch.node`/:meth:`Batch.rel` (the deals loader builds it vectorised).

    ``node_tables[label]`` has the key column ``id``, ``rel_tables[type]`` the columns ``_start`` and
    ``_end``; every other column is a property (null: the node does not have it). The embedded
    store writes the tables as they are; any other reader of ``.nodes``/``.rels`` gets the dicts of
    a plain :class:`Batch`, made on first use (from then on the dicts are the batch: changing them
    is allowed, and the tables are dropped).
    """

    def __init__(self, nodes: dict, rels: dict):  # noqa: D107 - no dataclass fields of its own
        self.node_tables: dict | None = dict(nodes)
        self.rel_tables: dict | None = dict(rels)
        self._dicts: tuple[dict, dict] | None = None

    @property
    def is_tables(self) -> bool:
        """True while the tables are the batch (nothing has asked for the dicts)."""
        return self._dicts is None

    def _materialise(self) -> tuple[dict, dict]:
        if self._dicts is None:
            from kg.store.workspace import decode_rows

            nodes = {label: {row["id"]: row for row in decode_rows(t)} for label, t in self.node_tables.items()}
            rels = {}
            for type_, t in self.rel_tables.items():
                keys = zip(t.column("_start").to_pylist(), t.column("_end").to_pylist())
                rels[type_] = dict(zip(keys, decode_rows(t, skip=("_start", "_end"))))
            self._dicts = (nodes, rels)
            self.node_tables = self.rel_tables = None
        return self._dicts

    @property
    def nodes(self) -> dict:  # type: ignore[override]
        return self._materialise()[0]

    @property
    def rels(self) -> dict:  # type: ignore[override]
        return self._materialise()[1]

    def __len__(self) -> int:
        if self._dicts is None:
            return sum(t.num_rows for t in (*self.node_tables.values(), *self.rel_tables.values()))
        return super().__len__()

    def counts(self) -> dict:
        if self._dicts is None:
            return {"nodes": {k: t.num_rows for k, t in self.node_tables.items()},
                    "relationships": {k: t.num_rows for k, t in self.rel_tables.items()}}
        return super().counts()
