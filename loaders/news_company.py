"""Which company raised: the subject of a financing predicate, or the object of an investor's verb.

Chinese: the noun phrase before 完成/获得/获 … 融资 (after a date, 近日, a quoted name or a
descriptor such as 工业视觉企业 or 总部位于杭州的…公司), the subject of an earlier ``X宣布，`` when
the clause says 公司已完成, and 领投了X的…轮 / 完成对X的…投资. English: the name run before
raised/closed/completed/secured … (after "Beijing-based industrial software firm"), with
appositives (", an industrial IoT startup,") set aside; "… round in X", "invested … in X" and
"X's Series B". Each finder returns ``(company, descriptor)``; the descriptor feeds segment and
region.
"""
from __future__ import annotations

import re

from loaders.news_nlp import Frame, is_investor, known_company
from loaders.news_rules import CJK
from loaders.news_vocab import alternation, words
from ontology import clean_name
from ontology import load as load_ontology

_I = re.IGNORECASE

__all__ = [
    "EN_DET",
    "MONTH_WORDS",
    "ZH_PRONOUN",
    "en_anchors",
    "en_investor_first",
    "name_token",
    "zh_anchor",
    "zh_investor_first",
    "zh_is_a",
]

# ============================================================================ company: Chinese
_ZH_PRED = re.compile(
    r"(?:正式|已经|已|近日|日前|今日|今天|昨日|近期|再次|再度|成功|顺利|又|再|刚刚|终于|宣布|官宣|也|均|分别|连续|接连|相继|先后|陆续|同时|一举|仍然|仍|依然|依旧|还是|还)*"
    r"(?P<verb>完成|获得(?![^,:;。]{0,8}(?:青睐|认可|关注|肯定|好评|支持|荣誉|称号|奖))|"
    r"获(?![悉奖批评颁选知准]|[^,:;。]{0,8}(?:青睐|认可|关注|肯定|好评|支持|荣誉|称号|奖))|拿到|斩获|收获|迎来|敲定|获取|融资(?=\s*(?:\d|[一二两三四五六七八九十数几近超逾约]|人民币|美元))|"
    + alternation(words("zh_predicates")) + ")")
_ZH_OBJECT = re.compile(r"融资|投资|轮|注资|领投|获投|战略|资金|\x00")
_ZH_HEADS = sorted(["企业", "公司", "平台", "平台商", "设备商", "软件商", "硬件商", "系统商", "服务商", "提供商", "供应商", "厂商",
                   "制造商", "开发商", "运营商", "方案商", "集成商", "创企", "初创", "独角兽", "品牌", "领军者", "领导者", "龙头",
                   "新锐", "创业团队", "明星项目", "项目", "先行者", "引领者", "研发商", "生产商", "服务提供者", "对手", "子公司", "单位", "成员", "新创", "新创公司", "初创企业", "初创公司",
                   "旗下"], key=len, reverse=True)
_ZH_GENERIC = {"科技", "智能", "信息", "网络", "技术", "集团", "股份", "有限公司", "股份有限公司", "科技有限公司", "数据",
               "软件", "系统", "公司", "企业", "平台", "服务", "智造", "制造", "自动化", "机器人"}
ZH_PRONOUN = re.compile(r"^(?:该公司|本公司|公司|该企业|企业|其|它|我们|我司|本轮|此轮|该轮|本次|此次|团队|项目|该项目|平台|"
                         r"这|此|该)$|^(?:本轮|此轮|该轮|本次|此次|上一轮|这一轮)|融资|投资")
_DECOR_ZH = alternation(words("decorations", "zh"))
_SOURCE_ZH = alternation(words("sources", "zh") + words("sources", "en"))
_ZH_LEAD_STRIP = re.compile(
    r"^(?:[\s、\"“”'「」『』《》\x00!:|]|【[^】]{0,20}】|\[[^\]]{0,20}\]|" + _DECOR_ZH + "|"
    r"据\s*" + _SOURCE_ZH + r"(?:\s*(?:报道|消息|获悉|了解))?|" + _SOURCE_ZH + r"(?:\s*(?:报道|消息|获悉|讯|独家))?|"
    r"据悉|据了解|据报道|据介绍|消息称|报道称|记者获悉|获悉|近日|日前|今日|今天|昨日|昨天|近期|最近|"
    r"目前|本周|上周|此外|另外|同时|其中|而|又|今年|去年|这是|这也是|此为|系|继|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|"
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?)+")
_ZH_TAIL_STRIP = re.compile(
    r"(?:[\s\x00]|年初|年底|年末|年中|上半年|下半年|月初|月底|月中|此前|之前|以前|曾经|曾|先后|刚刚|刚|随后|随即|此后|之后|还|另外|对外界|对外|向外界|向媒体|\d{1,2}\s*月(?:底|初|中旬|上旬|下旬|份|末)|[一二两三四五六七八九十半几数\d]+个?(?:月|天|周|星期|日|年)(?:之?前|以来)?|近日|日前|今日|今天|昨日|昨天|近期|最近|目前|已经|已|正式|再次|再度|成功|顺利|也|又|再|刚刚|终于|宣布|官宣|"
    r"(?:今年|去年|年初|成立|自成立|近年|近几年)以来|近年来|"
    r"今年|本月|本周|分别|均|于|在|有望|或将|即将|传出|传闻|计划|预计|拟|将|第?[一二三四1-4]季度|Q[1-4]|上半年|下半年|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|"
    r"\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?)+$")
