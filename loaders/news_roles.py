"""Who invested, in which role: name lists delimited by trigger words, split and resolved.

Chinese triggers after a list (A、B联合领投, C跟投, 老股东D继续追加投资, E独家投资, F担任…财务顾问)
or before one (投资方为, 领投方为, 独家财务顾问为); 由X…, 获得X的… and 来自X的… narrow a list.
English: "led by", "co-led by", "with participation from", "joined by", "backed by", "existing
investors …", "investment from" before a list; "A led the round", "B participated", "with C
participating", "D acted as financial advisor" after one. Lists split on 、/,/和/与/and, gazetteer
names kept whole; each name resolves through the ontology's aliases, then the graph's names, and
is kept as written (cleaned) otherwise. Roles: ``lead``, ``sole`` (lead when alone), ``follow``,
``advisor`` (not an investor).
"""
from __future__ import annotations

import re

from loaders.news_company import EN_DET, MONTH_WORDS, name_token
from loaders.news_nlp import Frame, spans
from loaders.news_rules import CJK
from loaders.news_vocab import alternation, vocab, words
from ontology import load as load_ontology

_I = re.IGNORECASE

__all__ = ["en_roles", "resolve_investor", "split_names", "zh_roles"]

# ============================================================================== Chinese
_ZH_POST = re.compile(
    r"(?P<sole>独家)?(?P<kind>联合领投方|共同领投方|领投方|领投机构|领投人|领投者|跟投方|跟投机构|跟投者|参投方|参投机构|投资方|投资机构|投资人|出资方|投资者|"
    r"参与方|资方|独家财务顾问|财务顾问|融资顾问|参与(?:了)?(?:本轮|本次|此次)?(?:投资|融资)?的(?:机构|投资方|投资机构|投资人|资方))(?:分别|主要|则|依次|还)?(?:为|是|包括|有|包含|:|由|来自)\s*(?:了)?")
_LEAD_LABELS = set(words("labels")[:0] + (vocab()["labels"].get("lead") or []))
_FOLLOW_LABELS = set(vocab()["labels"].get("follow") or [])
_ADVISOR_LABELS = set(vocab()["labels"].get("advisor") or [])
_ZH_LABEL = re.compile(r"[\s\x00]*(?:本轮)?(?P<label>" + alternation(words("labels")) + r")\s*(?::|——|—|-{1,2})\s*")
_ZH_INCLUDING = re.compile(r"\s*(?:其中)?(?:包括|包含|涵盖)(?:了)?\s*")
_ZH_FROM_HANDS = re.compile(r"(?:从|自)\s*(?P<list>[^,;。\x00]{2,40}?)(?:(?:[两三四五多几]家|等)[^,;。\x00]{0,10}?|)(?:手中|处|那里)"
                            r"(?:获得|融到|拿到|募得|筹得|融得)")
_ZH_THANKS = re.compile(r"感谢\s*(?:本轮)?(?:投资方|投资人|资方)?\s*(?P<list>[^,;。!\x00]{2,40}?)(?:等(?:机构|投资方|投资人)?)?的?"
                        r"(?:信任|支持|青睐|认可|厚爱)")
_ZH_LEAD_AS = re.compile(r"\s*(?:作为|身为)(?:本轮)?的?(?:联合|共同)?领投方\s*(?=,|$)")
_ZH_ROLE_MARK = re.compile(r"\s*\((?P<role>(?:联合|共同)?领投|跟投|参投|独家)(?:方)?\)")
_ZH_ADVISER_ASIDE = re.compile(r"(?:以及|及|和|与|、|,)?\s*(?:由)?(?:担任|作为|出任)(?:了)?(?:本轮|本次|此次)?(?:融资|交易)?的?(?:独家|长期)?"
                               r"(?:财务顾问|融资顾问|FA)的")
