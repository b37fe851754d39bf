"""News extraction: each form of company, round, amount, date and role, in Chinese and English."""
from __future__ import annotations

import pytest

from loaders.news import Deal, Lexicon, extract, provenance
from loaders.news_nlp import names, pipeline
from loaders.news_rules import find_amounts, find_dates, find_rounds, normalise


def one(text: str, lexicon: Lexicon | None = None) -> Deal:
    deals = extract(text, lexicon)
    assert len(deals) == 1, [d.as_json() for d in deals]
    return deals[0]


# ------------------------------------------------------------------------------------ amounts
@pytest.mark.parametrize("text, value, currency", [
    ("完成8亿元C轮融资", 800_000_000, "CNY"),
    ("获得1.2亿元人民币B轮融资", 120_000_000, "CNY"),
    ("完成1,000万元天使轮融资", 10_000_000, "CNY"),
    ("完成2000万美元B轮融资", 20_000_000, "USD"),
    ("完成两亿元C+轮融资", 200_000_000, "CNY"),
    ("获得人民币5000万元A轮投资", 50_000_000, "CNY"),
    ("完成三千万元A轮融资", 30_000_000, "CNY"),
    ("完成1500万美金A轮融资", 15_000_000, "USD"),
    ("完成5000万A轮融资", 50_000_000, "CNY"),
    ("ＢＢ完成８亿元Ｂ轮融资", 800_000_000, "CNY"),
    ("raised US$15 million", 15_000_000, "USD"),
    ("raised RMB 150 million", 150_000_000, "CNY"),
    ("raised $15M", 15_000_000, "USD"),
    ("raised 15 million US dollars", 15_000_000, "USD"),
    ("a 300 million yuan Series C", 300_000_000, "CNY"),
    ("USD 20 million", 20_000_000, "USD"),
    ("$1.5 billion", 1_500_000_000, "USD"),
])
def test_amounts(text, value, currency):
    marks = find_amounts(normalise(text))
    assert marks and marks[0].value is not None
    assert marks[0].value.value == value and marks[0].value.currency == currency == marks[0].currency


@pytest.mark.parametrize("text, currency", [
    ("数千万元", "CNY"), ("数亿元", "CNY"), ("近亿元", "CNY"), ("超亿元", "CNY"), ("亿元级", "CNY"),
    ("过亿元", "CNY"), ("超过1亿元", "CNY"), ("近2亿元", "CNY"), ("1亿元以上", "CNY"), ("数千万美元", "USD"),
    ("tens of millions of yuan", "CNY"), ("hundreds of millions of yuan", "CNY"), ("nearly RMB 100 million", "CNY"),
    ("over $10 million", "USD"), ("nearly 500 million yuan", "CNY"), ("亿元", "CNY"), ("1000万-2000万美元", "USD"),
])
def test_vague_amounts_are_null_with_their_currency(text, currency):
    marks = find_amounts(normalise(f"完成{text}A轮融资" if "元" in text else f"raised {text} in a round"))
    assert marks and marks[0].value is None and marks[0].currency == currency


@pytest.mark.parametrize("text", ["元气森林完成新一轮融资", "统一元件", "注册资本3000元"])
def test_no_amount(text):
    assert find_amounts(normalise(text)) == []


# -------------------------------------------------------------------------------------- dates
@pytest.mark.parametrize("text, iso", [
    ("2019年9月18日，X完成", "2019-09-18"), ("2019年5月，X完成", "2019-05"), ("On 2019-06-12, X raised", "2019-06-12"),
    ("closed on 2019-08-30.", "2019-08-30"), ("on June 12, 2019", "2019-06-12"), ("on 12 June 2019", "2019-06-12"),
    ("on Sept. 3rd, 2019", "2019-09-03"), ("in July 2020", "2020-07"), ("2019.07.09，X完成", "2019-07-09"),
    ("2019/9/18", "2019-09-18"),
])
def test_dates(text, iso):
    assert [m.value for m in find_dates(normalise(text))][:1] == [iso]


@pytest.mark.parametrize("text", ["近日，X完成融资", "X recently raised", "公司成立于2015年", "founded in 2016", "2019年2月30日"])
def test_no_date(text):
    assert find_dates(normalise(text)) == []


