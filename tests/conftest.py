"""Shared fixtures: real workspaces on disk, loaded with the report's seed and the dev-eval deals."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    cmd = [sys.executable, "-m", "kg.cli"]
    if workspace is not None:
        cmd += ["--workspace", str(workspace)]
    cmd += [str(a) for a in args]
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=str(ROOT))


@pytest.fixture
def kg():
    return run_kg
