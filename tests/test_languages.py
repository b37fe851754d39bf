"""One complete language per UI: every page rendered in Chinese and in English, read as text, has no
untranslated UI key, no raw identifier (weighted_degree, pagerank, a_plus…), and names the ontology's
vocabulary (segments, regions, round labels) in the page's language: no 平台 or 长三角 as a label on an
English page, no "Platform" or "Yangtze River Delta" on a Chinese one. Names from data (companies,
synthetic investors) are data and stay as written."""
from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\b[A-Z]+(?:_[A-Z]+)+\b")  # weighted_degree, INVESTED_IN
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
    return p.out + drawn(html)


def drawn(html: str) -> list[str]:
    """What charts and graphs draw on their canvas: a chart spec's title, categories, series names and
    unit (``data-spec``), a graph payload's node and edge labels and tooltips, its legend and messages."""
    import html as html_lib
    import json

    out: list[str] = []
    for raw in re.findall(r"data-spec='([^']*)'", html):
        spec = json.loads(html_lib.unescape(raw))
        out += [spec.get("title") or "", spec.get("unit") or "", *spec.get("categories", []),
                *(s.get("name") or "" for s in spec.get("series", []))]
    from web.graphview import unwire

    for raw in re.findall(r'<script type="application/json" id="[^"]*">(.*?)</script>', html, re.S):
        view = json.loads(raw)
        view = unwire(view) if isinstance(view, dict) else view
        if not isinstance(view, dict) or "nodes" not in view:
            continue
        for n in view.get("nodes") or []:
            out += [str(n.get("label") or ""), *str(n.get("title") or "").split("\n")]
        for edge in view.get("edges") or []:
            out += [str(edge.get("label") or ""), *str(edge.get("title") or "").split("\n")]
        out += [str(x.get("name") or "") for x in view.get("legend") or []]
        out += [str(v).replace("{n}", "1") for v in (view.get("strings") or {}).values()]
    return [x.strip() for x in out if x and x.strip()]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from demo_workspace import demo_client, demo_workspace

    return demo_client(*demo_workspace(tmp_path_factory, 500, "languages"))


@pytest.fixture(scope="module")
def vocabulary():
    return ontology_words()


@functools.lru_cache(maxsize=1)
def ontology_words():
    """(Chinese-only labels, English-only labels, (English, Chinese) name pairs) of the ontology's
    segments, regions and round labels."""
    from ontology import load

    o = load()
    zh, en = set(), set()
    for s in o.segments:
        zh.add(s.name)
        en.add(s.name_en)
    for r in o.regions:
        if r.level in ("macro", "province", "city") and r.name_en and r.name != r.name_en:
            zh.add(r.name)
            en.add(r.name_en)
    for r in o.rounds:
        if r.label_en and r.label != r.label_en and re.search(r"[\u4e00-\u9fff]", r.label):
            zh.add(r.label)
            en.add(r.label_en)
    glosses = {(x.name_en, x.name) for x in (*o.segments, *o.regions) if x.name_en}
    # the UI's own words: a page in one language never shows the other's (a header, a choice, a title)
    from web import query
    from web.i18n import COLUMNS, STRINGS

    pairs = [*(v for k, v in STRINGS.items() if k != "switch_lang"), *COLUMNS.values(),  # the switch names the other *query.PARAMS.values(), *query.CHOICES.values(),
             *((x[0], x[1]) for x in query.TITLES.values())]
    ui_zh = {a for a, b in pairs if a != b and "{" not in a}
    ui_en = {b for a, b in pairs if a != b and "{" not in b and len(b) > 2 and not b.isupper()}  # SVG, PNG: formats
    return zh - en, en - zh, glosses, ui_zh - ui_en, ui_en - ui_zh


def e(eid: str) -> str:
    return "/entity/" + quote(eid, safe="")


