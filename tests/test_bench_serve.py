"""``kg bench serve`` (kg/bench_serve.py) on a small demo workspace: 4 clients for 5 s against a real
``kg serve``. Asserts the answers (0 errors: every status and content type as expected, the bad
input's 4xx included) and the report's shape, never timings: speed is what the bench measures."""
from __future__ import annotations

import json

import pytest
from demo_workspace import demo_workspace


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    ws, store = demo_workspace(tmp_path_factory, 150, name="bench-serve")
    store.close()
    return ws


def test_bench_serve_runs_clean_and_reports_every_figure(small_demo, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    out = tmp_path / "serve.json"
    r = CliRunner().invoke(main, ["bench", "serve", "--workspace", str(small_demo), "--clients", "4",
                                  "--seconds", "5", "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text(encoding="utf-8"))
    load = res["load"]
    assert load["clients"] == 4 and load["seconds"] >= 5
    o = load["overall"]
    assert o["errors"] == 0, load["error_samples"]
    assert o["count"] > 0 and set(o) == {"count", "errors", "req_s", "p50_ms", "p95_ms", "p99_ms", "max_ms"}
    assert o["p50_ms"] <= o["p95_ms"] <= o["p99_ms"] <= o["max_ms"]
    # the mix reached every kind, bad input included, and each kind says the same figures
    assert set(load["kinds"]) == {"chat", "network", "entity", "query", "report", "home", "export", "bad"}, load["kinds"]
    assert sum(k["count"] for k in load["kinds"].values()) == o["count"]
    assert all(set(k) == set(o) for k in load["kinds"].values())
    # bad input answered with its 4xx (counted correct), and never a 5xx
    assert any(s.startswith("4") for s in load["statuses"]) and not any(s.startswith("5") for s in load["statuses"])
    # start: the ready line, the first byte, the first request after ready; each kind of page's first view
    s = res["start"]
    assert s["status"] == 200 and 0 < s["ready_s"] <= s["first_byte_s"]
    pages = {v["page"] for v in res["first_views"]}
    assert {"/", "/network", "/report", "investor", "company", "region", "segment", "chat"} <= pages
    assert all(v["ok"] for v in res["first_views"]), res["first_views"]
    assert {t["target"] for t in res["targets"]} == {"errors", "p95_ms", "p99_ms", "first_view_s"}
    assert res["server_alive"] and res["full_exports"] is True
    # the printed summary names the kinds and the targets
    assert "overall" in r.output and "p95 under load" in r.output


def test_a_wrong_answer_is_counted_as_an_error():
    from kg.bench_serve import Reply, Req, check

    ok = Req("bad", "/api/query/no_such_query", status=404, ctype="application/json")
    assert check(ok, Reply(404, "application/json", b'{"error": "x"}', {})) is None
    assert "expected 404" in check(ok, Reply(200, "application/json", b"{}", {}))
    assert "expected 404" in check(ok, Reply(500, "text/html", b"oops", {}))
    page = Req("entity", "/entity/x")
    assert "Content-Type" in check(page, Reply(200, "application/json", b"{}", {}))
    export = Req("export", "/api/export?query=x&format=csv", ctype=("text/csv", "application/zip"))
    assert check(export, Reply(200, "application/zip", b"PK", {"Content-Disposition": "attachment; filename=x.zip"})) is None
    assert "attachment" in check(export, Reply(200, "text/csv", b"a,b", {}))


def test_the_demo_workspace_is_built_once_and_reused(tmp_path):
    from kg.bench_serve import ensure_demo_workspace
    from kg.queries import run
    from kg.store.embedded import EmbeddedStore

    ws = ensure_demo_workspace(tmp_path, deals=60)
    store = EmbeddedStore(ws)
    by_year = {str(r["period"])[:4]: r.get("deals") or 0 for r in run(store, "timeline", by="year").rows}
    assert by_year.get("2019", 0) >= 60 and not by_year.get("2016")  # 2019 alone (kg demo's default adds 2016-2018)
    version = store.version
    store.close()
    stamp = (ws / ".bench-serve-complete").stat().st_mtime_ns
    assert ensure_demo_workspace(tmp_path, deals=60) == ws
    assert (ws / ".bench-serve-complete").stat().st_mtime_ns == stamp and EmbeddedStore(ws).version == version
