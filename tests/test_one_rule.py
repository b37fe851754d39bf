"""One home for each rule (issue 19): every surface that shows the same thing says it the same way.

- Money: the chat, the pages (filter, table cells, graph tooltips), the report (its text, its page)
  and the exports (the HTML table) render the same amount to the same text, in Chinese and English,
  by :func:`kg.formatting.money_text`; read back from real pages, a real report and real export files
  of the dev workspace too.
- Round groups (LISTED_TYPES and the demo's early/later types) come from ontology/rounds.yaml.
- One JSON-safe converter, one colour palette, one export format list, one download-name rule,
  and none of the build-up's "if the module has not landed yet" guards left.
"""
from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from markupsafe import Markup

from kg.formatting import money_text
from web import create_app

ROOT = Path(__file__).resolve().parent.parent

# zero, small (yuan), 万, just under a unit (rounds up into the next), 亿, huge, a difference, unknown
AMOUNTS = [0, 8_500, 123_456, 50_000_000, 99_999_999, 639_000_000, 999_960_000, 119_440_000_000,
           5_000_000_000_000, -25_000_000, None]
EXPECTED = {
    "zh": ["0元", "8,500元", "12万元", "5,000万元", "1.00亿元", "6.39亿元", "10.00亿元", "1,194.40亿元",
           "50,000.00亿元", "-2,500万元", "未披露"],
    "en": ["CNY 0", "CNY 8,500", "CNY 123,456", "CNY 50.0m", "CNY 100.0m", "CNY 639.0m", "CNY 1.00bn",
           "CNY 119.44bn", "CNY 5,000.00bn", "CNY -25.0m", "undisclosed"],
}
LANGS = ("zh", "en")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app({"workspace": str(tmp_path_factory.mktemp("ws")), "TESTING": True})


