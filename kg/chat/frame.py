"""A question as one typed frame: what is listed or counted, the measure, the filters, the grouping,
the order and cut, a round of a company's history, a set operation, yes/no.

The NLU (:mod:`kg.chat.nlu`) finds the names, dates, rounds and amounts and masks them in the
question's *skeleton*; the words left are read with the vocabulary of ``ontology/chat.yaml``
(data, both languages). Every stretch of the question is either used by the frame or reported in
``Frame.ignored``: nothing is dropped without a word. A follow-up ("那2019年呢", "And in
Zhejiang?", "前三名呢", "其中哪些在上海", "只看领投的") edits the previous frame.

>>> f = Frame(measure="avg", filters={"year": 2019, "region": "province:上海"})
>>> f.measure, f.filters["year"]
('avg', 2019)
"""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

__all__ = ["Frame", "VOCAB", "build_frame", "merge_followup", "vocab"]

_VOCAB_FILE = Path(__file__).resolve().parents[2] / "ontology" / "chat.yaml"
MARKS = "ⒾⒸⓇⓈⓎⒷⒶⓀ"
_CJK = re.compile(r"[\u3400-\u9fff]")
GROUP_OF_LABEL = {"Region": ("city", "province", "macro"), "Segment": ("segment",)}


# a word boundary between ASCII letters and anything else: in a mixed question (哪个segment最火, IDG的portfolio)
# a Chinese character next to an English word is a boundary, as a space is
_ASCII_B = r"(?:(?<![A-Za-z0-9])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?![A-Za-z0-9]))"


def _compile(items) -> re.Pattern:
    return re.compile("|".join(f"(?:{x})" for x in items).replace(r"\b", _ASCII_B), re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def vocab() -> dict:
    """``ontology/chat.yaml`` with every list compiled to one regular expression."""
    path = _VOCAB_FILE
    if not path.exists():  # installed package: ontology/ sits beside kg/
        import ontology

        path = Path(ontology.__file__).resolve().parent / "chat.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))

    def comp(node):
        if isinstance(node, list):
            return _compile(node)
        return {str(k): comp(v) for k, v in node.items()}

    return comp(raw)


VOCAB = None  # compiled lazily by vocab()


@dataclass
class Frame:
    """What the question asks, typed. ``filters`` use the ``deals`` query's parameter names."""

    measure: str = "list"            # list | deals | companies | investors | amount | avg | median | max | min | share
    #                                  | per_group (a count averaged over the groups: 平均每月几起, deals per company)
    target: str = "deals"            # what is listed or counted: deals | companies | investors | groups
    group_by: str | None = None      # investor | company | segment | province | city | macro | year | month | type
    order: str = "desc"
    rank_by: str | None = None       # the measure a ranking uses (deals, companies, amount)
    k: int | None = None
    top_ties: bool = False           # "the most … 有哪些": every group tied at the top
    plural_rank: bool = False        # with top_ties: a single clear leader gives the whole ranking
    filters: dict = field(default_factory=dict)
    seq: int | None = None           # a company's Nth round (1, 2, …; -1 the latest)
    ask: str | None = None           # for a round: investors | amount | year | round
    setop: str | None = None         # minus | both
    other: dict = field(default_factory=dict)     # the second operand of a set operation
    co_investors: bool = False       # investors who joined the named investor's rounds
    repeat: int | None = None        # companies with at least this many rounds
    share_part: dict = field(default_factory=dict)  # the part of a share (占比): extra filters
    yesno: bool = False
    groups_in: list = field(default_factory=list)  # only these groups (named regions in a ranking)
    ignored: list = field(default_factory=list)
    unknown: list = field(default_factory=list)    # name-like words that name nothing in the graph
    unsupported: list = field(default_factory=list)  # properties the graph does not hold (估值, CEO)
    language: str = "zh"
    subject_company: str | None = None
    subject_investor: str | None = None
    interval: list = field(default_factory=list)  # with ask "interval": the two rounds (1, 2, -1) or all gaps
    having: tuple | None = None      # (measure, op, n): groups with more/at least/fewer than n deals or companies
    compare: bool = False            # side by side: each of the named years/regions/investors and the difference
    absent: list = field(default_factory=list)    # names the ontology knows that have no deals in the graph
    clear: list = field(default_factory=list)     # filters a follow-up lifts (time, round, region, segment, lead_only)
    relative: str | None = None      # 今年 / last year / 近三年 as written: read against the newest deal, and said
    central: str | None = None       # the co-investment network's centre asked: degree | pagerank
    co_pending: bool = False         # co-investors asked of an investor this turn does not name (它的合投伙伴)
    investor_place: bool = False     # a place named as the investors' (北京的投资机构…在上海): said as not understood
    central_words: list = field(default_factory=list)  # its words as written (not understood by any other answer)

    def as_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------------------ reading
def _spans(rx: re.Pattern, text: str):
    return [(m.start(), m.end(), m.group(0)) for m in rx.finditer(text) if m.end() > m.start()]


class _Reader:
    """The skeleton with a record of which characters the frame used."""

    def __init__(self, skeleton: str):
        self.text = skeleton
        self.used = [False] * len(skeleton)
        self.weak: set[int] = set()
        for i, ch in enumerate(skeleton):
            if ch in MARKS or not ch.strip() or ch in "?？!！。.,，、:：;；()（）\"'“”‘’《》-—":
                self.used[i] = True

    def find(self, rx: re.Pattern, mark: bool = True) -> list[tuple[int, int, str]]:
        out = _spans(rx, self.text)
        if mark:
            for s, e, _ in out:
                self.take(s, e)
        return out

    def has(self, rx: re.Pattern, mark: bool = True) -> bool:
        return bool(self.find(rx, mark))

    def take(self, s: int, e: int) -> None:
        for i in range(max(0, s), min(e, len(self.used))):
            self.used[i] = True

    def residue(self) -> list[tuple[int, int, str]]:
        """The stretches no word of the frame used (words only a space apart stay one stretch)."""
        out, start = [], None
        for i, u in enumerate(self.used + [True]):
            if not u and start is None:
                start = i
            elif u and start is not None:
                chunk = self.text[start:i].strip()
                if chunk:
                    if out and not self.text[out[-1][1]:start].strip():
                        s0 = out.pop()[0]
                        out.append((s0, i, self.text[s0:i].strip()))
                    else:
                        out.append((start, i, chunk))
                start = None
        return out


_FUNCTION_CHARS = set("的了吗呢有在和与跟是过投把被为从到至于对及或也都又还而但哪几多少么啊吧呀")
_ORG_SUFFIX = re.compile(r"(?:基金|资本|创投|投资|科技|集团|重工|智能|网络|数据|控股|股份|公司|银行|证券|信息|软件|机器人|"
                         r"capital|partners|ventures|global|fund|group|tech|holdings|investments?|management|"
                         r"labs?|inc|ltd|corp)\s*$", re.IGNORECASE)
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z0-9&.'-]*(?:\s+[A-Z][A-Za-z0-9&.'-]*)*$")


