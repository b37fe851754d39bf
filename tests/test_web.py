"""The web explorer through Flask's test client, on a real workspace (seed + dev deals).

Every page and its JSON twin, the exports read back, the import, and the safety rules: CSP,
CSRF, the token, upload limits, hostile names escaped everywhere.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from urllib.parse import quote

import networkx as nx
import pytest

from web import create_app

HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "</script><script>alert(1)</script>"


def eurl(prefix: str, eid: str) -> str:
    return f"{prefix}/{quote(eid, safe='')}"


@pytest.fixture
def app(dev_workspace):
    return create_app({"workspace": str(dev_workspace), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_of(client) -> str:
    html = client.get("/import").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def hostile_csv(tmp_path):
    p = tmp_path / "hostile.csv"
    p.write_text(
        "date,company,round,amount,investors,lead_investors,segment,province,city\n"
        f"2019-05-01,{HOSTILE_IMG},A轮,5000万元,深创投、{HOSTILE_SCRIPT},深创投,平台,浙江,杭州\n"
        f"2019-06-02,\"{HOSTILE_SCRIPT}\",天使轮,1000万元,红杉资本（中国）、深创投,红杉资本（中国）,安全,北京,北京\n",
        encoding="utf-8")
    return p


def hostile_ids(workspace) -> list[str]:
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(workspace)
    ids = [n for n in store.nodes_by_label("Company") + store.nodes_by_label("Investor")
           if store.graph.nodes[n].get("name") in (HOSTILE_IMG, HOSTILE_SCRIPT)]
    assert len(ids) >= 2, ids
    return ids


@pytest.fixture
def hostile_app(dev_workspace, tmp_path):
    from kg.loading import load_deals
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(dev_workspace)
    rep = load_deals(store, hostile_csv(tmp_path), dev_workspace)
    assert rep.loaded == 2, rep.as_dict()
    app = create_app({"workspace": str(dev_workspace), "TESTING": True})
    app.hostile_ids = hostile_ids(dev_workspace)
    return app


# ------------------------------------------------------------------ the app factory and settings
def test_factory_takes_config_or_dict(dev_workspace):
    from kg.config import Config

    a = create_app(Config(workspace=str(dev_workspace), max_upload_mb=3))
    assert a.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
    b = create_app({"workspace": str(dev_workspace), "max_upload_mb": 7, "SECRET_KEY": "x" * 32})
    assert b.config["MAX_CONTENT_LENGTH"] == 7 * 1024 * 1024 and b.config["SECRET_KEY"] == "x" * 32
    assert {"explore", "chat", "query", "network", "regions", "paths", "report", "export", "importer"} <= set(a.blueprints)


def test_store_can_be_passed_in(dev_store):
    app = create_app({"workspace": str(dev_store.workspace)}, store=dev_store)
    assert app.test_client().get("/api/home").get_json()["loaded"]["stats"]["nodes"]["Investor"] > 20


# ------------------------------------------------------------------ home, search, entity pages
def test_home_shows_what_is_loaded(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "deals.csv" in html and "已加载的数据" in html
    assert "合成演示数据" not in html  # nothing synthetic loaded
    data = client.get("/api/home").get_json()
    assert data["loaded"]["stats"]["nodes"]["Company"] > 50
    assert [i["kind"] for i in data["loaded"]["imports"]] == ["deals", "seed"]
    assert data["loaded"]["synthetic"] is False
    assert data["top_investors"]["rows"][0]["investor"] == "红杉资本（中国）"


def test_synthetic_badge(dev_workspace):
    from kg.model import Batch
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(dev_workspace)
    b = Batch()
    b.node("Company", "company:演示公司", "synthetic", name="演示公司", synthetic=True)
    store.apply(b, record={"kind": "demo", "file": "kg demo", "rows": 1, "loaded": 1, "rejected": 0, "synthetic": True})
    c = create_app({"workspace": str(dev_workspace)}).test_client()
    assert c.get("/api/home").get_json()["loaded"]["synthetic"] is True
    html = c.get("/").get_data(as_text=True)
    assert "badge synthetic" in html and "合成演示数据" in html
    # the banner shows on every page, not only home
    assert "合成演示数据" in c.get("/network").get_data(as_text=True)


def test_search_api_and_page(client):
    d = client.get("/api/search?q=深创").get_json()
    assert d["results"] and d["results"][0]["id"] == "investor:深创投"
    assert d["results"][0]["url"] == eurl("/entity", "investor:深创投")
    assert client.get("/api/search?q=").get_json()["results"] == []
    html = client.get("/search?q=红杉").get_data(as_text=True)
    assert "红杉资本（中国）" in html
    r = client.get("/search?q=深创投&go=1")
    assert r.status_code == 302 and r.headers["Location"].endswith(quote("investor:深创投", safe=""))


def test_investor_page_and_twin(client):
    eid = "investor:深创投"
    d = client.get(eurl("/api/entity", eid)).get_json()
    assert d["label"] == "Investor" and d["name"] == "深创投"
    pf = d["sections"]["portfolio"]
    assert pf["value"] == 17 and pf["total"] == 17 and pf["shown"] == len(pf["rows"]) <= 25
    co = d["sections"]["co_investors"]["rows"]
    assert co[0]["shared_rounds"] >= co[-1]["shared_rounds"]  # ranked
    assert d["mix"]["years"] and sum(d["mix"]["segments"].values()) >= 17
    assert sum(d["mix"]["years"].values()) == d["mix"]["rounds"]
    assert d["graph"]["shown"] and "graph" not in d["graph"]  # the nodes come with ?graph=1
    g = client.get(eurl("/api/entity", eid) + "?graph=1").get_json()["graph"]["graph"]
    assert any(n["id"] == eid for n in g["nodes"])
    html = client.get(eurl("/entity", eid)).get_data(as_text=True)
    for piece in ("投资组合", "合投机构", "轮次分布", "关系网络", "宇控数据", 'id="ego"', 'class="iikg-chart"'):
        assert piece in html, piece


@pytest.mark.parametrize("eid,expect", [
    ("company:数澜科技", "融资历史"),
    ("province:浙江", "企业"),
    ("macro:长三角", "产业集群"),
    ("segment:平台", "细分领域"),
])
def test_other_entity_pages(client, eid, expect):
    r = client.get(eurl("/entity", eid))
    assert r.status_code == 200 and expect in r.get_data(as_text=True)
    d = client.get(eurl("/api/entity", eid)).get_json()
    assert d["id"] == eid and d["sections"]
    assert all(s.get("error") is None for s in d["sections"].values()), d["sections"]


def test_policy_page(client, dev_store_ro):
    pid = dev_store_ro.nodes_by_label("Policy")[0]
    d = client.get(eurl("/api/entity", pid)).get_json()
    assert d["label"] == "Policy" and d["properties"]["title"]
    assert client.get(eurl("/entity", pid)).status_code == 200


def test_unknown_entity_is_404_both_ways(client):
    assert client.get(eurl("/entity", "company:没有这家")).status_code == 404
    r = client.get(eurl("/api/entity", "company:没有这家"))
    assert r.status_code == 404 and "error" in r.get_json()


# ------------------------------------------------------------------ chat
def test_ask_and_follow_up(client):
    a = client.get("/api/ask", query_string={"q": "深创投投资了哪些公司？"}).get_json()
    assert a["intent"] == "portfolio" and a["language"] == "zh" and "宇控数据" in a["entities"]
    assert a["session"] and a["turn"] == 0 and a["graph"]["nodes"] and a["cypher"]
    b = client.get("/api/ask", query_string={"q": "那红杉资本呢？", "session": a["session"]}).get_json()
    assert b["session"] == a["session"] and b["turn"] == 1
    assert b["intent"] == "portfolio"  # the follow-up reused the intent
    conv = client.get("/api/chat", query_string={"session": a["session"]}).get_json()
    assert [x["question"] for x in conv["answers"]] == ["深创投投资了哪些公司？", "那红杉资本呢？"]


def test_chat_page_post_redirect_get(client):
    token = csrf_of(client)
    r = client.post("/chat", data={"q": "数澜科技的融资历史", "csrf_token": token})
    assert r.status_code == 302 and "session=" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "数澜科技的融资历史" in html and "answer-card" in html and 'type="application/json"' in html
    assert "MATCH" in html  # the Cypher is shown


def test_chat_get_from_home_links(client):
    r = client.get("/chat", query_string={"q": "Top investors in 2019"})
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Top investors in 2019" in html


def test_unknown_question_is_helpful(client):
    a = client.get("/api/ask", query_string={"q": "今天天气怎么样"}).get_json()
    assert a["intent"] == "unknown" and a["text"] and a["entities"] == []


def test_empty_question_is_400(client):
    assert client.get("/api/ask?q=").status_code == 400


# ------------------------------------------------------------------ queries
def test_query_index_lists_registry(client):
    from kg.queries import REGISTRY

    d = client.get("/api/query").get_json()
    assert {q["name"] for q in d["queries"]} == set(REGISTRY)
    html = client.get("/query").get_data(as_text=True)
    assert all(name in html for name in REGISTRY)


def test_query_page_form_from_params(client):
    html = client.get("/query/top_investors").get_data(as_text=True)
    assert 'name="k"' in html and 'name="year"' in html and 'name="by"' in html
    assert "红杉资本（中国）" in html  # runs at once: no required parameter


def test_query_page_and_twin_agree(client):
    d = client.get("/api/query/portfolio?investor=深创投&year=2019").get_json()
    html = client.get("/query/portfolio?investor=深创投&year=2019").get_data(as_text=True)
    assert d["rows"] and all(r["company"] in html for r in d["rows"])
    assert d["params"] == {"investor": "深创投", "year": 2019}
    assert "$investor" in d["cypher"]


def test_query_errors_are_400_with_message(client):
    r = client.get("/api/query/portfolio?investor=没有这个机构xyz")
    assert r.status_code == 400 and r.get_json()["error"]
    assert client.get("/api/query/nope").status_code == 404
    html = client.get("/query/portfolio?investor=没有这个机构xyz").get_data(as_text=True)
    assert 'class="error"' in html


def test_neighborhood_view_for_expansion(client):
    d = client.get("/api/query/neighborhood?entity=investor:深创投&hops=1&limit=10&_view=1").get_json()
    v = d["view"]
    assert v["nodes"] and all({"id", "label", "title", "shape", "color"} <= set(n) for n in v["nodes"])
    assert all(isinstance(n["title"], str) for n in v["nodes"])
    assert v["legend"]


# ------------------------------------------------------------------ network, regions, paths, report
def test_network_facets_change_the_graph(client):
    from web.graphview import unwire

    all_ = client.get("/api/network").get_json()
    y19 = client.get("/api/network?year=2019&min_shared=2").get_json()
    assert y19["facets"] == {"year": "2019", "min_shared": "2"}
    assert 0 < len(y19["graph"]["nodes"]) < len(all_["graph"]["nodes"])
    assert all(r["weight"] >= 2 for r in y19["rows"])
    html = client.get("/network?year=2019&min_shared=2").get_data(as_text=True)
    payload = unwire(json.loads(re.search(r'<script type="application/json" id="net-data">(.*?)</script>', html, re.S).group(1)))
    assert {n["id"] for n in payload["nodes"]} == {n["id"] for n in y19["graph"]["nodes"]}
    assert payload["color_by"] == "community" and len({n["color"] for n in payload["nodes"]}) > 1
    assert '<option value="2019" selected>' in html


def test_network_focus_marks_node(client):
    from web.graphview import unwire

    html = client.get("/network?focus=investor:深创投").get_data(as_text=True)
    payload = unwire(json.loads(re.search(r'id="net-data">(.*?)</script>', html, re.S).group(1)))
    assert payload["nodes"][0]["id"] == "investor:深创投" and payload["nodes"][0]["focus"]


def test_regions(client):
    d = client.get("/api/regions?region=长三角").get_json()
    assert d["province"]["rows"] and d["macro"]["rows"]
    assert {r["region"] for r in d["macro"]["rows"]} >= {"长三角"}
    assert d["clusters"]["rows"]
    html = client.get("/regions?region=长三角").get_data(as_text=True)
    assert "宏观区域" in html and "省份" in html and "产业集群" in html and "<svg" in html


def test_path_finder(client):
    d = client.get("/api/path?a=深创投&b=数澜科技").get_json()
    assert d["rows"] and d["graph"]["nodes"]
    ids = {n["id"] for n in d["graph"]["nodes"]}
    assert {"investor:深创投", "company:数澜科技"} <= ids
    html = client.get(f"/path?a={quote('investor:深创投')}&b=数澜科技").get_data(as_text=True)
    assert 'value="深创投"' in html and 'id="pathgraph"' in html


def test_report(client):
    d = client.get("/api/report").get_json()
    ids = [f["id"] for f in d["figures"]]
    assert {"table5", "fig5", "fig10", "fig11", "fig12"} <= set(ids)
    t5 = next(f for f in d["figures"] if f["id"] == "table5")
    assert t5["rows"][0]["investor"] == "红杉资本（中国）" and "published" in t5["columns"]
    html = client.get("/report").get_data(as_text=True)
    # drawn by charts.js (ECharts) from chart specs, or as SVG where charts.js is not there
    assert html.count("<svg") + html.count('class="iikg-chart"') >= 5 and "报告公布" in html and "表5" in html


# ------------------------------------------------------------------ exports
def _download(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;") and "filename*=UTF-8''" in cd
    assert "/" not in cd.split("filename=")[1].split(";")[0]
    return r


def test_exports_read_back(client):
    base = "/api/export?query=portfolio&investor=深创投"
    g = nx.read_graphml(io.BytesIO(_download(client, base + "&format=graphml").data))
    assert "investor:深创投" in g
    g2 = nx.read_gexf(io.BytesIO(_download(client, base + "&format=gexf").data))
    assert g2.number_of_nodes() == g.number_of_nodes()
    z = zipfile.ZipFile(io.BytesIO(_download(client, base + "&format=csv").data))
    csvs = [n for n in z.namelist() if n.endswith(".csv")]
    assert len(csvs) >= 2
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(_download(client, base + "&format=xlsx").data))
    assert wb.sheetnames
    png = _download(client, base + "&format=png").data
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = _download(client, base + "&format=svg").data
    assert b"<svg" in svg
    html = _download(client, base + "&format=html").data.decode()
    assert "http://" not in html.split("<body")[0].replace("http://www.w3.org", "")  # offline
    js = json.loads(_download(client, base + "&format=json").data)
    assert js


def test_export_of_a_question(client):
    a = client.get("/api/ask", query_string={"q": "深创投投资了哪些公司？"}).get_json()
    r = _download(client, "/api/export?" + "&".join([f"q={quote(a['question'])}", f"session={a['session']}",
                                                       "turn=0", "format=graphml"]))
    g = nx.read_graphml(io.BytesIO(r.data))
    assert g.number_of_nodes() == len(a["graph"]["nodes"])


def test_export_follow_up_uses_kept_answer(client):
    a = client.get("/api/ask", query_string={"q": "深创投投资了哪些公司？"}).get_json()
    b = client.get("/api/ask", query_string={"q": "只看2019年的", "session": a["session"]}).get_json()
    r = _download(client, f"/api/export?q={quote(b['question'])}&session={a['session']}&turn=1&format=json")
    assert r.status_code == 200


def test_export_errors(client):
    assert client.get("/api/export?format=csv").status_code == 400
    assert client.get("/api/export?query=portfolio&investor=深创投&format=exe").status_code == 400


def test_export_posted_view_needs_csrf(client):
    body = {"format": "svg", "name": "../../深创投 view", "graph": {
        "nodes": [{"id": "investor:深创投", "label": "Investor", "name": "深创投", "x": 0, "y": 0},
                  {"id": "company:数澜科技", "label": "Company", "name": "数澜科技", "x": 50, "y": 20}],
        "edges": [{"source": "investor:深创投", "target": "company:数澜科技", "type": "INVESTED_IN"}]}}
    assert client.post("/api/export", json=body).status_code == 403
    r = client.post("/api/export", json=body, headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code == 200 and b"<svg" in r.data
    cd = r.headers["Content-Disposition"]
    assert ".." not in cd and "/" not in cd.split(";")[1]


def test_upload_name():
    from web.importer import upload_name

    assert upload_name("a/b\\c:d*e?f\"g<h>i|j\r\n.csv") == "a_b_c_d_e_f_g_h_i_j_.csv"
    assert upload_name("") == "upload.csv"
    assert len(upload_name("长" * 300 + ".xlsx")) == 100 and upload_name("长" * 300 + ".xlsx").endswith(".xlsx")


# ------------------------------------------------------------------ import
def test_import_loads_and_reports_rejects(client, tmp_path):
    data = ("date,company,round,amount,investors,lead_investors,segment,province,city\n"
            "2019-03-01,新导入科技,A轮,3000万元,深创投,深创投,平台,浙江,杭州\n"
            "2019-13-45,坏日期科技,A轮,1000万元,深创投,,平台,浙江,杭州\n"
            ",,A轮,1000万元,深创投,,平台,浙江,杭州\n").encode()
    token = csrf_of(client)
    r = client.post("/import", data={"csrf_token": token, "file": (io.BytesIO(data), "新交易.csv")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="n-loaded">1<' in html and 'id="n-rejected">2<' in html
    assert "坏日期科技" in html or "2019-13-45" in html or "date" in html
    link = re.search(r'href="(/import/rejects/[^"]+)"', html).group(1)
    rej = client.get(link)
    assert rej.status_code == 200
    rows = list(csv.DictReader(io.StringIO(rej.data.decode("utf-8-sig"))))
    assert [int(x["line"]) for x in rows] == [3, 4] and all(x["reason"] for x in rows)
    # the new company is there, the manifest says where it came from
    assert client.get(eurl("/api/entity", "company:新导入科技")).status_code == 200
    imports = client.get("/api/home").get_json()["loaded"]["imports"]
    assert imports[0]["file"] == "新交易.csv" and imports[0]["rejected"] == 2


def test_import_json_twin(client):
    data = "date,company,round,amount,investors\n2019-03-01,接口科技,A轮,1000万元,深创投\n".encode()
    r = client.post("/api/import", data={"file": (io.BytesIO(data), "api.csv")}, content_type="multipart/form-data",
                    headers={"X-CSRF-Token": csrf_of(client)})
    d = r.get_json()
    assert r.status_code == 200 and d["loaded"] == 1 and d["rejected"] == 0 and d["exit_code"] == 0
    assert client.get("/api/import").get_json()["imports"][0]["file"] == "api.csv"


def test_import_requires_csrf(client):
    data = "date,company,round\n2019-03-01,无令牌科技,A轮\n".encode()
    r = client.post("/import", data={"file": (io.BytesIO(data), "x.csv")}, content_type="multipart/form-data")
    assert r.status_code == 403
    assert client.get(eurl("/api/entity", "company:无令牌科技")).status_code == 404


def test_import_cross_origin_refused(client):
    token = csrf_of(client)
    r = client.post("/api/import", data={"csrf_token": token, "file": (io.BytesIO(b"a,b\n"), "x.csv")},
                    content_type="multipart/form-data", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_import_size_limit(dev_workspace):
    app = create_app({"workspace": str(dev_workspace), "max_upload_mb": 1})
    c = app.test_client()
    big = b"date,company\n" + b"2019-01-01,x\n" * 100_000
    r = c.post("/import", data={"csrf_token": csrf_of(c), "file": (io.BytesIO(big), "big.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 413 and "1 MB" in r.get_data(as_text=True)


def test_import_rejects_other_types_and_paths(client):
    token = csrf_of(client)
    r = client.post("/import", data={"csrf_token": token, "file": (io.BytesIO(b"MZ"), "evil.exe")},
                    content_type="multipart/form-data")
    assert 'class="error"' in r.get_data(as_text=True)
    assert client.get("/import/rejects/..%2Fgraph.pickle").status_code == 404
    assert client.get("/import/rejects/graph.pickle").status_code == 404


# ------------------------------------------------------------------ i18n
def test_language_from_header_and_cookie(client):
    assert "Co-investment" in client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "合投网络" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "合投网络" in client.get("/").get_data(as_text=True)  # default Chinese
    r = client.get("/lang/en?next=/network")
    assert r.status_code == 302 and r.headers["Location"].endswith("/network")
    assert "Co-investment" in client.get("/network").get_data(as_text=True)
    assert client.get("/lang/zh?next=//evil.example").headers["Location"] in ("/", "http://localhost/")


def test_every_ui_string_used_exists():
    from pathlib import Path

    from web.i18n import STRINGS

    root = Path(__file__).resolve().parent.parent / "web"
    used = set()
    for f in list((root / "templates").glob("*.html")) + [f for f in root.glob("*.py") if f.name != "i18n.py"]:
        text = f.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\b[_t]\(\s*['"]([a-z0-9_]+)['"]\s*\)""", text))
    assert used and not (used - set(STRINGS)), used - set(STRINGS)
    assert all(len(v) == 2 and all(v) for v in STRINGS.values())


