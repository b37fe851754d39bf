"""The columnar deals load (loaders.deals_tables) gives exactly what deal_batch gives row by row.

Every row of the dev deals files, the demo's deals written as a file, and a file with the awkward
cases (the same deal twice, leads named only as leads, a known investor under three spellings,
unknown cities, provinces and segments, foreign currencies, vague amounts, bad rows) is loaded
both ways: ``parse_deals`` (the rows read as columns, and read one by one) and a plain
:class:`~kg.model.Batch` filled by :func:`loaders.deals.deal_batch` with each field parsed by the
one parser of ``loaders.parse``. Nodes, relationships, every property, the order of the rows, the
rejects and the workspace they make must be the same.
"""
from __future__ import annotations

import csv
import glob
from pathlib import Path

import pytest

import loaders.tabular as tabular
from conftest import ROOT
from kg.model import Batch, TableBatch
from loaders import deals as D
from loaders.parse import parse_amount, parse_date, split_names
from ontology import clean_name
from ontology import load as load_ontology

TRICKY = [
    ["date", "company", "round", "amount", "currency", "investors", "lead_investors", "segment", "province", "city"],
    ["2019-07-11", "启航锐自动化", "A轮", "1亿元", "", "红杉中国、IDG资本、红杉资本", "深创投、红杉", "工业自动化与边缘计算", "浙江", "杭州"],
    ["2019-07-20", "启航锐自动化", "A轮", "", "", "红杉中国、新投资人A", "新投资人B", "未知领域X", "浙江", "无名市"],
    ["2019-07", "启航锐 自动化", "A轮", "2000万美元", "", "IDG 资本", "IDG资本", "", "", "深圳"],
    ["2019-13-01", "坏日期公司", "B轮", "1亿", "", "X", "", "", "", ""],
    ["2020-01-01", "", "B轮", "1亿", "", "X", "", "", "", ""],
    ["2020-01-01", "货币公司", "B轮", "100", "XYZ", "X", "", "", "", ""],
    ["2020-02-02", "奇怪轮次公司", "天使++轮", "数千万元", "", "甲、乙、甲", "乙、丙、丙", "工业互联网平台", "火星省", "火星市"],
    ["2020-02-15", "奇怪轮次公司", "天使++轮", "5000万", "USD", "甲", "丁", "工业互联网平台", "北京", ""],
    ["", "无日期公司", "", "", "", "", "", "", "", ""],
    ["2021-03-03", "Acme Robotics", "Series B", "US$15 million", "", "Sequoia China;IDG Capital", "Sequoia",
     "industrial software", "Jiangsu", "Suzhou"],
    ["2021-03-04", "ACME robotics", "series b", "", "", "sequoia china", "", "", "长三角", ""],
    ["2021-03-04", "多投资人", "C轮", "3亿元", "", "甲、乙、丙、丁、戊", "戊、己", "", "上海", "上海"],
    ["2021-05-05", "负数公司", "A轮", "-5万", "", "甲", "", "", "", ""],
    ["2021-06-06", "港币公司", "Pre-B", "2亿港元", "HKD", "乙", "乙", "工业软件", "广东", "深圳"],
]


