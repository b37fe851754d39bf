"""Announcements as real media write them (issue 20): background-first articles, WeChat posts,
press releases and headlines, in simplified Chinese, traditional Chinese and English.

Each kind of difficulty has its own whole-announcement tests; ``news_real_styles.jsonl`` (written
in those styles) and ``news_blind.jsonl`` (written before the reader was tuned to them) are scored
per field; a hypothesis fuzz test checks that no text crashes the reader or gives a deal without
a company.
"""
from __future__ import annotations

import json
import unicodedata

import opencc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.news import extract
from loaders.news_company import reduce_company
from loaders.news_rules import normalise_map

from .conftest import FIXTURES
from .test_news_cli import _f1, _norm, _rnd

FIELDS = ["company", "round", "amount", "currency", "date", "investors", "lead"]


def simplified(s: str) -> str:
    return opencc.OpenCC("t2s").convert(unicodedata.normalize("NFKC", s))


def one(text: str):
    deals = extract(text)
    assert len(deals) == 1, [d.as_json() for d in deals]
    return deals[0]


def fields(item: dict, deal: dict) -> dict[str, float]:
    return {
        "company": float(_norm(deal.get("company") or "") == _norm(item["company"])),
        "round": float(_rnd(deal.get("round")) == _rnd(item["round"])),
        "amount": float((deal.get("amount") is None and item["amount"] is None) or
                        (deal.get("amount") is not None and item["amount"] is not None
                         and abs(float(deal["amount"]) - item["amount"]) < 1)),
        "currency": float(item["amount"] is None or (deal.get("currency") or "").upper() == (item["currency"] or "")),
        "date": float((deal.get("date") or None) == item["date"]),
        "investors": _f1(deal.get("investors"), item["investors"]),
        "lead": _f1(deal.get("lead_investors"), item["lead"]),
    }


