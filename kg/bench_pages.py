"""Entity and query pages, and their JSON twins: the first view (queries run), then warm p50/p95,
and the size of the first view.

``kg bench --only pages`` runs it on the bench's demo workspaces; on a workspace of your own:
``python -m kg.bench_pages --workspace DIR [--repeats 20] [--json]``. Targets (issue 18): p95 ≤ 100 ms
at 100k deals and a first view of at most 200 KB of JSON.
"""
from __future__ import annotations

import json
import time
from urllib.parse import quote

__all__ = ["TARGET_KB", "TARGET_P95_MS", "bench_pages", "measure", "targets"]

TARGET_P95_MS = 100
TARGET_KB = 200


def _pct(xs: list[float], q: float) -> float:
    from kg.bench import _pct as pct  # one percentile for every bench section

    return pct(xs, q)


def _paths(store) -> dict[str, list[str]]:
    """URLs per kind of page: the busiest investors and their companies, big regions, segments."""
    from kg.queries import run

    top = run(store, "top_investors", k=3).rows
    inv = [r["investor_id"] for r in top if r.get("investor_id")]
    cos = []
    if inv:
        rows = run(store, "portfolio", investor=inv[0]).rows
        cos = [r["company_id"] for r in rows[:2] + rows[-1:]]
    e = lambda i: quote(i, safe="")  # noqa: E731
    regions = ["province:浙江", "province:广东", "macro:长三角", "city:杭州"]
    segments = ["segment:平台", "segment:安全"]
    out = {"investor": [], "company": [], "region": [], "segment": [], "query": []}
    for kind, ids in (("investor", inv), ("company", cos), ("region", regions), ("segment", segments)):
        for i in ids:
            out[kind] += [f"/entity/{e(i)}", f"/api/entity/{e(i)}"]
    for i in inv[:1]:
        out["query"] += [f"/query/portfolio?investor={e(i)}", f"/api/query/portfolio?investor={e(i)}&limit=25"]
    return out


def measure(store, workspace, repeats: int = 20) -> dict:
    """Each page ``repeats`` times after one warm-up call: p50/p95 ms and bytes, per page and per kind."""
    from web import create_app

    client = create_app({"workspace": str(workspace), "TESTING": True}, store=store).test_client()
    t0 = time.perf_counter()
    client.get("/")
    out: dict = {"first_request_s": round(time.perf_counter() - t0, 3), "pages": {}, "kinds": {}}
    for kind, urls in _paths(store).items():
        every = []
        for url in urls:
            t = time.perf_counter()
            r = client.get(url)  # its first view: the named queries run (then kept per store version)
            first_ms = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                out["pages"][url] = {"error": r.status_code}
                continue
            xs = []
            for _ in range(repeats):
                t = time.perf_counter()
                r = client.get(url)
                xs.append((time.perf_counter() - t) * 1000)
            every += xs
            out["pages"][url] = {"first_ms": round(first_ms, 1), "p50_ms": round(_pct(xs, 50), 1),
                                 "p95_ms": round(_pct(xs, 95), 1),
                                 "kb": round(len(r.data) / 1024, 1), "json": url.startswith("/api/")}
        if every:
            out["kinds"][kind] = {"p50_ms": round(_pct(every, 50), 1), "p95_ms": round(_pct(every, 95), 1)}
    pages = [p for p in out["pages"].values() if "p95_ms" in p]
    out["worst_p95_ms"] = max((p["p95_ms"] for p in pages), default=None)
    out["worst_first_ms"] = max((p["first_ms"] for p in pages), default=None)
    out["max_json_kb"] = max((p["kb"] for p in pages if p["json"]), default=None)
    out["max_html_kb"] = max((p["kb"] for p in pages if not p["json"]), default=None)
    return out


def targets(res: dict) -> list[dict]:
    return [{"what": "entity/query pages and JSON twins, p95 warm", "limit": TARGET_P95_MS, "unit": "ms",
             "value": res.get("worst_p95_ms"), "met": (res.get("worst_p95_ms") or 1e9) <= TARGET_P95_MS},
            {"what": "first view, JSON", "limit": TARGET_KB, "unit": "KB", "value": res.get("max_json_kb"),
             "met": (res.get("max_json_kb") or 1e9) <= TARGET_KB}]


def bench_pages(sample, repeats: int = 5) -> dict:
    """The ``pages`` section of ``kg bench`` (a :class:`kg.bench.Sample`'s seeded demo workspace)."""
    from kg.store.embedded import EmbeddedStore

    ws = sample.ensure_workspace()
    res = measure(EmbeddedStore(ws), ws, max(repeats, 10))
    res["targets"] = targets(res)
    return res


def main(argv=None) -> int:
    import argparse

    from kg.store.embedded import EmbeddedStore

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = measure(EmbeddedStore(a.workspace), a.workspace, a.repeats)
    res["targets"] = targets(res)
    if a.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        for url, p in res["pages"].items():
            print(f"{p.get('first_ms', '-'):>8} {p.get('p50_ms', '-'):>7} {p.get('p95_ms', '-'):>7} ms "
                  f"{p.get('kb', '-'):>7} KB  {url}")
        for t in res["targets"]:
            print(f"{t['what']}: {t['value']} {t['unit']} (≤ {t['limit']}): {'met' if t['met'] else 'NOT met'}")
        print(f"first request: {res['first_request_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
