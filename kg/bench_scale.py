"""``kg bench scale``: the columnar workspace at scale (issue 19's targets).

For each size (``--sizes 100000,1000000``; the demo generator writes the file, as the other
sections do): ``kg load deals`` of the whole file into a seeded workspace (wall time, peak RSS of
the process, time of each phase), ``pandas.read_csv`` of the same file in the same run (the
ratio), the workspace's size on disk against the gzip'd CSV, reopening it in a fresh process and
answering a first query, and importing 1,000 new deals into it (the time of the import in a
process that has the workspace open, and of the whole ``kg load deals`` command).

Every figure comes from a fresh child process; run one size at a time on a shared machine.
"""
from __future__ import annotations

import gzip
import json
import shutil
import statistics
import sys

from kg.bench import _CHILD_LOAD, _CHILD_PANDAS, _kg, _log, _run_measured, write_deals_csv

__all__ = ["TARGETS", "bench_scale"]

# (key, what, limit, unit, size)
TARGETS = [
    ("load_s", "kg load deals", 20, "s", 1_000_000),
    ("load_peak_mb", "kg load deals, peak RSS", 1500, "MB", 1_000_000),
    ("load_pandas_ratio", "kg load deals / pandas.read_csv", 6, "×", 1_000_000),
    ("load_pandas_ratio", "kg load deals / pandas.read_csv", 8, "×", 100_000),
    ("load_peak_mb", "kg load deals, peak RSS", 500, "MB", 100_000),
    ("open_query_s", "reopen + first query", 1, "s", 100_000),
    ("open_query_mapped_s", "reopen (memory-mapped copy) + first query", 1, "s", 100_000),
    ("append_s", "import 1,000 deals (in process)", 0.5, "s", 1_000_000),
    ("disk_ratio", "workspace on disk / csv.gz", 2, "×", None),
]

_CHILD_OPEN = r"""
import json, sys, time
t = time.perf_counter()
from kg.store.embedded import EmbeddedStore
from kg.index import graph_index
import kg.queries as Q
t0 = time.perf_counter()
s = EmbeddedStore(sys.argv[1], mapped=len(sys.argv) > 2)
t1 = time.perf_counter()
graph_index(s)
t2 = time.perf_counter()
res = Q.run(s, "top_investors")
t3 = time.perf_counter()
print(json.dumps({"import_s": round(t0 - t, 3), "open_s": round(t1 - t0, 3), "index_s": round(t2 - t1, 3),
                  "query_s": round(t3 - t2, 3), "open_query_s": round(t3 - t0, 3), "rows": len(res.rows),
                  "graph_built": s._graph is not None}))
"""

_CHILD_APPEND = r"""
import json, sys, time
from kg.store.embedded import EmbeddedStore
from kg.loading import load_deals
s = EmbeddedStore(sys.argv[1])
t = time.perf_counter()
rep = load_deals(s, sys.argv[2], sys.argv[1])
print(json.dumps({"append_s": round(time.perf_counter() - t, 3), "changes": rep.changes, "exit": rep.exit_code,
                  "files": len(s.tables.manifest["files"])}))
"""


def _disk_mb(ws) -> float:
    store = ws / "store"
    m = json.loads((store / "manifest.json").read_text("utf-8"))
    return round((sum(e["bytes"] for e in m["files"]) + (store / "manifest.json").stat().st_size) / 2 ** 20, 2)