_ZH_QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]{2,40})[”\"」』》]")
_ZH_SHORT = re.compile(r"[(（][^()（）]*?(?:简称|下称)\s*[:：]?\s*[“\"「]?([^”\"」()（）]{2,30})[”\"」]?[^()（）]*[)）]")
_ZH_PAREN = re.compile(r"[(（][^()（）]*[)）]")


def _clean_company_zh(f: Frame, a: int, b: int) -> tuple[str, str] | None:
    """(company, descriptor) from the noun phrase ``t[a:b]`` before a financing predicate."""
    np_ = f.t[a:b]
    bracketed_name = re.fullmatch(r"\s*[【\[]([^】\]]{2,20})[】\]]\s*", np_)
    if bracketed_name and not is_investor(f, bracketed_name.group(1)):  # 【凌云光智】获得B轮融资 | 金额：…
        return _valid_zh(f, bracketed_name.group(1), "")
    known = known_company(f, a, b)
    if known:
        return known[0], f.t[a:known[1]]
    said = re.search(r"(?:正式)?(?:宣布|官宣|表示|消息)\s*:", np_)
    if said and _ZH_LEAD_STRIP.sub("", np_[:said.start()]).strip():
        np_ = np_[:said.start()]  # 数澜科技宣布：公司已完成… (官宣：X完成…: a decoration, the name follows)
    colon = max(np_.rfind(c) for c in ":>›»—")
    if 0 <= colon and len(np_) - colon - 1 >= 2:  # 工业软件：华大数智完成…, 首页 > 资讯 > X: a label before the name
        np_ = np_[colon + 1:]
    segs = np_.split()
    if len(segs) > 1 and len(CJK.findall(segs[-1])) >= 2 and CJK.search(segs[-2][-1]):
        np_ = segs[-1]  # 正文 格物科技: words apart in Chinese are apart
    np_ = _ZH_LEAD_STRIP.sub("", np_)
    np_ = _ZH_TAIL_STRIP.sub("", np_)
    m = _ZH_SHORT.search(np_)
    if m:
        got = _valid_zh(f, m.group(1), np_[:m.start()])
        legal = _legal_name(np_[:m.start()]) or (("", np_[:m.start()]) if re.search(_LEGAL_ZH + "$", np_[:m.start()]) else None)
        if got and legal:  # 北京天工智造机器人有限公司（简称“天工智造”）
            remember_full_form(f, got[0], legal[1])
        return got
    quoted = _ZH_QUOTED.findall(np_)
    if quoted:
        q = quoted[-1]
        return _valid_zh(f, q, np_[:np_.rfind(q)])
    np_ = re.sub(r"在" + _region_prefix().pattern + r"$", "", np_)  # 智行工业在深圳宣布完成…
    np_ = re.sub(r"(?:从|自|向)[^,;。]{2,60}?(?:手中|处|那里)$", "", np_)  # X从A和B两家机构手中融到了…
    legal = _legal_name(np_)
    if legal:  # 上海市工业互联网协会会员单位上海云锐数智科技股份有限公司: the legal name is the name
        return _valid_zh(f, legal[1], legal[0])
    bracketed = np_ if _ZH_PAREN.search(np_) else None
    np_ = _ZH_PAREN.sub("", np_).strip()
    np_ = re.sub(r"[“”\"「」『』《》]", "", np_)
    descriptor = ""
    best = None
    for head in _ZH_HEADS:
        for m in re.finditer(re.escape(head), np_):
            rest = np_[m.end():]
            if len(rest) >= 2 and rest not in _ZH_GENERIC and (best is None or m.end() > best):
                best = m.end()
    if best is None:  # 工业软件商X: a bare 商 as the last resort
        m = re.search(r"(?<=[\u4e00-\u9fff]{2})商(?=.{2,})", np_)
        if m and np_[m.end():] not in _ZH_GENERIC:
            best = m.end()
    if best is not None:
        descriptor, np_ = np_[:best], np_[best:]
    i = np_.rfind("的")  # 总部位于杭州的X; not the 的 of 绿的精密
    if i >= 2 and len(np_) - i - 1 >= 2:
        descriptor, np_ = descriptor + np_[:i + 1], np_[i + 1:]
    if np_.endswith("公司") and not np_.endswith("有限公司") and len(np_) > 4:
        np_ = np_[:-2]
    got = _valid_zh(f, np_, descriptor)
    if got and bracketed:  # 梅卡曼德(Mech-Mind)机器人科技: the bilingual form is an alias
        gap = r"(?:\s*[(（][A-Za-z0-9 .,&'’-]+[)）]\s*)?"
        m = re.search(gap.join(map(re.escape, got[0])) + gap, bracketed)
        if m and m.group() != got[0]:
            remember_full_form(f, got[0], m.group())
    return got


