"""The explorer on the demo data `kg up` opens: every page works, synthetic data says so, and the
report page shows the regenerated figures beside the published ones."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from web import create_app


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory):
    from kg.demo import run_demo
    from kg.loading import load_seed
    from kg.store.embedded import EmbeddedStore

    ws = tmp_path_factory.mktemp("demo-ws")
    store = EmbeddedStore(ws)
    load_seed(store)
    summary = run_demo(store)
    assert summary["changes"]["nodes_created"] > 1000
    app = create_app({"workspace": str(ws), "TESTING": True})
    return app.test_client()


PAGES = ["/", "/chat", "/network?year=2019&min_shared=2", "/regions", "/report", "/query", "/path",
         "/query/top_investors", "/search?q=红杉", "/entity/" + quote("investor:深创投", safe=""),
         "/entity/" + quote("macro:长三角", safe=""), "/entity/" + quote("segment:平台", safe="")]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_on_demo_data(demo_client, path):
    r = demo_client.get(path)
    assert r.status_code == 200, path
    assert "Traceback" not in r.get_data(as_text=True)


def test_synthetic_data_is_flagged_in_the_ui_and_api(demo_client):
    home = demo_client.get("/api/home").get_json()
    assert "synthetic" in str(home).lower()
    html = demo_client.get("/").get_data(as_text=True)
    assert re.search(r"synthetic|合成|演示", html, re.I)


def test_report_page_shows_published_beside_regenerated(demo_client):
    data = demo_client.get("/api/report").get_json()
    text = str(data)
    assert "752" in text and "678" in text  # the headline counts, regenerated and published
    html = demo_client.get("/report").get_data(as_text=True)
    assert "752" in html and "红杉资本（中国）" in html


def test_chat_on_demo_data(demo_client):
    a = demo_client.get("/api/ask", query_string={"q": "2019年投资工业互联网企业最多的三家机构"}).get_json()
    assert a["intent"] == "top_investors" and len(a["entities"]) >= 3
    assert a["cypher"] and a["graph"]["nodes"]
    # the three with the most companies in 2019 are Table 5's leaders (14, 14, 13 companies)
    assert set(a["entities"][:2]) == {"红杉资本（中国）", "深创投"} and a["entities"][2] == "同创伟业"
