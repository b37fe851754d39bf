"""From a :class:`~kg.chat.nlu.Parse` to a named query: the intent rules and the follow-up rules.

The rules read the question's *skeleton* (names and slot values replaced by one mark each, see
:data:`kg.chat.nlu.MARK`), so the words of a name (联想**创投**, 协同数据) never pass for the words of
a question. Intents are tried in a fixed priority order, because several cues can fire together
("合投" and "公司" in "红杉和深创投合投过哪些公司" is a common-portfolio question, not co-investors).

A follow-up ("那深创投呢？", "只看2019年的", "And with Casstar?", "前五名呢") has no intent of its
own: :func:`interpret` takes the previous turn's plan and changes only what the new turn says.

Examples
--------
>>> from kg.chat.nlu import Parse, Mention
>>> p = Parse("红杉2019年投了哪些公司", skeleton="Ⓘ在Ⓨ投了哪些公司", slots={"year": 2019},
...           mentions=[Mention("Investor", "investor:红杉资本(中国)", "红杉资本（中国）", "红杉", 0, 2)])
>>> interpret(p).intent, p.params
('portfolio', {'investor': '红杉资本（中国）', 'year': 2019})
"""
from __future__ import annotations

import copy
import re

from kg.chat.nlu import MARK, Mention, Parse

__all__ = ["FILTER_KEYS", "INTENTS", "classify", "interpret", "query_params"]

I = re.IGNORECASE
FILTER_KEYS = ("year", "date_from", "date_to", "segment", "region", "round", "lead_only", "min_amount")
TIME_KEYS = ("year", "date_from", "date_to")

# ------------------------------------------------------------------------------------------ cues
_R = lambda s: re.compile(s, I)

COUNT = _R(r"多少|几(?!乎)|how\s+many|number\s+of|\bcount\b|总数|数量|总量|总共有|一共有|笔数|次数|轮数|起数|件数|家数|个数")
COUNT_STRICT = _R(r"多少|几(?!乎)|how\s+many|\bcount\b|总共有|一共有")
MONEY = _R(r"多少钱|多少资金|总额|总金额|合计|累计金额|累计(?:融资|投资|获投|获得)(?:的)?(?:金额|额|资金)|"
           r"(?:融资|投资|获投)(?:金额|额)\s*(?:$|\?|？|呢|合计|总计|一共)|金额(?:是|为|有)?多少|融资额(?:是|为|有)?多少|规模(?:是|为|有)?多少|"
           r"投资额(?:是|为|有)?多少|多少亿|多少万|融了多少(?!轮|次|笔|起|家|个)\s*(?:$|\?|呢|钱|资金)|"
           r"投了多少(?!轮|次|笔|起|家|个)\s*(?:$|\?|呢|钱|资金)|融资(?:了)?多少(?!轮|次|笔|起|家|个)\s*(?:$|\?|呢|钱|资金)|"
           r"(?:获得|拿到|融到|筹集|募集|吸引|募得|筹得)(?:了)?多少(?!轮|次|笔|起|家|个)|"
           r"how\s+much|\bsum\b|\bfunding\s+total|\btotal\b(?:\s+\w+){0,2}\s+(?:funding|investment|capital|raised|"
           r"financing|value|proceeds|amount)|capital\s+raised|raised\s+in\s+total|in\s+total\s+raised|"
           r"\bhow\s+big\b|\bamount\s+(?:raised|invested)\b|\btotal\s+amount|"
           r"\b(?:funding|financing|investment)\s+amount|\bamount\s+of\s+(?:funding|financing|investment|money)")
AMOUNT_WORD = _R(r"金额|资金|融资额|投资额|规模|\bamount|\bmoney\b|\bcapital\b|\bfunding\s+volume|raised\s+the\s+most\s+money|"
                 r"\bmost\s+(?:money|funding|capital)|\bby\s+amount|\bbiggest\s+funding")
COMPANY_NOUN = _R(r"公司|企业|标的|项目|创业者|初创|被投|厂商|\bstartups?\b|\bcompan(?:y|ies)\b|\bbusinesses\b|\bventures\b|"
                  r"\bportfolio\b|\bstart-ups?\b")
COMPANY_UNIT = _R(r"几家|多少家|哪几家|(?<![投资])家(?:公司|企业)|(?:公司|企业|项目|标的)(?:的)?(?:数量|总数|数|个数)|家数|"
                  r"(?:多少|几)个(?:项目|公司|企业|标的)|\bcompan(?:y|ies)\b|\bstartups?\b|\bbusinesses\b|\bportfolio\s+size")
INVESTOR_NOUN = _R(r"投资方|投资人|投资者|投资机构|机构|资方|股东|基金|创投|风投|\bvcs?\b|\binvestors?\b|\bbackers?\b|"
                   r"\bfunds?\b|\bfirms?\b|\binstitutions?\b|\bfinanciers?\b|\bshareholders?\b|\bpartners?\b")
WHO = _R(r"谁|哪些人|\bwho\b|\bwhom\b")
# "who invested in Shenzhen companies": the investors, even with a company noun in the question
WHO_INVESTS = _R(r"谁(?:投资|投了|投过|领投|注资|出资)|\bwho\s+(?:has\s+|have\s+)?(?:invested|invests|backed|backs|funded|funds|"
                 r"financed|led|put\s+money)\b")
# "who raised money in Shenzhen", "谁在杭州拿到了融资": the companies
WHO_RAISED = _R(r"谁.{0,8}(?:拿到|获得|完成|融到|融了|获投)|\bwho\s+(?:has\s+|have\s+)?(?:raised|received|got|secured|closed)\b")
DEAL_NOUN = _R(r"起|笔|轮|次|融资事件|交易|案例|\bdeals?\b|\brounds?\b|\btransactions?\b|\bfinancings?\b|"
               r"\binvestments?\b|\btimes\b|\bevents?\b|\bfundraisings?\b")
