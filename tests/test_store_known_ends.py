"""The large-load shortcuts of the columnar write give the same workspace as the general path:
relationship ends placed from the loader's own rows (``end_rows``, the plan's ``known_ends``),
a few values looked up among many keys (``_lookup_few``), tables written two at a time."""
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import loaders.deals as D
from kg.loading import load_deals, load_seed
from kg.store import workspace as W
from kg.store.embedded import EmbeddedStore


def test_lookup_few_matches_lookup_many():
    rng = np.random.default_rng(7)
    keys = pa.array([f"k{i}" for i in rng.integers(0, 500, 4000)])
    queries = [pa.array([f"k{i}" for i in rng.integers(0, 700, n)] + [None]) for n in (3, 17, 40)]
    queries.append(pa.chunked_array([pa.array(["k1", "zz"]), pa.array(["k2"])]))
    many, _ = W.lookup_many(keys, queries)
    few = W._lookup_few([keys], queries)
    parts = W._lookup_few([keys.slice(0, 1500), keys.slice(1500, 1000), keys.slice(2500)], queries)
    for a, b in zip(parts, many):  # keys in several arrays: a key's first place over them all
        assert a.tolist() == b.tolist()
    assert len(few) == len(many)
    for a, b in zip(few, many):
        assert a.tolist() == b.tolist()
    assert any((a >= 0).any() for a in few) and any((a < 0).any() for a in few)


def _tables(ws):
    m = json.loads((ws / "store" / "manifest.json").read_text("utf-8"))
    return m, {(e["kind"], e["name"]): pq.read_table(ws / "store" / e["file"]) for e in m["files"]}


def test_known_ends_and_parallel_write_give_the_same_workspace(tmp_path, dev_deals_path, monkeypatch):
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    for ws in (fast, slow):
        ws.mkdir()
        load_seed(EmbeddedStore(ws))  # seeded: some relationship types have rows before the load
    monkeypatch.setattr(W, "_PARALLEL_ROWS", 0)
    seen = {}
    build = D.build_tables

    def keep(*a, **k):
        batch = build(*a, **k)
        seen["end_rows"] = getattr(batch, "end_rows", None)
        return batch

    monkeypatch.setattr(D, "build_tables", keep)
    load_deals(EmbeddedStore(fast), dev_deals_path, fast)
    assert seen["end_rows"], "the loader says where the ends are"

    def drop(*a, **k):
        batch = build(*a, **k)
        del batch.end_rows
        return batch

    monkeypatch.setattr(D, "build_tables", drop)
    monkeypatch.setattr(W, "_known_ends", lambda known, hint, nodes: {})  # every end looked up by id
    monkeypatch.setattr(W, "_PARALLEL_ROWS", 10 ** 12)
    load_deals(EmbeddedStore(slow), dev_deals_path, slow)
    mf, tf = _tables(fast)
    ms, ts = _tables(slow)
    assert mf["stats"] == ms["stats"]
    assert [(e["kind"], e["name"], e["rows"]) for e in mf["files"]] == [(e["kind"], e["name"], e["rows"])
                                                                        for e in ms["files"]]
    assert ("rels", "LOCATED_IN") in tf and tf[("rels", "INVESTED_IN")].num_rows
    for key, t in tf.items():
        assert t.equals(ts[key]), key
    # and the workspace reads back with every end where it was
    a, b = EmbeddedStore(fast), EmbeddedStore(slow)
    for type_ in ("INVESTED_IN", "LOCATED_IN", "RAISED"):
        assert a.tables.rels[type_].select(["_start", "_end"]).equals(b.tables.rels[type_].select(["_start", "_end"]))


def test_node_positions_of_a_small_batch():
    from kg.store.embedded import _node_positions

    stored = {"Company": pa.table({"id": [f"company:{i}" for i in range(40)]}),
              "Investor": pa.table({"id": [f"investor:{i}" for i in range(30)]}),
              "Region": pa.table({"id": pa.array([], pa.string())})}
    batch = {"Company": pa.table({"id": ["company:7", "company:new", "company:0"]}),
             "Investor": pa.table({"id": ["investor:29", "investor:x"]})}
    got = _node_positions(batch, stored)
    assert {k: v.tolist() for k, v in got.items()} == {"Company": [7, -1, 0], "Investor": [29, -1]}
    # a new company whose id is stored as an investor: the row-by-row rules decide
    assert _node_positions({"Company": pa.table({"id": ["investor:3"]})}, stored) is False
    # an id stored under its own label: found where it is
    assert _node_positions({"Investor": pa.table({"id": ["investor:3"]})}, stored)["Investor"].tolist() == [3]
    # not small beside the workspace: the caller's general plan
    assert _node_positions({"Company": pa.table({"id": [f"c{i}" for i in range(30)]})}, stored) is None
