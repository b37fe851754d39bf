"""The import page's news review in a real browser (Debian's Chromium driven by Playwright, the app
under waitress on a free port, a copy of the dev workspace): each field's evidence is highlighted
in the passage with its confidence, in Chinese and in English; loading the reviewed deals puts
them in the graph."""
from __future__ import annotations

import shutil
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser]

from playwright import sync_api as playwright_api  # noqa: E402  (installed with the dev extra: never skipped)

TEXT = ("2019年9月18日，工业互联网平台澜检智能宣布完成3亿元C轮融资，由中金资本领投，老股东红杉资本（中国）、深创投跟投。\n"
        "SHANGHAI, June 2, 2022 -- Hexaloom Robotics today announced a US$45 million Series B led by Qiming Venture "
        "Partners, with participation from Legend Capital.")


@pytest.fixture(scope="module")
def served(_dev_snapshot, tmp_path_factory):
    from waitress import create_server

    from web import create_app

    ws = tmp_path_factory.mktemp("news-review") / "ws"
    shutil.copytree(_dev_snapshot, ws)
    server = create_server(create_app({"workspace": str(ws)}), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("lang, conf_word, field_word", [("zh", "置信度", "企业"), ("en", "Confidence", "Company")])
def test_review_highlights_each_fields_evidence_and_loads(served, browser, lang, conf_word, field_word):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{served}/lang/{lang}")
    page.goto(f"{served}/import")
    page.fill("#news-text", TEXT)
    page.click("#news-review-btn")
    page.wait_for_selector("#news-review")
    deals = page.locator(".news-deal")
    assert deals.count() == 2
    first = deals.nth(0)
    marks = {m.get_attribute("data-field"): m for m in first.locator(".news-passage mark").all()}
    # what is highlighted is exactly the text each field was read from
    assert first.locator('.news-passage mark[data-field="company"]').inner_text() == "澜检智能"
    assert first.locator('.news-passage mark[data-field="amount"]').inner_text() == "3亿元"
    assert first.locator('.news-passage mark[data-field="round"]').inner_text() == "C轮"
    assert first.locator('.news-passage mark[data-field="date"]').inner_text() == "2019年9月18日"
    assert first.locator('.news-passage mark[data-field="lead_investors"]').inner_text() == "中金资本"
    assert [m.inner_text() for m in first.locator('.news-passage mark[data-field="investors"]').all()] == ["红杉资本（中国）", "深创投"]
    assert set(marks) == {"company", "amount", "round", "date", "lead_investors", "investors"}
    title = first.locator('.news-passage mark[data-field="company"]').get_attribute("title")
    assert title.startswith(field_word) and conf_word in title and "0." in title
    # highlighted in colour: the mark's background is not transparent
    bg = first.locator('.news-passage mark[data-field="amount"]').evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent")
    # the table gives each field's span in the original text and its confidence
    row = first.locator('tr[data-field="amount"]')
    assert row.locator(".ev-span").inner_text() == f"[{TEXT.index('3亿元')}, {TEXT.index('3亿元') + 3}]"
    assert float(row.locator(".ev-conf").inner_text()) > 0.5
    assert conf_word in page.locator("table.news-fields thead").first.inner_text()
    second = deals.nth(1)
    en = TEXT.split("\n")[1]
    assert second.locator('.news-passage mark[data-field="company"]').inner_text() == "Hexaloom Robotics"
    assert second.locator('tr[data-field="lead_investors"] td').nth(1).inner_text() == "启明创投"
    span = second.locator('tr[data-field="amount"] .ev-span').inner_text()
    s, e = (int(x) for x in span.strip("[]").split(","))
    assert en[s:e] == "US$45 million"
    if lang == "en":
        page.click("#news-load-btn")
        page.wait_for_selector("#news-loaded")
        assert "2 deal(s) loaded" in page.locator("#news-loaded").inner_text()
        page.goto(f"{served}/api/entity/company:%E6%BE%9C%E6%A3%80%E6%99%BA%E8%83%BD")
        assert "C轮" in page.content()
    assert not errors, errors
    page.close()