# ------------------------------------------------------------------------------------- rounds
@pytest.mark.parametrize("text, label", [
    ("C轮", "C轮"), ("Pre-A轮", "Pre-A轮"), ("PreA轮", "Pre-A轮"), ("A+轮", "A+轮"), ("B1轮", "B1轮"),
    ("天使轮", "天使轮"), ("天使+轮", "天使+轮"), ("种子轮", "种子轮"), ("Pre-IPO轮", "Pre-IPO轮"),
    ("获得X的战略投资", "战略投资"), ("战略融资", "战略投资"), ("Series A", "A轮"), ("Pre-Series B", "Pre-B轮"),
    ("a Pre-A round", "Pre-A轮"), ("Series A+ round", "A+轮"), ("seed round", "种子轮"), ("an angel round", "天使轮"),
    ("a pre-IPO round", "Pre-IPO轮"), ("strategic investment", "战略投资"), ("Series B-1", "B1轮"),
])
def test_rounds(text, label):
    assert [m.value for m in find_rounds(normalise(text))][:1] == [label]


@pytest.mark.parametrize("text", ["天使投资人张三", "英诺天使基金", "战略投资者", "新一轮融资", "A round of funding", "DATA轮"])
def test_not_rounds(text):
    assert [m.value for m in find_rounds(normalise(text))] == []


def test_round_words_inside_an_investor_name_are_no_round():
    assert one("格物科技完成新一轮融资，英诺天使基金领投。").round is None
    assert one("格物科技完成融资，真格天使基金领投。").round is None


# ------------------------------------------------------------------------------------ company
@pytest.mark.parametrize("text, company", [
    ("2019年11月7日，工业视觉企业睿铂智能完成1.5亿元B+轮融资。", "睿铂智能"),
    ("工业互联网平台数澜科技宣布完成3亿元C轮融资。", "数澜科技"),
    ("边缘计算企业钛擎智能近日获得数千万元Pre-A轮投资。", "钛擎智能"),
    ("工业安全公司蓝昇信息完成2000万美元B轮融资。", "蓝昇信息"),
    ("工业机器人公司谷川智造完成近亿元A+轮融资。", "谷川智造"),
    ("专注于工业视觉检测的深圳企业智维云完成A轮融资。", "智维云"),
    ("工业互联网平台「云枢智能」已于近日完成Pre-A轮融资。", "云枢智能"),
    ("北京格物科技有限公司（以下简称“格物科技”）宣布完成5000万元A轮融资。", "格物科技"),
    ("工业软件开发商华数软件于2020年10月12日完成2亿元Pre-IPO轮融资。", "华数软件"),
    ("东方智联今日宣布，公司已完成B轮融资。", "东方智联"),
    ("工业互联网平台商树根互联完成8.4亿元B轮融资。", "树根互联"),
    ("凌工数据获得东方富海的战略投资。", "凌工数据"),
    ("红杉中国领投了工业软件企业智能云图的A轮融资。", "智能云图"),
    ("深创投完成对工业互联网平台企业智链云的B轮投资。", "智链云"),
    ("数澜科技宣布：公司已完成3亿元C轮融资。", "数澜科技"),
    ("工业机器人核心部件厂商绿的精密获得元禾原点的投资，金额为8000万元。", "绿的精密"),
    ("On 2019-06-12, Beijing-based industrial software firm Gewu Tech raised RMB 80 million.", "Gewu Tech"),
    ("Zhejiang-based MES provider Supcon Digital said on Dec 1, 2020 that it has received RMB 400 million.",
     "Supcon Digital"),
    ("Industrial IoT startup Tianshu Information closed a US$12 million Pre-A round.", "Tianshu Information"),
    ("Tianshu Information, an industrial IoT startup, completed a Series A round.", "Tianshu Information"),
    ("Gewu Tech, which makes MES software, said on Monday it had raised $10 million.", "Gewu Tech"),
    ("China's industrial software firm Supcon Soft raised 500 million yuan.", "Supcon Soft"),
    ("Sequoia China led a US$30 million Series B round in industrial IoT platform Tuya Edge.", "Tuya Edge"),
    ("Hillhouse Capital has invested RMB 150 million in Ningbo-based developer Suanfa Tech.", "Suanfa Tech"),
    ("Gearbox AI's $20 million Series B round was led by Qiming Venture Partners.", "Gearbox AI"),
])
def test_company(text, company):
    assert one(text).company == company


def test_descriptor_gives_segment_and_region():
    d = one("On 2019-06-12, Beijing-based industrial software firm Gewu Tech raised RMB 80 million.")
    assert (d.segment, d.region) == ("工业软件及APP", "province:北京")
    d = one("2019年4月，北京的工业互联网安全企业天防科技完成6000万元A轮融资。")
    assert (d.company, d.segment, d.region) == ("天防科技", "安全", "province:北京")
    assert one("边缘计算企业钛擎智能获得A轮投资。").segment == "工业自动化与边缘计算"
    assert one("工业互联网平台数澜科技完成C轮融资。").segment == "平台"
    assert one("工业机器人公司谷川智造完成A轮融资。").segment is None


