"""Relationship starts kept in memory (``Tables.starts``): the start node of every stored
relationship row as (label, row), so that a small import finds the stored rows at its
relationships' starts by node row instead of hashing every stored start id. The workspace is the
same as with the id lookup, and the starts in memory after a write are those a fresh read makes."""
import json

import numpy as np
import pyarrow.parquet as pq

from kg.loading import load_deals, load_seed
from kg.store import workspace as W
from kg.store.embedded import EmbeddedStore


def _files(tmp_path, dev_deals_path):
    lines = dev_deals_path.read_text("utf-8").splitlines()
    head, rows = lines[0], lines[1:]
    first = tmp_path / "first.csv"
    first.write_text("\n".join([head, *rows[:45]]) + "\n", "utf-8")
    # the second file repeats some rows (stored rounds, companies and investors: relationships
    # between stored nodes), changes the segment of one company, and adds the rest
    again = rows[35:45]
    cells = again[0].split(",")
    cells[6] = "平台" if cells[6] != "平台" else "网络及标识"
    again[0] = ",".join(cells)
    second = tmp_path / "second.csv"
    second.write_text("\n".join([head, *again, *rows[45:60]]) + "\n", "utf-8")
    third = tmp_path / "third.csv"
    third.write_text("\n".join([head, *rows[50:]]) + "\n", "utf-8")
    return first, second, third


def _tables(ws):
    m = json.loads((ws / "store" / "manifest.json").read_text("utf-8"))
    return m, {(e["kind"], e["name"], e["version"]): pq.read_table(ws / "store" / e["file"]) for e in m["files"]}


def _expand(s: tuple) -> list:
    names, codes, pos = s
    return list(zip([names[0]] * len(pos) if codes is None else [names[c] for c in codes], pos.tolist()))


def _same_starts(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert _expand(a[k]) == _expand(b[k]), k


def _check_against_ids(tables: W.Tables) -> None:
    assert tables.starts, "the starts are kept"
    for type_, (names, codes, pos) in tables.starts.items():
        t = tables.rels[type_]
        assert len(pos) == t.num_rows, type_
        labels = [names[0]] * len(pos) if codes is None else [names[c] for c in codes]
        ids = [tables.nodes[lab].column("id")[int(p)].as_py() for lab, p in zip(labels, pos)]
        assert ids == t.column("_start").to_pylist(), type_


def test_starts_find_the_same_rows_as_the_ids(tmp_path, dev_deals_path, monkeypatch):
    first, second, third = _files(tmp_path, dev_deals_path)
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    for ws in (fast, slow):
        ws.mkdir()
        store = EmbeddedStore(ws)
        load_seed(store)
        load_deals(store, first, ws)
    used = []
    plain = W.positions_of

    def record(rows, table, kind, starts=None):
        used.append(starts is not None)
        return plain(rows, table, kind, starts)

    monkeypatch.setattr(W, "positions_of", record)
    store = EmbeddedStore(fast)
    reports = [load_deals(store, f, fast) for f in (second, third)]
    assert any(used), "the stored rows were found by node row"
    assert reports[0].changes["rels_updated"] or reports[0].changes["rels_created"]
    _check_against_ids(store.tables)
    _same_starts(store.tables.starts, EmbeddedStore(fast).tables.starts)  # as a fresh read makes them
    _check_against_ids(EmbeddedStore(fast).tables)

    monkeypatch.setattr(W, "positions_of", lambda rows, table, kind, starts=None: plain(rows, table, kind))
    other = EmbeddedStore(slow)
    assert [load_deals(other, f, slow).changes for f in (second, third)] == [r.changes for r in reports]
    mf, tf = _tables(fast)
    ms, ts = _tables(slow)
    assert mf["stats"] == ms["stats"] and len(mf["files"]) == len(ms["files"]) > 8  # appended, not compacted
    assert tf.keys() == ts.keys()
    for key, t in tf.items():
        assert t.equals(ts[key]), key


def test_rows_starting_at_two_labels():
    table = (("A", "B"), np.array([0, 1, 0, 1, 0], np.int32), np.array([3, 3, 1, 0, 0], np.int32))
    rows = (("B", "A"), np.array([0, 1, 1], np.int32), np.array([3, 0, 9], np.int64))
    assert W._rows_starting_at(table, rows).tolist() == [1, 4]
    one = (("A",), None, np.array([5, 2, 5], np.int64))
    assert W._rows_starting_at(one, rows).tolist() == []
    assert W._rows_starting_at(one, (("A",), None, np.array([5]))).tolist() == [0, 2]
    cat = W._starts_cat(one, W._starts_take(table, np.array([False, True, False, False, True])))
    assert cat[0] == ("A", "B") and cat[1].tolist() == [0, 0, 0, 1, 0] and cat[2].tolist() == [5, 2, 5, 3, 0]