RANK = _R(r"最多|最活跃|最频繁|最积极|最大|最高|最热|最多的|排名|排行|前\s*\d|前[一二两三四五六七八九十]|领先|出手最|"
          r"\bmost\b|\btop\b|\blargest\b|\bbiggest\b|\bhighest\b|\bleading\b|\bbusiest\b|\brank|\bmost\s+active|"
          r"\bbest[- ]connected\b")
SINGULAR = _R(r"哪家|哪个|哪位|哪一家|哪一个|哪一位|是谁|谁(?:是|最)|\bwhich\s+(?:investor|firm|fund|vc|institution|company|"
              r"startup|province|city|region|area|segment|sector|field|industry|one)\b(?!s)|\bwho\s+(?:is|was|has|had|did|"
              r"made|invested|backed|led|co-?invest)|\bwhat\s+(?:is|was)\s+the\s+(?:largest|biggest|most)")
CO = _R(r"合投|(?<![一总])共投|同投|一起投|一同投|联合投|共同投资|共同出资|一起出手|联手|搭档|伙伴|合作过|合作最|一起参与|共同参与|"
        r"co-?invest|co-?investors?|invest(?:ed|s|ing)?\s+(?:alongside|together\s+with|along\s+with|with)|"
        r"alongside|syndicat|partner(?:ed|s)?\s+with|teamed\s+up|joined\s+forces")
COMMON = _R(r"都投|均投|都有投资|都参与|同时投|共同投资的(?:公司|企业|项目)|共同的(?:被投)?(?:公司|企业|项目)|共同持有|"
            r"共同被投|都投资过|都投过|都曾投资|共同投资过的|共同投资了哪|一起投了哪|一起投资了哪|合投(?:过|了)?(?:哪|的)(?:些)?(?:公司|企业|项目)|"
            r"\bboth\b|in\s+common|\bshared\s+(?:portfolio|companies|investments)|\bjointly\b|\bcommon\s+portfolio|"
            r"overlap")
PATH = _R(r"关系|关联|联系|路径|怎么连|如何连|连接|之间|有什么关系|\bpath\b|\bconnect(?:ed|ion|s)?\b|\brelat(?:ed|ion|ionship)\b|"
          r"\blink(?:ed|s)?\b|\bbetween\b")
POLICY = _R(r"政策|规划|行动计划|实施方案|指导意见|发展意见|扶持|文件|\bpolic(?:y|ies)\b|\bplans?\b|\bguidelines?\b|"
            r"\bregulations?\b|action\s+plan")
FACTORY = _R(r"灯塔工厂|灯塔|lighthouse")
LISTING = _R(r"上市|ipo|挂牌|登陆|首发|\blisted\b|\blistings?\b|\bwent\s+public\b|\bgo(?:es|ing)?\s+public\b|\bdebut")
PORTFOLIO = _R(r"投了|投资了|投过|投资过|被投|所投|投资的|投的|的(?:所有|全部|各个)?(?:投资|项目|投资项目|投资案例)(?!方|人|者|机构)|出资|注资|投资组合|portfolio|持有|参投|入股|布局|押注|领投了|领投的|"
               r"invest(?:ed|s|ing)?\s+in|\bback(?:ed|s|ing)?\b|\bfund(?:ed|s|ing)?\b(?!\s+(?:history|total))|bet\s+on|"
               r"\bholdings?\b|\bstakes?\b|\bled\b|what\s+did\s+.*\binvest|what\s+has\s+.*\binvested|\binvested\b|"
               r"\binvestments\b|'s\s+investments?\b")
INVESTED_BY = _R(r"投资方|投资人|投资者|投资机构|资方|股东|背后|谁投|谁投资|谁领投|领投方|跟投方|哪些机构投|哪些投资|融资来自|"
                 r"\binvestors?\b|\bbackers?\b|\bshareholders?\b|who\s+(?:invested|backed|funded|financed|led|participated|"
                 r"put\s+money)|backed\s+by|funded\s+by|invested\s+in\s+by|led\s+by")
HISTORY = _R(r"融资历程|融资历史|融资记录|融资情况|融资经历|历次融资|历轮|融资轮次|哪几轮|哪些轮|轮次|融资时间线|"
             r"funding\s+history|financing\s+history|funding\s+rounds|rounds?\s+(?:of|raised\s+by|did)|history|"
             r"funding\s+timeline|raised\s+which|what\s+rounds")
RAISED = _R(r"融资|获投|获得|拿到|完成|融到|募资|募集|raised?|received|got|secured|closed|funding|financ")
TIMELINE = _R(r"趋势|按年|每年|逐年|历年|各年|按月|每月|逐月|按季度|每季度|季度分布|时间线|走势|变化|年度分布|"
              r"\btrend|over\s+time|per\s+(?:year|month|quarter)|by\s+(?:year|month|quarter)|each\s+(?:year|month|quarter)|"
              r"\byearly\b|\bmonthly\b|\bquarterly\b|\btimeline\b|\bannual")
REGION_Q = _R(r"哪个省|哪些省|哪个城市|哪些城市|哪个地区|哪些地区|哪个区域|哪些区域|哪里|哪儿|哪个地方|哪些地方|各省|各地|各城市|"
              r"各地区|各区域|各大区域|各大区|各大地区|地区分布|区域分布|省份分布|城市分布|按省|按城市|按地区|按区域|按大区|分地区|"
              r"(?:城市|省份|省|地区|区域|地方)(?:是)?(?:哪|什么)|"
              r"\bwhich\s+(?:provinces?|cit(?:y|ies)|regions?|areas?|places?|macro[- ]regions?)\b|\bwhere\b|"
              r"\bby\s+(?:macro[- ]?)?(?:province|city|region|area)\b|\bper\s+(?:macro[- ]?)?(?:province|city|region)\b|"
              r"\beach\s+(?:macro[- ]?)?(?:province|city|region)|"
              r"regional\s+(?:distribution|breakdown)|geograph|"
              r"\b(?:provinces|cities|regions)\s+(?:by|ranked)\b|\brank\w*\s+(?:the\s+|all\s+)?(?:provinces|cities|regions)")
