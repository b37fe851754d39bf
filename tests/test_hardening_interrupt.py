"""Hardening (issues 9 and 19): interruptions and damaged workspaces, on the columnar workspace.

- ``kg demo`` killed with SIGKILL at random points: the workspace opens afterwards with exactly the
  state before the run or exactly the state after it, never one in between;
- a corrupt, truncated, foreign, newer or missing manifest or data file: one clear line naming the
  file and what to do, nothing overwritten, and the advice works (the previous version stays usable);
- an old ``graph.pickle`` workspace: one clear message, and the pickle is never opened;
- a reader while an import runs sees the old or the new version, never a mix.
"""
from __future__ import annotations

import json
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


def _store_copy(ws, to):
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(ws / "store", to)


def _restore(ws, saved):
    shutil.rmtree(ws / "store")
    shutil.copytree(saved, ws / "store")


def _referenced(ws) -> set:
    return {e["file"] for m in ("manifest.json", "manifest.prev.json") if (ws / "store" / m).exists()
            for e in json.loads((ws / "store" / m).read_text("utf-8"))["files"]}


def _graph_digest(ws) -> tuple:
    """Everything that matters of an embedded workspace: stats, node ids and the import manifest's kinds."""
    s = EmbeddedStore(ws)
    return s.stats(), frozenset(s.graph.nodes), tuple(r.get("kind") for r in s.imports())


@pytest.mark.slow
def test_kill_9_during_kg_demo_leaves_before_or_after(dev_workspace, tmp_path):
    ws = dev_workspace
    before = _graph_digest(ws)
    saved = tmp_path / "saved-store"
    _store_copy(ws, saved)
    manifest = (ws / "store" / "manifest.json").read_bytes()
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
            _restore(ws, saved)
            continue
        killed += 1
        assert state in (before, after), f"killed after {delay:.2f} s: a state in between"
        if state == before:
            assert (ws / "store" / "manifest.json").read_bytes() == manifest
        else:
            _restore(ws, saved)  # it had just finished writing: start over
    assert killed >= 4, (killed, finished, points, duration)
    # and the workspace still takes the demo afterwards
    r = run_kg("--workspace", ws, *DEMO, timeout=300)
    assert r.returncode == 0, r.stderr
    assert _graph_digest(ws) == after
    # what the killed writers left (data files no manifest names, temporary files) is collected by the next write
    assert {p.name for p in (ws / "store").glob("*.parquet")} == _referenced(ws)
    assert not list(ws.rglob("*.tmp"))


def test_kill_9_during_kg_demo_on_a_fresh_workspace(tmp_path):
    """No snapshot before: after a kill there is none (an empty workspace) or the whole demo."""
    ws = tmp_path / "ws"
    probe = tmp_path / "probe"  # the whole demo, uninterrupted
    subprocess.run([sys.executable, "-m", "kg", "--workspace", str(probe), "demo", "--deals", "5000"],
                   cwd=str(ROOT), check=True, capture_output=True)
    whole = EmbeddedStore(probe).stats()
    cmd = [sys.executable, "-m", "kg", "--workspace", str(ws), "demo", "--deals", "5000"]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    s = EmbeddedStore(ws)
    if (ws / "store" / "manifest.json").exists():
        assert [r["kind"] for r in s.imports()] == ["demo"] and s.stats() == whole
    else:
        assert s.stats() == {"nodes": {}, "relationships": {}} and s.imports() == []


