"""The columnar workspace (issue 19): values read back exactly, imports append files, compaction
folds them, the networkx graph and the read interface agree with the tables."""
from __future__ import annotations

import json

import pytest

from kg.model import Batch
from kg.store import GraphReader
from kg.store.embedded import EmbeddedStore


def _manifest(ws) -> dict:
    return json.loads((ws / "store" / "manifest.json").read_text("utf-8"))


def test_values_read_back_exactly_as_written(workspace):
    b = Batch()
    b.node("Investor", "investor:a", "s1", name="A", aliases=["甲", "A Capital"], count=3, share=0.5, listed=True)
    b.node("Investor", "investor:b", "s1", name="B", count=2.0, meta={"k": [1, 2]})   # a float among ints
    b.node("Round", "round:x", "s1", label="A轮", amount_cny=800000000, date="2019-07")
    b.rel("INVESTED_IN", "investor:a", "round:x", "s1", lead=True)
    b.rel("INVESTED_IN", "investor:b", "round:x", "s1")
    EmbeddedStore(workspace).apply(b)
    s = EmbeddedStore(workspace)
    a, bb = s.graph.nodes["investor:a"], s.graph.nodes["investor:b"]
    assert a == {"_label": "Investor", "id": "investor:a", "name": "A", "aliases": ["甲", "A Capital"], "count": 3,
                 "share": 0.5, "listed": True, "sources": ["s1"]}
    assert type(a["count"]) is int and type(bb["count"]) is float and bb["meta"] == {"k": [1, 2]}
    assert "listed" not in bb  # no None stored: a missing property stays missing
    assert s.graph.nodes["round:x"]["amount_cny"] == 800000000 and type(s.graph.nodes["round:x"]["amount_cny"]) is int
    assert s.graph.edges["investor:a", "round:x", "INVESTED_IN"] == {"lead": True, "sources": ["s1"]}
    assert s.graph.edges["investor:b", "round:x", "INVESTED_IN"] == {"sources": ["s1"]}
    assert not list(workspace.rglob("*.pickle"))


def test_imports_append_files_and_compaction_folds_them(dev_workspace, tmp_path):
    s = EmbeddedStore(dev_workspace)
    before = _manifest(dev_workspace)
    digest = (s.stats(), {n: dict(d) for n, d in s.graph.nodes(data=True)},
              {(u, v, k): dict(d) for u, v, k, d in s.graph.edges(keys=True, data=True)})
    b = Batch()
    b.node("Company", "company:新公司", "news:1", name="新公司")
    b.node("Investor", "investor:深创投", "news:1", aliases=["深创投测试别名"])  # an existing node gains an alias
    s.apply(b, record={"kind": "test"})
    after = _manifest(dev_workspace)
    assert after["version"] == before["version"] + 1
    assert [e["file"] for e in after["files"][:len(before["files"])]] == [e["file"] for e in before["files"]]
    added = after["files"][len(before["files"]):]
    assert sorted((e["name"], e["rows"]) for e in added) == [("Company", 1), ("Investor", 1)]
    fresh = EmbeddedStore(dev_workspace)
    assert "深创投测试别名" in fresh.graph.nodes["investor:深创投"]["aliases"]
    assert fresh.graph.nodes["investor:深创投"]["aliases"][:-1] == digest[1]["investor:深创投"].get("aliases", [])
    assert fresh.nodes_by_label("Company")[-1] == "company:新公司"
    # the store that wrote it patched its own graph: the same as a fresh reader's
    assert {n: dict(d) for n, d in s.graph.nodes(data=True)} == {n: dict(d) for n, d in fresh.graph.nodes(data=True)}
    fresh.compact()
    compacted = _manifest(dev_workspace)
    assert all(e.get("base") for e in compacted["files"])
    assert len({e["name"] for e in compacted["files"]}) == len(compacted["files"])  # one file per table
    again = EmbeddedStore(dev_workspace)
    assert again.stats() == fresh.stats() and again.imports() == fresh.imports()
    assert {n: dict(d) for n, d in again.graph.nodes(data=True)} == {n: dict(d) for n, d in fresh.graph.nodes(data=True)}
    assert again.nodes_by_label("Investor") == fresh.nodes_by_label("Investor")  # order kept by compaction
    # only the files of the current and the previous version are kept
    kept = {e["file"] for m in (compacted, json.loads((dev_workspace / "store" / "manifest.prev.json").read_text()))
            for e in m["files"]}
    assert {p.name for p in (dev_workspace / "store").glob("*.parquet")} == kept


def test_many_small_imports_are_compacted_automatically(workspace):
    s = EmbeddedStore(workspace)
    for i in range(12):
        b = Batch()
        b.node("Company", f"company:c{i}", f"s{i}", name=f"C{i}")
        s.apply(b)
    m = _manifest(workspace)
    versions = {e["version"] for e in m["files"]}
    assert len(versions) <= 9 and m["version"] == 12
    assert EmbeddedStore(workspace).stats()["nodes"]["Company"] == 12