SEGMENT_Q = _R(r"哪个领域|哪些领域|哪个细分|哪些细分|哪个赛道|哪些赛道|哪个板块|哪个方向|哪个行业|哪些行业|各领域|各细分|各赛道|"
               r"各板块|领域分布|细分领域分布|按领域|分领域|赛道分布|(?:领域|赛道|行业|板块|方向)(?:是)?(?:哪|什么)|"
               r"\bwhich\s+(?:segments?|sectors?|fields?|industr(?:y|ies)|verticals?|areas?\s+of)\b|\bby\s+(?:segment|sector)\b|"
               r"\bper\s+(?:segment|sector)\b|\beach\s+(?:segment|sector)\b|\bsegment\s+(?:distribution|breakdown)|"
               r"\b(?:segments|sectors|fields|industries)\s+(?:by|ranked)\b|\brank\w*\s+(?:the\s+|all\s+)?(?:segments|sectors)")
ONE_DEAL = _R(r"一笔|哪笔|哪一笔|单笔|最大的融资(?:是|$)|最大(?:的)?一轮|\b(?:largest|biggest|single\s+largest)\s+(?:deal|round|"
              r"financing|investment|funding\s+round)\b(?!s)|\bbiggest\s+deal\b(?!s)")
STAGE = _R(r"阶段分布|轮次分布|阶段|早期|后期|成熟度|\bstages?\b|\bmaturity\b")
LARGEST = _R(r"最大|金额最高|金额最多|规模最大|最高|最多钱|\blargest\b|\bbiggest\b|\bhighest\b|\blargest\b|\bmega\b")
CLUSTER = _R(r"集群|聚集|抱团|圈子|社群|社区|派系|合投群|投资群|小团体|\bclusters?\b|\bcommunit(?:y|ies)\b|\bcliques?\b|"
             r"\bgroups?\s+of\s+investors|\binvestor\s+groups?\b")
NETWORK = _R(r"网络|网状|关系图|图谱|network|graph")
OVERVIEW = _R(r"介绍|概况|简介|是什么|是谁|关于|信息|详情|画像|\btell\s+me\s+about\b|\bwho\s+is\b|\bwhat\s+is\b|\boverview\b|"
              r"\bprofile\b|\bneighbo|\bdetails?\b|\binfo\b|\bshow\s+me\b")
# what is left of an elliptic follow-up (那杭州呢, 前五名呢, And with Casstar?) once names, slots and these are gone
_ELLIPSIS = _R(r"^(?:那么|那|如果是|如果换成|如果|换成|改成|换为|要是|再看看|再看|看看|只看|仅看|只要|只算|只统计|还有|加上|改为|"
               r"and|what|how|about|with|in|for|the|only|just|instead|then|ok|now|same|also|please|of|on|during|"
               r"question|ones?|rounds?|deals?|they|them|it|its|their|same|again|let's|look|at|show|me|"
               r"year|years|前|名|位|家|个|大|强|top|\d+|[一二两三四五六七八九十]+|领投|跟投|led|lead|as|呢|的|了|吗|吧|呀|啊|年|"
               r"[\s?？!！.,，。、:：ⒾⒸⓇⓈⓎⒷⒶⓀ])+$")
SEARCH = _R(r"搜索|查找|查询|找一下|\bsearch\b|\bfind\b|\blook\s*up\b")
BY_COMPANIES = _R(r"家数|公司数|企业数|投资企业数|投资公司数|投的公司最多|投资的公司最多|投资的企业最多|覆盖.*(?:公司|企业)|"
                  r"(?:公司|企业)(?:的)?(?:数量|数目)?(?:最多|更多|多一些|较多|最少|更少)|(?:more|fewer|fewest)\s+(?:companies|startups)|"
                  r"most\s+(?:companies|startups)|number\s+of\s+(?:companies|startups)|companies\s+backed")
FOLLOW_MARK = _R(r"^(?:那|那么|那如果|如果是|如果换成|换成|改成|换为|要是|再看|再问|还有|and\b|what\s+about\b|how\s+about\b|"
                 r"same\s+(?:for|question)|now\b|only\b|just\b|also\b|then\b|ok\b)|呢\s*[?？]?\s*$|\binstead\b|^只看|^仅看|^只要")
PRONOUN = _R(r"^(?:它|他|她|他们|它们|该|这家|那家|这个|那个|此)|它们|他们|该机构|该公司|这家|这个机构|这家公司|\bthey\b|\bthem\b|"
             r"\btheir\b|\bit\b|\bits\b|\bthis\s+(?:investor|firm|company|one)\b|\bthat\s+(?:investor|firm|company)\b")

EACH = _R(r"分别|各自|各有|\brespectively\b|\beach\b")
COMPARE = _R(r"谁[^，,。?？]{0,8}(?:多|大|活跃|高)|哪(?:个|家|一个|一家|位)[^，,。?？]{0,8}(?:多|大|活跃|高)|"
             r"哪个.*(?:更多|多一些|更大|更高)|比较|相比|对比|\bmore\b|\bcompare\b|\bversus\b|\bvs\.?\b|"
             r"\bwhich\s+(?:one|of\s+(?:the|them))\b")
LOCATION = _R(r"位于|在哪|哪个城市|哪个省|哪座城市|总部|所在地|所在(?:的)?(?:城市|省份|地区)|\blocated\b|\bbased\b|"
              r"\bwhere\s+is\b|\bheadquarter|\bwhich\s+(?:city|province)\s+is\b")
