"""Stores: where the graph lives. Every backend implements :class:`Store` (writing, counts) and
:class:`GraphReader` (reading); :func:`open_store` chooses one from the configuration.

- ``embedded`` (default): a columnar workspace (Parquet tables + a JSON manifest, no pickle;
  ``kg.store.workspace``, docs/STORE.md), read in memory as Arrow tables.
- ``neo4j`` / ``falkordb``: a Cypher server (``kg.store.cypher``), same batches, same answers.

:class:`GraphReader` is the read interface of issue 19 (docs/INTERFACES.md, "Read interface
(GraphReader)"): callers outside ``kg/store`` use it and nothing else of a store (no networkx
graph, no tables, no raw Cypher, no asking which backend it is; ``tests/test_store_boundary.py``
checks it). All three stores implement it with the same tables and values
(``tests/test_conformance.py``); ``kg.store.reading`` holds the rules they share.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from kg.config import Config
from kg.errors import BackendError
from kg.model import Batch

__all__ = ["GraphReader", "Store", "open_store"]


@runtime_checkable
class Store(Protocol):
    kind: str

    def apply(self, batch: Batch, *, record: dict | None = None, progress=None) -> dict:
        """Upsert a batch by natural key, atomically and idempotently; log ``record`` as an import."""

    def stats(self) -> dict:
        """``{"nodes": {label: n}, "relationships": {type: n}}``"""

    def imports(self) -> list[dict]:
        """The import manifest: one record per load."""

    def close(self) -> None: ...


@runtime_checkable
class GraphReader(Protocol):
    """What readers (queries, chat, web, report, exports) may ask of any store.

    Tables are ``pyarrow.Table``; values are plain Python (str, int, float, bool, list of str; a
    property whose values mix types comes back as JSON text in :meth:`entities`, decoded everywhere
    else). Ids are the natural keys of docs/INTERFACES.md (``investor:<name>``, ``round:…``).
    """

    version: int
    """Changes on every write this process sees (after :meth:`refresh`): key caches on it."""

    def refresh(self) -> bool:
        """Pick up another process's write; True when the version changed."""

    def entity(self, key: str) -> dict | None:
        """One node by id: its properties plus ``_label``; None when there is none."""

    def entities(self, kind: str, columns: list[str] | None = None) -> Any:
        """Every node of label ``kind`` as a table: ``id`` and its property columns."""

    def relationships(self, type_: str) -> Any:
        """Every relationship of ``type_`` as a table: ``_start``, ``_end`` and its properties."""

    def neighbours(self, key: str, type_: str | None = None, direction: str = "both") -> list[tuple]:
        """``(type, other id, "out"|"in", properties)`` of each relationship at node ``key``."""

    def deals(self) -> Any:
        """Rounds as filterable columns: the Round properties (``id``, ``type``, ``date``, ``year``,
        ``amount_cny``, …) plus ``company_id`` (who RAISED it); filter with ``pyarrow.compute``."""

    def catalogue(self) -> Any:
        """The name catalogue: ``id``, ``label``, ``name`` (a policy's title), ``aliases``."""

    def stats(self) -> dict:
        """``{"nodes": {label: n}, "relationships": {type: n}}``"""

    def run_named(self, query: Any, p: Any, statements: dict) -> dict:
        """Answer a named query the way this store does best (the embedded store with the query's
        Python plan over its index, a Cypher store with ``statements``); the query layer never asks
        which store it has."""


def open_store(config: Config) -> Store:
    """The store ``config.backend`` names."""
    if config.backend == "embedded":
        from kg.store.embedded import EmbeddedStore
        return EmbeddedStore(config.workspace)
    if config.backend in ("neo4j", "falkordb"):
        try:
            from kg.store.cypher import open_cypher_store
        except ImportError as exc:  # pragma: no cover - arrives with the Cypher backends
            raise BackendError(f"the {config.backend} backend is not available: {exc}") from None
        return open_cypher_store(config)
    raise BackendError(f"unknown backend {config.backend!r} (use embedded, neo4j or falkordb)")
