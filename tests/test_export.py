"""Exports: every format written and read back, hostile names kept as text, truncation and provenance said."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import networkx as nx
import pytest

from kg.errors import InputError
from kg.exports import EXPORTERS, FORMATS, export, make_payload, safe_filename
from kg.result import Result

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
QUOTE = "O'Brien \\ \"资本\"\n第二行"
FORMULA = "=HYPERLINK(\"http://evil\",\"点我\")"


def hostile_graph() -> dict:
    """A small graph whose names are all attacks, with Chinese, lists, maps, None and mixed types."""
    return {
        "nodes": [
            {"id": "investor:深创投", "label": "Investor", "name": "深创投", "aliases": ["深圳创投", "SCGC"],
             "sources": ["report:表5", "file:deals.csv#L3"], "reported_2019_companies": 14},
            {"id": "company:img", "label": "Company", "name": IMG, "sources": ["file:evil.csv#L2"],
             "synthetic": True, "extra": {"k": "v"}, "empty": None},
            {"id": "company:script", "label": "Company", "name": SCRIPT, "sources": ["file:evil.csv#L3"],
             "code": 688001},
            {"id": "investor:quote", "label": "Investor", "name": QUOTE, "sources": [],
             "reported_2019_companies": "n/a"},
            {"id": "company:formula", "label": "Company", "name": FORMULA},
            {"id": "round:img|a|2019-07", "label": "Round", "name": "A轮 2019-07", "type": "a", "date": "2019-07",
             "amount_cny": 1.5e8, "disclosed": True},
            {"id": "region:$x^{2", "label": "Region", "name": "价格$x^{2$ 区"},
        ],
        "edges": [
            {"source": "investor:深创投", "target": "round:img|a|2019-07", "type": "INVESTED_IN", "lead": True,
             "sources": ["file:deals.csv#L3"]},
            {"source": "investor:quote", "target": "round:img|a|2019-07", "type": "INVESTED_IN", "lead": False},
            {"source": "company:img", "target": "round:img|a|2019-07", "type": "RAISED", "synthetic": True},
            {"source": "company:script", "target": "region:$x^{2", "type": "LOCATED_IN"},
            {"source": "company:formula", "target": "region:$x^{2", "type": "LOCATED_IN"},
            {"source": "company:img", "target": "nowhere", "type": "LOCATED_IN"},  # dangling: dropped
        ],
    }


NAMES = {"深创投", IMG, SCRIPT, QUOTE, FORMULA, "A轮 2019-07", "价格$x^{2$ 区"}


def dev_subgraph(store, center: str = "investor:深创投", radius: int = 2) -> dict:
    """A graph dict around ``center`` built from the embedded store (nodes keep ``_label``)."""
    G = store.graph
    ids = set(nx.ego_graph(G.to_undirected(as_view=True), center, radius))
    nodes = [{"id": n, **G.nodes[n]} for n in G if n in ids]
    edges = [{"source": u, "target": v, "type": k, **d} for u, v, k, d in G.edges(keys=True, data=True)
             if u in ids and v in ids]
    return {"nodes": nodes, "edges": edges}


@pytest.fixture(scope="module")
def dev_graph(dev_store_ro):
    g = dev_subgraph(dev_store_ro)
    assert len(g["nodes"]) > 30 and len(g["edges"]) > 40
    return g


# ---------------------------------------------------------------------------- registry and inputs
def test_registry_lists_every_format_of_the_contract():
    from kg.export_cli import FORMATS as CLI_FORMATS

    assert set(EXPORTERS) == set(FORMATS) == set(CLI_FORMATS)
    assert {"graphml", "gexf", "json", "csv", "xlsx", "html", "png", "svg"} <= set(FORMATS)
    with pytest.raises(InputError, match="unknown export format"):
        export(hostile_graph(), "docx")
    with pytest.raises(InputError):
        export(hostile_graph(), "json", max_nodes=0)
    with pytest.raises(InputError):
        export("not a graph", "json")


def test_payload_normalises_labels_captions_and_drops_dangling_edges():
    p = make_payload(hostile_graph())
    assert [n["caption"] for n in p.nodes] == [n["name"] for n in hostile_graph()["nodes"]]
    assert len(p.edges) == 5 and p.synthetic
    # store attributes: `_label` is the schema label and `label` a round's own label
    q = make_payload({"nodes": [{"id": "round:x", "_label": "Round", "label": "B轮", "date": "2020-01"}], "edges": []})
    assert q.nodes[0]["label"] == "Round" and q.nodes[0]["caption"] == "B轮 2020-01"
    assert q.nodes[0]["props"]["label"] == "B轮"


def test_networkx_input_gives_the_same_graph_as_the_dict(dev_store_ro, dev_graph):
    ids = [n["id"] for n in dev_graph["nodes"]]
    a = make_payload(dev_store_ro.graph.subgraph(ids))
    b = make_payload(dev_graph)
    assert len(a.nodes) == len(b.nodes) and len(a.edges) == len(b.edges)
    assert {(e["source"], e["type"], e["target"]) for e in a.edges} == \
        {(e["source"], e["type"], e["target"]) for e in b.edges}


@pytest.mark.parametrize("stem", ["../../etc/passwd", "a/b\\c", "x\r\nSet-Cookie: a=b", '"; filename="evil.exe',
                                  ".hidden", "深创投 与 红杉资本（中国） 共同投资" * 5, "", "...", "con:nul|*?<>"])
def test_file_names_are_safe(stem):
    name = safe_filename(stem, "graphml")
    assert re.fullmatch(r"[\w\-]+\.graphml", name), name
    assert not name.startswith((".", "-")) and len(name) <= 70


def test_export_filename_comes_from_the_title_and_is_safe():
    e = export(hostile_graph(), "json", title=f"../{SCRIPT}\n深创投")
    assert "/" not in e.filename and "<" not in e.filename and "\n" not in e.filename
    assert e.filename.endswith(".json") and "深创投" in e.filename
    assert e.mimetype == "application/json"


# ---------------------------------------------------------------------------- GraphML, GEXF, JSON
def test_graphml_round_trips_chinese_names_types_and_provenance(dev_graph):
    e = export(dev_graph, "graphml")
    G = nx.read_graphml(io.BytesIO(e.data))
    p = make_payload(dev_graph)
    assert G.number_of_nodes() == len(p.nodes) and G.number_of_edges() == len(p.edges)
    for n in p.nodes:
        assert G.nodes[n["id"]]["name"] == n["caption"]
        assert G.nodes[n["id"]]["label"] == n["label"]
    inv = G.nodes["investor:深创投"]
    src = next(n for n in dev_graph["nodes"] if n["id"] == "investor:深创投")["sources"]
    assert inv["name"] == "深创投" and inv["sources"].split("; ") == src and len(src) > 5
    assert isinstance(inv["reported_2019_companies"], int)
    rounds = [d for _, d in G.nodes(data=True) if d["label"] == "Round"]
    assert rounds and all("round_label" in d for d in rounds)  # a round's own label survives beside the schema label
    types = {d["type"] for _, _, d in G.edges(data=True)}
    assert {"INVESTED_IN", "RAISED"} <= types
    assert any(d.get("lead") is True for _, _, d in G.edges(data=True))
    assert G.graph["truncated"] is False


def test_graphml_hostile_and_mixed_values_stay_text():
    e = export(hostile_graph(), "graphml")
    assert b"<img" not in e.data and b"<script" not in e.data
    G = nx.read_graphml(io.BytesIO(e.data))
    assert {d["name"] for _, d in G.nodes(data=True)} == NAMES
    # 14 (int) and "n/a" (str) under one key: written as text, not rejected
    assert {G.nodes["investor:深创投"]["reported_2019_companies"], G.nodes["investor:quote"]["reported_2019_companies"]} \
        == {"14", "n/a"}
    assert G.nodes["company:img"]["extra"] == '{"k": "v"}' and "empty" not in G.nodes["company:img"]
    assert G.graph["synthetic"] is True


def test_graphml_cut_by_max_nodes_says_so():
    e = export(hostile_graph(), "graphml", max_nodes=3)
    assert e.truncated
    G = nx.read_graphml(io.BytesIO(e.data))
    assert G.number_of_nodes() == 3
    assert G.graph["truncated"] is True and G.graph["omitted_nodes"] == 4 and G.graph["omitted_edges"] == 5
    assert b"<!-- truncated: 4 nodes, 5 edges omitted" in e.data


def test_gexf_round_trips_names_as_labels(dev_graph):
    e = export(dev_graph, "gexf")
    G = nx.read_gexf(io.BytesIO(e.data))
    p = make_payload(dev_graph)
    assert G.number_of_nodes() == len(p.nodes) and G.number_of_edges() == len(p.edges)
    for n in p.nodes:
        assert G.nodes[n["id"]]["label"] == n["caption"]
        assert G.nodes[n["id"]]["node_label"] == n["label"]
    h = nx.read_gexf(io.BytesIO(export(hostile_graph(), "gexf").data))
    assert {d["label"] for _, d in h.nodes(data=True)} == NAMES
    assert {d["label"] for *_, d in h.edges(data=True)} == {"INVESTED_IN", "RAISED", "LOCATED_IN"}
    assert h.nodes["round:img|a|2019-07"]["amount_cny"] == 1.5e8


def test_gexf_meta_carries_truncation_and_synthetic_note():
    data = export(hostile_graph(), "gexf", max_nodes=2).data.decode("utf-8")
    assert "truncated: 5 nodes" in data and "synthetic" in data


def test_json_is_node_link_with_rows_cypher_provenance():
    r = Result(name="co_investors", params={"investor": "深创投"}, rows=[{"investor": "红杉", "deals": 3, "x": float("nan")}],
               columns=["investor", "deals", "x"], graph=hostile_graph(),
               cypher="MATCH (a:Investor {id: $id}) RETURN a", params_cypher={"id": "investor:深创投"})
    e = export(r, "json")
    assert e.filename == "co_investors-深创投.json"
    doc = json.loads(e.data)  # strict JSON: NaN would not parse in most readers
    assert b"NaN" not in e.data
    assert doc["rows"] == [{"investor": "红杉", "deals": 3, "x": None}]
    assert doc["cypher"].startswith("MATCH") and doc["params_cypher"] == {"id": "investor:深创投"}
    assert doc["provenance"]["query"] == "co_investors" and doc["provenance"]["params"] == {"investor": "深创投"}
    assert doc["truncated"] is False and doc["synthetic"] is True
    G = nx.node_link_graph(doc["graph"], edges="edges")
    assert {d["name"] for _, d in G.nodes(data=True)} == NAMES
    assert G.nodes["investor:深创投"]["sources"] == ["report:表5", "file:deals.csv#L3"]  # lists kept as lists
    assert "深创投" in e.data.decode("utf-8")  # not \u escaped


def test_json_of_a_truncated_result_counts_what_is_missing():
    r = Result(name="portfolio", params={}, rows=[{"a": 1}], graph=hostile_graph(), truncated=True,
               meta={"omitted": {"rows": 40}})
    doc = json.loads(export(r, "json", max_nodes=4).data)
    assert doc["truncated"] is True
    assert doc["omitted"] == {"rows": 40, "nodes": 3, "edges": 5}
    assert len(doc["graph"]["nodes"]) == 4


def test_json_of_a_chat_answer_keeps_the_question():
    ans = {"question": "深创投和谁一起投资？", "language": "zh", "intent": "co_investors", "params": {"investor": "深创投"},
           "text": "…", "entities": ["红杉资本（中国）"], "value": None, "rows": [{"investor": "红杉资本（中国）"}],
           "cypher": "MATCH …", "params_cypher": {}, "graph": hostile_graph(), "took_ms": 1.0}
    e = export(ans, "json")
    doc = json.loads(e.data)
    assert doc["provenance"]["question"] == "深创投和谁一起投资？" and doc["provenance"]["intent"] == "co_investors"
    assert doc["title"] == "深创投和谁一起投资？" and e.filename == "深创投和谁一起投资.json"


# ---------------------------------------------------------------------------- CSV and XLSX
def _read_csv(zf, name):
    raw = zf.read(name)
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_zip_has_nodes_edges_rows_with_bom_and_provenance():
    r = Result(name="q", params={}, rows=[{"投资方": "深创投", "次数": 3, "公司": ["甲", "乙"]}], columns=["投资方", "次数", "公司"],
               graph=hostile_graph())
    e = export(r, "csv")
    assert e.filename.endswith(".zip") and e.mimetype == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(e.data))
    assert {"nodes.csv", "edges.csv", "rows.csv", "about.txt", "provenance.json"} <= set(zf.namelist())
    assert "truncated.txt" not in zf.namelist()
    nodes = _read_csv(zf, "nodes.csv")
    assert list(nodes[0])[:3] == ["id", "label", "name"] and list(nodes[0])[-2:] == ["sources", "synthetic"]
    by_id = {n["id"]: n for n in nodes}
    assert by_id["investor:深创投"]["name"] == "深创投"
    assert by_id["investor:深创投"]["sources"] == "report:表5; file:deals.csv#L3"
    assert by_id["company:img"]["name"] == IMG and by_id["company:img"]["synthetic"] == "true"
    assert by_id["investor:quote"]["name"] == QUOTE  # quotes and the line break survive CSV quoting
    # no cell may become a formula in Excel
    assert by_id["company:formula"]["name"] == "'" + FORMULA
    edges = _read_csv(zf, "edges.csv")
    assert len(edges) == 5 and edges[0]["source_name"] == "深创投" and edges[0]["lead"] == "true"
    rows = _read_csv(zf, "rows.csv")
    # the graph holds a synthetic fact: the table says so in a column of its own
    assert rows == [{"投资方": "深创投", "次数": "3", "公司": "甲; 乙", "synthetic": "true"}]
    assert "SYNTHETIC.txt" in zf.namelist()


def test_csv_zip_of_a_graph_has_no_rows_and_says_when_truncated(dev_graph):
    zf = zipfile.ZipFile(io.BytesIO(export(dev_graph, "csv", max_nodes=10).data))
    assert "rows.csv" not in zf.namelist()
    assert len(_read_csv(zf, "nodes.csv")) == 10
    note = zf.read("truncated.txt").decode("utf-8-sig")
    assert "truncated" in note and f"omitted nodes: {len(dev_graph['nodes']) - 10}" in note


def test_xlsx_has_rows_nodes_edges_about_and_no_formulas():
    import openpyxl
    r = Result(name="q", params={}, rows=[{"投资方": "深创投", "金额": 1.5e8, "名单": FORMULA}], columns=["投资方", "金额", "名单"],
               graph=hostile_graph(), cypher="MATCH (n) RETURN n")
    wb = openpyxl.load_workbook(io.BytesIO(export(r, "xlsx").data))
    # a synthetic fact in the graph: a note sheet first, a synthetic column in the table
    assert wb.sheetnames == ["note", "rows", "nodes", "edges", "about"]
    assert "synthetic" in wb["note"]["A1"].value
    rows = list(wb["rows"].values)
    assert rows[0] == ("投资方", "金额", "名单", "synthetic") and rows[1][:2] == ("深创投", 1.5e8)
    assert wb["rows"].cell(2, 3).data_type == "s" and wb["rows"].cell(2, 3).value == FORMULA
    nodes = list(wb["nodes"].values)
    head = nodes[0]
    names = {row[head.index("name")] for row in nodes[1:]}
    assert names == NAMES
    assert all(c.data_type != "f" for row in wb["nodes"].iter_rows() for c in row)
    about = dict(wb["about"].values)
    assert about["cypher"] == "MATCH (n) RETURN n" and "synthetic" in about


def test_xlsx_cut_has_a_note_sheet_first(dev_graph):
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(export(dev_graph, "xlsx", max_nodes=5).data))
    assert wb.sheetnames[0] == "note"
    assert "truncated" in wb["note"]["A1"].value
    assert wb["nodes"].max_row == 6  # header + 5


# ---------------------------------------------------------------------------- HTML
def _script_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="iikg-data">(.*?)</script>', html, re.DOTALL)
    assert m
    return json.loads(m.group(1))


def test_html_keeps_hostile_names_as_text():
    from kg.exports.html import VENDOR

    html = export(hostile_graph(), "html", title=SCRIPT).data.decode("utf-8")
    vis = (VENDOR / "vis-network.min.js").read_text(encoding="utf-8")
    assert html.count(vis) == 1
    lowered = html.replace(vis, "").lower()  # vis-network's own code holds a "<script>" string
    assert "<img" not in lowered
    assert lowered.count("<script") == 3  # the data, vis-network and our code: nothing injected
    assert "alert(1)</script>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # title and legend: escaped text
    data = _script_data(html)
    captions = {n["caption"] for n in data["nodes"]}
    assert IMG in captions and SCRIPT in captions
    assert "\\u003c/script\\u003e" in html
    tips = " ".join(n["tip"] for n in data["nodes"])
    assert IMG in tips  # hover text carries the name, shown with textContent (never innerHTML)
    assert "innerHTML" not in html.split("</script>")[-2]  # our own code never writes HTML


def test_html_is_offline():
    html = export(hostile_graph(), "html").data.decode("utf-8")
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"""@import|url\(\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "vis-network" in html and "@version 9.1.2" in html  # inlined, not linked
    assert "default-src 'none'" in html  # the CSP forbids any load at all


def test_html_banners_legend_and_degree():
    html = export(hostile_graph(), "html", max_nodes=6).data.decode("utf-8")
    assert 'id="truncated-banner"' in html and "truncated: 1 node, 2 edges omitted" in html
    assert 'id="synthetic-banner"' in html and "synthetic demo data" in html
    assert "投资机构 Investor" in html and "企业 Company" in html
    data = _script_data(html)
    deg = {n["id"]: n["degree"] for n in data["nodes"]}
    assert deg["investor:深创投"] == 1 and deg["round:img|a|2019-07"] == 3 and data["physics"] is True
    clean = export({"nodes": [{"id": "a", "label": "Company", "name": "甲"}], "edges": []}, "html").data.decode()
    assert 'id="synthetic-banner"' not in clean and 'id="truncated-banner"' not in clean


def test_html_precomputes_layout_for_big_graphs(dev_store_ro):
    from kg.exports.html import PHYSICS_MAX

    ids = list(dev_store_ro.graph)[:PHYSICS_MAX + 20]
    data = _script_data(export(dev_store_ro.graph.subgraph(ids), "html").data.decode("utf-8"))
    assert data["physics"] is False and all("x" in n and "y" in n for n in data["nodes"])


# ---------------------------------------------------------------------------- Cypher (text)
def test_cypher_literals_escape_quotes_backslashes_and_line_breaks():
    from kg.exports.cypher import literal

    assert literal("a'b") == r"'a\'b'"
    assert literal("a\\'b") == r"'a\\\'b'"
    assert literal("x\ny\r\tz") == r"'x\ny\r\tz'"
    assert literal(True) == "true" and literal(3) == "3" and literal(2 ** 70) == f"'{2 ** 70}'"
    assert literal(float("inf")) is None and literal(None) is None
    assert literal(["甲", 2, None]) == "['甲', '2']" and literal({"k": 1}) == "'{\"k\": 1}'"


def test_cypher_script_is_one_safe_statement_per_line():
    e = export(hostile_graph(), "cypher", title="x\nMATCH (n) DETACH DELETE n // ")
    text = e.data.decode("utf-8")
    lines = text.splitlines()
    code = [ln for ln in lines if not ln.startswith("//")]
    assert all(re.match(r"^(MERGE \(n:[A-Za-z]+ \{id: '|MATCH \(a:[A-Za-z]+ \{id: ')", ln) for ln in code), code
    assert all(ln.endswith(";") for ln in code)
    assert len(code) == 7 + 5
    assert not any("DETACH DELETE" in ln for ln in code)
    assert "synthetic demo data" in text


def test_cypher_rejects_labels_outside_the_schema():
    bad = {"nodes": [{"id": "x", "label": "Company) DETACH DELETE (m", "name": "x"}], "edges": []}
    with pytest.raises(InputError, match="not in the schema"):
        export(bad, "cypher")
    bad = {"nodes": [{"id": "a", "label": "Company"}, {"id": "b", "label": "Round"}],
           "edges": [{"source": "a", "target": "b", "type": "RAISED]->() DELETE a//"}]}
    with pytest.raises(InputError, match="not in the schema"):
        export(bad, "cypher")


def test_cypher_truncation_is_a_comment():
    text = export(hostile_graph(), "cypher", max_nodes=2).data.decode("utf-8")
    assert re.search(r"^// truncated: 5 nodes, \d+ edges omitted", text, re.MULTILINE)


# ---------------------------------------------------------------------------- every format on the dev store
@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json", "csv", "xlsx", "html", "cypher"])
def test_every_format_exports_the_dev_subgraph(dev_graph, fmt):
    e = export(dev_graph, fmt, title="深创投 ego")
    assert e.data and not e.truncated
    assert e.filename == f"深创投-ego.{EXPORTERS[fmt].extension}"
