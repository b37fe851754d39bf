"""`kg demo`: synthetic deals calibrated to the report, checked through `kg.report` over a real store."""
from __future__ import annotations

import collections
import itertools
import re

import networkx as nx
import numpy as np
import pytest

from kg.demo import run_demo
from kg.demo.generate import TYPES, demo_batch, generate, source_of
from kg.demo.targets import load_targets, quotas
from kg.report import build_report
from kg.store.embedded import EmbeddedStore
from ontology import node_id

CJK = re.compile(r"^[\u4e00-\u9fff]+$")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """`kg load seed` + `kg demo` (default size and seed) in a real embedded workspace."""
    from kg.loading import load_seed

    store = EmbeddedStore(tmp_path_factory.mktemp("demo-ws"))
    load_seed(store)
    summary = run_demo(store)
    return store, summary


@pytest.fixture(scope="module")
def demo_report(demo_store):
    return build_report(demo_store[0].graph, 2019)


def _fig(report, fid):
    return next(f for f in report["figures"] if f["id"] == fid)


def test_every_calibrated_figure_agrees_with_the_report(demo_report):
    calibrated = [f for f in demo_report["figures"] if f["id"] != "fig5"]  # listed companies: real seed data only
    assert {f["id"] for f in calibrated} == {"headline", "table5", "fig10", "fig11", "cities", "fig12", "rounds",
                                             "segments"}
    bad = [(f["id"], c) for f in calibrated for c in f["checks"] if not c["ok"]]
    assert not bad
    assert sum(len(f["checks"]) for f in calibrated) >= 60
    for f in calibrated:
        for c in f["checks"]:
            if c["rel"] is not None:
                assert c["rel"] <= 0.02, (f["id"], c)


def test_totals_and_table5_are_exact(demo_report):
    head = {r["metric"]: r["value"] for r in _fig(demo_report, "headline")["rows"]}
    assert head["events"] == 752
    assert head["companies"] == 678
    assert head["companies_multi_round"] == 71
    assert head["disclosed_events"] == 270
    assert head["disclosed_amount_cny"] == 119_440_000_000
    t5 = load_targets().table5
    rows = _fig(demo_report, "table5")["rows"]
    got = {r["investor"]: r["companies"] for r in rows}
    assert {k: got.get(k) for k in t5} == t5
    # the 20 of Table 5 are the 20 most active investors, none of the synthetic ones comes close
    assert {r["investor"] for r in rows if r["rank"] <= 20} == set(t5)
    assert len(rows) == 20


def test_regions_cities_and_months_follow_the_report(demo_report):
    rows = {r["region"]: r for r in _fig(demo_report, "fig11")["rows"]}
    for name, n in {"上海": 144, "浙江": 82, "江苏": 80, "北京": 230, "广东": 115, "香港": 3, "长三角": 311,
                    "京津冀": 236, "粤港澳大湾区": 118, "中西部": 87}.items():
        assert rows[name]["events"] == n, name
    assert rows["安徽"]["events"] == 311 - 306
    midwest = sorted((r for r in rows.values() if r["level"] == "province" and r["region"] in
                      load_targets().macro_members["中西部"]), key=lambda r: -r["events"])
    assert {r["region"] for r in midwest[:4]} == {"四川", "湖北", "陕西", "湖南"}
    assert rows["中西部"]["amount_share"] < 0.05
    assert rows["京津冀+长三角+粤港澳"]["amount_share"] >= 0.95
    top5 = [r["city"] for r in _fig(demo_report, "cities")["rows"][:5]]
    assert set(top5) == {"北京", "上海", "杭州", "南京", "深圳"}
    months = {r["month"]: r["events"] for r in _fig(demo_report, "fig10")["rows"]}
    assert sorted(months, key=months.get)[:2] == [2, 3] or set(sorted(months, key=months.get)[:2]) == {2, 3}
    assert set(sorted(months, key=lambda m: -months[m])[:3]) == {7, 11, 12}


def test_segment_stage_pattern(demo_report):
    rows = {r["segment"]: r for r in _fig(demo_report, "fig12")["rows"]}
    avg = rows.pop("平均")["early_share"]
    assert avg == pytest.approx(456 / 752, abs=1e-4)
    for s in ("相关服务", "平台", "工业智能设备", "工业软件及APP"):
        assert rows[s]["early_share"] > avg + 0.01, s
    for s in ("网络及标识", "工业自动化与边缘计算", "安全"):
        assert rows[s]["early_share"] < avg - 0.01, s