@pytest.mark.parametrize("name", ["news_real_styles.jsonl", "news_blind.jsonl"])
def test_real_style_sets_score_at_least_095_per_field(name):
    items = [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(items) >= 40
    totals = dict.fromkeys(FIELDS, 0.0)
    misses = []
    for item in items:
        deals = [d.as_json() for d in extract(item["text"])]
        best = max((fields(item, d) for d in deals), key=lambda p: sum(p.values()), default=dict.fromkeys(FIELDS, 0.0))
        for k, v in best.items():
            totals[k] += v
        if sum(best.values()) < len(FIELDS):
            misses.append((item["text"][:40], {k: v for k, v in best.items() if v < 1}))
    per_field = {k: v / len(items) for k, v in totals.items()}
    assert min(per_field.values()) >= 0.95, (per_field, misses)


def test_the_styles_set_covers_the_languages_and_styles():
    items = [json.loads(line) for line in (FIXTURES / "news_real_styles.jsonl").read_text(encoding="utf-8").splitlines()]
    styles = {i["style"] for i in items}
    assert {"zh-background", "zh-wechat", "zh-headline", "zh-Hant", "en-news", "en-pr"} <= styles
    assert sum(i["style"] == "zh-Hant" for i in items) >= 10 and sum(i["style"].startswith("en") for i in items) >= 20


# ------------------------------------------------------------------ background sentences
@pytest.mark.parametrize("text, date, amount, rnd", [
    ("钧联智能成立于2016年，专注运动控制器。公司2018年签约订单超过8000万元，2019年营收同比增长120%。"
     "2020年7月14日，钧联智能宣布完成1.5亿元B轮融资，由启明创投领投。", "2020-07-14", 150_000_000, "B轮"),
    ("设备故障曾给一家工厂造成数百万元的损失。近日，擎天数智完成2亿元C轮融资，由松禾资本领投。", None, 200_000_000, "C轮"),
    ("作为较早布局工业AI的团队，远景智控2017年获得京东5000万元A轮投资。日前，远景智控又宣布完成3亿元B轮融资，由高瓴资本领投。",
     None, 300_000_000, "B轮"),
    ("2020年5月20日，协作机器人企业遨游智能获得5000万美元C轮融资，由高瓴资本领投。此前，遨游智能曾于2016年年初获得京东1亿美元D轮投资。",
     "2020-05-20", 50_000_000, "C轮"),
    ("鈞聯智能成立於2016年，2019年營收年增80%。2020年7月，鈞聯智能宣佈完成1.5億元B輪融資，由啟明創投領投。",
     "2020-07", 150_000_000, "B轮"),
    ("Founded in 2015, Lianhe Robotics raised a Series A from IDG Capital in 2017 and has since grown revenue fivefold. "
     "The company has now completed a $60 million Series B led by Hillhouse Capital.", None, 60_000_000, "B轮"),
])
def test_background_sentences_give_no_deal_field(text, date, amount, rnd):
    deals = [d for d in extract(text) if d.round == rnd]
    assert deals, [d.as_json() for d in extract(text)]
    d = deals[-1]
    assert (d.date, d.amount, d.round) == (date, amount, rnd)


@pytest.mark.parametrize("text, date", [
    ("2019年12月5日消息，工业互联网平台企业格创智联今日宣布完成数亿元B轮融资。", "2019-12-05"),
    ("【香港】2021年4月12日，邊緣運算新創雲杉智能宣佈獲得3000萬美元C輪融資。", "2021-04-12"),
    ("March 3, 2021 -- Hangzhou-based Yunzhi Data has newly raised RMB 200 million in a Series B+ round.", "2021-03-03"),
    ("创始人曾在西门子工作十余年，2017年创办朗擎智能。如今，朗擎智能完成5亿元C+轮融资。", None),
])
def test_the_date_is_the_deals_own_or_the_datelines(text, date):
    assert one(text).date == date


# ----------------------------------------------------------------------- decoration, names
@pytest.mark.parametrize("text, company", [
    ("🎉🎉热烈祝贺锐思物联完成数千万元A轮融资！本轮由蓝驰创投领投🎉", "锐思物联"),
    ("喜报！驭势工联完成2亿元B+轮融资", "驭势工联"),
    ("重磅｜星轨数控宣布完成5000万美元C轮融资", "星轨数控"),
    ("【融资快讯】2020年11月2日，边缘智能公司芯擎边缘拿下一笔数千万元的天使+轮投资，投资方为险峰长青。", "芯擎边缘"),
    ("✨好消息✨ 祝贺我们的被投企业启智物联完成1亿元A轮融资！", "启智物联"),
    ("近日，据36氪报道，工业互联网标识企业标链科技完成超亿元B轮融资。", "标链科技"),
    ("喜訊！工業物聯網企業恆析智能完成5000萬元天使輪融資。", "恒析智能"),
    ("2021年6月18日，深圳市矩阵工控科技有限公司完成1.2亿元A+轮融资。", "矩阵工控科技"),
    ("上海市工业互联网协会会员单位上海云锐数智科技股份有限公司近日宣布完成8000万元A轮融资。", "云锐数智科技"),
    ("零重力飞机工业（合肥）有限公司近日完成A+轮融资，融资金额近3亿元。", "零重力飞机工业"),
    ("梅卡曼德(Mech-Mind)机器人科技宣布完成1亿元B轮融资，由启明创投领投。", "梅卡曼德机器人科技"),
    ("据了解，昱衡科技此前曾获得金沙江创投的天使轮投资。2021年3月，这家工业视觉检测企业完成数千万元A轮融资。", "昱衡科技"),
    ("China Money Network: On April 8, 2021, Suzhou-based industrial vision company Huiyan Tech secured RMB 50 million "
     "in a seed round from Shunwei Capital.", "Huiyan Tech"),
    ("Beijing Yunzhi Robot Technology Co., Ltd. (\"Yunzhi Robot\") closed an RMB 120 million Series B round.", "Yunzhi Robot"),
])
def test_company_names_without_decoration_or_legal_form(text, company):
    assert one(text).company == company


@pytest.mark.parametrize("name, short", [
    ("北京银河通用机器人有限公司", "银河通用机器人"), ("商汤科技 SenseTime", "商汤科技"),
    ("梅卡曼德(Mech-Mind)机器人科技", "梅卡曼德机器人科技"), ("广东省深圳市万象智造股份有限公司", "万象智造"),
    ("Gewu Tech Co., Ltd.", "Gewu Tech"), ("北京现代智造", "北京现代智造"),  # no legal form: the region stays
])
def test_reduce_company(name, short):
    assert reduce_company(name) == short


# --------------------------------------------------------------------------------- roles
@pytest.mark.parametrize("text, investors, leads", [
    ("喜报！驭势工联完成2亿元B+轮融资｜领投：钟鼎资本！跟投：云启资本、昆仲资本！老股东五源资本超额跟投！",
     ["钟鼎资本", "云启资本", "昆仲资本", "五源资本"], ["钟鼎资本"]),
    ("星轨数控宣布完成5000万美元C轮融资，参与方包括春华资本、弘毅投资以及担任本轮财务顾问的光源资本。", ["春华资本", "弘毅投资"], []),
    ("卫士安全融到了1亿元A轮资金，由中金资本领投，金石投资跟投，红点中国未参与本轮。", ["中金资本", "金石投资"], ["中金资本"]),
    ("恭喜筑链科技完成3000万美元B轮融资 本轮投资方：今日资本（领投）、华创资本、昆仲资本。",
     ["今日资本", "华创资本", "昆仲资本"], ["今日资本"]),
    ("极动智控已于近期完成近亿元A+轮融资。投资方：\n领投——蓝湖资本\n跟投——洪泰基金、联想之星",
     ["蓝湖资本", "洪泰基金", "联想之星"], ["蓝湖资本"]),
    ("作为领投方，光速中国参与了工业软件公司云工坊的1.2亿元A+轮融资，峰瑞资本跟投。", ["光速中国", "峰瑞资本"], ["光速中国"]),
    ("标链科技完成超亿元B轮融资。本轮融资由国投创业领投，多家产业方跟投。", ["国投创业"], ["国投创业"]),
    ("矩阵工控完成1.2亿元A+轮融资，本轮由深创投集团领投，达晨资本参投。", ["深创投", "达晨资本"], ["深创投"]),
    ("工業機器人廠商大族智控完成5億元D輪融資，領投：春華資本；跟投：鼎暉投資、弘毅投資。", ["春华资本", "鼎晖投资", "弘毅投资"], ["春华资本"]),
    ("雲杉智能宣佈獲得3000萬美元C輪融資，本輪由高瓴資本領投，紀源資本跟投，華興資本擔任獨家財務顧問。", ["高瓴资本", "纪源资本"], ["高瓴资本"]),
    ("Edge computing startup Pengfei AI closed a $25 million Series A round co-led by Legend Capital and Source Code "
     "Capital. Existing investor Sinovation Ventures did not participate in the round.", ["君联资本", "源码资本"], ["君联资本", "源码资本"]),
    ("Smart manufacturing platform Zhiyun Tech raised $30 million in an angel+ round. Investors include ZhenFund and "
     "Matrix Partners China, with Linear Capital acting as lead investor.", ["真格基金", "经纬中国", "线性资本"], ["线性资本"]),
    ("Xinghe Cloud today announced a 1.1 billion renminbi (US$170 million) Series C financing led by CICC Capital. "
     "China Renaissance served as exclusive financial advisor.", ["中金资本"], ["中金资本"]),
    ("Founded in 2015, Lianjie Robotics has now completed a $60 million Series B led by Hillhouse Capital, with Qiming "
     "Venture Capital participating.", ["高瓴资本", "启明创投"], ["高瓴资本"]),
])
def test_roles_from_structure(text, investors, leads):
    d = [d for d in extract(text) if d.investors][-1]
    assert (d.investors, d.lead_investors) == (investors, leads)


# --------------------------------------------------------------------------- sentence shapes
@pytest.mark.parametrize("text, company, rnd, lead", [
    ("工业视觉独角兽图灵视控B+轮融资落定：金额达6亿元，软银中国领投", "图灵视控", "B+轮", ["软银中国"]),
    ("纪源资本领投智工云13.6亿元D轮融资", "智工云", "D轮", ["纪源资本"]),
    ("鼎晖投资独家投资凌云数控2亿元C轮", "凌云数控", "C轮", ["鼎晖投资"]),
    ("智能制造企业迈科智造的B轮融资由招商局创投领投，融资金额为2亿元。", "迈科智造", "B轮", ["招商局创投"]),
    ("边缘智能公司芯擎边缘拿下一笔数千万元的天使+轮投资，由险峰长青领投。", "芯擎边缘", "天使+轮", ["险峰长青"]),
    ("智慧製造平台匯川雲科拿下一筆3億元的B+輪投資，本輪由中金資本領投。", "汇川云科", "B+轮", ["中金资本"]),
    ("此前已完成3轮融资的工业机器人公司节卡智能，近日又完成了4亿元C轮融资，本轮由软银中国领投。", "节卡智能", "C轮", ["软银中国"]),
    ("Shanghai-based industrial robotics firm Dorabot Systems said on Wednesday that the company has closed a $40 million "
     "Series B round led by Qiming Venture Partners, with participation from Vertex Ventures China.",
     "Dorabot Systems", "B轮", ["启明创投"]),
    ("Industrial IoT startup Kanxin Tech has pocketed $50 million in Series C funding. The lead investor was Hillhouse "
     "Capital.", "Kanxin Tech", "C轮", ["高瓴资本"]),
    ("Sequoia China led Gaoyuan Robotics to complete a Series A round worth 100 million yuan.", "Gaoyuan Robotics", "A轮",
     ["红杉资本（中国）"]),
    ("The lead investor in Tianjin Mech's $140 million Series D is SoftBank China, the company said.", "Tianjin Mech",
     "D轮", ["软银中国"]),
    ("Factory software startup Gridcore bags $30m Series B led by GGV Capital", "Gridcore", "B轮", ["纪源资本"]),
])
def test_sentence_shapes(text, company, rnd, lead):
    d = one(text)
    assert (d.company, d.round, d.lead_investors) == (company, rnd, lead)


def test_renminbi_with_a_dollar_gloss_is_renminbi():
    d = one("Xinghe Cloud today announced a 1.1 billion renminbi (US$170 million) Series C financing led by CICC Capital.")
    assert (d.amount, d.currency) == (1_100_000_000, "CNY")


def test_vertex_and_qiming_resolve_to_the_ontologys_names():
    d = one("Dorabot Systems has closed a $40 million Series B round led by Qiming Venture Partners, with participation "
            "from Vertex Ventures China.")
    assert d.investors == ["启明创投", "祥峰投资"]


# ------------------------------------------------------------------ evidence and confidence
@pytest.mark.parametrize("text", [
    "2020年8月3日，工業機器人企業越疆智造宣佈完成1億元B輪融資，由紅杉中國領投，順為資本跟投。",
    "🎉🎉热烈祝贺锐思物联完成数千万元A轮融资！本轮由蓝驰创投领投，火山石投资跟投🎉",
    "ＢＢ智造完成８亿元Ｂ轮融资，由ＩＤＧ资本领投。",
    "On 2019-06-12, Beijing-based Gewu Tech raised RMB 80 million in a Series A round led by Lenovo Capital.",
])
def test_evidence_spans_point_into_the_original_text(text):
    d = one(text)
    js = d.as_json()
    ev = js["evidence"]
    assert {"company", "round"} <= set(ev)
    assert simplified(text[slice(*ev["company"])]) == d.company
    round_txt = simplified(text[slice(*ev["round"])])
    assert round_txt.rstrip("轮").lower().replace("series ", "") in d.round.lower()
    for sp, name in zip(ev.get("investors", []), d.investors):
        assert 0 <= sp[0] < sp[1] <= len(text)
    assert 0.0 < js["confidence"] <= 1.0


def test_traditional_characters_keep_their_length():
    text = "宣佈完成1億元B輪融資，由紅杉中國領投，順為資本跟投。"
    t, offs = normalise_map(text)
    assert t == "宣布完成1亿元B轮融资,由红杉中国领投,顺为资本跟投。" and len(offs) == len(text) + 1


def test_simplified_text_with_a_rare_form_is_not_converted():
    assert one("2019年5月，工业安全公司蓝昇信息完成2000万美元B轮融资。").company == "蓝昇信息"


def test_uncertain_deals_are_marked_and_not_loaded(tmp_path):
    from loaders.news import parse_news

    d = one("格物科技完成新一轮融资，英诺天使基金领投。")
    assert d.round is None and d.doubts and d.confidence < 0.7
    f = tmp_path / "news.txt"
    f.write_text("格物科技完成新一轮融资，英诺天使基金领投。\n数澜科技完成3亿元C轮融资，由中金资本领投。\n", encoding="utf-8")
    res = parse_news(f)
    assert res.deals == 1 and res.loaded == 1
    assert [r.line for r in res.rejects] == [1] and "round not stated" in res.rejects[0].reason


# ------------------------------------------------------------------------------ fuzz
_PIECES = st.sampled_from([
    "完成", "获得", "领投", "跟投", "：", "！", "｜", "、", "，", "。", "1.5亿元", "数千万元", "B轮", "B+輪", "天使+轮", "融资", "投資",
    "红杉中国", "IDG资本", "深创投集团", "未参与本轮", "担任财务顾问", "热烈祝贺", "🎉", "【财新网】", "2019年", "3月5日",
    "有限公司", "这家企业", "Series B", " raised ", "$50 million", " led by ", " did not participate", "The company",
    "Co., Ltd.", " (\"", "\")", "1.1 billion renminbi (US$170 million)", "said on Wednesday that", " ", "\n",
    "新台币", "NT$600 million", "～", "~", "#融资#", "连续完成", "A轮和A+轮两轮融资", "A轮由", "A+轮1.5亿元由", ", which led the round,",
    "This week it raised", "has added $20 million to its Series B", "官宣：", "领投：", "跟投：", "感谢投资人", "两家机构",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=30).map("".join),
                 st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=25).map("".join)))
