"""Synthetic data says so wherever it travels: every export format from a `kg demo` workspace
(through the web's /api/export and through kg.exports with the store), the report's files, and the
badges on answer cards, query pages and entity pages."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from urllib.parse import quote

import networkx as nx
import pytest

from kg.exports import FORMATS

QUERY = {"query": "portfolio", "investor": "深创投"}


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from demo_workspace import demo_workspace

    return demo_workspace(tmp_path_factory, 400, "marks")[0]


@pytest.fixture(scope="module")
def client(demo_ws):
    from web import create_app

    return create_app({"workspace": str(demo_ws), "TESTING": True}).test_client()


def _csv(zf, name):
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig"))))


def check_file(fmt: str, data: bytes) -> None:
    """``data`` (an export of demo data in ``fmt``) marks its synthetic facts where a reader looks."""
    if fmt in ("graphml", "gexf"):
        G = nx.read_graphml(io.BytesIO(data)) if fmt == "graphml" else nx.read_gexf(io.BytesIO(data))
        companies = [d for n, d in G.nodes(data=True) if str(n).startswith("company:")]
        assert companies and all(d.get("synthetic") in (True, "true") for d in companies), fmt
        assert all(str(d.get("source", "")).startswith("synthetic:") for d in companies), fmt
        assert any(d.get("synthetic") in (True, "true") for _, _, d in G.edges(data=True)), fmt
        if fmt == "graphml":
            assert G.graph.get("synthetic") is True
        else:
            assert b"synthetic" in data
    elif fmt == "json":
        doc = json.loads(data)
        assert doc["synthetic"] is True
        nodes = doc["graph"]["nodes"]
        assert all(n["synthetic"] is True for n in nodes if n["id"].startswith("company:"))
        assert all(r["synthetic"] is True for r in doc["rows"])
    elif fmt == "csv":
        zf = zipfile.ZipFile(io.BytesIO(data))
        assert "SYNTHETIC.txt" in zf.namelist()
        rows = _csv(zf, "rows.csv")
        assert rows and all(r["synthetic"] == "true" for r in rows)
        nodes = _csv(zf, "nodes.csv")
        assert all(n["synthetic"] == "true" for n in nodes if n["label"] == "Company")
    elif fmt == "xlsx":
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(data))
        assert wb.sheetnames[0] == "note" and "synthetic" in wb["note"]["A1"].value
        head = [c.value for c in next(wb["rows"].iter_rows(max_row=1))]
        assert "synthetic" in head
    elif fmt == "html":
        html = data.decode()
        assert re.search(r"synthetic demo data", html) and "含合成演示数据" in html
    elif fmt == "svg":
        assert "synthetic demo data" in data.decode()
    elif fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"  # the caption is drawn (checked on the SVG twin)
    elif fmt == "cypher":
        assert "synthetic" in data.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_web_export_of_demo_data_is_marked(client, fmt):
    r = client.get("/api/export", query_string={**QUERY, "format": fmt})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    check_file(fmt, r.data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_library_export_with_the_store_is_marked(demo_ws, fmt):
    from kg.exports import export
    from kg.queries import run
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(demo_ws)
    res = run(store, "portfolio", investor="深创投")
    check_file(fmt, export(res, fmt, store=store).data)


def test_real_facts_are_not_marked(demo_ws):
    from kg.exports import export
    from kg.queries import run
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(demo_ws)
    G = nx.read_graphml(io.BytesIO(export(run(store, "listings"), "graphml", store=store).data))
    assert G.graph.get("synthetic") is False
    assert all(d.get("synthetic") is False for n, d in G.nodes(data=True) if n.startswith("company:"))


def test_report_files_carry_a_caption(demo_ws, tmp_path):
    from kg.report import build_report, report_graph, write_report
    from kg.store.embedded import EmbeddedStore

    rep = build_report(report_graph(EmbeddedStore(demo_ws)))
    assert rep["synthetic"] is True and all(f["synthetic"] for f in rep["figures"])
    out = write_report(rep, tmp_path)
    head = open(out["csv"][0], encoding="utf-8-sig").readline()
    assert head.rstrip().endswith("synthetic")


def test_badges_on_answer_query_and_entity_pages(client):
    a = client.get("/api/ask", query_string={"q": "深创投投资了哪些公司"}).get_json()
    assert a.get("synthetic") is True
    html = client.get(f"/chat?session={a['session']}").get_data(as_text=True)
    assert 'data-synthetic="1"' in html
    q = client.get("/api/query/portfolio", query_string={"investor": "深创投"}).get_json()
    assert q["meta"]["synthetic"] is True
    assert 'data-synthetic="1"' in client.get("/query/portfolio?investor=深创投").get_data(as_text=True)
    e = client.get("/api/entity/" + quote("investor:深创投", safe="")).get_json()
    assert e["synthetic"] is True
    assert 'data-synthetic="1"' in client.get("/entity/" + quote("investor:深创投", safe="")).get_data(as_text=True)