_ZH_TRIGGERS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?:担任|作为|出任|为)了?(?:本轮|本次|此次|该轮|此轮)?(?:融资|交易|项目)?的?(?:独家|长期|特邀|首席)?"
                r"(?:财务顾问|融资顾问|FA)"), "advisor"),
    (re.compile(r"(?:作为|担任|为)(?:本轮)?的?(?:联合|共同)?领投方"), "lead"),
    (re.compile(r"独家(?:战略)?(?:投资|注资|出资|领投)"), "sole"),
    (re.compile(r"(?:联合|共同)?领投了?|领衔(?:投资)?|(?:联合|共同)?牵头(?:投资)?|领军(?:投资)?"), "lead"),
    (re.compile(r"(?:作为|为)(?:本轮)?的?跟投方|(?:作为|为)(?:其|公司的?)?战略投资(?:者|方|人)|(?:[两三四五多几]家|等)战略投资(?:者|方|人)"),
     "follow"),
    (re.compile(r"(?:向|为)[^,;。\x00]{2,30}?(?:注资|增资)"), "follow"),
    (re.compile(r"(?:也|亦|同样)?(?:现身|出现在|位列|在)(?:了)?(?:本轮)?(?:的)?(?:投资|融资)?(?:机构|投资方|股东)?名单|"
                r"(?:悉数|纷纷|也|均|亦)(?:入场|入局|出手|加入|参与其中|上车)"), "follow"),
    (re.compile(r"跟投|跟进|参投|联投|参与(?:了)?(?:本轮|本次|此次)?(?:的)?(?:投资|融资)?|追投|加注|加持|加码|追加投资|继续投资|增持|(?:超额)?认购|"
                r"(?:继续|持续)(?:支持|看好)|"
                r"(?:共同|联合)?(?:战略)?投资(?=[,;。!?\s\x00了的]|$)|(?:共同)?出资(?![方人额])|注资"), "follow"),
]
_ZH_DUI = re.compile(r"(?P<list>[^,;。\x00]{2,40}?)(?:宣布|已|正式|近日|日前)*(?:完成|进行|参与|领投|独家)了?(?:对|向)"
                     r"[^,;。\x00]{0,20}\x00+(?:公司)?(?:的|进行)")
_ZH_PRED_CUT = re.compile(r".*(?:完成|获得|获(?![悉])|拿到|斩获|迎来|宣布|引入|引进|吸引|收到|" + alternation(words("zh_predicates"))
                          + r")(?:了)?(?:一笔|一轮)?")
_ZH_BESIDES = re.compile(r"[\s\x00]*除(?:了)?(?P<list>[^,;。]{2,40}?)(?:以)?外[\s\x00]*$")
_ZH_ANNOUNCE_TAIL = re.compile(r"(?:今日|今天|近日|日前|昨日|正式|宣布|官宣|已经|已|再次|再度|又|也|将)*(?:宣布|官宣)[\s\x00]*$")
_ZH_AFTER = re.compile(r".*(?:由|来自|包括|其中|包含)")
_ZH_PIECE_LEAD = re.compile(r"^(?:[\s、,\x00:]|以及|本轮|本次|此次|该轮|此轮|融资|的|由|并|且|还|老股东|原有股东|原股东|现有股东|新股东|"
                            r"原有投资方|原投资方|老投资方|既有股东|既有投资人|既有投资方|现有投资人|"
                            r"股东|其他|另有|另外|知名|头部|国内|国际|著名|老牌|领先|一线|投资机构|投资人|投资方|机构|资方|"
                            r"包括|其中|等|来自)+")
_ZH_PIECE_TAIL = re.compile(r"(?:[\s、,和与及\x00的]|以及|等(?:多家|几家|知名|新老|其他)?(?:投资)?(?:机构|股东|投资方|资方)?|"
                            r"共同|联合|继续|持续|再次|进一步|也|均|亦|则|同时|一同|一起|超额|追加|战略|融资|分别|旗下基金|"
                            r"担任|作为|进行|完成)+$")
_ZH_SPLIT = re.compile(r"[、,/;\x00]+")
_ZH_AND = re.compile(r"以及|及|和|与|、")