SEGMENT_OF = _R(r"属于(?:哪个|什么)?(?:领域|细分|赛道|行业|板块)|(?:哪个|什么)(?:领域|细分|赛道|行业)|是做什么的|"
                r"\bwhat\s+(?:segment|sector|field|industry)\b|\bwhich\s+(?:segment|sector|field|industry)\b|"
                r"\bsegments?\b|\bsectors?\b")

INTENTS = ("portfolio", "investors_of", "co_investors", "common_portfolio", "company_count", "deal_count",
           "top_investors", "companies", "region_summary", "segment_summary", "amount_total", "largest_rounds",
           "path", "policies", "factories", "listings", "funding_history", "timeline", "region_clusters", "segment_stage",
           "coinvest_network", "neighborhood", "search", "unknown")

# the entity parameters of each intent, in order (a second investor goes to `b`)
SUBJECT = {"portfolio": ("investor",), "co_investors": ("investor",), "investors_of": ("company",),
           "funding_history": ("company",), "common_portfolio": ("a", "b"), "path": ("a", "b"),
           "neighborhood": ("entity",)}


def _has(rx, s) -> bool:
    return bool(rx.search(s))


def _labels(p: Parse, *labels) -> list[Mention]:
    return [m for m in p.mentions if m.label in labels]


def _regions(p: Parse) -> list[Mention]:
    return [m for m in p.mentions if m.label == "Region" and m.level != "country"]


PLURAL_ZH = _R(r"哪些|有哪些|都有|各|排名|排行|列出|分别|前|几家|几个|名单|列表|依次")
SINGULAR_EN = _R(r"\b(?:most|top|largest|biggest|busiest|leading|highest|single|best[- ]connected)\s+(?:[a-z-]+\s+){0,2}?(?:investor|company|firm|"
                 r"fund|province|city|region|segment|sector|startup|vc|deal|round|co-?investor|partner|area|field)\b(?!s)")


def _want_k(p: Parse, sk: str) -> tuple[int | None, bool]:
    """k from the question and whether it asks for a single answer (哪家…最多, which investor…, 融资最多的公司)."""
    k = p.slots.get("k")
    rank = _has(RANK, sk)
    singular = k is None and rank and (
        _has(SINGULAR, sk) or (p.language == "zh" and not _has(PLURAL_ZH, sk)) or
        (p.language == "en" and _has(SINGULAR_EN, sk)))
    return (1 if singular else k), singular


OVERVIEW_NODES = 1000  # nodes an investor's or company's overview reads (nearest first)


def _central(sk: str) -> str | None:
    """Which centrality of the co-investment network the question asks for (degree, pagerank), if any
    (the words are ``ontology/chat.yaml``'s ``centrality``)."""
    from kg.chat.frame import vocab

    words = vocab()["centrality"]
    return next((kind for kind in ("degree", "pagerank") if words[kind].search(sk)), None)