def _text(markup) -> str:
    """A cell's visible text."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(markup)))


# ---------------------------------------------------------------------------------------------- money
@pytest.mark.parametrize("lang", LANGS)
def test_the_one_rule_reads_as_decided(lang):
    assert [money_text(v, lang) for v in AMOUNTS] == EXPECTED[lang]
    assert money_text(float("nan"), lang) == money_text(float("inf"), lang) == money_text(None, lang)
    assert money_text(np.float64(639_000_000), lang) == money_text(639_000_000, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_filter_and_cells_agree(app, lang):
    from web.filters import cell, money

    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        assert [money(v) for v in AMOUNTS] == EXPECTED[lang]                 # the page's language
        assert [money(v, lang) for v in AMOUNTS] == EXPECTED[lang]           # asked for
        assert [_text(cell({"amount_cny": v}, "amount_cny")) for v in AMOUNTS] == EXPECTED[lang]
        assert [_text(cell({"largest_cny": v}, "largest_cny")) for v in AMOUNTS] == EXPECTED[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_graph_tooltips_agree(app, lang):
    from web.graphview import tooltip

    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        for v, want in zip(AMOUNTS[:-1], EXPECTED[lang]):
            tip = tooltip({"id": "round:x", "label": "Round", "name": "x", "amount_cny": v})
            assert tip.splitlines()[2].endswith(": " + want), (v, tip)


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_agrees(app, lang):
    from kg.reporting.files import format_cell
    from web.report import fmt_cell

    fig = {"id": "fig11"}
    assert [format_cell(fig, "amount_cny", v, {"amount_cny": v}, lang) for v in AMOUNTS] == EXPECTED[lang]
    # the headline's disclosed amount is money by its metric, in the value column
    row = {"metric": "disclosed_amount_cny"}
    assert [format_cell(fig, "value", v, row, lang) for v in AMOUNTS[:-1]] == EXPECTED[lang][:-1]
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        assert [_text(fmt_cell("amount_cny", v, {"amount_cny": v})) for v in AMOUNTS] == EXPECTED[lang]
        assert [_text(fmt_cell("value", v, row)) for v in AMOUNTS[:-1]] == EXPECTED[lang][:-1]
        assert isinstance(fmt_cell("value", 1.0, row), Markup)


@pytest.mark.parametrize("lang", LANGS)
def test_the_exports_agree(lang):
    from kg.exports import export
    from kg.exports.base import cell_text
    from kg.result import Result

    assert [cell_text("amount_cny", v, lang) for v in AMOUNTS] == EXPECTED[lang]
    rows = [{"company": f"co{i}", "amount_cny": v} for i, v in enumerate(AMOUNTS)]
    res = Result("largest_rounds", {}, rows=rows, columns=["company", "amount_cny"])
    page = export(res, "html", lang=lang).data.decode("utf-8")
    cells = [html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", page)]
    for i, want in enumerate(EXPECTED[lang]):
        assert cells[cells.index(f"co{i}") + 1] == want, (lang, i, want)
    # a spreadsheet keeps the exact yuan (a number it computes with), not rounded text
    import openpyxl

    wb = openpyxl.load_workbook(__import__("io").BytesIO(export(res, "xlsx", lang=lang).data))
    got = [r[1] for r in wb["rows"].iter_rows(min_row=2, values_only=True)]
    assert got == AMOUNTS


@pytest.mark.parametrize("lang", LANGS)
def test_the_chat_agrees(lang):
    from kg.chat.answer import money_text as chat_money

    assert [chat_money(v, lang) for v in AMOUNTS] == EXPECTED[lang]


# ------------------------------------------------------------------------- money on real pages and files
@pytest.fixture(scope="module")
def dev_app(dev_store_ro, _dev_snapshot):
    return create_app({"workspace": str(_dev_snapshot), "TESTING": True}, store=dev_store_ro)


def _client(dev_app, lang):
    c = dev_app.test_client()
    c.set_cookie("lang", lang)
    return c


@pytest.mark.parametrize("lang", LANGS)
def test_a_query_page_its_export_and_its_twin_agree(dev_app, lang):
    c = _client(dev_app, lang)
    twin = c.get("/api/query/largest_rounds?k=12").get_json()
    amounts = [r["amount_cny"] for r in twin["rows"]]
    assert len(amounts) >= 5 and all(isinstance(a, (int, float)) for a in amounts)
    page = c.get("/query/largest_rounds?k=12").get_data(as_text=True)
    shown = re.findall(r'<span class="num" title="([^"]*)">([^<]*)</span>', page)
    assert len(shown) >= len(amounts)
    for title, text in shown:
        assert html.unescape(text) == money_text(float(title.replace(",", "")), lang), (title, text)
    assert [html.unescape(t) for _, t in shown[:len(amounts)]] == [money_text(a, lang) for a in amounts]
    exp = c.get("/api/export?query=largest_rounds&k=12&format=html")
    assert exp.status_code == 200
    cells = [html.unescape(x) for x in re.findall(r"<td>([^<]*)</td>", exp.get_data(as_text=True))]
    for a in amounts:
        assert money_text(a, lang) in cells, (a, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_page_its_text_and_its_twin_agree(dev_app, dev_store_ro, lang):
    from kg import report as R

    c = _client(dev_app, lang)
    twin = c.get("/api/report").get_json()
    fig11 = next(f for f in twin["figures"] if f["id"] == "fig11")
    amounts = [r["amount_cny"] for r in fig11["rows"] if isinstance(r.get("amount_cny"), (int, float))]
    assert amounts and any(a >= 1e8 for a in amounts)
    page = html.unescape(c.get("/report").get_data(as_text=True))
    for a in amounts:
        assert money_text(a, lang) in page, (a, lang)
    if lang == "zh":  # `kg report` prints Chinese tables
        text = R.format_figure(R.regions(R.report_graph(dev_store_ro), twin["year"]))
        for a in amounts:
            assert money_text(a, "zh") in text, a


# ---------------------------------------------------------------------------------------------- the rest
def test_round_groups_come_from_the_ontology():
    from kg import report
    from kg.demo import targets
    from kg.reporting import events
    from kg.reporting.figures import ROUND_BUCKETS
    from ontology import load

    groups: dict = {}
    for r in sorted(load().rounds, key=lambda r: r.stage):
        groups.setdefault(r.group, []).append(r.type)
    assert report.LISTED_TYPES is events.LISTED_TYPES and list(events.LISTED_TYPES) == groups["listed"]
    assert list(targets.EARLY_TYPES) == groups["early"] and list(targets.LATER_TYPES) == groups["later"]
    assert not hasattr(targets, "LISTED_TYPES")
    buckets = {k: types for k, _, types in ROUND_BUCKETS}
    assert list(buckets["a_plus_and_earlier"]) == groups["early"] and list(buckets["later"]) == groups["later"]


def test_one_json_converter():
    import kg.exports.base as base
    import web.data
    from kg.result import jsonable

    assert web.data.jsonable is jsonable and base.jsonable is jsonable
    import datetime

    sample = {"n": np.int64(3), "x": np.float64("nan"), 7: (1.5, float("inf")), "s": {"b", "a"},
              "d": datetime.date(2019, 7, 1), "a": np.array([1, 2]), "ok": np.bool_(True), "t": "深创投"}
    out = jsonable(sample)
    assert out == {"n": 3, "x": None, "7": [1.5, None], "s": ["a", "b"], "d": "2019-07-01", "a": [1, 2],
                   "ok": True, "t": "深创投"}
    json.dumps(out, allow_nan=False)
    assert base.scalar(sample["s"]) == "a; b" and base.scalar(np.float64(2.5)) == 2.5
    assert base.scalar(float("nan")) is None and math.isfinite(base.scalar(np.float32(1.0)))


def test_one_palette(app):
    from kg.exports.base import LABEL_COLORS, color_of
    from kg.graph_style import COMMUNITY_PALETTE, LABEL_STYLE, UNDIRECTED
    from kg.exports import html as export_html
    from web import graphview

    assert graphview.STYLE is LABEL_STYLE and graphview.PALETTE is COMMUNITY_PALETTE
    assert graphview.UNDIRECTED is UNDIRECTED and export_html.UNDIRECTED is UNDIRECTED
    assert LABEL_COLORS == {k: s["color"] for k, s in LABEL_STYLE.items()}
    from kg.exports.base import LABEL_ZH
    from kg.graph_style import LABEL_NAMES
    from web.i18n import label_name

    assert LABEL_ZH == {k: zh for k, (zh, _) in LABEL_NAMES.items()}
    for lang, i in (("zh", 0), ("en", 1)):  # the pages name labels as the legends and exports do
        with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            assert {k: label_name(k) for k in LABEL_NAMES} == {k: v[i] for k, v in LABEL_NAMES.items()}, lang
    assert all(color_of(k) == graphview.STYLE[k]["color"] for k in LABEL_STYLE)
    g = {"nodes": [{"id": "investor:a", "label": "Investor", "name": "a"},
                   {"id": "company:b", "label": "Company", "name": "b"}], "edges": []}
    with app.test_request_context("/"):
        legend = graphview.view(g, layout=False)["legend"]
    assert {x["key"]: x["color"] for x in legend} == {"Investor": color_of("Investor"), "Company": color_of("Company")}


def test_one_format_list(app):
    from kg import export_cli
    from kg.errors import InputError
    from kg.exports import EXPORTERS, FORMATS, check_format

    assert export_cli.FORMATS is FORMATS and FORMATS == tuple(EXPORTERS)
    assert check_format(" XLSX ") == "xlsx"
    with pytest.raises(InputError) as e:
        check_format("docx")
    r = app.test_client().get("/api/export?query=deals&format=docx")
    assert r.status_code == 400 and str(e.value) in r.get_data(as_text=True)
    src = (ROOT / "web" / "export.py").read_text(encoding="utf-8")
    assert "FORMATS =" not in src and "kg.export\"" not in src


def test_one_download_name_rule():
    from kg.exports import safe_filename
    from web.export import attachment

    for given, stem, ext in [("深创投 co/investors.json", "深创投 co/investors", "json"),
                             ("../../etc/passwd\r\n.csv", "../../etc/passwd\r\n", "csv"),
                             ('"; filename="evil.exe', '"; filename="evil', "exe")]:
        cd = attachment(b"", "application/octet-stream", given).headers["Content-Disposition"]
        assert f"filename*=UTF-8''{quote(safe_filename(stem, ext), safe='')}" in cd, cd
        ascii_name = re.search(r'filename="([^"]*)"', cd).group(1)
        assert ascii_name == safe_filename(stem.encode("ascii", "ignore").decode(), ext)


def test_no_scaffolding_left():
    import web.data

    assert not hasattr(web.data, "has_module")
    owned = ["web/export.py", "web/report.py", "web/chat.py", "web/data.py", "web/filters.py", "web/graphview.py",
             "web/query.py", "web/charts.py", "web/chart_specs.py", "web/regions.py", "web/paths.py", "kg/export_cli.py",
             "kg/result.py", "kg/layout.py", "kg/demo/targets.py", "kg/demo/generate.py",
             *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "kg" / "exports").glob("*.py"))),
             *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "kg" / "reporting").glob("*.py")))]
    # modules the project always has are imported, never probed (matplotlib, the chat and the queries included)
    pattern = re.compile(r"has_module|importlib\.import_module\(|except (?:ImportError|ModuleNotFoundError)|"
                         r"not (?:installed|landed) yet|only while the \w+ (?:layer|module) is missing")
    found = [f"{f}:{i}: {line.strip()}" for f in owned
             for i, line in enumerate((ROOT / f).read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, found


def test_one_chart_table_naming_real_columns(dev_store_ro):
    from kg import report as R
    from kg.reporting.files import CHARTS
    from web import report as page

    assert page.CHARTS is CHARTS
    rep = R.build_report(R.report_graph(dev_store_ro))
    figs = {f["id"]: f for f in rep["figures"]}
    for fid, (label, value, published, kind) in CHARTS.items():
        cols = set(figs[fid]["columns"])
        assert {label, value} <= cols and (published is None or published in cols), (fid, cols)
        assert kind in ("count", "share", "columns")