def zh_roles(f: Frame, masked: str, trig: str, a: int, b: int) -> list[tuple[int, int, str]]:
    """(chunk start, chunk end, role) for the name lists in clause ``t[a:b]``. Triggers are found in
    ``trig`` (rounds not blanked: 获得X的战略投资), lists are read in ``masked``."""
    out: list[tuple[int, int, str]] = []
    besides = _ZH_BESIDES.match(masked, a, b)
    if besides and re.match(r"[,\s]*[^,;。]{0,12}?(?:均|都|全部|皆)?(?:未|没有|并未)", masked[b:b + 30]):
        return [(besides.start("list"), besides.end("list"), "follow")]  # 除老股东A外，其余股东均未参与本轮: A took part
    inc = _ZH_INCLUDING.match(masked, a, b)
    if inc:  # 本轮融资吸引了…，包括A、B及C等 / 另有多家产业方跟投，包括A、B等等
        us = max(masked.rfind(c, 0, a) for c in "。!?;\n") + 1
        if re.search(r"本轮|本次|此次|投资方|投资人|机构|跟投|参投|融资", masked[us:a]):
            return [(inc.end(), b, "follow")]
    source = _ZH_FROM_HANDS.search(masked, a, b)
    if source:  # 从正轩投资和力合华睿两家风险投资机构手中融到了…
        return [(source.start("list"), source.end("list"), "follow")]
    thanks = _ZH_THANKS.search(masked, a, b)
    if thanks:  # 感谢元禾原点的信任与支持: the post thanks its investors
        return [(thanks.start("list"), thanks.end("list"), "follow")]
    lab = _ZH_LABEL.match(masked, a, b)
    if lab:  # 领投：A！跟投：B、C！ / 投资方：A（领投）、B
        kind = lab.group("label")
        role = "lead" if kind in _LEAD_LABELS else "advisor" if kind in _ADVISOR_LABELS else "follow"
        return _marked_list(masked, lab.end(), b, role)
    lead_as = _ZH_LEAD_AS.match(masked, a, b)
    if lead_as:  # 作为领投方，光速中国参与了…: the next clause's subject leads
        nxt = re.compile(r"[\s,]*(?P<n>[^,;。]{2,40}?)(?=参与|投资|领投|出资|注资)").match(masked, lead_as.end(), len(masked))
        if nxt:
            return [(nxt.start("n"), nxt.end("n"), "lead")]
    m = _ZH_POST.search(masked, a, b)
    if m:
        adv = _ZH_ADVISER_ASIDE.search(masked, m.end(), b)
        if adv and not re.search(r"领投|跟投|参投", masked[m.end():adv.start()]):
            # 参与方包括A、B以及担任本轮财务顾问的C: C advises
            kind = m.group("kind")
            role = "lead" if "领投" in kind else ("sole" if m.group("sole") else "follow")
            return [(m.end(), adv.start(), role), (adv.end(), b, "advisor")]
    if m and _ZH_ROLE_MARK.search(masked, m.end(), b):  # 投资方：今日资本（领投）、华创资本
        return _marked_list(masked, m.end(), b, "follow")
    if m and not re.search(r"领投|跟投|参投|顾问", masked[m.end():b]):
        kind = m.group("kind")
        role = "advisor" if "顾问" in kind else ("lead" if "领投" in kind else ("sole" if m.group("sole") else "follow"))
        return [(m.end(), b, role)]
    found = []
    inv = [(s, e) for s, e, lab, _ in f.names if lab == "INVESTOR"]
    for rx, role in _ZH_TRIGGERS:
        for t in rx.finditer(trig, a, b):
            if role != "advisor" and re.search(r"(?:未|没有|并未|不再|不)$", trig[max(a, t.start() - 2):t.start()]):
                continue  # 其余股东均未参与本轮: a negated role is nobody's (the exclusion reads the names)
            hit = [(s, e) for s, e in inv if s < t.end() and t.start() < e]
            if hit:  # 投资 in 金石投资, 国家集成电路产业投资基金
                if hit[0][1] == t.end() and not trig[t.end():b].strip(" \x00"):
                    found.append((t.end(), t.end(), role))  # 由东方富海投资。: the name is the list
                continue
            if not any(s < t.end() and t.start() < e for s, e, _ in found):
                found.append((t.start(), t.end(), role))
    found.sort()
    # 投资 right before another role word belongs to a name (XX投资跟投)
    found = [x for i, x in enumerate(found)
             if not (trig[x[0]:x[1]] == "投资" and i + 1 < len(found) and found[i + 1][0] == x[1])]
    m2 = _ZH_DUI.search(masked, a, b)
    if m2:  # 深创投完成对X的B轮投资: the subject invested
        out.append((m2.start("list"), m2.end("list"), "lead" if "领投" in masked[m2.end():b] else "follow"))
        found = [x for x in found if x[0] >= m2.end()]
        a = m2.end()
    prev = a
    if m:  # a post list that is cut by later triggers: 投资方为A、B，其中A领投 is handled per clause
        prev = m.end()
    for s, e, role in found:
        cs = prev
        chunk = masked[cs:s]
        cut = _ZH_PRED_CUT.match(chunk)
        if cut and not chunk[cut.end():].strip(" \x00、,") and _ZH_ANNOUNCE_TAIL.search(chunk):
            cut = None  # 启明创投今日宣布领投X的B轮: the subject before 宣布 is the list
            chunk = _ZH_ANNOUNCE_TAIL.sub("", chunk)
        if cut:
            cs += cut.end()
            chunk = masked[cs:s]
        after = _ZH_AFTER.match(chunk)
        if after:
            cs += after.end()
        out.append((cs, s, role))
        prev = e
    return out