# --------------------------------------------------------------------------------------- classify
def classify(p: Parse) -> tuple[str, dict] | None:
    """The intent the question states on its own, with its mode (how to read the query's result);
    None when it states none (a follow-up, or not a question about this graph)."""
    sk = p.skeleton
    invs = _labels(p, "Investor")
    cos = _labels(p, "Company")
    regs = _regions(p)
    segs = _labels(p, "Segment")
    count, money, rank = _has(COUNT, sk), _has(MONEY, sk), _has(RANK, sk)
    if count and rank and not _has(COUNT_STRICT, sk):
        count = False  # 投资数量最多的机构: a ranking by a count, not a count
    k, singular = _want_k(p, sk)
    metric = "amount_cny" if _has(AMOUNT_WORD, sk) else "companies" if _has(BY_COMPANIES, sk) else None
    mode = {"count": count, "k": k, "singular": singular, "rank": rank, "metric": metric}
    two_entities = len(invs) + len(cos) >= 2

    # policies, lighthouse factories and listings are their own worlds
    if _has(FACTORY, sk) and not invs:
        wants_companies = _has(_R(r"公司|企业|\bcompan(?:y|ies)\b|\bfirms?\b|\bwho\b"), sk)
        return "factories", {**mode, "want": "companies" if wants_companies else "factories"}
    if _has(POLICY, sk) and not invs and not cos:
        wants_regions = (bool(p.slots.get("region_level")) or _has(REGION_Q, sk)) and not _has(
            _R(r"哪些政策|什么政策|哪几项|哪项|which\s+polic|what\s+polic|list\s+(?:the\s+)?polic"), sk)
        return "policies", {**mode, "want": "regions" if wants_regions else "policies"}
    if (_has(LISTING, sk) or p.slots.get("board")) and not invs and not _has(INVESTED_BY, sk) \
            and not (cos and (_has(HISTORY, sk) or money)):
        return "listings", mode

    # the co-investment network's communities (合投网络有几个社群, which community is X in): no region named
    # (a region's clusters are region_clusters)
    if _has(CLUSTER, sk) and not regs and not cos and (_has(NETWORK, sk) or _has(CO, sk) or invs or
                                                        _has(INVESTOR_NOUN, sk)):
        return "coinvest_network", {**mode, "communities": True, "member": invs[0].id if invs else None}
    # the co-investment network's centre (最核心的机构, the most co-investment partners): investors, the market
    central = _central(sk)
    if central and not invs and not cos and (_has(INVESTOR_NOUN, sk) or _has(CO, sk) or _has(NETWORK, sk) or
                                             not _has(COMPANY_NOUN, sk)):
        return "coinvest_network", {**mode, "central": central}

    # two investors (or an investor and a company): common portfolio, a pair's co-investments, a path
    if len(invs) >= 2 and not cos and _has(COMPARE, sk) and not _has(COMMON, sk):
        return "top_investors", {**mode, "only": [m.name for m in invs], "singular": True, "all": True}
    if len(invs) >= 2:
        if _has(COMMON, sk) or (_has(COMPANY_NOUN, sk) and not _has(PATH, sk)) or \
                (_has(PORTFOLIO, sk) and not _has(CO, sk) and not _has(PATH, sk)):
            return "common_portfolio", mode
        if _has(CO, sk) and (count or _has(DEAL_NOUN, sk)):
            return "co_investors", {**mode, "pair": True}
        if _has(CO, sk):
            return "common_portfolio", mode
        return "path", mode
    if len(cos) >= 2 and not invs and (_has(INVESTED_BY, sk) or _has(INVESTOR_NOUN, sk) or _has(COMMON, sk)) \
            and not _has(PATH, sk):
        return "investors_of", {**mode, "also": [m.name for m in cos[1:]]}  # who invested in both
    if two_entities and (_has(PATH, sk) or not (_has(INVESTED_BY, sk) or _has(PORTFOLIO, sk) or p.slots.get("lead_only")
                                                 or _R(r"\brounds?\b|轮|\blead|\bled\b|领投").search(sk))):
        return "path", mode  # an investor and a company with nothing else asked: how they are connected
    if invs and cos and (_has(PORTFOLIO, sk) or _has(INVESTED_BY, sk)) and not count and not money:
        return "investors_of", {**mode, "check": invs[0].name}

    # one company
    if cos:
        if _has(LOCATION, sk) and not count and not money:
            lv = p.slots.get("region_level")
            return "neighborhood", {**mode, "want": "province" if lv == "province" else "city"}
        if _has(SEGMENT_OF, sk) and not count and not money:
            return "neighborhood", {**mode, "want": "segment"}
        if money:
            return "amount_total", mode
        if count and _has(INVESTOR_NOUN, sk):
            return "investors_of", mode
        if count:
            return "deal_count", mode
        if _has(CO, sk) or _has(INVESTED_BY, sk) or _has(WHO, sk) or _has(PORTFOLIO, sk) or _has(INVESTOR_NOUN, sk):
            return "investors_of", mode
        if _has(HISTORY, sk) or _has(RAISED, sk) or _has(TIMELINE, sk):
            return "funding_history", mode
        if _has(PATH, sk) or _has(OVERVIEW, sk) or _has(NETWORK, sk):
            return "neighborhood", mode
        return None

    # one investor
    if invs:
        if _has(CO, sk) or (_has(NETWORK, sk) and not _has(COMPANY_NOUN, sk)):
            return "co_investors", mode
        if money:
            return "amount_total", mode
        if count:
            if _has(COMPANY_UNIT, sk) and not _has(_R(r"几轮|多少轮|几次|多少次|几笔|多少笔|多少起|几起|deals|rounds|times"), sk):
                return "company_count", mode
            return "deal_count", mode
        if _has(PORTFOLIO, sk) or _has(COMPANY_NOUN, sk) or p.slots.get("lead_only"):
            if _has(REGION_Q, sk) and not regs:  # 红杉投资的公司分布在哪些城市
                lv = p.slots.get("region_level")
                return "portfolio", {**mode, "want": "province" if lv == "province" else "city"}
            if (_has(SEGMENT_Q, sk) or _has(SEGMENT_OF, sk)) and not p.of("Segment"):  # "in the platform segment" filters
                return "portfolio", {**mode, "want": "segment"}
            return "portfolio", mode
        if _has(TIMELINE, sk):
            return "timeline", mode
        if _has(PATH, sk) or _has(OVERVIEW, sk) or _has(NETWORK, sk):
            return "neighborhood", mode
        return None

    # no investor, no company: the market as a whole, filtered by region, segment, round, time
    investor_q = _has(INVESTOR_NOUN, sk) or _has(WHO_INVESTS, sk) or \
        (_has(WHO, sk) and not _has(COMPANY_NOUN, sk) and not _has(WHO_RAISED, sk))
    if _has(CLUSTER, sk) and regs:
        return "region_clusters", mode
    if _has(NETWORK, sk) and (_has(CO, sk) or investor_q) and not count:
        return "coinvest_network", mode
    each = _has(EACH, sk) and not _has(COMPANY_NOUN, sk)  # 长三角和珠三角分别有多少起: every one of them
    if len(regs) >= 2 and (_has(COMPARE, sk) or rank or each):  # 北京和上海哪个融资多
        return "region_summary", {**mode, "only": [m.name for m in regs], "singular": not k and not each, "count": False,
                                  "level": regs[0].level}
    if count and _has(_R(r"(?:多少|几)\s*个?\s*(?:城市|省份|省|地区|区域)|how\s+many\s+(?:provinces|cities|regions)"), sk):
        return "region_summary", mode
    if count and _has(_R(r"(?:多少|几)\s*个?\s*(?:领域|细分|赛道)|how\s+many\s+(?:segments|sectors)"), sk):
        return "segment_summary", mode
    if _has(REGION_Q, sk) and not (investor_q and not rank) and not _has(_R(r"哪些(?:公司|企业)|which\s+compan"), sk):
        return "region_summary", mode
    if _has(SEGMENT_Q, sk) and not investor_q and not _has(_R(r"哪些(?:公司|企业)|which\s+compan"), sk):
        if _has(STAGE, sk) and not rank:
            return "segment_stage", mode
        return "segment_summary", mode
    if _has(STAGE, sk) and _has(_R(r"分布|各|distribution|breakdown|by\s+segment"), sk) and not p.slots.get("round"):
        return "segment_stage", mode
    if _has(TIMELINE, sk) and not _has(_R(r"哪些(?:公司|企业|机构)|which\s+(?:compan|investor)"), sk):
        return "timeline", mode
    if investor_q and not money:
        if count:
            return "top_investors", {**mode, "all": True}
        return "top_investors", {**mode, "all": not rank}
    if money and not (rank and _has(LARGEST, sk)):
        return "amount_total", mode
    if rank and _has(DEAL_NOUN, sk) and _has(AMOUNT_WORD, sk) and not _has(COMPANY_NOUN, sk):
        return "largest_rounds", {**mode, "singular": mode["singular"] or _has(ONE_DEAL, sk)}
    if _has(LARGEST, sk) and _has(COMPANY_NOUN, sk) and not _has(ONE_DEAL, sk) and \
            not _has(_R(r"笔|\bdeals?\b|\brounds?\b|单轮|一轮"), sk):
        return "companies", {**mode, "metric": "amount_cny" if _has(AMOUNT_WORD, sk) or _has(LARGEST, sk) else None}
    if _has(LARGEST, sk) and (_has(DEAL_NOUN, sk) or _has(RAISED, sk) or money or _has(COMPANY_NOUN, sk)):
        return "largest_rounds", {**mode, "singular": (mode["singular"] or _has(ONE_DEAL, sk)) and not mode["k"]}
    if count:
        if _has(COMPANY_UNIT, sk) and not _has(_R(r"几轮|多少轮|几次|多少次|几笔|多少笔|多少起|几起|deals|rounds|times"), sk):
            return "company_count", mode
        return "deal_count", mode
    if _has(COMPANY_NOUN, sk) or (_has(RAISED, sk) and (regs or segs or p.slots.get("round"))):
        return "companies", mode
    if rank and (regs or segs or p.slots):
        return "top_investors", mode
    if _has(SEARCH, sk):
        return "search", mode
    if regs or segs:
        if _has(OVERVIEW, sk) or _has(NETWORK, sk):
            return "neighborhood", mode
        if p.slots.get("round") or any(x in p.slots for x in TIME_KEYS) or \
                _has(_R(r"^[\sⓇⓈ的和与、,，?？!！.]*(?:呢)?[?？]?$"), sk) and not _has(FOLLOW_MARK, sk):
            return "companies", mode  # 杭州 / 杭州 安全: who raised money there
        return None
    if p.slots.get("round") and not any(x in p.slots for x in ("k",)) and _has(RAISED, sk):
        return "companies", mode
    return None