def _name_like(chunk: str, start: int, skeleton: str) -> bool:
    """Does a stretch the vocabulary does not know read like a name (that the graph lacks)?"""
    c = chunk.strip()
    if _ORG_SUFFIX.search(c) or (_LATIN_NAME.match(c) and len(c) >= 3):
        return True
    if _CJK.search(c) and len(c) >= 2 and len(_CJK.findall(skeleton)) <= len(c) + 2:
        return True  # a Chinese stretch in an English question is a name
    if _CJK.search(c) and len(c) >= 2:
        before = skeleton[:start].rstrip()
        return not before or before.endswith(("在", "于", "和", "与", "跟", "投了", "投资了", "投过"))
    return False


def _group_dims(r: _Reader, mentions) -> list[tuple[str, int, int]]:
    """Dimension words that ask for a grouping ("哪个城市", "by province", "top 3 cities"), not the
    ones that qualify a name (Ⓢ领域, the Ⓡ region)."""
    V = vocab()
    lead = V["group_lead"]
    out = []
    for dim, rx in V["group"].items():
        for s, e, w in _spans(rx, r.text):
            before = r.text[max(0, s - 12):s]
            after = r.text[e:e + 3]
            if re.search(r"[ⓇⓈ]\s*(?:the\s+)?$", before) and dim in ("city", "province", "macro", "segment"):
                r.take(s, e)  # 平台领域, the platform segment: part of the name
                continue
            if dim in ("year", "month") and re.search(r"Ⓨ\s*$", before) and \
                    not re.search(r"每|各|按|逐|哪|历|which|what|by|per|each", w, re.IGNORECASE):
                r.take(s, e)
                continue
            slack = re.search(f"(?:{lead.pattern})\\s*(?:的)?\\s*(\\w{{0,4}})$", before, re.IGNORECASE)
            if slack and re.search(r"公司|企业|机构|投资方|项目|compan|investor|firm", slack.group(1) or "", re.IGNORECASE):
                slack = None  # 哪些公司融资轮次最多: the companies are asked for, 轮次 is what ranks them
            grouped = bool(slack) or \
                bool(re.search(r"最\w{0,6}的$|最多的\s*\w{0,3}$|[\d一二两三四五六七八九十]\s*(?:个|名)?\s*的?$", before)) or \
                bool(re.match(r"\s*(?:是)?(?:哪|什么|有哪)|\s*(?:by|ranked|with\s+the|had|has|raised|saw|in\s+which)\b",
                              after + r.text[e:e + 12], re.IGNORECASE)) or \
                bool(re.search(r"\b(?:which|what|top\s*\d*|by|per|each)\s+(?:\w+\s+){0,2}$", before, re.IGNORECASE)) or \
                bool(re.search(r"\b(?:busiest|most\s+active|largest|biggest|leading|highest|lowest|fewest|quietest|"
                               r"most\s+(?:common|frequent|popular|usual)|favou?rite)\s*$", before, re.IGNORECASE)) or \
                dim in ("year", "month") and bool(re.search(r"哪|which|what|每|各|按|by|per|each", w, re.IGNORECASE))
            grouped = grouped or bool(re.match(r"(?:which|what|哪)", w, re.IGNORECASE))
            if dim == "type" and re.search(r"Ⓑ", r.text[max(0, s - 3):e + 3]):
                grouped = False
            if dim == "macro" and w in ("地区",) and not grouped:
                r.take(s, e)
                continue
            if grouped:
                out.append((dim, s, e))
                r.take(s, e)
    out.sort(key=lambda x: x[1])
    return out


