"""One complete language per UI: every page rendered in Chinese and in English, read as text, has no
untranslated UI key, no raw identifier (weighted_degree, pagerank, a_plus…), and names the ontology's
vocabulary (segments, regions, round labels) in the page's language: no 平台 or 长三角 as a label on an
English page, no "Platform" or "Yangtze River Delta" on a Chinese one. Names from data (companies,
synthetic investors) are data and stay as written."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
RAW = {"pagerank", "weighted_degree", "shared_rounds", "min_shared", "coinvest_network", "a_plus", "pre_a",
       "seed_angel", "undefined", "None", "nan", "NaN"}


class _Text(HTMLParser):
    """Visible text nodes (not scripts, styles, code, chart specs or titles), one string each."""

    SKIP = {"script", "style", "code", "pre", "title", "textarea"}

    def __init__(self):
        super().__init__()
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for k, v in attrs:  # what a user reads in attributes: placeholders, labels, titles
            if k in ("placeholder", "aria-label", "title") and v and not self._skip:
                self.out.append(v.strip())

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.out.append(data.strip())


def texts(html: str) -> list[str]:
    p = _Text()
    p.feed(html)
    return p.out


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from demo_workspace import demo_client, demo_workspace

    return demo_client(*demo_workspace(tmp_path_factory, 500, "languages"))


@pytest.fixture(scope="module")
def vocabulary():
    from ontology import load

    o = load()
    zh, en = set(), set()
    for s in o.segments:
        zh.add(s.name)
        en.add(s.name_en)
    for r in o.regions:
        if r.level in ("macro", "province") and r.name_en and r.name != r.name_en:
            zh.add(r.name)
            en.add(r.name_en)
    for r in o.rounds:
        if r.label_en and r.label != r.label_en and re.search(r"[\u4e00-\u9fff]", r.label):
            zh.add(r.label)
            en.add(r.label_en)
    return zh - en, en - zh


def e(eid: str) -> str:
    return "/entity/" + quote(eid, safe="")


# the pages of the network and regions areas, the path finder and the error page, with their facets
PAGES = ["/network", "/network?segment=平台&min_shared=2", "/network?year=2019&region=长三角",
         "/network?min_shared=40", "/regions", "/regions?region=长三角&year=2019", "/regions?segment=平台",
         "/path", "/path?a=深创投&b=红杉资本（中国）", "/entity/nothing:here"]


def _read(client, lang, path):
    client.get(f"/lang/{lang}")
    r = client.get(path, follow_redirects=True)
    assert r.status_code in (200, 404), (path, r.status_code)
    return texts(r.get_data(as_text=True))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_one_language_per_page(client, vocabulary, lang, path):
    zh_words, en_words = vocabulary
    found = _read(client, lang, path)
    keys = sorted({k for t in found for k in KEY.findall(t)} | {t for t in found if t in RAW})
    assert keys == [], (path, keys)
    other = zh_words if lang == "en" else en_words
    # a text node that is exactly another language's segment, region or round label
    wrong = sorted({t for t in found for part in re.split(r"[、,;·:：（）()]\s*", t) if part.strip() in other
                    for t in [part.strip()]})
    assert wrong == [], (path, lang, wrong)


def test_english_network_names_known_investors_in_english(client):
    found = _read(client, "en", "/network")
    assert "Community 1" in " ".join(found)
    assert not any(t in ("社区", "机构") for t in found)