# -------------------------------------------------------------------------------------- params
def _filters_from(p: Parse) -> dict:
    f: dict = {}
    for k in TIME_KEYS:
        if k in p.slots:
            f[k] = p.slots[k]
    regs = _regions(p)
    if regs:
        f["region"] = regs[0].name if regs[0].level != "city" else regs[0].id
    segs = _labels(p, "Segment")
    if segs:
        f["segment"] = segs[0].name
    if p.slots.get("round"):
        f["round"] = list(p.slots["round"])
    if p.slots.get("lead_only"):
        f["lead_only"] = True
    if p.slots.get("min_amount"):
        f["min_amount"] = p.slots["min_amount"]
    return f


def _subject(intent: str, p: Parse, mode: dict) -> dict:
    invs, cos = _labels(p, "Investor"), _labels(p, "Company")
    out: dict = {}
    if intent in ("portfolio", "co_investors"):
        if invs:
            out["investor"] = invs[0].name
        if mode.get("pair") and len(invs) >= 2:
            mode["other"] = invs[1].name
    elif intent in ("investors_of", "funding_history"):
        if cos:
            out["company"] = cos[0].name
    elif intent in ("common_portfolio",):
        if len(invs) >= 2:
            out["a"], out["b"] = invs[0].name, invs[1].name
        elif invs:
            out["a"] = invs[0].name
    elif intent == "path":
        ents = sorted(invs + cos, key=lambda m: m.start)
        if len(ents) >= 2:
            out["a"], out["b"] = ents[0].id, ents[1].id
        elif ents:
            out["a"] = ents[0].id
    elif intent in ("deal_count", "amount_total"):
        if cos:
            out["company"] = cos[0].name
        elif invs:
            out["investor"] = invs[0].name
    elif intent in ("company_count", "timeline"):
        if invs:
            out["investor"] = invs[0].name
    elif intent == "neighborhood":
        ents = invs + cos or _regions(p) or _labels(p, "Segment")
        if ents:
            out["entity"] = ents[0].id
    elif intent == "region_clusters":
        regs = _regions(p)
        if regs:
            out["region"] = regs[0].name if regs[0].level != "city" else regs[0].id
    return out


def _mode_params(intent: str, p: Parse, mode: dict) -> dict:
    out: dict = {}
    k = mode.get("k")
    if intent == "co_investors" and k and not mode.get("pair") and not mode.get("singular"):
        out["k"] = k
    elif intent == "top_investors":
        out["k"] = k if k and not mode.get("singular") else 1000 if mode.get("all") or mode.get("singular") else 10
        sk = p.skeleton
        if _has(BY_COMPANIES, sk):
            out["by"] = "companies"
    elif intent == "largest_rounds":
        out["k"] = k or 10
    elif intent == "neighborhood":
        ents = _labels(p, "Investor", "Company")
        out["hops"] = 2 if ents and not mode.get("want") else 1
        if out["hops"] == 2:  # an overview: its companies and co-investors lie behind every round
            out["limit"] = OVERVIEW_NODES
    elif intent == "region_summary":
        out["level"] = p.slots.get("region_level") or "province"
    elif intent == "timeline":
        sk = p.skeleton
        out["by"] = "month" if _has(_R(r"月|month"), sk) else "quarter" if _has(_R(r"季度|quarter"), sk) else "year"
    elif intent == "listings":
        if p.slots.get("board"):
            out["board"] = p.slots["board"]
    elif intent == "policies":
        if p.slots.get("policy_level"):
            out["level"] = p.slots["policy_level"]
    elif intent == "search":
        out["text"] = re.sub(r"搜索|查找|查询|找一下|search\s+(?:for\s+)?|find|look\s*up", "", p.text, flags=I).strip(" ?？:：")
    return out


