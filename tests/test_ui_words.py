"""No raw key or internal code reaches a user: every page in both languages, read as text (scripts,
code blocks, chart specs and ids aside), has no snake_case identifier (companies_multi_round,
seed_angel, reported_2019_companies…) and no coded property value (kind: vc, Type: b)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
HIDDEN = re.compile(r"<script.*?</script>|<code>.*?</code>|<pre.*?</pre>|data-spec='[^']*'|<title>.*?</title>"
                    r"|<span class=\"help\">.*?</span>|<td class=\"file\"[^>]*>.*?</td>", re.S)  # file names are data


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from demo_workspace import demo_client, demo_workspace

    return demo_client(*demo_workspace(tmp_path_factory, 500, "words"))


def e(eid: str) -> str:
    return "/entity/" + quote(eid, safe="")


PAGES = ["/", "/report", "/query", "/search?q=红杉", "/import", "/chat?q=深创投投资了哪些公司", "/query/portfolio?investor=深创投", "/query/top_investors", "/query/policies",
         e("investor:深创投"), e("investor:红杉资本(中国)"), e("province:浙江"), e("segment:平台"), e("macro:长三角"),
         e("city:杭州")]


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", HIDDEN.sub(" ", html))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_no_internal_key_on_a_page(client, lang, path):
    client.get(f"/lang/{lang}")
    r = client.get(path, follow_redirects=True)  # asking in the chat redirects to the conversation
    assert r.status_code == 200
    keys = sorted(set(KEY.findall(visible_text(r.get_data(as_text=True)))))
    assert keys == [], (path, keys)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coded_values_are_words(client, lang):
    client.get(f"/lang/{lang}")
    text = visible_text(client.get(e("investor:深创投")).get_data(as_text=True))
    assert not re.search(r"\bvc\b", text), re.findall(r".{40}\bvc\b.{20}", text)
    cid = client.get("/api/query/portfolio", query_string={"investor": "深创投"}).get_json()["rows"][0]["company_id"]
    text = visible_text(client.get(e(cid)).get_data(as_text=True))
    assert not re.search(r"Type:?\s+[a-z_]+\b", text)


def test_home_draws_its_rankings(client):
    html = client.get("/").get_data(as_text=True)
    assert html.count('class="iikg-chart"') + html.count("<svg class=\"chart") >= 2
