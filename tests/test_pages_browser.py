"""The pages of issue 18 in a real browser (Debian's Chromium via Playwright) on demo data: nothing
clipped at 1366×768 and 1920×1080 in both languages (every table and chart box fits or scrolls
inside itself), a cut says so where it is visible, paging works, the summary comes before the tables.

Never `playwright install`: the browser is /usr/bin/chromium.
"""
# ruff: noqa: F811 - the browser fixture is imported from test_browser and taken as a parameter
from __future__ import annotations

import re
import threading
from urllib.parse import quote

import pytest

from test_browser import CHROMIUM, browser  # noqa: F401 - the same Chromium, launched once per module

pytestmark = [
    pytest.mark.browser,
]

# every element whose content may be wider than its box must scroll inside it (overflow-x auto/scroll)
OVERFLOW_JS = """() => {
  const bad = [];
  const sel = 'table.data, .table-wrap, .chart-box, .card, .stat, .summary, .pager, .cut-note, main, .fig';
  for (const el of document.querySelectorAll(sel)) {
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const st = getComputedStyle(el);
    if (['auto', 'scroll'].includes(st.overflowX)) continue;
    let p = el.parentElement, scrolls = false;
    while (p && !scrolls) { const o = getComputedStyle(p).overflowX; scrolls = ['auto', 'scroll'].includes(o); p = p.parentElement; }
    if (!scrolls) bad.push((el.className || el.tagName) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  const doc = document.scrollingElement;
  if (doc.scrollWidth > window.innerWidth + 1) bad.push('page ' + doc.scrollWidth + '>' + window.innerWidth);
  return bad;
}"""


def _serve(ws, store):
    from waitress import create_server

    from web import create_app

    server = create_server(create_app({"workspace": str(ws)}, store=store), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from demo_workspace import demo_workspace

    server, url = _serve(*demo_workspace(tmp_path_factory, 3000, "pages-browser"))
    yield url
    server.close()


@pytest.fixture(scope="module")
def served_100k(demo_100k):
    """The explorer on 100,000 demo deals (issue 18's scale: an investor with ~1,900 rounds, 50k+
    co-investment links, every list long)."""
    server, url = _serve(*demo_100k)
    yield url
    server.close()


def e(eid: str) -> str:
    return "/entity/" + quote(eid, safe="")


PAGES = ["/", "/report", "/query/portfolio?investor=深创投", e("investor:深创投"), e("province:浙江"),
         e("macro:长三角"), e("segment:平台")]


def walk(browser, base: str, paths: list[str], size, lang: str) -> tuple[dict, dict]:
    """Each page at ``size`` in ``lang``: the boxes whose content overflows without scrolling, and
    the raw keys or codes its text shows (each page must answer 200)."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + f"/lang/{lang}")
    bad, raw = {}, {}
    for path in paths:
        resp = page.goto(base + path, timeout=120_000)
        assert resp is not None and resp.status == 200, path
        page.wait_for_load_state("load")
        found = page.evaluate(OVERFLOW_JS)
        if found:
            bad[path] = found
        hits = sorted({m.group(0) for m in RAW_KEYS.finditer(page.locator("body").inner_text())})
        if hits:
            raw[path] = hits
    ctx.close()
    return bad, raw


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_clipped(browser, served, size, lang):
    assert walk(browser, served, PAGES, size, lang) == ({}, {})


def test_summary_and_charts_come_before_the_tables_and_paging_works(browser, served):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(served + e("investor:深创投"))
    top = {k: page.evaluate(f"() => document.querySelector('{k}').getBoundingClientRect().top")
           for k in ("#summary", "#charts", "#graph", "#sec-portfolio")}
    assert top["#summary"] < top["#charts"] < top["#graph"] < top["#sec-portfolio"]
    assert top["#summary"] < 768  # the summary is on the first screen
    first = page.locator("#sec-portfolio tbody tr").first.inner_text()
    total = int(page.locator("#sec-portfolio table").get_attribute("data-total"))
    assert total > 25 and page.locator("#sec-portfolio tbody tr").count() == 25
    page.locator("#sec-portfolio a[rel=next]").click()
    page.wait_for_load_state("load")
    assert "portfolio_offset=25" in page.url
    assert page.locator("#sec-portfolio tbody tr").first.inner_text() != first
    assert "26–50" in page.locator("#sec-portfolio .pager").inner_text()
    # sorting by a column header, on the server
    page.locator("#sec-portfolio th a.sort").first.click()
    page.wait_for_load_state("load")
    assert "portfolio_sort=" in page.url
    ctx.close()


def test_a_cut_is_visible(browser, served):
    """A query cut (the neighbourhood's own limit) is said in words where the table is."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(served + "/query/neighborhood?entity=深创投&limit=5")
    note = page.locator("#sec-rows .cut-note")
    assert note.count() == 1 and note.is_visible()
    ctx.close()


# at 100k deals: the pages whose lists, mixes, cuts and graphs grow with the data
PAGES_100K = ["/", "/report", "/network", "/regions", e("investor:深创投"), e("company:云动测技术"), e("province:北京"),
              e("macro:长三角"), e("segment:相关服务"), "/query/portfolio?investor=深创投"]
# what must never reach a user: raw keys of the report and the entity pages, untranslated codes
RAW_KEYS = re.compile(r"\b(companies_multi_round|disclosed_share|disclosed_amount_cny|seed_angel|pre_a|a_plus"
                      r"|a_plus_and_earlier|diff_share|strategic_share|reported_2019_companies|key_id|company_id"
                      r"|investor_id|min_shared|amount_cny)\b|\bkind: ?vc\b|\bType: ?[a-z]\b|\bNone\b|\bnan\b|undefined")


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_clipped_and_no_raw_key_at_100k(browser, served_100k, size, lang):
    assert walk(browser, served_100k, PAGES_100K, size, lang) == ({}, {})


@pytest.mark.slow
def test_cuts_are_said_and_lists_page_at_100k(browser, served_100k):
    """At 100k the co-investment network and long lists are cut: the page says so in words, with the
    totals, and the long portfolio pages on the server."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(served_100k + "/lang/en")
    page.goto(served_100k + "/network", timeout=120_000)
    note = page.locator(".net-cut")
    assert note.count() >= 1 and note.first.is_visible()
    assert re.search(r"of [\d,]{5,}", note.first.inner_text())  # "showing … of 52,535 …"
    page.goto(served_100k + e("investor:深创投"), timeout=120_000)
    total = int(page.locator("#sec-portfolio table").get_attribute("data-total"))
    assert total > 1000 and page.locator("#sec-portfolio tbody tr").count() == 25
    page.locator("#sec-portfolio a[rel=next]").click()
    page.wait_for_load_state("load")
    assert "portfolio_offset=25" in page.url and "26–50" in page.locator("#sec-portfolio .pager").inner_text()
    ctx.close()