def _marked_list(masked: str, s: int, b: int, role: str) -> list[tuple[int, int, str]]:
    """A name list whose items may carry their role in brackets (今日资本（领投）、华创资本)."""
    if not _ZH_ROLE_MARK.search(masked, s, b):
        return [(s, b, role)]
    pieces = []
    for p in re.finditer(r"[^、,]+", masked[s:b]):
        ps, pe = s + p.start(), s + p.end()
        mark = _ZH_ROLE_MARK.search(masked, ps, pe)
        r = ("lead" if "领投" in mark.group("role") else "sole" if mark.group("role") == "独家" else "follow") \
            if mark else role
        pieces.append((ps, mark.start() if mark else pe, r))
    return pieces


def split_names(f: Frame, masked: str, a: int, b: int) -> list[tuple[int, str, str | None]]:
    """Names in ``t[a:b]``: (position, text, gazetteer id or None); gazetteer names are kept whole."""
    pieces: list[tuple[int, str, str | None]] = []
    pos = a
    inside = [(s, e, ident) for s, e, lab, ident in f.names if lab == "INVESTOR" and a <= s and e <= b]
    zh = f.lang == "zh"

    def plain(s: int, e: int):
        for ps, pe in spans(masked, _ZH_SPLIT if zh else _EN_SPLIT, s, e):
            txt = masked[ps:pe]
            if zh:
                parts = [(ps + m.start(), m.group()) for m in re.finditer(r"[^、]+", _ZH_AND.sub("、", txt))]
                if len(parts) > 1 and all(len(p.strip()) >= 2 for _, p in parts):
                    # 以及/及/和/与 split only when each side is a name on its own
                    cur = ps
                    for sub in re.split(r"以及|及|和|与", txt):
                        k = masked.find(sub, cur, pe)
                        pieces.append((k, sub, None))
                        cur = k + len(sub)
                    continue
            else:
                for k, sub in _en_and_split(txt):
                    pieces.append((ps + k, sub, None))
                continue
            pieces.append((ps, txt, None))

    for s, e, ident in inside:
        if s < pos:
            continue
        if s > pos:
            if zh and masked[s - 1] not in "、,/;\x00和与及 :":
                # 专注于机器人赛道的投资基金高瓴资本: the words before a known name describe it
                cut = max(masked.rfind(c, pos, s) for c in "、,/;\x00和与及:")
                if cut >= pos:
                    plain(pos, cut + 1)
            else:
                plain(pos, s)
        fund = (_FUND_SUFFIX if zh else _EN_NAME_TAIL).match(masked, e, b)
        if fund:  # 红杉中国种子基金, 中金资本旗下基金, 深创投集团, Qiming Venture Capital: the known name, whole
            e = fund.end()
        pieces.append((s, f.t[s:e], ident))
        pos = e
    if pos < b:
        plain(pos, b)
    if zh and inside:  # "达晨创投和深圳高新投": after a known name, 和/与/及 is the conjunction
        ends = {s + len(txt) for s, txt, ident in pieces if ident}
        pieces = [(s + 1, txt[1:], None) if not ident and s in ends and txt[:1] in "和与及" and len(txt) > 2
                  else (s, txt, ident) for s, txt, ident in pieces]
    return pieces


def _en_and_split(txt: str) -> list[tuple[int, str]]:
    """Split a comma-free English list on "and": with one "and" there; with more, at the one
    that leaves the fewest one-word pieces ("Redwood Ventures and Plug and Play")."""
    ands = list(re.finditer(r"\s+and\s+", txt))
    if not ands:
        return [(0, txt)]
    if len(ands) == 1:
        m = ands[0]
        return [(0, txt[:m.start()]), (m.end(), txt[m.end():])]

    def cost(m):
        left, right = txt[:m.start()].split(), txt[m.end():].split()
        return (len(left) == 1) + (len(right) == 1)

    m = min(ands, key=cost)
    return [(0, txt[:m.start()]), (m.end(), txt[m.end():])]