def _valid_zh(f: Frame, name: str, descriptor: str) -> tuple[str, str] | None:
    name = name.strip(" \x00、,:—-")
    if not (2 <= len(name) <= 40) or ZH_PRONOUN.search(name) or "\x00" in name:
        return None
    if re.search(r"[,;。、]|完成|获得|宣布|领投|跟投", name) or name[0] in ")）]】>" \
            or re.search(r"(?:领域|赛道|行业|市场|产业|板块)$", name):
        return None
    if not CJK.search(name) and not re.search(r"[A-Za-z]{2}", name):
        return None
    if re.match(r"^(?:这|该|此|本|那)(?:家|个|一)?", name) and re.search(_ZH_HEAD_RX + "$", name):
        return None  # 这家工业视觉检测企业: a reference to a company named before
    if re.fullmatch(_NOT_NAME_ZH, name):
        return None
    short = clean_name(reduce_company(name))
    if short != clean_name(name):
        remember_full_form(f, short, name)
    return short, descriptor.strip(" \x00")


def remember_full_form(f: Frame, short: str, full: str) -> None:
    """Keep the legal or bilingual form of a company's name (an alias of the graph's name)."""
    full = re.sub(r"\s+", " ", full.replace("\x01", ", ").strip(" \x00,、:\"“”「」"))
    if full and full != short:
        f.__dict__.setdefault("full_forms", {}).setdefault(short, [])
        if full not in f.full_forms[short]:
            f.full_forms[short].append(full)


_ZH_HEAD_RX = "(?:" + "|".join(map(re.escape, _ZH_HEADS)) + ")"
_NOT_NAME_ZH = alternation(words("not_names", "zh"))
_LEGAL_ZH = alternation(words("legal_suffixes", "zh"))
_LEGAL_EN = alternation(words("legal_suffixes", "en"))
_REGION_MARK = alternation(words("region_markers"))
_REGION_PREFIX: list = []


def _region_prefix():
    if not _REGION_PREFIX:
        onto = load_ontology()
        names = {a for r in onto.regions if r.level in ("province", "city")
                 for a in (r.name, r.full) if a and CJK.search(a)}
        _REGION_PREFIX.append(re.compile("(?:" + "|".join(sorted(map(re.escape, names), key=len, reverse=True))
                                         + ")" + _REGION_MARK + "?"))
    return _REGION_PREFIX[0]


def _legal_name(np_: str) -> tuple[str, str] | None:
    """(descriptor, legal name) when ``np_`` ends with a registered name (region … 有限公司)."""
    m = re.search(r"(?:[(（][^()（）]{1,8}[)）])?" + _LEGAL_ZH + "$", np_)
    if not m:
        return None
    starts = [r.start() for r in _region_prefix().finditer(np_, 0, m.start()) if m.start() - r.end() >= 2]
    if not starts or starts[-1] == 0:
        return None
    return np_[:starts[-1]], np_[starts[-1]:]