@pytest.mark.parametrize("text", [
    "工信部发布《工业互联网创新发展行动计划（2021-2023年）》。",
    "阿里山风景区今年游客超过100万人次。",
    "据悉，该公司成立于2015年，此前曾获得红杉资本的天使轮投资。",
    "The company was founded in 2016 and is headquartered in Shanghai.",
    "",
])
def test_no_deal(text):
    assert extract(text) == []


# -------------------------------------------------------------------------------------- roles
@pytest.mark.parametrize("text, investors, leads", [
    ("格物科技完成C轮融资，由中金资本领投，老股东红杉资本（中国）、深创投跟投。", ["中金资本", "红杉资本（中国）", "深创投"], ["中金资本"]),
    ("格物科技完成B+轮融资，达晨资本、同创伟业联合领投。", ["达晨资本", "同创伟业"], ["达晨资本", "同创伟业"]),
    ("格物科技完成B轮融资，由深创投和松禾资本共同领投，毅达资本参投。", ["深创投", "松禾资本", "毅达资本"], ["深创投", "松禾资本"]),
    ("格物科技完成D轮融资，本轮由腾讯独家投资。", ["腾讯"], ["腾讯"]),
    ("格物科技完成天使轮融资，投资方为中科创星。", ["中科创星"], []),
    ("格物科技完成A轮融资，投资方包括源码资本、线性资本和明势资本。", ["源码资本", "线性资本", "明势资本"], []),
    ("格物科技获得东方富海的战略投资。", ["东方富海"], []),
    ("格物科技完成Pre-A轮融资，由东方富海投资。", ["东方富海"], []),
    ("格物科技完成C轮融资，由国家制造业转型升级基金领投，老股东高榕资本、蓝驰创投继续追加投资。",
     ["国家制造业转型升级基金", "高榕资本", "蓝驰创投"], ["国家制造业转型升级基金"]),
    ("格物科技完成A轮融资，领投方为联想之星，跟投方为元璟资本。", ["联想之星", "元璟资本"], ["联想之星"]),
    ("格物科技获得由元璟资本领投，蓝湖资本、愉悦资本跟投的1.8亿元B轮融资。", ["元璟资本", "蓝湖资本", "愉悦资本"], ["元璟资本"]),
    ("格物科技完成新一轮融资，由腾讯投资和小米集团共同投资。", ["腾讯", "小米"], []),
    ("格物科技获得A轮融资，本轮由甬江基金领投，宁波天使投资引导基金参投。", ["甬江基金", "宁波天使投资引导基金"], ["甬江基金"]),
    ("格物科技完成C轮融资，由和利资本领投，老股东达晨创投和深圳高新投跟投。", ["和利资本", "达晨资本", "深圳高新投"], ["和利资本"]),
    ("格物科技完成新一轮融资，由红杉中国种子基金投资。", ["红杉资本（中国）"], []),
    ("格物科技完成A轮融资，由Plug and Play China和英诺天使基金共同投资。", ["Plug and Play China", "英诺天使基金"], []),
    ("格物科技完成B轮融资，独家投资方为北极光创投。", ["北极光创投"], ["北极光创投"]),
    ("格物科技喜获3亿元A轮融资，本轮融资由国投创业牵头，中金资本参与。", ["国投创业", "中金资本"], ["国投创业"]),
    ("格物科技再获1亿美元C轮融资，软银愿景基金领投，老股东启明创投超额认购。", ["软银愿景基金", "启明创投"], ["软银愿景基金"]),
    ("数澜科技完成3亿元C轮融资，由IDG资本（IDG Capital）领投。", ["IDG资本"], ["IDG资本"]),
    ("Senseye secured $2.5M in a pre-A round on 3 March 2021 from Redwood Ventures and Plug and Play.",
     ["Redwood Ventures", "Plug and Play"], []),
    ("Gewu Tech raised RMB 80 million in a Series A round led by Lenovo Capital, with Baidu Ventures participating.",
     ["联想创投", "百度风投"], ["联想创投"]),
    ("Tianshu closed a US$12 million Pre-A round on 2019-08-30, co-led by ZhenFund and Sequoia China.",
     ["真格基金", "红杉资本（中国）"], ["真格基金", "红杉资本（中国）"]),
    (("Kaiyu closed a Series C round led by Qiming Venture Partners and Legend Capital, with participation from existing "
     "investors Matrix Partners China and Shunwei Capital."), ["启明创投", "君联资本", "经纬中国", "顺为资本"], ["启明创投", "君联资本"]),
    (("Bitfab completed a US$18 million Series A+ round. The investment was led by Vertex Ventures China, and existing "
     "investors Innoangel Fund and K2VC participated."), ["祥峰投资", "英诺天使基金", "险峰长青"], ["祥峰投资"]),
    (("Holoworks completed a $12 million Series A+ round. Matrix Partners China led the round, and existing investor "
     "ZhenFund followed on."), ["经纬中国", "真格基金"], ["经纬中国"]),
    ("Sensetek closed a $25 million Series C, with CITIC PE as lead investor and Cathay Capital participating.",
     ["中信产业基金", "凯辉基金"], ["中信产业基金"]),
    ("Yuanqi Robotics completed a Pre-A+ round of RMB 30 million, with Legend Star as the sole investor.", ["联想之星"], ["联想之星"]),
    ("Shieldtech has received a strategic investment from Tencent.", ["腾讯"], []),
    ("Gongxin Tech has raised tens of millions of yuan in an angel round backed by Oriza Seed.", ["元禾原点"], []),
    (("FlexiCore has raised $10 million in Series A funding led by GSR Ventures and joined by existing backer Gaorong "
     "Capital, it said."), ["金沙江创投", "高榕资本"], ["金沙江创投"]),
    ("Gewu Tech raised $5 million in a seed round led by Bluewave Capital and Redwood Partners.",
     ["Bluewave Capital", "Redwood Partners"], ["Bluewave Capital", "Redwood Partners"]),
])
def test_roles(text, investors, leads):
    d = one(text)
    assert d.investors == investors
    assert d.lead_investors == leads