# the pages of the network and regions areas, the path finder and the error page, with their facets
PAGES = ["/network", "/network?segment=平台&min_shared=2", "/network?year=2019&region=长三角",
         "/network?min_shared=40", "/regions", "/regions?region=长三角&year=2019", "/regions?segment=平台",
         "/path", "/path?a=深创投&b=红杉资本（中国）", "/entity/nothing:here", "/path?a=province:浙江&b=segment:平台",
         "/network?focus=investor:深创投", "/regions?region=浙江&segment=平台", "/query/neighborhood?entity=province:浙江",
         "/search?q=平台", "/search?q=长三角",
         "/", "/search?q=红杉", "/search?q=Shanghai", "/report", "/import", "/query", "/chat",
         e("investor:深创投"), e("investor:红杉资本(中国)"), e("province:浙江"), e("city:杭州"), e("macro:长三角"),
         e("segment:平台"), e("segment:安全"),
         # errors a user can cause: a query or an entity that is not there, a bad or unknown value
         "/query/nope", "/query/portfolio?investor=不存在的机构&_run=1", "/query/deals?group_by=foo&_run=1",
         "/query/largest_rounds?k=abc&_run=1", "/query/portfolio?_run=1", "/query/deals?year=20x9&_run=1",
         "/query/deals?round=Z轮&_run=1", "/query/deals?lead_only=true&_run=1"]

# a sample value for each parameter a named query needs (and a few facets worth seeing)
SAMPLE = {"investor": "深创投", "a": "深创投", "b": "红杉资本（中国）", "company": None, "entity": "深创投",
          "region": "浙江", "text": "红杉"}
QUERY_EXTRA = {"deals": [{"group_by": "round"}, {"group_by": "segment"}, {"group_by": "province"}, {"group_by": "macro"}, {"group_by": "type"}],
               "region_summary": [{"level": "macro"}, {"level": "city"}], "segment_stage": [{}],
               "region_clusters": [{"region": "长三角"}], "top_investors": [{"segment": "平台"}]}

# chat questions per language: a ranking, a portfolio, an average, a region breakdown, a segment list
QUESTIONS = {"zh": ["哪些机构投资最多", "深创投投资了哪些公司", "2019年平均每轮融资金额是多少", "各省份的融资事件数",
                    "平台领域有哪些公司"],
             "en": ["Which investors made the most deals?", "Which companies did Shenzhen Capital invest in?",
                    "What was the average round size in 2019?", "How many deals per province?",
                    "Which companies are in the platform segment?"]}


def _read(client, lang, path):
    """The page's text nodes, what the user typed (the URL's values) taken out: it is theirs."""
    from urllib.parse import parse_qsl, urlsplit

    client.get(f"/lang/{lang}")
    r = client.get(path, follow_redirects=True)
    assert r.status_code in (200, 404), (path, r.status_code)
    typed = sorted({v for _, v in parse_qsl(urlsplit(path).query) if len(v) > 1}, key=len, reverse=True)
    out = []
    for t in texts(r.get_data(as_text=True)):
        for v in typed:
            t = t.replace(v, " ")
        if t.strip():
            out.append(t.strip())
    return out


_SPLIT = re.compile(r"[、,，;；·:：（）()/|→—\s]+")


def leaks(found: list[str], lang: str, vocabulary) -> tuple[list[str], list[str]]:
    """(raw keys and identifiers, the other language's ontology labels) in a page's text nodes."""
    zh_words, en_words, glosses, ui_zh, ui_en = vocabulary
    keys = sorted({k for t in found for k in KEY.findall(t)} | {t for t in found if t in RAW}
                  | {w for t in found for w in re.findall(r"\b(?:None|nan|NaN|undefined)\b", t)})
    wrong = set()
    for t in found:
        if lang == "en":
            for en, zh in glosses:  # "Zhejiang (浙江)": a name glossed in its own language is fine
                t = t.replace(f"{en} ({zh})", en).replace(f"{en}（{zh}）", en)
            # a Chinese label standing on its own (not inside a longer Chinese name, nor in the
            # bracket of a name: 宝山钢铁（上海）)
            t = re.sub(r"(?<=[\u4e00-\u9fff])[（(][^）)]*[）)]", "", t)
            for run in re.findall(r"[A-Za-z0-9+\-]*[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9+\-]*", t):
                for part in {run, *_SPLIT.split(run)}:
                    if part in zh_words:
                        wrong.add(part)
        else:  # an English label as a whole text or list item ("Shenzhen Capital" is a name, not a label)
            for part in re.split(r"\s*[、,，;；·:：（）()/|→—]\s*", t):
                if part.strip() in en_words:
                    wrong.add(part.strip())
    if lang == "zh":  # an English sentence (a message, a help text) on a Chinese page; names are capitalised
        wrong |= {t for t in found if re.search(r"\b[a-z]{2,}(?:[ ,;:'-]+[a-z]{2,}\b){3,}", t)
                  or re.fullmatch(r"[a-z]{3,}:?", t)}  # a lone lowercase word: a key or a value in code
    else:  # a Chinese UI phrase inside an English text; Chinese list commas between English words
        wrong |= {t[:60] for t in found if re.search(r"[A-Za-z.)*]、[A-Za-z(]", t)}
        wrong |= {w for t in found for w in ui_zh if len(w) >= 4 and w in t}
    ui_other = ui_zh if lang == "en" else ui_en
    wrong |= {t.rstrip(":：").strip() for t in found if t.rstrip(":：").strip() in ui_other}
    return keys, sorted(wrong)