_FUND_SUFFIX = re.compile(r"(?:(?:旗下(?:的)?)?(?:中国|美元|人民币|早期|成长|种子|天使|产业|创投|创业|科技)?(?:[\u4e00-\u9fff]{0,2})?基金|"
                          r"集团|控股|资本|创投)(?=[、,;/\x00和与及]|$|(?:联合|共同)?(?:领投|跟投|参投))")
_EN_NAME_TAIL = re.compile(r"(?:\s+(?:Venture|Ventures|Capital|Partners|Group|Fund|Funds|Investment|Investments|Management|"
                           r"Holdings|China|Asia|Growth|Equity|Private\s+Equity|Venture\s+Capital))+\b")
_ZH_NOT_NAME = re.compile(r"^(?:本轮|融资|投资|公司|股东|机构|投资方|资方|多家机构|老股东|领投|跟投|参投|资本|基金|创投|"
                          r"投资机构|知名机构|战略投资者|产业资本|国资|产业方|本轮融资|新股东|多家|其他)$|完成|获得|宣布|融资|"
                          r"轮|万|亿|元|顾问|金额|披露|用于|将|计划|成立|估值")


_ZH_GENERIC_PIECE = re.compile(r"(?:科技|互联网|产业|知名|头部|国内外|国内|海外|多家|各大|一线|顶级|地方|国有|大型)*"
                               r"(?:巨头|大厂|机构|资本|基金|投资方|股东|伙伴|企业|公司|集团|VC|PE|CVC)")
_NOT_NAMES = re.compile(alternation([w.lower() for w in words("not_names")]))


def resolve_investor(f: Frame, piece: str, ident: str | None) -> str | None:
    """Canonical name of an investor as written in a list piece, or None when it is no name."""
    onto = load_ontology()
    if f.lang == "zh":
        piece = _ZH_PIECE_TAIL.sub("", _ZH_PIECE_LEAD.sub("", piece))
    else:
        piece = _en_piece(piece)
    piece = piece.strip(" \x00,.、:\"“”'")
    if ident:
        return onto.investor_name(ident)
    if not piece or len(piece) < 2:
        return None
    # as written; then without a bracketed aside (IDG资本(IDG Capital)); then without the brackets
    # (Sequoia Capital (China))
    for form in dict.fromkeys([piece, re.sub(r"\s*\([^)]*\)", "", piece), re.sub(r"[()]", " ", piece)]):
        known = onto.investor(form)
        if known:
            return known.name
        g = f.lexicon.investor(form) if f.lexicon else None
        if g:
            return onto.investor_name(g)
    # a known name after a descriptor: 知名投资机构红杉资本
    for s, e, lab, ident2 in f.names:
        if lab == "INVESTOR" and f.t[s:e] and piece.endswith(f.t[s:e]) and len(f.t[s:e]) >= 3:
            return onto.investor_name(ident2)
    if _NOT_NAMES.fullmatch(piece.lower()) or _ZH_GENERIC_PIECE.fullmatch(piece):
        return None
    if f.lang == "zh":
        if _ZH_NOT_NAME.search(piece) or len(piece) > 30 or "\x00" in piece:
            return None
        if not CJK.search(piece) and not re.search(r"[A-Za-z]{2}", piece):
            return None
    else:
        if not re.search(r"[A-Z]", piece) or piece.lower() in EN_DET or piece.lower() in MONTH_WORDS:
            return None
        if len(piece.split()) > 8:
            return None
    return onto.investor_name(piece)


