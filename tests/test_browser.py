"""The web explorer in a real browser: Debian's Chromium driven by Playwright, against the app
served by waitress on a free 127.0.0.1 port (seed + dev deals + two hostile company names).

Never `playwright install`: the browser is /usr/bin/chromium (apt package `chromium`).
"""
from __future__ import annotations

import io
import os
import shutil
import threading
import zipfile
from pathlib import Path
from urllib.parse import quote

import networkx as nx
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("IIKG_SHOTS", "/tmp/iikg-shots"))
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "</script><script>alert(1)</script>"

pytestmark = [
    pytest.mark.browser,
]
from playwright import sync_api as playwright_api  # installed by .ci/run (the dev extra): never skipped


@pytest.fixture(scope="module")
def served(_dev_snapshot, tmp_path_factory):
    """(base URL, workspace): the app under waitress in a thread, on a copy of the dev workspace."""
    from waitress import create_server

    from kg.loading import load_deals
    from kg.store.embedded import EmbeddedStore
    from web import create_app

    ws = tmp_path_factory.mktemp("browser") / "ws"
    shutil.copytree(_dev_snapshot, ws)
    csv = ws.parent / "hostile.csv"
    csv.write_text(
        "date,company,round,amount,investors,lead_investors,segment,province,city\n"
        f"2019-05-01,{HOSTILE_IMG},A轮,5000万元,深创投,深创投,平台,浙江,杭州\n"
        f"2019-06-02,\"{HOSTILE_SCRIPT}\",天使轮,1000万元,深创投、红杉资本（中国）,深创投,安全,北京,北京\n",
        encoding="utf-8")
    assert load_deals(EmbeddedStore(ws), csv, ws).loaded == 2
    app = create_app({"workspace": str(ws)})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.effective_port}", ws
    server.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Every request, console error and dialog of a page."""

    def __init__(self, page):
        self.requests, self.errors, self.dialogs = [], [], []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)

    def external(self, base):
        return [u for u in self.requests if not (u.startswith(base + "/") or u.startswith(("data:", "blob:")))]


@pytest.fixture
def page(browser, served):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True)
    pg = ctx.new_page()
    pg.watch = Watch(pg)
    yield pg
    ctx.close()


def eurl(eid: str) -> str:
    return "/entity/" + quote(eid, safe="")


def wait_graphs(page, timeout=20000):
    page.wait_for_function(
        "() => { const g = [...document.querySelectorAll('.graph[data-graph]')];"
        " return g.length > 0 && g.every(x => x.dataset.stable === '1'); }", timeout=timeout)


def node_ids(page, gid):
    return page.evaluate(f"() => window.kgGraphs[{gid!r}].nodes.getIds()")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# ------------------------------------------------------------------ tests
def test_home_loads_with_no_external_request(page, served):
    base, _ = served
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    assert page.title().startswith("工业互联网投资图谱")
    assert page.watch.requests and page.watch.external(base) == []
    assert all(u.startswith("http://127.0.0.1:") for u in page.watch.requests if not u.startswith("data:"))
    assert page.watch.errors == [], page.watch.errors  # no CSP violation, no script error
    # Chinese renders with a CJK font (not tofu): the heading is wider than a row of boxes would be
    assert page.locator(".stat").count() >= 5
    shot(page, "home")


def test_search_suggestions_as_you_type(page, served):
    base, _ = served
    page.goto(base + "/")
    page.fill("#home-search", "深创")
    page.wait_for_selector(".hero ul.suggestions li a")
    first = page.locator(".hero ul.suggestions li a").first
    assert "深创投" in first.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/entity/**")
    assert page.locator("h1").inner_text() == "深创投"


def test_chat_answer_with_graph(page, served):
    base, _ = served
    page.goto(base + "/")
    page.fill("#home-ask", "深创投投资了哪些公司？")
    page.press("#home-ask", "Enter")
    page.wait_for_selector(".answer-card")
    wait_graphs(page)
    text = page.locator(".answer-card .answer-text").first.inner_text()
    assert "深创投" in text
    ids = node_ids(page, "g0")
    assert "investor:深创投" in ids and "company:宇控数据" in ids and len(ids) > 10
    # a follow-up in the same conversation
    page.fill("form.chat-form input[name=q]", "只看2019年的")
    page.press("form.chat-form input[name=q]", "Enter")
    page.wait_for_selector("#a1")
    assert page.locator(".answer-card").count() == 2
    assert page.locator("#a1").get_attribute("data-intent") == "portfolio"
    assert page.watch.external(base) == [] and page.watch.errors == []
    shot(page, "chat")


def test_double_click_expands_a_node(page, served):
    base, _ = served
    page.goto(base + "/network?year=2019&min_shared=2")
    wait_graphs(page)
    before = node_ids(page, "net")
    assert "investor:深创投" in before
    pos = page.evaluate("""() => { const g = window.kgGraphs.net; const id = 'investor:深创投';
        const p = g.network.getPositions([id])[id]; const d = g.network.canvasToDOM(p);
        const r = document.getElementById('net').getBoundingClientRect(); return {x: r.left + d.x, y: r.top + d.y}; }""")
    page.mouse.dblclick(pos["x"], pos["y"])
    page.wait_for_function("() => document.getElementById('net').dataset.expanded === '1'", timeout=15000)
    after = node_ids(page, "net")
    assert len(after) > len(before)
    assert any(i.startswith("round:") for i in after)  # 深创投's rounds joined the view
    # tooltips are text elements, not HTML strings
    assert page.evaluate("() => window.kgGraphs.net.nodes.get('investor:深创投').title instanceof HTMLElement")


def test_filter_in_url_changes_network(page, served):
    base, _ = served
    page.goto(base + "/network")
    wait_graphs(page)
    all_ids = set(node_ids(page, "net"))
    page.goto(base + "/network?year=2019&min_shared=2")
    wait_graphs(page)
    some = set(node_ids(page, "net"))
    api = page.request.get(base + "/api/network?year=2019&min_shared=2").json()
    assert some == {n["id"] for n in api["graph"]["nodes"]}
    assert some < all_ids
    assert page.locator("select[name=year]").input_value() == "2019"
    # the facet form writes the URL
    page.select_option("select[name=segment]", "平台")
    page.click("form.facets button[type=submit]")
    page.wait_for_url("**segment=**")
    wait_graphs(page)
    seg = set(node_ids(page, "net"))
    assert seg != some
    shot(page, "network")


def _download(page, locator):
    with page.expect_download() as info:
        locator.click()
    d = info.value
    path = d.path()
    return d.suggested_filename, Path(path).read_bytes()


def test_exports_download_and_read_back(page, served):
    base, _ = served
    page.goto(base + "/query/portfolio?investor=深创投")
    wait_graphs(page)
    name, data = _download(page, page.locator(".exports a", has_text="GRAPHML").first)
    assert name.endswith(".graphml")
    g = nx.read_graphml(io.BytesIO(data))
    assert "investor:深创投" in g
    name, data = _download(page, page.locator(".exports a", has_text="GEXF").first)
    assert nx.read_gexf(io.BytesIO(data)).number_of_nodes() == g.number_of_nodes()
    name, data = _download(page, page.locator(".exports a", has_text="CSV").first)
    z = zipfile.ZipFile(io.BytesIO(data))
    assert len([n for n in z.namelist() if n.endswith(".csv")]) >= 2
    name, data = _download(page, page.locator(".exports a", has_text="XLSX").first)
    import openpyxl

    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames
    # the current view as PNG (the canvas) and SVG (the server's drawing of the same nodes)
    name, data = _download(page, page.locator("[data-graph-png=qgraph]"))
    assert name.endswith(".png") and data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    assert img.size[0] > 300 and img.size[1] > 200 and img.convert("L").getextrema()[0] < img.convert("L").getextrema()[1]
    name, data = _download(page, page.locator("[data-graph-svg=qgraph]"))
    assert name.endswith(".svg") and b"<svg" in data
    assert page.watch.errors == []
    shot(page, "query")


def test_hostile_names_are_text_and_never_run(page, served):
    base, ws = served
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore(ws)
    ids = {store.graph.nodes[n]["name"]: n for n in store.nodes_by_label("Company")
           if store.graph.nodes[n].get("name") in (HOSTILE_IMG, HOSTILE_SCRIPT)}
    assert len(ids) == 2
    for name, eid in ids.items():
        page.goto(base + eurl(eid))
        wait_graphs(page)
        assert page.locator("h1").inner_text() == name  # shown as text
        tip = page.evaluate(f"() => window.kgGraphs.ego.nodes.get({eid!r}).title.textContent")
        assert name in tip
    page.goto(base + eurl("investor:深创投"))
    wait_graphs(page)
    assert page.get_by_role("link", name=HOSTILE_IMG).count() >= 1
    page.goto(base + "/network")
    wait_graphs(page)
    page.goto(base + "/")
    page.fill("#home-search", "alert")
    page.wait_for_selector(".hero ul.suggestions li a")
    assert any(HOSTILE_IMG in t or HOSTILE_SCRIPT in t for t in page.locator(".hero ul.suggestions li").all_inner_texts())
    page.goto(base + "/chat?q=" + quote(HOSTILE_IMG + "的融资历史"))
    page.wait_for_selector(".answer-card")
    page.goto(base + "/query/companies?region=浙江")
    wait_graphs(page)
    assert page.locator("img[src=x]").count() == 0
    assert page.watch.dialogs == [], page.watch.dialogs
    shot(page, "entity-hostile")


def test_language_switch(page, served):
    base, _ = served
    page.goto(base + "/regions")
    assert page.locator("nav.mainnav a.active").inner_text() == "区域"
    page.click("a.lang")
    page.wait_for_load_state()
    assert page.locator("nav.mainnav a.active").inner_text() == "Regions"
    assert "/regions" in page.url
    page.goto(base + "/")
    assert "Co-investment" in page.locator("nav.mainnav").inner_text()


def test_import_through_the_browser(page, served, tmp_path):
    base, _ = served
    f = tmp_path / "浏览器导入.csv"
    f.write_text("date,company,round,amount,investors\n2019-04-01,浏览器导入科技,A轮,2000万元,深创投\n"
                 "not-a-date,坏行科技,A轮,1000万元,深创投\n", encoding="utf-8")
    page.goto(base + "/import")
    page.set_input_files("input[type=file]", str(f))
    page.click("form button[type=submit]")
    page.wait_for_selector("#import-result")
    assert page.locator("#n-loaded").inner_text() == "1" and page.locator("#n-rejected").inner_text() == "1"
    name, data = _download(page, page.locator("a", has_text="CSV").last)
    assert b"line" in data and b"reason" in data
    shot(page, "import")


def test_screenshots_of_every_page(page, served):
    """Not an assertion of looks: it leaves a screenshot of each page in /tmp/iikg-shots to inspect."""
    base, _ = served
    pages = {"home": "/", "entity-investor": eurl("investor:深创投"), "entity-company": eurl("company:数澜科技"),
             "entity-region": eurl("macro:长三角"), "entity-segment": eurl("segment:平台"),
             "regions": "/regions?region=长三角", "path": "/path?a=深创投&b=数澜科技", "report": "/report",
             "query-index": "/query", "network-2019": "/network?year=2019", "search": "/search?q=资本"}
    for name, path in pages.items():
        page.goto(base + path)
        if page.locator(".graph[data-graph]").count():
            wait_graphs(page)
        shot(page, name)
    page.goto(base + "/lang/en?next=/")
    shot(page, "home-en")
    page.goto(base + eurl("investor:深创投"))
    wait_graphs(page)
    shot(page, "entity-investor-en")
    assert page.watch.external(base) == [] and page.watch.errors == [] and page.watch.dialogs == []


def test_kg_serve_runs_under_waitress(workspace):
    """The real command: prints its URL, serves on 127.0.0.1, stops cleanly."""
    import subprocess
    import sys
    import time
    import urllib.request

    code = "import sys; from kg.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-u", "-c", code, "--workspace", str(workspace), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
        url = line.split("at ", 1)[1].split()[0]
        deadline = time.time() + 10
        while True:
            try:
                with urllib.request.urlopen(url + "api/home", timeout=5) as r:
                    assert r.status == 200 and r.headers["Server"] == "iikg"
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)


def test_large_view_precomputed_with_n_more(page, served):
    base, _ = served
    page.goto(base + "/query/neighborhood?entity=country:中国&hops=3&limit=1000")
    wait_graphs(page)
    payload = page.evaluate("() => window.kgGraphs.qgraph.payload")
    assert payload["layout"] == "precomputed" and len(payload["nodes"]) > 300
    assert len(node_ids(page, "qgraph")) == payload["initial"] == 150
    more = page.locator("#qgraph-wrap .graph-more button")
    assert str(len(payload["nodes"]) - 150) in more.inner_text()
    more.click()
    assert len(node_ids(page, "qgraph")) == 300
    # physics stays off for precomputed views
    assert page.evaluate("() => window.kgGraphs.qgraph.network.physics.options.enabled") is False
