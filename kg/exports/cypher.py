"""A Cypher script that recreates the subgraph on Neo4j or FalkorDB (``cypher-shell -f``, or line by line).

The script takes no parameters, so it is built to be safe as text: labels and relationship types
must be the schema's (:data:`ontology.LABELS`, :data:`ontology.REL_TYPES`), property keys that are
not plain identifiers are back-quoted (or dropped when they cannot be), every string literal is
escaped (backslash, quote, line breaks), and comments are single lines. One statement per line:
``MERGE (n:Label {id: '…'}) SET n += {…};`` for each node, then each relationship by ``MATCH`` on
the ids of its ends. Running it twice changes nothing.
"""
from __future__ import annotations

import math
import re

from kg.errors import InputError
from kg.exports.base import SYNTHETIC_NOTE, Payload, about, json_dumps, one_line, register, truncation_note

__all__ = ["literal", "statements", "write_cypher"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT64 = 2 ** 63
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPE_RE = re.compile(r"[\\'\n\r\t]")


def _string(s: str) -> str:
    return "'" + _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], s) + "'"


def literal(v) -> str | None:
    r"""A Cypher literal for a property value, None when the value cannot be stored (dropped).

    >>> print(literal("O'Brien \\ 深创投"))
    'O\'Brien \\ 深创投'
    >>> literal(["a", 1])
    "['a', '1']"
    >>> literal(1e20)
    '1e20'
    """
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if -_INT64 <= v < _INT64 else _string(str(v))
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return repr(v).replace("e+", "e")
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple, set, frozenset)):
        items = [x for x in v if x is not None]
        if isinstance(v, (set, frozenset)):
            items.sort(key=str)
        kinds = {type(x) for x in items}
        # properties hold homogeneous lists of scalars only: anything else becomes a list of strings
        if not (len(kinds) <= 1 and kinds <= {str, int, float, bool}) or any(
                isinstance(x, int) and not isinstance(x, bool) and not -_INT64 <= x < _INT64 for x in items):
            items = [x if isinstance(x, str) else json_dumps(x) if isinstance(x, (dict, list)) else str(x)
                     for x in items]
        parts = [literal(x) for x in items]
        return "[" + ", ".join(x for x in parts if x is not None) + "]"
    if isinstance(v, dict):
        return _string(json_dumps(v))
    item = getattr(v, "item", None)  # numpy scalars
    if callable(item):
        try:
            return literal(item())
        except (TypeError, ValueError):
            pass
    return _string(str(v))


def _key(k: str) -> str | None:
    if _IDENT.match(k):
        return k
    if "`" in k or not k or any(ch in k for ch in "\r\n"):
        return None
    return f"`{k}`"


def _map(props: dict, skip=()) -> tuple[str, int]:
    """``{k: literal, …}`` of ``props`` and how many properties had to be dropped."""
    parts, dropped = [], 0
    for k, v in props.items():
        if k in skip:
            continue
        key, lit = _key(str(k)), literal(v)
        if key is None or lit is None:
            dropped += v is not None
            continue
        parts.append(f"{key}: {lit}")
    return "{" + ", ".join(parts) + "}", dropped


def _label(name: str, allowed, what: str) -> str:
    if name not in allowed or not _IDENT.match(name):
        raise InputError(f"cannot write Cypher for {what} {name!r}: not in the schema "
                         f"({', '.join(allowed)})")
    return name


def statements(p: Payload) -> tuple[list[str], int]:
    """The MERGE statements (without ``;``) and the number of property values dropped."""
    from ontology import LABELS, REL_TYPES

    out, dropped = [], 0
    labels = {}
    for n in p.nodes:
        lab = labels[n["id"]] = _label(n["label"], LABELS, "node label")
        props = dict(n["props"])
        if "name" not in props and n["caption"] != n["id"] and lab != "Round":
            props["name"] = n["caption"]
        m, d = _map(props, skip=("id",))
        dropped += d
        stmt = f"MERGE (n:{lab} {{id: {_string(n['id'])}}})"
        out.append(stmt + (f" SET n += {m}" if m != "{}" else ""))
    for e in p.edges:
        typ = _label(e["type"], REL_TYPES, "relationship type")
        m, d = _map(e["props"])
        dropped += d
        stmt = (f"MATCH (a:{labels[e['source']]} {{id: {_string(e['source'])}}}) "
                f"MATCH (b:{labels[e['target']]} {{id: {_string(e['target'])}}}) "
                f"MERGE (a)-[r:{typ}]->(b)")
        out.append(stmt + (f" SET r += {m}" if m != "{}" else ""))
    return out, dropped


@register("cypher", extension="cypher", mimetype="application/x-cypher-query; charset=utf-8",
          description="Cypher script (MERGE) that recreates the subgraph on Neo4j or FalkorDB")
def write_cypher(p: Payload) -> bytes:
    stmts, dropped = statements(p)
    head = [f"// IIKG export: {one_line(p.title)}"]
    head += [f"// {k}: {one_line(v)}" for k, v in about(p) if k not in ("title", "cypher", "truncated", "synthetic")]
    if p.cypher:
        head.append("// produced by: " + one_line(p.cypher))
    if p.truncated:
        head.append("// " + one_line(truncation_note(p)))
    if p.synthetic:
        head.append("// " + SYNTHETIC_NOTE)
    if dropped:
        head.append(f"// {dropped} property value(s) dropped: not storable as Cypher properties")
    head.append(f"// {len(p.nodes)} nodes, {len(p.edges)} relationships; one statement per line, idempotent (MERGE).")
    head.append("// For large scripts index the ids first, e.g. Neo4j: CREATE INDEX FOR (n:Company) ON (n.id)")
    return ("\n".join(head + [s + ";" for s in stmts]) + "\n").encode("utf-8")
