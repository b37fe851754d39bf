"""Smoke test of the benchmark harness (``kg bench``) at a tiny size: it runs and reports every
figure it promises. No timing is asserted here: speed is what ``kg bench`` itself measures."""
from __future__ import annotations

import csv
import json

import pytest

from kg.bench import evaluate, markdown, param_sets, questions, run_bench, write_deals_csv


def test_deals_csv_is_a_loadable_deals_file(tmp_path):
    from kg.demo import generate
    from loaders.deals import parse_deals

    data = generate(60, 3)
    path = tmp_path / "d.csv"
    assert write_deals_csv(data, path) == 60
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60 and rows[0].keys() >= {"company", "investors", "amount"}
    res = parse_deals(path)
    assert res.loaded == 60 and not res.rejects


def test_bench_runs_and_reports(tmp_path):
    out = tmp_path / "results.json"
    res = run_bench([120], ["load", "queries", "chat", "coinvest"], tmp_path / "work", repeats=1,
                    chat_questions=12, out=str(out))
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["sizes"].keys() == {"120"}
    r = saved["sizes"]["120"]
    assert "error" not in r["load"], r["load"]
    ld = r["load"]["embedded_csv"]
    assert ld["loaded"] == 120 and ld["rejected"] == 0 and ld["peak_rss_mb"] > 0
    assert set(ld["phases_s"]) >= {"parse_s", "apply_s", "save_s"}
    assert r["load"]["pandas_read_s"] > 0 and r["load"]["snapshot"]["open_s"] >= 0
    from kg.queries import REGISTRY

    assert set(r["queries"]["queries"]) == set(REGISTRY)
    for name, q in r["queries"]["queries"].items():
        assert q["n"] > 0, (name, q)
    assert r["chat"]["n"] == 12 and r["chat"]["p95_ms"] >= r["chat"]["p50_ms"]
    assert r["coinvest"]["pairs"] >= 0 and r["coinvest"]["baseline_s"] > 0
    assert {t["target"] for t in res["targets"]} >= {"chat_p95_ms", "load_s", "view_2000_s"}
    table = markdown(saved)
    assert "| named query |" in table and "chat questions" in table


def test_targets_and_inputs():
    res = {"sizes": {"100000": {"chat": {"p95_ms": 10.0}, "queries": {"worst": {"query": "x", "p95_ms": 500.0}}}}}
    by = {t["target"]: t for t in evaluate(res)}
    assert by["chat_p95_ms"]["met"] is True
    assert by["queries_p95_ms"]["met"] is False
    assert by["load_s"]["met"] is None
    actors = {"investors": ["深创投", "IDG资本"], "companies": ["某公司"], "segments": ["平台"], "regions": ["浙江"]}
    qs = questions(actors, 30)
    assert len(qs) == 30 and len(set(qs)) > 10
    from kg.queries import REGISTRY

    for q in REGISTRY.values():
        sets = param_sets(q, actors)
        assert sets, q.name
        for p in sets:
            assert {x.name for x in q.params if x.required} <= set(p), (q.name, p)


@pytest.mark.parametrize("text,want", [("10k,100000", [10000, 100000]), ("1M", [1000000])])
def test_sizes(text, want):
    from kg.bench import _sizes

    assert _sizes(text) == want
