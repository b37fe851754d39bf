"""What Neo4j and FalkorDB need said differently, in one place, and the pieces every Cypher executor shares.

Everything else is portable Cypher (``kg.store.cypher`` writes, ``kg.queries`` reads). The
differences, each shown on both real servers by ``tests/test_neo4j.py::test_dialects_differ_where_they_say``:

=====================  ==========================================  ==========================================
what                   Neo4j 5                                     FalkorDB 4.16
=====================  ==========================================  ==========================================
unique ``id``          ``CREATE CONSTRAINT name IF NOT EXISTS …    ``CREATE INDEX FOR (n:L) ON (n.id)`` (fails
                       REQUIRE n.id IS UNIQUE`` (idempotent)       when it exists) + ``GRAPH.CONSTRAINT CREATE``
                                                                   (no Cypher DDL for it)
other indexes          ``CREATE INDEX name IF NOT EXISTS …``       ``CREATE INDEX FOR …`` (no name, no IF NOT
                                                                   EXISTS)
listing the schema     ``SHOW CONSTRAINTS`` / ``SHOW INDEXES``     ``CALL db.constraints()`` / ``db.indexes()``
                       (``db.constraints()`` is gone in 5)         (``SHOW`` is not Cypher there)
a node's internal id   ``elementId(n)`` (``id(n)`` deprecated)     ``id(n)`` (no ``elementId``)
shortest paths         ``allShortestPaths`` with both ends bound   the same form only: both ends bound in an
                       in an earlier MATCH … WITH (also inline)    earlier MATCH … WITH (kg/queries/paths.py
                                                                   writes that form for both servers)
read-only              read session (``READ`` access mode)         ``GRAPH.RO_QUERY``
=====================  ==========================================  ==========================================

Semantics the executors normalise (not Cypher text): ``sum()`` of integers is a float on FalkorDB
(:func:`kg.store.cypher._column_value`); Neo4j checks transaction timeouts every
``db.transaction.monitor.check.interval`` (2 s by default), FalkorDB as it runs.

This module imports nothing from the executors or the store, so ``kg.store.cypher`` (the store),
``kg.store.neo4j`` and ``kg.store.falkordb`` (the executors) all build on it without a cycle.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kg.errors import WorkspaceError

__all__ = ["INDEXED", "INTERNAL_ID", "Outcome", "Shaper", "Statement", "index_name", "internal_id_lookup",
           "property_index_ddl", "quote_ident", "redact", "unique_id_ddl"]

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# the function that gives a node's internal id, by dialect
INTERNAL_ID = {"neo4j": "elementId", "falkordb": "id"}
# range indexes on Neo4j beside the id constraints: properties the deal filters compare, whose values the
# loaders write themselves (ISO dates, round types) and so stay small. No index on names: a range index
# refuses a value above ~8 KB, and a name is whatever a file says (test_awkward_strings_round_trip loads
# a 30,000-character one).
INDEXED = (("Round", "date"), ("Round", "type"))


def internal_id_lookup(dialect: str) -> str:
    """The read that maps internal ids (``$ids``) to ``id`` properties.

    >>> internal_id_lookup("neo4j")
    'MATCH (n) WHERE elementId(n) IN $ids RETURN elementId(n) AS i, n.id AS id'
    """
    f = INTERNAL_ID[dialect]
    return f"MATCH (n) WHERE {f}(n) IN $ids RETURN {f}(n) AS i, n.id AS id"


def unique_id_ddl(dialect: str, label: str) -> str:
    """The Cypher that makes ``id`` unique (Neo4j) or indexed (FalkorDB, whose uniqueness constraint is a
    ``GRAPH.CONSTRAINT`` command, not Cypher) on ``label``.

    >>> unique_id_ddl("neo4j", "Round")
    'CREATE CONSTRAINT iikg_round_id IF NOT EXISTS FOR (n:`Round`) REQUIRE n.id IS UNIQUE'
    >>> unique_id_ddl("falkordb", "Round")
    'CREATE INDEX FOR (n:`Round`) ON (n.id)'
    """
    if dialect == "neo4j":
        return (f"CREATE CONSTRAINT {index_name(label, 'id')} IF NOT EXISTS FOR (n:{quote_ident(label)}) "
                f"REQUIRE n.id IS UNIQUE")
    return f"CREATE INDEX FOR (n:{quote_ident(label)}) ON (n.id)"


def index_name(label: str, prop: str) -> str:
    return f"iikg_{label.lower()}_{prop}"


def property_index_ddl(label: str, prop: str) -> str:
    """Neo4j: a named range index (idempotent).

    >>> property_index_ddl("Round", "date")
    'CREATE INDEX iikg_round_date IF NOT EXISTS FOR (n:`Round`) ON (n.`date`)'
    """
    return (f"CREATE INDEX {index_name(label, prop)} IF NOT EXISTS FOR (n:{quote_ident(label)}) "
            f"ON (n.{quote_ident(prop)})")


def quote_ident(name: str) -> str:
    """A label or relationship type as a Cypher identifier; only plain names are accepted.

    >>> quote_ident("Investor")
    '`Investor`'
    """
    if not isinstance(name, str) or not _IDENT.match(name):
        raise WorkspaceError(f"{name!r} cannot be a label or relationship type (letters, digits and _ only)")
    return f"`{name}`"



@dataclass
class Statement:
    """One parameterised write: ``kind`` is "node" or "rel", ``name`` its label or type."""

    kind: str
    name: str
    cypher: str
    params: dict

    @property
    def rows(self) -> int:
        return len(self.params.get("rows", ()))


@dataclass
class Outcome:
    """What a statement did: exact creations (server counters) and its RETURN columns."""

    nodes_created: int = 0
    rels_created: int = 0
    seen: int = 0
    changed: int = 0



class Shaper:
    """Turns a server's nodes, relationships and paths into plain dicts.

    A relationship's ends arrive as the server's internal ids; they become the ends' ``id``
    properties, from the nodes in the same result when possible, else in one lookup at the end.
    """

    def __init__(self):
        self.ids: dict[Any, Any] = {}  # internal id -> id property
        self._pending: list[tuple[dict, str, Any]] = []

    def node(self, internal, labels, props: dict) -> dict:
        out = dict(props)
        labels = sorted(labels or ())
        out["_label"] = labels[0] if labels else None
        if internal is not None and "id" in props:
            self.ids[internal] = props["id"]
        return out

    def rel(self, type_: str, props: dict, start, end) -> dict:
        out = dict(props)
        out["_type"] = type_
        for key, internal in (("_start", start), ("_end", end)):
            out[key] = None
            self._pending.append((out, key, internal))
        return out

    def finish(self, lookup: Callable[[list], dict]) -> None:
        """Fill in relationship ends; ``lookup(internal ids) -> {internal: id}`` for ends not seen."""
        missing = list({i for _, _, i in self._pending if i not in self.ids})
        if missing:
            self.ids.update(lookup(missing))
        for d, key, internal in self._pending:
            d[key] = self.ids.get(internal)
        self._pending.clear()



def redact(url: str) -> str:
    """A URL without its password, for messages.

    >>> redact("redis://user:secret@db:6379")
    'redis://user:***@db:6379'
    """
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)