@pytest.mark.parametrize("text, advisor", [
    ("格物科技完成B轮融资，本轮由高瓴资本领投，IDG资本、源码资本跟投，光源资本担任独家财务顾问。", "光源资本"),
    ("格物科技完成B轮融资，由启明创投领投，华兴资本担任本轮独家财务顾问。", "华兴资本"),
    ("格物科技完成C轮融资，由中金资本领投，本轮融资的独家财务顾问为光源资本。", "光源资本"),
    (("Nexbot raised RMB 120 million in a Pre-Series B round, led by China Merchants Venture. China Renaissance served "
     "as the exclusive financial adviser."), "华兴资本"),
    ("DataPipe closed its $45 million Series C led by Primavera Capital. Goldman Sachs acted as financial advisor.",
     "Goldman Sachs"),
    ("Gewu Tech raised $20 million in a Series B round led by IDG Capital and advised by Cygnus Equity.", "光源资本"),
])
def test_advisors_are_not_investors(text, advisor):
    d = one(text)
    assert advisor not in d.investors and advisor not in d.lead_investors
    assert advisor in d.advisors
    assert d.investors


def test_history_clause_is_not_the_deal():
    d = one("智能制造服务商盘古智能近日宣布完成1亿元B轮融资，由春华资本领投。此前，盘古智能曾获得真格基金的天使轮投资。")
    assert (d.round, d.amount, d.investors) == ("B轮", 100_000_000, ["春华资本"])
    d = one("格物科技完成3.5亿元C轮融资，投后估值超过30亿元，本轮由中信产业基金领投。")
    assert d.amount == 350_000_000


def test_relative_date_is_null_and_vague_amount_keeps_currency():
    d = one("边缘计算企业钛擎智能近日获得数千万元Pre-A轮投资，投资方为真格基金。")
    assert (d.date, d.amount, d.currency) == (None, None, "CNY")
    d = one("2018年12月3日，凌工数据获得东方富海的战略投资，具体金额未披露。")
    assert (d.date, d.amount, d.currency) == ("2018-12-03", None, None)


