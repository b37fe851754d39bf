"""Every link on the home page and every page link in README shows something on the data `kg up`
loads (the report's seed and the demo): no empty network, no page that only says "no results"."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_PREFIXES = ("/network", "/regions", "/path", "/report", "/query", "/entity", "/search", "/chat")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from demo_workspace import demo_client, demo_workspace

    return demo_client(*demo_workspace(tmp_path_factory, 752, "links"))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith(("/static", "/lang", "/api")):
            self.hrefs.append(href)


def _shows_something(client, url: str) -> tuple[bool, str]:
    if url.startswith("/network"):
        q = url.split("?", 1)[1] if "?" in url else ""
        d = client.get("/api/network" + ("?" + q if q else "")).get_json()
        return bool(d["rows"]), f"{d['value']} links"
    r = client.get(url, follow_redirects=True)
    html = re.sub(r"<script.*?</script>", " ", r.get_data(as_text=True), flags=re.S)   # payloads hold every string
    if r.status_code != 200:
        return False, str(r.status_code)
    empty = any(s in html for s in ('<p class="muted">没有结果。</p>', '<p class="muted">No results.</p>',
                                    "没有可显示的关系。", "Nothing to draw."))
    return not empty, "empty" if empty else "ok"


def readme_links() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return sorted({u for u in re.findall(r"`(/[a-z][^`\s…]*)`", text) if u.startswith(PAGE_PREFIXES)})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_home_page_link_shows_something(client, lang):
    client.get(f"/lang/{lang}")
    p = _Links()
    p.feed(client.get("/").get_data(as_text=True))
    links = sorted(set(p.hrefs))
    assert len(links) >= 8
    bad = [(u, why) for u in links for ok, why in [_shows_something(client, u)] if not ok]
    assert bad == []


@pytest.mark.parametrize("url", readme_links())
def test_every_readme_page_link_shows_something(client, url):
    ok, why = _shows_something(client, url)
    assert ok, (url, why)


def test_readme_names_page_links():
    assert len(readme_links()) >= 1
