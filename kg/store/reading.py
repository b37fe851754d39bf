"""The tables of the read interface (:class:`kg.store.GraphReader`), once for every store.

A store brings its node and relationship tables (``pyarrow.Table``, typed by
:func:`kg.store.workspace.encode_rows`); these functions turn them into what the interface returns,
so the embedded store and the Cypher stores answer ``deals()`` and ``catalogue()`` with the same
columns, types and values.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from kg.store import workspace as W

__all__ = ["CATALOGUE_COLUMNS", "catalogue_table", "column_values", "deals_table", "empty_nodes", "empty_rels",
           "name_column", "table_rows"]

CATALOGUE_COLUMNS = ("id", "name", "title", "aliases")  # what a catalogue needs of a node table


def column_values(table: pa.Table, name: str) -> list:
    """The Python values of one column of an interface table (a JSON-text column decoded; a column
    the table does not have: all None)."""
    if name not in table.column_names:
        return [None] * table.num_rows
    return W.column_values(table, name)


def table_rows(table: pa.Table, skip: tuple[str, ...] = ()) -> list[dict]:
    """Each row of an interface table as a dict of its non-null values (JSON-text columns decoded;
    the columns in ``skip`` left out)."""
    return W.decode_rows(table, skip=skip)


def empty_nodes() -> pa.Table:
    """The table of a label with no node."""
    return pa.table({"id": pa.array([], pa.string())})


def empty_rels() -> pa.Table:
    """The table of a relationship type with no relationship."""
    return pa.table({"_start": pa.array([], pa.string()), "_end": pa.array([], pa.string())})


def name_column(t: pa.Table) -> pa.Array | pa.ChunkedArray:
    """Each node's display name as text: its ``name``, else its ``title`` (a policy), else null."""
    col = "name" if "name" in t.column_names else "title" if "title" in t.column_names else None
    if col is None:
        return pa.nulls(t.num_rows, pa.string())
    field = t.schema.field(col)
    if pa.types.is_string(field.type) and not W._is_json(field):
        return t.column(col)
    return pa.array([None if v is None else str(v) for v in W.column_values(t, col)], pa.string())


def catalogue_table(nodes: dict[str, pa.Table]) -> pa.Table:
    """The name catalogue of node tables by label: ``id``, ``label``, ``name``, ``aliases``
    (a list of strings, null when a node has none or its aliases are not all strings)."""
    parts = []
    for label, t in nodes.items():
        if t.num_rows == 0:
            continue
        if "aliases" in t.column_names and pa.types.is_list(t.schema.field("aliases").type):
            aliases = t.column("aliases")
        else:
            aliases = pa.nulls(t.num_rows, pa.list_(pa.string()))
        parts.append(pa.table({"id": t.column("id"), "label": pa.array([label] * t.num_rows, pa.string()),
                               "name": name_column(t), "aliases": aliases}))
    if not parts:
        return pa.table({"id": pa.array([], pa.string()), "label": pa.array([], pa.string()),
                         "name": pa.array([], pa.string()), "aliases": pa.array([], pa.list_(pa.string()))})
    return pa.concat_tables(parts, promote_options="permissive")


def deals_table(rounds: pa.Table | None, raised: pa.Table | None) -> pa.Table:
    """Rounds as filterable columns: the Round table with ``company_id`` (the start of its RAISED)."""
    if rounds is None:
        return pa.table({"id": pa.array([], pa.string()), "company_id": pa.array([], pa.string())})
    if raised is None or raised.num_rows == 0:
        return rounds.append_column("company_id", pa.nulls(rounds.num_rows, pa.string()))
    pos = pc.index_in(rounds.column("id"), value_set=raised.column("_end"))
    return rounds.append_column("company_id", pc.take(raised.column("_start"), pos))
