"""Fresh announcements in real media's shapes (issue 20, second pass), and the import page's review
of what was read (each field's evidence highlighted in the passage, in both languages).

``news_realstyle_b1.jsonl`` was written before the reader was changed for it (it scored 0.901 per
field then, 4 passages without a deal); ``news_realstyle_b2.jsonl`` was written after, to check that
the changes generalise (0.999); ``news_realstyle_b3.jsonl`` (headlines, investor-first sentences,
defined names, HK$, 港币, undisclosed strategic rounds) was written blind after that (0.946 then, one
passage without a deal); ``news_realstyle_b4.jsonl`` copies web pages (breadcrumbs, bylines, source
lines, related links naming other deals), written blind after b3: every field right, once the page's
date is read as the dateline (the issue's rule); ``news_realstyle_b5.jsonl`` (traditional-character
press, investor-first English, 既有股东/领投者, the target named by a label, a company named in a
background sentence and then called 公司) was written blind after b4: 0.754 then, four passages
without a deal; ``news_realstyle_b6.jsonl`` (English asides inside lists, "continued to invest", a
kicker that is the amount alone, a post signed by its team) blind after b5: 0.973;
``news_realstyle_b7.jsonl`` (A1/B2/Pre-IPO rounds, 亿元级, 第一季度, totals of two rounds, negated
roles, "which was led by … with … as co-investors") blind after b6: 0.951; ``news_realstyle_b8.jsonl``
("A led, while B participated", the roles in the sentence before the company's, 领军, 仍完成了)
blind after b7: 0.945; ``news_realstyle_b9.jsonl`` (an adviser's label after a space, "investors led by
A, including B and C", a headline's kicker before a colon) blind after b8: 0.983;
``news_realstyle_b10.jsonl`` (news wire and 快讯 shapes, 今年以来) blind after b9: 0.988. All texts are invented (synthetic: marked so in each line); the investors
are real VCs named as the ontology knows them.
"""
from __future__ import annotations

import json

import pytest

from loaders.news import extract

from .conftest import FIXTURES
from .test_news_styles import FIELDS, fields


def _items(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["news_realstyle_b1.jsonl", "news_realstyle_b2.jsonl", "news_realstyle_b3.jsonl",
                                  "news_realstyle_b4.jsonl", "news_realstyle_b5.jsonl", "news_realstyle_b6.jsonl",
                                  "news_realstyle_b7.jsonl", "news_realstyle_b8.jsonl",
                                  "news_realstyle_b9.jsonl", "news_realstyle_b10.jsonl"])
def test_fresh_batteries_score_at_least_095_per_field_and_every_passage_gives_a_deal(name):
    items = _items(name)
    assert len(items) >= 12 and all(i["synthetic"] is True for i in items)
    totals = dict.fromkeys(FIELDS, 0.0)
    misses, no_deal = [], []
    for item in items:
        deals = [d.as_json() for d in extract(item["text"])]
        if not deals:
            no_deal.append(item["text"][:40])
        best = max((fields(item, d) for d in deals), key=lambda p: sum(p.values()), default=dict.fromkeys(FIELDS, 0.0))
        for k, v in best.items():
            totals[k] += v
        if sum(best.values()) < len(FIELDS):
            misses.append((item["text"][:40], {k: v for k, v in best.items() if v < 1}))
    per_field = {k: v / len(items) for k, v in totals.items()}
    assert min(per_field.values()) >= 0.95, (per_field, misses)
    assert len(no_deal) <= 1, no_deal


def test_two_rounds_announced_together_are_two_deals():
    text = ("2021年9月28日，储能管理系统提供商澜储科技宣布连续完成A轮和A+轮两轮融资，A轮由蓝驰创投领投，金额为6000万元；"
            "A+轮1.5亿元由顺为资本独家投资。")
    got = {d.round: (d.amount, d.investors, d.lead_investors, d.date) for d in extract(text)}
    assert got == {"A轮": (60_000_000, ["蓝驰创投"], ["蓝驰创投"], "2021-09-28"),
                   "A+轮": (150_000_000, ["顺为资本"], ["顺为资本"], "2021-09-28")}


def test_rounds_named_together_without_their_own_clauses_stay_one_deal():
    deals = extract("2019年11月7日，工业视觉企业睿铂智能完成1.5亿元B轮及B+轮融资，达晨资本领投。")
    assert [(d.round, d.amount) for d in deals] == [("B+轮", 150_000_000)]


def test_an_earlier_rounds_clause_gives_the_new_deal_no_investor():
    d = [d for d in extract("2020年8月，工业物联网平台商络维科技完成1.5亿元B轮融资，本轮由字节跳动战投领投。"
                            "此次融资距其上一轮6000万元A轮融资仅过去8个月，A轮由创新工场领投。") if d.round == "B轮"][0]
    assert (d.investors, d.lead_investors, d.amount) == (["字节跳动"], ["字节跳动"], 150_000_000)


