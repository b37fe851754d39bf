"""Hardening (issue 9), the file-reading gaps closed: what each one does now, beyond the
acceptance tests in test_hardening_files.py (which accept either a right load or a clear refusal,
these pin the choice made and the cases around it)."""
from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from kg.errors import InputError
from kg.loading import load_deals
from kg.store.embedded import EmbeddedStore
from loaders.deals import parse_deals
from loaders.tabular import decode_text


def companies(ws) -> set[str]:
    s = EmbeddedStore(ws)
    return {s.graph.nodes[n]["name"] for n in s.nodes_by_label("Company")}


def _names(res) -> set[str]:
    return {n["name"] for n in res.batch.nodes.get("Company", {}).values()}


# ---------------------------------------------------------------------------------------------- encodings
HEAD = b"date,company,round,investors\n"


def test_a_mixed_file_decodes_each_line_in_its_own_encoding(tmp_path):
    f = tmp_path / "m.csv"
    f.write_bytes(HEAD + "2019-01-01,甲科技,A轮,深创投\n".encode() + "2019-02-01,乙智能,B轮,红杉资本（中国）\n".encode("gbk"))
    res = parse_deals(f)
    assert res.loaded == 2 and _names(res) == {"甲科技", "乙智能"} and res.encoding == "utf-8+gb18030"


def test_a_gbk_file_whose_utf8_line_also_reads_as_gbk_is_not_garbled(tmp_path):
    # even-length UTF-8 runs are valid GB18030 too: the whole file decodes as GB18030, wrongly
    gbk = "2019-01-01,丙数据科技,C轮,联想创投\n".encode("gbk")
    utf8 = "2019-02-01,甲科,天使,深创\n".encode()
    data = HEAD + gbk + utf8 + gbk.replace("丙".encode("gbk"), "丁".encode("gbk"))
    data.decode("gb18030")  # the trap
    text, enc = decode_text(data)
    assert "甲科" in text and "丙数据科技" in text and enc == "utf-8+gb18030"