def test_the_graph_is_built_only_when_asked_for_and_can_be_dropped(dev_workspace):
    from kg.index import graph_index
    from kg.queries import run

    s = EmbeddedStore(dev_workspace)
    assert s._graph is None
    graph_index(s)
    assert run(s, "top_investors").rows
    s.stats(), s.nodes_by_label("Investor"), s.imports()
    assert s._graph is None  # counts, ids, the index and a ranking: from the tables
    g = s.graph
    assert g.number_of_nodes() == sum(s.stats()["nodes"].values())
    assert g.number_of_edges() == sum(s.stats()["relationships"].values())
    s.graph = None  # what web/importer does with a private store
    assert s.graph is not g and s.graph.number_of_nodes() == g.number_of_nodes()


def test_the_read_interface(dev_workspace):
    s = EmbeddedStore(dev_workspace)
    assert isinstance(s, GraphReader)
    G = s.graph
    inv = next(iter(s.nodes_by_label("Investor")))
    assert s.entity(inv) == G.nodes[inv] and s.entity("nobody") is None
    fresh = EmbeddedStore(dev_workspace)
    assert fresh.entity(inv) == G.nodes[inv] and fresh._graph is None
    out = {(t, o) for t, o, d, _ in fresh.neighbours(inv) if d == "out"}
    assert out == {(k, v) for _, v, k in G.out_edges(inv, keys=True)}
    assert fresh.entities("Round").num_rows == s.stats()["nodes"]["Round"]
    assert fresh.relationships("RAISED").num_rows == s.stats()["relationships"]["RAISED"]
    deals = fresh.deals()
    raised = {v: u for u, v, k in G.edges(keys=True) if k == "RAISED"}
    assert dict(zip(deals.column("id").to_pylist(), deals.column("company_id").to_pylist())) == {
        r: raised.get(r) for r in s.nodes_by_label("Round")}
    cat = fresh.catalogue()
    assert cat.num_rows == G.number_of_nodes()
    row = dict(zip(cat.column("id").to_pylist(), cat.column("name").to_pylist()))
    assert row[inv] == G.nodes[inv]["name"]


def test_a_failed_apply_writes_nothing(dev_workspace):
    from kg.errors import WorkspaceError

    s = EmbeddedStore(dev_workspace)
    before = (dev_workspace / "store" / "manifest.json").read_bytes()
    files = sorted(p.name for p in (dev_workspace / "store").iterdir())
    b = Batch()
    b.node("Company", "company:x", "t")
    b.rel("RAISED", "company:x", "round:nowhere", "t")
    with pytest.raises(WorkspaceError, match="missing node"):
        s.apply(b)
    assert (dev_workspace / "store" / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in (dev_workspace / "store").iterdir()) == files


def test_a_mapped_reader_shares_an_arrow_copy_and_follows_writes(dev_workspace, tmp_path):
    """mapped=True: each version is read from an Arrow IPC copy memory-mapped read-only (workers
    share its pages); same tables as the Parquet read; a write makes the next version's copy and
    removes the old one; a damaged copy is not used; another process maps the same copy."""
    import subprocess
    import sys

    import pyarrow as pa

    from kg.store import workspace as W

    plain = EmbeddedStore(dev_workspace)
    mapped = EmbeddedStore(dev_workspace, mapped=True)
    copies = list((dev_workspace / "cache").iterdir())
    assert len(copies) == 1 and (copies[0] / "tables.json").exists()
    for kind in ("nodes", "rels"):
        for name, t in getattr(plain.tables, kind).items():
            assert W.decode_rows(getattr(mapped.tables, kind)[name]) == W.decode_rows(t), (kind, name)
    before = pa.total_allocated_bytes()
    again = EmbeddedStore(dev_workspace, mapped=True)  # maps the copy: no table read into memory
    assert pa.total_allocated_bytes() - before < 1 << 20
    assert again.stats() == plain.stats()
    # another process opens it read-only, mapped, and sees the same counts
    code = ("import json,sys; from kg.store.embedded import EmbeddedStore; "
            "s = EmbeddedStore(sys.argv[1], mapped=True); "
            "print(json.dumps({k: t.num_rows for k, t in s.tables.nodes.items()}))")
    out = subprocess.run([sys.executable, "-c", code, str(dev_workspace)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {k: t.num_rows for k, t in plain.tables.nodes.items()}
    # a write: the mapped reader picks up the new version; the old copy goes
    b = Batch()
    b.node("Company", "company:映射测试", "test", name="映射测试")
    plain.apply(b)
    assert mapped.refresh()
    assert mapped.entity("company:映射测试")["name"] == "映射测试"
    copies2 = list((dev_workspace / "cache").iterdir())
    assert len(copies2) == 1 and copies2[0].name != copies[0].name
    # a damaged copy is ignored (read from Parquet, copy written again)
    victim = next(p for p in copies2[0].iterdir() if p.suffix == ".arrow")
    victim.write_bytes(victim.read_bytes()[:100])
    fresh = EmbeddedStore(dev_workspace, mapped=True)
    assert fresh.entity("company:映射测试")["name"] == "映射测试"
    assert fresh.stats() == plain.stats()
    assert len(victim.read_bytes()) > 100  # written again whole
