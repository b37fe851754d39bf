"""The FalkorDB executor: FalkorDB's native client (Redis protocol), not its Bolt port.

Reads go through ``GRAPH.RO_QUERY`` (the server refuses any write in it) with a ``timeout``;
writes through ``GRAPH.QUERY``, one statement at a time (FalkorDB runs each query atomically
but has no multi-statement transactions). Schema: a range index on ``id`` per label plus a
unique constraint (``GRAPH.CONSTRAINT CREATE … UNIQUE``), created only when missing because
``CREATE INDEX`` fails when the index exists.

Every query carries the graph's schema version. The client decodes results by position in its
cached lists of labels, property keys and relationship types; without the version, a graph that
another process (or :meth:`FalkorExecutor.clear`) deleted and rebuilt would come back with the
wrong property names. With it, the server answers "version mismatch" (running nothing) and the
executor refreshes the cache and asks again.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Mapping
from urllib.parse import urlparse

import redis
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.exceptions import SchemaVersionMismatchException
from falkordb.helpers import stringify_param_value
from falkordb.node import Node
from falkordb.path import Path as FPath
from falkordb.query_result import QueryResult

from kg.errors import BackendError
from kg.store.cypher import Outcome, Shaper, Statement, quote_ident, redact

__all__ = ["FalkorExecutor"]

_TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_EMPTY = "empty key"  # what FalkorDB says about a graph that does not exist (yet)
_SOCKET_TIMEOUT = 300  # seconds: a guard against a server that stops answering; reads time out on the server


class FalkorExecutor:
    """Runs portable Cypher on one FalkorDB graph."""

    dialect = "falkordb"

    def __init__(self, db: FalkorDB, graph: str, url: str = "falkor://?"):
        self.db = db
        self.graph_name = graph
        self.graph = db.select_graph(graph)
        self.url = url

    @classmethod
    def connect(cls, url: str, graph: str) -> FalkorExecutor:
        """Connect to ``url`` (``falkor://host:port`` or ``redis://…``) and check it is a FalkorDB."""
        if not graph:
            raise BackendError("FALKORDB_GRAPH is empty: name the graph to use")
        where = redact(url)
        if urlparse(url).scheme not in ("falkor", "falkors", "redis", "rediss", "unix"):
            raise BackendError(f"FALKORDB_URL {where!r} is not a falkor://host:port or redis://host:port URL")
        try:
            db = FalkorDB.from_url(url, socket_connect_timeout=5, socket_timeout=_SOCKET_TIMEOUT)
            db.connection.execute_command("GRAPH.LIST")
        except redis.exceptions.AuthenticationError as exc:
            raise BackendError(f"FalkorDB at {where} refused the credentials ({exc}); "
                               f"put the right user and password in FALKORDB_URL") from None
        except redis.exceptions.ConnectionError as exc:
            raise BackendError(f"cannot reach FalkorDB at {where} ({exc}). Is it running? "
                               f"Check FALKORDB_URL") from None
        except redis.exceptions.ResponseError as exc:
            msg = str(exc)
            if "unknown command" in msg.lower():
                raise BackendError(f"{where} is a Redis server without the FalkorDB module "
                                   f"(GRAPH.* commands are unknown)") from None
            if "noauth" in msg.lower() or "wrongpass" in msg.lower():
                raise BackendError(f"FalkorDB at {where} refused the credentials ({msg}); "
                                   f"put the right user and password in FALKORDB_URL") from None
            raise BackendError(f"FalkorDB at {where}: {msg}") from None
        except redis.exceptions.RedisError as exc:
            raise BackendError(f"FalkorDB at {where}: {exc}") from None
        return cls(db, graph, url)

    def describe(self) -> str:
        return f"falkordb graph {self.graph_name!r} at {redact(self.url)}"

    # ------------------------------------------------------------------ errors
    def _error(self, exc: Exception, cypher: str | None = None) -> BackendError:
        msg = str(exc)
        where = self.describe()
        if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            return BackendError(f"lost the connection to {where} ({msg})")
        if "read-only" in msg or "RO_QUERY" in msg:
            return BackendError(f"this query writes, and reads are read-only on {where}")
        if "timed out" in msg.lower():
            return BackendError(f"query timed out on {where}")
        first = (cypher or "").strip().splitlines()[0][:120] if cypher else ""
        return BackendError(f"{where}: {msg}" + (f" (in: {first})" if first else ""))

    def _query(self, cypher: str, params: dict | None = None, *, read_only: bool = False,
               timeout: int | None = None) -> QueryResult:
        """One ``GRAPH.QUERY``/``GRAPH.RO_QUERY`` with the schema version; retried once on a dropped
        connection, and after refreshing the schema cache when the server says it is stale."""
        header = "".join(f"`{k}`={stringify_param_value(v)} " for k, v in (params or {}).items())
        cmd = ["GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY", self.graph_name,
               (f"CYPHER {header}" if header else "") + cypher, "--compact"]
        if timeout is not None:
            cmd += ["timeout", int(timeout)]
        schema = self.graph.schema
        dropped = 0
        for _ in range(5):
            try:
                return QueryResult(self.graph, self.db.connection.execute_command(*cmd, "version", schema.version))
            except SchemaVersionMismatchException as exc:
                try:
                    schema.refresh(exc.version)  # nothing ran: the server checks the version first
                except redis.exceptions.RedisError as err:
                    raise self._error(err, cypher) from None
            except _TRANSIENT as exc:
                dropped += 1
                if dropped > 1:
                    raise self._error(exc, cypher) from None
            except redis.exceptions.RedisError as exc:
                raise self._error(exc, cypher) from None
        raise BackendError(f"{self.describe()}: the graph's schema kept changing while reading it; try again")

    # ------------------------------------------------------------------ reading
    def read(self, cypher: str, params: dict, timeout_ms: int) -> list[dict]:
        timeout = max(1, int(timeout_ms))
        try:
            res = self._query(cypher, params, read_only=True, timeout=timeout)
        except BackendError as exc:
            if _EMPTY not in str(exc):
                raise
            # the graph does not exist yet: create it empty, so that the query gets its real answer
            # (RETURN 1, or the refusal of a write) rather than an error about a missing key
            self._query("RETURN 0")
            res = self._query(cypher, params, read_only=True, timeout=timeout)
        return self._rows(res)

    def _rows(self, res) -> list[dict]:
        header = [h[1] if isinstance(h, (list, tuple)) else h for h in res.header]
        shaper = Shaper()
        rows = [{h: self._plain(v, shaper) for h, v in zip(header, rec)} for rec in res.result_set]
        shaper.finish(self._lookup)
        return rows

    def _plain(self, v, shaper: Shaper):
        if isinstance(v, Node):
            return shaper.node(v.id, v.labels, {k: self._plain(x, shaper) for k, x in v.properties.items()})
        if isinstance(v, Edge):
            start = v.src_node.id if isinstance(v.src_node, Node) else v.src_node
            end = v.dest_node.id if isinstance(v.dest_node, Node) else v.dest_node
            return shaper.rel(v.relation, {k: self._plain(x, shaper) for k, x in v.properties.items()}, start, end)
        if isinstance(v, FPath):
            return {"nodes": [self._plain(n, shaper) for n in v.nodes()],
                    "rels": [self._plain(e, shaper) for e in v.edges()]}
        if isinstance(v, Mapping):
            return {k: self._plain(x, shaper) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [self._plain(x, shaper) for x in v]
        if isinstance(v, (_dt.date, _dt.time)):
            return v.isoformat()
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        return str(v)  # durations, points: shown, not computed with

    def _lookup(self, internal_ids: list) -> dict:
        res = self._query("MATCH (n) WHERE id(n) IN $ids RETURN id(n) AS i, n.id AS id", {"ids": internal_ids},
                          read_only=True)
        return {int(i): nid for i, nid in res.result_set}

    # ------------------------------------------------------------------ writing
    def run_writes(self, statements: list[Statement], *, atomic: bool = True, progress=None) -> list[Outcome]:
        """Each statement as one query (FalkorDB cannot group them: ``atomic`` cannot be honoured)."""
        out = []
        for st in statements:
            res = self._query(st.cypher, st.params)
            seen = changed = 0
            if res.result_set:
                seen, changed = res.result_set[0][0] or 0, res.result_set[0][1] or 0
            out.append(Outcome(nodes_created=int(res.nodes_created or 0),
                               rels_created=int(res.relationships_created or 0),
                               seen=int(seen), changed=int(changed)))
            if progress:
                progress(st.rows)
        return out

    def write(self, cypher: str, params: dict) -> list[dict]:
        return self._rows(self._query(cypher, params))

    def ensure_schema(self, labels: list[str]) -> None:
        indexed = set()
        constrained = set()
        for label, props in self._ro("CALL db.indexes() YIELD label, properties, entitytype "
                                     "WHERE entitytype = 'NODE' RETURN label, properties"):
            if "id" in (props or []):
                indexed.add(label)
        for row in self._ro("CALL db.constraints() YIELD type, label, properties, entitytype, status "
                            "RETURN type, label, properties, entitytype, status"):
            typ, label, props, entity, status = row
            if typ == "UNIQUE" and entity == "NODE" and list(props or []) == ["id"] and status != "FAILED":
                constrained.add(label)
        for label in labels:
            if label not in indexed:
                try:
                    self._query(f"CREATE INDEX FOR (n:{quote_ident(label)}) ON (n.id)")
                except BackendError as exc:
                    if "already indexed" not in str(exc):
                        raise
            if label not in constrained:
                try:
                    self.db.connection.execute_command("GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE",
                                                       "NODE", label, "PROPERTIES", 1, "id")
                except redis.exceptions.ResponseError as exc:
                    if "already exists" not in str(exc):
                        raise self._error(exc) from None
                except redis.exceptions.RedisError as exc:
                    raise self._error(exc) from None

    def _ro(self, cypher: str) -> list:
        try:
            return self._query(cypher, read_only=True).result_set
        except BackendError as exc:
            if _EMPTY in str(exc):
                return []
            raise

    def clear(self) -> None:
        """Drop the graph (nodes, relationships, indexes and constraints)."""
        self.graph.schema.clear()
        try:
            self.graph.delete()
        except redis.exceptions.ResponseError as exc:
            if _EMPTY not in str(exc):
                raise self._error(exc) from None
        except redis.exceptions.RedisError as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        with contextlib.suppress(redis.exceptions.RedisError, OSError):  # a dead connection closes anyway
            self.db.connection.close()