@pytest.mark.parametrize("text, expected", [
    ("2020年5月，工业软件企业图研科技完成8000万元A轮融资，由君联资本领投；同月，工业网络安全公司安络科技完成5000万元天使轮融资，投资方为中科创星。",
     [("图研科技", "A轮", 80_000_000, "2020-05", ["君联资本"]), ("安络科技", "天使轮", 50_000_000, "2020-05", ["中科创星"])]),
    ("2020年3月，智能制造企业迈科智能完成2亿元B轮融资，由IDG资本领投。同日，工业软件公司数研科技获得3000万元天使轮融资，投资方为真格基金。",
     [("迈科智能", "B轮", 200_000_000, "2020-03", ["IDG资本"]), ("数研科技", "天使轮", 30_000_000, "2020-03", ["真格基金"])]),
    (("In June 2020, Qingdao-based Haiwei Robotics raised RMB 60 million in a Series A round led by Addor Capital; "
     "meanwhile, industrial AI firm Zhiyuan Vision closed a $5 million angel round from Sinovation Ventures."),
     [("Haiwei Robotics", "A轮", 60_000_000, "2020-06", ["毅达资本"]), ("Zhiyuan Vision", "天使轮", 5_000_000, "2020-06", ["创新工场"])]),
    (("Wuhan-based Lingxi Robotics raised RMB 40 million in a Pre-A round led by Casstar, and Shenyang-based MachineMind "
     "secured a US$6 million seed round from Sinovation Ventures."),
     [("Lingxi Robotics", "Pre-A轮", 40_000_000, None, ["中科创星"]), ("MachineMind", "种子轮", 6_000_000, None, ["创新工场"])]),
])
def test_two_deals_in_one_text(text, expected):
    got = [(d.company, d.round, d.amount, d.date, d.investors) for d in extract(text)]
    assert got == expected


# ---------------------------------------------------------------------------- names, gazetteer
def test_short_aliases_do_not_fire_inside_words():
    doc = pipeline("zh")(normalise("阿里山的红杉树下，经纬线交错；由阿里领投，经纬跟投"))
    found = [(s.text, s.start_char) for s in names(doc)]
    assert ("阿里", 0) not in found and all(t != "红杉" for t, _ in found)
    assert [t for t, _ in found] == ["阿里", "经纬"]


def test_longest_match_wins():
    doc = pipeline("zh")(normalise("由红杉资本中国领投，IDG资本中国跟投"))
    assert [(s.text, s.id_) for s in names(doc)] == [("红杉资本中国", "红杉资本（中国）"), ("IDG资本中国", "IDG资本")]
    doc = pipeline("en")("led by Lenovo Capital and Incubator Group and GSR Ventures")
    assert [s.id_ for s in names(doc)] == ["联想创投", "金沙江创投"]


def test_unknown_names_are_kept_as_written():
    d = one("2019年10月15日，杭州工业物联网企业宏鼎物联获得5000万元Pre-A轮融资，由星河创投独家投资。")
    assert (d.company, d.investors, d.lead_investors, d.region) == ("宏鼎物联", ["星河创投"], ["星河创投"], "city:杭州")


def test_graph_names_resolve_investors_and_companies():
    lex = Lexicon(investors={"北方之光": "北方之光资本", "北方之光资本": "北方之光资本"},
                  companies={"格物科技": "格物科技"})
    d = one("工业软件公司格物科技完成A轮融资，由北方之光领投。", lex)
    assert (d.company, d.investors, d.lead_investors) == ("格物科技", ["北方之光资本"], ["北方之光资本"])
    assert one("工业软件公司格物科技完成A轮融资，由北方之光领投。").investors == ["北方之光"]


def test_pipelines_are_built_once():
    assert pipeline("zh") is pipeline("zh")
    assert pipeline("en") is pipeline("en")
    lex = Lexicon(investors={"甲": "甲资本"})
    assert pipeline("zh", lex) is pipeline("zh", Lexicon(investors={"甲": "甲资本"}))
    assert pipeline("zh", lex) is not pipeline("zh")


def test_json_shape_and_provenance():
    d = one("2019年5月，工业安全公司蓝昇信息完成2000万美元B轮融资，本轮由高瓴资本领投。")
    js = d.as_json()
    assert list(js)[:7] == ["company", "round", "amount", "currency", "date", "investors", "lead_investors"]
    assert set(js) - set(list(js)[:7]) <= {"evidence", "confidence", "field_confidence", "doubts"}
    assert 0.0 <= js["confidence"] <= 1.0
    assert js["amount"] == 20_000_000 and isinstance(js["amount"], int)
    p = provenance("数澜科技完成3亿元C轮融资")
    assert p.startswith("news:") and len(p) == 21 and p == provenance(" 数澜科技完成3亿元C轮融资 ")


def test_extract_command_in_process(tmp_path, workspace):
    from click.testing import CliRunner

    from kg.cli import main

    f = tmp_path / "a.txt"
    f.write_text("边缘计算企业钛擎智能近日获得数千万元Pre-A轮投资，投资方为真格基金。\n没有交易。\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["--workspace", str(workspace), "extract", "--no-graph", str(f)])
    assert res.exit_code == 0, res.output
    assert "钛擎智能 | Pre-A轮 | undisclosed (CNY, vague) | no date | 真格基金" in res.output
    assert "(no deal)" in res.output