def _check(client, vocabulary, lang, path):
    found = _read(client, lang, path)
    keys, wrong = leaks(found, lang, vocabulary)
    assert keys == [], (path, lang, keys)
    assert wrong == [], (path, lang, wrong)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_one_language_per_page(client, vocabulary, lang, path):
    _check(client, vocabulary, lang, path)


@pytest.fixture(scope="module")
def samples(client):
    """Ids of a company, a policy, a factory and a listed company of the demo workspace."""
    d = client.get("/api/query/portfolio", query_string={"investor": "深创投"}).get_json()
    company = d["rows"][0]["company"]
    cid = d["rows"][0]["company_id"]
    pol = client.get("/api/query/policies").get_json()["rows"][0]
    history = client.get("/api/query/funding_history", query_string={"company": company}).get_json()["rows"]
    factory = client.get("/api/query/factories").get_json()["rows"][0]
    return {"company": company, "company_id": cid, "policy_id": pol.get("id") or pol.get("policy_id"),
            "round_id": history[0]["round_id"], "factory_id": factory["factory_id"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_company_round_policy_and_factory_pages(client, vocabulary, samples, lang):
    for key in ("company_id", "round_id", "policy_id", "factory_id"):
        _check(client, vocabulary, lang, e(samples[key]))


def _query_urls(samples) -> list[str]:
    from urllib.parse import urlencode

    from kg.queries import REGISTRY

    urls = []
    for name, q in sorted(REGISTRY.items()):
        need = {p.name: (SAMPLE.get(p.name) or samples["company"]) for p in q.params if p.required}
        urls.append(f"/query/{name}?" + urlencode({**need, "_run": 1}))
        for extra in QUERY_EXTRA.get(name, []):
            urls.append(f"/query/{name}?" + urlencode({**need, **extra, "_run": 1}))
    return urls


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_named_query_page(client, vocabulary, samples, lang):
    bad = []
    for url in _query_urls(samples):
        found = _read(client, lang, url)
        keys, wrong = leaks(found, lang, vocabulary)
        if keys or wrong:
            bad.append((url, keys, wrong))
    assert bad == []


def _chat_leaks(client, vocabulary, lang, questions, part) -> list:
    """(question, raw keys, wrong-language labels) of each question whose ``part(page or card)`` leaks."""
    client.get(f"/lang/{lang}")
    client.get("/chat?new=1")
    bad = []
    for q in questions:
        r = client.get("/chat", query_string={"q": q}, follow_redirects=True)
        assert r.status_code == 200
        keys, wrong = leaks(texts(part(r.get_data(as_text=True))), lang, vocabulary)
        if keys or wrong:
            bad.append((q, keys, wrong))
    return bad


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chat_answers(client, vocabulary, lang):
    """The whole chat page after each question, the answers' sentences included."""
    assert _chat_leaks(client, vocabulary, lang, QUESTIONS[lang], lambda html: html) == []


# more questions: the web's part of each answer card (table, chips, graph, labels) in the page's
# language; the answer's own sentence is the chat's (kg/chat) and is checked apart
MORE_QUESTIONS = {
    "zh": ["云星工业互联网融资了哪几轮", "2019年有多少A轮融资", "哪个领域融资最多", "比较深创投和红杉资本（中国）",
           "2019年每月的融资事件数", "浙江最大的几笔融资", "长三角有多少融资事件", "北京的融资金额中位数是多少",
           "平台领域最活跃的投资机构", "深创投的合投网络", "浙江发布了哪些政策", "有哪些灯塔工厂", "哪些企业在科创板上市",
           "杭州有多少企业获得B轮融资"],
    "en": ["What rounds did 云星工业互联网 raise?", "How many Series A deals were there in 2019?",
           "Which segment has the most deals?", "Compare Shenzhen Capital and Sequoia Capital China",
           "How many deals per month in 2019?", "What were the largest rounds in Zhejiang?",
           "How many deals in the Yangtze River Delta?", "Which investors are most active in the platform segment?",
           "Show the co-investment network of Shenzhen Capital", "Which policies were issued in Zhejiang?",
           "Which lighthouse factories are in China?", "Which companies listed on the STAR market?",
           "How many companies raised a Series B in Hangzhou?"],
}


def _latest_card(html: str) -> str:
    cards = re.findall(r'<section class="card answer-card latest".*?</section>', html, re.S)
    assert cards
    return cards[-1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_answer_cards_around_the_answer(client, vocabulary, lang):
    def around(html):
        return re.sub(r'<p class="answer-text">.*?</p>|<span class="q-bubble">.*?</span>', " ", _latest_card(html),
                      flags=re.S)

    assert _chat_leaks(client, vocabulary, lang, MORE_QUESTIONS[lang], around) == []


# English answers whose sentences once named Chinese labels (round labels, regions in the suggestions)
CHAT_TEXT_KNOWN = ["What were the largest rounds in Zhejiang?", "blah blah"]


def test_english_answer_sentences(client, vocabulary):
    def sentence(html):
        return re.search(r'<p class="answer-text">(.*?)</p>', _latest_card(html), re.S).group(1)

    assert _chat_leaks(client, vocabulary, "en", CHAT_TEXT_KNOWN, sentence) == []


def test_every_query_parameter_and_choice_has_words():
    """Every named query's title, parameters, their help and their declared choices have a Chinese and an
    English name (web/query.py), so a parameter added to a query cannot reach a page as its identifier."""
    from kg.queries import REGISTRY
    from web import query

    missing = sorted({f"title:{n}" for n in REGISTRY if n not in query.TITLES}
                     | {f"param:{p.name}" for q in REGISTRY.values() for p in q.params if p.name not in query.PARAMS}
                     | {f"help:{p.name}" for q in REGISTRY.values() for p in q.params if p.name not in query.HELP}
                     | {f"choice:{c}" for q in REGISTRY.values() for p in q.params for c in (p.choices or ())
                        if str(c) not in query.CHOICES})
    assert missing == []


def test_json_twins_keep_stored_names(client):
    """Translation is for pages: the English page says Platform and Series A, its JSON twin the stored 平台 and A轮."""
    client.get("/lang/en")
    assert "<h1>Platform</h1>" in client.get(e("segment:平台")).get_data(as_text=True)
    assert client.get("/api/entity/" + quote("segment:平台", safe="")).get_json()["name"] == "平台"
    rows = client.get("/api/query/deals", query_string={"group_by": "type"}).get_json()["rows"]
    assert {"a", "strategic"} <= {r["key"] for r in rows}
    page = client.get("/query/deals?group_by=type&_run=1").get_data(as_text=True)
    assert "Series A" in page and "Strategic" in page


def test_english_network_names_known_investors_in_english(client):
    found = _read(client, "en", "/network")
    assert "Community 1" in " ".join(found)
    assert not any(t in ("社区", "机构") for t in found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_result_names_its_reasons_in_the_page_language(client, vocabulary, lang):
    """An upload with bad rows (an impossible date, no company, an amount that is not one, an unknown
    currency, a long row): the reasons read in the page's language. Runs last: it adds a deal."""
    import io

    data = ("date,company,round,amount,currency,investors,segment,province,city\n"
            "2019-03-01,语言测试科技,A轮,3000万元,,深创投,平台,浙江,杭州\n"
            "2019-13-45,坏日期科技,A轮,1000万元,,深创投,平台,浙江,杭州\n"
            ",,A轮,1000万元,,深创投,平台,浙江,杭州\n"
            "2019-04-01,坏金额科技,A轮,很多钱,,深创投,平台,浙江,杭州\n"
            "2019-04-01,坏币种科技,A轮,1000,XYZ,深创投,平台,浙江,杭州\n"
            "2019-04-01,多列科技,A轮,1000万元,,深创投,平台,浙江,杭州,多余,更多\n").encode()
    client.get(f"/lang/{lang}")
    html = client.get("/import").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    r = client.post("/import", data={"csrf_token": token, "file": (io.BytesIO(data), "languages.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    found = texts(r.get_data(as_text=True))
    assert "坏日期科技" in found, "the rejected rows are listed"
    keys, wrong = leaks([x for x in found if x != "languages.csv"], lang, vocabulary)
    assert keys == [] and wrong == [], (keys, wrong)
    if lang == "zh":
        assert not [x for x in found if re.search(r"\b(?:impossible|empty|not an amount|unknown currency|fields)\b", x)]
