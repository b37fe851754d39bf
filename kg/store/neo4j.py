"""The Neo4j executor: the official ``neo4j`` driver over Bolt (Neo4j 5, a cluster or Aura).

Reads run as managed read transactions (``session(default_access_mode=READ)`` +
``execute_read``), so the server refuses writes in them and a cluster routes them to any member,
with the query timeout on the transaction. One :meth:`Neo4jExecutor.run_writes` call is one
managed write transaction (the driver retries it whole on transient errors), unless the batch is
too large for one (see :data:`kg.store.cypher.ATOMIC_ROWS`). Schema, made at the first connect
(:func:`kg.store.cypher.open_cypher_store`) and idempotent: a named uniqueness constraint on ``id``
per label and the range indexes of :data:`kg.store.dialect.INDEXED`, created only when
``SHOW CONSTRAINTS`` / ``SHOW INDEXES`` lack them (so later connects only read).
"""
from __future__ import annotations

from collections.abc import Mapping

import neo4j
from neo4j import GraphDatabase, unit_of_work
from neo4j import exceptions as nx
from neo4j.graph import Node, Path, Relationship

from kg.errors import BackendError
from kg.store.dialect import (INDEXED, Outcome, Shaper, Statement, index_name, internal_id_lookup, property_index_ddl,
                              redact, unique_id_ddl)

__all__ = ["Neo4jExecutor"]

_DRIVER_ERRORS = (nx.Neo4jError, nx.DriverError, OSError)  # anything the driver raises about the server
_RETRY_SECONDS = 15.0  # how long the driver keeps retrying a transaction on transient errors
_CLEAR_CHUNK = 10_000