def reduce_company(name: str) -> str:
    """The name the graph uses for a company written in its legal or bilingual form: a region
    prefix and a legal suffix go together (北京银河通用机器人有限公司 → 银河通用机器人), an English
    name beside or bracketed in a Chinese one goes (商汤科技 SenseTime → 商汤科技,
    梅卡曼德(Mech-Mind)机器人科技 → 梅卡曼德机器人科技).

    >>> reduce_company("北京银河通用机器人有限公司")
    '银河通用机器人'
    >>> reduce_company("商汤科技 SenseTime")
    '商汤科技'
    >>> reduce_company("梅卡曼德(Mech-Mind)机器人科技")
    '梅卡曼德机器人科技'
    """
    s = name.strip()
    if CJK.search(s):
        s = re.sub(r"\s*[(（][A-Za-z0-9 .,&'’-]+[)）]\s*", "", s)  # (Mech-Mind)
        m = re.match(r"^(.*[\u4e00-\u9fff][^A-Za-z]*?)\s+[A-Za-z][A-Za-z0-9 .&'’-]*$", s)
        if m and len(CJK.findall(m.group(1))) >= 2:  # 商汤科技 SenseTime
            s = m.group(1)
        m = re.search(r"(?:[(（][^()（）]{1,8}[)）])?" + _LEGAL_ZH + "$", s)  # 零重力飞机工业(合肥)有限公司
        if m and len(s) - len(m.group()) >= 2:
            s = s[:m.start()]
            for _ in range(2):  # 广东省深圳市…
                r = _region_prefix().match(s)
                if r and len(s) - r.end() >= 2:
                    s = s[r.end():]
    else:
        reduced = re.sub(r",?\s*" + _LEGAL_EN + r"\s*$", "", s).strip(" ,")
        if reduced and reduced != s:
            words_ = reduced.split()
            onto = load_ontology()
            for n in (2, 1):  # a city or province before a registered name: Hangzhou Lanxin Technology
                reg = onto.region(" ".join(words_[:n])) if len(words_) > n else None
                if reg is not None and reg.level in ("province", "city"):
                    reduced = " ".join(words_[n:])
                    break
            s = reduced
    return s


_ZH_PRIOR_SUBJECT = re.compile(r"\s*(?P<np>[^,;。]{2,30}?)(?:再次|再度|又|也|已经|已|正式|成功|近日|日前|今日)*"
                               r"(?:获得|获|迎来|受到|赢得|得到|收获)(?:了)?(?:资本|投资人|投资机构|资方|市场|多家机构)")


def zh_anchor(f: Frame, masked: str, clauses: list[tuple[int, int]], k: int):
    """A deal anchor in clause ``k``: (company, descriptor) or None."""
    a, b = clauses[k]
    text = masked
    for m in _ZH_PRED.finditer(text, a, b):
        rest = text[m.end():b]
        if ":" in rest and not _ZH_OBJECT.search(rest.split(":")[0]) and m.start() - a < 30:
            continue  # 又一家工业软件公司拿到钱了：析数科技完成…: the headline's kicker, the name after the colon
        if not _ZH_OBJECT.search(rest) and not (m.end() >= b - 1 and k + 1 < len(clauses)):
            continue
        if rest.startswith("对"):
            return _zh_object_company(f, text, m.end(), b)
        got = _clean_company_zh(f, a, m.start())
        subject = _ZH_LEAD_STRIP.sub("", _ZH_TAIL_STRIP.sub("", f.t[a:m.start()])).strip()
        if got is None and (not subject or ZH_PRONOUN.match(subject)) and k > 0:
            # "X宣布，已完成…": the subject is in the clause before
            pa, pb = clauses[k - 1]
            pm = re.search(r"(?:正式|对外|向外界|向媒体)?(?:宣布|官宣)$", f.t[pa:pb].strip())
            prior = _ZH_PRIOR_SUBJECT.match(f.t, pa, pb)
            if pm:
                got = _clean_company_zh(f, pa, pa + len(f.t[pa:pb].rstrip()) - len(pm.group(0)))
                before = _ZH_TAIL_STRIP.sub("", f.t[pa:pa + len(f.t[pa:pb].rstrip()) - len(pm.group(0))]).strip()
                if got is None and ZH_PRONOUN.match(before or "-"):
                    return REF, ""  # …算元科技近年来发展迅速。公司今日宣布，已完成…: the company named before
            elif prior and not subject:  # 织梦物联再次获得资本青睐，完成1亿元B轮融资: the subject of the clause before
                got = _clean_company_zh(f, pa, prior.end("np"))
            elif not subject and "的" in f.t[pa:pb]:
                # 此前已完成3轮融资的工业机器人公司节卡智能，近日又完成了…: the subject is the clause before
                got = _clean_company_zh(f, pa + f.t[pa:pb].rfind("的") + 1, pb)
        if got is None and (_ZH_REFERENCE.match(subject) or (not subject and k > 0 and re.search(r"又|再次|再度|再", f.t[a:m.start("verb")]))):
            return REF, ""  # 这家工业视觉检测企业完成…, …后，近日又完成了…: the company named before
        if got is not None:
            if is_investor(f, got[0]) and re.match(r"(?:了)?对", rest):
                return _zh_object_company(f, text, m.end(), b)
            return got
        continue  # 机器人领域近日迎来一笔重磅融资——初创企业X宣布完成…: a later verb may have the company
    q = _ZH_QUOTED_ROUND.search(text, a, b)
    if q and any(r[0] == q.end() - len(q.group("r")) for r in f.rounds):  # 智能检测装备「精测视觉」Pre-A+轮 | 金额：…
        got = _valid_zh(f, q.group("co"), f.t[a:q.start()])
        if got:
            return got
    p = _ZH_POSSESSIVE.match(text, a, b)
    if p and re.search(r"由|领投|投资|获|\x00", text[p.end():b] + (text[b:clauses[k + 1][1]] if k + 1 < len(clauses) else "")):
        # 迈科智造的B轮融资由招商局创投领投; …公司柔仓科技，9月份的D轮融资超2亿美元，由今日资本领投
        owner = _ZH_LEAD_STRIP.sub("", text[a:p.start("de")]).strip()
        if _ZH_WHEN.fullmatch(owner) and k > 0:
            pa, pb = clauses[k - 1]
            got = _clean_company_zh(f, pa + f.t[pa:pb].rfind("的") + 1, pb)
            if got is None:  # 思极机器人今年完成了2轮融资，其中9月底的C轮融资…: the company named before
                return REF, ""
        else:
            got = _clean_company_zh(f, a, p.start("de"))
        if got and not is_investor(f, got[0]):
            return got
    if _ZH_THIS_IS_ITS.search(text, a, b):  # 本轮为其B+轮融资: the company named before
        return REF, ""
    h = _ZH_HEADLINE.search(text, a, b)
    if h:  # 图灵视控B+轮融资落定: a headline without a verb
        return _clean_company_zh(f, a, h.start())
    return None


