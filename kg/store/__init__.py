"""Stores: where the graph lives. Every backend implements :class:`Store`.

- ``embedded`` (default): networkx in memory, one atomic snapshot in the workspace.
- ``neo4j`` / ``falkordb``: a Cypher server (``kg.store.cypher``), same batches, same queries.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from kg.config import Config
from kg.errors import BackendError
from kg.model import Batch

__all__ = ["Store", "open_store"]


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