# ============================================================================== English
_EN_POST: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\badvised\s+by\s+", _I), "advisor"),
    (re.compile(r"\b(?:exclusive\s+|sole\s+|lead\s+)?financial\s+advis[oe]rs?\s+(?:was|were|is|are|being|:)\s*", _I),
     "advisor"),
    (re.compile(r"\b(?:co-led|jointly\s+led|led|headed|spearheaded)\s+(?:jointly\s+)?by\s+", _I), "lead"),
    (re.compile(r"\b(?:solely|exclusively|entirely)\s+(?:funded\s+|backed\s+|financed\s+)?by\s+", _I), "sole"),
    (re.compile(r"\blead\s+investors?\s+(?:was|were|is|are|being|include|included|including)\s+", _I), "lead"),
    (re.compile(r"\blead\s+investors?\s+(?:in|of|for|behind)\s+[^.;]{2,80}?\s+(?:was|were|is|are)\s+", _I), "lead"),
    (re.compile(r"\b(?:lead\s+investors?|led\s+by|lead)\s*:\s*", _I), "lead"),
    (re.compile(r"\b(?:co-investors?|other\s+investors?|investors?|backers?|participants?|who\s+invested|"
                r"who\s+backed\s+it|investors\s+in\s+the\s+round)\s*:\s*", _I), "follow"),
    (re.compile(r"\b(?:with\s+)?participation\s+(?:from|of|by)\s+|\b(?:came|comes|come)\s+from\s+", _I), "follow"),
    (re.compile(r"\bothers?\s+(?:joining|participating|investing|taking\s+part)\s+(?:were|was|are|is|include[ds]?)\s+|"
                r"\b(?:also\s+)?(?:joining|participating)\s+(?:were|are)\s+", _I), "follow"),
    (re.compile(r"\b(?:joined|backed|supported|followed)\s+by\s+|\balongside\s+|"
                r"\b(?:continued\s+|further\s+)?(?:support|participation|investment|backing)\s+from\s+", _I), "follow"),
    (re.compile(r"\b(?:investors|backers|participants|shareholders)\s*,?\s+"
                r"(?:in\s+(?:the|this|its)\s+(?:\w+\s+)?(?:round|deal|financing)\s+)?(?:include|included|includes|including|such\s+as|"
                r"like|are|were)\s+", _I), "follow"),
    (re.compile(r"\b(?:funding|investment|financing|capital|money|million|billion|round|series)\s+(?:[\w$.+-]+\s+){0,6}?"
                r"(?:from|by)\s+", _I), "follow"),
]
_EN_PRE: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?:\s+(?:has|have|had|also|was|were|is|are))*\s+(?:acted|served|acts|serves|was|is|were|are)\s+"
                r"(?:as\s+)?(?:the\s+|its\s+|their\s+)?(?:sole\s+|exclusive\s+|lead\s+)?financial\s+advis[oe]rs?", _I),
     "advisor"),
    (re.compile(r"(?:\s+(?:was|were|is|are|as))\s+(?:the\s+)?(?:sole|only|exclusive)\s+investors?\b", _I), "sole"),
    (re.compile(r"(?:\s+(?:was|were|is|are|as))\s+(?:the\s+)?(?:co-)?lead\s+investors?\b", _I), "lead"),
    (re.compile(r"(?:\s+(?:has|have|had|also|jointly))*\s+(?:co-led|led|headed|spearheaded|co-leads|leads|heads)\s+"
                r"(?!by\b)(?=the\b|this\b|a\b|an\b|its\b|[A-Z]|[$¥€\d]|US\$|RMB\b|USD\b)", _I), "lead"),
    (re.compile(r"(?:\s+(?:has|have|had|also|all|both|jointly|together|collectively))*\s+(?:participated|joined|took\s+part|invested|invests|followed|back|backs|"
                r"chipped\s+in|re-?invested|returned|came\s+in|doubled\s+down|topped\s+up|"
                r"continued\s+(?:to\s+(?:invest|participate|back\s+the\s+company)|its\s+(?:support|investment))|"
                r"(?:increased|upped|raised|added\s+to)\s+(?:their|its|his|her)\s+(?:stakes?|holdings?|positions?))\b", _I), "follow"),
    (re.compile(r"(?:\s+(?:has|have|had|also|jointly|together))*\s+(?:supplied|provided|injected|poured|pumped|put|puts|supplies|"
                r"provides|injects)\b(?=[^.;]{0,80}"
                r"\b(?:in|into|for|to)\b)", _I), "follow"),
    (re.compile(r"\s+(?:also\s+)?following(?=\s*(?:[.;]|$))|\s+(?:also\s+)?(?:putting|put|puts)\s+(?:money|capital|cash)\s+in\b",
                _I), "follow"),
    (re.compile(r"\s+(?:also\s+)?(?:participating|joining|investing|following\s+on|taking\s+part|chipping\s+in)\b",
                _I), "follow"),
    (re.compile(r"\s+(?:also\s+)?(?:participate|join|invest|follow\s+on|take\s+part)\b", _I), "follow"),
    (re.compile(r"\s+as\s+(?:the\s+)?(?:co-investors?|other\s+investors|followers?|participants?)\b", _I), "follow"),
    (re.compile(r"-(?:co-)?led\b", _I), "lead"),
    (re.compile(r"(?:\s+(?:has|have|had|also|jointly))*\s+(?:co-led|led|co-lead|lead)(?=\s*(?:[,.;]|$))", _I), "lead"),
    (re.compile(r"\s+(?:is|are|was|were)\s+(?:co-)?leading\b|,?\s+which\s+(?:co-)?led\s+(?:the|this)\s+(?:round|deal|investment)", _I),
     "lead"),
    (re.compile(r"\s+(?:were|was|are|is)\s+(?:also\s+)?among\s+(?:the\s+)?(?:\w+\s+)?(?:investors|backers|participants)\b|"
                r"\s+re-?upped\b", _I), "follow"),
    (re.compile(r"\s+(?:co-)?leads?(?=\s*(?:[,;.]|$))", _I), "lead"),
    (re.compile(r"\s+(?:(?:acting|serving|acted|served|came\s+in)\s+)?(?:leading|as\s+(?:the\s+)?(?:co-)?lead(?:\s+investors?)?)\b",
                _I), "lead"),
]
_EN_LEAD_MARK = re.compile(r"\s*\((?:co-)?lead(?:\s+investors?)?\)|\s*\((?:which|who)\s+(?:co-)?led\s+(?:the|this)\s+"
                           r"(?:round|deal|investment|financing)\)|"
                           r",\s*(?:which|who)\s+(?:co-)?led\s+(?:the|this)\s+(?:round|deal|investment|financing)(?=\s*,)", _I)