REF = "\x01ref"
_ZH_QUOTED_ROUND = re.compile(r"[“「『\"](?P<co>[^”」』\"\x00]{2,20})[”」』\"]\s*(?P<r>\x00+)")
_ZH_THIS_IS_ITS = re.compile(r"(?:本轮|此轮|本次|此次|这)(?:融资)?(?:为|是)(?:其|该公司|公司)(?:的)?(?:最新一轮)?\x00+\s*(?:融资|投资)?")
_ZH_IS_A = re.compile(r"(?:是|为)(?:一家|国内|中国|全球)")
_ZH_WHEN = re.compile(r"(?:其中|而|今年|去年|\d{1,2}\s*月(?:份|底|初|中旬|上旬|下旬)?|年初|年中|年底|年末|月底|月初|本月|上月)*")
_ZH_POSSESSIVE = re.compile(r"[^,;。的]{2,40}(?P<de>的)\s*(?:本轮|最新一轮|新一轮)?\x00+\s*(?:融资|投资)")
_ZH_REFERENCE = re.compile(r"^(?:(?:这|该|此|那)(?:家|个|一)?.{0,20}?(?:" + "|".join(map(re.escape, _ZH_HEADS)) +
                           r")|该公司|公司|其|它|我们|我司|本公司)$")
_ZH_HEADLINE = re.compile(r"\x00+\s*(?:融资|投资)?\s*(?:已|正式|顺利|宣布)?" + alternation(words("zh_headline_done"))
                          + r"(?=\s*(?:[,:;|!。]|$))|\x00+\s*(?:融资|投资)\s*(?:金额)?(?:为|达|超|约)?\s*\x00")


_ZH_INVESTOR_VERB = re.compile(r"(?:领投|独家投资|战略投资|投资|注资|入股|参投|跟投|参与)了?(?!方|人|机构|者|额|金|于|为)")
_ZH_CO_END = re.compile(r"的|公司的|(?:[A-H]\+?|Pre-?[A-H]\+?|天使|种子|战略|新一|首)轮|\x00|融资|投资|$")


def _zh_object_company(f: Frame, text: str, start: int, end: int):
    m = re.match(r"了?对\s*(?P<co>[^,;。]{2,60}?)(?:公司)?(?:的|进行|完成)", text[start:end])
    if not m:
        return None
    s = start + m.start("co")
    return _clean_company_zh(f, s, start + m.end("co"))


def record_company(f: Frame, a: int, b: int):
    """The company a labelled record names ("公司：X", "Company: X"): (name, "") or None."""
    if CJK.search(f.t[a:b]):
        return _clean_company_zh(f, a, b)
    got = _clean_company_en(f, a, b)
    return (got[0], "") if got else None


def zh_is_a(f: Frame, a: int, b: int) -> str | None:
    """The company a clause introduces ("智数科技是一家工业大数据平台公司"), or None."""
    m = _ZH_IS_A.search(f.t, a, b)
    if not m:
        d = _ZH_DESCRIBED.search(f.t, a, b)  # 仿真软件企业算元科技近年来发展迅速: named for a later 公司/其
        if not d:
            return None
        got = _clean_company_zh(f, a, d.end("co"))
        return got[0] if got and not is_investor(f, got[0]) else None
    got = _clean_company_zh(f, a, m.start())
    return got[0] if got and not is_investor(f, got[0]) else None


