"""web/static/charts.js in a real browser (Debian's Chromium via Playwright) under the app's own CSP:
every chart kind draws from its ``data-spec``, ECharts is served by the app (no other origin),
hostile names stay text (no HTML from names, not even in tooltips), synthetic specs are captioned.

Never `playwright install`: the browser is /usr/bin/chromium.
"""
# ruff: noqa: F811 - the browser fixture is imported from test_browser and taken as a parameter
from __future__ import annotations

import json
import threading

import pytest
from markupsafe import escape

from test_browser import CHROMIUM, browser  # noqa: F401 - the same Chromium, launched once per module

pytestmark = [
    pytest.mark.browser,
]

HOSTILE = "<img src=x onerror=window.__pwned=1>"
KINDS = ["bar", "hbar", "line", "stacked", "pie"]


def _spec(kind: str, synthetic: bool) -> dict:
    from web.chart_specs import spec

    cats = ["深创投", HOSTILE, "红杉资本（中国）"]
    series = [{"name": "rounds " + HOSTILE, "data": [14, 3, 12]}]
    if kind == "stacked":
        series.append({"name": "leads", "data": [7, 1, 10]})
    return spec(kind, "title " + HOSTILE, cats, series, unit="rounds", synthetic=synthetic)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from waitress import create_server

    from web import create_app

    ws = tmp_path_factory.mktemp("charts-ws")
    app = create_app({"workspace": str(ws)})

    def page(lang: str):
        divs = "".join(
            f"<div class=\"iikg-chart\" id=\"c-{k}\" data-spec='{escape(json.dumps(_spec(k, k != 'bar')))}'></div>"
            for k in KINDS)
        return (f"<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
                f"<link rel=\"icon\" href=\"/static/favicon.svg\"></head><body>{divs}"
                "<script src=\"/static/charts.js\"></script></body></html>")

    app.add_url_rule("/_t/charts/<lang>", "t_charts", page)
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.mark.parametrize("lang,caption", [("zh-CN", "合成数据"), ("en", "synthetic data")])
def test_every_kind_draws_offline_and_safely(browser, served, lang, caption):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors, requests, dialogs = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{served}/_t/charts/{lang}")
    page.wait_for_selector("html[data-charts=ready]", timeout=15000)
    state = page.evaluate("""() => Array.from(document.querySelectorAll('.iikg-chart')).map(e => ({
        id: e.id, drawn: e.getAttribute('data-drawn'), h: e.clientHeight, w: e.clientWidth,
        canvas: e.querySelectorAll('canvas').length, synthetic: e.getAttribute('data-synthetic'),
        label: e.getAttribute('aria-label')}))""")
    assert [s["id"] for s in state] == [f"c-{k}" for k in KINDS]
    for s in state:
        assert s["drawn"] == "1" and s["canvas"] >= 1 and s["h"] >= 150 and s["w"] > 300, s
        assert (s["synthetic"] == "1") == (s["id"] != "c-bar"), s
        assert (caption in s["label"]) == (s["id"] != "c-bar"), s
    # the caption is drawn on the chart itself (ECharts' graphic text): read it from the chart's option
    captions = page.evaluate("""() => window.IIKGCharts.charts.map(c => (c.getOption().graphic || [])
        .flatMap(g => (g.elements || [g])).map(x => x.style && x.style.text).filter(Boolean))""")
    assert captions == [[]] + [[caption]] * 4, captions
    # hover every chart: tooltips are drawn on the canvas, never as HTML built from names
    for k in KINDS:
        box = page.locator(f"#c-{k}").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(150)
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    assert page.evaluate("() => window.__pwned") is None
    assert not dialogs and not errors, (dialogs, errors)
    assert all(u.startswith(served) for u in requests), requests
    assert any(u.endswith("/static/vendor/echarts/echarts.min.js") for u in requests)
    page.close()