def test_the_date_clause_before_a_later_deals_company_is_its_own():
    d = [d for d in extract("柘云智造2018年曾获得洪泰基金数百万元天使轮投资，2019年又拿到峰瑞资本领投的3000万元A轮。"
                            "2022年1月17日，柘云智造正式宣布完成1.2亿元B轮融资，由高榕资本领投，峰瑞资本跟投。") if d.round == "B轮"][0]
    assert (d.date, d.amount, d.lead_investors) == ("2022-01-17", 120_000_000, ["高榕资本"])


@pytest.mark.parametrize("text, amount", [
    ("【台北訊】2022年8月3日，工業物聯網新創晶控智聯宣佈完成新台幣3億元A輪融資，由凱輝基金領投。", 300_000_000),
    ("半導體檢測設備商芯測精密宣佈完成5億新台幣B輪融資。", 500_000_000),
    ("TAIPEI, Sept. 6, 2023 -- Formosa Gridtech today announced it has closed a NT$600 million Series A.", 600_000_000),
    ("Taiwanese chip tester Kaohsi Probe raised TWD 80 million in a seed round.", 80_000_000),
])
def test_new_taiwan_dollars(text, amount):
    from ontology import load as load_ontology

    d = extract(text)[0]
    assert (d.amount, d.currency) == (amount, "TWD")
    # the graph converts amounts to CNY: until ontology/currencies.yaml has a TWD rate the deal waits
    has_rate = "TWD" in load_ontology().currencies
    assert any("unknown currency TWD" in x for x in d.doubts) is not has_rate


def test_a_deal_in_a_currency_without_a_rate_is_a_reject_not_a_crash(tmp_path, workspace):
    from .conftest import run_kg

    f = tmp_path / "twd.txt"
    f.write_text("2022年8月3日，晶控智联宣佈完成新台幣3億元A輪融資，由凱輝基金領投。\n"
                 "2021年6月8日，衡钛数科宣布完成3.5亿元C轮融资，本轮由中金资本领投。\n", encoding="utf-8")
    p = run_kg("load", "news", "--json", f, workspace=workspace)
    rep = json.loads(p.stdout)
    assert p.returncode in (0, 2), p.stderr
    assert rep["deals"] >= 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("text, company, investors, leads", [
    ("【融资速递】重磅！工业AI质检独角兽视坤科技斩获3亿元C轮融资👏👏 领投：高瓴资本！跟投：今日资本、华创资本！",
     "视坤科技", ["高瓴资本", "今日资本", "华创资本"], ["高瓴资本"]),
    ("✨融资动态✨ 星衍测控｜A轮｜8000万元｜祥峰投资领投，光速中国、蓝湖资本跟投 #工业互联网# #融资#",
     "星衍测控", ["祥峰投资", "光速中国", "蓝湖资本"], ["祥峰投资"]),
    ("🎉喜报｜热烈祝贺数匠云完成A轮融资！本轮由红点中国领投，英诺天使基金跟投。感谢各位投资人的信任与支持💪",
     "数匠云", ["红点中国", "英诺天使基金"], ["红点中国"]),
    ("好消息！！我们拿到钱啦～ 🚀柔触机器人近日完成天使+轮融资，由险峰长青独家投资。", "柔触机器人", ["险峰长青"], ["险峰长青"]),
])
def test_wechat_posts(text, company, investors, leads):
    d = extract(text)[0]
    assert (d.company, d.investors, d.lead_investors) == (company, investors, leads)


def test_a_range_with_a_tilde_is_still_one_vague_amount():
    d = extract("钛擎智能完成1000~2000万元天使轮融资，由真格基金投资。")[0]
    assert (d.company, d.round, d.amount) == ("钛擎智能", "天使轮", None)


@pytest.mark.parametrize("text, company, rnd, amount, investors", [
    ("SHENZHEN, March 15, 2023 -- Ferrowise Technologies, which makes sensors for steel mills, has added $20 million "
     "to its Series B, bringing the round to $55 million. The extension was led by Shenzhen Capital Group, with Songhe "
     "Capital also joining.", "Ferrowise Technologies", "B轮", 20_000_000, ["深创投", "松禾资本"]),
    ("Hangzhou robot arm developer Flexcore has closed a Series B+ round worth 300 million yuan, led by Hillhouse "
     "Capital. Existing shareholders Qiming and 5Y Capital increased their stakes.", "Flexcore", "B+轮", 300_000_000,
     ["高瓴资本", "启明创投", "五源资本"]),
])
def test_english_extension_and_stakes(text, company, rnd, amount, investors):
    d = extract(text)[0]
    assert (d.company, d.round, d.amount, d.investors) == (company, rnd, amount, investors)


