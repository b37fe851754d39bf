"""Loading deals files for real: every format and encoding, rejects, idempotency, interruptions."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import ROOT
from kg.errors import InputError
from kg.loading import load_deals, load_seed
from kg.store.embedded import EmbeddedStore

ZH_HEADER = {"date": "披露日期", "company": "公司名称", "round": "轮次", "amount": "融资金额", "investors": "投资机构",
             "lead_investors": "领投方", "segment": "细分领域", "province": "省份", "city": "城市"}


def read_rows(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path, header, rows, encoding="utf-8", delimiter=","):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def stats(ws):
    return EmbeddedStore(ws).stats()


def test_dev_deals_load_exactly(workspace, dev_deals_path):
    store = EmbeddedStore(workspace)
    load_seed(store)
    rep = load_deals(store, dev_deals_path, workspace)
    assert rep.exit_code == 0 and rep.loaded == 73 and rep.rejected == 0
    s = store.stats()
    rounds = [d for _, d in store.graph.nodes(data=True) if d["_label"] == "Round" and d.get("type") != "ipo"]
    assert len(rounds) == 73
    rows = read_rows(dev_deals_path)
    assert s["nodes"]["Company"] >= len({r["company"] for r in rows})
    # investors merged with the seed's Table-5 investors by name: one node for 红杉资本（中国）
    names = [d["name"] for _, d in store.graph.nodes(data=True) if d["_label"] == "Investor"]
    assert names.count("红杉资本（中国）") == 1
    hs = store.graph.nodes["investor:红杉资本(中国)"]
    assert hs["reported_2019_companies"] == 14 and len(hs["sources"]) >= 2
    # amounts in CNY yuan, undisclosed as not disclosed
    r = store.graph.nodes["round:博联网络|angel|2019-09"]
    assert r["amount_cny"] == 625_000_000 and r["disclosed"] is True and r["currency"] == "CNY"
    assert store.graph.nodes["round:宇控数据|seed|2018-03"]["disclosed"] is False
    # leads
    assert store.graph.edges["investor:同创伟业", "round:宇控数据|seed|2018-03", "INVESTED_IN"]["lead"] is True
    assert store.graph.edges["investor:深创投", "round:宇控数据|seed|2018-03", "INVESTED_IN"]["lead"] is False
    # regions: city and province
    assert store.graph.has_edge("company:宇控数据", "city:武汉", "LOCATED_IN")
    assert store.graph.has_edge("company:宇控数据", "province:湖北", "LOCATED_IN")
    assert store.graph.has_edge("company:宇控数据", "segment:网络及标识", "IN_SEGMENT")
    # loading twice changes nothing
    before = store.stats()
    rep2 = load_deals(store, dev_deals_path, workspace)
    assert rep2.changes["nodes_created"] == rep2.changes["rels_created"] == 0
    assert rep2.changes["nodes_updated"] == rep2.changes["rels_updated"] == 0
    assert store.stats() == before


def test_gbk_copy_with_chinese_headers_loads_the_same(tmp_path, dev_deals_path):
    rows = read_rows(dev_deals_path)
    header = list(rows[0].keys())
    gbk = write_csv(tmp_path / "deals_gbk.csv", [ZH_HEADER.get(h, h) for h in header],
                    [[r[h] for h in header] for r in rows], encoding="gbk")
    assert gbk.read_bytes().decode("gbk")  # really GBK
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")
    ws1, ws2 = tmp_path / "a", tmp_path / "b"
    s1, s2 = EmbeddedStore(ws1), EmbeddedStore(ws2)
    r1 = load_deals(s1, dev_deals_path, ws1)
    r2 = load_deals(s2, gbk, ws2)
    assert r2.encoding == "gb18030" and r2.exit_code == 0 and r2.loaded == 73
    assert s1.stats() == s2.stats()
    strip = lambda G: {n: {k: v for k, v in d.items() if k != "sources"} for n, d in G.nodes(data=True)}
    assert strip(s1.graph) == strip(s2.graph)
    assert r1.exit_code == 0


def test_utf8_bom_semicolon_and_xlsx_with_extra_sheet_and_title_rows(tmp_path, dev_deals_path):
    rows = read_rows(dev_deals_path)[:10]
    header = list(rows[0].keys())
    bom = write_csv(tmp_path / "bom.csv", header, [[r[h] for h in header] for r in rows], encoding="utf-8-sig",
                    delimiter=";")
    xlsx = tmp_path / "deals.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表为测试数据"])
    ws = wb.create_sheet("融资事件")
    ws.append(["2019年融资事件汇总"])  # a title row above a merged header
    ws.merge_cells("A1:D1")
    ws.append([ZH_HEADER.get(h, h) for h in header])
    for r in rows:
        ws.append([r[h] for h in header])
    wb.save(xlsx)
    a, b = tmp_path / "a", tmp_path / "b"
    ra = load_deals(EmbeddedStore(a), bom, a)
    rb = load_deals(EmbeddedStore(b), xlsx, b)
    assert ra.exit_code == rb.exit_code == 0 and ra.loaded == rb.loaded == 10
    assert rb.sheet == "融资事件"
    assert stats(a) == stats(b)


def test_bad_rows_are_set_aside_with_line_and_reason(workspace, tmp_path):
    header = ["date", "company", "round", "amount", "investors"]
    rows = [
        ["2019-01-02", "好公司", "A轮", "1亿元", "深创投"],          # line 2 ok
        ["2019-02-30", "坏日期", "A轮", "1亿元", "深创投"],          # line 3 impossible date
        ["2019-03-01", "", "B轮", "2亿元", "深创投"],               # line 4 no company
        ["2019-03-02", "坏金额", "B轮", "很多钱", "深创投"],          # line 5 amount not an amount
        ["2019-03-03", "负金额", "B轮", "-3亿元", "深创投"],          # line 6 negative
        ["2019-03-04", "另一家", "奇怪轮", "未披露", "深创投、IDG 资本"],  # line 7 ok, unknown round kept
    ]
    f = write_csv(tmp_path / "bad.csv", header, rows)
    store = EmbeddedStore(workspace)
    rep = load_deals(store, f, workspace)
    assert rep.exit_code == 2 and rep.loaded == 2 and rep.rejected == 4
    rej = read_rows_bom(rep.rejects_path)
    assert [int(r["line"]) for r in rej] == [3, 4, 5, 6]
    assert "date" in rej[0]["reason"] and "company" in rej[1]["reason"] and "amount" in rej[2]["reason"]
    assert "negative" in rej[3]["reason"]
    assert rej[2]["company"] == "坏金额" and rej[2]["amount"] == "很多钱"  # original values kept
    assert "rejects" in Path(rep.rejects_path).name and Path(rep.rejects_path).parent.parent == workspace
    other = [d for _, d in store.graph.nodes(data=True) if d["_label"] == "Round" and d["type"] == "other"]
    assert other and other[0]["label"] == "奇怪轮"
    assert "investor:idg资本" in store.graph  # "IDG 资本" is IDG资本


def read_rows_bom(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_strict_loads_nothing_and_exits_1(workspace, tmp_path, kg):
    f = write_csv(tmp_path / "bad.csv", ["date", "company", "amount"],
                  [["2019-01-01", "甲公司", "1亿元"], ["2019-99-01", "乙公司", "1亿元"]])
    p = kg("load", "deals", f, "--strict", workspace=workspace)
    assert p.returncode == 1, p.stderr
    assert "line 3" in p.stderr and "Traceback" not in p.stderr
    assert EmbeddedStore(workspace).stats()["nodes"] == {}
    p = kg("load", "deals", f, workspace=workspace)
    assert p.returncode == 2 and "rejects" in p.stderr
    assert EmbeddedStore(workspace).stats()["nodes"]["Company"] == 1


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"date,company,round\n", "no rows"),
    (b"foo,bar\n1,2\n", "missing required column"),
    ("日期;金额\n2019;1亿元\n".encode("utf-8"), "missing required column"),
])
def test_unusable_files_give_one_clear_line(workspace, tmp_path, kg, content, message):
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    p = kg("load", "deals", f, workspace=workspace)
    assert p.returncode == 1
    assert message in p.stderr and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    with pytest.raises(InputError):
        load_deals(EmbeddedStore(workspace), f, workspace)


def test_mapping_file_for_other_headers(workspace, tmp_path, kg):
    f = write_csv(tmp_path / "own.csv", ["Deal Date", "Target", "Stage", "Size", "Backers"],
                  [["2019-05-01", "映射公司", "Series A", "RMB 50 million", "Sequoia China; ZhenFund"]])
    m = tmp_path / "m.yaml"
    m.write_text("Deal Date: date\nTarget: company\nStage: round\nSize: amount\nBackers: investors\n", encoding="utf-8")
    p = kg("load", "deals", f, "--mapping", m, workspace=workspace)
    assert p.returncode == 0, p.stderr
    G = EmbeddedStore(workspace).graph
    assert G.has_edge("investor:红杉资本(中国)", "round:映射公司|a|2019-05", "INVESTED_IN")
    assert G.has_edge("investor:真格基金", "round:映射公司|a|2019-05", "INVESTED_IN")
    assert G.nodes["round:映射公司|a|2019-05"]["amount_cny"] == 50_000_000


def test_same_deal_from_two_sources_is_one_round(workspace, tmp_path):
    a = write_csv(tmp_path / "a.csv", ["date", "company", "round", "investors"], [["2019-07-01", "甲", "A轮", "深创投"]])
    b = write_csv(tmp_path / "b.csv", ["日期", "公司", "轮次", "投资方"], [["2019-07-15", "甲", "Series A", "腾讯"]])
    store = EmbeddedStore(workspace)
    load_deals(store, a, workspace)
    load_deals(store, b, workspace)
    r = store.graph.nodes["round:甲|a|2019-07"]
    assert sorted(r["sources"]) == ["file:a.csv#L2", "file:b.csv#L2"]
    assert len([1 for _, d in store.graph.nodes(data=True) if d["_label"] == "Round"]) == 1
    assert len(store.imports()) == 2


def big_file(path, n, bad=0):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "company", "round", "amount", "investors", "lead_investors", "province", "city"])
        for i in range(n):
            w.writerow([f"2019-{i % 12 + 1:02d}-01", f"公司{i}", "A轮", f"{i % 97 + 1}00万元",
                        f"机构{i % 301}、机构{(i * 7) % 301}", f"机构{i % 301}", "浙江", "杭州"])
        for i in range(bad):  # rows the load sets aside: the rejects file
            w.writerow(["2019-13-45", f"坏公司{i}", "A轮", "很多", "机构1", "", "浙江", "杭州"])
    return path


@pytest.mark.slow
def test_kill_9_during_a_load_leaves_the_previous_state(workspace, tmp_path, dev_deals_path):
    """Kill real loads at points spread over parsing, applying and writing the snapshot."""
    store = EmbeddedStore(workspace)
    load_seed(store)
    load_deals(store, dev_deals_path, workspace)
    manifest = workspace / "store" / "manifest.json"
    snapshot = manifest.read_bytes()
    before = store.stats()
    f = big_file(tmp_path / "big.csv", 20000, bad=50)
    cmd = [sys.executable, "-m", "kg", "--workspace", str(workspace), "load", "deals", str(f)]
    # how long an uninterrupted load takes here, on a copy
    probe = tmp_path / "probe"
    shutil.copytree(workspace, probe)
    t0 = time.monotonic()
    assert subprocess.run([*cmd[:4], str(probe), *cmd[5:]], cwd=str(ROOT), capture_output=True).returncode == 2
    duration = time.monotonic() - t0
    full = EmbeddedStore(probe).stats()
    killed = 0
    for frac in (0.2, 0.4, 0.6, 0.75, 0.85, 0.92, 0.97):
        proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * frac)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        after = EmbeddedStore(workspace).stats()
        if proc.returncode == 2 or after == full:  # finished (or killed just after the rename): all of it
            assert after == full
            break
        killed += 1
        assert after == before
        assert manifest.read_bytes() == snapshot
        for rej in (workspace / "rejects").glob("*.csv"):  # written before the store: whole or absent
            with open(rej, encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
            assert rows[0][:2] == ["line", "reason"] and len(rows) == 51, rej
        assert not list((workspace / "rejects").glob("*.tmp")) if (workspace / "rejects").exists() else True
    assert killed >= 2
    # the workspace still works, and no temporary snapshot is left behind
    rep = load_deals(EmbeddedStore(workspace), dev_deals_path, workspace)
    assert rep.exit_code == 0
    assert not list(workspace.rglob("*.tmp"))
    # and only files a manifest names are left: what the killed writers wrote is collected
    names = {e["file"] for m in ("manifest.json", "manifest.prev.json")
             for e in json.loads((workspace / "store" / m).read_text("utf-8"))["files"]}
    assert {p.name for p in (workspace / "store").glob("*.parquet")} == names


def test_corrupt_manifest_gives_a_clear_message(workspace, kg):
    (workspace / "store").mkdir()
    (workspace / "store" / "manifest.json").write_bytes(b"not a manifest")
    p = kg("stats", "--json", workspace=workspace)
    assert p.returncode == 1 and "cannot be read" in p.stderr and "Traceback" not in p.stderr


def test_stats_json_contract(dev_workspace, kg):
    p = kg("stats", "--json", workspace=dev_workspace)
    s = json.loads(p.stdout)
    assert set(s) == {"nodes", "relationships"}
    assert s["nodes"]["Segment"] == 7 and s["relationships"]["INVESTED_IN"] > 0