def test_fuzz_no_crash_and_every_deal_has_a_company(text):
    for d in extract(text):
        assert d.company and d.company.strip()
        assert d.round or d.doubts  # a deal without a round is marked uncertain (never loaded)
        js = d.as_json()
        for k, sp in js["evidence"].items():
            spans = sp if sp and isinstance(sp[0], list) else [sp]
            for s, e in spans:
                assert 0 <= s <= e <= len(text), (k, sp)
        assert 0.0 <= js["confidence"] <= 1.0


@pytest.mark.parametrize("text, company, alias", [
    ("2021年6月18日，深圳市矩阵工控科技有限公司完成1.2亿元A+轮融资。", "矩阵工控科技", "深圳市矩阵工控科技有限公司"),
    ("北京天工智造机器人有限公司（简称“天工智造”）近日完成近亿元天使+轮融资。", "天工智造", "北京天工智造机器人有限公司"),
    ("梅卡曼德(Mech-Mind)机器人科技宣布完成1亿元B轮融资。", "梅卡曼德机器人科技", "梅卡曼德(Mech-Mind)机器人科技"),
    ("2019年9月，商汤科技 SenseTime完成3亿元A轮融资。", "商汤科技", "商汤科技 SenseTime"),
    ("Beijing Yunzhi Robot Technology Co., Ltd. (\"Yunzhi Robot\") closed an RMB 120 million Series B round.",
     "Yunzhi Robot", "Beijing Yunzhi Robot Technology Co., Ltd."),
])
def test_the_full_form_is_kept_as_an_alias(text, company, alias, tmp_path):
    from loaders.news import parse_news
    from ontology import node_id

    d = one(text)
    assert d.company == company and d.company_aliases == [alias]
    f = tmp_path / "news.txt"
    f.write_text(text + "\n", encoding="utf-8")
    node = parse_news(f).batch.nodes["Company"][node_id("company", company)]
    assert node["name"] == company and alias in node["aliases"]