def query_params(intent: str, params: dict) -> dict:
    """Only the parameters the named query takes (policies take region and year, not date ranges…)."""
    try:
        from kg.queries import REGISTRY
    except ImportError:  # pragma: no cover - the query layer is part of the package
        return params
    q = REGISTRY.get(_QUERY.get(intent, intent))
    if q is None:
        return params
    names = {x.name for x in q.params}
    out = {k: v for k, v in params.items() if k in names and v is not None}
    if "year" not in names and "year" in params and "date_from" in names:
        out["date_from"] = out["date_to"] = str(params["year"])
    return out


_QUERY = {}  # intent -> query name, where they differ (none today: intents are named after their queries)


def _plan(intent: str, p: Parse, mode: dict) -> None:
    params = {**_subject(intent, p, mode), **_filters_from(p), **_mode_params(intent, p, mode)}
    if intent == "region_clusters":
        params.pop("region", None)
        params.update(_subject(intent, p, mode))
    if intent == "region_summary" and mode.get("only"):
        params.pop("region", None)
        params["level"] = mode.get("level") if mode.get("level") in ("province", "city", "macro") else "province"
    if intent == "factories":
        regs = _regions(p)
        params = {k: v for k, v in params.items() if k in ("region", "year")}
        if regs:
            params["region"] = regs[0].name
    if intent == "policies":
        regs = _regions(p)
        params = {k: v for k, v in params.items() if k in ("region", "year", "level", "date_from", "date_to")}
        if regs:
            params["region"] = regs[0].name
    if intent in MARKET_INTENTS and not any(k in params for k in ("round", "company", "investor")) \
            and not _has(LISTING, p.skeleton) and not p.slots.get("board"):
        params["round"] = list(PRIVATE_ROUNDS)
    p.intent = intent
    p.query = _QUERY.get(intent, intent)
    p.params = query_params(intent, params)
    p.mode = mode


# Questions about the market's deals (融资, deals) count financing rounds, not stock-market listings: an IPO
# is a Round in the graph (type ipo, group "listed") but is asked about as a listing (上市, IPO, 科创板).
# Without a round, a company or an investor in the question, these intents get the round groups below.
PRIVATE_ROUNDS = ("early", "later", "strategic", "other")
MARKET_INTENTS = ("deal_count", "company_count", "companies", "amount_total", "region_summary", "segment_summary",
                  "largest_rounds", "timeline")


# ------------------------------------------------------------------------------------- follow-ups
_ANALOGUE = {  # (intent, label of the new subject) -> intent that asks the same about it
    ("portfolio", "Company"): "investors_of", ("investors_of", "Investor"): "portfolio",
    ("co_investors", "Company"): "investors_of", ("funding_history", "Investor"): "portfolio",
    ("company_count", "Company"): "deal_count", ("companies", "Investor"): "portfolio",
    ("companies", "Company"): "investors_of", ("top_investors", "Investor"): "deal_count",
    ("top_investors", "Company"): "investors_of", ("region_summary", "Investor"): "portfolio",
    ("segment_summary", "Investor"): "portfolio", ("largest_rounds", "Company"): "funding_history",
    ("largest_rounds", "Investor"): "portfolio", ("listings", "Company"): "funding_history",
    ("policies", "Investor"): "portfolio", ("policies", "Company"): "investors_of",
    ("region_clusters", "Investor"): "co_investors", ("coinvest_network", "Investor"): "co_investors",
    ("segment_stage", "Investor"): "portfolio", ("timeline", "Company"): "funding_history",
    ("search", "Investor"): "portfolio", ("search", "Company"): "investors_of",
}
_TAKES = {"deal_count": ("Investor", "Company"), "amount_total": ("Investor", "Company"),
          "company_count": ("Investor",), "timeline": ("Investor",), "neighborhood": ("Investor", "Company")}


def _apply_followup(p: Parse, prev: Parse) -> None:
    """Change the previous plan by what this turn says (see the module docstring)."""
    intent = prev.intent
    params = copy.deepcopy(prev.params)
    mode = dict(getattr(prev, "mode", {}) or {})
    ents = _labels(p, "Investor", "Company")
    for m in ents:
        subj = SUBJECT.get(intent)
        if subj and subj[0] in ("a", "b"):
            # two-sided questions: a new name replaces the second side (And with Casstar?)
            if len(ents) >= 2:
                params["a"], params["b"] = (ents[0].id, ents[1].id) if intent == "path" else (ents[0].name, ents[1].name)
                break
            if intent == "common_portfolio" and m.label != "Investor":
                intent, params = "investors_of", {k: v for k, v in params.items() if k in FILTER_KEYS}
                params["company"] = m.name
                continue
            params["b"] = m.id if intent == "path" else m.name
            continue
        if intent == "co_investors" and mode.get("pair") and m.label == "Investor":
            mode["other"] = m.name
            continue
        if subj and subj[0] == "entity":
            params["entity"] = m.id
            continue
        wanted = {"investor": "Investor", "company": "Company"}.get(subj[0]) if subj else None
        if wanted == m.label:
            params[subj[0]] = m.name
            continue
        if intent in _TAKES and m.label in _TAKES[intent]:
            params.pop("investor", None)
            params.pop("company", None)
            params["investor" if m.label == "Investor" else "company"] = m.name
            continue
        new = _ANALOGUE.get((intent, m.label))
        if new:
            filters = {k: v for k, v in params.items() if k in FILTER_KEYS}
            intent, mode = new, {"count": False, "k": None, "singular": False}
            params = {**filters, ("investor" if m.label == "Investor" else "company"): m.name}
    regs = _regions(p)
    if regs:
        r = regs[0]
        params["region"] = r.name if r.level != "city" else r.id
    segs = _labels(p, "Segment")
    if segs:
        params["segment"] = segs[0].name
    if any(k in p.slots for k in TIME_KEYS):
        for k in TIME_KEYS:
            params.pop(k, None)
        for k in TIME_KEYS:
            if k in p.slots:
                params[k] = p.slots[k]
    elif p.slots.get("month"):  # 那8月呢: the month of the year asked about before
        y = params.get("year") or str(params.get("date_from") or params.get("date_to") or "")[:4]
        if y:
            for k in TIME_KEYS:
                params.pop(k, None)
            params["date_from"] = params["date_to"] = f"{int(y):04d}-{p.slots['month']:02d}"
    if p.slots.get("round"):
        params["round"] = list(p.slots["round"])
    if p.slots.get("lead_only"):
        params["lead_only"] = True
    if p.slots.get("min_amount"):
        params["min_amount"] = p.slots["min_amount"]
    if p.slots.get("board"):
        params["board"] = p.slots["board"]
    if p.slots.get("policy_level"):
        params["level"] = p.slots["policy_level"]
    if p.slots.get("region_level") and intent == "region_summary":
        params["level"] = p.slots["region_level"]
    for what in p.slots.get("clear", []):
        for k in (TIME_KEYS if what == "time" else (what,)):
            params.pop(k, None)
    if "k" in p.slots:
        mode["k"], mode["singular"] = p.slots["k"], False
        if intent in ("co_investors", "top_investors", "largest_rounds") and not mode.get("pair"):
            params["k"] = p.slots["k"]
    if params.get("round") == list(PRIVATE_ROUNDS) and (intent not in MARKET_INTENTS or params.get("company")
                                                         or params.get("investor")):
        params.pop("round")  # the market default does not follow a question about one investor or company
    p.intent, p.query = intent, _QUERY.get(intent, intent)
    p.params = query_params(intent, params)
    p.mode = mode
    p.followup = True