def vocab_spans(skeleton: str) -> list[tuple[int, int]]:
    """Stretches of ``skeleton`` that are question words (two characters or more): a near-miss name is
    never looked for inside them (工业互联网 is not a misspelt company)."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        else:
            out.extend((s, e) for s, e, w in _spans(node, skeleton) if len(w.strip()) >= 2)

    walk(vocab())
    return out


def build_frame(p, store=None, reference_year: int | None = None, company_context: bool = False) -> Frame:
    """The frame of a parsed question (:class:`kg.chat.nlu.Parse`); nothing is run. ``reference_year``
    (the newest deal's year) reads 去年 / last year / 近三年."""
    V = vocab()
    f = Frame(language=p.language)
    sk = p.skeleton or p.text
    r = _Reader(sk)
    slots = p.slots

    # ---- names
    investors = [m for m in p.mentions if m.label == "Investor"]
    companies = [m for m in p.mentions if m.label == "Company"]
    regions = [m for m in p.mentions if m.label == "Region"]
    if len(regions) >= 2:  # 北京的投资机构在上海投了…: where investors are is not in the graph (only where companies are)
        for m in [m for m in regions if _INVESTOR_PLACE.match(p.text[m.end:m.end + 12]) or
                  _INVESTOR_PLACE_BEFORE.search(p.text[max(0, m.start - 24):m.start])]:
            regions.remove(m)
            f.ignored.append(p.text[m.start:m.end])
            f.investor_place = True
    segments = [m for m in p.mentions if m.label == "Segment"]
    f.absent = [m.name for m in p.mentions if m.label in ("Investor", "Company") and not m.in_graph]
    fl = f.filters
    # ---- time, rounds, amounts from the NLU's slots
    for k in ("year", "date_from", "date_to"):
        if slots.get(k) is not None:
            fl[k] = slots[k]
    if slots.get("round"):
        fl["round"] = list(slots["round"])
    if slots.get("min_amount") is not None:
        fl["min_amount"] = slots["min_amount"]
        if vocab()["amount_inclusive"].search(p.text):
            fl["min_inclusive"] = True
    if slots.get("k"):
        f.k = int(slots["k"])
    not_lead = r.has(V["not_lead"])  # 不是领投 / did not lead: the rounds it joined without leading
    lead = r.has(V["lead"])
    lead = (lead or bool(slots.get("lead_only"))) and not not_lead
    f.clear = list(slots.get("clear") or [])
    r.find(V["clear"])
    r.find(V["followup"])
    r.find(V["within"])
    for rx in V["pronoun"].values():
        r.find(rx)
    for s0, e0 in slots.get("unused_time") or []:  # a second time the one filter cannot hold: not understood
        f.ignored.append(p.text[s0:e0])
    # relative years: against the newest deal in the graph, never the clock
    for back, rx in V["relative_year"].items():
        found = r.find(rx)
        if found and re.match(r"\s*[（(]\s*Ⓨ", sk[found[0][1]:]):
            continue  # 今年（2019年）: the year written in brackets is the one meant
        if found and reference_year:
            f.relative = found[0][2]
            for k in ("date_from", "date_to"):
                fl.pop(k, None)
            fl["year"] = reference_year - int(back)
    for n, rx in V["recent_years"].items():
        found = r.find(rx)
        if found and reference_year:
            f.relative = found[0][2]
            fl.pop("year", None)
            fl["date_from"], fl["date_to"] = str(reference_year - int(n) + 1), str(reference_year)
    _stage_range(f, r, slots)
    # before a year: exclusive
    if r.find(V["before"]):
        y = fl.pop("year", None)
        if y:
            fl.pop("date_to", None)
            fl["date_to"] = str(int(y) - 1)
    # ---- currency of the announcement
    for cur, rx in V["currency"].items():
        if r.has(rx):
            fl["currency"] = cur
    interval = r.has(V["interval"])
    # ---- stage, disclosure
    for stage, rx in V["stage"].items():
        if r.has(rx):
            fl.setdefault("round", [])
            if stage not in fl["round"]:
                fl["round"].append(stage)
    for val, rx in V["disclosed"].items():
        if r.has(rx):
            fl["disclosed"] = val == "true"
    # ---- unsupported properties
    for prop, rx in V["unsupported"].items():
        for _, _, w in r.find(rx):
            f.unsupported.append(w)
    # ---- set operations, co-investment, repeat, sequence
    minus = r.has(V["setop"]["minus"])
    both = r.has(V["setop"]["both"])
    union = r.has(V["setop"]["union"])  # A或B / A or B: either one
    same_round = r.has(V["setop"]["same_round"])
    co = r.has(V["co_invest"])
    for n, rx in V["repeat"].items():
        if r.has(rx):
            f.repeat = int(n)
    seq_words = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
    first_deal = None
    if companies or company_context or r.has(V["pronoun"]["company"], mark=False):
        # a company's Nth round (company_context: the conversation's last company, "最近一轮是哪一年")
        found = sorted((st, name) for name, rx in V["sequence"].items() for st, _, _ in r.find(rx))
        if found:
            f.seq = seq_words[found[0][1]]
    else:  # the first deal of all (in the data, in 2019, in 北京): the earliest round under the filters
        first_deal = re.search(r"\b(?:the\s+)?(?:first|earliest)\s+(?:\w+\s+)?(?:deal|round|financing|investment)\b|"
                               r"\b(?:the\s+)?(?:first|earliest)\s+(?:company|startup)\b|第一家(?:公司|企业)?|"
                               r"最早(?:的)?(?:一笔|一轮|一起|一次)?(?:融资|交易)|第一笔(?:融资|交易)?|首笔(?:融资|交易)?", sk, re.IGNORECASE)
        if first_deal:
            r.take(first_deal.start(), first_deal.end())
    f.yesno = r.has(V["yesno"])
    _having(p, f, r)
    f.compare = r.has(V["compare"])
    rank_all = r.has(V["rank_all"])
    # ---- measure words
    M = V["measure"]
    share = r.has(M["share"])
    avg = r.has(M["avg"])
    median = r.has(M["median"])
    mx = r.has(M["max"])
    mn = r.has(M["min"])
    count = r.has(M["count"])
    amount = r.has(M["amount"])
    money_rank = r.has(M["money_rank"])
    weak = r.has(M["count_weak"])
    count = count or (weak and not amount)
    count_unit = None  # what a count counts, from its own words: 几次/多少起 deals, how many investors …
    for s0, e0, w in _spans(M["count"], sk) + _spans(M["count_weak"], sk):
        after = sk[e0:e0 + 16]
        if re.match(r"\s*(?:起|笔|轮|次)", after):
            count_unit = "deals"
        elif re.match(r"\s*(?:家|位|个)?\s*(?:unique\s+|distinct\s+|different\s+|individual\s+)?(?:投资方|投资人|投资机构|机构|资方|\s*investors?|\s*backers?|\s*firms?|\s*vcs?|\s*funds?\b)",
                      after, re.IGNORECASE):
            count_unit = "investors"
        elif re.match(r"\s*(?:家|个)?\s*(?:unique\s+|distinct\s+|different\s+)?(?:公司|企业|项目|\s*compan|\s*startups?)", after,
                      re.IGNORECASE):
            count_unit = "companies"
        elif re.match(r"\s*(?:deals?|rounds?|financings?|times)\b", after, re.IGNORECASE):
            count_unit = "deals"
        if re.fullmatch(r"portfolio\s+size", w, re.IGNORECASE):
            count_unit = "companies"
        elif w in ("次数", "笔数", "轮数", "起数"):
            count_unit = "deals"  # 领投的次数: how many times, whoever asks
        if count_unit:
            break
    if count_unit is None and re.search(r"(?:几|多少)\s*[家个]\s*(?:[?？。!！]|$|呢|啊|吧)", sk):
        count_unit = "investors" if companies and not investors else "companies"
    desc = r.find(V["order"]["desc"])
    asc = r.find(V["order"]["asc"])
    by_companies = r.has(V["rank_by_companies"])
    by_investors = r.has(V["rank_by_investors"])
    singular = r.has(V["singular"], mark=False)
    dims = _group_dims(r, p.mentions)
    T = V["target"]
    t_companies = r.find(T["companies"])
    t_investors = r.find(T["investors"])
    r.find(T["deals"])
    r.find(V["named"])
    for kind in ("degree", "pagerank"):  # 合投伙伴最多, 最核心的机构: the network's centralities answer it
        spans = r.find(V["centrality"][kind])
        if spans and f.central is None:
            f.central = kind
        f.central_words += [w for _, _, w in spans]
    before_fill = list(r.used)
    for s0, e0, _ in r.find(V["filler"]):
        if e0 - s0 == 1 and _CJK.match(sk[s0]) and not before_fill[s0] and sk[s0] not in _FUNCTION_CHARS:
            r.weak.add(s0)  # one character (数, 中 …) may belong to a name nobody listed
    # ---- filters from names
    if investors:
        fl["investor"] = [m.id for m in investors]
    if companies:
        fl["company"] = companies[0].id
        f.subject_company = companies[0].id
        if f.having and f.having[0] == "deals" and not f.group_by:
            f.group_by = "company"  # 墨弦互联只有一轮融资吗: its own count against the threshold
    if segments:
        fl["segment"] = segments[0].id
    if len(regions) == 1:
        fl["region"] = regions[0].id
    elif len(regions) > 1:
        fl["region"] = regions[0].id
        f.other["regions"] = [m.id for m in regions]
    if investors:
        f.subject_investor = investors[0].id
    if lead:
        fl["lead_only"] = True
    # ---- amounts below a threshold (the NLU reads only the ones above)
    _below(p, f, r)

    # ---- the target and the measure
    group = dims[0][0] if dims else None
    if group == "type" and companies and len(companies) == 1:
        group = "round"  # which round of 岩星互联 / 昕朗数据的哪一轮: that company's rounds, each its own
    if group in ("city", "province", "macro") and regions and len(regions) > 1 and not minus and not both:
        f.groups_in = [m.id for m in regions]
        fl.pop("region", None)
        f.other.pop("regions", None)
    # a number of companies or investors asked for is a ranking (融资金额前十的公司, top 10 investors by amount)
    ranked = bool(desc or asc) or (f.k is not None and bool(t_companies or t_investors))
    if asc and (not desc or asc[0][0] > desc[0][0]):
        f.order = "asc"
    want_investors = bool(t_investors)
    want_companies = bool(t_companies)
    if by_companies and want_investors and want_companies:
        want_companies = False  # top investors by number of companies: the companies only rank them
    elif by_investors and want_investors and want_companies:
        want_investors = False  # the company with the most investors: the investors only rank it
    if want_investors and want_companies:
        # "投资方 of a company" vs "机构 that backed 公司": the later noun is what is asked for, unless
        # the question asks "who" / the company noun only qualifies
        last_inv = max(s for s, _, _ in t_investors)
        last_co = max(s for s, _, _ in t_companies)
        who = any(re.fullmatch(r"谁|who", w, re.IGNORECASE) for _, _, w in t_investors)
        asked = [(s0, "inv") for s0, _, _ in t_investors] + [(s0, "co") for s0, _, _ in t_companies]
        asked = [kind for s0, kind in sorted(asked)
                 if re.search(r"(?:哪些|哪家|哪个|哪几家|which|what)\s*(?:\w{0,2})?\s*$", sk[max(0, s0 - 6):s0], re.IGNORECASE)]
        if asked:  # 哪些投资机构…项目 / which investors … companies: the noun the question word asks for
            want_investors, want_companies = asked[0] == "inv", asked[0] == "co"
        elif who and not re.search(r"\bwho\s+(?:raised|received|got|secured|closed)\b|谁.{0,6}(?:拿到|获得|完成|融到|融了|获投)",
                                 sk, re.IGNORECASE):
            want_companies = False
        elif last_co > last_inv and not re.search(r"(?:投资方|投资人|投资机构|机构|investors?|backers?)\s*(?:of|in|for)\b",
                                                  sk, re.IGNORECASE):
            want_investors = False
        else:
            want_companies = False
    if who_raised(sk):
        want_investors, want_companies = False, True

    if share:
        f.measure = "share"
    elif median:
        f.measure = "median"
    elif avg:
        f.measure = "avg"
    elif (mx or mn) and not group:
        f.measure = "max" if mx and not mn else "min"
    f.co_pending = bool(co) and not investors and want_investors and not want_companies and not both and not minus
    if group:
        f.group_by = group
        f.target = "groups"
    elif co and len(investors) == 1 and (want_investors or not want_companies) and not both and not minus:
        f.co_investors = True
        f.group_by = "investor"
        f.target = "investors"
    elif want_investors and not (f.seq and not re.search(r"谁|who|投资方|investors|领投方|backers", sk, re.I)):
        f.target = "investors"
    elif want_companies:
        f.target = "companies"
    else:
        f.target = "deals"
    rank_amount = amount or mx or mn or money_rank
    # 融资额超过5亿元的公司: the amount word is what the threshold is about, not a sum to report
    threshold_only = amount and (fl.get("min_amount") is not None or fl.get("max_amount") is not None) and \
        not re.search(r"多少|总额|总金额|一共|合计|总共|how\s+much|\btotal\b|\bsum\b", sk, re.IGNORECASE)
    if f.measure == "list":
        if count and not ranked:
            f.measure = count_unit or {"companies": "companies", "investors": "investors"}.get(f.target, "deals")
            if f.target == "groups":
                f.measure = "deals"
        elif amount and not ranked and not group and not f.seq and not f.co_investors and not threshold_only:
            f.measure = "amount"
            f.target = "deals"
    if f.target in ("companies", "investors") and f.measure == "list" and not f.group_by:
        f.group_by = "company" if f.target == "companies" else "investor"
    if f.target == "deals" and f.measure == "list" and not f.group_by and not f.yesno and \
            re.search(r"列出|列举|哪些融资|哪几笔|哪些交易|有哪些轮|融资(?:事件)?(?:都)?有哪些|\blist\b|\bshow\b|\bwhich\s+(?:deals|rounds)\b|"
                      r"\bwhat\s+(?:deals|rounds)\b", sk, re.IGNORECASE):
        f.group_by, f.target = "round", "deals"  # the rounds themselves
    elif f.target == "deals" and f.measure == "list" and not f.group_by and not f.yesno and f.seq is None and \
            (fl.get("year") or fl.get("date_from") or fl.get("date_to")) and not V["asks"].search(p.text) and \
            not V["followup"].search(sk):
        f.group_by, f.target = "round", "deals"  # "2019年7月的融资", "deals in Q3 2019": a topic, listed
    if f.group_by:
        if by_investors and f.group_by not in ("investor",):
            f.rank_by = "investors"  # 投资方最多的公司 / the round with the most investors
            if f.group_by == "company" and re.search(r"几笔|哪几笔|哪一?笔|哪一轮融资|单笔|单轮|\brounds?\b|\bdeals?\b", sk, re.IGNORECASE):
                f.group_by = "round"  # 投资方最多的几笔融资 / the rounds with the most investors: each round
        elif by_companies:
            f.rank_by = "companies"
        elif (rank_amount and (ranked or amount)) or f.measure == "amount":
            f.rank_by = "amount"
        else:
            f.rank_by = "deals"
        if rank_all and f.k is None:
            f.top_ties = False
        elif ranked and f.measure in ("list", "avg", "median", "amount", "max", "min") and f.k is None:
            # "the most": the leaders (all of them when tied); a plural question with one clear leader
            # gets the whole ranking
            f.top_ties = True
            f.plural_rank = _plural(sk) and not (singular or re.search(r"是哪|是谁|哪一|which\s+(?:city|province|region|segment|sector|year|month|investor|firm|fund|company|"
                                                        r"startup|round\s+type|stage)\s+(?:had|has|raised|saw|was|is|did)\b",
                                                        sk, re.I))
    if f.measure in ("amount",) and f.group_by and not ranked and f.target != "groups":
        f.rank_by = "amount"
    if f.group_by == "round" and f.rank_by == "deals" and ranked:
        f.rank_by = "amount"  # the largest rounds: each round is one deal, so its size ranks it
    # ---- a count averaged per group: 2019年每个月平均多少起融资, 平均每家公司融资几轮, deals per month
    per = _PER.search(sk)
    # 平均有几家投资方 (no 每…): the investors of a round, averaged over the rounds
    per_round = avg and count_unit == "investors" and not amount and not per and not dims
    if avg and (count or count_unit) and not amount and (per or dims or per_round):
        noun = next((x for x in (per.groups() if per else ()) if x), None)
        dim = _PER_DIM.get(noun.lower(), None) if noun else None
        dim = dim or (dims[0][0] if dims else None) or ("round" if per_round else None)
        if dim == "round" and count_unit not in ("investors", "companies"):
            # 平均每起多少 / how much per deal: deals per deal is always one, so it asks the average amount
            f.measure, f.group_by, f.target, f.k, f.top_ties = "avg", None, "deals", None, False
            if per:
                r.take(per.start(), per.end())
        elif dim:
            f.measure, f.group_by, f.target = "per_group", dim, "groups"
            f.rank_by = count_unit if count_unit in ("deals", "companies", "investors") else "deals"
            f.top_ties, f.plural_rank, f.k = False, False, None
            if per:
                r.take(per.start(), per.end())
    if first_deal and f.seq is None and f.group_by in (None, "company", "round"):
        f.group_by, f.order, f.k, f.measure = "round", "date", 1, "list"
        f.top_ties = f.plural_rank = False
    elif first_deal:  # each investor's own first investment: not a question the deals query answers
        f.ignored.append(first_deal.group(0))
    # ---- a threshold on each round, company or investor (exactly 4 investors, more than 8 investors)
    if f.having and f.having[0] == "investors" and f.group_by in (None, "investor"):
        # companies (or rounds) with n investors: the investors are what is counted, not what is listed
        f.group_by, f.target = ("company", "companies") if t_companies else ("round", "deals")
        f.co_investors = False
    elif f.having and not f.group_by:
        f.group_by = {"companies": "company", "investors": "investor"}.get(f.target, "round")
    if f.having and f.group_by == "round" and count and f.measure in ("list", "investors"):
        f.measure = "deals"
    # ---- an average of a count within groups (investors per round, by round type) is not a measure here
    if avg and by_investors and f.group_by not in (None, "round") and f.measure == "avg" and not per:
        f.measure = "list"
        f.ignored.extend(w for _, _, w in _spans(M["avg"], sk))
    # ---- side by side: two of a kind named, a comparison asked
    if f.compare and not f.setop:
        _compare(p, f, investors, regions, segments, money=bool(amount or money_rank))
    # ---- set operations
    years_named = list(dict.fromkeys(int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", p.text)))
    if union and len(investors) >= 2 and not minus and not f.compare:
        f.setop = "union"  # 真格或GSR投过的公司: the companies either one backed
    elif minus and (len(investors) >= 2 or len(regions) >= 2):
        f.setop = "minus"
    elif len(investors) >= 2 and (same_round or ((f.yesno or count_unit == "deals") and co)):
        f.setop = None  # the rounds they all joined: the deals query's investor list
    elif len(investors) >= 2 and not f.co_investors and not f.compare:
        f.setop = "both"
    elif len(regions) >= 2 and both and not f.groups_in:
        f.setop = "both"
    elif minus and len(regions) == 1 and not investors[1:]:
        f.setop = "minus"  # 不在北京的 / outside Beijing: the same question, less the region's answer
    elif (minus or both or union) and len(companies) >= 2 and len(investors) < 2 and not f.compare:
        f.setop = "minus" if minus else "both" if both else "union"  # investors of A but never B / A or B / both
    elif both and len(fl.get("round") or []) == 2 and len(investors) < 2 and not f.compare and \
            (want_companies or companies or f.target == "companies"):
        f.setop = "both"  # 同时拿过天使轮和A轮的公司: companies that raised each of the two
        first, second = fl["round"]
        fl["round"], f.other = [first], {"round": [second]}
        f.target, f.group_by = "companies", "company"
    elif (minus or both) and len(years_named) == 2 and len(investors) < 2 and len(regions) < 2 and not f.compare:
        f.setop = "minus" if minus else "both"  # raised money in both 2018 and 2019 / in 2019 but not in 2020
    elif (minus or both) and len(segments) >= 2 and len(investors) < 2 and len(regions) < 2 and not f.compare:
        f.setop = "minus" if minus else "both"  # investors in both the platform and the security segments
        fl["segment"], f.other = segments[0].id, {"segment": segments[1].id}
    if f.compare:
        f.setop = None
    if not_lead and investors:
        fl["not_lead"] = True  # 投了哪些公司但不是领投: the rounds it joined without leading
        fl.pop("lead_only", None)
        if f.setop == "minus" and len(investors) == 1:
            f.setop = None  # its 但不 was the negation of the lead, not a second set
        if len(investors) == 1 and re.search(r"\bnever\b|从(?:来)?(?:没|未|不)|一次也没|一轮也没", p.text, re.IGNORECASE):
            # backed but never led: its companies less every company it led a round of
            fl.pop("not_lead", None)
            f.setop, f.other = "minus", {"investor": [investors[0].id], "lead_only": True}
            if f.target == "deals":
                f.target = "companies"
    if f.setop in ("minus", "both", "union") and len(investors) < 2 and len(regions) < 2 and len(companies) >= 2:
        fl["company"] = companies[0].id
        f.other = {"company": companies[1].id}
        f.target, f.group_by = "investors", "investor"
    elif f.setop in ("minus", "both") and len(investors) < 2 and len(regions) < 2 and len(years_named) == 2:
        for k in ("year", "date_from", "date_to"):
            fl.pop(k, None)
        fl["year"] = years_named[0]
        f.other = {"year": years_named[1]}
        if f.target == "deals":
            f.target = "companies"
    elif f.setop and len(investors) >= 2:
        first, second = investors[0], investors[1]
        neg = [m for m in V["setop"]["minus"].finditer(p.text)] if f.setop == "minus" else []
        m0 = neg[0] if neg else None
        if m0 is not None and first.end <= m0.start() < second.start and \
                not re.match(r"\s*(?:but|但|而|却|except|除)", p.text[m0.start():], re.IGNORECASE) and \
                m0.start() - first.end < second.start - m0.end():
            first, second = second, first  # "A did not invest in but B did" / 红杉没投过但高瓴投过: B's, less A's
        fl["investor"] = [first.id]
        f.other = {"investor": [second.id]}
    elif f.setop and len(regions) >= 2:
        first, second = regions[0], regions[1]
        if f.setop == "minus" and re.search(r"(?:除了?|不包括|不含|\bexcept(?:\s+for)?|\bother\s+than|\bapart\s+from|\bexcluding)\s*$",
                                           p.text[max(0, first.start - 12):max(0, first.start)], re.IGNORECASE):
            first, second = second, first  # 除了北京以外，京津冀…: 北京 is what is taken away
        fl["region"] = first.id
        f.other = {"region": second.id}
    elif f.setop and len(regions) == 1:
        fl.pop("region", None)
        f.other = {"region": regions[0].id}
    if f.setop and len(investors) >= 3 and not not_lead:
        f.other = {"investor": [m.id for m in investors[1:]]}  # A but neither B nor C / all of A, B and C
    if f.setop and f.target == "deals" and not investors and (count or f.measure in ("deals", "list")) \
            and not want_investors and not want_companies:
        f.group_by = "round"  # 广东除了深圳以外有多少起融资: rounds less rounds
    elif f.setop and f.target == "deals":
        f.target = "companies" if investors else "investors"
    if f.setop and not f.group_by:
        f.group_by = "company" if f.target == "companies" else "investor"
    # ---- the time between a company's rounds
    if interval and (companies or r.has(V["pronoun"]["company"], mark=False)):
        seqs = [seq_words[n] for n, rx in V["sequence"].items() if rx.search(sk)]
        f.ask, f.measure, f.group_by, f.target = "interval", "list", None, "deals"
        f.seq = None
        f.interval = sorted(set(seqs), key=lambda x: (x == -1, x))[:2] if len(set(seqs)) >= 2 else []
    # ---- a round of a company's history
    if f.seq is not None:
        when = _WHEN.search(sk)
        if when:
            f.ask = "year"
            r.take(when.start(), when.end())
        elif f.target == "investors" or want_investors:
            f.ask = "investors"
        elif amount or count:
            f.ask = "amount"
        else:
            f.ask = "round"
        f.group_by = None
        f.measure = "list"
    elif companies and fl.get("round") and not f.group_by and not f.setop and f.measure in ("list", "deals") and \
            _WHEN.search(sk):
        # 墨弦互联的A轮是什么时候 / when did it raise its Series A: that round (or those), with its date
        when = _WHEN.search(sk)
        r.take(when.start(), when.end())
        f.group_by, f.target, f.measure, f.order = "round", "deals", "list", "date"
    # ---- share: which filter is the part
    if f.measure == "share":
        _share_part(f)
    # ---- yes/no
    if f.yesno and f.measure == "list" and not f.group_by and f.seq is None:
        pass
    elif f.yesno and (f.group_by in ("company", "investor") and (companies or investors)) and not f.co_investors:
        f.group_by = None if companies and investors else f.group_by
    # ---- what was not understood
    never_led = f.setop == "minus" and f.other.get("lead_only")  # backed but never led: both words used
    if not never_led and ((minus and not f.setop and not fl.get("not_lead")) or (not_lead and not fl.get("not_lead"))):
        f.ignored.extend(w for _, _, w in _spans(V["setop"]["minus"], sk) + _spans(V["not_lead"], sk))
    f.ignored.extend(w for _, _, w in _spans(V["exclusive"], sk))  # 只做早期: not "did early rounds"
    for s, e, chunk in r.residue():
        if not chunk.strip() or re.fullmatch(r"[\W\d_]+", chunk):
            continue
        if _CJK.search(chunk):  # give back the single characters a filler took from the name (数|澜科技)
            while s > 0 and (s - 1) in r.weak:
                s -= 1
            while e < len(sk) and e in r.weak and _CJK.match(sk[e]):
                e += 1
            chunk = sk[s:e].strip()
        if _name_like(chunk, s, sk):
            f.unknown.append(chunk)
        f.ignored.append(chunk)
    f.unsupported = list(dict.fromkeys(f.unsupported))
    return f


_PER = re.compile(r"平均每(?:一|个|家|位)?\s*(月|年|公司|企业|家|机构|城市|省份?|轮|笔|起)|每(?:个)?(月|年|轮|笔)(?:平均|平均下来)|"
                  r"\b(?:per|each|a)\s+(month|year|company|startup|investor|firm|city|province|round|deal)\b|"
                  r"\b(?:the\s+)?(?:average|typical)\s+(month|year|company|startup|investor|firm|city|province)\b",
                  re.IGNORECASE)
_PER_DIM = {"月": "month", "年": "year", "公司": "company", "企业": "company", "家": "company", "机构": "investor",
            "城市": "city", "省": "province", "省份": "province", "month": "month", "year": "year", "company": "company",
            "startup": "company", "investor": "investor", "firm": "investor", "city": "city", "province": "province",
            "轮": "round", "笔": "round", "起": "round", "round": "round", "deal": "round"}
_PLURAL = re.compile(r"哪些|哪几|都有谁|都是谁|有谁|们|列出|列举|\b(?:cities|provinces|regions|segments|sectors|industries|investors|firms|"
                     r"funds|vcs|companies|startups|years|months|types|stages|backers)\b", re.IGNORECASE)


def _plural(sk: str) -> bool:
    """Does the question ask for several (哪些城市, which cities)? 最少的省份 asks for the one (or the tied)."""
    return bool(_PLURAL.search(sk))


_BEFORE_ROUND = re.compile(r"Ⓑ\s*(?P<incl>及|和|或)?\s*(?:之前|以前|前(?![\d一二两三四五六七八九十])|以下)|"
                           r"Ⓑ\s*(?P<incl2>and|or)\s+(?:earlier|before|below)\b|\b(?:before|prior\s+to|earlier\s+than)\s+Ⓑ",
                           re.IGNORECASE)
_FROM_ROUND = re.compile(r"Ⓑ\s*(?:及|或|和)?\s*(?:以后|之后|以上|往后|后)|Ⓑ\s*(?:or|and)\s+(?:later|beyond|after|above|up)\b|"
                         r"Ⓑ\s*onwards?\b|\b(?P<excl>after|beyond|post)[- ]?Ⓑ", re.IGNORECASE)


def _stage_range(f: Frame, r: _Reader, slots: dict) -> None:
    """A round type as a bound (A轮之前, A轮及以前, B轮及以后, Series B or later, after Series B): the
    venture rounds before it, or from it on (stages from ontology/rounds.yaml)."""
    rounds = slots.get("round") or []
    if len(rounds) != 1:
        return
    before, after = _BEFORE_ROUND.search(r.text), _FROM_ROUND.search(r.text)
    if not (before or after):
        return
    from ontology import load

    kinds = {x.type: x for x in load().rounds}
    pivot = kinds.get(rounds[0])
    if pivot is None or pivot.group not in ("early", "later"):
        return
    venture = [x for x in load().rounds if x.group in ("early", "later")]
    if before:
        incl = bool(before.group("incl") or before.group("incl2"))
        keep = [x.type for x in venture if x.stage < pivot.stage or (incl and x.stage == pivot.stage)]
    else:
        strict = bool(after.group("excl"))
        keep = [x.type for x in venture if x.stage > pivot.stage or (not strict and x.stage == pivot.stage)]
    f.filters["round"] = keep
    m = before or after
    r.take(m.start(), m.end())


def who_raised(sk: str) -> bool:
    return bool(re.search(r"\bwho\s+(?:has\s+|have\s+)?(?:raised|received|got|secured|closed)\b|谁.{0,6}(?:拿到|获得|完成|融到|融了|获投)",
                          sk, re.IGNORECASE))


_RANGE = re.compile(r"(?:在|介于|between\s+)?\s*(\d[\d.,]*)\s*(亿|万|million|billion|m|bn)?\s*(?:元|yuan|rmb)?\s*"
                    r"(?:到|至|-|~|—|–|and|to)\s*(\d[\d.,]*)\s*(亿元|万元|亿|万|million|billion|m|bn)\s*(?:元|yuan|rmb)?\s*(?:之间)?",
                    re.IGNORECASE)
_UNIT = {"亿": 1e8, "亿元": 1e8, "万": 1e4, "万元": 1e4, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}


def _between(p, f: Frame, r: _Reader) -> bool:
    """An amount range (1亿到5亿之间, between 10 and 50 million): over the lower, under the upper."""
    for m in _RANGE.finditer(p.text):
        unit2 = _UNIT[m.group(4).lower()]
        unit1 = _UNIT[m.group(2).lower()] if m.group(2) else unit2
        try:
            lo, hi = float(m.group(1).replace(",", "")) * unit1, float(m.group(3).replace(",", "")) * unit2
        except ValueError:
            continue
        year_like = re.fullmatch(r"(?:19|20)\d{2}", m.group(1)) and not m.group(2)  # 2018到2019: years, not money
        if lo < hi and "年" not in m.group(0) and not year_like:
            f.filters["min_amount"], f.filters["max_amount"] = lo, hi
            f.filters["min_inclusive"] = f.filters["max_inclusive"] = True  # 1亿到3亿之间 / between: both ends
            for piece in re.split(r"\s+", m.group(0)):
                for s, e, _ in _spans(re.compile(re.escape(piece)), r.text):
                    r.take(s, e)
            return True
    return False


_HAVING_N = (r"(\d{1,4}|[一二两三四五六七八九十]{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)\s*"
             r"(起|笔|轮|次|(?:家|个|位)?\s*(?:投资方|投资人|投资机构|机构|资方)|家|个|deals?|rounds?|financings?|companies|"
             r"(?:distinct\s+|different\s+|unique\s+)?(?:investors?|backers?)|times)")
_INVESTOR_PLACE = re.compile(r"\s*(?:的|地区的|本地的|当地的)?\s*(?:投资机构|投资方|投资人|机构|基金|创投|资方)|"
                             r"[- ]?based\s+(?:investors?|firms?|funds?|vcs?)\b|\s+(?:investors?|firms?|funds?|vcs?)\b", re.IGNORECASE)
_INVESTOR_PLACE_BEFORE = re.compile(r"\b(?:investors?|firms?|funds?|vcs?)\s+(?:from|based\s+in|headquartered\s+in)\s+$",
                                    re.IGNORECASE)
_WHEN = re.compile(r"哪一?年|哪天|哪一天|什么时候|何时|which\s+year|what\s+year|\bwhen\b|what\s+date", re.IGNORECASE)
_EXACTLY = r"(?:只有|仅有|仅|只|恰好|正好|刚好|\bonly\b|\bexactly\b|\bjust\b)\s*(?:by\s+|融过|融了|融|获得过|获得了|拿过|拿到过|\braised\s+|\bhad\s+)?"


def _having_unit(unit: str) -> str:
    u = unit.lower()
    if re.search(r"投资|机构|资方|investor|backer", u):
        return "investors"
    return "companies" if u in ("家", "companies") else "deals"


def _having(p, f: Frame, r: _Reader) -> None:
    """A threshold on a count (more than 10 deals, 超过5起, 3家以上): a condition on each group."""
    from kg.chat.nlu import _num

    V = vocab()
    text = r.text
    pats = [(V["having_over"].pattern, ">"), (V["having_atleast"].pattern, ">="), (V["having_under"].pattern, "<"),
            (_EXACTLY, "==")]
    for rx, op in pats:
        for m in re.finditer(f"(?:{rx})\\s*{_HAVING_N}", text, re.IGNORECASE):
            n = _num(m.group(1))
            if n is None:
                continue
            what = _having_unit(m.group(2))
            f.having = (what, op, n)
            r.take(m.start(), m.end())
            return
    m = re.search(_HAVING_N + r"\s*(?:以上|及以上|或以上|\bor\s+more\b)", text, re.IGNORECASE)
    if m and _num(m.group(1)) is not None:
        f.having = (_having_unit(m.group(2)), ">=", _num(m.group(1)))
        r.take(m.start(), m.end())


def _compare(p, f: Frame, investors, regions, segments, money: bool = False) -> None:
    """Two years, regions, investors or segments compared: a grouping restricted to them."""
    if f.measure == "share":  # 比例 / share of: a part of a whole, not two things side by side
        f.compare = False
        return
    years = list(dict.fromkeys(int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", p.text)))  # as named
    fl = f.filters
    if len(years) >= 2:
        f.group_by, f.groups_in = "year", years
        for k in ("year", "date_from", "date_to"):
            fl.pop(k, None)
    elif len(regions) >= 2 and len({m.level for m in regions}) == 1:
        f.group_by = {"city": "city", "province": "province", "macro": "macro"}.get(regions[0].level, "province")
        f.groups_in = [m.id for m in regions]
        fl.pop("region", None)
        f.other.pop("regions", None)
    elif len(regions) >= 2:  # 北京 (a province) against 深圳 (a city): each region its own query
        f.group_by = None
        f.other = {"alternatives": [{"filters": {"region": m.id}, "key": m.name} for m in regions]}
        fl.pop("region", None)
    elif len({m.id for m in investors}) >= 2:
        f.group_by, f.groups_in = "investor", list(dict.fromkeys(m.id for m in investors))  # a name said twice is one
        fl.pop("investor", None)
    elif len(segments) >= 2:
        f.group_by, f.groups_in = "segment", [m.id for m in segments]
        fl.pop("segment", None)
    elif len(fl.get("round") or []) >= 2:
        # 早期还是后期, seed or angel rounds, 天使轮和A轮哪个: each round (or stage) its own query
        f.group_by = "type"
        f.other["alternatives"] = [{"filters": {"round": [x]}, "key": x} for x in fl.pop("round")]
        if f.target == "companies" and f.measure == "list":
            f.measure = "companies"
    else:
        f.compare = False
        return
    f.target = "groups"
    f.top_ties = False
    f.k = None
    text = p.skeleton or p.text
    if vocab()["difference"].search(p.text):
        f.ask = "difference"  # 相差多少 / how many more … than: the gap is the value (each still shown)
    elif vocab()["which_of"].search(text):
        f.ask = "which"  # 北京和江苏哪个多, Beijing or Shanghai: the answer names the one ahead (each value still shown)
        f.yesno = False  # "Did X invest more in A or B?" asks which, not whether
    if f.yesno and re.search(r"更少|少于|\bfewer\b|\bless\b", p.text, re.IGNORECASE):
        f.order = "asc"  # 是否比…少: whether the first named is below the second
    if f.measure == "list":  # 哪个城市的公司更多 / more companies: companies; 投资方更多: investors; else deals or money
        f.measure = "companies" if vocab()["rank_by_companies"].search(text) else \
            "investors" if vocab()["rank_by_investors"].search(text) else "amount" if money else "deals"
    f.rank_by = f.measure if f.measure in ("deals", "companies", "investors", "amount", "avg", "median") else "deals"


def _below(p, f: Frame, r: _Reader) -> None:
    from kg.chat.nlu import _AMOUNT_NUM, _amount_value

    if _between(p, f, r):
        return
    V = vocab()
    for rx_words, after in ((V["below"], False), (V["below_after"], True)):
        words = rx_words.pattern
        rx = re.compile((_AMOUNT_NUM + r"\s*(?:" + words + ")") if after else
                        ("(?:" + words + r")\s*" + _AMOUNT_NUM), re.IGNORECASE)
        for m in rx.finditer(p.text):
            v = _amount_value(m.group(1))
            if v and v > 0 and re.search(r"[万亿元$¥]|million|billion|yuan|rmb|usd|dollar", m.group(1), re.I):
                f.filters["max_amount"] = v
                if f.filters.get("min_amount") == v:
                    f.filters.pop("min_amount")
                # the words in the skeleton (the amount itself is not masked there)
                for s, e, _ in _spans(re.compile(re.escape(m.group(0)), re.I), r.text):
                    r.take(s, e)
                for s, e, _ in _spans(rx_words, r.text):
                    r.take(s, e)
                return


def _share_part(f: Frame) -> None:
    """The part of a share: an amount threshold (both ends of a range), a stage or round, disclosure,
    leads, a region or a segment (the first of these that the question names), against the same
    question without it."""
    fl = f.filters
    amount = {k: fl.pop(k) for k in ("min_amount", "max_amount", "min_inclusive", "max_inclusive") if k in fl}
    if "min_amount" in amount or "max_amount" in amount:  # 超过1亿元的交易占比: of all deals, those above
        f.share_part = amount
        return
    fl.update(amount)
    for key in ("round", "disclosed", "lead_only", "region", "segment", "investor"):
        if key in fl:
            if key == "region" and f.subject_investor is None and "year" not in fl and len(fl) == 1:
                pass
            f.share_part = {key: fl.pop(key)}
            return


# ------------------------------------------------------------------------------------------ follow-ups
def is_fragment(f: Frame) -> bool:
    """A turn with no question of its own (那2019年呢, 前三名呢, And in Zhejiang?)."""
    return f.target == "deals" and f.measure == "list" and not f.group_by and not f.yesno and not f.setop and \
        not f.repeat


def is_bare_measure(p, f: Frame) -> bool:
    """A short question of a measure alone (平均金额是多少, What about the median?): it measures the
    previous question's deals."""
    text = re.sub(r"[\s?？!！。.,，]", "", p.skeleton or p.text)
    short = len(text) <= 10 if _CJK.search(text) else len((p.text or "").split()) <= 6
    return short and not f.filters and f.measure in ("amount", "avg", "median", "max", "min", "share", "deals",
                                                      "companies", "investors") and not f.group_by


def asks_which_of(p, prev: Frame | None) -> bool:
    """Does this turn ask which ones after a count (都是哪几家, which ones?, 其中哪些在北京)?"""
    return prev is not None and prev.measure in ("companies", "investors", "deals") and not prev.group_by and \
        bool(vocab()["which_ones"].search(p.skeleton or p.text)) and not any(
            m.label in ("Investor", "Company") for m in p.mentions)


def is_followup(p, f: Frame) -> bool:
    V = vocab()
    text = p.skeleton or p.text
    if V["followup"].search(text):
        return True
    # a fragment: no question words of its own
    if f.clear:
        return True
    if f.yesno and not p.mentions and not f.filters.get("year") and f.seq is None:
        return True  # 领投过吗 / did they lead? : a yes/no without a subject asks about the last one
    return f.target == "deals" and f.measure == "list" and not f.group_by and not f.yesno and f.seq is None and \
        len(re.sub(r"[\sⒾⒸⓇⓈⓎⒷⒶⓀ?？!！。.,，呢的吗了]", "", text)) <= 4


def merge_followup(prev: Frame, cur: Frame, p) -> Frame:
    """The previous frame with what the follow-up changes (names, dates, rounds, k, lead, target)."""
    V = vocab()
    text = p.skeleton or p.text
    out = copy.deepcopy(prev)
    out.language = cur.language
    out.ignored, out.unknown, out.unsupported = cur.ignored, cur.unknown, cur.unsupported
    out.central, out.central_words = cur.central or prev.central, cur.central_words  # the words are this turn's
    out.co_pending = cur.co_pending
    fl, nf = out.filters, cur.filters
    if prev.measure in ("companies", "investors", "deals") and not prev.group_by and V["which_ones"].search(text):
        # 都是哪几家 / which ones? / 其中哪些在北京 after a count: the list of what was counted
        out.measure = "list"
        out.group_by = {"companies": "company", "investors": "investor", "deals": "round"}[prev.measure]
        out.target = {"company": "companies", "investor": "investors", "round": "deals"}[out.group_by]
        out.k, out.top_ties, out.plural_rank, out.rank_by = None, False, False, None
        for k, v in nf.items():
            out.filters[k] = v
        return out
    picked = [v for k in ("region", "year", "segment") for v in [nf.get(k)] if v is not None and v in prev.groups_in] + \
        [v for v in (nf.get("investor") or []) if v in prev.groups_in]
    if prev.compare and len(picked) == 1:
        # 北京是多少 after 北京和上海分别投了多少起: the one named, no longer side by side
        out.compare, out.groups_in, out.group_by, out.ask = False, [], None, None
        out.measure = prev.rank_by if prev.rank_by in ("deals", "companies", "investors", "amount", "avg", "median") else "deals"
        out.target, out.k, out.top_ties = "deals", None, False
        for k, v in nf.items():
            out.filters[k] = v
        return out
    if prev.compare and V["difference"].search(p.text) and not nf:
        out.ask = "difference"  # 差多少 after 分别投了几起: the gap between the two
        return out
    also = bool(V["within"].search(text) or re.search(r"也|同样|\balso\b|\bas\s+well\b|\btoo\b", text, re.IGNORECASE))
    if also and nf.get("investor") and fl.get("investor") and nf["investor"] != fl["investor"] and \
            out.target in ("companies", "deals") and not prev.co_investors:
        # "其中哪些红杉也投了" / "Which of those did Sequoia China also back?": the previous set, and theirs
        chained = prev.other.get("investor") if prev.setop == "both" else None  # A and B, and now C too
        out.setop, out.other = "both", {"investor": list(dict.fromkeys((chained or []) + list(nf["investor"])))}
        out.target, out.group_by = "companies", "company"
        nf = {k: v for k, v in nf.items() if k != "investor"}
    lift = {"time": ("year", "date_from", "date_to"), "round": ("round",), "region": ("region",),
            "segment": ("segment",), "lead_only": ("lead_only",)}
    for what in cur.clear:
        for k in lift.get(what, ()):
            fl.pop(k, None)
    if any(k in nf for k in ("year", "date_from", "date_to")):
        for k in ("year", "date_from", "date_to"):
            fl.pop(k, None)
    for k, v in nf.items():
        fl[k] = v
    if "company" in nf:
        out.subject_company = nf["company"]
    if cur.k:
        out.k, out.top_ties = cur.k, False
    if cur.target in ("companies", "investors") and cur.target != prev.target and not V["within"].search(text):
        out.target = cur.target
        if out.group_by in ("company", "investor", None):
            out.group_by = "company" if cur.target == "companies" else "investor"
            out.measure = "list" if out.measure in ("deals", "companies", "investors") else out.measure
            out.k, out.top_ties = cur.k, False
            out.co_investors = False
    if cur.seq is None and prev.seq is not None and (cur.measure not in ("list",) or cur.group_by):
        # 它一共融了多少钱 after 它最后一轮是谁领投的: a question of its own about the company, not that round
        out.seq, out.ask = None, None
        out.measure, out.group_by, out.target = cur.measure, cur.group_by, cur.target
        out.filters.pop("lead_only", None)
    if cur.seq is not None:
        if prev.seq is None:
            out.ask, out.group_by, out.measure = cur.ask, None, "list"
        out.seq = cur.seq
    if cur.measure in ("deals", "companies", "investors") and not cur.group_by and not cur.filters and \
            prev.group_by in ("company", "investor", "round") and not (prev.setop or prev.co_investors or prev.repeat
                                                                        or prev.having or prev.seq is not None):
        # 一共几家 / how many is that? after a list: the count of what was listed (under the same filters)
        explicit = re.search(r"起|笔|轮|次|\bdeals?\b|\brounds?\b|\bfinancings?\b", text, re.IGNORECASE)
        unit = cur.measure if cur.measure != "deals" or explicit else \
            {"company": "companies", "investor": "investors", "round": "deals"}[prev.group_by]
        out.measure, out.group_by, out.target = unit, None, "deals"
        out.k, out.top_ties, out.plural_rank, out.rank_by = None, False, False, None
        return out
    if cur.measure in ("amount", "avg", "median", "max", "min") and not cur.group_by and not cur.filters and \
            prev.group_by in ("company", "investor", "round") and not (prev.k or prev.top_ties or prev.setop or
                                                                      prev.co_investors or prev.repeat or prev.having
                                                                      or prev.seq is not None):
        # 融资总额是多少 / what did they raise in total? after a list: the measure over what was listed
        out.measure, out.group_by, out.target = cur.measure, None, "deals"
        out.k, out.top_ties, out.plural_rank, out.rank_by = None, False, False, None
        return out
    if cur.measure != "list" and cur.measure != prev.measure and cur.measure not in ("deals",):
        out.measure = cur.measure
        if prev.compare or (prev.group_by and not prev.k and not prev.top_ties):
            out.rank_by = cur.measure if cur.measure in ("amount", "avg", "median", "companies", "investors") else out.rank_by
    return out
