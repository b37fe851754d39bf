"""Hardening (issue 9): interruptions and damaged workspaces.

- ``kg demo`` killed with SIGKILL at random points: the workspace opens afterwards with exactly the
  state before the run or exactly the state after it, never one in between;
- a corrupt, truncated, foreign or missing snapshot: one clear line naming the file and what to do,
  nothing overwritten, and the advice works.
"""
from __future__ import annotations

import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from test_hardening_support import ROOT, run_kg

from kg.store.embedded import EmbeddedStore

DEMO = ["demo", "--deals", "20000", "--seed", "7"]


def _graph_digest(ws) -> tuple:
    """Everything that matters of an embedded workspace: stats, node ids and the import manifest's kinds."""
    s = EmbeddedStore(ws)
    return s.stats(), frozenset(s.graph.nodes), tuple(r.get("kind") for r in s.imports())


@pytest.mark.slow
def test_kill_9_during_kg_demo_leaves_before_or_after(dev_workspace, tmp_path):
    ws = dev_workspace
    before = _graph_digest(ws)
    snapshot = (ws / "graph.pickle").read_bytes()
    cmd = [sys.executable, "-m", "kg", "--workspace", str(ws), *DEMO]
    # the state after an uninterrupted run, and how long it takes here, on a copy
    probe = tmp_path / "probe"
    shutil.copytree(ws, probe)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "kg", "--workspace", str(probe), *DEMO], cwd=str(ROOT), check=True,
                   capture_output=True)
    duration = time.monotonic() - t0
    after = _graph_digest(probe)
    assert after != before
    rnd = random.Random(int(os.environ.get("IIKG_KILL_SEED", "9")))
    # random points over the whole run: start-up, generation, applying, pickling, fsync and rename
    points = sorted(rnd.uniform(0.15, 1.0) * duration for _ in range(8))
    killed = finished = 0
    for delay in points:
        proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = _graph_digest(ws)
        if proc.returncode == 0:
            finished += 1
            assert state == after
            # run again from the state before, for the next kill
            (ws / "graph.pickle").write_bytes(snapshot)
            continue
        killed += 1
        assert state in (before, after), f"killed after {delay:.2f} s: a state in between"
        if state == before:
            assert (ws / "graph.pickle").read_bytes() == snapshot
        else:
            (ws / "graph.pickle").write_bytes(snapshot)  # it had just finished writing: start over
        # the killed writer's temporary file is gone once the workspace is opened again
        EmbeddedStore(ws)
        assert not list(ws.glob(".graph.pickle.*.tmp"))
    assert killed >= 4, (killed, finished, points, duration)
    # and the workspace still takes the demo afterwards
    r = run_kg("--workspace", ws, *DEMO, timeout=300)
    assert r.returncode == 0, r.stderr
    assert _graph_digest(ws) == after


def test_kill_9_during_kg_demo_on_a_fresh_workspace(tmp_path):
    """No snapshot before: after a kill there is none (an empty workspace) or the whole demo."""
    ws = tmp_path / "ws"
    cmd = [sys.executable, "-m", "kg", "--workspace", str(ws), "demo", "--deals", "5000"]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    s = EmbeddedStore(ws)
    if (ws / "graph.pickle").exists():
        assert [r["kind"] for r in s.imports()] == ["demo"] and s.stats()["nodes"]["Round"] == 5000
    else:
        assert s.stats() == {"nodes": {}, "relationships": {}} and s.imports() == []


# ---------------------------------------------------------------------------------------------- damaged snapshots
def _damaged(kind: str, good: bytes) -> bytes:
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "empty":
        return b""
    if kind == "garbage":
        return os.urandom(4096)
    if kind == "foreign pickle":
        return pickle.dumps(["not", "a", "workspace"])
    if kind == "future format":
        return pickle.dumps({"format": 99, "graph": None})
    if kind == "one flipped byte":
        b = bytearray(good)
        b[len(b) // 3] ^= 0xFF
        return bytes(b)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["truncated", "empty", "garbage", "foreign pickle", "future format"])
def test_damaged_snapshot_one_clear_line_nothing_overwritten_and_recovery_works(dev_workspace, tmp_path, kind):
    ws = dev_workspace
    path = ws / "graph.pickle"
    bad = _damaged(kind, path.read_bytes())
    path.write_bytes(bad)
    f = tmp_path / "new.csv"
    f.write_text("date,company,round\n2019-01-01,新公司,A轮\n", encoding="utf-8")
    every = (["stats"], ["load", "deals", str(f)], ["load", "seed"], ["demo", "--deals", "10"],
             ["query", "top_investors", "--json"])
    for args in every if kind == "truncated" else every[:2]:
        r = run_kg("--workspace", ws, *args)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert len(lines) == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        assert str(path) in lines[0] and "cannot be read" in lines[0], lines[0]
        assert "move it aside" in lines[0].lower(), lines[0]  # what to do
        assert path.read_bytes() == bad, f"{args} overwrote the damaged snapshot"
    # the web explorer says the same on its pages and JSON, and does not crash
    from web import create_app

    c = create_app({"workspace": str(ws), "TESTING": True}).test_client()
    for url in ("/", "/api/home", "/network"):
        resp = c.get(url)
        assert 400 <= resp.status_code < 600 and resp.status_code != 500, (url, resp.status_code)
        assert "cannot be read" in resp.get_data(as_text=True), url
    assert path.read_bytes() == bad
    # the advice works: move it aside, load again
    path.rename(ws / "graph.pickle.damaged")
    r = run_kg("--workspace", ws, "load", "deals", f)
    assert r.returncode == 0, r.stderr
    assert EmbeddedStore(ws).stats()["nodes"]["Company"] == 1
    assert (ws / "graph.pickle.damaged").read_bytes() == bad  # the damaged one kept for whoever wants it


def test_a_flipped_byte_is_either_refused_or_harmless(dev_workspace):
    """A pickle has no checksum: one flipped byte may still unpickle. Either it is refused with the
    clear message, or what loads is still a well-formed workspace (documented limit: no checksum)."""
    path = dev_workspace / "graph.pickle"
    path.write_bytes(_damaged("one flipped byte", path.read_bytes()))
    r = run_kg("--workspace", dev_workspace, "stats", "--json")
    assert "Traceback" not in r.stderr
    assert r.returncode == 0 or ("cannot be read" in r.stderr and len(r.stderr.strip().splitlines()) == 1), r.stderr


def test_missing_snapshot_of_a_used_workspace_gives_a_clear_message(dev_workspace):
    (dev_workspace / "graph.pickle").unlink()
    r = run_kg("--workspace", dev_workspace, "stats")
    assert r.returncode == 1 and "graph.pickle" in r.stderr and "missing" in r.stderr, (r.stdout, r.stderr)
