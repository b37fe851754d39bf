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
import math
import numbers
import re
from collections.abc import Mapping
from json.encoder import encode_basestring as _json_str
from urllib.parse import urlparse

import redis
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.exceptions import SchemaVersionMismatchException
from falkordb.node import Node
from falkordb.path import Path as FPath
from falkordb.query_result import QueryResult

from kg.errors import BackendError
from kg.store.dialect import Outcome, Shaper, Statement, internal_id_lookup, redact, unique_id_ddl

__all__ = ["FalkorExecutor", "ParamError", "params_header", "param_literal"]

_TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_EMPTY = "empty key"  # what FalkorDB says about a graph that does not exist (yet)
_SOCKET_TIMEOUT = 300  # seconds: a guard against a server that stops answering; reads time out on the server


# ---------------------------------------------------------------------------------------------- parameters
# FalkorDB takes parameters as Cypher literals in a ``CYPHER a=1 b="x" MATCH …`` prefix that it parses
# together with the query: text that escaped a literal would be query text. So every literal is written
# here from the value's Python type (never str() of an unknown object) and closed so that nothing leaves
# it. The client's own writer (falkordb.helpers.stringify_param_value) is slower, and lenient: it pastes
# str() of any value it does not know, and lets NaN, ±Infinity and integers beyond int64 through. What
# FalkorDB 4.16.3's lexer does (checked in tests/test_falkordb_params.py):
# - "…" strings: \\ \" \n \r \t \b \f are decoded; other control characters and all UTF-8 (Chinese,
#   emoji) are taken raw; \uXXXX is NOT decoded (it stays six characters), so JSON's \u escapes
#   (json.dumps with ensure_ascii, and for control characters even without) would corrupt text;
#   a NUL cuts the query short in the server (a C string): refused;
# - map keys and parameter names: a bare identifier, or `…` with any character but a backtick (it
#   has no escape); "quoted" keys are a syntax error;
# - integers beyond int64 are clamped to 2**63-1 without a word: refused; NaN and ±Infinity have no
#   literal and the prefix takes no expressions such as 0.0/0.0: refused;
# - floats in Python's repr (shortest round trip, 1e+20 exponents) parse to the same double (replies
#   print 15 significant digits, which is a matter of reading results, not of parameters).
# Speed: strings go through the json module's C string writer, which escapes exactly \\ \" and the
# control characters (\n … as the server reads them, the others as \u00XX); a text with "\u" anywhere
# (such an escape, or a string holding a backslash before a u) is written again with plain escaping.
# Whole values are not written with json.dumps: its quoted map keys are a syntax error here, and
# fixing them up in its text (and checking it for \u escapes and integers beyond 64 bits) costs more
# than it saves.

class ParamError(ValueError):
    """A parameter value or name that FalkorDB's parameter prefix cannot carry faithfully."""


_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1


class _KeyText(dict):
    """key -> its text in a literal: bare when a plain identifier, else in backticks. Refused when it
    cannot be written (not a string; empty, or holding a backtick or a NUL). Remembers what it wrote
    (keys are property and parameter names: few)."""

    def __missing__(self, k) -> str:
        key = k.decode("utf-8") if isinstance(k, bytes) else k
        if not isinstance(key, str):
            raise ParamError(f"map key {k!r} is not a string")
        key = str.__str__(key)
        if _BARE_KEY.match(key):
            out = key
        elif not key or "`" in key or "\x00" in key:
            raise ParamError(f"map key {key!r} cannot be sent to FalkorDB (it is empty, or holds a backtick or a NUL)")
        else:
            out = f"`{key}`"
        if type(k) is str and len(self) < 4096:
            self[k] = out
        return out


_KEYS = _KeyText()