def test_synthetic_marking_and_provenance(demo_store):
    store, summary = demo_store
    G = store.graph
    src = source_of(2019)
    assert summary["source"] == src
    new = [(n, d) for n, d in G.nodes(data=True) if src in (d.get("sources") or [])]
    assert len(new) == sum(summary["all"].values())
    # 2019 is the calibrated year: its companies and rounds exactly; the syndicates' investors are shared by all years
    r2019 = [n for n, d in new if d["_label"] == "Round" and d["year"] == 2019]
    assert len(r2019) == summary["events"] and summary["all"]["Investor"] == summary["investors_synthetic"]
    assert all(d.get("synthetic") is True for _, d in new)
    # the real nodes keep their provenance and are not marked
    t5 = load_targets().table5
    for name in t5:
        d = G.nodes[node_id("investor", name)]
        assert not d.get("synthetic") and src not in d["sources"] and d["reported_2019_companies"] == t5[name]
    for n, d in G.nodes(data=True):
        if d["_label"] in ("Region", "Segment", "Policy", "Factory"):
            assert not d.get("synthetic"), n
    # every relationship of a synthetic round is synthetic, the Table-5 investors' ones included
    for u, v, k, d in G.edges(keys=True, data=True):
        if G.nodes[u].get("synthetic") or G.nodes[v].get("synthetic"):
            assert d.get("synthetic") is True and d["sources"] == [src], (u, v, k)
    t5_rels = [(u, v) for u, v, k in G.edges(keys=True) if k == "INVESTED_IN" and G.nodes[u]["name"] in t5
               and G.nodes[v].get("year") == 2019]
    assert len(t5_rels) == sum(t5.values())