def _files(tmp_path: Path) -> list[Path]:
    from kg.bench import write_deals_csv
    from kg.demo import generate

    demo = tmp_path / "demo-deals.csv"
    write_deals_csv(generate(), demo)
    tricky = tmp_path / "tricky.csv"
    with open(tricky, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(TRICKY)
        fh.write("\n ,,,,,,,,,\n")  # blank lines: skipped by both readers
    gbk = tmp_path / "tricky-gbk.csv"
    gbk.write_bytes(tricky.read_text("utf-8").encode("gb18030"))
    dev = sorted({*glob.glob("/work/shared/dev-eval/*/deals*.csv"), *glob.glob("/work/shared/dev-eval/deals*.csv"),
                  str(ROOT / "tests" / "fixtures" / "dev_deals.csv")})
    return [Path(p) for p in dev] + [demo, tricky, gbk]


def _reference(path: Path, res) -> Batch:
    """deal_batch row by row over the rows parse_deals kept, each field parsed by loaders.parse."""
    onto = load_ontology()

    def score(cells):
        cols = set(D._map_header(cells, None).values())
        return len(cols) if "company" in cols else 0

    rejected = {r.line for r in res.rejects}
    b = Batch()
    table = tabular.open_table(path, score)
    cols = {c: i for i, c in D._map_header(table.header, None).items()}
    for line, values in table.rows:
        if line in rejected:
            continue

        def get(c):
            return values[cols[c]] if c in cols and cols[c] < len(values) else None

        cur = D._cell(get("currency"))
        investors = list(dict.fromkeys(onto.investor_name(n) for n in split_names(get("investors"))))
        leads = [onto.investor_name(n) for n in split_names(get("lead_investors"))]
        D.deal_batch(b, company=clean_name(D._cell(get("company"))), source=f"file:{path.name}#L{line}",
                     date=parse_date(get("date")), round_label=D._cell(get("round")),
                     amount=parse_amount(get("amount"), cur or None), investors=investors, leads=leads,
                     segment=D._cell(get("segment")) or None, province=D._cell(get("province")) or None,
                     city=D._cell(get("city")) or None)
    return b


@pytest.mark.parametrize("reader", ["columns", "rows"])
def test_columnar_batch_equals_deal_batch_row_by_row(tmp_path, monkeypatch, reader):
    monkeypatch.setattr(tabular, "_PLAIN_MIN", 0 if reader == "columns" else 10 ** 12)
    seen_columns = 0
    for path in _files(tmp_path):
        table = tabular.open_table(path, lambda cells: 3)
        seen_columns += table.columns is not None
        res = D.parse_deals(path)
        assert isinstance(res.batch, TableBatch) and res.batch.is_tables
        ref = _reference(path, res)
        got = res.batch
        assert set(got.nodes) == set(ref.nodes), path
        for label, nodes in ref.nodes.items():
            assert list(got.nodes[label]) == list(nodes), (path, label)  # same nodes, same order
            for nid, props in nodes.items():
                assert got.nodes[label][nid] == props, (path, label, nid)
                for k, v in props.items():  # same Python types (an int stays an int)
                    assert type(got.nodes[label][nid][k]) is type(v), (path, label, nid, k)
        assert set(got.rels) == set(ref.rels), path
        for type_, rels in ref.rels.items():
            assert list(got.rels[type_]) == list(rels), (path, type_)
            for key, props in rels.items():
                assert got.rels[type_][key] == props, (path, type_, key)
    # the plain files were read as columns (the tricky one has no quote: its blank lines are skipped)
    assert seen_columns >= (3 if reader == "columns" else 0)
    if reader == "rows":
        assert seen_columns == 0


def test_both_readers_reject_the_same_rows_for_the_same_reasons(tmp_path, monkeypatch):
    path = _files(tmp_path)[-2]
    out = []
    for small in (0, 10 ** 12):
        monkeypatch.setattr(tabular, "_PLAIN_MIN", small)
        res = D.parse_deals(path)
        out.append(([(r.line, r.reason, r.values) for r in res.rejects], res.rows, res.loaded,
                    res.batch.nodes, res.batch.rels))
    assert out[0] == out[1]
    rejects = out[0][0]
    assert [(line, reason.split(":")[0]) for line, reason, _ in rejects] == [
        (5, "date"), (6, "company"), (7, "currency"), (14, "amount")]


def test_a_quoted_file_is_read_row_by_row_with_the_same_result(tmp_path, monkeypatch):
    """A quote anywhere: the row reader (it knows quoted fields and quotes left open)."""
    monkeypatch.setattr(tabular, "_PLAIN_MIN", 0)
    path = tmp_path / "quoted.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerows(TRICKY[:3])
        w.writerow(["2021-03-03", "Acme", "Series B", "US$15 million", "", "Sequoia China, IDG Capital", "", "", "", ""])
    table = tabular.open_table(path, lambda cells: 3)
    assert table.columns is None
    res = D.parse_deals(path)
    assert res.loaded == 3
    inv = res.batch.nodes["Investor"]
    assert {"红杉资本（中国）", "IDG资本"} <= {v["name"] for v in inv.values()}


def test_the_store_writes_a_table_batch_as_it_writes_the_same_batch_as_dicts(tmp_path, monkeypatch):
    """Loading, appending, loading a file again: the vectorised upsert of the embedded store gives
    the workspace and the change counts the row-by-row upsert gives (the same batch as dicts)."""
    from kg.loading import load_seed
    from kg.store import workspace as W
    from kg.store.embedded import EmbeddedStore

    monkeypatch.setattr(tabular, "_PLAIN_MIN", 0)
    files = _files(tmp_path)
    order = [files[-3], files[0], files[-2], files[-2], files[-3]]  # demo, dev, tricky, tricky again, demo again
    stores, changes = [], []
    for as_dicts in (False, True):
        store = EmbeddedStore(tmp_path / f"ws-{as_dicts}")
        load_seed(store)
        got = []
        for path in order:
            res = D.parse_deals(path)
            batch = res.batch
            if as_dicts:
                batch.nodes  # noqa: B018 - asking for the dicts makes it a plain batch
                assert not batch.is_tables
            got.append(store.apply(batch, record={"kind": "deals", "file": path.name}))
        stores.append(EmbeddedStore(tmp_path / f"ws-{as_dicts}").tables)
        changes.append(got)
    assert changes[0] == changes[1]
    assert changes[0][3] == {"nodes_created": 0, "nodes_updated": 0, "rels_created": 0, "rels_updated": 0}
    a, b = stores
    for kind in ("nodes", "rels"):
        assert list(getattr(a, kind)) == list(getattr(b, kind))
        for name, t in getattr(a, kind).items():
            assert W.decode_rows(t) == W.decode_rows(getattr(b, kind)[name]), (kind, name)