def test_the_reader_takes_the_graphs_names_through_the_read_interface(dev_workspace):
    from kg.store.embedded import EmbeddedStore
    from loaders.news import lexicon_from_store

    store = EmbeddedStore(dev_workspace)
    lex = lexicon_from_store(store)
    table = store.entities("Company", ["name"])
    names = [n for n in table.column("name").to_pylist() if n]
    assert names and all(lex.company(n) == n for n in names[:50])
    assert lex.rounds and lex.company_segment  # rounds and segments read from the tables


# ------------------------------------------------------------------ the import page's news review
@pytest.fixture
def client(dev_workspace):
    from web import create_app

    return create_app({"workspace": str(dev_workspace), "TESTING": True}).test_client()


def _token(client) -> str:
    import re

    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/import").get_data(as_text=True)).group(1)


def test_review_json_gives_evidence_and_changes_nothing(client):
    text = "2021年6月8日，衡钛数科宣布完成3.5亿元C轮融资，本轮由中金资本领投。\n这一行没有交易。"
    before = client.get("/api/entity/company:衡钛数科").status_code
    r = client.post("/api/import/news", json={"text": text}, headers={"X-CSRF-Token": _token(client)})
    items = r.get_json()["items"]
    assert r.status_code == 200 and [len(i["deals"]) for i in items] == [1, 0]
    d = items[0]["deals"][0]
    line = text.split("\n")[0]
    assert {k: line[s:e] for k, (s, e) in ((k, d["evidence"][k]) for k in ("company", "amount", "round", "date"))} == \
        {"company": "衡钛数科", "amount": "3.5亿元", "round": "C轮", "date": "2021年6月8日"}
    assert all(0 < d["field_confidence"][k] <= 1 for k in ("company", "round", "amount", "date", "investors"))
    assert before == 404 and client.get("/api/entity/company:衡钛数科").status_code == 404  # review stores nothing


def test_review_page_names_doubts_in_the_pages_language_and_load_leaves_them_out(client):
    text = "格创智联有望完成5亿元B轮融资。\n2021年6月8日，衡钛数科宣布完成3.5亿元C轮融资，本轮由中金资本领投。"
    tok = _token(client)
    html = client.post("/import/news", data={"csrf_token": tok, "text": text}).get_data(as_text=True)
    assert "不会导入：" in html and "尚未完成" in html and 'data-field="company"' in html
    client.get("/lang/en")
    html = client.post("/import/news", data={"csrf_token": tok, "text": text}).get_data(as_text=True)
    assert "Will not be loaded:" in html and "not completed" in html and "尚未完成" not in html
    html = client.post("/import/news", data={"csrf_token": tok, "text": text, "action": "load"}).get_data(as_text=True)
    assert "1 deal(s) loaded" in html
    assert client.get("/api/entity/company:衡钛数科").status_code == 200
    assert client.get("/api/entity/company:格创智联").status_code == 404


def test_news_review_needs_csrf_and_text(client):
    assert client.post("/import/news", data={"text": "数澜科技完成3亿元C轮融资"}).status_code == 403
    r = client.post("/api/import/news", json={"text": "  \n "}, headers={"X-CSRF-Token": _token(client)})
    assert r.status_code == 400 and r.get_json()["error"]


def test_including_names_investors_only_when_the_sentence_speaks_of_investors():
    d = extract("Overlay Labs raised $20 million in a Series B led by Qiming Venture Partners. "
                "The company serves clients, including BYD and CATL.")[0]
    assert d.investors == ["启明创投"]
    d = extract("Overlay Labs raised $20 million in a Series B from investors led by Qiming Venture Partners, "
                "including Legend Capital and Cowin Capital.")[0]
    assert (d.investors, d.lead_investors) == (["启明创投", "君联资本", "同创伟业"], ["启明创投"])


def test_review_page_shows_a_hostile_passage_as_text(client):
    text = "<img src=x onerror=alert(1)>科技完成1亿元A轮融资，由</script><script>alert(1)</script>领投。"
    html = client.post("/import/news", data={"csrf_token": _token(client), "text": text}).get_data(as_text=True)
    assert "<img src=x" not in html and "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_graphs_names_are_the_same_from_falkordb_and_the_embedded_store(falkor_dev_store, dev_store_ro):
    """lexicon_from_store asks only the read interface: a Cypher store gives the names, segments,
    regions and rounds the embedded one gives for the same data."""
    from loaders.news import lexicon_from_store

    emb, cy = lexicon_from_store(dev_store_ro), lexicon_from_store(falkor_dev_store)
    assert emb.company_segment and cy.company_segment == emb.company_segment
    assert cy.company_region == emb.company_region
    assert {k: sorted(v) for k, v in cy.rounds.items()} == {k: sorted(v) for k, v in emb.rounds.items()}
    text = "2021年6月8日，瀚川智能宣布完成3亿元C轮融资，由Shenzhen Capital Group领投。"
    assert [d.as_json() for d in extract(text, cy)] == [d.as_json() for d in extract(text, emb)]
