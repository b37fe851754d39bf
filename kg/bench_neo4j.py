"""``kg bench --only neo4j``: the Neo4j backend on a real Neo4j 5.26, beside the embedded store.

What it measures, at each size, in one run:

- loading: the store's batched ``UNWIND $rows MERGE …`` (``KG_BATCH_SIZE`` rows a statement)
  against per-row ``MERGE`` (batch size 1) on the first ``per_row_rows`` deals, and the whole file
  batched (the parse is done once and not timed: only the store's write is);
- reads: every named query with the same parameter sets as the embedded ``queries`` section, and
  chat answers to the same generated questions, p50/p95 on Neo4j and on the embedded store.

It needs a source checkout: the server is the test launcher in ``tests/neo4j`` (Maven Central jars;
``mvn -q -B package`` there, or let this module run it) started through ``tests/neo4j_server.py``,
which :func:`test_helper` loads from the tree this package sits in. Java 17 and Maven must be on
the PATH. Nothing here talks to any other Neo4j.
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

__all__ = ["bench_neo4j", "test_helper"]

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def test_helper(name: str) -> ModuleType:
    """A helper module of the test suite (``tests/<name>.py``: the FalkorDB and Neo4j launchers),
    for the benchmarks; it exists only in a source checkout."""
    if name in sys.modules:
        return sys.modules[name]
    path = TESTS / f"{name}.py"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: this benchmark runs from a source checkout of IIKG")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


test_helper.__test__ = False  # not a test, whatever its name says


def _timed_reads(store, fn_calls, repeats: int) -> dict:
    """p50/p95 of each call (after one warm-up call each)."""
    from kg.bench import _stats_ms

    times = []
    for call in fn_calls:
        try:
            call(store)
        except Exception:  # noqa: BLE001 - a query refused with a message is timed elsewhere
            continue
        for _ in range(repeats):
            t = time.perf_counter()
            call(store)
            times.append(time.perf_counter() - t)
    return _stats_ms(times)


def bench_neo4j(sample, per_row_rows: int = 10_000, repeats: int = 3, n_questions: int = 100, *,
                reads: bool = True) -> dict:
    """Loads and (``reads``) queries and chat answers on a real Neo4j started from tests/neo4j, beside the
    embedded store. ``per_row_rows=0`` skips the per-row comparison (at 100k: only the whole load)."""
    from kg.bench import _actors, _head_csv, _log, _stats_ms, param_sets, questions
    from kg.chat import answer
    from kg.config import Config
    from kg.queries import REGISTRY, run
    from kg.store.cypher import open_cypher_store
    from kg.store.embedded import EmbeddedStore
    from loaders.deals import parse_deals
    from loaders.seed import seed_batch

    launcher = test_helper("neo4j_server")
    server = launcher.Neo4jServer(java_opts=launcher.BENCH_JAVA_OPTS)  # full JIT (the tests run C1 only)
    csv_path = sample.ensure_csv()
    emb = EmbeddedStore(sample.ensure_workspace()) if reads else None
    t0 = time.perf_counter()
    server.start()
    out: dict = {"server_start_s": round(time.perf_counter() - t0, 1), "neo4j": "5.26 Community (tests/neo4j)"}
    ws = sample.dir / "neo4j-ws"

    def config(batch_size: int) -> Config:
        return Config(workspace=str(ws), backend="neo4j", neo4j_uri=server.uri, neo4j_username=server.user,
                      neo4j_password=server.password, neo4j_database=server.database, batch_size=batch_size)

    def load(path, batch_size: int, keep: bool = False) -> dict:
        shutil.rmtree(ws, ignore_errors=True)
        parsed = parse_deals(path)
        store = open_cypher_store(config(batch_size))
        try:
            store.clear()
            store.ensure_schema()
            store.apply(seed_batch())  # as `kg load seed` before the deals; not timed
            t = time.perf_counter()
            changes = store.apply(parsed.batch)
            dt = time.perf_counter() - t
            if not keep:
                store.clear()
        finally:
            store.close()
        items = len(parsed.batch)
        return {"s": round(dt, 3), "rows": parsed.loaded, "items": items, "batch_size": batch_size,
                "items_per_s": round(items / dt) if dt else None,
                "created": changes.get("nodes_created", 0) + changes.get("rels_created", 0)}

    try:
        default = Config.from_env(workspace=str(ws)).batch_size
        if per_row_rows:
            head = _head_csv(csv_path, sample.dir / "head-neo4j.csv", min(per_row_rows, sample.n))
            load(head, default)  # warm-up, not reported: the JVM compiles the write path on the first load
            batched = load(head, default)
            per_row = load(head, 1)
            out["sample"] = {"batched": batched, "per_row": per_row,
                             "speedup": round(per_row["s"] / batched["s"], 1) if batched["s"] else None}
            _log(f"{sample.n:,}: Neo4j {batched['rows']} rows: batched {batched['s']:.2f} s, per-row "
                 f"{per_row['s']:.2f} s ({out['sample']['speedup']}×)")
        else:  # warm-up on the first 10k rows, as above
            load(_head_csv(csv_path, sample.dir / "head-neo4j.csv", min(10_000, sample.n)), default)
        out["full_batched"] = load(csv_path, default, keep=reads)
        _log(f"{sample.n:,}: Neo4j whole file batched {out['full_batched']['s']:.1f} s")
        if not reads:
            return out

        store = open_cypher_store(config(default))
        try:
            actors = _actors(emb)
            queries = {}
            for name, q in sorted(REGISTRY.items()):
                calls = [lambda s, n=name, p=p: run(s, n, **p) for p in param_sets(q, actors)]
                queries[name] = {"neo4j": _timed_reads(store, calls, repeats),
                                 "embedded": _timed_reads(emb, calls, repeats)}
                _log(f"{sample.n:,}: query {name}: Neo4j p95 {queries[name]['neo4j']['p95_ms']} ms, "
                     f"embedded {queries[name]['embedded']['p95_ms']} ms")
            out["queries"] = queries
            every = {b: [] for b in ("neo4j", "embedded")}
            for rec in queries.values():
                for b in every:
                    every[b].append(rec[b]["p95_ms"] or 0)
            out["queries_worst_p95_ms"] = {b: max(v) for b, v in every.items()}
            qs = questions(actors, n_questions)
            chat = {}
            for b, s in (("neo4j", store), ("embedded", emb)):
                for q in questions(actors, 10, seed=1):
                    answer(s, q)
                times = []
                for q in qs:
                    t = time.perf_counter()
                    answer(s, q)
                    times.append(time.perf_counter() - t)
                chat[b] = _stats_ms(times)
            out["chat"] = chat
            _log(f"{sample.n:,}: chat p50/p95 Neo4j {chat['neo4j']['p50_ms']}/{chat['neo4j']['p95_ms']} ms, "
                 f"embedded {chat['embedded']['p50_ms']}/{chat['embedded']['p95_ms']} ms")
            store.clear()
        finally:
            store.close()
    finally:
        server.stop()
        shutil.rmtree(ws, ignore_errors=True)
    return out