_ZH_DESCRIBED = re.compile(_ZH_HEAD_RX + r"(?P<co>[\u4e00-\u9fffA-Za-z]{2,10}?)(?=近年来|近年|近几年|目前|一直|始终|专注|致力|"
                           r"自成立|成立于|凭借|依托|的产品|旗下)")
_ZH_TOWARDS = re.compile(r"(?:向|为)\s*(?P<co>[^,;。向为\x00]{2,30}?)(?:公司)?\s*(?:注资|增资|投资|战略投资)")


def zh_investor_first(f: Frame, masked: str, a: int, b: int):
    """红杉资本领投了谷川智造的A轮融资 / 深创投完成对清匠科技的天使轮投资 → the company."""
    m = re.search(r"对\s*(?P<co>[^,;。对]{2,60}?)(?:公司)?(?:的|进行)", masked[a:b])
    if m and re.search(r"投资|融资|领投|注资", masked[a + m.end():b]):
        return _clean_company_zh(f, a + m.start("co"), a + m.end("co"))
    m = _ZH_TOWARDS.search(masked, a, b)
    if m and any(a <= s and e <= m.start() and lab == "INVESTOR" for s, e, lab, _ in f.names):
        got = _clean_company_zh(f, m.start("co"), m.end("co"))  # 腾讯、顺为资本向格物智能注资5亿元
        if got and not is_investor(f, got[0]):
            return got
    for m in _ZH_INVESTOR_VERB.finditer(masked, a, b):
        before = masked[a:m.start()]
        if not before.strip() or re.search(r"[由获]", before[-3:] if before else ""):
            continue
        if not (is_investor(f, _ZH_LEAD_STRIP.sub("", before).split("、")[-1]) or
                any(a <= s and e <= m.start() and lab == "INVESTOR" for s, e, lab, _ in f.names)):
            continue
        rest = masked[m.end():b]
        e = _ZH_CO_END.search(rest)
        co_end = m.end() + (e.start() if e else len(rest))
        if co_end - m.end() >= 2:
            got = _clean_company_zh(f, m.end(), co_end)
            if got and not is_investor(f, got[0]):
                return got
    return None


# ============================================================================= company: English
_EN_PRED = re.compile(
    r"\b(?P<verb>raised|raises|closed|closes|completed|completes|secured|secures|received|receives|landed|lands|"
    r"bagged|bags|obtained|obtains|got|gets|nabbed|nabs|snagged|picked up|picks up|wrapped up|attracted|attracts|"
    r"scored|clinched|announced|announces|banked|pulled in|pulls in|finali[sz]ed|sealed|won|took in|has raised|"
    + "|".join(re.escape(w) for w in sorted(words("en_predicates"), key=len, reverse=True)) + r")\b", _I)
_EN_OBJECT = re.compile(r"\b(?:round|funding|financing|investment|capital|series|seed|angel|million|billion|"
                        r"stake|pre-ipo)\b|[$¥€]|\bRMB\b|\bUSD\b", _I)
_EN_AUX_TAIL = re.compile(r"(?:\s+(?:has|have|had|just|recently|newly|officially|successfully|today|now|also|reportedly|"
                          r"quietly|finally|said|says|announced|announces|revealed|confirmed|that|it|they|on|"
                          r"\w+day))+\s*$", _I)
_EN_NAME_STOP = re.compile(r"-(?:based|headquartered|born|backed|focused|owned|listed|founded|funded)$|'s$|’s$", _I)
EN_DET = {"the", "it", "this", "its", "their", "our", "a", "an", "that", "which", "who", "what", "why", "how", "where",
          "when", "company", "startup", "firm",
           "round", "series", "funding", "investors", "investor", "newcomer", "unicorn", "start-up", "exclusive",
           "breaking", "report", "update", "deal", "chinese", "in", "on", "at", "for", "from", "by", "with", "to", "of",
           "and"} | {w.lower() for w in words("decorations", "en")}
_EN_HEADS = {w.lower() for w in words("en_heads")}
MONTH_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today"}


_EN_SHORT = re.compile(r"\(\s*(?:hereinafter\s+)?(?:(?:referred\s+to\s+as|or)\s+)?[\"“]([^\"”]{2,40})[\"”]\s*\)")
_EN_WHEN_ONLY = re.compile(r"(?:(?:on|in|by|last|this|earlier|late|early)\s+)?(?:(?:january|february|march|april|may|june|july|august|"
                           r"september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
                           r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|"
                           r"month|year|today|yesterday|\s)*", _I)
_EN_APPOSITIVE = re.compile(r",\s*(?:a|an|the|which|who|whose|one\s+of|backed\s+by|funded\s+by|founded\s+(?:in|by)|"
                            r"based\s+in|headquartered\s+in|formerly|known\s+as)\b", _I)
