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
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium")
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