_EN_ASIDE = re.compile(r",\s*(?:which|who)\s+(?:is|are|was|were)\s+(?![^,;.]*\b(?:lead|led|co-led|backed|funded|joined|"
                       r"participat\w*|invest(?:ed|s|ing)?)\b)[^,;.]{2,60}(?=,)", _I)
_EN_STOP = re.compile(
    r";|\||,\s+[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}\s+(?:said|says|told|reported|announced|added|noted)\b|\((?!(?:co-)?lead(?:\s+investors?)?\)|(?:which|who)\s+(?:co-)?led\b)|(?<!lead)(?<!investor)(?<!round)(?<!deal)(?<!investment)(?<!financing)\)|\.(?:\s|$)|,\s+(?!(?:and\s+)?(?:[A-Z0-9]|existing|previous|returning|current|other|its\s+existing|"
    r"fellow|new\s+investor|investors?\b))|\s+(?:with|on|in|at|to|for|as|while|after|before|via|under|which|who|"
    r"that|bringing|according|through|during|valuing|raising|among|from|was|were|is|are|has|have|had|also|"
    r"participating|participated|joining|joined|invested|investing|following|followed|led|co-led|leading|"
    r"acted|served|took|will|would|plans?)\b")
_EN_LEAD_CUT = re.compile(r"(?:,\s*|\s+)(?:and\s+)?(?:existing|previous|returning|current|other|including)\b", _I)
# "from investors led by A, including B and C": the names after "including", when the sentence speaks of investors
_EN_INCLUDING = re.compile(r",\s*including\s+(?=[A-Z])")
_EN_INVESTOR_CONTEXT = re.compile(r"\binvestors?\b|\bbackers?\b|\bled\s+by\b|\bparticipation\b|\bshareholders?\b", _I)
_EN_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+as\s+well\s+as\s+|\s+along\s+with\s+|\s*\x00+\s*")
_EN_PIECE_LEAD = re.compile(r"^(?:and|as well as|along with|including|such as|also|both|the|its|their|existing|"
                            r"previous|"
                            r"returning|current|new|other|fellow|investors?|shareholders?|backers?|"
                            r"funds?\s+(?:managed|advised)\s+by|from|by|[,\s])+\s*", _I)


