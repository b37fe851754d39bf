"""`kg.report`: the report's figures regenerated from a graph, beside the published numbers."""
from __future__ import annotations

import csv
import json

from kg.result import jsonable

import pytest

import kg.report as R
from kg.reporting.figures import _check
from kg.reporting.files import _width
from kg.model import Batch
from kg.store.embedded import EmbeddedStore
from loaders.deals import deal_batch
from loaders.parse import Amount

DEALS = [  # company, date, round, amount (CNY), investors, leads, segment, province, city
    ("甲云科技", "2019-07-10", "A轮", 1e8, ["红杉资本（中国）", "星甲创投"], ["红杉资本（中国）"], "平台", "浙江", "杭州"),
    ("甲云科技", "2019-11-02", "B轮", None, ["红杉资本（中国）"], [], "平台", "浙江", "杭州"),
    ("乙联网络", "2019-02-03", "天使轮", 5e6, ["Sequoia China", "深创投"], ["深创投"], "网络及标识", "北京", "北京"),
    ("丙盾安全", "2019-03-04", "战略投资", 2e8, ["腾讯"], ["腾讯"], "安全", "四川", "成都"),
    ("丁数服务", "2018-05-05", "A轮", 3e8, ["深创投"], [], "相关服务", "上海", "上海"),
    ("戊芯智能", "2019-12-12", "IPO", 9e8, [], [], "工业智能设备", "江苏", "苏州"),
    ("己控科技", "2019-12-20", "Pre-A轮", None, ["星甲创投"], [], None, None, "深圳"),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The seed plus the seven deals above, in a real embedded store."""
    from kg.loading import load_seed

    store = EmbeddedStore(tmp_path_factory.mktemp("report-ws"))
    load_seed(store)
    b = Batch()
    for co, date, rnd, amt, invs, leads, seg, prov, city in DEALS:
        deal_batch(b, company=co, source="test", date=date, round_label=rnd,
                   amount=Amount(amt, "CNY") if amt else None, investors=invs, leads=leads, segment=seg,
                   province=prov, city=city)
    store.apply(b)
    return store.graph


def rows_by(fig, key):
    return {r[key]: r for r in fig["rows"]}


def test_headline_counts_events_as_the_report_does(small):
    h = R.headline(small, 2019)
    v = {r["metric"]: r["value"] for r in h["rows"]}
    # the 2018 deal and the IPO are not 2019 venture events
    assert v == {"events": 5, "companies": 4, "companies_multi_round": 1, "disclosed_events": 3,
                 "disclosed_share": 0.6, "disclosed_amount_cny": 3.05e8}
    assert h["published"]["events"] == {"value": 752}
    assert h["diff"]["events"] == {"value": 5 - 752}
    assert not any(c["ok"] for c in h["checks"] if c["row"] != "disclosed_share")
    assert R.headline(small, 2018)["rows"][0]["value"] == 1
    assert R.headline(small, 2018)["checks"] == []          # the report published 2019 only


def test_table5_counts_distinct_companies_and_resolves_aliases(small):
    t = R.table5(small, 2019)
    rows = rows_by(t, "investor")
    assert rows["红杉资本（中国）"]["companies"] == 2       # 甲 (twice) and 乙 (as "Sequoia China")
    assert rows["红杉资本（中国）"]["events"] == 3 and rows["红杉资本（中国）"]["leads"] == 1
    assert rows["红杉资本（中国）"]["rank"] == 1
    assert rows["红杉资本（中国）"]["published"] == 14 and rows["红杉资本（中国）"]["diff"] == -12
    assert rows["星甲创投"]["companies"] == 2 and rows["星甲创投"]["published"] is None
    assert rows["深创投"]["companies"] == 1 and rows["腾讯"]["companies"] == 1
    assert rows["中金"]["companies"] == 0 and rows["中金"]["diff"] == -10   # in Table 5, nothing loaded
    assert len(t["checks"]) == 20 and t["diff"]["深创投"] == {"companies": -13}


def test_regions_use_city_parent_and_macro_regions(small):
    f = R.regions(small, 2019)
    rows = rows_by(f, "region")
    assert rows["浙江"]["events"] == 2 and rows["浙江"]["amount_cny"] == 1e8
    assert rows["广东"]["events"] == 1                      # 己 has only a city: 深圳 is PART_OF 广东
    assert rows["长三角"]["events"] == 2 and rows["长三角"]["level"] == "macro"
    assert rows["粤港澳大湾区"]["events"] == 1 and rows["中西部"]["events"] == 1
    three = rows["京津冀+长三角+粤港澳"]
    assert three["events"] == 4 and three["share"] == 0.8
    assert three["amount_share"] == pytest.approx(1.05e8 / 3.05e8, abs=1e-6)
    chk = {(c["row"], c["metric"]): c for c in f["checks"]}
    bound = chk[("京津冀+长三角+粤港澳", "amount_share")]
    assert bound["published"] == {"min": 0.95} and not bound["ok"]
    assert bound["diff"] == pytest.approx(1.05e8 / 3.05e8 - 0.95, abs=1e-6)
    assert chk[("中西部", "amount_share")]["ok"] is False      # 2亿 of 3.05亿 is not under 5%
    assert chk[("上海", "events")]["value"] == 0             # published region without events still compared


def test_months_segments_rounds(small):
    m = rows_by(R.months(small, 2019), "month")
    assert [m[k]["events"] for k in range(1, 13)] == [0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1]
    assert m[2]["published"] == "fewest" and m[7]["published"] == "most"
    assert m[2]["rank"] == "" and m[2]["agrees"] is False   # 2 events-free months rank fewest, not Feb
    s = rows_by(R.segment_stage(small, 2019), "segment")
    assert s["平台"]["early"] == 1 and s["平台"]["later"] == 1 and s["平台"]["early_share"] == 0.5
    assert s["平均"]["early_share"] == 0.5                  # 己 has no segment: not in Fig. 12
    assert s["平台"]["position"] == "below" and s["平台"]["agrees"] is False
    assert s["安全"]["position"] == "below" and s["安全"]["agrees"] is True
    assert s["网络及标识"]["position"] == "above" and s["网络及标识"]["agrees"] is False
    r = rows_by(R.round_mix(small, 2019), "key")
    assert {k: r[k]["events"] for k in r} == {"seed_angel": 1, "pre_a": 1, "a": 1, "a_plus": 0,
                                              "a_plus_and_earlier": 3, "later": 1, "strategic": 1, "other": 0}
    assert r["strategic"]["share"] == 0.2 and r["strategic"]["diff_share"] == pytest.approx(0.2 - 0.133)
    g = rows_by(R.segments_by_company(small, 2019), "segment")
    assert g["平台"]["companies"] == 1 and g["平台"]["share"] == 0.25 and g["未知"]["companies"] == 1
    assert g["相关服务"]["companies"] == 0 and g["相关服务"]["published_share"] == 0.37


def test_listed_by_province(small):
    f = R.listed_by_province(small, 2019)
    rows = rows_by(f, "province")
    assert rows["江苏"]["listed"] == 7                      # 6 STAR listings of Table 3 + 戊 (an IPO round in 2019)
    assert rows["合计"]["listed"] == rows["合计"]["listed"]
    seed_listed = R.listed_by_province(small, 2018)
    assert rows["合计"]["listed"] - rows_by(seed_listed, "province")["合计"]["listed"] >= 1
    assert rows["北京"]["published"] == 19 and rows["合计"]["published"] == 100


def test_check_semantics():
    assert _check("x", "v", 101, 100)["ok"] and not _check("x", "v", 103, 100)["ok"]
    assert _check("x", "v", 0.61, {"min": 0.6})["diff"] == 0.0
    c = _check("x", "v", 0.06, {"max": 0.05})
    assert not c["ok"] and c["diff"] == pytest.approx(0.01)
    assert _check("x", "v", "above", "above")["ok"] and not _check("x", "v", "below", "above")["ok"]
    assert not _check("x", "v", None, 3)["ok"]


def test_scale_multiplies_counts_not_shares(small):
    h = R.headline(small, 2019, scale=2.0)
    assert h["published"]["events"] == {"value": 1504}
    assert h["published"]["disclosed_share"] == {"value": 0.359}
    f = R.regions(small, 2019, scale=2.0)
    assert f["published"]["北京"]["events"] == 460 and f["published"]["长三角"]["share"] == 0.41
    assert R.published_figures()["headline"]["events"] == 752    # the cached original is untouched


def test_build_report_and_text(small):
    rep = R.build_report(small, 2019)
    assert [f["id"] for f in rep["figures"]] == list(R.FIGURES)
    assert rep["events"] == 5 and rep["agreement"]["checks"] == sum(len(f["checks"]) for f in rep["figures"])
    for f in rep["figures"]:
        assert set(f) >= {"title", "title_en", "columns", "rows", "published", "diff"}
        for r in f["rows"]:
            assert set(r) <= set(f["columns"]), f["id"]
    json.dumps(rep, ensure_ascii=False)
    text = R.format_report(rep)
    assert "图11 非上市企业投融资事件的数量及金额" in text and "表5" in text
    table = R.format_figure(R.regions(small, 2019)).splitlines()[2:]
    widths = {_width(line) for line in table if not line.startswith(("agrees", "note"))}
    assert len(widths) == 1                                 # Chinese columns line up
    assert "1.00亿" in text and "≥95.0%" in text


def test_write_report_csv_xlsx_png(small, tmp_path):
    import openpyxl

    rep = R.build_report(small, 2019)
    out = R.write_report(rep, tmp_path / "out")
    assert len(out["csv"]) == len(R.FIGURES)
    with open(tmp_path / "out" / "fig11.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0].keys() >= {"region", "events", "published_events"}
    assert any(r["region"] == "浙江" and r["events"] == "2" for r in rows)
    wb = openpyxl.load_workbook(out["xlsx"])
    assert set(wb.sheetnames) == set(R.FIGURES) | {"checks"}
    assert wb["table5"]["A1"].value.startswith("表5")
    try:
        import matplotlib  # noqa: F401
        has_font = R.cjk_font() is not None
    except ImportError:
        has_font = False
    if has_font:
        assert len(out["png"]) >= 6
        for p in out["png"]:
            with open(p, "rb") as fh:
                assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    else:
        assert out["png"] == [] and out["notes"]


def test_report_on_the_dev_data(dev_store_ro):
    rep = R.build_report(R.report_graph(dev_store_ro), 2019)
    assert rep["events"] > 0
    t5 = rows_by(next(f for f in rep["figures"] if f["id"] == "table5"), "investor")
    assert "红杉资本（中国）" in t5


def test_cli_report(kg, dev_workspace, tmp_path):
    r = kg("report", "--json", workspace=dev_workspace)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["year"] == 2019 and {f["id"] for f in rep["figures"]} == set(R.FIGURES)
    r = kg("report", "--year", "2018", "--out", tmp_path / "o", workspace=dev_workspace)
    assert r.returncode == 0, r.stderr
    assert "2018" in r.stdout and (tmp_path / "o" / "report-2018.xlsx").exists()
    r = kg("report", workspace=tmp_path / "empty")
    assert r.returncode == 0 and "load data first" in r.stderr


@pytest.mark.falkordb
def test_same_figures_on_falkordb(falkor_store, tmp_path):
    """Demo written to FalkorDB and to the embedded store: the same report from both."""
    from kg.demo import run_demo

    emb = EmbeddedStore(tmp_path / "emb")
    run_demo(emb, 300, seed=8)
    run_demo(falkor_store, 300, seed=8)
    a = R.build_report(R.report_graph(emb), 2019)
    b = R.build_report(R.report_graph(falkor_store), 2019)
    for fa, fb in zip(a["figures"], b["figures"]):
        assert fa["rows"] == fb["rows"], fa["id"]
    # read from the tables (what the pages and `kg report` do): the same figures on both stores
    assert _same(R.build_report(emb, 2019), a) and _same(R.build_report(falkor_store, 2019), a)
    again = run_demo(falkor_store, 300, seed=8)             # idempotent there too
    assert again["changes"]["nodes_created"] == 0 and again["changes"]["rels_created"] == 0


def _same(a: dict, b: dict) -> bool:
    dump = lambda r: json.dumps(jsonable(r), sort_keys=True, ensure_ascii=False)  # noqa: E731
    for fa, fb in zip(a["figures"], b["figures"]):
        assert dump(fa) == dump(fb), fa["id"]
    return dump(a) == dump(b)


@pytest.mark.parametrize("year", [2019, 2018, 2020, None])
def test_figures_from_the_tables_are_the_graphs(dev_store_ro, year):
    """The report read straight from the store's tables (events_from_store) is, figure by figure and
    value by value, the report of the graph built from the same store: events in the same order, the
    same investors and leads, the same company facts, the same listed companies."""
    assert _same(R.build_report(dev_store_ro, year), R.build_report(R.report_graph(dev_store_ro), year))


def test_figures_from_the_tables_on_awkward_data(tmp_path):
    """Where the two readings could part: a round raised by two companies, an investor that is a
    company, a company with a city but no province (its city's province counts), one with no region,
    a listed company by board and one by an IPO after the year, a segment chosen by name, undated,
    unmonthed and undisclosed rounds, a macro region recorded twice."""
    b = Batch()
    for cid, props in [("company:a", {"name": "甲"}), ("company:b", {"name": "乙"}),
                       ("company:c", {"name": "丙", "board": "star"}), ("company:d", {})]:
        b.node("Company", cid, None, **props)
    b.node("Investor", "investor:x", None, name="X")
    b.node("Investor", "investor:y", None, name="Y")
    b.node("Segment", "segment:z", None, name="平台")
    b.node("Segment", "segment:m", None, name="安全")
    for rid, name, level in [("region:hz", "杭州", "city"), ("region:sz", "深圳", "city"),
                             ("region:zj", "浙江", "province"), ("region:csj", "长三角", "macro")]:
        b.node("Region", rid, None, name=name, level=level)
    b.node("Round", "round:1", None, type="a", date="2019-03-02", year=2019, amount_cny=1e7)
    b.node("Round", "round:2", None, type="angel", date="2019-11", amount_cny=2e6, disclosed=False)
    b.node("Round", "round:3", None, type="b", year=2019)
    b.node("Round", "round:4", None, type="ipo", date="2020-05-01", year=2020, board="main")
    b.node("Round", "round:5", None, type="seed", date="2018-12-30", year=2018)
    b.node("Round", "round:6", None, date="2019-06-01", year=2019)
    for s_, t, e in [("company:a", "RAISED", "round:1"), ("company:b", "RAISED", "round:1"),
                     ("company:b", "RAISED", "round:2"), ("company:d", "RAISED", "round:3"),
                     ("company:a", "RAISED", "round:4"), ("company:c", "RAISED", "round:5"),
                     ("company:a", "IN_SEGMENT", "segment:z"), ("company:a", "IN_SEGMENT", "segment:m"),
                     ("company:b", "IN_SEGMENT", "segment:z"), ("company:a", "LOCATED_IN", "region:hz"),
                     ("company:b", "LOCATED_IN", "region:sz"), ("company:c", "LOCATED_IN", "region:zj"),
                     ("region:hz", "PART_OF", "region:zj"), ("region:zj", "PART_OF", "region:csj")]:
        b.rel(t, s_, e)
    b.rel("INVESTED_IN", "investor:x", "round:1", None, lead=True)
    b.rel("INVESTED_IN", "investor:y", "round:1")
    b.rel("INVESTED_IN", "company:c", "round:2", None, lead=True)
    b.rel("INVESTED_IN", "investor:y", "round:3", None, lead=False)
    store = EmbeddedStore(tmp_path / "ws")
    store.apply(b)
    for year in (2019, 2018, 2020, None):
        a, g = R.build_report(store, year), R.build_report(R.report_graph(store), year)
        assert a["events"] == g["events"]
        assert _same(a, g), year
    assert R.build_report(store, 2019)["events"] == 4