# ---------------------------------------------------------------------------------------------- damaged workspaces
def _damaged(kind: str, good: bytes) -> bytes:
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "empty":
        return b""
    if kind == "garbage":
        return os.urandom(4096)
    if kind == "foreign json":
        return json.dumps(["not", "a", "workspace"]).encode()
    if kind == "one flipped byte":
        b = bytearray(good)
        b[len(b) // 3] ^= 0xFF
        return bytes(b)
    raise ValueError(kind)


def _newest_data_file(ws):
    """A data file of the current version that the previous version does not name."""
    m = json.loads((ws / "store" / "manifest.json").read_text("utf-8"))
    prev = json.loads((ws / "store" / "manifest.prev.json").read_text("utf-8"))
    old = {e["file"] for e in prev["files"]}
    return ws / "store" / next(e["file"] for e in reversed(m["files"]) if e["file"] not in old)


@pytest.mark.parametrize("target,kind", [("manifest", "truncated"), ("manifest", "empty"), ("manifest", "garbage"),
                                         ("manifest", "foreign json"), ("data", "truncated"), ("data", "garbage"),
                                         ("data", "empty")])
def test_damaged_workspace_one_clear_line_nothing_overwritten_and_the_previous_version_works(
        dev_workspace, tmp_path, target, kind):
    ws = dev_workspace
    before = EmbeddedStore(ws)
    prev_stats = before.stats()
    path = ws / "store" / "manifest.json" if target == "manifest" else _newest_data_file(ws)
    # the version before the dev deals: what going back gives
    expected_prev = json.loads((ws / "store" / "manifest.prev.json").read_text("utf-8"))["stats"]
    assert expected_prev != prev_stats
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
        assert "previous version is intact" in lines[0] and "mv " in lines[0], lines[0]  # what to do
        assert path.read_bytes() == bad, f"{args} overwrote the damaged file"
    # the web explorer says the same on its pages and JSON, and does not crash
    from web import create_app

    c = create_app({"workspace": str(ws), "TESTING": True}).test_client()
    for url in ("/", "/api/home", "/network"):
        resp = c.get(url)
        assert 400 <= resp.status_code < 600 and resp.status_code != 500, (url, resp.status_code)
        assert "cannot be read" in resp.get_data(as_text=True), url
    assert path.read_bytes() == bad
    # the advice works: back to the previous version, which loads again
    (ws / "store" / "manifest.prev.json").replace(ws / "store" / "manifest.json")
    assert EmbeddedStore(ws).stats() == expected_prev
    r = run_kg("--workspace", ws, "load", "deals", f)
    assert r.returncode == 0, r.stderr
    assert EmbeddedStore(ws).stats()["nodes"]["Company"] == expected_prev["nodes"]["Company"] + 1


def test_a_newer_format_is_refused_by_name(dev_workspace):
    path = dev_workspace / "store" / "manifest.json"
    m = json.loads(path.read_text("utf-8"))
    m["format_version"] = 99
    path.write_text(json.dumps(m), "utf-8")
    r = run_kg("--workspace", dev_workspace, "stats", "--json")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert str(path) in lines[0] and "newer IIKG" in lines[0] and "99" in lines[0], lines[0]
    assert json.loads(path.read_text("utf-8"))["format_version"] == 99  # left alone


def test_a_flipped_byte_in_a_data_file_is_refused(dev_workspace):
    """Parquet pages carry checksums (written and verified): a flipped byte is refused by name."""
    path = _newest_data_file(dev_workspace)
    path.write_bytes(_damaged("one flipped byte", path.read_bytes()))
    r = run_kg("--workspace", dev_workspace, "stats", "--json")
    assert "Traceback" not in r.stderr
    assert r.returncode == 1 and "cannot be read" in r.stderr and str(path) in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_manifest_of_a_used_workspace_gives_a_clear_message(dev_workspace):
    (dev_workspace / "store" / "manifest.json").unlink()
    r = run_kg("--workspace", dev_workspace, "stats")
    assert r.returncode == 1 and "manifest.json" in r.stderr and "missing" in r.stderr, (r.stdout, r.stderr)


class _Planted:
    """Unpickling this creates a file: proof that a pickle was loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_an_old_pickle_workspace_is_never_loaded_and_says_how_to_rebuild(tmp_path):
    ws = tmp_path / "old-ws"
    ws.mkdir()
    marker = tmp_path / "pwned"
    (ws / "graph.pickle").write_bytes(pickle.dumps({"format": 1, "graph": _Planted(str(marker))}))
    (ws / "graph.index.pickle").write_bytes(pickle.dumps(_Planted(str(marker))))
    for args in (["stats", "--json"], ["query", "top_investors", "--json"], ["load", "seed"]):
        r = run_kg("--workspace", ws, *args)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, (args, r.stderr)
        assert "older IIKG" in lines[0] and "pickle" in lines[0] and "unsafe" in lines[0], lines[0]
        assert "kg --workspace" in lines[0] and "load" in lines[0], lines[0]  # how to rebuild
        assert not marker.exists(), f"{args} ran the pickle's code"
    from web import create_app

    c = create_app({"workspace": str(ws), "TESTING": True}).test_client()
    resp = c.get("/api/home")
    assert resp.status_code != 500 and "older IIKG" in resp.get_data(as_text=True)
    assert not marker.exists()
    # the advice works
    (ws / "graph.pickle").rename(ws / "graph.pickle.old")
    assert run_kg("--workspace", ws, "load", "seed").returncode == 0
    assert EmbeddedStore(ws).stats()["nodes"]["Segment"] == 7 and not marker.exists()


_READER = r"""
import json, sys, time
from kg.store.embedded import EmbeddedStore
ws, seconds = sys.argv[1], float(sys.argv[2])
seen = {}
end = time.monotonic() + seconds
while time.monotonic() < end:
    s = EmbeddedStore(ws)
    rows = {k: t.num_rows for k, t in s.tables.nodes.items()} | {k: t.num_rows for k, t in s.tables.rels.items()}
    st = s.stats()
    counted = {k: v for part in st.values() for k, v in part.items()}
    ends = set(s.tables.rels["INVESTED_IN"].column("_end").to_pylist())
    rounds = set(s.tables.nodes["Round"].column("id").to_pylist())
    ok = rows == counted and ends <= rounds
    key = json.dumps([st, len(s.imports()), ok], sort_keys=True)
    seen[key] = seen.get(key, 0) + 1
print(json.dumps(seen))
"""


def test_a_reader_during_an_import_sees_the_old_or_the_new_version(dev_workspace, tmp_path):
    from test_load_deals import big_file

    ws = dev_workspace
    f = big_file(tmp_path / "big.csv", 30000)
    before = EmbeddedStore(ws)
    old = json.dumps([before.stats(), len(before.imports()), True], sort_keys=True)
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(ws), "12"], cwd=str(ROOT),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    for _ in range(2):  # the import, then again (idempotent: only the import record is new)
        r = run_kg("--workspace", ws, "load", "deals", f, timeout=300)
        assert r.returncode == 0, r.stderr
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    seen = json.loads(out.strip().splitlines()[-1])
    after = EmbeddedStore(ws)
    new = json.dumps([after.stats(), len(after.imports()), True], sort_keys=True)
    again = json.dumps([after.stats(), len(after.imports()) - 1, True], sort_keys=True)
    assert set(seen) <= {old, again, new}, [k for k in seen if k not in (old, again, new)]
    assert old in seen and sum(seen.values()) >= 5