_EN_SAID = re.compile(r"\s+(?:said|says|announced|announces|told|tells|revealed|reveals|confirmed|confirms|disclosed|"
                      r"discloses|stated|states)\b(?=.*\b(?:that|it|the\s+(?:company|startup|firm))\b)", _I)
_EN_REFERENCE = re.compile(r"^\s*(?:(?:this|earlier\s+this|last)\s+(?:week|month)|on\s+[A-Z][a-z]+day|today|now|recently|"
                           r"in\s+[A-Z][a-z]+(?:\s+\d{4})?|then|and)?\s*,?\s*"
                           r"(?:the\s+(?:company|startup|firm|business|group|platform)|it)(?:\s+(?:has|had|have|now|also|"
                           r"just|recently|newly|officially))*\s*$", _I)


def name_token(tok: str) -> bool:
    if _EN_NAME_STOP.search(tok):
        return False
    core = tok.strip(",")
    return bool(re.match(r"^[A-Z0-9(\"“]", core) or re.match(r"^[a-z]+[A-Z]", core) or core in ("&", "+"))


def _clean_company_en(f: Frame, a: int, b: int) -> tuple[str, str] | None:
    """(company, descriptor) from the text before an English financing verb."""
    known = known_company(f, a, b)
    if known:
        return known[0], f.t[a:known[1]]
    chars = list(f.t[a:b])  # "X said on Dec 1, 2020 that it has …": dates are no part of the name
    for s, e, *_ in f.dates:
        for i in range(max(s, a), min(e, b)):
            chars[i - a] = " "
    np_ = "".join(chars)
    np_ = re.sub(r"\b(Co|Corp|Inc)\.,\s*(Ltd|Limited|Inc)\b", "\\1.\x01\\2", np_)  # keep "Co., Ltd." whole
    short = _EN_SHORT.search(np_)
    if short and re.search(_LEGAL_EN + r"[\s,]*$", np_[:short.start()]):
        # Beijing Yunzhi Robot Technology Co., Ltd. ("Yunzhi Robot"): a registered name's short form
        before = np_[:short.start()].replace("\x01", ", ").strip(" ,")
        run = re.search(r"(?:[A-Z][\w&'’.-]*[\s,]+)*[A-Z][\w&'’.-]*\.?$", before)
        if run:
            remember_full_form(f, short.group(1).strip(), run.group().replace("\x01", ", "))
        return short.group(1).strip(), before
    np_ = re.sub(r"\s*\([^()]*\)", " ", np_)  # Youibot Robotics ("Youibot" or "the Company"), a leading …
    np_ = re.sub(r"\s*(?:—|–|--)\s*(?:a|an|the|which|who|one)\b[^—–]*?(?:—|–|--)\s*$", " ", np_, flags=_I)  # X — a … —
    said = _EN_SAID.search(np_)
    if said:  # "X said on Wednesday that the company has closed …": X
        np_ = np_[:said.start()]
    np_ = _EN_AUX_TAIL.sub("", np_)
    appositive = ""
    m = re.search(r",\s*((?:a|an|the|which|who|whose|one of)\b[^,]*),?\s*$", np_)
    if m and not _EN_WHEN_ONLY.fullmatch(np_[:m.start()].strip()):  # not "On April 8, the …-based firm X"
        appositive, np_ = m.group(1), np_[:m.start()]
    m = _EN_APPOSITIVE.search(np_)
    if m and not _EN_WHEN_ONLY.fullmatch(np_[:m.start()].strip()):  # "Dorabot, a maker of picking robots, palletizers and sorting systems, has raised": Dorabot
        appositive, np_ = (np_[m.start() + 1:] + " " + appositive).strip(), np_[:m.start()]
    np_ = np_.rstrip(", ")
    if "," in np_:
        np_ = np_[np_.rfind(",") + 1:]
    toks = np_.split()
    i = len(toks)
    while i > 0 and name_token(toks[i - 1]):
        i -= 1
    run = toks[i:]
    while run and run[0].lower() in EN_DET:
        run = run[1:]
    heads = [k for k, tok in enumerate(run[:-1]) if tok.lower().strip(",") in _EN_HEADS]
    if heads:  # Title Case: "Robotics Startup Dorabot", "Industrial IoT Firm Dorabot": the name after the head
        run = run[heads[-1] + 1:]
    if not run:
        return None
    name = re.sub(r"\s*\([^)]*\)", "", " ".join(run)).replace("\x01", ", ").strip(" ,\"“”")
    if name.lower() in EN_DET or name.lower() in MONTH_WORDS or not re.search(r"[A-Za-z]{2}", name):
        return None
    onto = load_ontology()
    reg = onto.region(name)
    if reg is not None or is_investor(f, name):
        return None
    descriptor = " ".join(toks[:i] + ([appositive] if appositive else []))
    short = reduce_company(name)
    if short != name and len(short) >= 2:  # Hangzhou Lanxin Technology Co., Ltd. → Lanxin Technology
        remember_full_form(f, short, name)
        name = short
    return name, descriptor