def _gz_mb(sample) -> float:
    gz = sample.dir / (sample.csv.name + ".gz")
    if not gz.exists():
        with open(sample.csv, "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return round(gz.stat().st_size / 2 ** 20, 2)


def _append_file(sample):
    path = sample.dir / "append-1000.csv"
    if not path.exists():
        from kg.demo import generate

        write_deals_csv(generate(1000, sample.seed + 1), path)
    return path


def bench_scale(sample, repeats: int = 3) -> dict:
    csv_path = sample.ensure_csv()
    out: dict = {"rows": sample.n, "csv_mb": round(csv_path.stat().st_size / 2 ** 20, 1), "csv_gz_mb": _gz_mb(sample)}
    ws = sample.dir / "ws-scale"
    shutil.rmtree(ws, ignore_errors=True)
    r = _run_measured(_kg(ws, "load", "seed"))
    if r["exit"] != 0:
        raise RuntimeError(f"kg load seed failed: {r['stderr'][-2000:]}")
    phases = sample.dir / "scale-phases.json"
    r = _run_measured([sys.executable, "-c", _CHILD_LOAD, str(phases), "--workspace", str(ws), "--backend",
                       "embedded", "load", "deals", str(csv_path), "--json"])
    if r["exit"] not in (0, 2):
        raise RuntimeError(f"kg load deals failed ({r['exit']}): {r['stderr'][-2000:]}")
    out["load_s"], out["load_peak_mb"] = r["wall_s"], r["peak_rss_mb"]
    out["load_phases_s"] = json.loads(phases.read_text())
    _log(f"{sample.n:,}: scale load {r['wall_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB {out['load_phases_s']}")
    pandas_s = []
    for _ in range(repeats):
        p = _run_measured([sys.executable, "-c", _CHILD_PANDAS, str(csv_path)])
        if p["exit"] == 0:
            pandas_s.append(float(p["stdout"].split()[0]))
    if pandas_s:
        out["pandas_read_s"] = round(statistics.median(pandas_s), 3)
        out["load_pandas_ratio"] = round(out["load_s"] / out["pandas_read_s"], 1)
    out["disk_mb"] = _disk_mb(ws)
    out["disk_ratio"] = round(out["disk_mb"] / out["csv_gz_mb"], 2)
    opens = []
    for _ in range(repeats):
        o = _run_measured([sys.executable, "-c", _CHILD_OPEN, str(ws)])
        if o["exit"] == 0:
            opens.append(json.loads(o["stdout"].strip().splitlines()[-1]) | {"peak_rss_mb": o["peak_rss_mb"],
                                                                             "wall_s": o["wall_s"]})
    if opens:
        best = sorted(opens, key=lambda x: x["open_query_s"])[len(opens) // 2]
        out["open"] = best
        out["open_query_s"] = best["open_query_s"]
    # the same from the memory-mapped Arrow copy (how server workers share one copy of the data):
    # the first open writes the copy, the next ones map it
    first = _run_measured([sys.executable, "-c", _CHILD_OPEN, str(ws), "mapped"])
    if first["exit"] == 0:
        out["mapped_first_open_s"] = json.loads(first["stdout"].strip().splitlines()[-1])["open_s"]
        out["mapped_copy_mb"] = round(sum(p.stat().st_size for p in (ws / "cache").rglob("*") if p.is_file()) / 2 ** 20, 1)
    mapped = []
    for _ in range(repeats):
        o = _run_measured([sys.executable, "-c", _CHILD_OPEN, str(ws), "mapped"])
        if o["exit"] == 0:
            mapped.append(json.loads(o["stdout"].strip().splitlines()[-1]) | {"peak_rss_mb": o["peak_rss_mb"]})
    if mapped:
        best = sorted(mapped, key=lambda x: x["open_query_s"])[len(mapped) // 2]
        out["open_mapped"] = best
        out["open_query_mapped_s"] = best["open_query_s"]
    add = _append_file(sample)
    appends, walls = [], []
    for k in range(repeats):
        copy = sample.dir / "ws-append"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(ws, copy, ignore=shutil.ignore_patterns("cache"))
        a = _run_measured([sys.executable, "-c", _CHILD_APPEND, str(copy), str(add)])
        if a["exit"] == 0:
            appends.append(json.loads(a["stdout"].strip().splitlines()[-1]) | {"peak_rss_mb": a["peak_rss_mb"]})
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(ws, copy, ignore=shutil.ignore_patterns("cache"))
        c = _run_measured(_kg(copy, "load", "deals", add))
        if c["exit"] in (0, 2):
            walls.append(c["wall_s"])
            if k == 0:
                out["disk_after_append_mb"] = _disk_mb(copy)
        shutil.rmtree(copy, ignore_errors=True)
    if appends:
        out["append_s"] = statistics.median(x["append_s"] for x in appends)
        out["append"] = appends[len(appends) // 2]
    if walls:
        out["append_cli_s"] = statistics.median(walls)
    out["targets"] = [{"what": what, "limit": f"{limit} {unit}", "value": out.get(key),
                       "met": out.get(key) is not None and out[key] <= limit}
                      for key, what, limit, unit, size in TARGETS if size in (None, sample.n)]
    _log(f"{sample.n:,}: scale {json.dumps({k: v for k, v in out.items() if k != 'targets'}, ensure_ascii=False)}")
    return out