# ------------------------------------------------------------------ safety
PAGES = ["/", "/chat", "/network", "/regions", "/report", "/query", "/query/top_investors", "/path", "/import",
         "/search?q=深创投", eurl("/entity", "investor:深创投")]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_ok_with_strict_csp_and_no_inline_script(client, path):
    r = client.get(path)
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    html = r.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " on" not in " ".join(re.findall(r"<[a-z]+\s[^>]*\son[a-z]+=", html))
    assert "style=" not in html  # inline styles would need 'unsafe-inline'
    assert "https://" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize("path", ["/api/home", "/api/query", "/api/network", "/api/regions", "/api/report",
                                  "/api/search?q=x", "/api/import"])
def test_every_json_twin(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() is not None


def test_static_vis_network_is_vendored_with_licence(client):
    r = client.get("/static/vendor/vis-network/vis-network.min.js")
    assert r.status_code == 200 and b"@version 9.1.2" in r.data and b"sourceMappingURL" not in r.data
    assert client.get("/static/vendor/vis-network/LICENSE").status_code == 200


def test_hostile_names_are_text_everywhere(hostile_app):
    c = hostile_app.test_client()
    pages = ["/", eurl("/entity", "investor:深创投"), "/network", "/search?q=img", "/search?q=script",
             "/query/companies?region=浙江", "/regions?region=长三角", "/report"]
    for cid in hostile_app.hostile_ids:
        pages.append(eurl("/entity", cid))
    for p in pages:
        r = c.get(p)
        assert r.status_code == 200, p
        html = r.get_data(as_text=True)
        assert HOSTILE_IMG not in html, p
        assert "<script>alert(1)</script>" not in html, p
    # in JSON blocks the names are escaped for <script> context
    html = c.get(eurl("/entity", "investor:深创投")).get_data(as_text=True)
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    # and in the chat
    r = c.get("/chat", query_string={"q": HOSTILE_SCRIPT + "的融资历史"})
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_hostile_ids_are_one_path_segment(hostile_app):
    from web.filters import entity_url

    with hostile_app.test_request_context():
        u = entity_url(next(i for i in hostile_app.hostile_ids if "script" in i))
    assert u.count("/") == 2 and "<" not in u
    assert hostile_app.test_client().get(u).status_code == 200


# ------------------------------------------------------------------ token
@pytest.fixture
def token_app(dev_workspace):
    return create_app({"workspace": str(dev_workspace), "token": "s3cret-token-value"})


def test_token_required_when_set(token_app):
    c = token_app.test_client()
    assert c.get("/").status_code == 401
    assert c.get("/api/home").status_code == 401
    assert c.get("/api/home", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/api/home", headers={"Authorization": "Bearer s3cret-token-value"}).status_code == 200
    assert c.get("/api/home?token=s3cret-token-value").status_code == 200


def test_token_in_url_moves_to_cookie(token_app):
    c = token_app.test_client()
    r = c.get("/network?year=2019&token=s3cret-token-value")
    assert r.status_code == 302 and "token" not in r.headers["Location"] and "year=2019" in r.headers["Location"]
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "s3cret" not in cookie
    assert c.get("/network?year=2019").status_code == 200


def test_no_token_no_auth(client):
    assert client.get("/api/home").status_code == 200


# ------------------------------------------------------------------ refresh from disk
def test_store_refreshes_when_snapshot_changes(client, dev_workspace, tmp_path):
    before = client.get("/api/home").get_json()["loaded"]["stats"]["nodes"]["Company"]
    from kg.loading import load_deals
    from kg.store.embedded import EmbeddedStore

    other = EmbeddedStore(dev_workspace)  # "kg load" in another terminal
    p = tmp_path / "more.csv"
    p.write_text("date,company,round,amount,investors\n2019-03-01,终端新增科技,A轮,1000万元,深创投\n", encoding="utf-8")
    load_deals(other, p, dev_workspace)
    import time

    time.sleep(0.25)
    after = client.get("/api/home").get_json()["loaded"]["stats"]["nodes"]["Company"]
    assert after == before + 1
    assert client.get("/api/search?q=终端新增").get_json()["results"][0]["id"] == "company:终端新增科技"


# ------------------------------------------------------------------ kg serve
def kg_cmd(*args, env=None, timeout=60):
    """The installed `kg` entry point (kg.cli.main), in a subprocess."""
    import os
    import subprocess
    import sys

    code = "import sys; from kg.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})})


def test_serve_refuses_public_host_without_token(workspace):
    r = kg_cmd("--workspace", workspace, "serve", "--host", "0.0.0.0", "--port", "0", env={"KG_TOKEN": ""})
    assert r.returncode == 1 and "token" in r.stderr and "Traceback" not in r.stderr


def test_check_bind():
    from kg.errors import KGError
    from web.cli import check_bind, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-long-enough-token")
    with pytest.raises(KGError):
        check_bind("0.0.0.0", None)
    with pytest.raises(KGError):
        check_bind("192.168.1.2", "  ")


def test_serve_help():
    r = kg_cmd("serve", "--help")
    assert r.returncode == 0 and "--host" in r.stdout and "--port" in r.stdout and "--token" in r.stdout


# ------------------------------------------------------------------ graph views
def _big_graph(n):
    nodes = [{"id": f"investor:{i}", "label": "Investor", "name": f"机构{i}"} for i in range(n)]
    edges = [{"source": f"investor:{i}", "target": f"investor:{(i * 7 + 1) % n}", "type": "CO_INVESTED", "weight": 1 + i % 3}
             for i in range(n)]
    return {"nodes": nodes, "edges": edges}


def test_graph_view_small_runs_physics(app):
    from web.graphview import view

    with app.test_request_context():
        v = view(_big_graph(40))
    assert v["layout"] == "physics" and all("x" not in n for n in v["nodes"])
    assert v["initial"] == 150 and v["omitted"] == 0
    assert v["legend"] == [{"key": "Investor", "name": "投资机构", "color": "#2563eb", "shape": "dot"}]
    # sorted by weighted degree, biggest first; sizes follow degree
    vals = [n["value"] for n in v["nodes"]]
    assert vals == sorted(vals, reverse=True)


def test_graph_view_large_has_positions_and_a_cap(app):
    from web.graphview import view

    with app.test_request_context():
        v = view(_big_graph(450))
        again = view(_big_graph(450))
        capped = view(_big_graph(450), max_nodes=200)
    assert v["layout"] == "precomputed" and all(isinstance(n["x"], float) for n in v["nodes"])
    assert [(n["x"], n["y"]) for n in v["nodes"]] == [(n["x"], n["y"]) for n in again["nodes"]]  # cached/stable
    assert len(capped["nodes"]) == 200 and capped["omitted"] == 250
    assert all(e["from"] in {n["id"] for n in capped["nodes"]} for e in capped["edges"])


def test_graph_view_communities_and_hostile_text(app):
    from web.graphview import view

    g = {"nodes": [{"id": "a", "label": "Investor", "name": HOSTILE_IMG, "community": 0},
                   {"id": "b", "label": "Investor", "name": "乙", "community": 1},
                   {"id": "c", "label": "Investor", "name": "丙", "community": 1}],
         "edges": [{"source": "b", "target": "c", "type": "CO_INVESTED", "weight": 2}]}
    with app.test_request_context():
        v = view(g, color_by="community")
    colors = {n["id"]: n["color"] for n in v["nodes"]}
    assert colors["b"] == colors["c"] != colors["a"]
    # the query's numbering is kept (one numbering for legend, sidebar, colours and exports)
    assert v["legend"][0]["name"].startswith("社区 1 (1)") and v["legend"][1]["name"].startswith("社区 2 (2)")
    a = next(n for n in v["nodes"] if n["id"] == "a")
    assert a["title"].startswith(HOSTILE_IMG)  # plain text: the browser shows it with textContent


def test_every_page_has_a_json_twin(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    twins = {"/": "/api/home", "/search": "/api/search", "/entity/<path:eid>": "/api/entity/<path:eid>",
             "/chat": "/api/chat", "/query": "/api/query", "/query/<name>": "/api/query/<name>",
             "/network": "/api/network", "/regions": "/api/regions", "/path": "/api/path", "/report": "/api/report",
             "/import": "/api/import", "/import/news": "/api/import/news"}
    pages = {r for r in rules if not r.startswith(("/api", "/static", "/lang", "/import/rejects"))}
    assert pages == set(twins), pages ^ set(twins)
    assert all(twins[p] in rules for p in pages)
    assert {"/api/ask", "/api/export"} <= rules
