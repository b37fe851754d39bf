"""The standalone HTML export in a real browser (Debian's Chromium) with no network: it draws, runs no injected code."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from kg.exports import export
from tests.test_export import IMG, dev_subgraph, hostile_graph

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api  # installed by .ci/run, as Chromium is: a missing one fails, never skips

    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium"
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path):
    """Open ``path`` with every non-file request blocked and recorded; wait until the graph is ready."""
    ctx = browser.new_context()
    page = ctx.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    deadline = time.monotonic() + 30
    # polled with evaluate: the page's CSP forbids the eval that wait_for_function uses
    while not page.evaluate("() => window.iikgReady === true"):
        assert time.monotonic() < deadline, f"graph never ready; errors: {errors}"
        time.sleep(0.05)
    return ctx, page, requests, errors


def test_html_draws_offline_and_runs_no_injected_code(browser, tmp_path):
    g = hostile_graph()
    g["nodes"].append({"id": "company:xss", "label": "Company",
                       "name": '<img src=x onerror="window.__xss=1">"><script>window.__xss=2</script>'})
    f = tmp_path / "g.html"
    f.write_bytes(export(g, "html", title='<img src=x onerror="window.__xss=3">').data)
    ctx, page, requests, errors = _open(browser, f)
    try:
        assert errors == []
        assert [u for u in requests if not u.startswith("file:")] == []
        assert page.evaluate("() => window.__xss") is None
        assert page.evaluate("() => window.iikgNetwork.body.data.nodes.length") == 8
        assert page.evaluate("() => document.querySelectorAll('img, #graph script').length") == 0
        assert page.locator("h1").inner_text() == '<img src=x onerror="window.__xss=3">'
        # hover titles are text nodes, not parsed HTML
        tip = page.evaluate("""() => { const n = window.iikgNetwork.body.data.nodes.get('company:img');
                                       return [n.title.textContent, n.title.children.length]; }""")
        assert tip[0].startswith(IMG) and tip[1] == 0
        assert page.locator("#synthetic-banner").is_visible()
        # physics stopped after stabilising: positions no longer change
        p1 = page.evaluate("() => window.iikgNetwork.getPositions()")
        time.sleep(0.3)
        assert page.evaluate("() => window.iikgNetwork.getPositions()") == p1
    finally:
        ctx.close()


def test_html_of_the_dev_subgraph_draws(browser, tmp_path, dev_store_ro):
    f = tmp_path / "dev.html"
    g = dev_subgraph(dev_store_ro)
    f.write_bytes(export(g, "html").data)
    ctx, page, requests, errors = _open(browser, f)
    try:
        assert errors == [] and all(u.startswith("file:") for u in requests)
        assert page.evaluate("() => window.iikgNetwork.body.data.nodes.length") == len(g["nodes"])
        assert page.evaluate("() => document.querySelector('#graph canvas') !== null")
    finally:
        ctx.close()


def _coinvest_graph():
    return {"nodes": [{"id": "investor:a", "label": "Investor", "name": "甲资本", "community": 0},
                      {"id": "investor:b", "label": "Investor", "name": "乙创投", "community": 0},
                      {"id": "investor:c", "label": "Investor", "name": "丙基金", "community": 1},
                      {"id": "round:x|a|2019-01", "label": "Round", "name": "A轮"}],
            "edges": [{"source": "investor:a", "target": "investor:b", "type": "CO_INVESTED", "weight": 4},
                      {"source": "investor:b", "target": "investor:c", "type": "CO_INVESTED", "weight": 1},
                      {"source": "investor:a", "target": "round:x|a|2019-01", "type": "INVESTED_IN"}]}


def test_html_is_built_with_pyvis_and_draws_co_investment_without_arrows(browser, tmp_path):
    from pyvis.network import Network

    from kg.exports.html import network

    assert isinstance(network([], [], {}, {}), Network)   # the export goes through pyvis
    f = tmp_path / "co.html"
    f.write_bytes(export(_coinvest_graph(), "html").data)
    ctx, page, requests, errors = _open(browser, f)
    try:
        assert errors == [] and all(u.startswith("file:") for u in requests)
        edges = page.evaluate("""() => { const b = window.iikgNetwork.body.edges;
            return Object.values(b).map(e => [e.fromId, e.toId, e.options.arrows.to.enabled, e.options.width]); }""")
        arrows = {(a, b): on for a, b, on, _ in edges}
        assert arrows[("investor:a", "investor:b")] is False and arrows[("investor:b", "investor:c")] is False
        assert arrows[("investor:a", "round:x|a|2019-01")] is True
        width = {(a, b): w for a, b, _, w in edges}
        assert width[("investor:a", "investor:b")] > width[("investor:b", "investor:c")]   # width = shared rounds
    finally:
        ctx.close()


def test_notebook_view_is_the_offline_page_in_an_iframe(browser):
    from kg.exports.html import repr_html

    html = repr_html(hostile_graph(), title="<b>t</b>")
    assert html.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts' in html
    assert "<script" not in html and "<b>t</b>" not in html   # the whole page is one escaped attribute
    ctx = browser.new_context()
    page = ctx.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.set_content(f"<!doctype html><html><body>{html}</body></html>")
        frame = page.frames[1]
        deadline = time.monotonic() + 30
        while not frame.evaluate("() => window.iikgReady === true"):
            assert time.monotonic() < deadline, errors
            time.sleep(0.05)
        assert frame.evaluate("() => window.iikgNetwork.body.data.nodes.length") == len(hostile_graph()["nodes"])
        assert frame.locator("h1").inner_text() == "<b>t</b>"
        assert [u for u in requests if u.startswith("http")] == [] and errors == []
    finally:
        ctx.close()