def test_generated_names_are_chinese_and_not_real(demo_store):
    from loaders.seed import read_seed

    store, _ = demo_store
    G = store.graph
    real = {r["company"] for r in read_seed("listings.yaml")} | {r["company"] for r in read_seed("lighthouses.yaml")}
    names = [d["name"] for _, d in G.nodes(data=True) if d.get("synthetic") and d["_label"] in ("Company", "Investor")]
    assert len(names) == len(set(names))
    assert all(CJK.match(n) for n in names), [n for n in names if not CJK.match(n)][:5]
    assert not set(names) & real
    for n, d in G.nodes(data=True):
        if d.get("synthetic") and d["_label"] in ("Company", "Investor"):
            assert n == node_id(d["_label"].lower(), d["name"])      # names are already in normal form
    companies = [d["name"] for _, d in G.nodes(data=True) if d.get("synthetic") and d["_label"] == "Company"]
    assert sum(len(n) == 4 for n in companies) > len(companies) / 3      # 智云科技-style names are common


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = generate(300, seed=5), generate(300, seed=5), generate(300, seed=6)
    assert a.co_name == b.co_name and a.inv_name == b.inv_name
    for f in ("ev_co", "ev_type", "ev_month", "ev_day", "p_inv", "p_ev", "p_lead"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert np.array_equal(np.isnan(a.ev_amount), np.isnan(b.ev_amount))
    assert np.nansum(np.abs(a.ev_amount - b.ev_amount)) == 0
    assert demo_batch(a).rels == demo_batch(b).rels
    assert a.co_name != c.co_name


def test_idempotent_and_atomic_record(tmp_path):
    store = EmbeddedStore(tmp_path / "ws")
    first = run_demo(store, 200, seed=3)
    assert first["changes"]["nodes_created"] > 0
    stats = store.stats()
    again = run_demo(EmbeddedStore(tmp_path / "ws"), 200, seed=3)
    assert again["changes"] == {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
    reopened = EmbeddedStore(tmp_path / "ws")
    assert reopened.stats() == stats
    demos = [r for r in reopened.imports() if r["kind"] == "demo"]
    assert [(r["seed"], r["deals"]) for r in demos] == [(3, 200), (3, 200)]


def test_another_seed_does_not_merge_into_existing_companies(tmp_path):
    store = EmbeddedStore(tmp_path / "ws")
    run_demo(store, 400, seed=1)
    n1 = len(store.nodes_by_label("Company"))
    s = run_demo(store, 400, seed=2)
    G = store.graph
    assert len(store.nodes_by_label("Company")) == n1 + s["all"]["Company"]
    assert s["years"][2019]["companies"] == quotas(400).companies
    both = [n for n in store.nodes_by_label("Company") if len(G.nodes[n]["sources"]) > 1]
    assert both == []


def test_multi_round_companies_have_distinct_rounds_in_stage_order():
    from ontology import load

    d = generate(2000, seed=11)
    stage = np.array([load().round_by_type(t).stage for t in TYPES])
    sizes = np.bincount(d.ev_co)
    assert (sizes >= 1).all() and (sizes >= 2).sum() == quotas(2000).multi_sizes.__len__()
    order = np.lexsort((d.ev_day, d.ev_month, d.ev_co))
    co, st = d.ev_co[order], stage[d.ev_type[order]]
    same = co[1:] == co[:-1]
    assert (st[1:][same] > st[:-1][same]).all()          # later date, later stage, never the same type


def test_amounts_heavy_tailed_and_exact():
    d = generate(752, seed=2019)
    amt = np.sort(d.ev_amount[~np.isnan(d.ev_amount)])[::-1]
    assert amt.sum() == 119_440_000_000
    assert (amt > 0).all() and (amt % 100_000 == 0).all()
    assert amt[: len(amt) // 10].sum() > 0.4 * amt.sum()      # the top tenth of deals hold much of the money
    assert amt.max() / np.median(amt) > 20


def test_co_investment_network_has_structure():
    d = generate(752, seed=2019)
    by_round = collections.defaultdict(list)
    for i, e in zip(d.p_inv.tolist(), d.p_ev.tolist()):
        by_round[e].append(i)
    assert len(by_round) == 752                                          # every round has an investor
    leads = collections.Counter(e for e, ld in zip(d.p_ev.tolist(), d.p_lead.tolist()) if ld)
    assert all(leads[e] >= 1 for e in by_round)
    assert sum(1 for e in by_round if leads[e] == 1) / len(by_round) > 0.9   # one lead per round mostly
    pairs = collections.Counter(p for invs in by_round.values() for p in itertools.combinations(sorted(invs), 2))
    assert sum(1 for v in pairs.values() if v >= 2) >= 20                    # repeat co-investors
    G = nx.Graph()
    G.add_weighted_edges_from((a, b, w) for (a, b), w in pairs.items())
    comms = nx.community.louvain_communities(G, weight="weight", seed=1)
    assert nx.community.modularity(G, comms, weight="weight") > 0.5
    assert len([c for c in comms if len(c) >= 10]) >= 10
    syn = ~d.inv_table5
    assert syn.sum() >= 100
    companies = collections.defaultdict(set)
    for i, e in zip(d.p_inv.tolist(), d.p_ev.tolist()):
        companies[i].add(int(d.ev_co[e]))
    assert max(len(companies[i]) for i in np.flatnonzero(syn)) <= 5
    # syndicates are regional and stage specialists: most of an active synthetic investor's rounds
    # share one region bucket and one stage group (random placement would give about half)
    from kg.demo.generate import STAGE_GROUP, _bucket

    bucket = np.array([_bucket(p) for p in np.array(d.provinces)[d.co_prov[d.ev_co]]])
    stage = np.array([STAGE_GROUP[TYPES[t]] for t in d.ev_type])
    rounds_of = collections.defaultdict(list)
    for i, e in zip(d.p_inv.tolist(), d.p_ev.tolist()):
        if not d.inv_table5[i]:
            rounds_of[i].append(e)
    active = [es for es in rounds_of.values() if len(es) >= 3]
    assert len(active) >= 50
    for arr in (bucket, stage):
        assert np.mean([collections.Counter(arr[es].tolist()).most_common(1)[0][1] / len(es) for es in active]) > 0.7
    # leaders and followers
    lead_ratio = collections.defaultdict(list)
    for i, ld in zip(d.p_inv.tolist(), d.p_lead.tolist()):
        lead_ratio[i].append(ld)
    ratios = [np.mean(v) for v in lead_ratio.values() if len(v) >= 3]
    assert np.percentile(ratios, 10) <= 0.34 and np.percentile(ratios, 90) >= 0.9
    kinds = collections.Counter(d.inv_kind[i] for i in np.flatnonzero(syn))
    assert {"vc", "pe", "corporate"} <= set(kinds)


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_other_seeds_are_calibrated_too(tmp_path, seed):
    store = EmbeddedStore(tmp_path / "ws")
    run_demo(store, seed=seed)
    rep = build_report(store.graph, 2019)
    bad = [(f["id"], c) for f in rep["figures"] if f["id"] != "fig5" for c in f["checks"] if not c["ok"]]
    assert not bad


@pytest.mark.parametrize("n", [1, 2, 9, 60])
def test_tiny_sizes_work(n):
    d = generate(n, seed=1)
    b = demo_batch(d)
    assert len(b.nodes["Round"]) == n
    assert len(d.co_name) == quotas(n).companies


def test_scaled_shape_holds(tmp_path):
    """At another size the shares hold and Table 5 scales (compared with the published counts × N/752)."""
    n = 5000
    store = EmbeddedStore(tmp_path / "ws")
    run_demo(store, n, seed=4)
    rep = build_report(store.graph, 2019, scale=n / 752)
    bad = [(f["id"], c) for f in rep["figures"] if f["id"] != "fig5" for c in f["checks"] if not c["ok"]]
    assert not bad


@pytest.mark.slow
def test_hundred_thousand_deals_generate_with_the_same_shape():
    n = 100_000
    d = generate(n, seed=9)
    q = quotas(n)
    assert len(d.ev_co) == n and len(d.co_name) == q.companies == len(set(d.co_name))
    assert np.nansum(d.ev_amount) == q.total_cny
    early = np.isin(d.ev_type, [TYPES.index(t) for t in ("seed", "angel", "pre_a", "a", "a_plus")]).mean()
    assert early == pytest.approx(456 / 752, abs=0.002)
    prov = collections.Counter(np.array(d.provinces)[d.co_prov[d.ev_co]].tolist())
    assert prov["北京"] / n == pytest.approx(230 / 752, abs=0.002)


def test_cli_demo_and_report(kg, tmp_path):
    ws = tmp_path / "ws"
    assert kg("load", "seed", workspace=ws).returncode == 0
    r = kg("demo", workspace=ws)
    assert r.returncode == 0, r.stderr
    assert "752 events for 678 companies" in r.stdout and "1,194.4亿元" in r.stdout
    r = kg("demo", workspace=ws)
    assert "nothing changed" in r.stdout
    r = kg("report", workspace=ws)
    assert r.returncode == 0, r.stderr
    assert "表5 2019年主要投资机构投资数量" in r.stdout and "图11" in r.stdout and "published" in r.stdout
    assert re.search(r"\n(\d+) of (\d+) published numbers reproduced", r.stdout)
    r = kg("demo", "--deals", "0", workspace=ws)
    assert r.returncode == 1 and "--deals must be between" in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------------------------------------- other years
def test_other_years_follow_the_stated_trend_and_leave_2019_as_calibrated(tmp_path):
    from kg.demo import DEMO_YEARS, year_deals
    from kg.demo.targets import VALUE_ADDED_CNY_YI, year_factor

    assert DEMO_YEARS == (2016, 2017, 2018, 2019)
    assert year_factor(2018) == pytest.approx(4389 / 5361) and VALUE_ADDED_CNY_YI[2019] == 5361
    assert year_factor(2017) == pytest.approx(year_factor(2018) * 4389 / 5361)
    only = EmbeddedStore(tmp_path / "a")
    run_demo(only, 752, years=(2019,))
    every = EmbeddedStore(tmp_path / "b")
    s = run_demo(every, 752)
    rounds = {y: [n for n in every.nodes_by_label("Round") if every.graph.nodes[n]["year"] == y] for y in DEMO_YEARS}
    for y in DEMO_YEARS:
        assert len(rounds[y]) == year_deals(752, y) == s["years"][y]["events"], y
    assert [len(rounds[y]) for y in DEMO_YEARS] == [413, 504, 616, 752]
    # 2019 exactly as when it was the only year: same rounds, same amounts, same investors
    g1, g2 = only.graph, every.graph
    r1 = {n: (d.get("amount_cny"), d["date"]) for n, d in g1.nodes(data=True) if d["_label"] == "Round"}
    assert r1 == {n: (g2.nodes[n].get("amount_cny"), g2.nodes[n]["date"]) for n in rounds[2019]}
    inv1 = {(u, v, d["lead"]) for u, v, k, d in g1.edges(keys=True, data=True) if k == "INVESTED_IN"}
    inv2 = {(u, v, d["lead"]) for u, v, k, d in g2.edges(keys=True, data=True) if k == "INVESTED_IN" and v in r1}
    assert inv1 == inv2
    # amounts scale with the events; every year is marked synthetic
    amt = {y: sum(g2.nodes[n].get("amount_cny") or 0 for n in rounds[y]) for y in DEMO_YEARS}
    assert amt[2018] / amt[2019] == pytest.approx(616 / 752, abs=0.01)
    assert all(g2.nodes[n].get("synthetic") for y in DEMO_YEARS for n in rounds[y])
    # the same syndicates invest year after year: investors active in 2016 and 2019 alike
    active = collections.defaultdict(set)
    for u, v, k in g2.edges(keys=True):
        if k == "INVESTED_IN" and g2.nodes[u].get("synthetic"):
            active[u].add(g2.nodes[v]["year"])
    assert sum(1 for ys in active.values() if {2016, 2019} <= ys) > 100
    assert not [n for n in every.nodes_by_label("Investor") if g2.nodes[n].get("synthetic")
                and n not in {u for u, _, k in g1.edges(keys=True) if k == "INVESTED_IN"}]


def test_cli_demo_years(kg, tmp_path):
    ws = tmp_path / "ws"
    r = kg("demo", "--deals", "200", "--years", "2018-2019", workspace=ws)
    assert r.returncode == 0, r.stderr
    assert "2018: 164 events" in r.stdout and "2017" not in r.stdout
    r = kg("demo", "--years", "next year", workspace=ws)
    assert r.returncode == 1 and "--years" in r.stderr and "Traceback" not in r.stderr