_OPTIONAL_SUBJECT = {"deal_count": ("investor", "company"), "amount_total": ("investor", "company"),
                     "company_count": ("investor",), "timeline": ("investor",)}


def _inherit_subject(p: Parse, prev: Parse) -> bool:
    """A question about 'it' / 'them' (它投了哪些公司, How many rounds did it raise?): the subject comes from
    the last turn, with its filters. Intents that cannot run without a subject take it without a pronoun."""
    optional = p.intent in _OPTIONAL_SUBJECT
    subj = _OPTIONAL_SUBJECT.get(p.intent) or SUBJECT.get(p.intent) or ()
    if not subj or any(k in p.params for k in subj):
        return False
    if optional and not _has(PRONOUN, p.skeleton):
        return False
    for key in subj:
        for src in ("investor", "company", "a", "entity"):
            v = prev.params.get(src)
            if v is None:
                continue
            label = "Company" if src == "company" else "Investor" if src in ("investor", "a") else None
            if key == "investor" and label == "Investor" or key == "company" and label == "Company" or \
                    key in ("a", "entity"):
                p.params[key] = v
                _inherit_filters(p, prev)
                return True
    return False


def _inherit_filters(p: Parse, prev: Parse) -> None:
    clear = set(p.slots.get("clear", []))
    if prev.params.get("round") == list(PRIVATE_ROUNDS):
        clear.add("round")  # the market default is not a filter the user chose
    for k in FILTER_KEYS:
        if k in prev.params and k not in p.params and not (k in TIME_KEYS and any(t in p.params for t in TIME_KEYS)) \
                and not (k in clear or (k in TIME_KEYS and "time" in clear)):
            p.params[k] = prev.params[k]
    p.params = query_params(p.intent, p.params)
    p.followup = True


def is_elliptic(p: Parse) -> bool:
    """Nothing left but names, slot values and follow-up words: 那深创投呢？ 只看2019年的 And with Casstar?"""
    return bool(_ELLIPSIS.match(p.skeleton or ""))


def _resolve_pronoun(p: Parse, prev: Parse) -> bool:
    """它/他们/this investor/it → the last turn's subject, as if it had been named here."""
    if _labels(p, "Investor", "Company"):
        return False
    m = PRONOUN.search(p.skeleton)
    if not m:
        return False
    subject = None
    for key, label in (("investor", "Investor"), ("company", "Company"), ("a", None), ("entity", None)):
        v = prev.params.get(key)
        if v is None:
            continue
        known = next((x for x in prev.mentions if v in (x.name, x.id)), None)
        if known is not None:
            subject = Mention(known.label, known.id, known.name, m.group(0), -1, -1)
        elif label:
            subject = Mention(label, str(v), str(v), m.group(0), -1, -1)
        if subject is not None:
            break
    if subject is None:
        return False
    p.mentions.append(subject)
    s, e = m.span()
    p.skeleton = p.skeleton[:s] + MARK[subject.label] + p.skeleton[e:]
    p.notes.append(f"'{m.group(0)}' is {subject.name}")
    return True


def interpret(p: Parse, previous: Parse | None = None) -> Parse:
    """Set ``p.intent``, ``p.query``, ``p.params`` (and ``p.mode``) from the question and, for a
    follow-up, from ``previous`` (the last answered turn of the conversation)."""
    p.mode = {}
    if p.notes and p.notes[0] in ("empty", "too long"):
        p.intent = "unknown"
        return p
    has_prev = previous is not None and previous.intent not in (None, "unknown")
    pronoun = has_prev and _resolve_pronoun(p, previous)
    found = classify(p)
    if has_prev and (found is None or is_elliptic(p)) and (p.mentions or p.slots or _has(FOLLOW_MARK, p.skeleton)):
        _apply_followup(p, previous)
        return p
    if found is None:
        if _labels(p, "Investor", "Company"):
            _plan("neighborhood", p, {"count": False, "k": None, "singular": False})  # a bare name: what is around it
            return p
        p.intent = "unknown"
        return p
    intent, mode = found
    _plan(intent, p, mode)
    if pronoun:
        _inherit_filters(p, previous)  # 它一共投了多少家公司: the same subject in the same scope
    elif has_prev and not _inherit_subject(p, previous) and _has(FOLLOW_MARK, p.skeleton):
        _inherit_filters(p, previous)  # 那深创投的合投机构呢: a new question in the same scope
    return p