def test_a_web_page_with_breadcrumbs_and_a_byline_gives_one_deal():
    text = ("首页 > 资讯 > 正文 格物智联完成1亿元A轮融资 2021-07-05 10:23 来源：36氪 作者：张三 分享至 近日，格物智联宣布完成"
            "1亿元A轮融资，由腾讯领投，顺为资本跟投。格物智联CEO表示，将继续加大研发投入。责任编辑：李四")
    d = one(text)
    assert (d.company, d.round, d.amount, d.date, d.investors, d.lead_investors) == (
        "格物智联", "A轮", 100_000_000, "2021-07-05", ["腾讯", "顺为资本"], ["腾讯"])


@pytest.mark.parametrize("text, rnd, amount, currency", [
    ("格物科技获得1亿元IPO前融资。", "Pre-IPO轮", 100_000_000, "CNY"),
    ("格物科技完成近3亿A轮融资。", "A轮", None, "CNY"),
    ("格物科技完成千万美元级A轮融资。", "A轮", None, "USD"),
    ("Gewu Tech raised 1.2 billion yuan ($185 million) in a Series B round.", "B轮", 1_200_000_000, "CNY"),
    ("Gewu Tech raised US$ 15 mln in a Series A extension round.", "A轮", 15_000_000, "USD"),
    ("Gewu Tech raised a new round of funding worth several hundred million yuan in its Series B.", "B轮", None, "CNY"),
    ("The funding, which is Gewu Tech's second this year, came from IDG Capital. The Series B round totaled $100 million.",
     "B轮", 100_000_000, "USD"),
])
def test_amount_and_round_forms(text, rnd, amount, currency):
    d = one(text)
    assert (d.round, d.amount, d.currency) == (rnd, amount, currency)