def test_plain_single_encodings_are_unchanged(tmp_path):
    text = "date,company\n2019-01-01,甲科技\n"
    assert decode_text(text.encode()) == (text, "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == (text, "utf-8-sig")
    assert decode_text(text.encode("gbk")) == (text, "gb18030")
    assert decode_text(text.encode("utf-16")) == (text, "utf-16")


def test_a_bom_file_with_a_gbk_line(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_bytes(b"\xef\xbb\xbf" + HEAD + "2019-01-01,甲科技,A轮,深创投\n".encode() + "2019-02-01,乙智能,B轮,IDG资本\n".encode("gbk"))
    res = parse_deals(f)
    assert _names(res) == {"甲科技", "乙智能"} and res.header[0] == "date"


def test_utf16_tab_text_from_excel_loads(workspace, tmp_path):
    f = tmp_path / "unicode.txt"
    f.write_bytes("日期\t公司名称\t轮次\n2019-01-01\t甲科技\tA轮\n".encode("utf-16"))
    rep = load_deals(EmbeddedStore(workspace), f, workspace)
    assert rep.exit_code == 0 and rep.encoding == "utf-16" and companies(workspace) == {"甲科技"}


def test_a_line_in_neither_encoding_is_named(workspace, tmp_path):
    f = tmp_path / "bad-line.csv"
    f.write_bytes(HEAD + "2019-01-01,甲科技,A轮,深创投\r\n".encode() + b"2019-02-01,\xff\xfe\xfd,B\r\n"
                  + "2019-03-01,丙数据,C轮,联想创投\n".encode())
    with pytest.raises(InputError) as exc:
        load_deals(EmbeddedStore(workspace), f, workspace)
    msg = str(exc.value)
    assert "bad-line.csv, line 3" in msg and "encoding" in msg and "nothing was loaded" in msg
    assert not (workspace / "store" / "manifest.json").exists()


# ---------------------------------------------------------------------------------------------- quotes
def test_a_quote_left_open_is_one_reject_and_the_rest_loads(workspace, tmp_path):
    f = tmp_path / "q.csv"
    f.write_text('date,company,round\n2019-01-01,甲科技,A轮\n2019-02-01,"未闭合科技,B轮\n2019-03-01,丙数据,C轮\n'
                 '2019-04-01,"多行\n简介科技",D轮\n', encoding="utf-8")
    rep = load_deals(EmbeddedStore(workspace), f, workspace)
    assert rep.exit_code == 2 and rep.rows == 4 and rep.loaded == 3
    assert [(r.line, r.reason.split(":")[0]) for r in rep.rejects] == [(3, "quote")]
    assert "line 3" in rep.rejects[0].reason and rep.rejects[0].values["company"] == "未闭合科技,B轮"
    assert companies(workspace) == {"甲科技", "丙数据", "多行简介科技"}  # the quote below is read as its own


def test_a_quote_left_open_in_a_big_file(workspace, tmp_path):
    """The open field passes the csv module's 128 KB field limit before the end of the file."""
    f = tmp_path / "big.csv"
    rows = [f"2019-01-{i % 28 + 1:02d},公司{i},A轮" for i in range(6000)]
    rows[10] = '2019-01-11,"未闭合科技,A轮'
    f.write_text("date,company,round\n" + "\n".join(rows) + "\n", encoding="utf-8")
    rep = load_deals(EmbeddedStore(workspace), f, workspace)
    assert rep.rows == 6000 and rep.loaded == 5999 and [r.line for r in rep.rejects] == [12]


def test_a_quote_closed_far_below_by_a_stray_one(workspace, tmp_path):
    """The quote opened on line 2 is closed by the stray one on line 5 (followed by more text):
    line 2 is set aside and reading goes on from line 3, where that stray quote is plain text."""
    f = tmp_path / "stray.csv"
    f.write_text('date,company,round\n2019-01-01,"未闭合科技,A轮\n2019-02-01,乙智能,B轮\n2019-03-01,丙数据,C轮\n'
                 '2019-04-01,丁"工业,D轮\n2019-05-01,戊科技,E轮\n', encoding="utf-8")
    rep = load_deals(EmbeddedStore(workspace), f, workspace)
    assert rep.rows == 5 and rep.loaded == 4 and [r.line for r in rep.rejects] == [2]
    assert "line 2" in rep.rejects[0].reason and "line 5" in rep.rejects[0].reason
    assert {"乙智能", "丙数据", "戊科技"} <= companies(workspace) and len(companies(workspace)) == 4


def test_a_quote_closed_cleanly_far_below_sets_the_block_aside(workspace, tmp_path):
    """Closed by a quote before a delimiter, the record reads as well-formed: the lines inside it
    that look like rows tell; the whole block is one reject, nothing is merged into a bogus deal."""
    f = tmp_path / "stray.csv"
    f.write_text('date,company,round\n2019-01-01,"未闭合科技,A轮\n2019-02-01,乙智能,B轮\n2019-03-01,丙数据,C轮\n'
                 '2019-04-01,丁工业",D轮\n2019-05-01,戊科技,E轮\n', encoding="utf-8")
    rep = load_deals(EmbeddedStore(workspace), f, workspace)
    assert [r.line for r in rep.rejects] == [2] and "lines 2-5" in rep.rejects[0].reason
    assert companies(workspace) == {"戊科技"}


def test_a_quote_left_open_in_the_header(workspace, tmp_path):
    f = tmp_path / "h.csv"
    f.write_text('date,"company,round\n2019-01-01,甲科技,A轮\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1: a quote"):
        load_deals(EmbeddedStore(workspace), f, workspace)


# ---------------------------------------------------------------------------------------------- sheets
def test_several_sheets_name_their_sheet_in_rejects_and_sources(workspace, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["本表为测试数据"])
    a = wb.create_sheet("2019")
    a.append(["date", "company", "round"])
    a.append(["2019-01-01", "甲科技", "A轮"])
    a.append(["2019-02-30", "坏日期科技", "A轮"])
    b = wb.create_sheet("2020")
    b.append(["公司名称", "轮次", "日期"])  # other names, other order
    b.append(["乙智能", "B轮", "2020-01-01"])
    c = wb.create_sheet("公司名录")  # a list of companies, not deals: not loaded
    c.append(["公司名称"])
    c.append(["名录科技"])
    wb.save(tmp_path / "s.xlsx")
    rep = load_deals(EmbeddedStore(workspace), tmp_path / "s.xlsx", workspace)
    assert rep.exit_code == 2 and rep.loaded == 2 and rep.sheet == "2019, 2020"
    assert [(r.line, r.reason.split(":")[0]) for r in rep.rejects] == [(3, "sheet 2019")]
    assert rep.rejects[0].sheet == "2019" and "date:" in rep.rejects[0].reason
    assert companies(workspace) == {"甲科技", "乙智能"}
    g = EmbeddedStore(workspace).graph
    sources = {d["name"]: d["sources"] for _, d in g.nodes(data=True) if d.get("name") in ("甲科技", "乙智能")}
    assert sources == {"甲科技": ["file:s.xlsx#2019!L2"], "乙智能": ["file:s.xlsx#2020!L2"]}


def test_one_sheet_keeps_its_plain_sources(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["date", "company"])
    wb.active.append(["2019-01-01", "甲科技"])
    wb.save(tmp_path / "one.xlsx")
    res = parse_deals(tmp_path / "one.xlsx")
    assert [n["sources"] for n in res.batch.nodes["Company"].values()] == [["file:one.xlsx#L2"]]


# ---------------------------------------------------------------------------------------------- two-row headers
def test_a_two_row_header_in_a_csv_is_refused(workspace, tmp_path):
    f = tmp_path / "two.csv"
    f.write_text("日期,公司名称,轮次,投资方,\n,,,领投,跟投\n2019-01-01,甲科技,A轮,深创投,红杉资本（中国）\n", encoding="utf-8")
    with pytest.raises(InputError, match="two rows"):
        load_deals(EmbeddedStore(workspace), f, workspace)


def test_a_group_row_above_a_full_header_is_a_title(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["基本信息", None, "融资信息", None])
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:D1")
    ws.append(["公司名称", "日期", "轮次", "投资方"])
    ws.append(["甲科技", "2019-01-01", "A轮", "深创投"])
    wb.save(tmp_path / "groups.xlsx")
    res = parse_deals(tmp_path / "groups.xlsx")
    assert res.loaded == 1 and not res.rejects


@pytest.mark.parametrize("first", ["2019-01-01,甲科技,A轮,备注", ",,,备注"])
def test_a_first_row_with_a_blank_header_column_is_data(tmp_path, first):
    f = tmp_path / "notes.csv"
    f.write_text(f"date,company,round,\n{first}\n2019-01-02,乙智能,B轮,\n", encoding="utf-8")
    assert parse_deals(f).rows == 2


# ---------------------------------------------------------------------------------------------- formulas
def _formula_book(path, amount="=1000*10000", cached=None, extra=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "company", "amount", "备注"])
    ws.append(["2019-01-01", "公式科技", amount, extra])
    ws.append([None, None, None, "=ROW()"])  # a formula column filled below the data
    wb.save(path)
    if cached is not None:  # as a spreadsheet program saves it: the formula and its value
        with zipfile.ZipFile(path) as z:
            items = {n: z.read(n) for n in z.namelist()}
        sheet = "xl/worksheets/sheet1.xml"
        items[sheet] = re.sub(rb"(<c r=\"C2\"><f>[^<]*</f>)<v ?/>", rb"\1<v>" + cached + rb"</v>", items[sheet])
        with zipfile.ZipFile(path, "w") as z:
            for n, data in items.items():
                z.writestr(n, data)
    return path


def test_an_uncomputed_formula_rejects_its_row_naming_the_cell(workspace, tmp_path):
    rep = load_deals(EmbeddedStore(workspace), _formula_book(tmp_path / "f.xlsx"), workspace)
    assert rep.exit_code == 1 and rep.rows == 1 and len(rep.rejects) == 1  # the ROW() row is blank
    r = rep.rejects[0]
    assert r.line == 2 and r.reason.startswith("amount: formula =1000*10000 in cell C2 was never computed")
    assert r.values["amount"] == "=1000*10000"


def test_a_computed_formula_loads_its_value(tmp_path):
    res = parse_deals(_formula_book(tmp_path / "f.xlsx", cached=b"10000000"))
    rnd = next(iter(res.batch.nodes["Round"].values()))
    assert res.loaded == 1 and not res.rejects and rnd["amount"] == 10000000


def test_a_formula_computed_to_nothing_is_an_empty_cell(tmp_path):
    path = _formula_book(tmp_path / "f.xlsx", amount='=IF(1,"",1)')
    with zipfile.ZipFile(path) as z:  # as a spreadsheet program saves a formula whose result is ""
        items = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    items[sheet] = re.sub(rb"<c r=\"C2\"><f>([^<]*)</f><v ?/>", rb'<c r="C2" t="str"><f>\1</f><v></v>', items[sheet])
    with zipfile.ZipFile(path, "w") as z:
        for n, data in items.items():
            z.writestr(n, data)
    res = parse_deals(path)
    assert res.loaded == 1 and not res.rejects
    assert next(iter(res.batch.nodes["Round"].values()))["disclosed"] is False


def test_an_uncomputed_formula_in_a_column_not_loaded_is_ignored(tmp_path):
    res = parse_deals(_formula_book(tmp_path / "f.xlsx", amount="1亿元", extra="=A2&B2"))
    assert res.loaded == 1 and not res.rejects


# ---------------------------------------------------------------------------------------------- delimiter hint
@pytest.mark.parametrize("header, hint", [("date company round", True), ("日期/公司名称", True),
                                          ("名称", False), ("公司名称（全称）", False),
                                          ("lead investors", False)])
def test_the_delimiter_hint_only_when_it_helps(tmp_path, header, hint):
    f = tmp_path / "x.csv"
    f.write_text(header + "\nx\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        parse_deals(f)
    assert ("delimiter" in str(exc.value).split("the header has:")[1]) is hint, exc.value