class Neo4jExecutor:
    """Runs portable Cypher on one Neo4j database."""

    dialect = "neo4j"

    def __init__(self, driver: neo4j.Driver, database: str | None, uri: str = "bolt://?", user: str | None = None):
        self.driver = driver
        self.database = database or None
        self.uri = uri
        self.user = user
        self.password_given = True

    @classmethod
    def connect(cls, uri: str, user: str | None, password: str | None, database: str | None) -> Neo4jExecutor:
        """Open a driver for ``uri`` and check that the server answers and accepts the credentials."""
        auth = (user or "neo4j", password) if password is not None else None
        try:
            driver = GraphDatabase.driver(uri, auth=auth, max_transaction_retry_time=_RETRY_SECONDS,
                                          connection_timeout=10.0)
        except (nx.ConfigurationError, ValueError) as exc:
            raise BackendError(f"NEO4J_URI {redact(uri)!r} is not usable: {exc}") from None
        ex = cls(driver, database, uri, user)
        ex.password_given = bool(password)
        try:
            with driver.session(database=ex.database, default_access_mode=neo4j.READ_ACCESS) as s:
                s.run("RETURN 1 AS ok").consume()
        except _DRIVER_ERRORS as exc:
            driver.close()
            raise ex._error(exc) from None
        return ex

    def describe(self) -> str:
        db = f"database {self.database!r}" if self.database else "the default database"
        return f"neo4j {db} at {redact(self.uri)}"

    # ------------------------------------------------------------------ errors
    def _error(self, exc: Exception, cypher: str | None = None) -> BackendError:
        """The driver's exception as one line for the user (the CLI prints it after ``kg: error:``)."""
        if isinstance(exc, BackendError):
            return exc
        err = self._describe_error(exc, cypher)
        return BackendError(" ".join(str(err).split()))

    def _describe_error(self, exc: Exception, cypher: str | None) -> BackendError:
        where = self.describe()
        if isinstance(exc, nx.AuthError):  # the server does not say whether the user or the password is wrong
            if not self.password_given:
                return BackendError(f"{where} needs a password for user {self.user or 'neo4j'!r}: set NEO4J_PASSWORD")
            return BackendError(f"{where} refused the credentials of user {self.user or 'neo4j'!r}: check "
                                f"NEO4J_PASSWORD (and NEO4J_USERNAME)")
        if isinstance(exc, nx.ServiceUnavailable):
            return BackendError(f"cannot reach {where} ({exc}). Is it running? Check NEO4J_URI")
        if isinstance(exc, nx.SessionExpired):
            return BackendError(f"lost the connection to {where} ({exc})")
        code = getattr(exc, "code", None) or ""
        msg = getattr(exc, "message", None) or str(exc)
        if code == "Neo.ClientError.Statement.AccessMode" or "read access mode" in msg.lower():
            return BackendError(f"this query writes, and reads are read-only on {where}")
        if "TransactionTimedOut" in code or "timed out" in msg.lower() or "terminated" in msg.lower():
            return BackendError(f"query timed out on {where}")
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return BackendError(f"{where}: the database does not exist (check NEO4J_DATABASE)")
        first = (cypher or "").strip().splitlines()[0][:120] if cypher else ""
        return BackendError(f"{where}: {code + ': ' if code else ''}{msg}" + (f" (in: {first})" if first else ""))

    def _session(self, read: bool):
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self.driver.session(database=self.database, default_access_mode=mode)

    # ------------------------------------------------------------------ reading
    def read(self, cypher: str, params: dict, timeout_ms: int) -> list[dict]:
        @unit_of_work(timeout=max(0.001, timeout_ms / 1000))
        def work(tx):
            res = tx.run(cypher, params)
            return list(res.keys()), [list(r.values()) for r in res]

        try:
            with self._session(read=True) as s:
                keys, records = s.execute_read(work)
        except _DRIVER_ERRORS as exc:
            raise self._error(exc, cypher) from None
        return self._rows(keys, records)

    def _rows(self, keys: list[str], records: list[list]) -> list[dict]:
        shaper = Shaper()
        rows = [{k: self._plain(v, shaper) for k, v in zip(keys, rec)} for rec in records]
        shaper.finish(self._lookup)
        return rows

    def _plain(self, v, shaper: Shaper):
        if isinstance(v, Node):
            return shaper.node(v.element_id, v.labels, {k: self._plain(x, shaper) for k, x in v.items()})
        if isinstance(v, Relationship):
            ends = []
            for n in (v.start_node, v.end_node):
                if n is not None and "id" in n:
                    shaper.ids.setdefault(n.element_id, n["id"])
                ends.append(n.element_id if n is not None else None)
            return shaper.rel(v.type, {k: self._plain(x, shaper) for k, x in v.items()}, *ends)
        if isinstance(v, Path):
            return {"nodes": [self._plain(n, shaper) for n in v.nodes],
                    "rels": [self._plain(r, shaper) for r in v.relationships]}
        if isinstance(v, Mapping):
            return {k: self._plain(x, shaper) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [self._plain(x, shaper) for x in v]
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        if hasattr(v, "iso_format"):  # neo4j.time.Date, DateTime, Time, Duration
            return v.iso_format()
        return str(v)

    def _lookup(self, element_ids: list) -> dict:
        rows = self.read(internal_id_lookup(self.dialect), {"ids": [i for i in element_ids if i is not None]}, 10_000)
        return {r["i"]: r["id"] for r in rows}

    # ------------------------------------------------------------------ writing
    @staticmethod
    def _run(tx, st: Statement) -> Outcome:
        res = tx.run(st.cypher, st.params)
        rec = res.single()
        counters = res.consume().counters
        seen, changed = (rec["seen"], rec["changed"]) if rec is not None else (0, 0)
        return Outcome(nodes_created=counters.nodes_created, rels_created=counters.relationships_created,
                       seen=int(seen or 0), changed=int(changed or 0))

    def run_writes(self, statements: list[Statement], *, atomic: bool = True, progress=None) -> list[Outcome]:
        """All statements in one transaction when ``atomic``, else one transaction each."""
        def work(tx, sts):
            outs = []
            for st in sts:
                outs.append(self._run(tx, st))
                if progress:
                    progress(st.rows)
            return outs

        try:
            with self._session(read=False) as s:
                if atomic:
                    return s.execute_write(work, statements)
                out = []
                for st in statements:
                    out += s.execute_write(work, [st])
                return out
        except _DRIVER_ERRORS as exc:
            raise self._error(exc, statements[0].cypher if statements else None) from None

    def write(self, cypher: str, params: dict) -> list[dict]:
        def work(tx):
            res = tx.run(cypher, params)
            return list(res.keys()), [list(r.values()) for r in res]

        try:
            with self._session(read=False) as s:
                keys, records = s.execute_write(work)
        except _DRIVER_ERRORS as exc:
            raise self._error(exc, cypher) from None
        return self._rows(keys, records)

    def schema_names(self) -> set[str]:
        """Names of the constraints and indexes the database has (read in a read session)."""
        def work(tx):
            names = [r["name"] for r in tx.run("SHOW CONSTRAINTS YIELD name RETURN name")]
            return names + [r["name"] for r in tx.run("SHOW INDEXES YIELD name RETURN name")]

        try:
            with self._session(read=True) as s:
                return set(s.execute_read(work))
        except _DRIVER_ERRORS as exc:
            raise self._error(exc, "SHOW CONSTRAINTS") from None

    def ensure_schema(self, labels: list[str]) -> None:
        """A uniqueness constraint on ``id`` for each label, the range indexes of :data:`INDEXED`;
        only what is missing is created (``IF NOT EXISTS`` covers a concurrent creator)."""
        have = self.schema_names()
        todo = [unique_id_ddl(self.dialect, label) for label in labels if index_name(label, "id") not in have]
        todo += [property_index_ddl(label, prop) for label, prop in INDEXED
                 if label in labels and index_name(label, prop) not in have]
        if not todo:
            return
        try:
            with self._session(read=False) as s:
                for ddl in todo:
                    s.run(ddl).consume()
        except _DRIVER_ERRORS as exc:
            raise self._error(exc, "CREATE CONSTRAINT") from None

    def clear(self) -> None:
        """Delete every node and relationship, in chunks (constraints stay)."""
        def work(tx):
            return tx.run("MATCH (n) WITH n LIMIT $n DETACH DELETE n RETURN count(*) AS c",
                          {"n": _CLEAR_CHUNK}).single()["c"]

        try:
            with self._session(read=False) as s:
                while s.execute_write(work):
                    pass
        except _DRIVER_ERRORS as exc:
            raise self._error(exc, "DETACH DELETE") from None

    def close(self) -> None:
        self.driver.close()