@pytest.mark.parametrize("text", [
    "格物科技正在洽谈新一轮B轮融资，估值约10亿元。",
    "Gewu Tech is in talks to raise a $50 million Series B round led by Tencent.",
    "格物科技拟融资5亿元B轮。",
])
def test_planned_or_rumoured_rounds_are_not_loaded(text):
    assert all(d.doubts for d in extract(text))


def test_every_fixture_deal_with_a_round_is_loadable():
    for name in ("news_real_styles.jsonl", "news_blind.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item["round"]:
                best = [d for d in extract(item["text"]) if _norm(d.company) == _norm(item["company"])]
                assert best and not best[0].doubts, (item["text"][:40], [d.doubts for d in best])


@pytest.mark.parametrize("text, investors", [
    ("继2016年年初获得京东1亿美元D轮投资后，物流机器人公司快仓智能近日完成5亿元E轮融资，由软银中国领投。", ["软银中国"]),
    ("物流机器人公司快仓智能在2016年年初获得京东1亿美元D轮投资后，近日又完成了5亿元E轮融资，由软银中国领投。", ["软银中国"]),
    ("快仓智能近日完成5亿元E轮融资，由软银中国领投，红杉中国、IDG资本均出现在了本轮投资方名单中。",
     ["软银中国", "红杉资本（中国）", "IDG资本"]),
    ("快仓智能近日完成5亿元E轮融资，由软银中国领投，战略伙伴包括华为。", ["软银中国"]),
    ("快仓智能近日完成5亿元E轮融资，由软银中国领投。公司此前已完成4轮融资，投资方包括红杉中国、IDG资本等。", ["软银中国"]),
])
def test_an_earlier_deal_in_the_text_gives_the_new_deal_nothing(text, investors):
    d = [d for d in extract(text) if d.round == "E轮"]
    assert len(d) == 1
    assert (d[0].amount, d[0].currency, d[0].date, d[0].investors) == (500_000_000, "CNY", None, investors)


@pytest.mark.parametrize("text, investors", [
    ("Dorabot, a Shenzhen-based maker of picking robots, palletizers and sorting systems, has raised $30 million in a "
     "Series B round led by Lenovo Capital.", ["联想创投"]),
    ("Dorabot, backed by Tencent, has raised $30 million in a Series B round led by Lenovo Capital.", ["联想创投"]),
    ("On Monday, Dorabot, a Shenzhen-based robot maker, said it has raised $30 million in a Series B round led by "
     "Lenovo Capital.", ["联想创投"]),
    ("Lenovo Capital has led a $30 million Series B investment into Dorabot, a robotics startup.", ["联想创投"]),
])
def test_english_appositives(text, investors):
    d = one(text)
    assert (d.company, d.round, d.amount, d.investors) == ("Dorabot", "B轮", 30_000_000, investors)


@pytest.mark.parametrize("text, rnd, amount, investors", [
    ("腾讯、顺为资本向格物智能注资5亿元，作为其B轮融资的一部分。", "B轮", 500_000_000, ["腾讯", "顺为资本"]),
    ("格物智能引入小米作为战略投资者，双方将在智能工厂领域合作。", "战略投资", None, ["小米"]),
    ("格物智能B轮融资3亿元，红杉中国领投。", "B轮", 300_000_000, ["红杉资本（中国）"]),
    ("格物智能获得由腾讯领投、顺为资本跟投的1亿元A轮融资。", "A轮", 100_000_000, ["腾讯", "顺为资本"]),
])
def test_more_chinese_shapes(text, rnd, amount, investors):
    d = one(text)
    assert (d.company, d.round, d.amount, d.investors) == ("格物智能", rnd, amount, investors)


@pytest.mark.parametrize("text, investors", [
    ("Robotics Startup Dorabot Raises $30 Million In Series B Funding Led By Lenovo Capital", ["联想创投"]),
    ("Chinese Industrial IoT Firm Dorabot Closes $30M Series B Round", []),
    ("Dorabot Secures $30M in Series B Led by Lenovo Capital, BlueRun Ventures", ["联想创投", "蓝驰创投"]),
])
def test_title_case_headlines(text, investors):
    d = one(text)
    assert (d.company, d.round, d.amount, d.investors) == ("Dorabot", "B轮", 30_000_000, investors)


@pytest.mark.parametrize("text, rnd, investors, leads", [
    ("Qiming Ventures has led a $30 million Series A investment in Gewu Tech, a Beijing-based startup with AI-driven "
     "inspection products. Others joining were Source Code Capital and Linear Capital.", "A轮",
     ["启明创投", "源码资本", "线性资本"], ["启明创投"]),
    ("Blue Lake Capital, GGV Capital, Yunqi Partners and ZhenFund have put $15 million in Series A funding in factory "
     "robot operator Gewu Tech in Shanghai.", "A轮", ["蓝湖资本", "纪源资本", "云启资本", "真格基金"], []),
    ("IDG Capital has led a $100-million Series C round in industrial platform Gewu Tech, China Money Network reported. "
     "Existing investors, including Matrix Partners China, Source Code Capital, and Vision Plus Capital, also "
     "participated in this round.", "C轮", ["IDG资本", "经纬中国", "源码资本", "元璟资本"], ["IDG资本"]),
    ("On April 8, the Shanghai-based industrial platform Gewu Tech received USD 37.9 million in Series B+ financing led "
     "by Hillhouse Capital, Primavera Capital and other firms.", "B+轮", ["高瓴资本", "春华资本"], ["高瓴资本", "春华资本"]),
])
def test_english_news_wire_shapes(text, rnd, investors, leads):
    d = one(text)
    assert (d.company, d.round, d.investors, d.lead_investors) == ("Gewu Tech", rnd, investors, leads)


@pytest.mark.parametrize("text, company, investors, leads", [
    ("【凌云光智】获得B轮融资 | 金额：2亿人民币 | 投资方：红杉中国、IDG资本 | 所属行业：工业互联网", "凌云光智",
     ["红杉资本（中国）", "IDG资本"], []),
    ("融资方：凌云光智；融资轮次：B轮；融资金额：2亿元；投资方：红杉中国（领投）、IDG资本", "凌云光智",
     ["红杉资本（中国）", "IDG资本"], ["红杉资本（中国）"]),
    ("凌云光智 | B轮 | 2亿人民币 | 红杉中国、IDG资本", "凌云光智", ["红杉资本（中国）", "IDG资本"], []),
    ("Company: Zhongke Vision | Round: Series B | Amount: RMB 200 million | Lead investor: Casstar | Other investors: "
     "Legend Star, Oriza Seed", "Zhongke Vision", ["中科创星", "联想之星", "元禾原点"], ["中科创星"]),
])
def test_records_and_table_rows(text, company, investors, leads):
    d = one(text)
    assert (d.company, d.round, d.amount, d.investors, d.lead_investors) == (company, "B轮", 200_000_000, investors, leads)


@pytest.mark.parametrize("text, amount", [("格物科技完成3.5億元B轮融资。", 350_000_000),
                                          ("Gewu Tech raised RMB 1.2 bln in a Series B round.", 1_200_000_000)])
def test_a_stray_traditional_amount_and_bln(text, amount):
    d = one(text)
    assert (d.round, d.amount, d.currency) == ("B轮", amount, "CNY")


@pytest.mark.parametrize("text", [
    "Tencent leads $30 million Series B in factory AI startup Gewu Tech",
    "Gewu Tech, which makes AI inspection systems, is the latest to raise: it took in $30 million in a Series B round "
    "led by Tencent.",
    "Gewu Tech completes $30 million Series B to expand its factory AI platform, led by Tencent",
])
def test_english_present_tense_and_it(text):
    d = one(text)
    assert (d.company, d.round, d.amount, d.lead_investors) == ("Gewu Tech", "B轮", 30_000_000, ["腾讯"])