_EN_OBJ_IN = re.compile(r"\b(?:round|investment|funding|financing|stake|invested|invests|million|billion|capital)\b"
                        r"[^.;]{0,60}?\b(?:in|into|of|for)\s+(?:the\s+)?", _I)
_EN_BACK = re.compile(r"\b(?:back|backs|backed|fund|funds|funded)\s+(?P<co>[^,.;]{2,80}?)\s+(?:in|with|via)\s+(?:a|an|its|their)?\s*"
                      r"(?=[$¥€\d]|US\$|RMB|USD|Series|seed|angel|pre-)", _I)
_EN_LED_TO = re.compile(r"\b(?:co-)?led\s+(?P<co>[A-Z][^,.;]{1,60}?)\s+(?:to|in\s+(?:its|their))\s+"
                        r"(?:complete|close|raise|secure|finish|completing|closing|raising)\b")
_EN_WHICH_IS = re.compile(r"\b(?:funding|round|financing|investment|raise|deal)\b[^.;]{0,20}?\b(?:which\s+is|is|marks|was)\s+"
                          r"(?:also\s+)?(?P<co>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})(?:'s|’s)\s+(?:first|second|third|fourth|"
                          r"fifth|latest|new|largest|biggest|third|\d+(?:st|nd|rd|th))\b", _I)
_EN_POSSESSIVE = re.compile(r"(?:'s|’s)\s+(?:[^.;]{0,50}?)\b(?:round|funding|financing|series|investment)\b", _I)
_EN_CO_STOP = re.compile(r",|;|\.(?:\s|$)|\s+(?:with|as|on|at|to|in|for|from|while|after|led|co-led|joined|backed|"
                         r"according|which|who|that|was|were|is|are|has|had|have|will|and\s+(?:the|its|a|an)\b)\b")


def en_investor_first(f: Frame, a: int, b: int):
    """Sequoia China led a … round in Gewu Tech / invested … in X / X's Series B was led by …
    (only in a sentence that names a round or an amount)."""
    which = _EN_WHICH_IS.search(f.t, a, b)
    if which:  # "The funding, which is SmartMore's second this year, came from …"
        got = _clean_company_en(f, which.start("co"), which.end("co"))
        if got is not None:
            return got
    if not any(a <= s < b for s, *_ in (*f.amounts, *f.rounds)):
        return None
    for m in _EN_BACK.finditer(f.t, a, b):  # "GGV Capital, Primavera Capital back … Xinyun Tech in $40m Series C"
        got = _clean_company_en(f, m.start("co"), m.end("co"))
        if got is not None and not is_investor(f, got[0]):
            return got
    for m in _EN_LED_TO.finditer(f.t, a, b):  # Sequoia China led Gaoyuan Robotics to complete a Series A
        got = _clean_company_en(f, m.start("co"), m.end("co"))
        if got is not None:
            return got
    for m in _EN_OBJ_IN.finditer(f.t, a, b):
        s = m.end()
        stop = _EN_CO_STOP.search(f.t, s, b)
        e = stop.start() if stop else b
        if e - s < 2:
            continue
        got = _clean_company_en(f, s, e)
        if got is None or re.match(r"(?i)(?:series|pre|seed|angel|rmb|usd|us\$)\b", got[0]):
            continue
        return got
    for m in _EN_POSSESSIVE.finditer(f.t, a, b):
        got = _clean_company_en(f, a, m.start())
        if got is not None:
            return got
    return None


_EN_CLAUSE_BOUND = re.compile(r",\s+(?:and|while|whereas|but|meanwhile)\s+|;\s*|:\s+")


def en_anchors(f: Frame, a: int, b: int) -> list[tuple[int, str, str]]:
    """(clause start, company, descriptor) for each clause of a sentence in which a company raised:
    "A raised … led by X, and B secured …" gives two."""
    out: list[tuple[int, str, str]] = []
    for m in _EN_PRED.finditer(f.t, a, b):
        if not (_EN_OBJECT.search(f.t, m.end(), b) or any(m.end() <= s < b for s, *_ in f.amounts)):
            continue
        bounds = [x.end() for x in _EN_CLAUSE_BOUND.finditer(f.t, a, m.start())]
        cs = bounds[-1] if bounds else a
        if out and cs <= out[-1][0]:
            continue  # the clause already has its company
        got = _clean_company_en(f, cs, m.start())
        if got is None and _EN_REFERENCE.match(f.t[cs:m.start()]):
            got = (REF, "")  # "The company has now completed …": the company named before
        if got is not None:
            out.append((cs, *got))
    return out