def _plain_str(v: str) -> str:
    """A string literal with only \\ and \" escaped (control characters raw); TypeError for a non-string,
    like the json writer."""
    if not isinstance(v, str):
        raise TypeError(f"not a string: {type(v).__name__}")
    if "\x00" in v:
        raise ParamError("a string parameter holds a NUL character, which FalkorDB cannot receive")
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _int(v: int) -> str:
    if _INT64_MIN <= v <= _INT64_MAX:
        return int.__repr__(v)
    raise ParamError(f"integer parameter {v} is outside the 64-bit range FalkorDB stores")


def _float(v: float) -> str:
    if math.isfinite(v):
        return float.__repr__(v)
    raise ParamError(f"number parameter {v} has no Cypher literal (FalkorDB takes finite numbers only)")


def _writer(string):
    """A function that writes any parameter value as a literal, writing strings with ``string``."""
    enc: dict = {int: _int, float: _float, bool: {True: "true", False: "false"}.__getitem__,
                 type(None): lambda v: "null"}
    get, keys = enc.get, _KEYS

    def write_list(v) -> str:
        try:  # the common case, a list of strings, in one C loop (the string writer refuses anything else)
            return "[" + ",".join(map(string, v)) + "]"
        except TypeError:
            return "[" + ",".join([string(x) if type(x) is str else get(type(x), other)(x) for x in v]) + "]"

    def write_map(v) -> str:
        return "{" + ",".join([keys[k] + ":" + (string(x) if type(x) is str else get(type(x), other)(x))
                               for k, x in v.items()]) + "}"

    def other(v) -> str:
        """Subclasses and look-alikes of the plain types (IntEnum, numpy numbers, OrderedDict, bytes …)."""
        if isinstance(v, str):
            return string(str.__str__(v))
        if isinstance(v, bytes):
            return string(v.decode("utf-8"))
        if isinstance(v, numbers.Integral):  # bool cannot be subclassed: True and False never get here
            return _int(int(v))
        if isinstance(v, numbers.Real):
            return _float(float(v))
        if isinstance(v, Mapping):
            return write_map(v)
        if isinstance(v, (list, tuple)):
            return write_list(v)
        raise ParamError(f"a {type(v).__name__} cannot be a FalkorDB parameter (strings, numbers, booleans, "
                         f"null, lists and maps only)")

    enc.update({str: string, list: write_list, tuple: write_list, dict: write_map})

    def write(v) -> str:
        return get(type(v), other)(v)

    return write


_write_fast = _writer(_json_str)
_write_plain = _writer(_plain_str)


def param_literal(value) -> str:
    """``value`` as a Cypher literal for FalkorDB's parameter prefix.

    >>> print(param_literal({"id": 'a"b', "n": [1, 2.5, None, True], "x-y": "中\\n"}))
    {id:"a\\"b",n:[1,2.5,null,true],`x-y`:"中\\n"}
    """
    return params_header({"_": value})[len("CYPHER _="):-1]


def params_header(params: Mapping | None) -> str:
    """``CYPHER a=… b=… `` (empty without parameters): the prefix that carries ``params``.

    Raises :class:`ParamError` for what cannot be carried faithfully (a lone surrogate, which has no
    UTF-8, fails later, when the query is encoded)."""
    if not params:
        return ""
    keys = _KEYS
    text = "CYPHER " + "".join([f"{keys[k]}={_write_fast(v)} " for k, v in params.items()])
    if "\\u" in text:  # a control character written as \u00XX (or a backslash before a u): plainly
        text = "CYPHER " + "".join([f"{keys[k]}={_write_plain(v)} " for k, v in params.items()])
    return text


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
        try:
            text = (params_header(params) + cypher).encode("utf-8")  # once, here: redis-py sends bytes as they are
        except ParamError as exc:
            raise BackendError(f"{self.describe()}: cannot send the query's parameters ({exc})") from None
        except UnicodeError as exc:  # a lone surrogate: it has no UTF-8
            raise BackendError(f"{self.describe()}: cannot send the query ({exc})") from None
        cmd = ["GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY", self.graph_name, text, "--compact"]
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
        res = self._query(internal_id_lookup(self.dialect), {"ids": internal_ids},
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
                    self._query(unique_id_ddl(self.dialect, label))
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