def _en_piece(piece: str) -> str:
    piece = _EN_PIECE_LEAD.sub("", piece.strip())
    # "Hong Kong-listed Kingdee's venture arm": the parent names the investor
    piece = re.sub(r"^(?:.*?-(?:listed|based)\s+)?(.+?)(?:'s|’s)\s+(?:corporate\s+)?(?:venture|investment|VC|CVC|strategic)"
                   r"(?:\s+capital)?\s+(?:arm|unit|division|fund|branch)\b.*$", r"\1", piece, flags=_I)
    toks = piece.split()
    runs: list[list[str]] = [[]]
    for tok in toks:
        if name_token(tok) or (runs[-1] and tok.lower() in ("of", "de", "du", "la", "and", "for")):
            runs[-1].append(tok)
        elif runs[-1]:
            runs.append([])
    runs = [r for r in runs if r]
    if not runs:
        return ""
    # the first run of name words, unless the piece starts with a description ("early-stage investor K2VC",
    # "Silicon Valley's BlueRun Ventures"): then the last
    keep = runs[0] if toks and name_token(toks[0]) and not toks[0].endswith(("'s", "’s")) else runs[-1]
    while keep and keep[-1].lower() in ("of", "de", "du", "la", "and", "for", "&"):
        keep.pop()
    return " ".join(keep)


_EN_DESC_WORDS = {"existing", "previous", "returning", "current", "investor", "investors", "backer", "backers",
                  "shareholder", "shareholders"}


def _en_list_before(t: str, lo: int, pos: int) -> tuple[int, int]:
    """The run of name words (with commas and 'and') ending at ``pos``."""
    seg = t[lo:pos]
    toks = list(re.finditer(r"\S+", seg))
    i = len(toks)
    while i > 0:
        w = toks[i - 1].group()
        if name_token(w) or w.lower() in ("and", "&", ",", "of") or w.lower() in _EN_DESC_WORDS:
            i -= 1  # "with A and existing investor B following on": the descriptor stays inside the list
        else:
            break
    while i < len(toks) and toks[i].group().lower() in _EN_DESC_WORDS:
        i += 1
    if i == len(toks):
        return pos, pos
    start = lo + toks[i].start()
    while True:  # no leading connectors
        m = re.match(r"(?:and|&|of|,)\s+", t[start:pos], _I)
        if not m:
            break
        start += m.end()
    return start, pos


def en_roles(f: Frame, a: int, b: int) -> list[tuple[int, int, str]]:
    # role asides ("A (lead), B", "A (which led the round), B") do not end a list: blanked, same length
    t = _EN_LEAD_MARK.sub(lambda m: " " * len(m.group()), f.t) if "(" in f.t or " led " in f.t else f.t
    asides = []
    if " which " in t or " who " in t:  # "A, which is Huawei's investment arm, and B": an aside inside the list
        asides = [(m.start(), m.end()) for m in _EN_ASIDE.finditer(t, a, b)]
        t = _EN_ASIDE.sub(lambda m: " " * len(m.group()), t)
    out: list[tuple[int, int, str]] = []
    for rx, role in _EN_POST:
        for m in rx.finditer(t, a, b):
            s = m.end()
            stop = _EN_STOP.search(t, s, b)
            e = stop.start() if stop else b
            if role in ("lead", "sole"):  # "led by A, and existing investors B …": B follows
                cut = _EN_LEAD_CUT.search(t, s, e)
                e = cut.start() if cut else e
            if e > s:
                out.append((s, e, role))
    for m in _EN_LEAD_MARK.finditer(f.t, a, b):  # "Who invested: A (lead), B and C"
        bounds = [x.end() for x in re.finditer(r"[,:;]|\band\b", t[a:m.start()])]
        s = a + (bounds[-1] if bounds else 0)
        out.append((s, m.start(), "lead"))
    for rx, role in _EN_PRE:
        for m in rx.finditer(t, a, b):
            pre = t[a:m.start()]
            bounds = [x.end() for x in re.finditer(r"[;.](?:\s|$)|,\s+(?:while|with|as)\s+|\bwith\b|\bby\b", pre)]
            s, e = _en_list_before(t, a + (bounds[-1] if bounds else 0), m.start())
            if e > s:
                out.append((s, e, role))
    for m in _EN_INCLUDING.finditer(t, a, b):
        if _EN_INVESTOR_CONTEXT.search(t, max(a, m.start() - 80), m.start()):
            stop = _EN_STOP.search(t, m.end(), b)
            if (stop.start() if stop else b) > m.end():
                out.append((m.end(), stop.start() if stop else b, "follow"))
    for xa, xb in asides:  # the aside names no investor of this round
        cut = []
        for cs, ce, role in out:
            if cs < xb and xa < ce:
                cut += [(p, q, role) for p, q in ((cs, xa), (xb, ce)) if q > p]
            else:
                cut.append((cs, ce, role))
        out = cut
    return out
